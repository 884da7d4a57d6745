# SPDX-License-Identifier: GPL-2.0
#
# The TAP stream of zoc-check and zoc-check-debug: one numbering across
# every step, and the "N passed, N failed" line at the end.  Source it with
# $logs set to the directory the steps' logs go to.

n=0
passed=0
failed=0

result() {
	local ok=$1 name=$2 why=${3:-}

	n=$((n + 1))
	if [ "$ok" = ok ]; then
		passed=$((passed + 1))
		echo "ok $n $name${why:+ # $why}"
	else
		failed=$((failed + 1))
		echo "not ok $n $name${why:+ # $why}"
	fi
}

# step NAME LOG CMD...: one result for a command.
step() {
	local name=$1 log=$logs/$2

	shift 2
	if "$@" >"$log" 2>&1; then
		result ok "$name"
		return 0
	fi
	tail -n 25 "$log" | sed 's/^/# /'
	result fail "$name" "see $log"
	return 1
}

# tap PREFIX LOG CMD...: the results of a command that prints TAP.
tap() {
	local prefix=$1 log=$logs/$2 line seen=0 rc

	shift 2
	while IFS= read -r line; do
		echo "$line" >>"$log"
		if [[ $line =~ ^(not ok|ok)\ [0-9]+\ (.*)$ ]]; then
			seen=1
			local what=${BASH_REMATCH[2]} why=
			if [[ $what == *" # "* ]]; then
				why=${what#* # }
				what=${what%% # *}
			fi
			if [ "${BASH_REMATCH[1]}" = ok ]; then
				result ok "$prefix$what" "$why"
			else
				result fail "$prefix$what" "$why"
			fi
		elif [[ $line == "# "* && ! $line =~ ^#\ +(OK|RUN|PASSED|Totals|Starting) ]]; then
			echo "$line"
		fi
	done < <(: >"$log"; "$@" 2>&1; echo "zoc-check-rc $?")
	rc=$(sed -n 's/^zoc-check-rc //p' "$log")
	if [ "$rc" != 0 ] && [ $seen = 0 ]; then
		tail -n 25 "$log" | sed 's/^/# /'
		result fail "${prefix}runs" "exit status $rc, see $log"
	fi
}

skip_rest() {
	echo "# $1: the tests that need it cannot run"
	result fail "$2" "not run: $1"
}

# The plan and the summary; the exit status is non-zero if a test failed.
check_done() {
	echo "1..$n"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
}
