// Virtual network: see net.h. Deterministic by construction: no clocks, no real I/O; every random
// choice takes the run's Prng.
#include "net.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace mqsim {

void Pipe::write(const std::uint8_t* data, std::size_t size_bytes, std::uint64_t deliver_at_ms) {
  assert(!fin && !reset_after_drain && "write after the writer closed");
  if (reset || size_bytes == 0) return;
  Chunk chunk;
  chunk.bytes.assign(data, data + size_bytes);
  chunk.deliver_at_ms = deliver_at_ms;
  // Delivery is in order: a chunk never overtakes the one before it, even with varying latency.
  if (!chunks_.empty()) chunk.deliver_at_ms = std::max(chunk.deliver_at_ms, chunks_.back().deliver_at_ms);
  chunks_.push_back(std::move(chunk));
}

std::size_t Pipe::readable_bytes(std::uint64_t now_ms) const {
  if (held || reset) return 0;
  std::size_t total = 0;
  for (const auto& c : chunks_) {
    if (c.deliver_at_ms > now_ms) break;
    total += c.bytes.size() - c.offset;
  }
  return total;
}

std::size_t Pipe::read(std::uint8_t* out, std::size_t max_bytes, std::uint64_t now_ms) {
  if (held || reset) return 0;
  std::size_t copied = 0;
  while (copied < max_bytes && !chunks_.empty() && chunks_.front().deliver_at_ms <= now_ms) {
    Chunk& c = chunks_.front();
    const std::size_t n = std::min(max_bytes - copied, c.bytes.size() - c.offset);
    std::memcpy(out + copied, c.bytes.data() + c.offset, n);
    copied += n;
    c.offset += n;
    if (c.offset == c.bytes.size()) chunks_.pop_front();
  }
  assert(copied <= max_bytes);
  return copied;
}

std::optional<std::uint64_t> Pipe::next_delivery_ms(std::uint64_t now_ms) const {
  if (held || reset || chunks_.empty()) return std::nullopt;
  const std::uint64_t t = chunks_.front().deliver_at_ms;
  return t > now_ms ? std::optional(t) : std::nullopt;
}

std::optional<std::uint64_t> Pipe::first_delivery_ms() const {
  if (chunks_.empty()) return std::nullopt;
  return chunks_.front().deliver_at_ms;
}

std::optional<std::uint64_t> Pipe::last_delivery_ms() const {
  if (chunks_.empty()) return std::nullopt;
  return chunks_.back().deliver_at_ms;
}

void Pipe::drop_readable(std::uint64_t now_ms) {
  if (held || reset) return;
  while (!chunks_.empty() && chunks_.front().deliver_at_ms <= now_ms) chunks_.pop_front();
}

void Network::answer_closed_client(Connection& c, std::uint64_t now_ms) {
  if (!c.client_closed || c.to_client.reset || c.to_client.held || c.rst_returned_ms) return;
  const auto first = c.to_client.first_delivery_ms();
  if (!first) return;
  // The RST leaves when the first byte arrives (a byte delayed by a partition arrives now, at
  // the earliest) and takes the link's latency back. It is never held (as no reset is).
  std::uint64_t rst_ms = std::max(*first, now_ms) + c.faults.latency_ms;
  // It comes back on the path the client's last bytes and FIN took, never ahead of them.
  if (const auto last = c.to_broker.last_delivery_ms()) rst_ms = std::max(rst_ms, *last);
  c.rst_returned_ms = rst_ms;
  c.to_client.discard();
}

std::uint32_t Network::dial(std::uint32_t client, std::uint16_t port) {
  assert(conns_.size() < kMaxConnections && "connection budget of a run exhausted");
  Connection c;
  c.id = static_cast<std::uint32_t>(conns_.size() + 1);
  c.client = client;
  c.port = port;
  conns_.push_back(std::move(c));
  return conns_.back().id;
}

Connection& Network::at(std::uint32_t id) {
  assert(id >= 1 && id <= conns_.size());
  return conns_[id - 1];
}

const Connection& Network::at(std::uint32_t id) const {
  assert(id >= 1 && id <= conns_.size());
  return conns_[id - 1];
}

void Network::accept_as(Connection& c, int fd) {
  assert(!c.accepted && fd >= 0);
  c.accepted = true;
  c.broker_fd = fd;
  const auto slot = static_cast<std::size_t>(fd);
  if (conn_of_fd_.size() <= slot) conn_of_fd_.resize(slot + 1, 0);
  assert(conn_of_fd_[slot] == 0 && "a broker fd is never reused within a run");
  conn_of_fd_[slot] = c.id;
}

Connection* Network::by_broker_fd(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= conn_of_fd_.size() || conn_of_fd_[static_cast<std::size_t>(fd)] == 0) return nullptr;
  Connection& c = at(conn_of_fd_[static_cast<std::size_t>(fd)]);
  assert(c.accepted && c.broker_fd == fd);
  return c.broker_closed ? nullptr : &c;
}

Connection* Network::pending_for(std::uint16_t port) {
  for (auto& c : conns_) {
    if (!c.accepted && !c.client_closed && c.port == port) return &c;
  }
  return nullptr;
}

std::size_t Network::io_budget(Connection& c, std::size_t want_bytes, Prng& prng) const {
  if (want_bytes <= 1 || c.faults.short_io_percent == 0) return want_bytes;
  if (!prng.chance(c.faults.short_io_percent)) return want_bytes;
  return prng.between(1, want_bytes - 1);
}

std::optional<std::uint64_t> Network::next_delivery_ms(std::uint64_t now_ms) const {
  std::optional<std::uint64_t> best;
  for (const auto& c : conns_) {
    for (const Pipe* p : {&c.to_broker, &c.to_client}) {
      auto t = p->next_delivery_ms(now_ms);
      if (t && (!best || *t < *best)) best = t;
    }
    if (c.rst_returned_ms && *c.rst_returned_ms > now_ms && (!best || *c.rst_returned_ms < *best)) best = c.rst_returned_ms;
  }
  return best;
}

}  // namespace mqsim
