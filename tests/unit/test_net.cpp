// Unit tests of the virtual network (sim/net.h): a Pipe delivers bytes in order and in virtual
// time, holds them through a partition, shows EOF only once drained and loses everything on a
// reset; the Network hands out connections in dial order and sizes short reads and writes.
// The broker shim and the scripted clients rely on exactly these rules, so each is pinned here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/net.h"
#include "sim/prng.h"

using namespace mqsim;

namespace {

void write_text(Pipe& pipe, const std::string& text, std::uint64_t deliver_at_ms) {
  pipe.write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), deliver_at_ms);
}

// Reads up to `max_bytes` at `now_ms` and returns them as text.
std::string read_text(Pipe& pipe, std::size_t max_bytes, std::uint64_t now_ms) {
  std::vector<std::uint8_t> buf(max_bytes + 1, 0xEE);
  const std::size_t n = pipe.read(buf.data(), max_bytes, now_ms);
  REQUIRE(n <= max_bytes);
  CHECK(buf[max_bytes] == 0xEE);  // never writes past what it was given
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

TEST_SUITE("net") {

TEST_CASE("Pipe: bytes become readable at their delivery time and not before") {
  Pipe pipe;
  write_text(pipe, "hello", 100);
  CHECK(pipe.has_undelivered());
  CHECK(pipe.readable_bytes(99) == 0);
  CHECK(read_text(pipe, 16, 99).empty());
  CHECK(pipe.readable_bytes(100) == 5);
  CHECK(read_text(pipe, 16, 100) == "hello");
  CHECK_FALSE(pipe.has_undelivered());
}

TEST_CASE("Pipe: a later write with a smaller latency never overtakes an earlier one") {
  Pipe pipe;
  write_text(pipe, "first-", 100);
  write_text(pipe, "second", 50);  // would be due earlier, but TCP keeps order
  CHECK(pipe.readable_bytes(60) == 0);
  CHECK(read_text(pipe, 64, 60).empty());
  CHECK(pipe.readable_bytes(100) == 12);
  CHECK(read_text(pipe, 64, 100) == "first-second");
}

TEST_CASE("Pipe: only the chunks that are due are read / the rest waits") {
  Pipe pipe;
  write_text(pipe, "now", 10);
  write_text(pipe, "later", 20);
  CHECK(pipe.readable_bytes(15) == 3);
  CHECK(read_text(pipe, 64, 15) == "now");
  CHECK(pipe.has_undelivered());
  CHECK(read_text(pipe, 64, 20) == "later");
}

TEST_CASE("Pipe: a short read leaves the rest of the chunk / reads span chunks in order") {
  Pipe pipe;
  write_text(pipe, "abcdef", 0);
  write_text(pipe, "ghij", 0);
  CHECK(read_text(pipe, 4, 0) == "abcd");
  CHECK(pipe.readable_bytes(0) == 6);
  CHECK(read_text(pipe, 4, 0) == "efgh");
  CHECK(read_text(pipe, 4, 0) == "ij");
  CHECK(read_text(pipe, 4, 0).empty());
}

TEST_CASE("Pipe: an empty write adds nothing") {
  Pipe pipe;
  pipe.write(nullptr, 0, 5);
  CHECK_FALSE(pipe.has_undelivered());
  CHECK_FALSE(pipe.next_delivery_ms(0).has_value());
}

TEST_CASE("Pipe: hold keeps due bytes back until release / then delivers them in order") {
  Pipe pipe;
  write_text(pipe, "abc", 0);
  pipe.held = true;
  write_text(pipe, "def", 0);  // written during the partition: queued behind
  CHECK(pipe.readable_bytes(1000) == 0);
  CHECK(read_text(pipe, 16, 1000).empty());
  CHECK(pipe.has_undelivered());
  pipe.held = false;
  CHECK(read_text(pipe, 16, 1000) == "abcdef");
}

TEST_CASE("Pipe: EOF only after the writer closed and every byte was read") {
  Pipe pipe;
  write_text(pipe, "bye", 10);
  pipe.fin = true;
  CHECK_FALSE(pipe.at_eof());          // bytes still in flight
  CHECK(read_text(pipe, 2, 10) == "by");
  CHECK_FALSE(pipe.at_eof());          // one byte left
  CHECK(read_text(pipe, 2, 10) == "e");
  CHECK(pipe.at_eof());
}

TEST_CASE("Pipe: no EOF while held even with nothing left to read") {
  Pipe pipe;
  pipe.fin = true;
  pipe.held = true;
  CHECK_FALSE(pipe.at_eof());  // the FIN itself is held by the partition
  pipe.held = false;
  CHECK(pipe.at_eof());
}

TEST_CASE("Pipe: no EOF without fin however empty") {
  Pipe pipe;
  CHECK_FALSE(pipe.at_eof());
  write_text(pipe, "x", 0);
  CHECK(read_text(pipe, 1, 0) == "x");
  CHECK_FALSE(pipe.at_eof());
}

TEST_CASE("Pipe: a reset makes bytes in flight unreadable") {
  Pipe pipe;
  write_text(pipe, "lost", 0);
  write_text(pipe, "too", 50);
  pipe.reset = true;
  CHECK(pipe.readable_bytes(100) == 0);
  CHECK(read_text(pipe, 16, 100).empty());
  CHECK_FALSE(pipe.next_delivery_ms(0).has_value());  // nothing will ever arrive: no wake-up
}

TEST_CASE("Pipe: writes after a reset are dropped and not queued") {
  Pipe pipe;
  pipe.reset = true;
  write_text(pipe, "after", 0);
  CHECK_FALSE(pipe.has_undelivered());
  CHECK(read_text(pipe, 16, 0).empty());
}

TEST_CASE("Pipe: a closing RST (close with unread input) comes after the bytes sent before it") {
  // Linux: the peer reads what arrived, then gets ECONNRESET (not EOF).
  Pipe pipe;
  write_text(pipe, "last", 0);
  write_text(pipe, "words", 40);
  pipe.reset_after_drain = true;
  CHECK_FALSE(pipe.drained_reset());
  CHECK_FALSE(pipe.at_eof());
  CHECK(read_text(pipe, 16, 0) == "last");
  CHECK_FALSE(pipe.drained_reset());          // "words" still in flight
  CHECK(read_text(pipe, 16, 40) == "words");
  CHECK(pipe.drained_reset());
  CHECK_FALSE(pipe.at_eof());                 // a reset, never an EOF
  pipe.held = true;
  CHECK_FALSE(pipe.drained_reset());          // held like the bytes before it
}

TEST_CASE("Pipe: drained_reset is immediate for a plain reset") {
  Pipe pipe;
  write_text(pipe, "lost", 0);
  pipe.reset = true;
  CHECK(pipe.drained_reset());
}

TEST_CASE("Pipe: drop_readable drops what has arrived and keeps what is in flight") {
  Pipe pipe;
  write_text(pipe, "arrived", 10);
  write_text(pipe, "flying", 50);
  pipe.drop_readable(20);
  CHECK(pipe.first_delivery_ms() == std::optional<std::uint64_t>(50));
  CHECK(read_text(pipe, 16, 50) == "flying");
  CHECK_FALSE(pipe.first_delivery_ms().has_value());
}

TEST_CASE("Network: bytes to a client that closed are answered by RST one latency after they arrive") {
  Network net;
  Connection& c = net.at(net.dial(1, 1883));
  c.faults.latency_ms = 30;
  c.client_closed = true;
  Network::answer_closed_client(c, 100);
  CHECK_FALSE(c.rst_returned_ms.has_value());  // nothing on its way: no RST
  write_text(c.to_client, "will", 130);         // sent at 100, arrives at 130
  Network::answer_closed_client(c, 100);
  REQUIRE(c.rst_returned_ms.has_value());
  CHECK(*c.rst_returned_ms == 160);
  CHECK_FALSE(c.to_client.has_undelivered());   // the closed socket's kernel dropped them
  CHECK_FALSE(c.rst_arrived(159));
  CHECK(c.rst_arrived(160));
  CHECK(net.next_delivery_ms(100) == std::optional<std::uint64_t>(160));  // the sim wakes for it
}

TEST_CASE("Network: a partition holds the bytes to a closed client, and so the RST, until the release") {
  Network net;
  Connection& c = net.at(net.dial(1, 1883));
  c.client_closed = true;
  c.to_client.held = true;
  write_text(c.to_client, "x", 10);
  Network::answer_closed_client(c, 10);
  CHECK_FALSE(c.rst_returned_ms.has_value());
  c.to_client.held = false;
  Network::answer_closed_client(c, 500);        // released at 500: arrives then, not at 10
  CHECK(c.rst_returned_ms == std::optional<std::uint64_t>(500));
}

TEST_CASE("Network: the RST never overtakes what the client sent before closing") {
  Network net;
  Connection& c = net.at(net.dial(1, 1883));
  write_text(c.to_broker, "DISCONNECT", 10);  // sent with 10 ms of latency, then closed
  c.to_broker.fin = true;
  c.client_closed = true;
  write_text(c.to_client, "x", 0);             // the latency is gone again: arrives at once
  Network::answer_closed_client(c, 0);
  CHECK(c.rst_returned_ms == std::optional<std::uint64_t>(10));
}

TEST_CASE("Network: a client that has not closed never answers with RST") {
  Network net;
  Connection& c = net.at(net.dial(1, 1883));
  write_text(c.to_client, "x", 0);
  Network::answer_closed_client(c, 0);
  CHECK_FALSE(c.rst_returned_ms.has_value());
  CHECK(c.to_client.has_undelivered());
}

TEST_CASE("Pipe: next_delivery_ms is the earliest future delivery / none when due or empty") {
  Pipe pipe;
  CHECK_FALSE(pipe.next_delivery_ms(0).has_value());
  write_text(pipe, "a", 30);
  write_text(pipe, "b", 70);
  CHECK(pipe.next_delivery_ms(0) == std::optional<std::uint64_t>(30));
  CHECK_FALSE(pipe.next_delivery_ms(30).has_value());  // due now: not a future event
  pipe.held = true;
  CHECK_FALSE(pipe.next_delivery_ms(0).has_value());   // waiting for a release, not for time
}

TEST_CASE("Network: dial numbers connections from 1 in order and keeps their endpoints") {
  Network net;
  const auto a = net.dial(1, 1883);
  const auto b = net.dial(2, 8883);
  CHECK(a == 1);
  CHECK(b == 2);
  CHECK(net.at(a).client == 1);
  CHECK(net.at(a).port == 1883);
  CHECK(net.at(b).client == 2);
  CHECK(net.at(b).port == 8883);
  CHECK_FALSE(net.at(a).accepted);
  CHECK(net.at(a).broker_fd == -1);
  CHECK(net.all().size() == 2);
}

TEST_CASE("Network: pending_for gives the oldest unaccepted and unclosed connection to a port") {
  Network net;
  const auto first = net.dial(1, 1883);
  const auto other_port = net.dial(2, 9000);
  const auto second = net.dial(3, 1883);
  const auto third = net.dial(4, 1883);
  REQUIRE(net.pending_for(1883) != nullptr);
  CHECK(net.pending_for(1883)->id == first);
  net.accept_as(net.at(first), 10);
  CHECK(net.pending_for(1883)->id == second);
  net.at(second).client_closed = true;  // gave up before the broker accepted it
  CHECK(net.pending_for(1883)->id == third);
  net.accept_as(net.at(third), 11);
  CHECK(net.pending_for(1883) == nullptr);
  REQUIRE(net.pending_for(9000) != nullptr);
  CHECK(net.pending_for(9000)->id == other_port);
  CHECK(net.pending_for(1) == nullptr);
}

TEST_CASE("Network: by_broker_fd finds only accepted connections the broker has not closed") {
  Network net;
  const auto id = net.dial(1, 1883);
  CHECK(net.by_broker_fd(1000) == nullptr);  // not accepted yet
  net.accept_as(net.at(id), 1000);
  REQUIRE(net.by_broker_fd(1000) != nullptr);
  CHECK(net.by_broker_fd(1000)->id == id);
  CHECK(net.by_broker_fd(1001) == nullptr);
  CHECK(net.by_broker_fd(999) == nullptr);
  CHECK(net.by_broker_fd(-1) == nullptr);
  const auto other = net.dial(2, 1883);
  net.accept_as(net.at(other), 7);
  CHECK(net.by_broker_fd(7)->id == other);
  CHECK(net.by_broker_fd(1000)->id == id);
  net.at(id).broker_closed = true;
  CHECK(net.by_broker_fd(1000) == nullptr);  // closed: the broker's fd is gone
}

TEST_CASE("Network: io_budget moves everything without short-I/O faults") {
  Network net;
  Prng prng(7);
  Connection& c = net.at(net.dial(1, 1883));
  for (std::size_t want : {0u, 1u, 2u, 100u, 65536u}) CHECK(net.io_budget(c, want, prng) == want);
  // Without faults no random number is drawn: a fault-free connection must not shift the draws
  // that other connections' faults see.
  CHECK(prng.next() == Prng(7).next());
}

TEST_CASE("Network: io_budget under short-I/O faults is always at least 1 and less than asked") {
  Network net;
  Prng prng(42);
  Connection& c = net.at(net.dial(1, 1883));
  c.faults.short_io_percent = 100;
  std::set<std::size_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::size_t want = 2 + static_cast<std::size_t>(i % 9);
    const std::size_t got = net.io_budget(c, want, prng);
    REQUIRE(got >= 1);
    REQUIRE(got < want);
    if (want == 10) seen.insert(got);
  }
  CHECK(seen.size() == 9);  // every short size 1..9 occurs: the cut is not always the same
  // One byte cannot be cut shorter (a zero-byte read would mean EOF).
  CHECK(net.io_budget(c, 1, prng) == 1);
  CHECK(net.io_budget(c, 0, prng) == 0);
}

TEST_CASE("Network: io_budget at 50% cuts some transfers and not others / the same way per seed") {
  Network net;
  Connection& c = net.at(net.dial(1, 1883));
  c.faults.short_io_percent = 50;
  auto draws = [&](std::uint64_t seed) {
    Prng prng(seed);
    std::vector<std::size_t> out;
    for (int i = 0; i < 400; ++i) out.push_back(net.io_budget(c, 100, prng));
    return out;
  };
  const auto first = draws(3);
  const auto whole = std::count(first.begin(), first.end(), std::size_t{100});
  CHECK(whole > 100);
  CHECK(whole < 300);
  CHECK(draws(3) == first);
  CHECK(draws(4) != first);
}

TEST_CASE("Network: next_delivery_ms is the earliest future delivery over every pipe") {
  Network net;
  CHECK_FALSE(net.next_delivery_ms(0).has_value());
  const auto first = net.dial(1, 1883);
  const auto second = net.dial(2, 1883);
  const auto third = net.dial(3, 1883);
  // The earliest sits between later ones, so neither the first nor the last pipe looked at wins.
  write_text(net.at(first).to_broker, "x", 500);
  write_text(net.at(first).to_client, "z", 0);  // due now: not a future delivery
  write_text(net.at(second).to_client, "y", 200);
  write_text(net.at(third).to_broker, "w", 300);
  CHECK(net.next_delivery_ms(0) == std::optional<std::uint64_t>(200));
  CHECK(net.next_delivery_ms(200) == std::optional<std::uint64_t>(300));
  CHECK(net.next_delivery_ms(300) == std::optional<std::uint64_t>(500));
  CHECK_FALSE(net.next_delivery_ms(500).has_value());
}

}  // TEST_SUITE("net")
