# Rekeys under traffic (issue 14): the host rekeys its CHILD SA every 20 s and its IKE SA every 20 s
# (IKEv1: reauthenticates every 30 s, see below) while pinging its gateway 5 times a second for 60 s.
# The five tunnels run side by side, in the background of the other multi-phase cells. r1..r3 (.45-.47)
# tunnel in raw ESP to e1..e3 (.36-.38, SPI labels hide natpass); r4 (.48, no label rule) in NAT-T to
# e4 (.39) and e5 (.40). Hard lifetimes are 20 s past the rekey, so a rekey slowed by a loaded guest
# still replaces its SA before it expires; a new SA that natpass does not carry loses every ping.
# rand_time is 2 s (its default is the whole margin, which rekeys at random times up to 20 s early). IKEv1's reauthentication falls at 30 s: when it coincides with a Quick Mode
# rekey strongSwan 5.9 lets the CHILD SA expire (seen in NAT-T too, where natpass only translates).
# IKEv1 may lose up to 10 pings: strongSwan's Quick Mode rekeys lost 2 to 6 of them in the loaded guest
# over NAT-T too, where natpass only translates ports (2026-12-03); the IKEv2 tunnels lost none.
# ID:HOST:OCTET:GATEWAY:OCTET:VERSION:MOBIKE:ENCAP:IKE_REKEY:MAX_LOST
REKEY_TUNNELS="rekey-ikev2-mobike-raw:r1:45:e1:36:2:yes:raw:20s:1
rekey-ikev2-raw:r2:46:e2:37:2:no:raw:20s:1
rekey-ikev1-raw:r3:47:e3:38:1:no:raw:30s:10
rekey-ikev2-natt:r4:48:e4:39:2:yes:natt:20s:1
rekey-ikev1-natt:r4:48:e5:40:1:no:natt:30s:10"
REKEY_NS="r1 r2 r3 r4"
REKEY_PINGS=300

rekey_setup() {
  lan_hosts r1:45 r2:46 r3:47 r4:48
  for t in $REKEY_TUNNELS; do
    oifs=$IFS; IFS=:; set -- $t; IFS=$oifs
    if [ "$8" = raw ]; then peer="192.168.1.$3"; else peer=%any; fi
    swan_conn "$2" "$4" "$6" "198.51.100.$5" "$2" "$4" "10.5.$3.1/32" "10.6.$5.1/32" "mobike=$7 rekey_time=$9 over_time=20s rand_time=2s" "rekey_time=20s life_time=40s rand_time=2s"
    swan_conn w "$4-$2" "$6" "$peer" "$4" "$2" "10.6.$5.1/32" "10.5.$3.1/32" "mobike=$7 local_addrs=198.51.100.$5"
  done
  for h in r1:45 r2:46 r3:47 r4:48; do swan_start "${h%%:*}" "${h#*:}"; done
}

# rekey_start: brings the five tunnels up and pings through them, in the background (lab_wait collects)
rekey_start() {
  for t in $REKEY_TUNNELS; do
    oifs=$IFS; IFS=:; set -- $t; IFS=$oifs
    rekey_cell "$@" &
    LAB_PIDS="$LAB_PIDS $!"
  done
}

# rekey_cell ID HOST OCTET GW OCTET VERSION MOBIKE ENCAP IKE_REKEY MAX_LOST: passes when at most MAX_LOST
# pings are lost and the host's log shows at least two CHILD SA rekeys and one IKE rekey (or
# reauthentication) of this tunnel
rekey_cell() {
  swan "$2" --initiate --child "$4" --timeout 30 >"/tmp/i-$2-$4" 2>&1
  out=$(ip netns exec "$2" ping -c $REKEY_PINGS -i 0.2 -W 2 -I "10.5.$3.1" "10.6.$5.1" 2>&1)
  n=$(received "$out")
  lost=$(echo "$out" | awk -v n=$REKEY_PINGS '/icmp_seq=/ {sub(/.*icmp_seq=/, ""); got[$1+0]=1} END {for (i=1;i<=n;i++) if (!got[i]) {c++; if (c<=6) s=s" "i} if (c>6) s=s" ..."; print s}')
  log=/tmp/sw/$2/charon.log
  ike=$(grep -c "IKE_SA $4\[[0-9]*\] \(established\|rekeyed\) between" "$log")
  child=$(grep -c "CHILD_SA $4{[0-9]*} established with SPIs" "$log")
  e=$(encap "$2")
  case $8 in raw) want="raw ESP";; *) want="ESP-in-UDP";; esac
  r=pass
  [ "$n" -ge $((REKEY_PINGS - ${10})) ] && [ "$ike" -ge 2 ] && [ "$child" -ge 3 ] && [ "${e#"$want"}" != "$e" ] || r=fail
  cell_later "$1" "$r" "$n of $REKEY_PINGS pings in 60 s${lost:+ (lost:$lost)}; $2 log for $4: IKE SA established/rekeyed $ike times, CHILD SA established $child times; SAs: $e; $2 xfrm errors: $(xstat "$2"); natpass so far: drop_esp_unknown_spi=$(natpass_counter drop_esp_unknown_spi) drop_ike_unknown_cookie=$(natpass_counter drop_ike_unknown_cookie) ike_hold_timed_out=$(natpass_counter ike_hold_timed_out)"
}
