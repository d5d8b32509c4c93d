// MQTT topic names and filters (MQTT 5.0 section 4.7, 4.8.2): validity, matching, $share parsing.
// Pure functions written from the specification; shared by sim/ and model/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mqsim::mqtt {

// A Topic Name: non-empty, no wildcard characters, no NUL [MQTT-4.7.3-1..3, 3.3.2-2].
bool valid_topic_name(std::string_view topic);
// A Topic Filter: non-empty, '#' only last and alone in its level, '+' alone in its level
// [MQTT-4.7.1-1..3]. A `$share/` filter must also be a valid shared subscription.
bool valid_topic_filter(std::string_view filter);

struct SharedFilter {
  std::string group;                  // ShareName
  std::string filter;                 // the topic filter after the group
};
// "$share/<group>/<filter>" -> {group, filter}; nullopt when `filter` is not a shared
// subscription or is malformed (empty group, group containing + or #, missing filter) [MQTT-4.8.2-1,2].
std::optional<SharedFilter> parse_shared(std::string_view filter);

// Does `filter` (never a $share filter; strip it first) match `topic`? Wildcards at the first
// level do not match topic names beginning with '$' [MQTT-4.7.2-1].
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace mqsim::mqtt
