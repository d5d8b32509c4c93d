// The virtual network: one byte stream each way per connection, delivered in virtual time, with
// the faults real networks have (latency, partitions that hold bytes, resets, half-close, short
// reads and writes). Both the broker shim and the scripted clients read and write through here;
// nothing in it touches a real socket.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "prng.h"

namespace mqsim {

// One direction of a connection.
class Pipe {
 public:
  // Appends bytes that become readable at `deliver_at_ms` (or later, while held).
  void write(const std::uint8_t* data, std::size_t size_bytes, std::uint64_t deliver_at_ms);
  // Bytes readable now (delivered, not held). Never more than max_bytes.
  std::size_t read(std::uint8_t* out, std::size_t max_bytes, std::uint64_t now_ms);
  std::size_t readable_bytes(std::uint64_t now_ms) const;
  bool has_undelivered() const { return !chunks_.empty(); }
  // When the oldest byte in flight is (or was) due, held or not; nullopt when the pipe is empty.
  std::optional<std::uint64_t> first_delivery_ms() const;
  // When the newest byte in flight is due; nullopt when the pipe is empty.
  std::optional<std::uint64_t> last_delivery_ms() const;
  // Drops the bytes that have arrived and were not read (a reader that closes drains first).
  void drop_readable(std::uint64_t now_ms);
  // Drops every byte in flight (a reader that no longer exists: its kernel discards them).
  void discard() { chunks_.clear(); }
  // Earliest future delivery time, if bytes are waiting for latency (not for a hold).
  std::optional<std::uint64_t> next_delivery_ms(std::uint64_t now_ms) const;

  bool held = false;        // a partition: nothing is delivered until released
  bool fin = false;         // the writer closed its side: EOF once the bytes are drained
  bool reset = false;       // connection reset: the reader gets ECONNRESET, bytes are lost
  // The writer closed with unread input of its own: Linux sends RST, not FIN (RFC 1122
  // 4.2.2.13). What was sent before still arrives and is read first; then ECONNRESET.
  bool reset_after_drain = false;

  // EOF is visible once the writer has closed and everything sent was read.
  bool at_eof() const { return fin && chunks_.empty() && !held; }
  // ECONNRESET is what the reader sees: at once for a reset, after the bytes for a closing RST.
  bool drained_reset() const { return reset || (reset_after_drain && chunks_.empty() && !held); }

 private:
  struct Chunk {
    std::vector<std::uint8_t> bytes;
    std::size_t offset = 0;
    std::uint64_t deliver_at_ms = 0;
  };
  std::deque<Chunk> chunks_;
};

// Per-connection fault knobs, set by schedules. 0 means "off".
struct LinkFaults {
  std::uint32_t latency_ms = 0;          // added to every delivery
  std::uint32_t short_io_percent = 0;    // chance that one read or write moves fewer bytes
};

struct Connection {
  std::uint32_t id = 0;                  // 1-based, in order of creation
  std::uint32_t client = 0;              // the scripted client that opened it
  std::uint16_t port = 0;                // the broker listener it targets
  int broker_fd = -1;                    // the broker's fd once accepted, -1 before
  bool accepted = false;
  bool broker_closed = false;            // the broker called close()
  bool client_closed = false;            // the client closed (normally or by crash)
  Pipe to_broker;
  Pipe to_client;
  LinkFaults faults;
  // Linux accepts a write to a peer that has closed (the broker's socket is in CLOSE_WAIT); the
  // bytes reach the closed socket, which answers with RST. When that RST reaches the broker:
  // from then on its sends fail with EPIPE (tcp_reset() in CLOSE_WAIT), epoll reports
  // EPOLLERR|EPOLLHUP, and reads still give what the client sent, then EOF.
  std::optional<std::uint64_t> rst_returned_ms;
  bool rst_error_taken = false;          // a send reported it (Linux clears sk_err: EPOLLERR goes)
  bool rst_arrived(std::uint64_t now_ms) const { return rst_returned_ms && *rst_returned_ms <= now_ms; }
};

class Network {
 public:
  static constexpr std::size_t kMaxConnections = 4096;

  // A client dials `port`; the connection waits in the listener's backlog until the broker
  // accepts it. Returns the connection id.
  std::uint32_t dial(std::uint32_t client, std::uint16_t port);
  Connection& at(std::uint32_t id);
  const Connection& at(std::uint32_t id) const;
  Connection* by_broker_fd(int fd);
  // The broker accepted `c` as `fd` (fds are never reused within a run).
  void accept_as(Connection& c, int fd);
  // The oldest connection to `port` not yet accepted.
  Connection* pending_for(std::uint16_t port);
  std::vector<Connection>& all() { return conns_; }
  const std::vector<Connection>& all() const { return conns_; }

  // How many bytes one read or write may move now: all of them, or (with short I/O faults) a
  // random non-zero part.
  std::size_t io_budget(Connection& c, std::size_t want_bytes, Prng& prng) const;

  // Bytes on their way to a client that has closed: once they can arrive (not held), the client
  // answers with RST, due at the broker one latency later, and the bytes are gone. Called
  // wherever such bytes appear or become deliverable: the client's close, the broker's send,
  // the end of a hold.
  static void answer_closed_client(Connection& c, std::uint64_t now_ms);

  // The earliest time any pipe will deliver bytes that are now in flight (or an RST arrives).
  std::optional<std::uint64_t> next_delivery_ms(std::uint64_t now_ms) const;

 private:
  std::vector<Connection> conns_;
  std::vector<std::uint32_t> conn_of_fd_;  // broker fd -> connection id (0: none): the broker asks per poll
};

}  // namespace mqsim
