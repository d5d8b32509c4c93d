# The dependency rules between the rooms (docs/architecture.md), checked on the includes:
#   cmake -DROOT=<source tree> -P tests/structure/check-includes.cmake
# Exit status 0 when every include of a checked room stays within what the room may use; else
# one line per forbidden include (file:line: the include, the room, what it may use) and a fatal
# error. A room that is not listed (props/, cli/, bench/, fuzz/, tests/) is not checked: those
# are the top of the house and may use any room below.
#
# A quoted include names a file of the tree, from the root ("trace/trace.h") or beside the
# including file ("packet.h"); its room is its first folder. An angle include is the standard
# library when it is a bare name without extension (<vector>); anything else (<xxhash.h>,
# <nlohmann/json.hpp>, <unistd.h>) is a third-party or system header and must be on the room's
# own list below.
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "check-includes: set -DROOT=<source tree>")
endif()

# room -> the rooms it may include from (itself always): docs/architecture.md, "The folders".
set(rooms trace schedule model sim report corpus differential)
set(may_trace "")
set(may_schedule trace)
set(may_model trace)
set(may_sim trace schedule)
set(may_report trace model)
set(may_corpus trace schedule sim)
set(may_differential trace schedule sim model)
# room -> the non-standard angle includes it may use (C library and POSIX headers count here).
set(angle_trace xxhash.h)
set(angle_schedule nlohmann/json.hpp)
set(angle_model "")
set(angle_sim "*")            # the simulator hosts Mosquitto: POSIX, OpenSSL, libc, anything
set(angle_report pcap/pcap.h)
set(angle_corpus "*")
set(angle_differential "*")

set(bad 0)
foreach(room IN LISTS rooms)
  if(NOT IS_DIRECTORY "${ROOT}/${room}")
    continue()
  endif()
  file(GLOB_RECURSE files RELATIVE "${ROOT}" "${ROOT}/${room}/*.h" "${ROOT}/${room}/*.hpp" "${ROOT}/${room}/*.cpp" "${ROOT}/${room}/*.c")
  list(SORT files)
  foreach(file IN LISTS files)
    get_filename_component(dir "${file}" DIRECTORY)
    set(line_no 0)
    # One list element per line: what a CMake list would read as a separator or an escape
    # (; [ ] \) is masked first, so line numbers stay true.
    file(READ "${ROOT}/${file}" content)
    string(REGEX REPLACE "[][;\\]" "_" content "${content}")
    string(REPLACE "\n" ";" all_lines "${content}")
    foreach(text IN LISTS all_lines)
      math(EXPR line_no "${line_no} + 1")
      if(NOT text MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"]")
        continue()
      endif()
      set(kind "${CMAKE_MATCH_1}")
      set(path "${CMAKE_MATCH_2}")
      set(why "")
      if(kind STREQUAL "<")
        if(path MATCHES "^[a-z_0-9]+$" OR "*" IN_LIST angle_${room} OR path IN_LIST angle_${room})
          continue()
        endif()
        set(why "<${path}> is not the standard library nor on ${room}/'s list of third-party headers")
      else()
        # Beside the including file first (as the compiler looks), then from the root.
        if(EXISTS "${ROOT}/${dir}/${path}")
          cmake_path(SET target NORMALIZE "${dir}/${path}")
        else()
          cmake_path(SET target NORMALIZE "${path}")
        endif()
        string(REGEX MATCH "^[^/]+" target_room "${target}")
        if(target_room STREQUAL room OR target_room IN_LIST may_${room})
          continue()
        endif()
        list(TRANSFORM may_${room} APPEND "/" OUTPUT_VARIABLE may)
        list(JOIN may " " may)
        set(why "\"${path}\" is in ${target_room}/; ${room}/ may include only ${room}/ ${may}")
      endif()
      message(NOTICE "${file}:${line_no}: forbidden include: ${why}")
      math(EXPR bad "${bad} + 1")
    endforeach()
  endforeach()
endforeach()
if(bad GREATER 0)
  message(FATAL_ERROR "check-includes: ${bad} forbidden include(s) (the rules: docs/architecture.md)")
endif()
message(STATUS "check-includes: every room includes only what it may")
