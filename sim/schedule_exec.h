// Playing a Schedule (schedule/schedule.h) on the simulator. The schedule is a plain value that
// knows nothing of the simulator; this is where the two meet.
#pragma once

#include "schedule/schedule.h"

namespace mqsim {

class Sim;
// Plays the schedule on a fresh Sim (clients created, ops applied in order, then the liveness
// phase when asked). Every op is marked in the trace with a Step event.
void execute(const Schedule& s, Sim& sim);
// The liveness phase alone: heal the network, release acks, reconnect persistent sessions,
// let time run, so that everything owed can arrive.
void liveness_phase(const Schedule& s, Sim& sim);

}  // namespace mqsim
