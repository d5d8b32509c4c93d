# Which planted bug (tests/planted/*.plant) applies to the Mosquitto tree of this build, for the
# simulator matrix (tests/CMakeLists.txt) and the planted daemon (vendor/daemon.cmake) alike.
#
# A plant is named by its file: <name>.plant, written against 2.0.21. Where a Mosquitto line moved
# the line a plant finds, the plant has a form per version line beside it, <name>.<major>.<minor>.plant
# (same format; e.g. no-local-ignored.2.1.plant), used for every tree of that line. A plant file
# may say which release it was written for in a comment, "# written for 2.1.2" (default 2.0.21).
#
# mqsim_plant_select(<name> <out>) sets <out> to the plant file to use, or to "" when the plant is
# skipped, with one configure message saying so. A plant that does not apply to the fetched
# Debian tree of the very release it was written for is a configure error: the plant has rotted,
# and testing an unplanted broker would prove nothing. On any other tree (another release, or a
# tree of your own through MOSQUITTO_SOURCE_DIR, which may be patched there) it is skipped.
include_guard(GLOBAL)
set(MQSIM_PLANTED_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "")
set(MQSIM_PLANTS_WRITTEN_FOR 2.0.21)

# mqsim_plant_names(<out>): every plant's name (the base names, without version forms).
function(mqsim_plant_names out)
  file(GLOB plants CONFIGURE_DEPENDS ${MQSIM_PLANTED_DIR}/*.plant)
  set(names)
  foreach(plant IN LISTS plants)
    get_filename_component(name ${plant} NAME_WE)   # no-local-ignored.2.1.plant -> no-local-ignored
    list(APPEND names ${name})
  endforeach()
  list(REMOVE_DUPLICATES names)
  list(SORT names)
  set(${out} ${names} PARENT_SCOPE)
endfunction()

# mqsim_plant_applies(<plant file> <out>): TRUE when its `find` line is in the tree exactly once.
function(mqsim_plant_applies plant out)
  # Read as apply-plant.cmake does (foreach unescapes the ';' a C line usually ends with).
  file(STRINGS "${plant}" lines)
  set(rel "")
  set(find "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^file (.+)$")
      set(rel "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^find (.*)$")
      set(find "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  string(REPLACE "\\t" "\t" find "${find}")
  set(${out} FALSE PARENT_SCOPE)
  if(rel STREQUAL "" OR NOT EXISTS "${MQSIM_MOSQUITTO_TREE}/${rel}")
    return()
  endif()
  file(READ "${MQSIM_MOSQUITTO_TREE}/${rel}" content)
  string(REPLACE "\n${find}\n" "@@MQSIM_PLANT@@" marked "${content}")
  string(REGEX MATCHALL "@@MQSIM_PLANT@@" hits "${marked}")
  list(LENGTH hits count)
  if(count EQUAL 1)
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()

# mqsim_plant_written_for(<plant file> <out>): the release named by "# written for X.Y.Z".
function(mqsim_plant_written_for plant out)
  file(STRINGS "${plant}" lines REGEX "^# written for [0-9]+\\.[0-9]+\\.[0-9]+")
  set(version ${MQSIM_PLANTS_WRITTEN_FOR})
  if(lines)
    list(GET lines 0 first)
    string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" version "${first}")
  endif()
  set(${out} ${version} PARENT_SCOPE)
endfunction()

function(mqsim_plant_select name out)
  # Decided once per configure, so a plant used twice (simulator and daemon) says it once.
  get_property(decided GLOBAL PROPERTY MQSIM_PLANT_${name} SET)
  if(decided)
    get_property(plant GLOBAL PROPERTY MQSIM_PLANT_${name})
    set(${out} "${plant}" PARENT_SCOPE)
    return()
  endif()
  mqsim_plant_decide(${name} plant)
  set_property(GLOBAL PROPERTY MQSIM_PLANT_${name} "${plant}")
  set(${out} "${plant}" PARENT_SCOPE)
endfunction()

function(mqsim_plant_decide name out)
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" line "${MQSIM_MOSQUITTO_VERSION}")
  set(plant "${MQSIM_PLANTED_DIR}/${name}.${line}.plant")
  if(NOT EXISTS "${plant}")
    set(plant "${MQSIM_PLANTED_DIR}/${name}.plant")
  endif()
  set(${out} "${plant}" PARENT_SCOPE)
  mqsim_plant_applies("${plant}" applies)
  if(applies)
    return()
  endif()
  get_filename_component(file_name "${plant}" NAME)
  mqsim_plant_written_for("${plant}" written_for)
  if(MOSQUITTO_SOURCE_DIR STREQUAL "" AND MQSIM_MOSQUITTO_VERSION VERSION_EQUAL written_for)
    message(FATAL_ERROR "mqsim: planted bug ${file_name} does not apply to Mosquitto "
      "${MQSIM_MOSQUITTO_VERSION}, the release it was written for: its `find` line is not in "
      "the tree exactly once. Update the plant (tests/planted/plants.cmake says how).")
  endif()
  set(${out} "" PARENT_SCOPE)
  message(STATUS "mqsim: planted bug ${name} skipped: the line ${file_name} finds "
    "(written for ${written_for}) is not in this Mosquitto ${MQSIM_MOSQUITTO_VERSION} tree exactly once")
endfunction()
