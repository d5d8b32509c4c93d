// Which acknowledgements a scripted client holds back instead of sending (a slow or broken
// receiver): a value of a schedule's Withhold step and of a client's state in the simulator, so
// it lives with the Schedule value (sim/ includes schedule/, never the other way).
#pragma once

namespace mqsim {

struct AckPolicy {
  bool withhold_puback = false;    // for QoS 1 PUBLISH received
  bool withhold_pubrec = false;    // for QoS 2 PUBLISH received
  bool withhold_pubrel = false;    // for our QoS 2 PUBLISH acknowledged by PUBREC
  bool withhold_pubcomp = false;   // for PUBREL received
  bool operator==(const AckPolicy&) const = default;
};

}  // namespace mqsim
