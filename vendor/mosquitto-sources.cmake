# The broker's translation units per Mosquitto version line, relative to the source tree, and the
# compile definitions the simulator builds them with. This is the one place where Mosquitto
# versions differ for the build; everything else is version-independent.
#
# Built like Mosquitto on Linux: WITH_EPOLL, so the event loop is the production one (events
# handled one at a time, in the order epoll reports them) and epoll_wait() is the loop's single
# blocking call, which the simulator turns into its yield point. (The poll() build differs: it
# handles all writes before all reads, and crashes at shutdown when a will is sent to a
# connected client, because mux__cleanup() has freed its pollfd array.)
# Left out on purpose: websockets, unix sockets.

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

# mqsim_mosquitto_sources(<tree> <version> <out-srcs> <out-defs> <out-includes>)
function(mqsim_mosquitto_sources tree version out_srcs out_defs out_incs)
  if(version VERSION_GREATER_EQUAL 2.0 AND version VERSION_LESS 2.1)
    set(line 2_0)
  else()
    message(FATAL_ERROR "mqsim: Mosquitto ${version} in ${tree} is not supported yet "
      "(supported: 2.0.x). Add its source list to vendor/mosquitto-sources.cmake.")
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
endfunction()
