// The TCP target's rules (see tcp_driver.h): how a Sim starts, settles, advances and faults when
// its broker is a real daemon over loopback TCP.
//
// Why a quiet period: over real sockets nobody can tell that the broker has nothing more to say
// at "this instant"; on loopback it answers within a millisecond or two, so a stretch of quiet_ms
// with no byte arriving is taken as the end of an instant. Why at least d of real time in
// advance(d): a script's "1 s later" must mean at least 1 s for the broker's own timers (will
// delay, expiry), even though every settle has already spent a little real time.
#include <cassert>
#include <filesystem>

#include "sim.h"
#include "tcp_driver.h"

namespace mqsim {

namespace {

std::string loopback_url(const std::string& host, std::uint16_t port) { return "tcp://" + host + ":" + std::to_string(port); }

}  // namespace

void Sim::tcp_start(const SimConfig& config) {
  assert(config.tcp.has_value());
  assert(broker_ == nullptr);
  const TcpTargetConfig& tc = *config.tcp;
  tcp_ = std::make_unique<TcpTarget>(tc, now_ms_);
  std::map<std::uint16_t, std::uint16_t> ports;
  std::uint16_t any_port = 0;
  std::string error;
  if (!tc.daemon_binary.empty()) {
    auto daemon = std::make_unique<Daemon>();
    DaemonConfig dc;
    dc.binary = tc.daemon_binary;
    dc.mosquitto_conf = config.mosquitto_conf;
    dc.files = config.files;
    dc.start_timeout_ms = tc.start_timeout_ms;
    broker_started_ = daemon->start(dc, &error);
    ports = daemon->ports();
    for (const auto& line : daemon->take_log_lines()) broker_log(line);
    std::string where;
    for (const auto& [from, to] : ports) where += (where.empty() ? "" : ", ") + std::to_string(from) + " -> " + loopback_url("127.0.0.1", to);
    tcp_->target_text = "mosquitto daemon " + tc.daemon_binary + " (pid " + std::to_string(daemon->pid()) + ", " + daemon->dir() + "), listeners " + where;
    tcp_->set_daemon(std::move(daemon));
  } else {
    any_port = tc.port;
    tcp_->target_text = "the broker at " + loopback_url(tc.host, tc.port);
    broker_started_ = tc.port != 0 && (tc.host != "127.0.0.1" || port_listening(tc.port));
    if (!broker_started_) error = "nothing listens on " + loopback_url(tc.host, tc.port);
  }
  transport_ = std::make_unique<TcpTransport>(tc.host, ports, any_port, tcp_->clock());
  tcp_->transport = static_cast<TcpTransport*>(transport_.get());
  if (!broker_started_) {
    note("tcp target: " + error);
    if (tcp_->daemon() != nullptr) record_broker_exit();
    return;
  }
  tcp_->clock().start(tc.align_to_second);
  note("tcp target: " + tcp_->target_text + "; real time since this note");
}

// One round: queued bytes out, due client timers (pings), everything that arrived read and
// answered, the daemon's log taken. True if any client read or sent something.
bool Sim::tcp_pump_once() {
  tcp_->sync_clock();
  tcp_->transport->flush();
  bool progressed = false;
  for (auto& c : clients_) progressed |= c->on_time();
  progressed |= pump_clients();
  if (Daemon* d = tcp_->daemon()) {
    for (const auto& line : d->take_log_lines()) broker_log(line);
  }
  tcp_record_exit_if_gone();
  return progressed;
}

// Pumps until `until_ms`, or (stop_when_quiet) until things are quiet: no client made progress
// for quiet_ms, or for idle_quiet_ms with our daemon idle. Returns true when it stopped because
// things went quiet.
bool Sim::tcp_pump_until(std::uint64_t until_ms, bool stop_when_quiet) {
  const Daemon* daemon = tcp_->daemon();
  const std::uint64_t quiet_ms = daemon ? tcp_->config().idle_quiet_ms : tcp_->config().quiet_ms;
  std::uint64_t last_progress_ms = now_ms_;
  for (std::uint64_t round = 0; round < TcpTarget::kMaxRounds; ++round) {
    if (tcp_pump_once()) last_progress_ms = now_ms_;
    const bool quiet = now_ms_ >= last_progress_ms + quiet_ms;
    if (stop_when_quiet && quiet && (daemon == nullptr || daemon->idle())) return true;
    if (now_ms_ >= until_ms) return false;
    std::uint64_t wake_ms = std::min<std::uint64_t>(until_ms, now_ms_ + TcpTarget::kTickMs);
    // Quiet but the daemon still busy: look again in a millisecond.
    if (stop_when_quiet) wake_ms = std::min(wake_ms, quiet ? now_ms_ + 1 : last_progress_ms + quiet_ms);
    for (const auto& c : clients_) {
      if (auto t = c->next_timer_ms()) wake_ms = std::min(wake_ms, std::max(*t, now_ms_));
    }
    assert(wake_ms >= now_ms_);
    const int log_fd = tcp_->running() ? tcp_->log_fd() : -1;  // a dead daemon's pipe is always "readable"
    tcp_->transport->wait(static_cast<std::uint32_t>(wake_ms - now_ms_), log_fd);
  }
  livelocked_ = true;
  note("livelock: the tcp target's pump loop ran " + std::to_string(TcpTarget::kMaxRounds) + " rounds");
  return false;
}

void Sim::tcp_settle() {
  tcp_->sync_clock();
  const std::uint32_t bound_ms = tcp_->config().settle_bound_ms;
  if (!tcp_pump_until(now_ms_ + bound_ms, true) && !livelocked_) {
    note("settle: bytes were still arriving after " + std::to_string(bound_ms) + " ms (settle_bound_ms)");
  }
}

void Sim::tcp_advance(std::uint64_t duration_ms) {
  tcp_->sync_clock();
  const std::uint64_t target_ms = now_ms_ + duration_ms;
  tcp_pump_until(target_ms, false);
  assert(now_ms_ >= target_ms || livelocked_);
  tcp_settle();  // what the last instant set off lands before the script's next line
}

void Sim::tcp_record_exit_if_gone() {
  Daemon* d = tcp_->daemon();
  if (d == nullptr || exit_recorded_ || d->poll_running()) return;
  for (const auto& line : d->take_log_lines()) broker_log(line);
  record_broker_exit();
}

void Sim::tcp_shutdown() {
  Daemon* d = tcp_->daemon();
  if (d == nullptr) {
    note("shutdown_broker: " + tcp_->target_text + " is not ours to stop; ignored");
    return;
  }
  if (!d->running()) return;
  tcp_pump_once();
  d->stop();  // SIGTERM: Mosquitto's own shutdown, as the simulator's request_shutdown()
  tcp_->sync_clock();
  for (const auto& line : d->take_log_lines()) broker_log(line);
  record_broker_exit();
  tcp_settle();  // the clients see their connections end
}

// hold/release act on the client's side of its socket; latency and short I/O cannot be imposed
// on loopback: with a non-zero amount they are a note, with zero they are what the simulator
// records (nothing to impose either way).
void Sim::tcp_fault(const std::string& client, const Fault& fault) {
  ScriptedClient& c = (*this)[client];
  if (c.conn() == 0) return;  // as the simulator: no connection, nothing to fault
  tcp_->sync_clock();
  if (fault.kind == FaultKind::Hold || fault.kind == FaultKind::Release) {
    tcp_->transport->hold(c.conn(), fault.kind == FaultKind::Hold);
    this->fault(client, fault);
    return;
  }
  assert(fault.kind == FaultKind::Latency || fault.kind == FaultKind::ShortIo);
  if (fault.amount == 0) {
    this->fault(client, fault);
    return;
  }
  note(fault_text(fault) + " on " + client + ": not applied (the tcp target cannot delay or split loopback I/O)");
}

}  // namespace mqsim
