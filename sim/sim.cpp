// The simulator's stepping rules: see sim.h. (The TCP target's rules: sim/tcp_driver.cpp.)
//
// Why one-second steps when idle: Mosquitto keeps time in whole seconds (db.now_s) and checks
// keepalives, will delays and session expiry second by second. Stepping each whole second (and
// at every delivery or client timer in between) gives the broker every chance to act exactly
// when it would in production; jumping further would move a keepalive cut later.
#include "sim.h"
#include "tcp_driver.h"
#include "worker.h"

#include <algorithm>
#include <cassert>

namespace mqsim {

Sim::Sim(const SimConfig& config) : prng_(config.seed), max_advance_ms_(config.max_advance_ms) {
  set_crash_trace(&trace_);  // a fatal signal in this run flushes what it recorded so far
  if (config.tcp) {
    tcp_start(config);
    return;
  }
  BrokerHost::prepare_process();
  transport_ = std::make_unique<VirtualTransport>(net_, prng_, now_ms_);
  broker_ = std::make_unique<BrokerHost>(net_, prng_, now_ms_, [this](std::string_view l) { broker_log(l); });
  broker_started_ = broker_->start(config.mosquitto_conf, config.files);
  if (!broker_started_) record_broker_exit();
  else settle();
}

// Clients go first, then the transport (their sockets close), then a daemon is stopped.
Sim::~Sim() {
  clients_.clear();
  transport_.reset();
  tcp_.reset();
  set_crash_trace(nullptr);
}

BrokerHost& Sim::host() {
  assert(broker_ != nullptr && "the TCP target has no hosted broker");
  return *broker_;
}

bool BrokerStatus::running() const { return tcp_ ? tcp_->running() : host_->running(); }
bool BrokerStatus::finished() const { return tcp_ ? tcp_->finished() : host_->finished(); }
int BrokerStatus::exit_code() const { return tcp_ ? tcp_->exit_code() : host_->exit_code(); }

void Sim::broker_log(std::string_view line) { trace_.add(now_ms_, 0, 0, EventKind::Log, line); }

void Sim::record_broker_exit() {
  if (exit_recorded_) return;
  exit_recorded_ = true;
  trace_.add(now_ms_, 0, 0, EventKind::BrokerExit, std::to_string(broker().exit_code()));
}

ScriptedClient& Sim::client(const std::string& name, ClientOptions options) {
  assert(clients_.size() < kMaxClients);
  for (auto& c : clients_) assert(c->name() != name && "client names are unique");
  const auto index = static_cast<std::uint32_t>(clients_.size() + 1);
  trace_.add(now_ms_, index, 0, EventKind::Client, name);
  clients_.push_back(std::make_unique<ScriptedClient>(SimContext{*transport_, trace_, now_ms_, [this] { if (auto_settle_) settle(); }}, index, name, std::move(options)));
  return *clients_.back();
}

ScriptedClient& Sim::operator[](const std::string& name) {
  for (auto& c : clients_) {
    if (c->name() == name) return *c;
  }
  assert(false && "no such client");
  std::abort();
}

bool Sim::pump_clients() {
  bool progressed = false;
  for (auto& c : clients_) progressed |= c->pump();
  return progressed;
}

void Sim::settle() {
  if (tcp_) {
    tcp_settle();
    return;
  }
  for (std::uint64_t pass = 0; pass < kMaxPassesPerInstant; ++pass) {
    bool progressed = pump_clients();
    if (broker_->has_pending_work()) {
      broker_->step();
      progressed = true;
    }
    if (broker_->finished()) {
      record_broker_exit();
      pump_clients();
      return;
    }
    if (!progressed) return;
  }
  livelocked_ = true;
  note("livelock: the broker still had work after " + std::to_string(kMaxPassesPerInstant) + " passes at one instant");
}

std::uint64_t Sim::next_stop_ms(std::uint64_t target_ms) const {
  std::uint64_t next = std::min(target_ms, (now_ms_ / 1000 + 1) * 1000);
  if (auto t = net_.next_delivery_ms(now_ms_)) next = std::min(next, *t);
  for (const auto& c : clients_) {
    if (auto t = c->next_timer_ms(); t && *t > now_ms_) next = std::min(next, *t);
  }
  assert(next > now_ms_);
  return next;
}

// The cap (SimConfig::max_advance_ms) is noted where it bites, so a reader of the trace knows
// the script asked for more time than the run gave.
std::uint64_t Sim::capped(std::uint64_t duration_ms) {
  if (!max_advance_ms_ || duration_ms <= *max_advance_ms_) return duration_ms;
  note("advance " + std::to_string(duration_ms) + "ms capped to " + std::to_string(*max_advance_ms_) + "ms (max_advance_ms)");
  return *max_advance_ms_;
}

void Sim::advance(std::uint64_t duration_ms) {
  duration_ms = capped(duration_ms);
  if (tcp_) {
    tcp_advance(duration_ms);
    return;
  }
  const std::uint64_t target_ms = now_ms_ + duration_ms;
  settle();
  while (now_ms_ < target_ms && !livelocked_) {
    now_ms_ = next_stop_ms(target_ms);
    for (auto& c : clients_) c->on_time();
    if (broker_->running()) broker_->step();  // the pass where timers (keepalive, expiry) fire
    settle();
  }
  assert(now_ms_ == target_ms || livelocked_);
}

void Sim::step(const std::string& text) {
  if (tcp_) tcp_->sync_clock();
  trace_.add(now_ms_, 0, 0, EventKind::Step, text);
}

void Sim::note(const std::string& text) {
  if (tcp_) tcp_->sync_clock();
  trace_.add(now_ms_, 0, 0, EventKind::Note, text);
}

void Sim::shutdown_broker() {
  if (tcp_) {
    tcp_shutdown();
    return;
  }
  if (!broker_->running()) return;
  broker_->request_shutdown();
  for (int pass = 0; pass < 1000 && broker_->running(); ++pass) {
    broker_->step();
    pump_clients();
  }
  if (broker_->finished()) record_broker_exit();
  pump_clients();
}

Connection* Sim::conn_of(const std::string& client) {
  assert(!tcp_);
  ScriptedClient& c = (*this)[client];
  return c.conn() == 0 ? nullptr : &net_.at(c.conn());
}

void Sim::fault(const std::string& client, const Fault& fault) {
  ScriptedClient& c = (*this)[client];
  trace_.fault(now_ms_, c.index(), c.conn(), fault);
}

void Sim::hold(const std::string& client) {
  if (tcp_) return tcp_fault(client, {FaultKind::Hold});
  if (Connection* c = conn_of(client)) {
    c->to_broker.held = c->to_client.held = true;
    fault(client, {FaultKind::Hold});
  }
}

void Sim::release(const std::string& client) {
  if (tcp_) return tcp_fault(client, {FaultKind::Release});
  if (Connection* c = conn_of(client)) {
    c->to_broker.held = c->to_client.held = false;
    Network::answer_closed_client(*c, now_ms_);  // the broker's held bytes reach a closed client
    fault(client, {FaultKind::Release});
  }
}

void Sim::latency(const std::string& client, std::uint32_t latency_ms) {
  if (tcp_) return tcp_fault(client, {FaultKind::Latency, latency_ms});
  if (Connection* c = conn_of(client)) {
    c->faults.latency_ms = latency_ms;
    fault(client, {FaultKind::Latency, latency_ms});
  }
}

void Sim::short_io(const std::string& client, std::uint32_t percent) {
  if (tcp_) return tcp_fault(client, {FaultKind::ShortIo, percent});
  if (Connection* c = conn_of(client)) {
    c->faults.short_io_percent = percent;
    fault(client, {FaultKind::ShortIo, percent});
  }
}

}  // namespace mqsim
