#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zoc-fw as PID 1, natively: in new PID, mount and network namespaces it
# mounts the kernel file systems, reports a module it cannot load and the
# volume directives it cannot apply, brings
# up its uplink, reports readiness, restarts a service that exits (with a
# growing back-off), runs hotplug hooks for the veth interfaces there are,
# that come and that go (also after a burst overruns its netlink socket),
# answers requests on its control port (a pty here), and powers off on
# SIGUSR2 (busybox poweroff), the modules of its directives unloaded
# first.  A reload request runs against a fake /sys/module mounted in its
# namespace: the devices of the module's drivers
# are unbound, the modules that depend on it are unloaded first (or, on a
# kernel without module support, the first of them fails), and the modules
# are loaded again in the order of the configuration, the others after.
# Prints TAP.  Usage: fw_test.sh ZOC_FW

set -u
. "$(dirname "$0")/../tap.sh"
fw=${1:?usage: fw_test.sh ZOC_FW}
tmp=$(mktemp -d)

cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${port:-}" ] && kill "$port" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

printf '#!/bin/sh\necho run >>%s/runs\nexit 3\n' "$tmp" >"$tmp/svc"
printf '#!/bin/sh\necho "$1" >%s/loaded\n' "$tmp" >"$tmp/loader"
printf '#!/bin/sh\nexit 1\n' >"$tmp/broken"
printf '#!/bin/sh\necho "$*" >%s/ran\n' "$tmp" >"$tmp/cmd"
# Its last line that is not empty is replied, made printable and cut
printf '#!/bin/sh\necho first\nprintf "iops 7\\001 x\\n\\n"\n' >"$tmp/says"
printf '#!/bin/sh\nprintf "%%0300d" 0\n' >"$tmp/long"
printf '#!/bin/sh\ntouch %s/split\n' "$tmp" >"$tmp/split.sh"
# a hotplug hook: logs its arguments; for zfwslow0 it waits while the
# file "hold" is there, for the add of zfwh150 while "hold150" is
cat >"$tmp/hook" <<EOH
#!/bin/sh
echo "\$*" >>$tmp/hooked
while { [ "\$3" = zfwslow0 ] && [ -e $tmp/hold ]; } ||
	{ [ "\$2 \$3" = "add zfwh150" ] && [ -e $tmp/hold150 ]; }; do
	sleep 0.1
done
EOH
chmod +x "$tmp/svc" "$tmp/loader" "$tmp/broken" "$tmp/hook" "$tmp/cmd" \
	"$tmp/says" "$tmp/long" \
	"$tmp/split.sh"
# A comment of 1023 bytes, then a directive on the same line: read in
# pieces, the tail would run.  And 33 words on a line.  And (below) a
# line with a NUL byte: one read's string ends there, the tail would run.
long="#$(printf 'x%.0s' {1..1022})run $tmp/split.sh"
many="run $tmp/split.sh$(printf ' w%.0s' {1..32})"
cat >"$tmp/fw.conf" <<EOC
# a test configuration
module zoc_no_such_module
volume vbad
volume vnodev local zoc_no_such_disk serial X
volume vbadkey local null colour blue
volume vbadport nvme-tcp 192.0.2.10 99999 nqn.2026-12.org.zoc.test:a
volume vbadpath nvme-tcp 192.0.2.10 4420 nqn.2026-12.org.zoc.test:a path udp 192.0.2.11 4420
hostnqn
rdma-link rxe0
module zfwt_c opt=1
module zfwt_a x=y
module zfwt_b
control $tmp/port
control $tmp/another
uplink zfw0 10.99.0.2/24
run $tmp/loader vpc.conf
run $tmp/broken
service $tmp/svc
hotplug veth $tmp/broken
hotplug veth $tmp/hook tag
memory
memory $tmp/hook mem
memory $tmp/hook again
command ran $tmp/cmd one two
command fails $tmp/broken
command says $tmp/says
command long $tmp/long
bogus directive
$long
$many
EOC
# A NUL byte, then a directive past what one read of the line takes.
printf '#\0%srun %s\n' "$(printf 'x%.0s' {1..1021})" "$tmp/split.sh" \
	>>"$tmp/fw.conf"

# The control port's other end: a pty, whose slave zoc-fw opens (bound
# on $tmp/port in its namespace: it mounts a devtmpfs on /dev).  Each line
# written to the FIFO $tmp/req goes to zoc-fw; its reply line, or "no
# reply", is appended to $tmp/replies.
mkfifo "$tmp/req"
: >"$tmp/replies"
python3 - "$tmp" <<'EOP' &
import os, select, sys, time, tty
tmp = sys.argv[1]
master, slave = os.openpty()
tty.setraw(slave)
with open(tmp + '/pts.new', 'w') as f:
    f.write(os.ttyname(slave))
os.rename(tmp + '/pts.new', tmp + '/pts')
buf = b''
while True:
    with open(tmp + '/req', 'rb') as f:
        for line in f:
            os.write(master, line)
            end = time.monotonic() + 60
            while b'\n' not in buf and time.monotonic() < end:
                if select.select([master], [], [], 0.5)[0]:
                    buf += os.read(master, 4096)
            reply, nl, buf = buf.partition(b'\n')
            with open(tmp + '/replies', 'ab') as out:
                out.write(reply + b'\n' if nl else b'no reply\n')
EOP
port=$!
for _ in $(seq 50); do
	[ -s "$tmp/pts" ] && break
	sleep 0.1
done
touch "$tmp/port"

echo "TAP version 13"
unshare --pid --fork --mount --propagation private --net \
	sh -c "mount --bind $(cat "$tmp/pts") $tmp/port && ip link add zfw0 type veth peer name zfw1 && exec $fw $tmp/fw.conf" \
	>"$tmp/out" 2>&1 &
unshared=$!
for _ in $(seq 50); do
	pid=$(pgrep -P $unshared -x zoc-fw) && break
	sleep 0.1
done
sleep 4

check "reports readiness with what failed" \
	grep -q 'ready: 0 modules, 0 volumes, 0 remote (attaching), 1 services, 19 errors' "$tmp/out"
check "refuses a memory directive without a path, or a second one" \
	sh -c "grep -q 'memory: usage: memory PATH' '$tmp/out' &&
	       grep -q 'memory: given twice' '$tmp/out'"
check "reports a module it cannot find" \
	grep -q 'module zoc_no_such_module: .*No such file or directory' "$tmp/out"
check "refuses a volume directive it cannot read" \
	grep -q 'volume: usage: volume NAME { local DEVICE' "$tmp/out"
check "leaves out a volume whose device is missing" \
	grep -q 'volume vnodev: /dev/zoc_no_such_disk: not a block device: left out' "$tmp/out"
check "refuses a remote volume's bad port" \
	grep -q "volume vbadport: cannot read 'nvme-tcp': left out" "$tmp/out"
check "refuses a path of a transport it does not know" \
	grep -q "volume vbadpath: cannot read 'path': left out" "$tmp/out"
check "refuses an rdma-link directive without its type and interface" \
	grep -q 'rdma-link: usage: rdma-link NAME TYPE NETDEV' "$tmp/out"
check "refuses a hostnqn directive without an NQN" \
	grep -q 'hostnqn: usage: hostnqn NQN' "$tmp/out"
check "refuses a volume attribute it does not know" \
	grep -q "volume vbadkey: unknown attribute 'colour'" "$tmp/out"
check "reports an unknown directive" grep -q "unknown directive 'bogus'" "$tmp/out"
check "refuses a line over 1022 bytes whole" grep -q "a line of over 1022 bytes" "$tmp/out"
check "refuses a line of over 32 words" grep -q "a line of over 32 words" "$tmp/out"
check "refuses a line with a NUL byte whole" grep -q "a line with a NUL byte" "$tmp/out"
check "runs nothing of a refused line" [ ! -e "$tmp/split" ]
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

# A burst of 150 veth pairs while a hook runs overruns the socket: the
# events of zfwh150 are lost, its add comes from the listing.  The kernel
# then drops every link event until the socket's queue is empty: zfwh1 to
# zfwh3 go while zoc-fw, listing the interfaces again, is in the hook of
# zfwh150, with the events queued before the overrun unread.
touch "$tmp/hold" "$tmp/hold150"
ns_ip link add zfwslow0 type veth peer name zfwslow1
check "hotplug: a hook holds zoc-fw" hooked "tag add zfwslow0 $(idx zfwslow0)"
for i in $(seq 150); do
	echo "link add zfwh$i type veth peer name zfwh${i}p"
done >"$tmp/burst"
ns_ip -batch "$tmp/burst"
mapfile -t lines < <(ns_ip -o link show | sed -n 's/^\([0-9]*\): \(zfwh[0-9p]*\)@.*/tag add \2 \1/p')
early=()
for i in 1 2 3; do
	early+=("tag del zfwh$i $(idx zfwh$i)" "tag del zfwh${i}p $(idx zfwh${i}p)")
done
rm -f "$tmp/hold"
check "hotplug: the listing after the overrun adds an interface" \
	hooked "$(printf '%s\n' "${lines[@]}" | grep ' zfwh150 ')"
for i in 1 2 3; do
	ns_ip link del "zfwh$i"
done
rm -f "$tmp/hold150"
check "hotplug: after a netlink overrun, an add for each veth, once" \
	hooked "${lines[@]}"
check "hotplug: the overrun is reported" grep -q 'link events lost' "$tmp/out"
check "hotplug: a del for each veth gone while the interfaces are listed" \
	hooked "${early[@]}"
sed -n 's/^link add \(zfwh[0-9]*\) .*/link del \1/p' "$tmp/burst" |
	sed '1,3d' >"$tmp/burst-del"
ns_ip -batch "$tmp/burst-del"
check "hotplug: a del for each of them, once" \
	hooked "${lines[@]/tag add/tag del}"
check "hotplug: no hook ran twice for an interface" \
	no_repeats

# ask REQUEST: zoc-fw's reply to the line REQUEST on its control port
ask() {
	local n

	n=$(wc -l <"$tmp/replies")
	printf '%s\n' "$1" >"$tmp/req"
	for _ in $(seq 700); do
		[ "$(wc -l <"$tmp/replies")" -gt "$n" ] && break
		sleep 0.1
	done
	tail -n 1 "$tmp/replies"
}

# replies REQUEST WANT: REQUEST is answered WANT
replies() {
	local got

	got=$(ask "$1")
	[ "$got" = "$2" ] && return 0
	echo "# '$1': '$got', not '$2'"
	return 1
}

# in_order PATTERN...: after the reload request's first step, log lines
# match each PATTERN (grep -e) in that order
in_order() {
	local last=0 n p

	for p in "$@"; do
		n=$(sed -n '/reload: zfwdev0 unbound/,$p' "$tmp/out" |
			grep -n -e "$p" | head -n 1 | cut -d: -f1)
		if [ -z "$n" ] || [ "$n" -le "$last" ]; then
			echo "# not in order: $p"
			return 1
		fi
		last=$n
	done
}

check "control: the port is opened" grep -q "control $tmp/port: $tmp/port" "$tmp/out"
check "control: a second port is refused" grep -q 'control: one port only' "$tmp/out"
check "control: ping" replies ping ok
check "control: a carriage return and blanks are ignored" replies $' ping \r' ok
check "control: an unknown request" replies bogus 'error unknown request'
check "control: an empty request" replies '' 'error empty request'
check "control: reload without a module" replies reload \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
check "control: reload of what is not a module name" replies 'reload ../x' \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
check "control: reload of two modules" replies 'reload a b' \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
check "control: run a command" replies 'run ran' ok
check "control: the command ran with its arguments" grep -qx 'one two' "$tmp/ran"
check "control: a command's last line of output is replied" \
	replies 'run says' 'ok iops 7? x'
check "control: a command's output is cut" replies 'run long' \
	"ok $(printf '%0199d' 0)"
check "control: run a command that fails" replies 'run fails' \
	"error $tmp/broken failed (status 0x100)"
check "control: run of no such command" replies 'run nope' \
	'error no command of that name'
check "control: run without a name" replies run \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
# mem: MemTotal and MemFree of this machine's /proc/meminfo, in KiB
mem_reply() {
	local got total

	got=$(ask mem)
	total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
	case "$got" in
	"ok total $total free "[0-9]*" blocks "[0-9]*) return 0 ;;
	esac
	echo "# 'mem': '$got', total $total"
	return 1
}
check "control: mem reports the memory the kernel manages" mem_reply
check "control: mem takes no argument" replies 'mem x' \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
check "control: a line too long is refused whole" \
	replies "ping $(printf 'x%.0s' $(seq 300))" 'error line too long'
check "control: the next line is taken" replies ping ok

# A fake /sys/module: zfwt_a is held by zfwt_b and zfwt_c, both held by
# zfwt_d; a driver of zfwt_a has the device zfwdev0.
nsenter -t "$pid" -m sh -ec '
	mount -t tmpfs zfwt /sys/module
	cd /sys/module
	mkdir -p zfwt_a/holders zfwt_a/drivers zfwt_b/holders zfwt_c/holders \
		zfwt_d/holders zfwt_bus/drivers/zfwt zfwt_bus/devices/zfwdev0
	ln -s ../../zfwt_b zfwt_a/holders/zfwt_b
	ln -s ../../zfwt_c zfwt_a/holders/zfwt_c
	ln -s ../../zfwt_d zfwt_b/holders/zfwt_d
	ln -s ../../zfwt_d zfwt_c/holders/zfwt_d
	ln -s ../../zfwt_bus/drivers/zfwt zfwt_a/drivers/fake:zfwt
	ln -s ../../devices/zfwdev0 zfwt_bus/drivers/zfwt/zfwdev0
	ln -s ../../../zfwt_a zfwt_bus/drivers/zfwt/module
	touch zfwt_bus/drivers/zfwt/unbind zfwt_bus/drivers_probe
'
sysmod() {
	nsenter -t "$pid" -m cat "/sys/module/$1"
}

dependents_first() {
	in_order 'zfwt_d was not loaded' 'zfwt_b was not loaded' 'zfwt_a was not loaded' &&
		in_order 'zfwt_d was not loaded' 'zfwt_c was not loaded' 'zfwt_a was not loaded'
}

first_fails() {
	in_order 'unloading zfwt_d: Function not implemented' &&
		! grep -q 'unloading zfwt_[abc]\|zfwt_[abc] unloaded' "$tmp/out"
}

unbound_first() {
	in_order 'zfwdev0 unbound from fake:zfwt' \
		'unloading zfwt_d\|zfwt_d was not loaded' &&
		[ "$(sysmod zfwt_bus/drivers/zfwt/unbind)" = zfwdev0 ]
}

# each once
loads_in_order() {
	in_order 'module zfwt_c: ' 'module zfwt_a: ' 'module zfwt_b: ' 'module zfwt_d: ' &&
		[ "$(sed -n '/reload: zfwdev0 unbound/,$p' "$tmp/out" | grep -c 'module zfwt_')" = 4 ]
}

probed_again() {
	in_order 'module zfwt_d: ' 'zfwdev0 probed again' &&
		[ "$(sysmod zfwt_bus/drivers_probe)" = zfwdev0 ]
}

reply=$(ask 'reload zfwt-a')
echo "# reload zfwt-a: $reply"
if [ -e /proc/modules ]; then
	check "control: reload: answered with the first failure" \
		[ "${reply%%: *}" = "error load zfwt_c" ]
	check "control: reload: the dependents are unloaded first" \
		dependents_first
else
	# no module support: delete_module(2) is ENOSYS
	check "control: reload: answered with the first failure" \
		[ "$reply" = "error unload zfwt_d: Function not implemented" ]
	check "control: reload: a dependent is unloaded first, the rest is left" \
		first_fails
fi
check "control: reload: the devices of its drivers are unbound first" \
	unbound_first
check "control: reload: loads in the order of the configuration, the others after" \
	loads_in_order
check "control: reload: a device left unbound is probed again" probed_again
check "control: requests go on after a reload" replies ping ok
check "control: restart takes no argument" replies 'restart now' \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
check "control: stop takes no argument" replies 'stop now' \
	'error usage: ping | reload MODULE | run NAME | restart | stop | handover | takeover | cpus | mem'
check "control: takeover without zoc_guest says why" replies takeover \
	'error /sys/module/zoc_guest/parameters/standby: No such file or directory'
check "control: handover without zoc_guest says why" replies handover \
	'error /sys/module/zoc_guest/parameters/standby: No such file or directory'

# At power-off, a loaded module of a directive goes, its dependents first.
nsenter -t "$pid" -m touch /sys/module/zfwt_a/initstate
unloaded_at_shutdown() {
	sed -n '/powering off: the modules go first/,$p' "$tmp/out" |
		grep -q 'zfwt_d was not loaded\|unloading zfwt_d: '
}

kill -USR2 "$pid"
wait $unshared
check "powers off on SIGUSR2" grep -q 'powering off' "$tmp/out"
check "unloads the modules of its directives before it powers off" \
	unloaded_at_shutdown
pid=
sed 's/^/# /' "$tmp/out"

tap_done
