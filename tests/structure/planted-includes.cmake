# The include check (check-includes.cmake) must fail on a forbidden include: each rule of
# docs/architecture.md is broken once, alone, in a scratch tree, and the check must exit non-zero
# naming the file and line; the same tree without the planted line must pass (so the check does
# not simply fail on everything).
#   cmake -DCHECKER=tests/structure/check-includes.cmake -DSCRATCH=<empty dir> -P tests/structure/planted-includes.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var CHECKER SCRATCH)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "planted-includes: set -D${var}=")
  endif()
endforeach()

# A small clean tree: every room uses what it may. Lines with ; [ ] \ come before the includes,
# so a wrong line count would show.
function(write_clean_tree root)
  file(REMOVE_RECURSE "${root}")
  file(WRITE "${root}/trace/trace.h" "#pragma once\n#include <vector>\n#include <xxhash.h>\n#include \"mqtt/packet.h\"\n")
  file(WRITE "${root}/trace/mqtt/packet.h" "#pragma once\nint a[2] = {1, 2}; // a \\\n#include <string>\n")
  file(WRITE "${root}/schedule/schedule.h" "#pragma once\n#include <nlohmann/json.hpp>\n#include \"trace/mqtt/packet.h\"\n")
  file(WRITE "${root}/model/checker.h" "#pragma once\n#include \"trace/trace.h\"\n")
  file(WRITE "${root}/sim/sim.h" "#pragma once\n#include <unistd.h>\n#include \"schedule/schedule.h\"\n#include \"trace/trace.h\"\n")
  file(WRITE "${root}/differential/diff.cpp" "#include \"model/checker.h\"\n#include \"sim/sim.h\"\n")
  file(WRITE "${root}/props/campaign.cpp" "#include \"differential/diff.cpp\"\n")
endfunction()

function(run_check root out_rc out_err)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -P ${CHECKER} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  set(${out_rc} ${rc} PARENT_SCOPE)
  set(${out_err} "${err}" PARENT_SCOPE)
endfunction()

set(root "${SCRATCH}/tree")
write_clean_tree("${root}")
run_check("${root}" rc err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "planted-includes: the clean tree must pass, got ${rc}:\n${err}")
endif()

# file | a first line | the forbidden include (on line 2) | the rule it breaks
set(plants
  "trace/mqtt/topic.h|model/ is above trace/|#include \"model/checker.h\""
  "trace/trace.cpp|a third-party header trace/ has not listed|#include <nlohmann/json.hpp>"
  "model/check_walk.cpp|the model never sees the simulator|#include \"sim/sim.h\""
  "model/check_end.cpp|nor a schedule|#include \"schedule/schedule.h\""
  "sim/sim.cpp|the simulator never judges|#include \"model/checker.h\""
  "sim/client.h|nor reaches a consumer|#include \"../differential/diff.cpp\""
  "schedule/schedule.cpp|a schedule knows nothing of who plays it|#include \"sim/sim.h\""
)
set(caught 0)
foreach(plant IN LISTS plants)
  string(REPLACE "|" ";" parts "${plant}")
  list(GET parts 0 file)
  list(GET parts 1 why)
  list(GET parts 2 include)
  write_clean_tree("${root}")
  file(WRITE "${root}/${file}" "// ${why}\n${include}\n")
  run_check("${root}" rc err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "planted-includes: ${file}: ${include} (${why}) was not caught")
  endif()
  string(FIND "${err}" "${file}:2: forbidden include" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "planted-includes: ${file}: caught, but the report does not name ${file}:2:\n${err}")
  endif()
  math(EXPR caught "${caught} + 1")
endforeach()
# Line numbers stay true after empty lines and the characters a CMake list reads specially.
write_clean_tree("${root}")
file(WRITE "${root}/model/rules.cpp" "// the model never sees the simulator\n\nint a[1]; int b; // [ \\\n\n#include \"sim/sim.h\"\n")
run_check("${root}" rc err)
string(FIND "${err}" "model/rules.cpp:5: forbidden include" at)
if(rc EQUAL 0 OR at EQUAL -1)
  message(FATAL_ERROR "planted-includes: model/rules.cpp line 5 not reported as such (${rc}):\n${err}")
endif()
math(EXPR caught "${caught} + 1")
file(REMOVE_RECURSE "${root}")
message(STATUS "planted-includes: ${caught} forbidden includes planted, ${caught} caught with file and line")
