// Loading Mosquitto's packet-sequence corpus (test/broker/data/*.json): both formats, with the
// 2.0 Python's bytes.fromhex() and the 2.1 Python's payload tokens (its int(), its fromhex()),
// every malformed part named with its file, group and test. See corpus.h.
#include "corpus.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <fstream>
#include <optional>

namespace mqsim::corpus {
namespace {

using nlohmann::json;
using mqtt::Bytes;

// ---------------------------------------------------------------------------------------------
// Loading

// Where in the corpus a message is about: "FILE: group "G" test "N": ..." (one clear line).
struct Where {
  const std::string& file;
  const std::string* group = nullptr;
  const std::string* name = nullptr;
};

[[noreturn]] void bad(const Where& w, const std::string& what) {
  std::string m = w.file;
  if (w.group) m += ": group \"" + *w.group + "\"";
  if (w.name) m += " test \"" + *w.name + "\"";
  throw CorpusError(m + ": " + what);
}

std::string required_string(const json& obj, const char* key, const Where& w, const std::string& at) {
  const auto it = obj.find(key);
  if (it == obj.end()) bad(w, at + "\"" + key + "\" is missing");
  if (!it->is_string()) bad(w, at + "\"" + key + "\" must be a string, got " + it->dump());
  return it->get<std::string>();
}

bool optional_bool(const json& obj, const char* key, bool fallback, const Where& w) {
  const auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) bad(w, std::string("\"") + key + "\" must be true or false, got " + it->dump());
  return it->get<bool>();
}

// bytes.fromhex() of the payload with its spaces removed: pairs of hex digits, nothing else.
Bytes parse_hex(const std::string& text, const Where& w, const std::string& at) {
  std::string digits;
  digits.reserve(text.size());
  for (const char ch : text) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
    if (!std::isxdigit(static_cast<unsigned char>(ch))) bad(w, at + "payload: '" + ch + "' is not a hex digit");
    digits.push_back(ch);
  }
  if (digits.size() % 2 != 0) bad(w, at + "payload: odd number of hex digits (" + std::to_string(digits.size()) + ")");
  Bytes out(digits.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(std::stoi(digits.substr(2 * i, 2), nullptr, 16));
  assert(out.size() * 2 == digits.size());
  return out;
}

// ---------------------------------------------------------------------------------------------
// The 2.1 payload tokens (parse_tokens), read as the Python's parse_message does.

// White space as Python's int() strips it (str.isspace() over ASCII: the C0 separators too).
bool int_space(char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= '\x1c' && ch <= '\x1f'); }
// White space as bytes.fromhex() skips it between pairs (Py_ISSPACE).
bool hex_space(char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r'); }

struct TokenError {
  std::string what;
};

// Python's int(text) in base 10: white space around, one sign, ASCII digits with single
// underscores between them. Returns the value, which must lie in [0, max] (to_bytes(signed=False)
// raises below or above; a negative vN makes the Python loop forever).
std::uint64_t py_int(std::string_view text, std::uint64_t max) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && int_space(text[begin])) ++begin;
  while (end > begin && int_space(text[end - 1])) --end;
  std::string_view digits = text.substr(begin, end - begin);
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  std::uint64_t value = 0;
  bool last_was_digit = false;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const char ch = digits[i];
    if (ch == '_' && last_was_digit && i + 1 < digits.size()) {
      last_was_digit = false;
      continue;
    }
    if (ch < '0' || ch > '9') throw TokenError{"not a decimal integer"};
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    if (value > (max - digit) / 10) throw TokenError{"out of range (at most " + std::to_string(max) + ")"};
    value = value * 10 + digit;
    last_was_digit = true;
  }
  if (!last_was_digit) throw TokenError{"not a decimal integer"};
  if (negative && value != 0) throw TokenError{"negative"};
  return value;
}

void put_big_endian(Bytes& out, std::uint64_t value, std::size_t bytes) {
  assert(bytes <= 8 && (bytes == 8 || value >> (8 * bytes) == 0));
  for (std::size_t i = bytes; i-- > 0;) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// The variable byte integer loop of parse_message: 7 bits a byte, low first, with no limit of 4.
void put_varint(Bytes& out, std::uint64_t value) {
  for (std::size_t guard = 0; guard < 10; ++guard) {  // 2^64 needs ten 7-bit groups
    auto byte = static_cast<std::uint8_t>(value % 128);
    value /= 128;
    if (value > 0) byte |= 0x80;
    out.push_back(byte);
    if (value == 0) return;
  }
  assert(false && "a 64-bit value takes at most ten bytes");
}

// bytes.fromhex(part): pairs of hex digits, white space allowed between pairs only.
void put_fromhex(Bytes& out, std::string_view part) {
  const auto digit = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < part.size();) {
    if (hex_space(part[i])) {
      ++i;
      continue;
    }
    const int high = digit(part[i]);
    const int low = i + 1 < part.size() ? digit(part[i + 1]) : -1;
    if (high < 0 || low < 0) throw TokenError{"invalid hex bytes"};
    out.push_back(static_cast<std::uint8_t>(high * 16 + low));
    i += 2;
  }
}

// A quoted text from parts[i] on: it takes parts until one ends with a quote, joined by single
// spaces, and gives the text between the quotes.
void put_quoted(Bytes& out, const std::vector<std::string_view>& parts, std::size_t i) {
  std::string text(parts[i].substr(1));
  if (text.empty()) throw TokenError{"a lone quote (the Python fails on it: IndexError)"};
  for (std::size_t j = i; text.back() != '\'' && j + 1 < parts.size();) {
    ++j;
    text += ' ';
    text += parts[j];
  }
  if (text.back() != '\'') throw TokenError{"incomplete string (no closing quote)"};
  out.insert(out.end(), text.begin(), text.end() - 1);
}

void put_token(Bytes& out, const std::vector<std::string_view>& parts, std::size_t i) {
  const std::string_view part = parts[i];
  assert(!part.empty());
  const std::string_view number = part.substr(1);
  switch (part[0]) {
    case 'i': put_big_endian(out, py_int(number, 0xFF), 1); break;
    case 'H': case 'k': case 'm': case 's': put_big_endian(out, py_int(number, 0xFFFF), 2); break;
    case 'L': put_big_endian(out, py_int(number, 0xFFFF'FFFF), 4); break;
    case 'v': case 'r': put_varint(out, py_int(number, UINT64_MAX)); break;
    case '\'': put_quoted(out, parts, i); break;
    default: put_fromhex(out, part); break;
  }
}

// What the 2.0 reader takes (hex digits and the white space it drops); anything else in a
// payload is a sign of the 2.1 format.
bool hex_only(const std::string& payload) {
  return std::all_of(payload.begin(), payload.end(), [](char ch) {
    return std::isxdigit(static_cast<unsigned char>(ch)) || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
  });
}

bool group_shows_2_1(const json& group) {
  if (!group.is_object()) return false;
  if (group.contains("ver") || group.contains("connect") || group.contains("expect_disconnect")) return true;
  const auto tests = group.find("tests");
  if (tests == group.end() || !tests->is_array()) return false;
  for (const json& t : *tests) {
    if (!t.is_object() || !t.contains("msgs") || !t["msgs"].is_array()) continue;
    for (const json& m : t["msgs"]) {
      if (!m.is_object() || !m.contains("payload") || !m["payload"].is_string()) continue;
      const bool raw = m.value("type", json()) == "send" || m.value("type", json()) == "recv";
      if (raw && !hex_only(m["payload"].get<std::string>())) return true;
    }
  }
  return false;
}

// Malformed parts of the document are not judged here: the parse that follows reports them.
Format detect_format(const json& doc) {
  if (!doc.is_array()) return Format::v2_0;
  const bool v2_1 = std::any_of(doc.begin(), doc.end(), group_shows_2_1);
  return v2_1 ? Format::v2_1 : Format::v2_0;
}

Bytes parse_payload(const std::string& text, Format format, const Where& w, const std::string& at) {
  if (format == Format::v2_0) return parse_hex(text, w, at);
  try {
    return parse_tokens(text);
  } catch (const CorpusError& e) {
    bad(w, at + "payload: " + e.what());
  }
}

Msg parse_msg(const json& m, Format format, const Where& w, std::size_t index) {
  const std::string at = "msgs[" + std::to_string(index) + "]: ";
  if (!m.is_object()) bad(w, at + "must be an object, got " + m.dump());
  Msg msg;
  const std::string type = required_string(m, "type", w, at);
  if (m.contains("comment")) msg.comment = required_string(m, "comment", w, at);
  if (type == "send" || type == "recv") {
    msg.kind = type == "send" ? MsgKind::Send : MsgKind::Recv;
    msg.bytes = parse_payload(required_string(m, "payload", w, at), format, w, at);
    return msg;
  }
  if (type != "publish") bad(w, at + "unknown message type \"" + type + "\" (expected send, recv or publish)");
  msg.kind = MsgKind::Publish;
  msg.topic = required_string(m, "topic", w, at);
  msg.payload = required_string(m, "payload", w, at);
  const auto qos = m.find("qos");
  if (qos == m.end() || !qos->is_number_integer() || qos->get<int>() < 0 || qos->get<int>() > 2) {
    bad(w, at + "\"qos\" must be 0, 1 or 2, got " + (qos == m.end() ? std::string("nothing") : qos->dump()));
  }
  msg.qos = static_cast<std::uint8_t>(qos->get<int>());
  return msg;
}

int optional_ver(const json& obj, int fallback, const Where& w) {
  const auto it = obj.find("ver");
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer()) bad(w, "\"ver\" must be an integer, got " + it->dump());
  return it->get<int>();
}

// What a test of a group has unless it says otherwise: the Python's defaults, which the 2.1
// format lets a group set (2.0's Python reads none of these keys from a group).
struct GroupDefaults {
  int ver = 4;
  bool connect = true;
  bool expect_disconnect = true;
};

GroupDefaults group_defaults(const json& group, Format format, const Where& in_group) {
  GroupDefaults d;
  if (format == Format::v2_0) return d;
  d.ver = optional_ver(group, d.ver, in_group);
  d.connect = optional_bool(group, "connect", d.connect, in_group);
  d.expect_disconnect = optional_bool(group, "expect_disconnect", d.expect_disconnect, in_group);
  return d;
}

Case parse_case(const json& t, const std::string& file, const std::string& group, const GroupDefaults& defaults,
                Format format, std::size_t index) {
  const Where in_group{file, &group};
  if (!t.is_object()) bad(in_group, "tests[" + std::to_string(index) + "] must be an object");
  Case c;
  c.file = file;
  c.group = group;
  c.format = format;
  c.name = required_string(t, "name", in_group, "tests[" + std::to_string(index) + "]: ");
  const Where w{file, &group, &c.name};
  c.ver = optional_ver(t, defaults.ver, w);
  c.connect = optional_bool(t, "connect", defaults.connect, w);
  c.expect_disconnect = optional_bool(t, "expect_disconnect", defaults.expect_disconnect, w);
  // The default CONNECT exists for 3.1, 3.1.1 and 5.0 only (mosq_test.gen_connect).
  if (c.connect && c.ver != 3 && c.ver != 4 && c.ver != 5) bad(w, "\"ver\" must be 3, 4 or 5, got " + std::to_string(c.ver));
  const auto msgs = t.find("msgs");
  if (msgs == t.end() || !msgs->is_array()) bad(w, "\"msgs\" must be a list");
  for (std::size_t i = 0; i < msgs->size(); ++i) c.msgs.push_back(parse_msg((*msgs)[i], format, w, i));
  assert(c.msgs.size() == msgs->size());
  return c;
}

json read_doc(const std::string& path) {
  const std::string file = std::filesystem::path(path).filename().string();
  const Where w{file};
  std::ifstream in(path);
  if (!in) bad(w, "cannot open " + path);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    bad(w, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_array()) bad(w, "the top level must be a list of groups");
  return doc;
}

std::vector<Case> parse_doc(const json& doc, const std::string& file, Format format) {
  assert(doc.is_array());
  const Where w{file};
  std::vector<Case> cases;
  for (std::size_t g = 0; g < doc.size(); ++g) {
    const json& group = doc[g];
    if (!group.is_object()) bad(w, "group " + std::to_string(g) + " must be an object");
    const std::string name = required_string(group, "group", w, "group " + std::to_string(g) + ": ");
    const Where in_group{file, &name};
    if (optional_bool(group, "disable", false, in_group)) continue;
    const GroupDefaults defaults = group_defaults(group, format, in_group);
    const auto tests = group.find("tests");
    if (tests == group.end() || !tests->is_array()) bad(in_group, "\"tests\" must be a list");
    for (std::size_t i = 0; i < tests->size(); ++i) cases.push_back(parse_case((*tests)[i], file, name, defaults, format, i));
  }
  return cases;
}

}  // namespace

const char* format_name(Format f) { return f == Format::v2_1 ? "2.1" : "2.0"; }

Bytes parse_tokens(std::string_view payload) {
  // str.split(" "): every single space splits, so two in a row leave an empty part.
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t space = payload.find(' ', start);
    parts.push_back(payload.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  assert(!parts.empty());
  Bytes out;
  // Every part is read in turn, also those a quoted text took (see corpus.h).
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    try {
      put_token(out, parts, i);
    } catch (const TokenError& e) {
      throw CorpusError("part " + std::to_string(i + 1) + " \"" + std::string(parts[i]) + "\": " + e.what);
    }
  }
  return out;
}

std::vector<Case> load_file(const std::string& path, std::optional<Format> format) {
  const json doc = read_doc(path);
  return parse_doc(doc, std::filesystem::path(path).filename().string(), format.value_or(detect_format(doc)));
}

std::vector<Case> load_dir(const std::string& dir, std::optional<Format> format) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw CorpusError(dir + ": no such corpus directory");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 5 && name.ends_with(".json")) names.push_back(name);
  }
  if (ec) throw CorpusError(dir + ": cannot list: " + ec.message());
  if (names.empty()) throw CorpusError(dir + ": no *.json corpus files here");
  std::sort(names.begin(), names.end());  // byte order, like Python's sorted()
  std::vector<json> docs;
  for (const auto& name : names) docs.push_back(read_doc((std::filesystem::path(dir) / name).string()));
  if (!format) format = std::any_of(docs.begin(), docs.end(), [](const json& d) { return detect_format(d) == Format::v2_1; }) ? Format::v2_1 : Format::v2_0;
  std::vector<Case> cases;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto more = parse_doc(docs[i], names[i], *format);
    cases.insert(cases.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return cases;
}

}  // namespace mqsim::corpus
