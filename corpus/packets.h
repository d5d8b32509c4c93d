// The bytes Mosquitto's test helpers (mosq_test.gen_*) build, byte for byte: what a case sends
// and expects besides the corpus's own bytes (the default CONNECT and CONNACK, the helper's
// PUBLISH); and bytes as hex text, for the reasons a case fails with.
#pragma once

#include <string>

#include "corpus/corpus.h"

namespace mqsim::corpus {

std::string hex(const mqtt::Bytes& bytes);
// gen_connect(client_id, keepalive=60, proto_ver=ver).
mqtt::Bytes default_connect(const std::string& client_id, int ver);
// gen_connack(rc=0, proto_ver=ver), as the corpus format's Python expects it.
mqtt::Bytes default_connack(int ver, Format format);
// gen_publish(topic, qos, payload, mid=1 when qos > 0), 3.1.1.
mqtt::Bytes helper_publish(const Msg& m);

}  // namespace mqsim::corpus
