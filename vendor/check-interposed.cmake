# Fails the build when the interposed broker object still calls a C library function the
# simulator must own (a new Mosquitto version may call one we do not redirect yet). Being loud
# here beats a run that quietly opens a real socket or reads the real clock.
execute_process(COMMAND ${NM} -u ${OBJ} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${OBJ}")
endif()
set(forbidden socket bind listen accept accept4 connect recv recvfrom write writev sendto sendmsg
  select epoll_wait epoll_create epoll_create1 poll clock_gettime time gettimeofday
  getrandom random rand srandom fork vfork setuid setgid sleep usleep nanosleep pthread_create
  malloc calloc realloc free strdup strndup fopen open fsync shutdown getpwuid getpwuid_r getgrgid_r
  printf fprintf vfprintf vprintf puts putchar fputs fputc putc fwrite perror)
foreach(sym IN LISTS forbidden)
  string(REGEX MATCH "(^|\n) +U ${sym}(\n|$)" hit "${undefined}")
  if(hit)
    message(FATAL_ERROR "mqsim: the broker object calls ${sym}() directly; add it to "
      "vendor/interpose.syms and sim/broker_shim.cpp")
  endif()
endforeach()
