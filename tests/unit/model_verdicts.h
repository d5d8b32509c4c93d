// Shared by the model's unit tests: a hand-built trace's verdict as a statement or as the
// violation's whole text (printed when a check fails), whether that text names a statement and a
// cause, and a keepalive exchange that ends a trace at a given time so that what is owed by then
// is due.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "tests/lib/trace_builder.h"

namespace mqsim::model::build {

inline std::string statement_of(const TraceBuilder& b, const std::string& conf = "", bool liveness = false) {
  const auto v = judge(b, conf, liveness);
  if (v.violation) MESSAGE(v.violation->text());
  return verdict_statement(v);
}

inline std::string text_of(const TraceBuilder& b, const std::string& conf = "", bool liveness = false) {
  const auto v = judge(b, conf, liveness);
  return v.violation ? v.violation->text() : std::string("ok");
}

// Whether a verdict's text is a violation of `statement` whose words include `words` (the cause
// a known-deviation file matches on); prints the text when it is not.
inline bool names(const std::string& text, const std::string& statement, const std::string& words) {
  const bool ok = text.rfind("[" + statement + "]", 0) == 0 && text.find(words) != std::string::npos;
  if (!ok) MESSAGE(text);
  return ok;
}

inline void ping_at(TraceBuilder& b, std::uint32_t client, std::uint32_t conn, std::uint64_t time_ms) {
  b.at(time_ms);
  b.send(client, conn, simple(mqtt::PacketType::PINGREQ));
  b.recv(client, conn, simple(mqtt::PacketType::PINGRESP));
}

}  // namespace mqsim::model::build
