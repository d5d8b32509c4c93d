# Builds the real `mosquitto` daemon from the SAME source tree the simulator compiles
# (MQSIM_MOSQUITTO_TREE: the fetched Debian source package, or -DMOSQUITTO_SOURCE_DIR), with
# Mosquitto's own CMake build, into <build>/_daemon. The TCP target and the differential check
# (sim/tcp_daemon.h, docs/real-daemon.md) start this binary: comparing the simulator with any
# other build of Mosquitto (Debian's /usr/sbin/mosquitto, say) would compare two different
# brokers.
#
# Nothing of Mosquitto is committed: the tree stays where it is, the build happens in the build
# directory. The build is re-run every time (BUILD_ALWAYS) so that an edited or patched tree is
# what gets tested; an up-to-date build costs a second.
#
# Produces: the target `mosquitto_daemon` and MQSIM_DAEMON_BINARY (the executable's path), and
# mqsim_planted_daemon() for a daemon with a planted bug.
include_guard(GLOBAL)
include(ExternalProject)

if(NOT DEFINED MQSIM_MOSQUITTO_TREE OR MQSIM_MOSQUITTO_TREE STREQUAL "")
  message(FATAL_ERROR "vendor/daemon.cmake: include it after vendor/ (MQSIM_MOSQUITTO_TREE is not set)")
endif()

set(MQSIM_DAEMON_BUILD_DIR "${CMAKE_BINARY_DIR}/_daemon")
set(MQSIM_DAEMON_BINARY "${MQSIM_DAEMON_BUILD_DIR}/src/mosquitto" CACHE INTERNAL "the mosquitto daemon built from MQSIM_MOSQUITTO_TREE")

# The broker as a Linux user builds it: TLS on (2.0.21's conf.c does not build without it), no
# docs, no cJSON (only the clients and the dynamic-security plugin need it), no clients, apps or
# plugins (the daemon is all we run), no unix sockets or websockets (the simulator has neither).
set(MQSIM_DAEMON_CMAKE_ARGS
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DWITH_TLS=ON
    -DDOCUMENTATION=OFF
    -DWITH_CJSON=OFF
    -DWITH_CLIENTS=OFF
    -DWITH_APPS=OFF
    -DWITH_PLUGINS=OFF
    -DWITH_UNIX_SOCKETS=OFF
    -DWITH_WEBSOCKETS=OFF
    -DWITH_SRV=OFF
    -DWITH_SYSTEMD=OFF
    # 2.1.x's names for the same choices (unknown options are ignored by 2.0.x)
    -DWITH_DOCS=OFF
    -DWITH_TESTS=OFF
    -DWITH_HTTP_API=OFF
    -DWITH_CTRL_SHELL=OFF
    -DWITH_LTO=OFF)
ExternalProject_Add(mosquitto_daemon
  SOURCE_DIR "${MQSIM_MOSQUITTO_TREE}"
  BINARY_DIR "${MQSIM_DAEMON_BUILD_DIR}"
  CMAKE_ARGS ${MQSIM_DAEMON_CMAKE_ARGS}
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target mosquitto
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  BUILD_BYPRODUCTS "${MQSIM_DAEMON_BINARY}"
  LOG_CONFIGURE ON
  LOG_BUILD ON
  LOG_OUTPUT_ON_FAILURE ON)

# mqsim_planted_daemon(<name> <plant file>): the daemon built from a COPY of the tree with one
# planted bug (tests/planted/*.plant, applied by tests/planted/apply-plant.cmake), the daemon's
# counterpart of mqsim_planted_broker() (vendor/CMakeLists.txt). The copy is remade when the
# plant or the planted file changes. Produces the target mosquitto_daemon_<name> and sets
# MQSIM_PLANTED_DAEMON_<name> (the executable's path) in the caller's scope.
function(mqsim_planted_daemon name plant)
  file(STRINGS "${plant}" file_line REGEX "^file ")
  string(REGEX REPLACE "^file " "" rel "${file_line}")
  set(dir "${CMAKE_BINARY_DIR}/_daemon_planted/${name}")
  # The copy and the plant are the "download" step, remade when the plant or the file changes.
  ExternalProject_Add(mosquitto_daemon_${name}
    SOURCE_DIR "${dir}/tree"
    BINARY_DIR "${dir}/build"
    DOWNLOAD_COMMAND ${CMAKE_COMMAND} -E rm -rf ${dir}/tree
      COMMAND ${CMAKE_COMMAND} -E copy_directory ${MQSIM_MOSQUITTO_TREE} ${dir}/tree
      COMMAND ${CMAKE_COMMAND} -DPLANT=${plant} -DTREE=${dir}/tree -P ${CMAKE_SOURCE_DIR}/tests/planted/apply-plant.cmake
    CMAKE_ARGS ${MQSIM_DAEMON_CMAKE_ARGS}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target mosquitto
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    BUILD_BYPRODUCTS "${dir}/build/src/mosquitto"
    LOG_DOWNLOAD ON
    LOG_CONFIGURE ON
    LOG_BUILD ON
    LOG_OUTPUT_ON_FAILURE ON)
  ExternalProject_Add_StepDependencies(mosquitto_daemon_${name} download ${plant} ${MQSIM_MOSQUITTO_TREE}/${rel}
    ${CMAKE_SOURCE_DIR}/tests/planted/apply-plant.cmake)
  set(MQSIM_PLANTED_DAEMON_${name} "${dir}/build/src/mosquitto" PARENT_SCOPE)
endfunction()
