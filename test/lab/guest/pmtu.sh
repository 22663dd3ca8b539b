# Path MTU discovery for a tunnel (issue 14, RFC 5508 REQ-4): g1 (natpass's WAN gateway) becomes a
# router to f1 (198.51.101.2) over a 1280-byte link; b1 (.43, overlap.sh) tunnels to f1 in raw ESP (SPI
# labels) and sends a large DF ping through it. g1's "fragmentation needed" quotes b1's ESP as it left
# natpass; natpass must hand it to b1, whose kernel then learns the path MTU to f1.
pmtu_setup() {
  ip netns add f1
  ip -n g1 link add eth1 mtu 1280 type veth peer name eth0 netns f1 mtu 1280
  printf 'addr add 198.51.101.1/24 dev eth1\nlink set eth1 up\n' | ip -n g1 -b -
  ip netns exec g1 sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/conf/all/send_redirects; echo 0 > /proc/sys/net/ipv4/conf/eth0/send_redirects'
  printf 'link set lo up\nlink set eth0 up\naddr add 198.51.101.2/24 dev eth0\nroute add default via 198.51.101.1\naddr add 10.6.102.1/32 dev lo\nroute add 10.5.0.0/16 via 198.51.101.1 src 10.6.102.1\n' | ip -n f1 -b -
  hide_nat_by_label f1 192.168.1.43
  swan_conn b1 f1 2 198.51.101.2 b1 f1 10.5.43.1/32 10.6.102.1/32 mobike=no
  swan_conn f1 b1 2 192.168.1.43 f1 b1 10.6.102.1/32 10.5.43.1/32 mobike=no
  swan_start f1 ee
}

# icmp_stat NS FIELD: a counter of the Icmp: lines of NS's /proc/net/snmp
icmp_stat() { ip netns exec "$1" cat /proc/net/snmp | awk -v f="$2" '/^Icmp:/ {n++; if (n==1) split($0,h); else for (i=1;i<=NF;i++) if (h[i]==f) print $i}'; }

pmtu_cell() {
  swan b1 --initiate --child f1 --timeout 30 >/tmp/i-b1-f1 2>&1
  r=pass
  p=$(pings b1 10.5.43.1 10.6.102.1) || r=fail
  before=$(natpass_counter drop_icmp_error_no_session)
  sent=$(icmp_stat g1 OutDestUnreachs); got=$(icmp_stat b1 InDestUnreachs)
  big=$(ip netns exec b1 ping -c 3 -i 0.5 -W 1 -M do -s 1300 -I 10.5.43.1 10.6.102.1 2>&1 | grep -o 'mtu=[0-9]*' | head -1)
  mtu=$(ip -n b1 route get 198.51.101.2 | grep -o 'mtu [0-9]*')
  sent=$(($(icmp_stat g1 OutDestUnreachs) - sent)); got=$(($(icmp_stat b1 InDestUnreachs) - got))
  sleep 1.5 # natpass's counters reach counters.txt once a second
  after=$(natpass_counter drop_icmp_error_no_session)
  [ "$mtu" = "mtu 1280" ] && [ "$after" = "$before" ] && [ "$p" = "3 of 3" ] || r=fail
  cell_later pmtu-frag-needed-esp "$r" "$p small pings; g1 sent $sent frag-needed, b1 received $got; b1 route to f1: ${mtu:-no PMTU learned}${big:+, ping says $big}; natpass drop_icmp_error_no_session $before -> $after; SAs: $(encap b1)"
}
