// Unit tests of the topic functions (trace/mqtt/topic.h): the examples of MQTT 5.0 sections
// 4.7.1.2, 4.7.1.3, 4.7.2, 4.7.3 and 4.8.2 as tables, plus validity edge cases.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "trace/mqtt/topic.h"

using namespace mqsim::mqtt;

namespace {

struct MatchCase {
  const char* filter;
  const char* topic;
  bool matches;
};

}  // namespace

TEST_CASE("topic_matches: the specification's examples") {
  const std::vector<MatchCase> cases = {
      // 4.7.1.2 multi-level wildcard
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"sport/#", "sport/", true},
      {"sport/#", "sports", false},
      {"#", "sport", true},
      {"#", "sport/tennis/player1", true},
      {"#", "/", true},
      // 4.7.1.3 single-level wildcard
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player2", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"sport/+/player1", "sport/tennis/player1", true},
      {"+/tennis/#", "sport/tennis/player1/ranking", true},
      {"+/tennis/#", "sport/tennis", true},
      // 4.7.2 topics beginning with $
      {"#", "$SYS/monitor/Clients", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"+", "$SYS", false},
      {"a/+", "a/$SYS", true},  // only the first level is protected
      // 4.7.3 case sensitivity and separators
      {"ACCOUNTS", "Accounts", false},
      {"Accounts payable", "Accounts payable", true},
      {"/finance", "finance", false},
      {"finance", "/finance", false},
      {"/", "/", true},
      {"+/+", "/", true},
      // empty levels
      {"a/+/b", "a//b", true},
      {"a/+/b", "a/b", false},
      {"a//b", "a//b", true},
      {"a/b", "a/b/", false},
      {"a/b/", "a/b", false},
      {"a/b/+", "a/b/", true},
      // literal levels
      {"a/b/c", "a/b/c", true},
      {"a/b/c", "a/b/c/d", false},
      {"a/b/c/d", "a/b/c", false},
      {"a/b", "a/bb", false},
  };
  for (const MatchCase& c : cases) {
    CAPTURE(c.filter);
    CAPTURE(c.topic);
    CHECK(topic_matches(c.filter, c.topic) == c.matches);
  }
}

TEST_CASE("valid_topic_name") {
  for (const char* ok : {"a", "/", "//", "sport/tennis/player1", "Accounts payable", "$SYS/broker",
                         "\xC3\xA9t\xC3\xA9", " "}) {
    CAPTURE(ok);
    CHECK(valid_topic_name(ok));
  }
  for (const char* bad : {"", "a/+", "+", "#", "a/#", "sport/tennis#", "a+b"}) {
    CAPTURE(bad);
    CHECK_FALSE(valid_topic_name(bad));
  }
  CHECK_FALSE(valid_topic_name(std::string("a\0b", 3)));
  CHECK(valid_topic_name(std::string(65535, 'a')));
  CHECK_FALSE(valid_topic_name(std::string(65536, 'a')));
}

TEST_CASE("valid_topic_filter") {
  for (const char* ok : {"#", "+", "+/+", "/", "//", "/+", "sport/#", "sport/tennis/#",
                         "sport/+/player1", "+/tennis/#", "$SYS/#", "$SYS/monitor/+", "a",
                         "$share", "$sharex/a", "$share/g/#", "$share/consumer1/sport/tennis/+",
                         "$share/consumer1//finance"}) {
    CAPTURE(ok);
    CHECK(valid_topic_filter(ok));
  }
  for (const char* bad : {"", "sport/tennis#", "sport/tennis/#/ranking", "sport+", "+a", "a/+b",
                          "##", "#/", "#/a", "a/#/", "++", "$share/", "$share/g", "$share/g/",
                          "$share//x", "$share/g+/x", "$share/#/x", "$share/g/a#", "$share/g/+x"}) {
    CAPTURE(bad);
    CHECK_FALSE(valid_topic_filter(bad));
  }
  CHECK_FALSE(valid_topic_filter(std::string("a/\0", 3)));
  CHECK(valid_topic_filter(std::string(65535, 'a')));
  CHECK_FALSE(valid_topic_filter(std::string(65536, 'a')));
}

TEST_CASE("parse_shared") {
  struct Case {
    const char* filter;
    const char* group;
    const char* topic_filter;
  };
  const std::vector<Case> shared = {
      {"$share/consumer1/sport/tennis/+", "consumer1", "sport/tennis/+"},
      {"$share/consumer2/sport/tennis/+", "consumer2", "sport/tennis/+"},
      {"$share/consumer1//finance", "consumer1", "/finance"},
      {"$share/g/#", "g", "#"},
      {"$share/g/$share/h/x", "g", "$share/h/x"},
  };
  for (const Case& c : shared) {
    CAPTURE(c.filter);
    const std::optional<SharedFilter> parsed = parse_shared(c.filter);
    REQUIRE(parsed.has_value());
    CHECK(parsed->group == c.group);
    CHECK(parsed->filter == c.topic_filter);
  }
  for (const char* no : {"sport/tennis", "$share", "$sharex/a/b", "$SHARE/g/a", "share/g/a",
                         "$share/", "$share/g", "$share/g/", "$share//a", "$share/g+/a",
                         "$share/#/a", "$share/a+b/c"}) {
    CAPTURE(no);
    CHECK_FALSE(parse_shared(no).has_value());
  }
}

TEST_CASE("a shared filter's topic filter matches like any other once stripped") {
  const std::optional<SharedFilter> s = parse_shared("$share/g/sport/+");
  REQUIRE(s.has_value());
  CHECK(topic_matches(s->filter, "sport/tennis"));
  CHECK_FALSE(topic_matches(s->filter, "sport/tennis/x"));
  // Unstripped, "$share" is just a literal first level.
  CHECK_FALSE(topic_matches("$share/g/sport/+", "sport/tennis"));
}
