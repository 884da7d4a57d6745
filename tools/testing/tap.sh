# SPDX-License-Identifier: GPL-2.0
#
# TAP for the ZOC shell tests: source this file, print "TAP version 13",
# run "check NAME COMMAND..." for each test, end with tap_done.

tap_n=0
tap_failed=0

# check NAME COMMAND...: one test, passed if COMMAND succeeds.
check() {
	local name=$1

	shift
	tap_n=$((tap_n + 1))
	if "$@"; then
		echo "ok $tap_n $name"
	else
		echo "not ok $tap_n $name"
		tap_failed=1
	fi
}

# The plan, and the exit status: non-zero if a test failed.
tap_done() {
	echo "1..$tap_n"
	exit $tap_failed
}
