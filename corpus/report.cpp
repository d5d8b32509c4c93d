// The corpus's verdicts for people and for files: the tally, the verdicts as JSON and back, and
// the comparison of two verdict lists (simulator vs daemon, one version vs another). See corpus.h.
#include "corpus.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace mqsim::corpus {

using nlohmann::json;

std::string tally_text(const CorpusResult& result) {
  std::ostringstream out;
  char line[160];
  for (const FileTally& f : result.files) {
    std::snprintf(line, sizeof line, "%-24s %5zu passed %5zu failed\n", f.file.c_str(), f.passed, f.failed);
    out << line;
  }
  std::snprintf(line, sizeof line, "%-24s %5zu passed %5zu failed   (%.3f s wall, %.3f s CPU)\n", "total",
                result.passed, result.failed, result.wall_s, result.cpu_s);
  out << line;
  return out.str();
}

std::string verdicts_json(const CorpusResult& result) {
  json list = json::array();
  for (const Verdict& v : result.verdicts) {
    json item = {{"file", v.file}, {"group", v.group}, {"name", v.name},
                 {"verdict", v.result.passed ? "pass" : "fail"}, {"reason", v.result.reason}};
    if (v.result.signal != 0) item["signal"] = v.result.signal;
    list.push_back(std::move(item));
  }
  return list.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<Verdict> read_verdicts_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CorpusError(path + ": cannot open");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw CorpusError(path + ": malformed JSON: " + e.what());
  }
  if (!doc.is_array()) throw CorpusError(path + ": expected a list of verdicts (mqsim corpus --json)");
  std::vector<Verdict> out;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& item = doc[i];
    const std::string at = path + ": entry " + std::to_string(i) + ": ";
    if (!item.is_object()) throw CorpusError(at + "must be an object");
    Verdict v;
    for (auto [key, field] : {std::pair{"file", &v.file}, {"group", &v.group}, {"name", &v.name}, {"reason", &v.result.reason}}) {
      const auto it = item.find(key);
      if (it == item.end() || !it->is_string()) throw CorpusError(at + "\"" + key + "\" must be a string");
      *field = it->get<std::string>();
    }
    const auto verdict = item.find("verdict");
    if (verdict == item.end() || !verdict->is_string() || (*verdict != "pass" && *verdict != "fail")) {
      throw CorpusError(at + "\"verdict\" must be \"pass\" or \"fail\"");
    }
    v.result.passed = *verdict == "pass";
    if (item.contains("signal") && item["signal"].is_number_integer()) v.result.signal = item["signal"].get<int>();
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// "file\0group\0name\0k": the k-th case of that name (SUBSCRIBE.json repeats a few names).
std::vector<std::string> case_keys(const std::vector<Verdict>& list) {
  std::map<std::string, std::size_t> seen;
  std::vector<std::string> keys;
  keys.reserve(list.size());
  for (const Verdict& v : list) {
    std::string key = v.file + '\0' + v.group + '\0' + v.name;
    keys.push_back(key + '\0' + std::to_string(seen[key]++));
  }
  return keys;
}

}  // namespace

Comparison compare_verdicts(const std::vector<Verdict>& a, const std::vector<Verdict>& b) {
  const auto a_keys = case_keys(a);
  const auto b_keys = case_keys(b);
  std::map<std::string, std::size_t> b_index;
  for (std::size_t i = 0; i < b.size(); ++i) b_index.emplace(b_keys[i], i);
  std::vector<bool> b_matched(b.size(), false);
  Comparison c;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto it = b_index.find(a_keys[i]);
    if (it == b_index.end()) {
      c.only_a.push_back(a[i]);
      continue;
    }
    const Verdict& other = b[it->second];
    b_matched[it->second] = true;
    ++c.matched;
    c.a_failed += a[i].result.passed ? 0 : 1;
    c.b_failed += other.result.passed ? 0 : 1;
    if (a[i].result.passed != other.result.passed) {
      c.differ.emplace_back(a[i], other);
      continue;
    }
    ++c.agree;
    if (!a[i].result.passed && a[i].result.reason != other.result.reason) c.reasons.emplace_back(a[i], other);
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!b_matched[i]) c.only_b.push_back(b[i]);
  }
  assert(c.agree + c.differ.size() == c.matched);
  assert(c.matched + c.only_a.size() == a.size() && c.matched + c.only_b.size() == b.size());
  return c;
}

std::string comparison_text(const Comparison& c, const std::string& a_name, const std::string& b_name, bool show_reasons) {
  std::ostringstream out;
  const auto verdict = [](const Verdict& v) { return v.result.passed ? std::string("pass") : "fail: " + v.result.reason; };
  out << c.matched << " cases in both; verdicts agree on " << c.agree << ", differ on " << c.differ.size() << "\n"
      << "  failing: " << c.a_failed << " in " << a_name << ", " << c.b_failed << " in " << b_name << "\n";
  if (!c.only_a.empty() || !c.only_b.empty()) {
    out << "  unmatched: " << c.only_a.size() << " only in " << a_name << ", " << c.only_b.size() << " only in " << b_name << "\n";
  }
  out << "  both failing for different reasons: " << c.reasons.size() << "\n";
  for (const auto& [x, y] : c.differ) {
    out << "DIFFER " << x.file << ": " << x.group << " " << x.name << "\n"
        << "       " << a_name << ": " << verdict(x) << "\n"
        << "       " << b_name << ": " << verdict(y) << "\n";
  }
  for (const Verdict& v : c.only_a) out << "ONLY " << a_name << " " << v.file << ": " << v.group << " " << v.name << "\n";
  for (const Verdict& v : c.only_b) out << "ONLY " << b_name << " " << v.file << ": " << v.group << " " << v.name << "\n";
  if (show_reasons) {
    for (const auto& [x, y] : c.reasons) {
      out << "REASON " << x.file << ": " << x.group << " " << x.name << "\n"
          << "       " << a_name << ": " << x.result.reason << "\n"
          << "       " << b_name << ": " << y.result.reason << "\n";
    }
  }
  return out.str();
}

}  // namespace mqsim::corpus
