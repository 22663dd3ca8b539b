# Helpers the lab's scenario scripts share (sourced inside the guest by scenarios.sh).
R=/lab-results

# host NAME BRIDGE ADDRESS/PREFIX [GATEWAY]: a network namespace with one veth on BRIDGE
host() {
  ip netns add "$1"
  ip link add "v-$1" type veth peer name eth0 netns "$1"
  ip link set "v-$1" master "$2" up
  ip -n "$1" link set lo up
  ip -n "$1" link set eth0 up
  ip -n "$1" addr add "$3" dev eth0
  [ -n "$4" ] && ip -n "$1" route add default via "$4"
}

# cell ID OBSERVED EVIDENCE: one row of the matrix (the host matches the id to its expectation)
cell() { echo "$1|$2|$3" >> "$R/cells.txt"; echo "lab: $1: $2 ($3)"; }

# xstat NS: the non-zero XFRM error counters of a namespace
xstat() { ip netns exec "$1" cat /proc/net/xfrm_stat | awk '$2 != 0 {printf "%s=%s ", $1, $2}'; }

# pings NS FROM TO: three pings from address FROM; prints "N of 3", returns 0 when all came back
pings() {
  out=$(ip netns exec "$1" ping -c 3 -i 0.3 -W 2 -I "$2" "$3" 2>&1)
  n=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  echo "${n:-0} of 3"
  [ "${n:-0}" = 3 ]
}

# next_phase NAME: ask the host to restart natpass with phase NAME's configuration; wait until it runs
next_phase() {
  : > "$R/want-$1"
  i=0
  while [ ! -f "$R/go-$1" ]; do
    sleep 0.2; i=$((i + 1))
    [ $i -gt 150 ] && { echo "lab: the host never started phase $1"; return 1; }
  done
  echo "lab: phase $1"
}

# tunnel NS_HOST HOST_OUTER NS_GW GW_OUTER SEEN_AS INNER_HOST INNER_GW PROTO SPI_OUT SPI_IN KEYSPEC
# A manually keyed tunnel: the host knows its own (private) outer address, the gateway knows the
# address it sees (SEEN_AS: natpass's PAT address, or the host's own behind a Transparent Map).
tunnel() {
  ip -n "$1" addr add "$6/32" dev lo
  ip -n "$3" addr add "$7/32" dev lo
  ip -n "$1" xfrm state add src "$2" dst "$4" proto "$8" spi "$9" mode tunnel ${11}
  ip -n "$1" xfrm state add src "$4" dst "$2" proto "$8" spi "${10}" mode tunnel ${11}
  ip -n "$1" xfrm policy add src "$6/32" dst "$7/32" dir out tmpl src "$2" dst "$4" proto "$8" mode tunnel
  ip -n "$1" xfrm policy add src "$7/32" dst "$6/32" dir in tmpl src "$4" dst "$2" proto "$8" mode tunnel
  ip -n "$1" route add "$7/32" via "$(ip -n "$1" route show default | awk '{print $3}')" src "$6"
  ip -n "$3" xfrm state add src "$5" dst "$4" proto "$8" spi "$9" mode tunnel ${11}
  ip -n "$3" xfrm state add src "$4" dst "$5" proto "$8" spi "${10}" mode tunnel ${11}
  ip -n "$3" xfrm policy add src "$6/32" dst "$7/32" dir in tmpl src "$5" dst "$4" proto "$8" mode tunnel
  ip -n "$3" xfrm policy add src "$7/32" dst "$6/32" dir out tmpl src "$4" dst "$5" proto "$8" mode tunnel
  ip -n "$3" route add "$6/32" via 198.51.100.2 src "$7"
}

# swan_start NS [LABEL]: a charon of its own in namespace NS (private /run, vici socket and log in
# /tmp/sw/NS); with LABEL (two hex digits) the first byte of every IKE SPI it picks is LABEL, so a
# gateway can tell its IKE apart from other hosts' behind the same address (hide_nat_by_label)
swan_start() {
  mkdir -p "/tmp/sw/$1"
  cat > "/tmp/sw/$1/strongswan.conf" <<CONF
charon {
  install_routes = no${2:+
  spi_mask = 0xff00000000000000
  spi_label = 0x${2}00000000000000}
  # only the plugins PSK IKE needs: every plugin file is a 9p lookup under TCG, 30-odd charons start at once
  load = random nonce aes sha1 sha2 hmac gcm openssl kdf kernel-netlink socket-default vici
  # issue 14's gateways share one charon (w), which past 10 half-open IKE SAs would answer with COOKIE
  # where separate gateways would not
  cookie_threshold = 1000
  retransmit_timeout = 2
  retransmit_tries = 3
  plugins { vici { socket = unix:///tmp/sw/$1/vici } }
  filelog { log { path = /tmp/sw/$1/charon.log
    default = 1
    ike = 2
    flush_line = yes } }
}
swanctl { load = random openssl }
CONF
  ip netns exec "$1" sh -c "mount -t tmpfs run /run && STRONGSWAN_CONF=/tmp/sw/$1/strongswan.conf exec /usr/lib/ipsec/charon" >/dev/null 2>&1 &
  echo $! > "/tmp/sw/$1/pid"
}

# swan_stop NS...: stops these charons (their tunnels would go on rekeying into the later phases)
swan_stop() { for ns in "$@"; do read -r pid < "/tmp/sw/$ns/pid" && kill "$pid" 2>/dev/null; done; }

# swan NS COMMAND ARGS...: swanctl against NS's charon (its complaints go to /tmp/sw/NS/swanctl.err)
swan() { ns=$1; cmd=$2; shift 2; STRONGSWAN_CONF="/tmp/sw/$ns/strongswan.conf" ip netns exec "$ns" swanctl "$cmd" --uri "unix:///tmp/sw/$ns/vici" "$@" 2>>"/tmp/sw/$ns/swanctl.err"; }

# swan_ready NS...: wait until every named charon's vici socket exists, then load its
# /tmp/sw/NS/swanctl.conf (retried while the charon still starts; a test is free, a swanctl costs ~0.5 s)
swan_ready() {
  for ns in "$@"; do
    i=0
    until [ -S "/tmp/sw/$ns/vici" ] && swan "$ns" --load-all --noprompt --file "/tmp/sw/$ns/swanctl.conf" >/dev/null; do
      sleep 0.2; i=$((i + 1)); [ $i -gt 100 ] && { echo "lab: charon in $ns did not start"; tail -3 "/tmp/sw/$ns/swanctl.err"; return 1; }
    done
  done
}

# swan_conn NS NAME VERSION REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS [IKE_OPTS [CHILD_OPTS]]: one PSK
# connection (remote %any makes it a responder) with one child of the same name, appended to NS's
# swanctl.conf; OPTS are space-separated key=value settings (mobike=no rekey_time=20s). printf, not
# cat: a builtin costs no process start.
swan_conn() {
  [ -d "/tmp/sw/$1" ] || mkdir -p "/tmp/sw/$1"
  printf 'connections { %s {\n  version = %s\n  remote_addrs = %s\n  proposals = aes128-sha256-ecp256\n%s\n  local { auth = psk\n    id = %s }\n  remote { auth = psk\n    id = %s }\n} }\nsecrets { ike-%s { secret = natpass-lab-psk } }\n' \
    "$2" "$3" "$4" "$(swan_opts "$9")" "$5" "$6" "$2" >> "/tmp/sw/$1/swanctl.conf"
  swan_child "$1" "$2" "$2" "$7" "$8" "${10}"
}

# swan_child NS CONN CHILD LOCAL_TS REMOTE_TS [OPTS]: one more CHILD SA config in connection CONN
# (swanctl.conf sections merge, so it may follow the connection's own block)
swan_child() {
  printf 'connections { %s { children { %s { local_ts = %s\n  remote_ts = %s\n  esp_proposals = aes128gcm16\n%s\n} } } }\n' \
    "$2" "$3" "$4" "$5" "$(swan_opts "$6")" >> "/tmp/sw/$1/swanctl.conf"
}

swan_opts() { for o in $1; do echo "  ${o%%=*} = ${o#*=}"; done; }

# encap NS: how the namespace's SAs travel ("ESP-in-UDP 4500" or "raw ESP")
encap() {
  if ip -n "$1" xfrm state | grep -q 'encap type espinudp'; then echo "ESP-in-UDP $(ip -n "$1" xfrm state | sed -n 's/.*encap type espinudp sport \([0-9]*\) dport \([0-9]*\).*/\1->\2/p' | head -1)"; else echo "raw ESP"; fi
}

# hide_nat_by_label NS ADDR...: hides natpass from the gateway(s) in namespace NS for several LAN hosts at
# once. IKE from natpass's address whose initiator or responder SPI starts with a host's label (the last
# octet of its address read as hex: 192.168.1.40 labels 0x40, see swan_start) is rewritten, statelessly
# and before conntrack, to come from that host's address, so each host's NAT-D hashes match and ESP stays
# raw; on UDP 4500 the SPIs follow the 4-byte non-ESP marker. Inbound ESP needs no rewrite (the kernel
# finds the SA by destination and SPI); whatever NS sends to a LAN address leaves for natpass's.
hide_nat_by_label() {
  ns=$1; shift
  rules=
  for a in "$@"; do
    l=0x${a##*.}
    rules="$rules
    ip saddr 198.51.100.2 udp dport 500 @th,64,8 $l counter ip saddr set $a
    ip saddr 198.51.100.2 udp dport 500 @th,128,8 $l counter ip saddr set $a
    ip saddr 198.51.100.2 udp dport 4500 @th,64,32 0 @th,96,8 $l counter ip saddr set $a
    ip saddr 198.51.100.2 udp dport 4500 @th,64,32 0 @th,160,8 $l counter ip saddr set $a"
  done
  ip netns exec "$ns" nft -f - <<NFT
table ip hide {
  chain pre {
    type filter hook prerouting priority -300; policy accept;$rules
  }
  chain out {
    type filter hook output priority -300; policy accept;
    ip daddr 192.168.1.0/24 counter ip daddr set 198.51.100.2
  }
}
NFT
}

# relabelled GW: how many IKE datagrams GW's label rules rewrote
relabelled() { ip netns exec "$1" nft list chain ip hide pre 2>/dev/null | awk '{for (i=1;i<NF;i++) if ($i=="packets") n+=$(i+1)} END {print n+0}'; }

# cell_later ID OBSERVED EVIDENCE: a cell from a background job; cells_flush writes them (in the
# foreground, so lines in cells.txt never interleave)
cell_later() { mkdir -p /tmp/later; echo "$1|$2|$3" > "/tmp/later/$1"; }
cells_flush() { for f in /tmp/later/*; do [ -f "$f" ] && IFS='|' read -r id r ev < "$f" && cell "$id" "$r" "$ev" && rm -f "$f"; done; }

# natpass_counter NAME: natpass's counter NAME now (run-lab.ts refreshes counters.txt every second)
natpass_counter() { v=$(sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$R/counters.txt" 2>/dev/null); echo "${v:-0}"; }

# received OUTPUT: the "N received" of ping's summary
received() { n=$(echo "$1" | sed -n 's/.* \([0-9]*\) received.*/\1/p'); echo "${n:-0}"; }

# lan_hosts NAME:OCTET...: LAN hosts at 192.168.1.OCTET, inner address 10.5.OCTET.1, whose tunnels reach
# 10.6.0.0/15 behind the gateways. One ip batch here and one per host: under TCG a process start costs
# about half a second, so the usual one ip command per setting would cost minutes.
lan_hosts() {
  for h in "$@"; do n=${h%%:*}; printf 'netns add %s\nlink add v-%s type veth peer name eth0 netns %s\nlink set v-%s master br-lan up\n' "$n" "$n" "$n" "$n"; done | ip -b -
  for h in "$@"; do
    n=${h%%:*}; o=${h#*:}
    printf 'link set lo up\nlink set eth0 up\naddr add 192.168.1.%s/24 dev eth0\nroute add default via 192.168.1.1\naddr add 10.5.%s.1/32 dev lo\nroute add 10.6.0.0/15 via 192.168.1.1 src 10.5.%s.1\n' "$o" "$o" "$o" | ip -n "$n" -b -
  done
}

# wan_gateways NS OCTET...: one namespace holding several gateways, 198.51.100.OCTET with inner address
# 10.6.OCTET.1 (and 10.7.OCTET.1, a second subnet); one charon answers for all of them (local_addrs)
wan_gateways() {
  ns=$1; shift
  printf 'netns add %s\nlink add v-%s type veth peer name eth0 netns %s\nlink set v-%s master br-wan up\n' "$ns" "$ns" "$ns" "$ns" | ip -b -
  {
    printf 'link set lo up\nlink set eth0 up\n'
    for o in "$@"; do printf 'addr add 198.51.100.%s/24 dev eth0\naddr add 10.6.%s.1/32 dev lo\naddr add 10.7.%s.1/32 dev lo\n' "$o" "$o" "$o"; done
    printf 'route add 10.5.0.0/16 via 198.51.100.2\nroute add 192.168.1.0/24 via 198.51.100.2\n'
  } | ip -n "$ns" -b -
}
