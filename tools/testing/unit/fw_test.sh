#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zoc-fw as PID 1, natively: in new PID, mount and network namespaces it
# mounts the kernel file systems, reports a module it cannot load, brings
# up its uplink, reports readiness, restarts a service that exits (with a
# growing back-off), runs hotplug hooks for the veth interfaces there are,
# that come and that go (also after a burst overruns its netlink socket),
# and powers off on SIGUSR2 (busybox poweroff).
# Prints TAP.  Usage: fw_test.sh ZOC_FW

set -u
. "$(dirname "$0")/../tap.sh"
fw=${1:?usage: fw_test.sh ZOC_FW}
tmp=$(mktemp -d)

cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

printf '#!/bin/sh\necho run >>%s/runs\nexit 3\n' "$tmp" >"$tmp/svc"
printf '#!/bin/sh\necho "$1" >%s/loaded\n' "$tmp" >"$tmp/loader"
printf '#!/bin/sh\nexit 1\n' >"$tmp/broken"
# a hotplug hook: logs its arguments, and is slow for zfwslow0, so that
# the burst of interfaces made meanwhile overruns zoc-fw's netlink socket
printf '#!/bin/sh\necho "$*" >>%s/hooked\n[ "$3" != zfwslow0 ] || sleep 2\n' \
	"$tmp" >"$tmp/hook"
chmod +x "$tmp/svc" "$tmp/loader" "$tmp/broken" "$tmp/hook"
cat >"$tmp/fw.conf" <<EOC
# a test configuration
module zoc_no_such_module
uplink zfw0 10.99.0.2/24
run $tmp/loader vpc.conf
run $tmp/broken
service $tmp/svc
hotplug veth $tmp/broken
hotplug veth $tmp/hook tag
bogus directive
EOC

echo "TAP version 13"
unshare --pid --fork --mount --propagation private --net \
	sh -c "ip link add zfw0 type veth peer name zfw1 && exec $fw $tmp/fw.conf" \
	>"$tmp/out" 2>&1 &
unshared=$!
for _ in $(seq 50); do
	pid=$(pgrep -P $unshared -x zoc-fw) && break
	sleep 0.1
done
sleep 4

check "reports readiness with what failed" \
	grep -q 'ready: 0 modules, 1 services, 3 errors' "$tmp/out"
check "reports a module it cannot find" \
	grep -q 'module zoc_no_such_module: .*No such file or directory' "$tmp/out"
check "reports an unknown directive" grep -q "unknown directive 'bogus'" "$tmp/out"
check "brings up the uplink" grep -q 'uplink zfw0 up, 10.99.0.2/24' "$tmp/out"
check "runs a program to its end, with its arguments" \
	grep -qx 'vpc.conf' "$tmp/loaded"
check "reports a program that fails" grep -q "run $tmp/broken: failed" "$tmp/out"
has_address() {
	nsenter -t "$pid" -n ip -4 addr show zfw0 | grep -q '10.99.0.2/24'
}
check "uplink has its address in the namespace" has_address
check "mounted proc, sysfs and devtmpfs" \
	nsenter -t "$pid" -m sh -c 'test -r /proc/1/stat && test -d /sys/class/net && test -c /dev/null'
check "restarts the service after it exits" [ "$(cat "$tmp/runs" 2>/dev/null | wc -l)" -ge 2 ]
check "backs off between restarts" grep -q 'restart in 2s' "$tmp/out"

ns_ip() {
	nsenter -t "$pid" -n ip "$@"
}

idx() {
	ns_ip -o link show "$1" | cut -d: -f1
}

# hooked LINE...: each line is in the hook's log, once, within 300 s
hooked() {
	local i

	printf '%s\n' "$@" | sort >"$tmp/want"
	# 300 interfaces, two hooks each, one at a time: a 2-core machine
	# that also runs two TCG VMs needed more than 90 s for them
	for i in $(seq 3000); do
		sort "$tmp/hooked" | uniq -u | comm -12 - "$tmp/want" |
			cmp -s - "$tmp/want" && return 0
		sleep 0.1
	done
	sort "$tmp/hooked" | uniq -u | comm -13 - "$tmp/want" | head -n 5 |
		sed 's/^/# missing: /'
	return 1
}

not_hooked() {
	! grep -q "$1" "$tmp/hooked"
}

no_repeats() {
	[ -z "$(sort "$tmp/hooked" | uniq -d)" ]
}

check "hotplug: an add for each veth there is, with the hook's arguments" \
	hooked "tag add zfw0 $(idx zfw0)" "tag add zfw1 $(idx zfw1)"
ns_ip link add zfwa type veth peer name zfwb
check "hotplug: an add for each veth that comes" \
	hooked "tag add zfwa $(idx zfwa)" "tag add zfwb $(idx zfwb)"
ns_ip tuntap add ztap0 mode tap
ns_ip link add zfwc type veth peer name zfwd
hooked "tag add zfwc $(idx zfwc)"
check "hotplug: nothing for an interface of another driver" \
	not_hooked ztap0
check "hotplug: a failing hook is reported, the next still runs" \
	grep -q "hotplug add zfwa $(idx zfwa): $tmp/broken failed" "$tmp/out"
a=$(idx zfwa) b=$(idx zfwb)
ns_ip link del zfwa
check "hotplug: a del for each veth that goes, by its last name and index" \
	hooked "tag del zfwa $a" "tag del zfwb $b"

# a burst of 150 veth pairs while a hook runs
ns_ip link add zfwslow0 type veth peer name zfwslow1
for i in $(seq 150); do
	echo "link add zfwh$i type veth peer name zfwh${i}p"
done >"$tmp/burst"
ns_ip -batch "$tmp/burst"
mapfile -t lines < <(ns_ip -o link show | sed -n 's/^\([0-9]*\): \(zfwh[0-9p]*\)@.*/tag add \2 \1/p')
check "hotplug: after a netlink overrun, an add for each veth, once" \
	hooked "${lines[@]}"
check "hotplug: the overrun is reported" grep -q 'link events lost' "$tmp/out"
sed 's/^link add \(zfwh[0-9]*\) .*/link del \1/' "$tmp/burst" >"$tmp/burst-del"
ns_ip -batch "$tmp/burst-del"
check "hotplug: a del for each of them, once" \
	hooked "${lines[@]/tag add/tag del}"
check "hotplug: no hook ran twice for an interface" \
	no_repeats

kill -USR2 "$pid"
wait $unshared
check "powers off on SIGUSR2" grep -q 'powering off' "$tmp/out"
pid=
sed 's/^/# /' "$tmp/out"

tap_done
