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

# swan_start NS: a charon of its own in namespace NS (private /run, vici socket and log in /tmp/sw/NS)
swan_start() {
  mkdir -p "/tmp/sw/$1"
  cat > "/tmp/sw/$1/strongswan.conf" <<CONF
charon {
  install_routes = no
  retransmit_timeout = 2
  retransmit_tries = 3
  plugins { vici { socket = unix:///tmp/sw/$1/vici } }
  filelog { log { path = /tmp/sw/$1/charon.log
    default = 1
    ike = 2 } }
}
CONF
  ip netns exec "$1" sh -c "mount -t tmpfs run /run && STRONGSWAN_CONF=/tmp/sw/$1/strongswan.conf exec /usr/lib/ipsec/charon" >/dev/null 2>&1 &
}

# swan NS COMMAND ARGS...: swanctl against NS's charon (its complaints go to /tmp/sw/NS/swanctl.err)
swan() { ns=$1; cmd=$2; shift 2; ip netns exec "$ns" swanctl "$cmd" --uri "unix:///tmp/sw/$ns/vici" "$@" 2>>"/tmp/sw/$ns/swanctl.err"; }

# swan_ready NS...: wait until every named charon answers, then load its /tmp/sw/NS/swanctl.conf
swan_ready() {
  for ns in "$@"; do
    i=0
    until swan "$ns" --stats >/dev/null 2>&1; do
      sleep 0.2; i=$((i + 1)); [ $i -gt 50 ] && { echo "lab: charon in $ns did not start"; tail -3 "/tmp/sw/$ns/swanctl.err"; return 1; }
    done
    swan "$ns" --load-all --noprompt --file "/tmp/sw/$ns/swanctl.conf" >/dev/null
  done
}

# swan_conn NS NAME VERSION REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS: one PSK connection
# (remote %any makes it a responder); appended to NS's swanctl.conf
swan_conn() {
  mkdir -p "/tmp/sw/$1"
  cat >> "/tmp/sw/$1/swanctl.conf" <<CONF
connections { $2 {
  version = $3
  remote_addrs = $4
  proposals = aes128-sha256-ecp256
  local { auth = psk
    id = $5 }
  remote { auth = psk
    id = $6 }
  children { $2 { local_ts = $7
    remote_ts = $8
    esp_proposals = aes128gcm16 } }
} }
secrets { ike-$2 { secret = natpass-lab-psk } }
CONF
}

# encap NS: how the namespace's SAs travel ("ESP-in-UDP 4500" or "raw ESP")
encap() {
  if ip -n "$1" xfrm state | grep -q 'encap type espinudp'; then echo "ESP-in-UDP $(ip -n "$1" xfrm state | sed -n 's/.*encap type espinudp sport \([0-9]*\) dport \([0-9]*\).*/\1->\2/p' | head -1)"; else echo "raw ESP"; fi
}
