// MQTT topic names and filters (MQTT 5.0 sections 4.7 and 4.8.2): validity, wildcard matching
// and $share parsing. Written from the specification only; see topic.h for the contract.
#include "topic.h"

#include <cassert>

namespace mqsim::mqtt {
namespace {

constexpr std::size_t kMaxTopicBytes = 65535;  // a UTF-8 Encoded String's limit [MQTT-4.7.3-3]
constexpr std::string_view kSharePrefix = "$share/";

// Walks the levels of a topic or filter, split at '/'. "" has one empty level and "a/" has two
// ("a" and ""), as 4.7.1.1 says of separators.
class Levels {
 public:
  explicit Levels(std::string_view s) : rest_(s) {}
  bool done() const { return done_; }
  std::string_view next() {
    assert(!done_);
    const std::size_t slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      done_ = true;
      return rest_;
    }
    const std::string_view level = rest_.substr(0, slash);
    rest_.remove_prefix(slash + 1);
    return level;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// Common to names and filters: non-empty, within the string limit, no NUL [MQTT-4.7.3-1..3].
bool valid_topic_string(std::string_view s) {
  return !s.empty() && s.size() <= kMaxTopicBytes && s.find('\0') == std::string_view::npos;
}

// '#' only as a whole level and only the last one; '+' only as a whole level [MQTT-4.7.1-1..3].
bool valid_plain_filter(std::string_view filter) {
  Levels levels(filter);
  // Each pass consumes one level, so the loop runs at most once per '/' plus one.
  while (!levels.done()) {
    const std::string_view level = levels.next();
    if (level.find('#') != std::string_view::npos && (level != "#" || !levels.done())) return false;
    if (level.find('+') != std::string_view::npos && level != "+") return false;
  }
  return true;
}

}  // namespace

bool valid_topic_name(std::string_view topic) {
  return valid_topic_string(topic) && topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) {
  if (!valid_topic_string(filter)) return false;
  if (!filter.starts_with(kSharePrefix)) return valid_plain_filter(filter);
  const std::optional<SharedFilter> shared = parse_shared(filter);
  return shared.has_value() && valid_plain_filter(shared->filter);
}

std::optional<SharedFilter> parse_shared(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return std::nullopt;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;  // no filter after the group
  const std::string_view group = rest.substr(0, slash);
  const std::string_view topic_filter = rest.substr(slash + 1);
  // The ShareName is at least one character and holds no wildcard [MQTT-4.8.2-1, 4.8.2-2]; it
  // cannot hold '/' because it ends at the first one.
  if (group.empty() || group.find_first_of("+#") != std::string_view::npos) return std::nullopt;
  if (topic_filter.empty()) return std::nullopt;
  return SharedFilter{std::string(group), std::string(topic_filter)};
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  // A wildcard first level never matches a topic beginning with '$' [MQTT-4.7.2-1].
  const bool dollar_topic = !topic.empty() && topic.front() == '$';
  if (dollar_topic && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  Levels want(filter), have(topic);
  // Each pass consumes one filter level: bounded by the number of levels in the filter.
  while (!want.done()) {
    const std::string_view level = want.next();
    // '#' matches the parent level and any number of children, so "sport/#" matches "sport".
    if (level == "#") return true;
    if (have.done()) return false;
    const std::string_view actual = have.next();
    if (level != "+" && level != actual) return false;  // '+' matches exactly one level, even ""
  }
  return have.done();
}

}  // namespace mqsim::mqtt
