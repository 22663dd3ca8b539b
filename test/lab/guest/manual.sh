# Manually keyed kernel IPsec (ip xfrm): the technote's summary cells, with no IKE in the way.
GCM="aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128"
HMAC="auth hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

manual_cells() {
  # ESP tunnel mode through PAT (technote: works)
  tunnel h1 192.168.1.10 g1 198.51.100.1 198.51.100.2 10.1.1.1 10.2.1.1 esp 0x1001 0x2001 "$GCM"
  if p=$(pings h1 10.1.1.1 10.2.1.1); then r=pass; else r=fail; fi
  cell esp-tunnel-manual-pat "$r" "$p pings; g1 xfrm errors: $(xstat g1)"

  # AH tunnel mode through PAT (technote: fails)
  tunnel h2 192.168.1.11 g2 198.51.100.3 198.51.100.2 10.1.2.1 10.2.2.1 ah 0x1002 0x2002 "$HMAC"
  if p=$(pings h2 10.1.2.1 10.2.2.1); then r=pass; else r=fail; fi
  cell ah-tunnel-manual-pat "$r" "$p pings; g2 xfrm errors: $(xstat g2)"

  # AH tunnel mode through a Transparent Map (technote: works)
  tunnel h3 203.0.113.34 g3 198.51.100.4 203.0.113.34 10.1.3.1 10.2.3.1 ah 0x1003 0x2003 "$HMAC"
  if p=$(pings h3 10.1.3.1 10.2.3.1); then r=pass; else r=fail; fi
  cell ah-tunnel-manual-transparent "$r" "$p pings; g3 xfrm errors: $(xstat g3)"

  # ESP transport mode carrying TCP through PAT (technote: usually fails)
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
}

# Firmware 4.8: with ipsec.mode server-list, ESP goes to the host the Server List gives UDP 500 (h1).
server_list_cells() {
  if p=$(pings h1 10.1.1.1 10.2.1.1); then r=pass; else r=fail; fi
  cell server-list-esp-owner "$r" "$p pings over h1's tunnel (h1 owns UDP 500)"
  tunnel h2 192.168.1.11 g5 198.51.100.5 198.51.100.2 10.1.5.1 10.2.5.1 esp 0x1005 0x2005 "$GCM"
  if p=$(pings h2 10.1.5.1 10.2.5.1); then r=pass; else r=fail; fi
  cell server-list-esp-other "$r" "$p pings over h2's tunnel; its ESP went to h1, h1 xfrm errors: $(xstat h1)"
}
