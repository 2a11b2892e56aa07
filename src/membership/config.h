// Tunables of SWIM + Lifeguard, with LAN defaults (docs/design.md, "Membership").
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/time.h"

namespace drl::membership {

struct Config {
  Nanos probe_interval = 500 * kMillisecond;  // one probe per period (times the health multiplier)
  Nanos probe_timeout = 200 * kMillisecond;   // direct ack deadline before indirect probes
  int indirect_checks = 3;                    // k members asked to ping-req
  // Lifeguard suspicion: min = suspicion_mult * max(1, log10(N+1)) * probe_interval; the timer
  // starts at suspicion_max_mult * min and shrinks towards min as confirmations arrive.
  double suspicion_mult = 4.0;
  double suspicion_max_mult = 6.0;
  int retransmit_mult = 4;
  // Besides riding on probes, queued updates are pushed to gossip_fanout random members every
  // gossip_interval (as memberlist does); nothing is sent when the queue is empty.
  Nanos gossip_interval = 200 * kMillisecond;
  int gossip_fanout = 3;  // an update is piggy-backed retransmit_mult * ceil(log10(N+1)) times
  Nanos push_pull_interval = 15 * kSecond;
  Nanos join_retry_interval = 1 * kSecond;
  Nanos gossip_to_dead_interval = 1 * kSecond;  // ping one recently dead member (heals partitions)
  Nanos heal_sync_min_gap = 2 * kSecond;        // push/pull with a "dead" member that talks to us
  Nanos reap_after = 120 * kSecond;             // dead/left members forgotten after this
  int max_health = 8;                           // Lifeguard: multiplier ranges 1..max_health
  size_t max_packet_bytes = 1400;               // UDP datagram bound, incl. codec overhead
  size_t packet_overhead_bytes = 160;           // reserved for header, body and auth tag
  size_t max_members = 4096;                    // bound on state learnt from the network
};

}  // namespace drl::membership
