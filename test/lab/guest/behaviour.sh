# RFC 5780 NAT behaviour discovery with coturn: turnserver on t1 (two WAN addresses), the client on
# n1 behind natpass. The cells name natpass's filtering setting; the host checks the class reported.
turn_started=
# turn_start: starts turnserver; scenarios.sh calls it well before the first behaviour cell, since a
# loaded guest may need more than a second to bring it up
turn_start() {
  # -c /dev/null: Debian's /etc/turnserver.conf turns RFC 5780 off
  ip netns exec t1 turnserver -c /dev/null -L 198.51.100.20 -L 198.51.100.21 --no-tls --no-dtls --no-auth --no-cli \
    --log-file /tmp/turnserver.log >/dev/null 2>&1 &
  turn_started=1
}

behaviour_cells() {
  [ -n "$turn_started" ] || { turn_start; sleep 1; }
  # Mapping and filtering run apart, each from its own local port: run together (-m -f) they share one
  # port, and the mapping test's requests to the server's other address open the very filter the
  # filtering test then probes, so address-dependent filtering could be classed endpoint-independent.
  mout=$(ip netns exec n1 timeout 30 turnutils_natdiscovery -m -L 192.168.1.30 -l 40301 198.51.100.20 2>&1)
  fout=$(ip netns exec n1 timeout 30 turnutils_natdiscovery -f -L 192.168.1.30 -l 40302 198.51.100.20 2>&1)
  printf '%s\n--- filtering, from another local port ---\n%s\n' "$mout" "$fout" > "$R/natdiscovery-$1.txt"
  mapping=$(echo "$mout" | grep -oE '(Endpoint Independent|Address Dependent|Address and Port Dependent) Mapping' | head -1)
  filtering=$(echo "$fout" | grep -oE '(Endpoint Independent|Address Dependent|Address and Port Dependent) Filtering' | head -1)
  cell "nat-behaviour-$1" "${mapping:-no mapping class}; ${filtering:-no filtering class}" "$(echo "$mout" | grep -m1 'reflexive addr' | sed 's/.*reflexive addr: //')"
  out=$(ip netns exec n1 timeout 30 turnutils_natdiscovery -H 198.51.100.20 2>&1)
  echo "$out" > "$R/hairpin-$1.txt"
  if echo "$out" | grep -q 'successful hairpinning'; then r=pass; else r=fail; fi
  cell "hairpin-$1" "$r" "reflexive $(echo "$out" | grep -m1 'reflexive addr' | sed 's/.*reflexive addr: //'); $(echo "$out" | grep -o 'maybe a successful hairpinning' || echo 'own request not received')"
}
