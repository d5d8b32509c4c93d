// Shims for libc calls that only some Mosquitto versions make (see broker_shim.cpp for the rules:
// thin translations into the live BrokerHost, no state of their own). Kept apart from
// broker_shim.cpp so that a version's quirk stays visible as one.
//
// write(): Mosquitto 2.0.11's net__write() writes to client sockets with write(); 2.0.21 uses
// send(..., MSG_NOSIGNAL). On a socket the two are the same call (the daemon ignores SIGPIPE in
// both versions, so MSG_NOSIGNAL changes nothing there): a write to a virtual fd is the
// simulator's send. Any other fd (none in the broker today) gets the real write().
#include <unistd.h>

#include <cassert>

#include "broker_host.h"

using mqsim::BrokerHost;

extern "C" ssize_t mqsim_write(int fd, const void* buf, size_t size) {
  BrokerHost* host = BrokerHost::current();
  assert(host != nullptr && "the broker ran without a BrokerHost");
  if (!host->is_virtual_fd(fd)) return write(fd, buf, size);
  return host->shim_send(fd, buf, size);
}
