// Known-deviation matching: a listed deviation matches a violation only by its statement, its
// `match` expression and its `when_config` lines, so it never tolerates an unrelated violation.
#include <doctest/doctest.h>

#include "props/known_deviations.h"

using mqsim::props::KnownDeviation;
using mqsim::props::KnownDeviations;

TEST_SUITE("known deviations") {

TEST_CASE("when_config: each entry must match one whole line of mosquitto.conf") {
  KnownDeviation d;
  d.statement = "MQTT-3.1.2-22";
  d.when_config = {"max_keepalive [0-9]+"};
  CHECK(KnownDeviations::shows(d, "MQTT-3.1.2-22", "any", "listener 1883\nmax_keepalive 60\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-22", "any", "listener 1883\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-22", "any", "listener 1883\n#max_keepalive 60\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-23", "any", "max_keepalive 60\n"));
}

TEST_CASE("when_config: $1 stands for what match's first group caught, taken literally") {
  KnownDeviation d;
  d.statement = "MQTT-3.1.2-22";
  d.match = R"(1\.5 x (\d+) s after)";
  d.when_config = {"max_keepalive $1"};
  const std::string text = "no keepalive close before 1.5 x 60 s after the last packet received";
  CHECK(KnownDeviations::shows(d, "MQTT-3.1.2-22", text, "listener 1883\nmax_keepalive 60\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-22", text, "listener 1883\nmax_keepalive 5\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-22", text, "listener 1883\nmax_keepalive 600\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-22", text, "listener 1883\n"));
  // A caught group with regex characters matches only itself.
  d.match = R"(topic=\"([^\"]*)\")";
  d.when_config = {"# $1"};
  CHECK(KnownDeviations::shows(d, "MQTT-3.1.2-22", "topic=\"a.b+\"", "# a.b+\n"));
  CHECK_FALSE(KnownDeviations::shows(d, "MQTT-3.1.2-22", "topic=\"a.b+\"", "# axbbb\n"));
}

}  // TEST_SUITE
