# The programs linked with the fixed broker and its ablation variants (vendor/fixed-broker.cmake),
# and where mqsim_props finds them at run time (props/tolerance.cpp). Included by the top-level
# CMakeLists.txt once mqsim_cli and mqsim_props exist.
#
#   mqsim-fixed                          the mqsim program on the fixed broker: campaigns tolerate
#                                        a failing run iff it passes here (a persistent worker,
#                                        Worker::Program); `mqsim-fixed check` runs on it directly
#   ablation/mqsim-without-<cause>       every fix but <cause>'s: attribution by ablation
#
set(MQSIM_FIXED_PROGRAM "${CMAKE_BINARY_DIR}/mqsim-fixed")
set(MQSIM_ABLATION_DIR "${CMAKE_BINARY_DIR}/ablation")
mqsim_reference_program(mqsim_fixed mosquitto_broker_fixed "${MQSIM_FIXED_PROGRAM}")
add_dependencies(mqsim mqsim_fixed)   # a fixed broker in every build: campaigns need it

# Ablation variants, all built with `mqsim` (the default). Each recompiles only the files of the
# one fix it leaves out (the other patched objects are shared with the fixed broker,
# fixed-broker.cmake) and links one program: measured on 2.0.21 with 13 causes, the whole set
# (13 variants + mqsim-fixed) took 2m10s of CPU from a cold cache, most of it linking. Every
# campaign that tolerates attributes by ablation, so building them on demand would only move that
# cost into the first campaign (or leave attribution silently off when skipped).
add_custom_target(mqsim_ablation)
set(i 0)
foreach(cause IN LISTS MQSIM_FIXED_CAUSES)
  set(others ${MQSIM_FIXES})
  list(REMOVE_AT others ${i})
  math(EXPR i "${i} + 1")
  string(MAKE_C_IDENTIFIER "${cause}" id)
  mqsim_variant_broker(mosquitto_broker_without_${id} ${others})
  mqsim_reference_program(mqsim_without_${id} mosquitto_broker_without_${id} "${MQSIM_ABLATION_DIR}/mqsim-without-${cause}")
  add_dependencies(mqsim_ablation mqsim_without_${id})
endforeach()
add_dependencies(mqsim mqsim_ablation)

string(REPLACE ";" "," fixed_causes_define "${MQSIM_FIXED_CAUSES}")
set_property(SOURCE ${CMAKE_SOURCE_DIR}/props/tolerance.cpp APPEND PROPERTY COMPILE_DEFINITIONS
  "MQSIM_FIXED_PROGRAM=\"${MQSIM_FIXED_PROGRAM}\"" "MQSIM_ABLATION_DIR=\"${MQSIM_ABLATION_DIR}\""
  "MQSIM_FIXED_CAUSES=\"${fixed_causes_define}\"")
set_property(SOURCE ${CMAKE_SOURCE_DIR}/props/known_deviations.cpp APPEND PROPERTY COMPILE_DEFINITIONS
  "MQSIM_KNOWN_DEVIATIONS_DIR=\"${MQSIM_KNOWN_DEVIATIONS_DIR}\"")
