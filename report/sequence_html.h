// sequence.html: a trace as a sequence diagram that a person opens in any browser, offline.
//
// The page is self-contained: the diagram is inline SVG drawn here (a lifeline for the broker and
// one per client, an arrow per packet labelled with its text form, connection events and faults
// as notes, virtual time in a left column), with a header (title, verdict, the violation) and the
// plain-text trace below it. The violating event, when there is one, is drawn in red with its
// explanation.
//
// It must never load anything at view time (no CDN, no fonts, no scripts: failure artifacts are
// opened on machines without network), and never emit trace text unescaped: payloads, topics,
// client names and log lines are data, and a payload of "<script>" must stay text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "trace/trace.h"

namespace mqsim {

struct SequenceOptions {
  std::string title = "mqsim trace";
  std::string verdict;                          // one line, e.g. "FAIL: QoS 1 message lost"
  bool passed = false;                          // verdict shown green when true, red otherwise
  std::string details;                          // optional lines under the verdict (seed, command)
  std::optional<std::size_t> highlight_event;   // index into trace.events(): the violating event
  std::string highlight_text;                   // why that event is wrong
};

// Diagrams longer than this stop with a note; the listing below still has every event.
inline constexpr std::size_t kSequenceMaxRows = 5000;

std::string sequence_html(const Trace& trace, const SequenceOptions& options);

// Writes sequence_html() to `path`. On failure returns false and, when `error` is not null, says why.
bool write_sequence_html(const Trace& trace, const SequenceOptions& options, const std::string& path,
                         std::string* error);

}  // namespace mqsim
