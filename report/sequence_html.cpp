// sequence.html writer: see sequence_html.h. The trace becomes a list of rows (one per shown
// event), the rows are laid out top to bottom at fixed heights, and each row is drawn as SVG.
// Text widths are estimated from a monospace font, so labels are truncated here and the full text
// goes into an SVG <title> (the browser's tooltip) and into the listing below the diagram.
#include "sequence_html.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <fstream>
#include <map>
#include <string_view>
#include <vector>

namespace mqsim {
namespace {

// ---- Text: every byte of the trace stays visible, and nothing of it can become markup. ----

// Length of the valid UTF-8 sequence at in[i], or 0 when it is not one (RFC 3629 table 3-7).
std::size_t utf8_length(std::string_view in, std::size_t i) {
  const auto c = static_cast<unsigned char>(in[i]);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  if (len == 0 || i + len > in.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(in[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
  }
  return len;
}

// Valid UTF-8 passes through; control characters and invalid bytes become \xNN (as the packet
// text form writes them), so that the page is well-formed whatever the broker or a client sent.
std::string clean_text(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    const std::size_t len = utf8_length(in, i);
    if (len > 0 && c >= 0x20 && c != 0x7F) {
      out.append(in.substr(i, len));
      i += len;
      continue;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", c);
    out += hex;
    ++i;
  }
  return out;
}

// For HTML text and attribute values alike (quotes included), after clean_text.
std::string escape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  for (const char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html(std::string_view raw) { return escape(clean_text(raw)); }

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// `text` (clean UTF-8) cut to at most `max_chars` code points, with an ellipsis when cut.
std::string truncate(const std::string& text, std::size_t max_chars) {
  if (code_points(text) <= max_chars) return text;
  const std::size_t keep = max_chars > 1 ? max_chars - 1 : 0;
  std::size_t seen = 0, at = 0;
  for (; at < text.size(); ++at) {
    if ((text[at] & 0xC0) != 0x80 && seen++ == keep) break;
  }
  return text.substr(0, at) + "\u2026";
}

std::string seconds(std::uint64_t time_ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(time_ms / 1000),
                static_cast<unsigned long long>(time_ms % 1000));
  return buf;
}

// ---- Rows: what each shown event looks like, before layout. ----

enum class Shape : std::uint8_t { Arrow, LaneNote, WideNote };

struct Row {
  std::size_t event = 0;
  Shape shape = Shape::LaneNote;
  std::uint32_t lane = 0;     // 0 = broker, i = client i (an Arrow's client end)
  bool to_broker = false;     // Arrow direction
  std::string text;           // clean, full (truncated only when drawn)
  const char* style = "note"; // CSS class: send recv bad conn drop fault step note log
  bool highlight = false;
};

std::string packet_text(const Event& e) {
  return e.packet ? mqtt::to_text(*e.packet) : "UNDECODABLE (" + e.decode_error + ")";
}

// The note for a connection event, or an empty string for events the diagram leaves out.
Row note_row(const Event& e, std::uint32_t lane) {
  const std::string conn = "#" + std::to_string(e.conn);
  switch (e.kind) {
    case EventKind::Dial: return {0, Shape::LaneNote, lane, false, "dial " + conn + " (" + e.data + ")", "conn"};
    case EventKind::Close:
      return {0, Shape::LaneNote, lane, false, "close " + conn + " (" + e.data + ")",
              e.data == "disconnect" || e.data == "half-close" ? "conn" : "drop"};
    case EventKind::PeerClosed: return {0, Shape::LaneNote, lane, false, "EOF from broker " + conn, "drop"};
    case EventKind::PeerReset: return {0, Shape::LaneNote, lane, false, "RST from broker " + conn, "drop"};
    case EventKind::Malformed: return {0, Shape::LaneNote, lane, false, "malformed: " + e.data, "bad"};
    case EventKind::Fault: return {0, Shape::LaneNote, lane, false, "fault: " + fault_text(*e.fault), "fault"};
    case EventKind::BrokerExit: return {0, Shape::LaneNote, 0, false, "broker exited (" + e.data + ")", "drop"};
    case EventKind::Step: return {0, Shape::WideNote, 0, false, e.data, "step"};
    case EventKind::Note: return {0, lane ? Shape::LaneNote : Shape::WideNote, lane, false, e.data, "note"};
    default: return {0, Shape::LaneNote, 0, false, "", "log"};
  }
}

Row make_row(const Event& e, std::size_t index, std::uint32_t lanes, bool highlight) {
  const std::uint32_t lane = e.client < lanes ? e.client : 0;
  Row row;
  if ((e.kind == EventKind::Send || e.kind == EventKind::Recv) && lane != 0) {
    row = {0, Shape::Arrow, lane, e.kind == EventKind::Send, packet_text(e), e.packet ? (e.kind == EventKind::Send ? "send" : "recv") : "bad"};
  } else {
    row = note_row(e, lane);
  }
  // Log lines and client announcements stay out of the diagram, unless they are the violation.
  if (row.text.empty() && highlight) {
    row = {0, Shape::LaneNote, lane, false, std::string(event_kind_name(e.kind)) + ": " + e.data, "log"};
  }
  row.event = index;
  row.text = clean_text(row.text);
  row.highlight = highlight;
  return row;
}

std::vector<Row> build_rows(const Trace& trace, const SequenceOptions& options, std::uint32_t lanes) {
  std::vector<Row> rows;
  const auto& events = trace.events();
  for (std::size_t i = 0; i < events.size() && rows.size() < kSequenceMaxRows; ++i) {
    Row row = make_row(events[i], i, lanes, options.highlight_event == i);
    if (!row.text.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

// ---- Layout: fixed sizes, chosen for 12 px monospace labels. ----

constexpr int kTimeColumnPx = 84;
constexpr int kLaneWidthPx = 290;
constexpr int kActorHeightPx = 70;
constexpr int kActorBoxWidthPx = kLaneWidthPx - 70;
constexpr int kTopPaddingPx = 10, kBottomPaddingPx = 24;
constexpr double kLabelCharPx = 7.3, kNoteCharPx = 6.7;  // DejaVu Sans Mono at 12 px and 11 px
constexpr int kWhyExtraPx = 22;                           // room for the violation's explanation
constexpr int kBarHalfWidthPx = 5;                        // half a connection's activation bar

// The broker's lane only needs room for its head box on its left: nothing is drawn there.
constexpr int kBrokerX = kTimeColumnPx + kActorBoxWidthPx / 2 + 24;

int lane_x(std::uint32_t lane) { return kBrokerX + static_cast<int>(lane) * kLaneWidthPx; }
int diagram_width(std::uint32_t lanes) {
  assert(lanes >= 1);  // the broker always has a lane
  return lane_x(lanes - 1) + kLaneWidthPx / 2;
}

int row_height(const Row& row) {
  const int base = row.shape == Shape::Arrow ? 32 : row.shape == Shape::WideNote ? 30 : 28;
  return base + (row.highlight ? kWhyExtraPx : 0);
}

// Where a row's main line sits, relative to its top: the arrow, or the note's centre.
int row_mid(const Row& row) { return row.shape == Shape::Arrow ? 23 : 14; }

std::size_t fit_chars(double width_px, double char_px) {
  return width_px <= char_px ? 1 : static_cast<std::size_t>(width_px / char_px);
}

// ---- Drawing. ----

void text_at(std::string& svg, int x, int y, const char* cls, const char* anchor, const std::string& clean) {
  svg += "<text class=\"" + std::string(cls) + "\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) +
         "\" text-anchor=\"" + anchor + "\">" + escape(clean) + "</text>";
}

void rect_at(std::string& svg, const char* cls, int x, int y, int w, int h, int radius) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"%d\"/>", cls, x, y, w, h, radius);
  svg += buf;
}

// The label sits on the arrow, centred when it fits; otherwise it starts just past the arrow's
// left end and may run over the lanes to the right (each row holds one event, so it hides nothing
// but dashed lifelines).
void draw_arrow(std::string& svg, const Row& row, int y, int width_px) {
  const int client_x = lane_x(row.lane), broker_x = lane_x(0);
  const int from_x = row.to_broker ? client_x - kBarHalfWidthPx : broker_x + 3;
  const int to_x = row.to_broker ? broker_x + 3 : client_x - kBarHalfWidthPx - 1;
  svg += "<line class=\"arrow\" x1=\"" + std::to_string(from_x) + "\" y1=\"" + std::to_string(y) + "\" x2=\"" +
         std::to_string(to_x) + "\" y2=\"" + std::to_string(y) + "\" marker-end=\"url(#head-" +
         (row.highlight ? std::string("hl") : row.style) + ")\"/>";
  const double span_px = client_x - broker_x - 2 * kBarHalfWidthPx;
  const double want_px = static_cast<double>(code_points(row.text)) * kLabelCharPx;
  const bool centred = want_px + 16 <= span_px;
  const int left_x = broker_x + 12;
  const std::string label = centred ? row.text : truncate(row.text, fit_chars(width_px - left_x - 12, kLabelCharPx));
  const double label_px = static_cast<double>(code_points(label)) * kLabelCharPx;
  const int start_x = centred ? (broker_x + client_x) / 2 - static_cast<int>(label_px / 2) : left_x;
  rect_at(svg, "label-bg", start_x - 3, y - 19, static_cast<int>(label_px) + 6, 16, 3);
  text_at(svg, start_x, y - 7, "label", "start", label);
}

void draw_lane_note(std::string& svg, const Row& row, int mid_y) {
  const std::string label = truncate(row.text, fit_chars(kLaneWidthPx - 24, kNoteCharPx));
  const int w = static_cast<int>(static_cast<double>(code_points(label)) * kNoteCharPx) + 16;
  rect_at(svg, "note-box", lane_x(row.lane) - w / 2, mid_y - 10, w, 20, 4);
  text_at(svg, lane_x(row.lane), mid_y + 4, "note-text", "middle", label);
}

void draw_wide_note(std::string& svg, const Row& row, int mid_y, std::uint32_t lanes) {
  const int left_x = kTimeColumnPx + 8, right_x = diagram_width(lanes) - 8;
  const std::string label = truncate((row.style == std::string_view("step") ? "\u25B8 " : "") + row.text,
                                     fit_chars(right_x - left_x - 20, kNoteCharPx));
  rect_at(svg, "note-box", left_x, mid_y - 11, right_x - left_x, 22, 4);
  text_at(svg, left_x + 10, mid_y + 4, "note-text", "start", label);
}

struct Frame {
  int width_px = 0;
  std::uint32_t lanes = 0;
};

void draw_row(std::string& svg, const Trace& trace, const Row& row, int top, bool new_time, const Frame& frame,
              const SequenceOptions& options) {
  const Event& e = trace.events()[row.event];
  const int mid_y = top + row_mid(row);
  svg += "<a href=\"#e" + std::to_string(row.event) + "\"><g class=\"row " + row.style + (row.highlight ? " hl" : "") + "\"" +
         (row.highlight ? " id=\"violation\"" : "") + " data-event=\"" + std::to_string(row.event) + "\">";
  svg += "<title>" + html(trace.line(e)) + "\n(event " + std::to_string(row.event) + ")" +
         (row.highlight ? "\n" + html(options.highlight_text) : "") + "</title>";
  if (new_time) text_at(svg, kTimeColumnPx - 12, mid_y + 4, "time", "end", seconds(e.time_ms));
  if (row.highlight) text_at(svg, 10, mid_y + 4, "hl-mark", "start", "\u25B6");
  if (row.shape == Shape::Arrow) draw_arrow(svg, row, mid_y, frame.width_px);
  if (row.shape == Shape::LaneNote) draw_lane_note(svg, row, mid_y);
  if (row.shape == Shape::WideNote) draw_wide_note(svg, row, mid_y, frame.lanes);
  if (row.highlight) {
    const int left_x = kTimeColumnPx + 12;
    const std::string why = clean_text(options.highlight_text.empty() ? "violation" : options.highlight_text);
    const std::string label = truncate("\u2716 " + why, fit_chars(frame.width_px - left_x - 12, kLabelCharPx));
    const int baseline_y = top + row_height(row) - 8;
    rect_at(svg, "why-bg", left_x - 4, baseline_y - 13, static_cast<int>(static_cast<double>(code_points(label)) * kLabelCharPx) + 8, 18, 3);
    text_at(svg, left_x, baseline_y, "why", "start", label);
  }
  svg += "</g></a>\n";
}

// A connection's activation bar on its client's lifeline: from its Dial to its close.
struct Bar {
  std::uint32_t lane = 0;
  int top_y = 0, bottom_y = 0;
};

std::vector<Bar> activation_bars(const Trace& trace, const std::vector<Row>& rows, const std::vector<int>& tops, int end_y) {
  std::map<std::uint32_t, Bar> open;  // by connection id
  std::vector<Bar> bars;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Event& e = trace.events()[rows[r].event];
    const int mid_y = tops[r] + row_mid(rows[r]);
    if (e.kind == EventKind::Dial && rows[r].lane != 0) open[e.conn] = {rows[r].lane, mid_y + 10, end_y};
    // A half-close only shuts the client's sending side: it still reads until the broker closes.
    const bool closes = (e.kind == EventKind::Close && e.data != "half-close") || e.kind == EventKind::PeerClosed ||
                        e.kind == EventKind::PeerReset;
    if (closes && open.contains(e.conn)) {
      Bar bar = open[e.conn];
      bar.bottom_y = mid_y - 10;
      bars.push_back(bar);
      open.erase(e.conn);
    }
  }
  for (const auto& [conn, bar] : open) bars.push_back(bar);
  return bars;
}

std::string arrow_markers() {
  std::string defs = "<defs>";
  const std::pair<const char*, const char*> heads[] = {{"send", "#1f5fbf"}, {"recv", "#2e7d32"}, {"bad", "#8e24aa"}, {"hl", "#d32f2f"}};
  for (const auto& [name, colour] : heads) {
    defs += std::string("<marker id=\"head-") + name + "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" " +
            "markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" + colour +
            "\"/></marker>";
  }
  return defs + "</defs>\n";
}

std::string diagram_svg(const Trace& trace, const std::vector<Row>& rows, std::uint32_t lanes) {
  std::vector<int> tops;
  int y = kTopPaddingPx;
  for (const auto& row : rows) {
    tops.push_back(y);
    y += row_height(row);
  }
  const int height_px = y + kBottomPaddingPx, width_px = diagram_width(lanes);
  std::string svg = "<svg class=\"seq\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width_px) + "\" height=\"" +
                    std::to_string(height_px) + "\" viewBox=\"0 0 " + std::to_string(width_px) + " " + std::to_string(height_px) +
                    "\" role=\"img\" aria-label=\"sequence diagram\">\n" + arrow_markers();
  rect_at(svg, "time-col", 0, 0, kTimeColumnPx, height_px, 0);
  // The violation's band goes under the lifelines, so that they run through it unbroken.
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].highlight) rect_at(svg, "hl-band", 0, tops[r], width_px, row_height(rows[r]), 0);
  }
  for (std::uint32_t lane = 0; lane < lanes; ++lane) {
    const std::string x = std::to_string(lane_x(lane));
    svg += "<line class=\"" + std::string(lane == 0 ? "lifeline broker" : "lifeline") + "\" x1=\"" + x + "\" y1=\"0\" x2=\"" + x +
           "\" y2=\"" + std::to_string(height_px) + "\"/>";
  }
  for (const auto& bar : activation_bars(trace, rows, tops, height_px - kBottomPaddingPx / 2)) {
    rect_at(svg, "bar", lane_x(bar.lane) - kBarHalfWidthPx, bar.top_y, 2 * kBarHalfWidthPx, std::max(bar.bottom_y - bar.top_y, 2), 2);
  }
  svg += "\n";
  return svg;
}

std::string rows_svg(const Trace& trace, const std::vector<Row>& rows, std::uint32_t lanes, const SequenceOptions& options) {
  std::string svg;
  const Frame frame{diagram_width(lanes), lanes};
  int y = kTopPaddingPx;
  std::optional<std::uint64_t> last_ms;
  for (const auto& row : rows) {
    const std::uint64_t time_ms = trace.events()[row.event].time_ms;
    const bool new_time = last_ms != time_ms;
    // A faint rule where virtual time moves on groups what happened at one instant.
    if (new_time && last_ms) {
      svg += "<line class=\"tick\" x1=\"0\" y1=\"" + std::to_string(y) + "\" x2=\"" + std::to_string(frame.width_px) + "\" y2=\"" +
             std::to_string(y) + "\"/>";
    }
    draw_row(svg, trace, row, y, new_time || row.highlight, frame, options);
    last_ms = time_ms;
    y += row_height(row);
  }
  return svg + "</svg>\n";
}

// The protocol a client spoke, from its first packet (the trace records it per event).
std::string protocol_of(const Trace& trace, std::uint32_t client) {
  for (const auto& e : trace.events()) {
    if (e.client != client || (e.kind != EventKind::Send && e.kind != EventKind::Recv)) continue;
    return e.version == mqtt::Version::v311 ? "MQTT 3.1.1" : "MQTT 5";
  }
  return "client";
}

// The lifelines' heads, kept in view while the diagram scrolls (a sticky strip of its own).
std::string actors_svg(const Trace& trace, std::uint32_t lanes) {
  const int width_px = diagram_width(lanes);
  std::string svg = "<svg class=\"actors-svg\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width_px) +
                    "\" height=\"" + std::to_string(kActorHeightPx) + "\">";
  text_at(svg, kTimeColumnPx - 12, kActorHeightPx - 10, "time-head", "end", "time (s)");
  const int box_w = kActorBoxWidthPx;
  for (std::uint32_t lane = 0; lane < lanes; ++lane) {
    const std::string name = lane == 0 ? "broker" : clean_text(trace.client_name(lane));
    const std::string sub = lane == 0 ? "Mosquitto" : protocol_of(trace, lane);
    const int x = lane_x(lane);
    svg += std::string("<g class=\"actor") + (lane == 0 ? " broker" : "") + "\"><title>" + escape(name) + "</title>";
    svg += "<line class=\"lifeline" + std::string(lane == 0 ? " broker" : "") + "\" x1=\"" + std::to_string(x) + "\" y1=\"52\" x2=\"" +
           std::to_string(x) + "\" y2=\"" + std::to_string(kActorHeightPx) + "\"/>";
    rect_at(svg, "actor-box", x - box_w / 2, 8, box_w, 44, 8);
    text_at(svg, x, 28, "actor-name", "middle", truncate(name, fit_chars(box_w - 16, 8.4)));
    text_at(svg, x, 44, "actor-sub", "middle", sub);
    svg += "</g>";
  }
  return svg + "</svg>\n";
}

// ---- The page around the diagram. ----

constexpr const char* kCss = R"css(
:root{--ink:#1d2733;--muted:#5f6b7a;--line:#d8dee4;--send:#1f5fbf;--recv:#2e7d32;--bad:#8e24aa;--hl:#d32f2f}
*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{padding:18px 28px 14px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:21px;margin:0 0 10px;font-weight:650}
h2{font-size:16px;margin:0 0 8px}
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;border:1px solid}
.verdict.fail{background:#fdecea;color:#b71c1c;border-color:#f5c2c0}
.verdict.pass{background:#e8f5e9;color:#1b5e20;border-color:#b9dfbb}
.violation{margin:10px 0 0;padding:8px 12px;border-left:4px solid var(--hl);background:#fff5f5;color:#7f1010}
.violation a{color:#b71c1c;font-weight:600}
.details{margin:10px 0 0;color:var(--muted);font:12px/1.4 "DejaVu Sans Mono",ui-monospace,monospace;white-space:pre-wrap}
.stats{margin:10px 0 0;color:var(--muted);font-size:13px}
.legend{display:inline-flex;gap:16px;margin-left:18px}
.legend span::before{content:"";display:inline-block;width:22px;height:0;border-top:2px solid;vertical-align:middle;margin-right:6px}
.legend .l-send{color:var(--send)}.legend .l-recv{color:var(--recv)}.legend .l-bad{color:var(--bad)}.legend .l-hl{color:var(--hl)}
main{padding:18px 28px 28px}
.diagram{display:inline-block;background:#fff;border:1px solid var(--line);border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.05)}
.actors{position:sticky;top:0;z-index:2;background:rgba(255,255,255,.97);border-bottom:1px solid #e6eaef;border-radius:8px 8px 0 0}
svg{display:block}
svg text{font-family:"DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace}
.actor-box{fill:#eef3fa;stroke:#4a6fa5;stroke-width:1.5}
.actor.broker .actor-box{fill:#37474f;stroke:#263238}
.actor-name{font:600 14px "DejaVu Sans",system-ui,sans-serif;fill:#1d2733}
.actor.broker .actor-name{fill:#fff}
.actor-sub{font-size:11px;fill:var(--muted)}
.actor.broker .actor-sub{fill:#cfd8dc}
.time-head{font-size:11px;fill:var(--muted)}
.time-col{fill:#f7f9fb}
.lifeline{stroke:#a7b1bc;stroke-width:1.2;stroke-dasharray:5 4}
.lifeline.broker{stroke:#37474f;stroke-width:2;stroke-dasharray:none}
.bar{fill:#dbe6f5;stroke:#4a6fa5;stroke-width:1}
.tick{stroke:#e9edf2;stroke-width:1}
.time{font-size:12px;fill:#44505e}
.label{font-size:12px;fill:var(--ink)}
.label-bg{fill:#fff;fill-opacity:.92}
.arrow{stroke-width:1.6}
.send .arrow{stroke:var(--send)}.send .label{fill:#17457f}
.recv .arrow{stroke:var(--recv)}.recv .label{fill:#1e5a22}
.bad .arrow{stroke:var(--bad);stroke-dasharray:4 3}.bad .label{fill:var(--bad)}
.note-text{font-size:11px;fill:#33414f}
.note-box{fill:#f1f3f5;stroke:#b8c1cc}
.conn .note-box{fill:#eef3fa;stroke:#9bb3d6}
.drop .note-box{fill:#fff4e0;stroke:#e0a84f}
.fault .note-box{fill:#fde7d6;stroke:#e07b39}.fault .note-text{fill:#8a3b0b}
.bad .note-box{fill:#f6e6fa;stroke:#b26bc4}
.step .note-box{fill:#e9eef4;stroke:#c3ceda}.step .note-text{font-weight:600;fill:#2c3e50}
.note .note-box{fill:#fffbe6;stroke:#e3d28a}
.log .note-box{fill:#f5f5f5;stroke:#bdbdbd}
.row:hover .label,.row:hover .note-text{text-decoration:underline}
.hl-band{fill:#fdecea}
.hl .label-bg,.why-bg{fill:#fdecea}
.hl .arrow{stroke:var(--hl);stroke-width:2.6}
.hl .label{fill:var(--hl);font-weight:700}
.hl .note-box{fill:#fdecea;stroke:var(--hl);stroke-width:2}
.hl .note-text{fill:var(--hl);font-weight:700}
.hl-mark{fill:var(--hl);font-size:13px}
.why{font:600 12px "DejaVu Sans",system-ui,sans-serif;fill:var(--hl)}
.listing{margin-top:22px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px}
.listing pre{margin:10px 0 0;font:12px/1.5 "DejaVu Sans Mono",ui-monospace,monospace;overflow-x:auto}
.listing .broker-log{display:none;color:#7a8591}
#show-log:checked~pre .broker-log{display:inline}
.listing .hl{background:#fdecea;color:#b71c1c;font-weight:700}
.listing .why-inline{font-weight:400}
.listing span:target{outline:2px solid #f0b429}
.omitted{color:var(--muted);padding:8px 12px}
)css";

std::string listing_html(const Trace& trace, const SequenceOptions& options) {
  std::size_t log_lines = 0;
  std::string pre;
  const auto& events = trace.events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const bool is_log = events[i].kind == EventKind::Log, hl = options.highlight_event == i;
    log_lines += is_log ? 1 : 0;
    pre += "<span id=\"e" + std::to_string(i) + "\" class=\"" + event_kind_name(events[i].kind) + (is_log ? " broker-log" : "") +
           (hl ? " hl" : "") + "\">" + html(trace.line(events[i]));
    if (hl) pre += "<span class=\"why-inline\">   \u25C0 " + html(options.highlight_text) + "</span>";
    pre += "\n</span>";
  }
  return "<section class=\"listing\"><h2>Trace</h2>\n<input type=\"checkbox\" id=\"show-log\"><label for=\"show-log\"> show the broker's log (" +
         std::to_string(log_lines) + " lines)</label>\n<pre>" + pre + "</pre></section>\n";
}

std::string violation_html(const Trace& trace, const SequenceOptions& options) {
  if (!options.highlight_event || *options.highlight_event >= trace.events().size()) return "";
  const Event& e = trace.events()[*options.highlight_event];
  return "<p class=\"violation\"><a href=\"#violation\">event " + std::to_string(*options.highlight_event) + " at " +
         seconds(e.time_ms) + " s, " + html(trace.client_name(e.client)) + "</a>: " + html(options.highlight_text) + "</p>\n";
}

std::string stats_html(const Trace& trace) {
  std::size_t packets = 0;
  for (const auto& e : trace.events()) packets += (e.kind == EventKind::Send || e.kind == EventKind::Recv) ? 1 : 0;
  const std::uint64_t end_ms = trace.events().empty() ? 0 : trace.events().back().time_ms;
  return "<p class=\"stats\">" + std::to_string(trace.client_names().size()) + " clients \u00B7 " + std::to_string(packets) +
         " packets \u00B7 " + seconds(end_ms) + " s of virtual time" +
         "<span class=\"legend\"><span class=\"l-send\">client \u2192 broker</span><span class=\"l-recv\">broker \u2192 client</span>"
         "<span class=\"l-bad\">undecodable</span><span class=\"l-hl\">violation</span></span></p>\n";
}

std::string header_html(const Trace& trace, const SequenceOptions& options) {
  std::string out = "<header><h1>" + html(options.title) + "</h1>\n";
  if (!options.verdict.empty()) {
    out += std::string("<div class=\"verdict ") + (options.passed ? "pass" : "fail") + "\">" + html(options.verdict) + "</div>\n";
  }
  out += violation_html(trace, options);
  if (!options.details.empty()) {
    std::string details;
    for (std::size_t at = 0; at <= options.details.size();) {
      const std::size_t nl = std::min(options.details.find('\n', at), options.details.size());
      details += html(std::string_view(options.details).substr(at, nl - at)) + "\n";
      at = nl + 1;
    }
    out += "<pre class=\"details\">" + details + "</pre>\n";
  }
  return out + stats_html(trace) + "</header>\n";
}

}  // namespace

std::string sequence_html(const Trace& trace, const SequenceOptions& options) {
  const auto lanes = static_cast<std::uint32_t>(trace.client_names().size() + 1);
  const std::vector<Row> rows = build_rows(trace, options, lanes);
  assert(rows.size() <= kSequenceMaxRows);
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + html(options.title) +
                     "</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>" + kCss +
                     "</style></head>\n<body>\n" + header_html(trace, options) + "<main>\n<div class=\"diagram\">\n<div class=\"actors\">" +
                     actors_svg(trace, lanes) + "</div>\n" + diagram_svg(trace, rows, lanes) + rows_svg(trace, rows, lanes, options);
  if (!rows.empty() && rows.back().event + 1 < trace.events().size() && rows.size() == kSequenceMaxRows) {
    page += "<div class=\"omitted\">The diagram stops after " + std::to_string(kSequenceMaxRows) +
            " rows; the listing below has every event.</div>\n";
  }
  page += "</div>\n" + listing_html(trace, options) + "</main>\n</body></html>\n";
  assert(page.find("<script") == std::string::npos);
  return page;
}

bool write_sequence_html(const Trace& trace, const SequenceOptions& options, const std::string& path, std::string* error) {
  const std::string page = sequence_html(trace, options);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(page.data(), static_cast<std::streamsize>(page.size()));
  out.close();
  if (out.fail()) {
    if (error) *error = path + ": cannot write";
    return false;
  }
  return true;
}

}  // namespace mqsim
