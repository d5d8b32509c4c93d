# The broker's translation units per Mosquitto version line, relative to the source tree, and the
# compile definitions the simulator builds them with. This is the one place where Mosquitto
# versions differ for the build; everything else is version-independent.
#
# Built like Mosquitto on Linux: WITH_EPOLL, so the event loop is the production one (events
# handled one at a time, in the order epoll reports them) and epoll_wait() is the loop's single
# blocking call, which the simulator turns into its yield point. (The poll() build differs: it
# handles all writes before all reads, and crashes at shutdown when a will is sent to a
# connected client, because mux__cleanup() has freed its pollfd array.)
# Left out on purpose: websockets, unix sockets (and, from 2.1, the HTTP API, PROXY protocol
# listeners are compiled but unused, SOCKS and SRV are client-only).

set(MQSIM_MOSQ_SRCS_2_0
  lib/alias_mosq.c src/bridge.c src/bridge_topic.c src/conf.c src/conf_includedir.c src/context.c
  src/control.c src/database.c src/handle_auth.c src/handle_connack.c src/handle_connect.c
  src/handle_disconnect.c lib/handle_ping.c lib/handle_pubackcomp.c src/handle_publish.c
  lib/handle_pubrec.c lib/handle_pubrel.c lib/handle_suback.c src/handle_subscribe.c
  lib/handle_unsuback.c src/handle_unsubscribe.c src/keepalive.c src/logging.c src/loop.c
  lib/memory_mosq.c src/memory_public.c src/mosquitto.c lib/misc_mosq.c src/mux.c src/mux_epoll.c src/mux_poll.c
  src/net.c lib/net_mosq_ocsp.c lib/net_mosq.c lib/packet_datatypes.c lib/packet_mosq.c
  src/password_mosq.c src/persist_read_v234.c src/persist_read_v5.c src/persist_read.c
  src/persist_write_v5.c src/persist_write.c src/plugin.c src/plugin_public.c
  src/property_broker.c lib/property_mosq.c src/read_handle.c src/retain.c src/security.c
  src/security_default.c lib/send_mosq.c src/send_auth.c src/send_connack.c lib/send_connect.c
  lib/send_disconnect.c lib/send_publish.c src/send_suback.c src/signals.c lib/send_subscribe.c
  src/send_unsuback.c lib/send_unsubscribe.c src/session_expiry.c lib/strings_mosq.c src/subs.c
  src/sys_tree.c lib/time_mosq.c lib/tls_mosq.c src/topic_tok.c lib/util_mosq.c lib/util_topic.c
  lib/utf8_mosq.c src/will_delay.c lib/will_mosq.c)

set(MQSIM_MOSQ_DEFS_2_0
  CMAKE WITH_BROKER WITH_TLS WITH_TLS_PSK WITH_EC OPENSSL_API_COMPAT=0x10100000L WITH_BRIDGE
  WITH_PERSISTENCE WITH_SYS_TREE WITH_CONTROL WITH_MEMORY_TRACKING WITH_EPOLL)

set(MQSIM_MOSQ_INCLUDES_2_0 . src include lib deps)

# 2.1.x: the common code moved into libcommon/ (memory, strings, topics, properties, time,
# random, UTF-8, cJSON helpers), the broker's authentication/ACL files became built-in plugins
# (plugins/acl-file, plugins/password-file), and plugin callbacks were split into plugin_*.c.
# List taken from 2.1.2's src/CMakeLists.txt (add_executable(mosquitto ...)) and
# libcommon/CMakeLists.txt; http_api.c (needs libmicrohttpd) and xtreport.c (debug reports)
# are left out, as the Debian build without those libraries does.
set(MQSIM_MOSQ_SRCS_2_1
  src/acl_file.c plugins/acl-file/acl_check.c plugins/acl-file/acl_parse.c lib/alias_mosq.c
  src/bridge.c src/bridge_topic.c src/broker_control.c src/conf.c src/conf_includedir.c
  src/context.c src/control.c src/control_common.c src/database.c src/handle_auth.c
  src/handle_connack.c src/handle_connect.c src/handle_disconnect.c lib/handle_ping.c
  lib/handle_pubackcomp.c src/handle_publish.c lib/handle_pubrec.c lib/handle_pubrel.c
  lib/handle_suback.c src/handle_subscribe.c lib/handle_unsuback.c src/handle_unsubscribe.c
  src/http_serv.c common/json_help.c src/keepalive.c src/listeners.c src/logging.c src/loop.c
  src/mosquitto.c src/mux.c src/mux_epoll.c src/mux_kqueue.c src/mux_poll.c src/net.c
  lib/net_mosq_ocsp.c lib/net_mosq.c lib/net_ws.c lib/packet_datatypes.c lib/packet_mosq.c
  src/password_file.c plugins/password-file/password_check.c
  plugins/password-file/password_parse.c src/persist_read_v234.c src/persist_read_v5.c
  src/persist_read.c src/persist_write_v5.c src/persist_write.c src/plugin_callbacks.c
  src/plugin_v5.c src/plugin_v4.c src/plugin_v3.c src/plugin_v2.c src/plugin_init.c
  src/plugin_cleanup.c src/plugin_persist.c src/plugin_acl_check.c src/plugin_basic_auth.c
  src/plugin_connect.c src/plugin_disconnect.c src/plugin_client_offline.c
  src/plugin_extended_auth.c src/plugin_message.c src/plugin_psk_key.c src/plugin_public.c
  src/plugin_reload.c src/plugin_subscribe.c src/plugin_tick.c src/plugin_unsubscribe.c
  src/property_broker.c src/proxy_v1.c src/proxy_v2.c lib/property_mosq.c src/psk_file.c
  src/read_handle.c src/retain.c src/security_default.c lib/send_mosq.c src/send_auth.c
  src/send_connack.c lib/send_connect.c lib/send_disconnect.c lib/send_publish.c
  src/send_suback.c src/signals.c lib/send_subscribe.c src/send_unsuback.c
  lib/send_unsubscribe.c src/session_expiry.c src/subs.c src/sys_tree.c lib/tls_mosq.c
  src/topic_tok.c lib/util_mosq.c src/watchdog.c src/websockets.c src/will_delay.c
  lib/will_mosq.c
  libcommon/base64_common.c libcommon/cjson_common.c libcommon/file_common.c
  libcommon/memory_common.c libcommon/mqtt_common.c libcommon/password_common.c
  libcommon/property_common.c libcommon/random_common.c libcommon/strings_common.c
  libcommon/time_common.c libcommon/topic_common.c libcommon/utf8_common.c)

# As 2.1.2's CMake build on Linux defines them for the broker and libcommon (WITH_THREADING is
# defined project-wide but only changes the client library, not WITH_BROKER code).
set(MQSIM_MOSQ_DEFS_2_1
  CMAKE WITH_BROKER WITH_TLS WITH_TLS_PSK OPENSSL_API_COMPAT=0x10100000L WITH_BRIDGE
  WITH_PERSISTENCE WITH_SYS_TREE WITH_CONTROL WITH_MEMORY_TRACKING WITH_EPOLL WITH_THREADING)

set(MQSIM_MOSQ_INCLUDES_2_1 . src include lib libcommon common deps)

# Libraries the broker objects call besides libc/OpenSSL are read from the tree itself (a source
# that includes the library's header needs it), not from the version number: a 2.0 tree patched
# to use cJSON, or a 2.1 tree without it, gets what it includes. "<name>|<header regex>|<Debian
# package>" (vendor/CMakeLists.txt finds the library; ./mqsim installs the package).
# cJSON (2.1): it allocates through mosquitto_malloc (main() installs the hooks), so its memory
# is in the per-run arena too.
set(MQSIM_MOSQ_OPTIONAL_LIBS "cjson|#[ \t]*include[ \t]*[<\"](cjson/)?cJSON\\.h[>\"]|libcjson-dev")

# mqsim_mosquitto_libs(<sources> <out-libs>): the names of MQSIM_MOSQ_OPTIONAL_LIBS some source
# includes.
function(mqsim_mosquitto_libs srcs out_libs)
  set(libs)
  foreach(entry IN LISTS MQSIM_MOSQ_OPTIONAL_LIBS)
    string(REPLACE "|" ";" fields "${entry}")
    list(GET fields 0 name)
    list(GET fields 1 header_re)
    foreach(src IN LISTS srcs)
      file(STRINGS "${src}" hits REGEX "${header_re}" LIMIT_COUNT 1)
      if(hits)
        list(APPEND libs ${name})
        break()
      endif()
    endforeach()
  endforeach()
  set(${out_libs} ${libs} PARENT_SCOPE)
endfunction()

# mqsim_mosquitto_lib_package(<lib> <out-package>): the Debian package that provides <lib>.
function(mqsim_mosquitto_lib_package lib out_package)
  set(${out_package} "" PARENT_SCOPE)
  foreach(entry IN LISTS MQSIM_MOSQ_OPTIONAL_LIBS)
    string(REPLACE "|" ";" fields "${entry}")
    list(GET fields 0 name)
    if(name STREQUAL lib)
      list(GET fields 2 package)
      set(${out_package} ${package} PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

# mqsim_mosquitto_sources(<tree> <version> <out-srcs> <out-defs> <out-includes> <out-libs>)
function(mqsim_mosquitto_sources tree version out_srcs out_defs out_incs out_libs)
  if(version VERSION_GREATER_EQUAL 2.0 AND version VERSION_LESS 2.1)
    set(line 2_0)
  elseif(version VERSION_GREATER_EQUAL 2.1 AND version VERSION_LESS 2.2)
    set(line 2_1)
  else()
    message(FATAL_ERROR "mqsim: Mosquitto ${version} in ${tree} is not supported yet "
      "(supported: 2.0.x, 2.1.x). Add its source list to vendor/mosquitto-sources.cmake.")
  endif()
  set(srcs)
  foreach(rel IN LISTS MQSIM_MOSQ_SRCS_${line})
    if(NOT EXISTS "${tree}/${rel}")
      message(FATAL_ERROR "mqsim: ${tree} is missing ${rel}, which Mosquitto ${version} has. "
        "Is it a complete Mosquitto source tree?")
    endif()
    list(APPEND srcs "${tree}/${rel}")
  endforeach()
  set(incs)
  foreach(rel IN LISTS MQSIM_MOSQ_INCLUDES_${line})
    list(APPEND incs "${tree}/${rel}")
  endforeach()
  set(${out_srcs} ${srcs} PARENT_SCOPE)
  set(${out_defs} ${MQSIM_MOSQ_DEFS_${line}} "VERSION=\"${version}\"" PARENT_SCOPE)
  set(${out_incs} ${incs} PARENT_SCOPE)
  mqsim_mosquitto_libs("${srcs}" libs)
  set(${out_libs} ${libs} PARENT_SCOPE)
endfunction()
