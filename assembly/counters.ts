// Every counter and drop reason, in one list: the enum gives the index into the counter array,
// COUNTER_NAMES gives the name the host shows (exported as a string, so the host never keeps a copy).
// Append only: the index is part of the ABI seen by state.json readers. ike_hold_timed_out stays at 0
// since 2026-12-03: a held IKE request leaves by the overlap rule (alg/hold.ts), never by a timeout.

export enum Counter {
  RxFrames, RxLan, RxWan, TxFrames, TxLan, TxWan,
  DropOversize, DropRunt, DropBadPort, DropEtherType, DropNotForUs,
  ArpRequestsIn, ArpRepliesIn, ArpRepliesOut, ArpRequestsOut, DropArpMalformed, ArpQueued, DropArpQueueFull, DropArpTimeout,
  DropIpMalformed, DropIpChecksum, DropIpOptions, DropIpVersion, DropTtlExceeded, IcmpTimeExceededOut,
  IcmpEchoReplies, DropIcmpMalformed, DropNoRoute, DropMartian,
  NatIn2Out, NatOut2In, NatHairpin, SessionsCreated, SessionsExpired, MappingsCreated, MappingsExpired,
  DropSessionTableFull, DropMappingTableFull, DropHostQuota, DropPortsExhausted, SessionsEvicted,
  DropFiltered, DropUnsolicited, DropTcpNotSyn, DropL4Malformed,
  ServerListIn, DefaultServerIn, StaticMapIn2Out, StaticMapOut2In, TransparentPass,
  IcmpErrorsIn2Out, IcmpErrorsOut2In, DropIcmpErrorNoSession,
  FragmentsTranslated, FragmentsHeld, DropFragmentTableFull, DropFragmentHoldFull, DropFragmentTimeout, DropFragmentMalformed,
  OutRingFull,
  IpsecEspIn2Out, IpsecEspOut2In, IpsecAhIn2Out, IpsecAhOut2In, IkeIn2Out, IkeOut2In,
  DropIpsecOff, DropEspUnknownSpi, DropEspAmbiguous, DropIkeUnknownCookie, IkeHeld, DropIkeHoldFull, IkeHoldReleased,
  IkeHoldTimedOut, SpiBound, DropIkeTableFull, DropSaTableFull, IkeSessionsExpired, SasExpired, AdvisorFindings,
  DropProtocol,
  ExpressForwarded,
  IkeSessionsEvicted, SasEvicted, EspCopies, IkeCopies, SpiNarrowed, IkeHoldDuplicates, DropIcmpErrorChecksum,
  DropHostShare, ArpIgnored, DropFragmentHostShare, DropArpQueueHostShare,
  Count,
}

// One literal (not a concatenation) so it is static data, not built at start-up.
export const COUNTER_NAMES = "rx_frames,rx_lan,rx_wan,tx_frames,tx_lan,tx_wan,drop_oversize,drop_runt,drop_bad_port,drop_ethertype,drop_not_for_us,arp_requests_in,arp_replies_in,arp_replies_out,arp_requests_out,drop_arp_malformed,arp_queued,drop_arp_queue_full,drop_arp_timeout,drop_ip_malformed,drop_ip_checksum,drop_ip_options,drop_ip_version,drop_ttl_exceeded,icmp_time_exceeded_out,icmp_echo_replies,drop_icmp_malformed,drop_no_route,drop_martian,nat_in2out,nat_out2in,nat_hairpin,sessions_created,sessions_expired,mappings_created,mappings_expired,drop_session_table_full,drop_mapping_table_full,drop_host_quota,drop_ports_exhausted,sessions_evicted,drop_filtered,drop_unsolicited,drop_tcp_not_syn,drop_l4_malformed,server_list_in,default_server_in,static_map_in2out,static_map_out2in,transparent_pass,icmp_errors_in2out,icmp_errors_out2in,drop_icmp_error_no_session,fragments_translated,fragments_held,drop_fragment_table_full,drop_fragment_hold_full,drop_fragment_timeout,drop_fragment_malformed,out_ring_full,ipsec_esp_in2out,ipsec_esp_out2in,ipsec_ah_in2out,ipsec_ah_out2in,ike_in2out,ike_out2in,drop_ipsec_off,drop_esp_unknown_spi,drop_esp_ambiguous,drop_ike_unknown_cookie,ike_held,drop_ike_hold_full,ike_hold_released,ike_hold_timed_out,spi_bound,drop_ike_table_full,drop_sa_table_full,ike_sessions_expired,sas_expired,advisor_findings,drop_protocol,express_forwarded,ike_sessions_evicted,sas_evicted,esp_copies,ike_copies,spi_narrowed,ike_hold_duplicates,drop_icmp_error_checksum,drop_host_share,arp_ignored,drop_fragment_host_share,drop_arp_queue_host_share";

export const counterBase = memory.data(<i32>Counter.Count * 4, 16);

@inline export function count(c: Counter): void {
  countMany(c, 1);
}

@inline export function countMany(c: Counter, n: u32): void {
  const p = counterBase + (<usize>c << 2);
  store<u32>(p, load<u32>(p) + n);
}

// Frames the express path forwarded, per ingress port (nat/express.ts): one count per frame instead of
// four, folded into their counters by countersSettle.
const expressTally = memory.data(8, 16);

/** A frame received on `port` and forwarded by the express path: rx_<port>, nat_in2out or nat_out2in,
 *  tx_<other port> and express_forwarded, as countersSettle will count it. */
@inline export function countExpress(port: u16): void {
  const p = expressTally + (<usize>port << 2);
  store<u32>(p, load<u32>(p) + 1);
}

/**
 * Counters that are sums are not counted per frame but written here, before anyone reads the counters
 * (the counters() export, the console): the express path's tally goes into the four counters of each
 * of its frames, every frame received is rx_lan, rx_wan or drop_bad_port, and every frame sent tx_lan
 * or tx_wan.
 */
export function countersSettle(): void {
  const lan = load<u32>(expressTally), wan = load<u32>(expressTally, 4); // by ingress port
  store<u32>(expressTally, 0);
  store<u32>(expressTally, 0, 4);
  countMany(Counter.RxLan, lan);
  countMany(Counter.NatIn2Out, lan);
  countMany(Counter.TxWan, lan);
  countMany(Counter.RxWan, wan);
  countMany(Counter.NatOut2In, wan);
  countMany(Counter.TxLan, wan);
  countMany(Counter.ExpressForwarded, lan + wan);
  store<u32>(counterBase + (<usize>Counter.RxFrames << 2), counterOf(Counter.RxLan) + counterOf(Counter.RxWan) + counterOf(Counter.DropBadPort));
  store<u32>(counterBase + (<usize>Counter.TxFrames << 2), counterOf(Counter.TxLan) + counterOf(Counter.TxWan));
}

@inline function counterOf(c: Counter): u32 {
  return load<u32>(counterBase + (<usize>c << 2));
}

export function countersReset(): void {
  memory.fill(counterBase, 0, <usize>Counter.Count * 4);
  store<u32>(expressTally, 0); // two words: an 8-byte fill would be an i64 store (boards refuse i64)
  store<u32>(expressTally, 0, 4);
}
