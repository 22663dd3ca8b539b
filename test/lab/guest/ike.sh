# strongSwan (IKEv2 and IKEv1, PSK) on both sides of natpass. With NAT in the way the peers see it
# (NAT-D) and float to UDP 4500: plain NAPT. k3..k6 hide the NAT from their peers by an input SNAT
# of natpass's address back to the host's own (nftables), so NAT detection finds none and raw ESP
# crosses natpass's ALG; the hosts still sit behind the PAT address.
IKE_PEERS="s1:k1:2 s2:k1:2 s1:k2:1 s2:k2:1 s3:k3:2 s4:k4:1 s5:k5:1 s6:k6:2" # host:gateway:IKE version
IKE_NS="s1 s2 s3 s4 s5 s6 k1 k2 k3 k4 k5 k6"

ike_cells() {
  for ns in $IKE_NS; do
    n=${ns#?}
    case $ns in s*) ip -n "$ns" addr add "10.3.$n.1/32" dev lo; ip -n "$ns" route add 10.4.0.0/16 via 192.168.1.1 src "10.3.$n.1";;
                k*) ip -n "$ns" addr add "10.4.$n.1/32" dev lo; ip -n "$ns" route add 10.3.0.0/16 via 198.51.100.2 src "10.4.$n.1";; esac
  done
  for k in k3:22 k4:23 k5:24 k6:25; do # NAT hidden from these gateways' peers
    g=${k%%:*}
    ip -n "$g" route add "192.168.1.${k#*:}/32" via 198.51.100.2
    # Input SNAT for what the host starts (IKE, its ESP), output DNAT for what the gateway starts.
    ip netns exec "$g" nft -f - <<NFT
table ip hide {
  chain input {
    type nat hook input priority 100; policy accept;
    ip saddr 198.51.100.2 snat to 192.168.1.${k#*:}
  }
  chain output {
    type nat hook output priority -100; policy accept;
    ip daddr 192.168.1.${k#*:} dnat to 198.51.100.2
  }
}
NFT
  done
  for p in $IKE_PEERS; do
    s=${p%%:*}; rest=${p#*:}; k=${rest%%:*}; v=${rest#*:}
    swan_conn "$s" "$k" "$v" "198.51.100.1${k#k}" "$s" "$k" "10.3.${s#s}.1/32" "10.4.${k#k}.1/32"
    swan_conn "$k" "$s" "$v" %any "$k" "$s" "10.4.${k#k}.1/32" "10.3.${s#s}.1/32"
  done
  for ns in $IKE_NS; do swan_start "$ns"; done
  swan_ready $IKE_NS || return

  # Two hosts start IKEv2 to the same gateway at the same moment (the technote's limit).
  swan s1 --initiate --child k1 --timeout 30 >/tmp/i-s1-k1 2>&1 &
  i1=$!
  swan s2 --initiate --child k1 --timeout 30 >/tmp/i-s2-k1 2>&1 &
  wait $! $i1
  if p1=$(pings s1 10.3.1.1 10.4.1.1) && p2=$(pings s2 10.3.2.1 10.4.1.1); then r=pass; else r=fail; fi
  cell ike-simultaneous-same-gateway "$r" "s1: $p1, s2: $p2 pings to k1; k1 IKE SAs: $(swan k1 --list-sas 2>/dev/null | grep -c ESTABLISHED)"
  e=$(encap s1)
  cell ikev2-natt-pat "$([ "$p1" = '3 of 3' ] && [ "${e#ESP-in-UDP}" != "$e" ] && echo pass || echo fail)" "$p1 pings; s1 SAs: $e; k1 xfrm errors: $(xstat k1)"

  swan s1 --initiate --child k2 --timeout 30 >/tmp/i-s1-k2 2>&1
  swan s2 --initiate --child k2 --timeout 30 >/tmp/i-s2-k2 2>&1
  e=$(encap k2)
  if p3=$(pings s1 10.3.1.1 10.4.2.1) && [ "${e#ESP-in-UDP}" != "$e" ]; then r=pass; else r=fail; fi
  cell ikev1-natt-pat "$r" "$p3 pings; k2 SAs: $e; k2 xfrm errors: $(xstat k2)"
  all=fail
  p4=$(pings s2 10.3.2.1 10.4.2.1) && p1=$(pings s1 10.3.1.1 10.4.1.1) && p2=$(pings s2 10.3.2.1 10.4.1.1) && [ "$p3" = '3 of 3' ] && all=pass
  cell two-hosts-two-gateways "$all" "s1-k1 $p1, s2-k1 $p2, s1-k2 $p3, s2-k2 $p4"

  raw_esp_cell ikev2-raw-esp-alg s3 k3 3
  raw_esp_cell ikev1-raw-esp-alg s4 k4 4

  # Tunnels left idle past natpass's pending window (ikeHoldMs, 10 s), then the gateway speaks first:
  # IKEv1, and IKEv2, which with MOBIKE moves to UDP 4500 even without NAT and still sends raw ESP
  # (natpass knows from the NAT-D hashes in IKE_SA_INIT).
  swan s5 --initiate --child k5 --timeout 30 >/tmp/i-s5-k5 2>&1
  swan s6 --initiate --child k6 --timeout 30 >/tmp/i-s6-k6 2>&1
  sleep 11
  for c in ikev1-idle-gateway-first:5 ikev2-idle-gateway-first:6; do
    n=${c#*:}
    e=$(encap "k$n")
    if p=$(pings "k$n" "10.4.$n.1" "10.3.$n.1") && [ "$e" = "raw ESP" ]; then r=pass; else r=fail; fi
    cell "${c%%:*}" "$r" "$p pings from k$n after 11 s idle; k$n SAs: $e; s$n xfrm errors: $(xstat "s$n")"
  done
}

# raw_esp_cell ID HOST GATEWAY N: IKE with NAT detection defeated; passes when pings cross in raw ESP
raw_esp_cell() {
  swan "$2" --initiate --child "$3" --timeout 30 >"/tmp/i-$2-$3" 2>&1
  e=$(encap "$3")
  if p=$(pings "$2" "10.3.$4.1" "10.4.$4.1") && [ "$e" = "raw ESP" ]; then r=pass; else r=fail; fi
  cell "$1" "$r" "$p pings; $3 SAs: $e; $3 xfrm errors: $(xstat "$3"); $3 input SNAT rules: $(ip netns exec "$3" nft list ruleset 2>/dev/null | grep -c snat)"
}
