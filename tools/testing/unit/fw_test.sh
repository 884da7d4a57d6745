#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zoc-fw as PID 1, natively: in new PID, mount and network namespaces it
# mounts the kernel file systems, reports a module it cannot load, brings
# up its uplink, reports readiness, restarts a service that exits (with a
# growing back-off) and powers off on SIGUSR2 (busybox poweroff).
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
chmod +x "$tmp/svc" "$tmp/loader" "$tmp/broken"
cat >"$tmp/fw.conf" <<EOC
# a test configuration
module zoc_no_such_module
uplink zfw0 10.99.0.2/24
run $tmp/loader vpc.conf
run $tmp/broken
service $tmp/svc
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
check "uplink has its address in the namespace" \
	nsenter -t "$pid" -n ip -4 addr show zfw0 | grep -q '10.99.0.2/24'
check "mounted proc, sysfs and devtmpfs" \
	nsenter -t "$pid" -m sh -c 'test -r /proc/1/stat && test -d /sys/class/net && test -c /dev/null'
check "restarts the service after it exits" [ "$(cat "$tmp/runs" 2>/dev/null | wc -l)" -ge 2 ]
check "backs off between restarts" grep -q 'restart in 2s' "$tmp/out"

kill -USR2 "$pid"
wait $unshared
check "powers off on SIGUSR2" grep -q 'powering off' "$tmp/out"
pid=
sed 's/^/# /' "$tmp/out"

tap_done
