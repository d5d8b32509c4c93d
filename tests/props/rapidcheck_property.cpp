// The same property through rapidcheck's own runner, so rapidcheck's tooling works as documented:
// RC_PARAMS="seed=..., max_success=..." for a campaign and RC_PARAMS="reproduce=..." to replay a
// failure rapidcheck printed (byte-identical trace: the schedule and the simulator are both
// deterministic). Known deviations are tolerated and classified.
#include <rapidcheck.h>

#include <cstdio>

#include "model/broker_config.h"
#include "props/campaign.h"
#include "props/generators.h"

using namespace mqsim;

int main() {
  props::KnownDeviations known;
  std::string error;
  if (!known.load_dir(props::default_known_deviations_dir(), &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  props::Evaluator ev(20'000);
  const bool ok = rc::check("Mosquitto's traces satisfy the MQTT reference model", [&] {
    Schedule s = *props::gen_schedule();
    s.seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
    const auto e = ev.evaluate(s);
    if (e.violation && known.match(e.violation->statement, e.violation->text(), e.mosquitto_conf)) {
      RC_CLASSIFY(true, "known deviation " + e.violation->statement);
      return;
    }
    RC_LOG() << schedule_text(s) << "\ntrace hash " << hex64(e.result.trace.hash()) << "\n";
    RC_ASSERT(e.result.ok());
    if (e.violation) RC_FAIL(e.violation->text());
  });
  return ok ? 0 : 1;
}
