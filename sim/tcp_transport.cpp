// Real loopback TCP for scripted clients: see tcp_transport.h.
#include "tcp_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <thread>

namespace mqsim {
namespace {

// Mosquitto leaves Nagle's algorithm on by default (set_tcp_nodelay false): a small write that
// follows an unacknowledged one waits for our ACK, and Linux delays ACKs by 40 ms or more. Two
// packets the broker sends in one loop pass (SUBACK, then a retained PUBLISH) would then arrive
// 40 ms apart, after the quiet period has ended the instant. The simulated network delivers at
// once; a client that acknowledges at once (TCP_QUICKACK, which the kernel clears again, so it
// is set after every read) keeps the real broker's own configuration and behaves the same.
void quick_ack(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

}  // namespace

void RealClock::start(bool align_to_second) {
  assert(!started_);
  if (align_to_second) {
    // Sleep to just past the next whole CLOCK_REALTIME second: Mosquitto's broker reads its
    // seconds from CLOCK_REALTIME (mosquitto_time() with mosquitto_time_init() never called).
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    const auto into_second = wall % std::chrono::seconds(1);
    std::this_thread::sleep_for(std::chrono::seconds(1) - into_second + std::chrono::milliseconds(2));
  }
  t0_ = std::chrono::steady_clock::now();
  started_ = true;
  sync();
}

void RealClock::sync() const {
  if (!started_) {
    now_ms_ = 0;
    return;
  }
  const auto since = std::chrono::steady_clock::now() - t0_;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
  assert(ms >= 0);
  // Never backwards: a trace's times only grow.
  now_ms_ = std::max(now_ms_, static_cast<std::uint64_t>(ms));
}

TcpTransport::TcpTransport(std::string host, std::map<std::uint16_t, std::uint16_t> ports, std::uint16_t any_port, const RealClock& clock)
    : host_(std::move(host)), ports_(std::move(ports)), any_port_(any_port), clock_(clock) {
  // An empty map with no any_port is allowed: every dial is then refused (a daemon that failed
  // to start), which clients see as a reset.
  for (const auto& [from, to] : ports_) assert(from != 0 && to != 0);
}

TcpTransport::~TcpTransport() {
  for (auto& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }
}

TcpTransport::Conn& TcpTransport::at(std::uint32_t conn) {
  assert(conn >= 1 && conn <= conns_.size());
  return conns_[conn - 1];
}

const TcpTransport::Conn& TcpTransport::at(std::uint32_t conn) const {
  assert(conn >= 1 && conn <= conns_.size());
  return conns_[conn - 1];
}

int TcpTransport::connect_to(std::uint16_t real_port, std::string* error) const {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(real_port);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    *error = "not an IPv4 address: " + host_;
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // packets leave when written
  // A blocking connect: on loopback it completes (or is refused) at once.
  int rc;
  do rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    *error = "connect " + host_ + ":" + std::to_string(real_port) + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  quick_ack(fd);
  return fd;
}

std::uint32_t TcpTransport::dial(std::uint32_t client, std::uint16_t port) {
  assert(client >= 1);
  assert(conns_.size() < kMaxConnections && "connection budget of a run exhausted");
  clock_.sync();
  Conn c;
  std::uint16_t real_port = any_port_;
  if (real_port == 0) {
    auto it = ports_.find(port);
    if (it != ports_.end()) real_port = it->second;
  }
  if (real_port == 0) c.dial_error = "no listener on port " + std::to_string(port) + " in the broker's config";
  else c.fd = connect_to(real_port, &c.dial_error);
  // A refused dial looks like a reset to the client: its next read ends the connection.
  c.reset = c.fd < 0;
  conns_.push_back(std::move(c));
  return static_cast<std::uint32_t>(conns_.size());
}

const std::string& TcpTransport::dial_error(std::uint32_t conn) const { return at(conn).dial_error; }

SendState TcpTransport::send_state(std::uint32_t conn) const {
  clock_.sync();
  const Conn& c = at(conn);
  if (c.reset) return SendState::Reset;
  return c.shut ? SendState::Shut : SendState::Open;
}

void TcpTransport::write(std::uint32_t conn, const std::uint8_t* data, std::size_t size_bytes) {
  Conn& c = at(conn);
  assert(!c.reset && !c.shut);
  assert(c.fd >= 0);
  c.outbox.insert(c.outbox.end(), data, data + size_bytes);
  if (!c.held) flush_one(c);
}

bool TcpTransport::flush_one(Conn& c) {
  bool moved = false;
  while (!c.outbox.empty() && c.fd >= 0) {
    const ssize_t n = ::send(c.fd, c.outbox.data(), c.outbox.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.outbox.erase(c.outbox.begin(), c.outbox.begin() + n);
      moved = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // The broker is gone (EPIPE, ECONNRESET): the bytes are lost, as bytes written to a
    // connection the simulated broker closed are never read. Reading tells the client how it
    // ended.
    c.outbox.clear();
  }
  return moved;
}

bool TcpTransport::flush() {
  bool moved = false;
  for (auto& c : conns_) {
    if (!c.held && !c.outbox.empty()) moved |= flush_one(c);
  }
  return moved;
}

std::size_t TcpTransport::read(std::uint32_t conn, std::uint8_t* out, std::size_t max_bytes) {
  Conn& c = at(conn);
  if (c.held || c.fd < 0 || c.eof || c.reset || max_bytes == 0) return 0;
  for (;;) {
    const ssize_t n = ::recv(c.fd, out, max_bytes, MSG_DONTWAIT);
    if (n > 0) {
      assert(static_cast<std::size_t>(n) <= max_bytes);
      quick_ack(c.fd);
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      c.eof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) c.reset = true;  // ECONNRESET and kin
    return 0;
  }
}

bool TcpTransport::peer_reset(std::uint32_t conn) const {
  const Conn& c = at(conn);
  return c.reset && !c.held;
}

bool TcpTransport::peer_eof(std::uint32_t conn) const {
  const Conn& c = at(conn);
  return c.eof && !c.held;
}

void TcpTransport::close(std::uint32_t conn, CloseHow how) {
  clock_.sync();
  Conn& c = at(conn);
  c.shut = true;
  if (c.held && how != CloseHow::Reset) {
    // The FIN is held by the partition like any other byte; a later close replaces a
    // half-close.
    c.deferred = how;
    return;
  }
  finish_close(c, how);
}

// Reads and drops what the broker sent that the client never read: Linux answers a close()
// with unread input by RST instead of FIN, and the simulated client's close is a FIN.
void TcpTransport::drain_input(Conn& c) {
  std::uint8_t sink[4096];
  for (int rounds = 0; rounds < 4096; ++rounds) {
    const ssize_t n = ::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

void TcpTransport::finish_close(Conn& c, CloseHow how) {
  c.deferred.reset();
  if (c.fd < 0) return;
  if (how == CloseHow::Reset) {
    const linger hard{1, 0};  // close() now sends RST and drops unsent bytes
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(c.fd);
    c.fd = -1;
    c.reset = true;
    c.outbox.clear();
    return;
  }
  // What the client wrote before closing must leave first (a DISCONNECT, say).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCloseFlushBoundMs);
  while (flush_one(c) || (!c.outbox.empty() && std::chrono::steady_clock::now() < give_up)) {
    pollfd p{c.fd, POLLOUT, 0};
    poll(&p, 1, 10);
  }
  if (how == CloseHow::HalfClose) {
    shutdown(c.fd, SHUT_WR);
    return;
  }
  if (!c.eof && !c.reset) drain_input(c);
  ::close(c.fd);
  c.fd = -1;
}

void TcpTransport::hold(std::uint32_t conn, bool on) {
  Conn& c = at(conn);
  c.held = on;
  if (on) return;
  flush_one(c);
  if (c.deferred) finish_close(c, *c.deferred);
  assert(!c.deferred);
}

void TcpTransport::wait(std::uint32_t timeout_ms, int extra_fd) const {
  std::vector<pollfd> fds;
  fds.reserve(conns_.size() + 1);
  for (const auto& c : conns_) {
    if (c.fd < 0 || c.held) continue;
    short events = 0;
    // A socket at EOF or reset is always readable: watching it would spin.
    if (!c.eof && !c.reset) events |= POLLIN;
    if (!c.outbox.empty()) events |= POLLOUT;
    if (events != 0) fds.push_back({c.fd, events, 0});
  }
  if (extra_fd >= 0) fds.push_back({extra_fd, POLLIN, 0});
  if (fds.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  poll(fds.data(), fds.size(), static_cast<int>(timeout_ms));
}

}  // namespace mqsim
