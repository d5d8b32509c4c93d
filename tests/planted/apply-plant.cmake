# Applies one planted bug (a *.plant file) to a copy of a Mosquitto tree.
#   cmake -DPLANT=<file.plant> -DTREE=<tree to modify in place> -P apply-plant.cmake
#
# A plant file names one source file and one exact line to replace:
#   file src/retain.c
#   find <the exact line, leading whitespace included>
#   replace <the new line>
# Lines starting with '#' describe the bug (what, statement, expected catch). The line must occur
# exactly once: a Mosquitto version whose code moved makes this fail loudly instead of silently
# testing an unplanted broker.
file(STRINGS "${PLANT}" lines)
set(target "")
set(find_line "")
set(replace_line "")
foreach(line IN LISTS lines)
  if(line MATCHES "^file (.+)$")
    set(target "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^find (.*)$")
    set(find_line "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^replace (.*)$")
    set(replace_line "${CMAKE_MATCH_1}")
  endif()
endforeach()
if(target STREQUAL "" OR find_line STREQUAL "")
  message(FATAL_ERROR "${PLANT}: needs a 'file <path>' and a 'find <line>' line")
endif()
set(path "${TREE}/${target}")
if(NOT EXISTS "${path}")
  message(FATAL_ERROR "${PLANT}: ${path} does not exist in this Mosquitto tree")
endif()
# `find` uses \t for tabs so plant files stay readable.
string(REPLACE "\\t" "\t" find_line "${find_line}")
string(REPLACE "\\t" "\t" replace_line "${replace_line}")
file(READ "${path}" content)
string(REPLACE "\n${find_line}\n" "\n@@MQSIM_PLANT@@\n" marked "${content}")
string(REGEX MATCHALL "@@MQSIM_PLANT@@" hits "${marked}")
list(LENGTH hits count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "${PLANT}: expected exactly one line '${find_line}' in ${target}, found ${count}")
endif()
string(REPLACE "@@MQSIM_PLANT@@" "${replace_line}" planted "${marked}")
file(WRITE "${path}" "${planted}")
message(STATUS "planted ${PLANT} into ${target}")
