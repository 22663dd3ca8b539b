// The lab's matrix: each cell names the natpass phase (configuration) it runs under, what the technote
// (or the RFC) says, and what natpass documents; run-lab.ts compares the guest's observation with it.

export interface Phase {
  name: string;
  /** Overrides merged into natpass-lab.json for this phase. */
  nat?: Record<string, unknown>;
  ipsec?: Record<string, unknown>;
  label: string;
}

/** In the order the guest runs them (guest/scenarios.sh). */
export const PHASES: Phase[] = [
  { name: 'multi', label: 'multi (4.10)' },
  { name: 'server-list', label: 'server-list (4.8), UDP 500 → h1', ipsec: { mode: 'server-list' },
    nat: { serverList: [{ name: 'ike-h1', protocol: 'udp', externalPort: '500', internalHost: '192.168.1.10', internalPort: 500 }] } },
  { name: 'endpoint-independent', label: 'multi, filtering endpoint-independent', nat: { filtering: 'endpoint-independent' } },
  { name: 'address-and-port-dependent', label: 'multi, filtering address-and-port-dependent', nat: { filtering: 'address-and-port-dependent' } },
];

export interface Cell { id: string; phase: string; what: string; technote: string; natpass: string }

const behaviour = (filtering: string, cls: string): Cell[] => [
  { id: `nat-behaviour-${filtering}`, phase: filtering === 'address-dependent' ? 'multi' : filtering, what: `RFC 5780 discovery (coturn), filtering ${filtering}`,
    technote: 'RFC 4787: EIM required, filtering per setting', natpass: `Endpoint Independent Mapping; ${cls} Filtering` },
  // coturn's request reaches the client's mapping from another external port of ours; filtering
  // applies to hairpinned packets as to any other external source (REQ-9: external source address).
  { id: `hairpin-${filtering}`, phase: filtering === 'address-dependent' ? 'multi' : filtering, what: `Hairpinning (coturn -H), filtering ${filtering}`,
    technote: 'RFC 4787 REQ-9: hairpinning with the external source', natpass: filtering === 'endpoint-independent' ? 'pass' : 'fail' },
];

const overlap = (id: string, how: string): Cell[] => [
  { id: `three-hosts-at-once-${id}`, phase: 'multi', what: `three hosts start ${how} to one gateway at the same moment, raw ESP; pings, then the gateway first after 12 s idle`,
    technote: 'may not be overlapped (the limit of 4.10)', natpass: 'pass' },
];

const rekey = (id: string, how: string, maxLost = 1): Cell[] => [
  { id: `rekey-${id}`, phase: 'multi', what: `strongSwan ${how}: CHILD SA rekeyed every 20 s, IKE SA ${id.startsWith('ikev1') ? 'reauthenticated every 30 s' : 'every 20 s'}, under 5 pings/s for 60 s, at most ${maxLost} lost`,
    technote: 'not covered', natpass: 'pass' },
];

export const CELLS: Cell[] = [
  { id: 'esp-tunnel-manual-pat', phase: 'multi', what: 'ESP tunnel mode, manual keys, through PAT', technote: 'works', natpass: 'pass' },
  { id: 'ah-tunnel-manual-pat', phase: 'multi', what: 'AH tunnel mode, manual keys, through PAT', technote: 'fails (AH authenticates the rewritten source address)', natpass: 'fail' },
  { id: 'ah-tunnel-manual-transparent', phase: 'multi', what: 'AH tunnel mode, manual keys, through a Transparent Map', technote: 'works', natpass: 'pass' },
  { id: 'esp-transport-tcp-pat', phase: 'multi', what: 'ESP transport mode, manual keys, TCP through PAT', technote: 'usually fails (TCP checksum covers the original addresses)', natpass: 'fail' },
  { id: 'ikev2-natt-pat', phase: 'multi', what: 'strongSwan IKEv2 through PAT, NAT-T (ESP-in-UDP)', technote: 'works (NAT-T is plain NAPT)', natpass: 'pass' },
  { id: 'ikev1-natt-pat', phase: 'multi', what: 'strongSwan IKEv1 main mode through PAT, NAT-T', technote: 'works', natpass: 'pass' },
  { id: 'ikev2-raw-esp-alg', phase: 'multi', what: 'strongSwan IKEv2 through PAT, no NAT detected, raw ESP via the ALG', technote: 'works (4.10)', natpass: 'pass' },
  { id: 'ikev1-raw-esp-alg', phase: 'multi', what: 'strongSwan IKEv1 through PAT, no NAT detected, raw ESP via the ALG', technote: 'works (4.10)', natpass: 'pass' },
  { id: 'ikev1-idle-gateway-first', phase: 'multi', what: 'strongSwan IKEv1, raw ESP, tunnel idle 11 s, then the gateway speaks first', technote: 'not covered', natpass: 'pass' },
  { id: 'ikev2-idle-gateway-first', phase: 'multi', what: 'strongSwan IKEv2 (MOBIKE on 4500, no NAT seen), raw ESP, idle 11 s, gateway first', technote: 'not covered', natpass: 'pass' },
  { id: 'two-hosts-two-gateways', phase: 'multi', what: 'two LAN hosts × two gateways (IKEv2 and IKEv1) at once', technote: 'works (4.10)', natpass: 'pass' },
  { id: 'ike-simultaneous-same-gateway', phase: 'multi', what: 'two hosts start IKEv2 to the same gateway at the same moment', technote: 'may fail (the limit of 4.10)', natpass: 'pass' },
  // Issue 14: raw ESP for several hosts behind natpass with one gateway (NAT hidden by SPI labels, guest/lib.sh
  // hide_nat_by_label), several SAs per tunnel, rekeys under traffic, PMTU errors for tunnels.
  ...overlap('ikev1', 'IKEv1 main mode'), ...overlap('ikev2', 'IKEv2 without MOBIKE'), ...overlap('ikev2-mobike', 'IKEv2 with MOBIKE'),
  { id: 'two-child-sas-ikev2', phase: 'multi', what: 'strongSwan IKEv2, raw ESP, two CHILD SAs (two subnets): IKE_AUTH, then CREATE_CHILD_SA', technote: 'not covered', natpass: 'pass' },
  { id: 'two-child-sas-ikev1', phase: 'multi', what: 'strongSwan IKEv1, raw ESP, two CHILD SAs (two subnets): two Quick Modes in one phase 1', technote: 'not covered', natpass: 'pass' },
  ...rekey('ikev2-mobike-raw', 'IKEv2 with MOBIKE, raw ESP'), ...rekey('ikev2-raw', 'IKEv2 without MOBIKE, raw ESP'), ...rekey('ikev1-raw', 'IKEv1, raw ESP', 10),
  ...rekey('ikev2-natt', 'IKEv2, NAT-T'), ...rekey('ikev1-natt', 'IKEv1, NAT-T', 10),
  { id: 'pmtu-frag-needed-esp', phase: 'multi', what: 'ICMP "fragmentation needed" from a router with a 1280-byte link, quoting a host\'s raw ESP (IKEv2)', technote: 'RFC 5508 REQ-4: translate ICMP errors to the right host', natpass: 'pass' },
  { id: 'server-list-esp-owner', phase: 'server-list', what: 'ESP tunnel from the host that owns UDP 500', technote: 'works (4.8)', natpass: 'pass' },
  { id: 'server-list-esp-other', phase: 'server-list', what: 'ESP tunnel from another host', technote: 'fails: inbound ESP goes to the UDP 500 host (4.8)', natpass: 'fail' },
  ...behaviour('address-dependent', 'Address Dependent'),
  ...behaviour('endpoint-independent', 'Endpoint Independent'),
  ...behaviour('address-and-port-dependent', 'Address and Port Dependent'),
];
