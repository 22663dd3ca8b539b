#!/bin/sh
# The lab guest's script (see run-lab.ts): builds the topology once, then runs every phase's cells.
# LAN side (eth0, behind natpass): h1 .10, h2 .11 (manual keys), s1..s6 .20-.25 (strongSwan),
# n1 .30 (NAT behaviour discovery), h3 203.0.113.34 (Transparent Map on the routed subnet), and for
# issue 14's cells a1..a3, b1 .40-.43 (overlap.sh, pmtu.sh), r1..r4 .45-.48 (rekey.sh).
# WAN side (eth1): g1 198.51.100.1 (also natpass's gateway, and the router to f1 198.51.101.2),
# g2 .3, g3 .4, g5 .5 (manual keys), k1..k6 .11-.16 (strongSwan), t1 .20 and .21 (turnserver),
# w .31-.40 (issue 14's gateways c1..c3, d1, d2, e1..e5: one namespace, one charon). One gateway per
# cell where a cell's error counters must be its own. Each phase restarts natpass with another configuration.
D=$(dirname "$0")
. "$D/lib.sh"
# /tmp stays the overlay's (writable, in RAM): a tmpfs over it would hide a checkout that lives under /tmp.
# What this machine's /tmp may hold under the names the scenarios use is removed (in the overlay only).
rm -rf /tmp/sw /tmp/got4 /tmp/i-* /tmp/later
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
echo /bin/true > /proc/sys/kernel/modprobe
ip link set lo up
for side in lan:eth0 wan:eth1; do
  br=br-${side%%:*}; nic=${side#*:}
  ip link add "$br" type bridge && ip link set "$br" up
  ip link set "$nic" master "$br" && ip link set "$nic" up
done
for h in h1:10 h2:11 s1:20 s2:21 s3:22 s4:23 s5:24 s6:25 n1:30; do host "${h%%:*}" br-lan "192.168.1.${h#*:}/24" 192.168.1.1; done
host h3 br-lan 203.0.113.34/28 203.0.113.33
for g in g1:1 g2:3 g3:4 g5:5 k1:11 k2:12 k3:13 k4:14 k5:15 k6:16 t1:20; do
  host "${g%%:*}" br-wan "198.51.100.${g#*:}/24" ""
  ip -n "${g%%:*}" route add 203.0.113.32/28 via 198.51.100.2
done
ip -n t1 addr add 198.51.100.21/24 dev eth0

# Warm the neighbours so the first ping is not lost to ARP.
ip netns exec h1 ping -c 1 -W 2 192.168.1.1 >/dev/null 2>&1
ip netns exec g1 ping -c 1 -W 2 198.51.100.2 >/dev/null 2>&1

. "$D/manual.sh"
. "$D/ike.sh"
. "$D/behaviour.sh"
. "$D/overlap.sh"
. "$D/rekey.sh"
. "$D/pmtu.sh"
wan_gateways w 31 32 33 34 35 36 37 38 39 40
hide_nat_by_label w 192.168.1.40 192.168.1.41 192.168.1.42 192.168.1.43 192.168.1.45 192.168.1.46 192.168.1.47
overlap_setup; rekey_setup; pmtu_setup
swan_start w ee

# lab_wait: waits for the background cells (rekey_start, overlap_start), then writes their rows;
# stops their charons and keeps the multi phase's charon logs in the results share
LAB_PIDS=
lab_wait() {
  wait $LAB_PIDS
  cells_flush
  swan_stop w f1 $OVERLAP_NS $REKEY_NS
  tar -C /tmp/sw -czf "$R/charon-logs.tgz" $(cd /tmp/sw && echo */charon.log) 2>/dev/null
}

# Issue 14's cells (60 s of pings for the rekeys) run in the background of the older multi-phase cells.
next_phase multi && {
  manual_cells
  swan_ready w f1 $OVERLAP_NS $REKEY_NS && { rekey_start; overlap_start; }
  turn_start; ike_cells; lab_wait; behaviour_cells address-dependent
}
next_phase server-list && server_list_cells
next_phase endpoint-independent && behaviour_cells endpoint-independent
next_phase address-and-port-dependent && behaviour_cells address-and-port-dependent

echo done > "$R/done"
echo o > /proc/sysrq-trigger
sleep 5
