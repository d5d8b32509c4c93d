# Applies one planted bug (a *.plant file) to a copy of a Mosquitto tree.
#   cmake -DPLANT=<file.plant> -DTREE=<tree to modify in place> -P apply-plant.cmake
#
# A plant file names one source file and one exact line to replace:
#   file src/retain.c
#   find <the exact line, leading whitespace included>
#   replace <the new line>
# Lines starting with '#' describe the bug (what, statement, expected catch). The line must occur
# exactly once: a Mosquitto version whose code moved makes this fail loudly instead of silently
# testing an unplanted broker. A plant is a one-hunk fix (vendor/apply-fix.cmake's format), so the
# fix applier does the work.
if(NOT DEFINED PLANT OR NOT DEFINED TREE)
  message(FATAL_ERROR "usage: cmake -DPLANT=<file.plant> -DTREE=<mosquitto tree> -P apply-plant.cmake")
endif()
set(FIX "${PLANT}")
include(${CMAKE_CURRENT_LIST_DIR}/../../vendor/apply-fix.cmake)
message(STATUS "planted ${PLANT}")
