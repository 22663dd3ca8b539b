# Several LAN hosts behind natpass's one address tunnel to ONE gateway in raw ESP (issue 14), NAT
# hidden from the gateways by SPI labels (hide_nat_by_label): a1..a3 (.40-.42) start tunnels to c1
# (.31, IKEv1 main mode), c2 (.32, IKEv2 without MOBIKE) and c3 (.33, IKEv2 with MOBIKE) at the same
# moment; b1 (.43) negotiates two CHILD SAs (two subnets) in one IKE SA with d1 (.34, IKEv2) and d2
# (.35, IKEv1). The gateways are addresses of namespace w (scenarios.sh).
OVERLAP_GWS="c1:31:1:mobike=no c2:32:2:mobike=no c3:33:2:mobike=yes"
OVERLAP_HOSTS="a1:40 a2:41 a3:42"
OVERLAP_NS="a1 a2 a3 b1"

overlap_setup() {
  lan_hosts $OVERLAP_HOSTS b1:43
  for g in $OVERLAP_GWS; do
    oifs=$IFS; IFS=:; set -- $g; IFS=$oifs
    for h in $OVERLAP_HOSTS; do
      swan_conn "${h%%:*}" "$1" "$3" "198.51.100.$2" "${h%%:*}" "$1" "10.5.${h#*:}.1/32" "10.6.$2.1/32" "$4"
      swan_conn w "$1-${h%%:*}" "$3" "192.168.1.${h#*:}" "$1" "${h%%:*}" "10.6.$2.1/32" "10.5.${h#*:}.1/32" "$4 local_addrs=198.51.100.$2"
    done
  done
  for g in d1:34:2 d2:35:1; do
    oifs=$IFS; IFS=:; set -- $g; IFS=$oifs
    swan_conn b1 "$1" "$3" "198.51.100.$2" b1 "$1" 10.5.43.1/32 "10.6.$2.0/24"
    swan_child b1 "$1" "$1-second" 10.5.43.1/32 "10.7.$2.0/24"
    swan_conn w "$1-b1" "$3" 192.168.1.43 "$1" b1 "10.6.$2.0/24" 10.5.43.1/32 "local_addrs=198.51.100.$2"
    swan_child w "$1-b1" "$1-b1-second" "10.7.$2.0/24" 10.5.43.1/32
  done
  for h in $OVERLAP_HOSTS b1:43; do swan_start "${h%%:*}" "${h#*:}"; done
}

# overlap_start: these cells (and b1's PMTU cell after its two-CHILD cells) in the background;
# their rows wait in cell_later until lab_wait (scenarios.sh)
overlap_start() {
  for c in ikev1:c1:31 ikev2:c2:32 ikev2-mobike:c3:33; do
    oifs=$IFS; IFS=:; set -- $c; IFS=$oifs
    simultaneous_cell "three-hosts-at-once-$1" "$2" "$3" &
    LAB_PIDS="$LAB_PIDS $!"
  done
  { two_child_cell two-child-sas-ikev2 d1 34; two_child_cell two-child-sas-ikev1 d2 35; pmtu_cell; } &
  LAB_PIDS="$LAB_PIDS $!"
}

# simultaneous_cell ID GW OCTET: a1..a3 start their tunnels to GW together; each pings, then after
# 12 s idle (past natpass's pending window) the gateway pings each host first
simultaneous_cell() {
  ipids=
  for h in $OVERLAP_HOSTS; do
    swan "${h%%:*}" --initiate --child "$2" --timeout 30 >"/tmp/i-${h%%:*}-$2" 2>&1 &
    ipids="$ipids $!"
  done
  wait $ipids
  r=pass; first=; later=; raw=
  for h in $OVERLAP_HOSTS; do
    p=$(pings "${h%%:*}" "10.5.${h#*:}.1" "10.6.$3.1") || r=fail
    first="$first ${h%%:*} $p,"
    e=$(encap "${h%%:*}"); [ "$e" = "raw ESP" ] || { r=fail; raw="$raw ${h%%:*}: $e"; }
  done
  sleep 12
  for h in $OVERLAP_HOSTS; do p=$(pings w "10.6.$3.1" "10.5.${h#*:}.1") || r=fail; later="$later ${h%%:*} $p,"; done
  cell_later "$1" "$r" "first pings:$first from $2 after 12 s idle:$later IKE SAs up at $2: $(swan w --list-sas 2>/dev/null | grep -c "^$2-a[0-9]*: .*ESTABLISHED"); ${raw:-all raw ESP}; natpass so far: drop_esp_ambiguous=$(natpass_counter drop_esp_ambiguous) drop_esp_unknown_spi=$(natpass_counter drop_esp_unknown_spi)"
}

# two_child_cell ID GW OCTET: b1's first CHILD SA (IKE_AUTH / first Quick Mode), then a second one
# right after (CREATE_CHILD_SA / second Quick Mode); traffic must cross both
two_child_cell() {
  swan b1 --initiate --child "$2" --timeout 30 >"/tmp/i-b1-$2" 2>&1
  swan b1 --initiate --child "$2-second" --timeout 30 >>"/tmp/i-b1-$2" 2>&1
  r=pass
  p1=$(pings b1 10.5.43.1 "10.6.$3.1") || r=fail
  p2=$(pings b1 10.5.43.1 "10.7.$3.1") || r=fail
  e=$(encap b1)
  [ "$e" = "raw ESP" ] || r=fail
  cell_later "$1" "$r" "first subnet $p1, second subnet $p2 pings; b1 CHILD SAs with $2 installed: $(swan b1 --list-sas --ike "$2" 2>/dev/null | grep -c INSTALLED), SAs: $e; natpass so far: drop_esp_unknown_spi=$(natpass_counter drop_esp_unknown_spi)"
}
