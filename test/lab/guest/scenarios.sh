#!/bin/sh
# The lab's scenarios, run inside the guest (kernel IPsec from Debian's kernel, iproute2, ping, nc).
# LAN hosts h1, h2 (192.168.1.0/24 behind natpass's PAT address) and h3 (203.0.113.34, a Transparent
# Map on the routed subnet) sit behind eth0; gateways g1 (198.51.100.1), g2 (.3) and g3 (.4) behind
# eth1, one gateway per cell so each cell's error counters are its own. Each cell writes "cell|observed|evidence" to /lab-results/cells.txt, then the guest powers off.
R=/lab-results
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
echo /bin/true > /proc/sys/kernel/modprobe
ip link set lo up
for side in lan:eth0 wan:eth1; do
  br=br-${side%%:*}; nic=${side#*:}
  ip link add "$br" type bridge && ip link set "$br" up
  ip link set "$nic" master "$br" && ip link set "$nic" up
done
host() { # name bridge address gateway
  ip netns add "$1"
  ip link add "v-$1" type veth peer name eth0 netns "$1"
  ip link set "v-$1" master "$2" up
  ip -n "$1" link set lo up
  ip -n "$1" link set eth0 up
  ip -n "$1" addr add "$3" dev eth0
  [ -n "$4" ] && ip -n "$1" route add default via "$4"
}
host h1 br-lan 192.168.1.10/24 192.168.1.1
host h2 br-lan 192.168.1.11/24 192.168.1.1
host h3 br-lan 203.0.113.34/28 203.0.113.33
host g1 br-wan 198.51.100.1/24 ""
host g2 br-wan 198.51.100.3/24 ""
host g3 br-wan 198.51.100.4/24 ""
for g in g1 g2 g3; do ip -n "$g" route add 203.0.113.32/28 via 198.51.100.2; done

GCM="aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128"
HMAC="auth hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
cell() { echo "$1|$2|$3" >> "$R/cells.txt"; echo "lab: $1: $2 ($3)"; }
xstat() { ip netns exec "$1" cat /proc/net/xfrm_stat | awk '$2 != 0 {printf "%s=%s ", $1, $2}'; }
spi_count() { ip -n "$1" -s xfrm state | awk '/replay-window/ {} /lifetime current/ {getline; print}' | head -1 | tr -s ' '; }

# tunnel NS_HOST HOST_OUTER NS_GW GW_OUTER SEEN_AS INNER_HOST INNER_GW PROTO SPI_OUT SPI_IN KEYSPEC
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

# Warm the neighbours so the first ping is not lost to ARP.
ip netns exec h1 ping -c 1 -W 2 192.168.1.1 >/dev/null 2>&1
ip netns exec g1 ping -c 1 -W 2 198.51.100.2 >/dev/null 2>&1

# 1. ESP tunnel mode, manual keys, through PAT (technote: works)
tunnel h1 192.168.1.10 g1 198.51.100.1 198.51.100.2 10.1.1.1 10.2.1.1 esp 0x1001 0x2001 "$GCM"
if ip netns exec h1 ping -c 3 -i 0.3 -W 2 -I 10.1.1.1 10.2.1.1 >/tmp/p1 2>&1; then r=pass; else r=fail; fi
cell esp-tunnel-manual-pat "$r" "$(grep -o '[0-9]* received' /tmp/p1) of 3 pings; g1 xfrm errors: $(xstat g1)"

# 2. AH tunnel mode, manual keys, through PAT (technote: fails)
tunnel h2 192.168.1.11 g2 198.51.100.3 198.51.100.2 10.1.2.1 10.2.2.1 ah 0x1002 0x2002 "$HMAC"
if ip netns exec h2 ping -c 3 -i 0.3 -W 2 -I 10.1.2.1 10.2.2.1 >/tmp/p2 2>&1; then r=pass; else r=fail; fi
cell ah-tunnel-manual-pat "$r" "$(grep -o '[0-9]* received' /tmp/p2) of 3 pings; g2 xfrm errors: $(xstat g2)"

# 3. AH tunnel mode, manual keys, through a Transparent Map (technote: works)
tunnel h3 203.0.113.34 g3 198.51.100.4 203.0.113.34 10.1.3.1 10.2.3.1 ah 0x1003 0x2003 "$HMAC"
if ip netns exec h3 ping -c 3 -i 0.3 -W 2 -I 10.1.3.1 10.2.3.1 >/tmp/p3 2>&1; then r=pass; else r=fail; fi
cell ah-tunnel-manual-transparent "$r" "$(grep -o '[0-9]* received' /tmp/p3) of 3 pings; g3 xfrm errors: $(xstat g3)"

# 4. ESP transport mode, manual keys, carrying TCP through PAT (technote: usually fails)
ip -n h1 xfrm state add src 192.168.1.10 dst 198.51.100.1 proto esp spi 0x3001 mode transport $GCM
ip -n h1 xfrm state add src 198.51.100.1 dst 192.168.1.10 proto esp spi 0x4001 mode transport $GCM
ip -n h1 xfrm policy add src 192.168.1.10 dst 198.51.100.1 proto tcp dport 5001 dir out tmpl proto esp mode transport
ip -n h1 xfrm policy add src 198.51.100.1 dst 192.168.1.10 proto tcp sport 5001 dir in tmpl proto esp mode transport
ip -n g1 xfrm state add src 198.51.100.2 dst 198.51.100.1 proto esp spi 0x3001 mode transport $GCM
ip -n g1 xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp spi 0x4001 mode transport $GCM
ip -n g1 xfrm policy add src 198.51.100.2 dst 198.51.100.1 proto tcp dport 5001 dir in tmpl proto esp mode transport
ip -n g1 xfrm policy add src 198.51.100.1 dst 198.51.100.2 proto tcp sport 5001 dir out tmpl proto esp mode transport
ip netns exec g1 sh -c 'nc -l 5001 > /tmp/got4 2>/dev/null &'
sleep 0.3
echo "hello over transport mode" | ip netns exec h1 timeout 6 nc -N -w 3 198.51.100.1 5001 >/dev/null 2>&1
sleep 0.5
if grep -q hello /tmp/got4 2>/dev/null; then r=pass; else r=fail; fi
csum=$(ip netns exec g1 cat /proc/net/snmp | awk '/^Tcp:/ {n++; if (n==1) split($0,h); else for (i=1;i<=NF;i++) if (h[i]=="InCsumErrors") print $i}')
cell esp-transport-tcp-pat "$r" "TCP InCsumErrors at g1: ${csum:-?}; g1 xfrm errors: $(xstat g1)"

echo done > "$R/done"
echo o > /proc/sysrq-trigger
sleep 5
