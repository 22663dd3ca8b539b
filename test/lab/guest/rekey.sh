# Rekeys under traffic (issue 14): the host rekeys its CHILD SA and its IKE SA every 20 s (IKEv1
# reauthenticates instead) while pinging its gateway 5 times a second for 60 s. The five tunnels run
# side by side, in the background of the other multi-phase cells. r1..r3 (.45-.47) tunnel in raw ESP
# to e1..e3 (.36-.38, SPI labels hide natpass); r4 (.48, no label rule) in NAT-T to e4 (.39) and e5 (.40).
REKEY_TUNNELS="rekey-ikev2-mobike-raw:r1:45:e1:36:2:mobike=yes:raw
rekey-ikev2-raw:r2:46:e2:37:2:mobike=no:raw
rekey-ikev1-raw:r3:47:e3:38:1:mobike=no:raw
rekey-ikev2-natt:r4:48:e4:39:2:mobike=yes:natt
rekey-ikev1-natt:r4:48:e5:40:1:mobike=no:natt"
REKEY_NS="r1 r2 r3 r4"
REKEY_PINGS=300

rekey_setup() {
  lan_hosts r1:45 r2:46 r3:47 r4:48
  for t in $REKEY_TUNNELS; do
    oifs=$IFS; IFS=:; set -- $t; IFS=$oifs
    if [ "$8" = raw ]; then peer="192.168.1.$3"; else peer=%any; fi
    swan_conn "$2" "$4" "$6" "198.51.100.$5" "$2" "$4" "10.5.$3.1/32" "10.6.$5.1/32" "$7 rekey_time=20s" "rekey_time=20s"
    swan_conn w "$4-$2" "$6" "$peer" "$4" "$2" "10.6.$5.1/32" "10.5.$3.1/32" "$7 local_addrs=198.51.100.$5"
  done
  for h in r1:45 r2:46 r3:47 r4:48; do swan_start "${h%%:*}" "${h#*:}"; done
}

# rekey_start: brings the five tunnels up and starts their pings in the background; rekey_wait collects
rekey_start() {
  REKEY_PIDS=
  for t in $REKEY_TUNNELS; do
    oifs=$IFS; IFS=:; set -- $t; IFS=$oifs
    rekey_cell "$@" &
    REKEY_PIDS="$REKEY_PIDS $!"
  done
}

rekey_wait() { wait $REKEY_PIDS; cells_flush; }

# rekey_cell ID HOST OCTET GW OCTET VERSION IKE_OPTS ENCAP: passes when at most one ping is lost and the
# host's log shows at least two CHILD SA rekeys and two IKE rekeys (or reauthentications) of this tunnel
rekey_cell() {
  swan "$2" --initiate --child "$4" --timeout 30 >"/tmp/i-$2-$4" 2>&1
  out=$(ip netns exec "$2" ping -q -c $REKEY_PINGS -i 0.2 -W 2 -I "10.5.$3.1" "10.6.$5.1" 2>&1)
  n=$(received "$out")
  log=/tmp/sw/$2/charon.log
  ike=$(grep -c "IKE_SA $4\[[0-9]*\] \(established\|rekeyed\) between" "$log")
  child=$(grep -c "CHILD_SA $4{[0-9]*} established with SPIs" "$log")
  e=$(encap "$2")
  case $8 in raw) want="raw ESP";; *) want="ESP-in-UDP";; esac
  r=pass
  [ "$n" -ge $((REKEY_PINGS - 1)) ] && [ "$ike" -ge 3 ] && [ "$child" -ge 3 ] && [ "${e#"$want"}" != "$e" ] || r=fail
  cell_later "$1" "$r" "$n of $REKEY_PINGS pings in 60 s; $2 log for $4: IKE SA established/rekeyed $ike times, CHILD SA established $child times; SAs: $e; natpass so far: drop_esp_unknown_spi=$(natpass_counter drop_esp_unknown_spi) drop_ike_unknown_cookie=$(natpass_counter drop_ike_unknown_cookie)"
}
