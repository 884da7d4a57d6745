#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The patch series mechanism of the kernel build (tools/kernel/lib.sh):
# applies patches/series in order, is idempotent, handles a changed series
# by reverting only what differs (untouched files keep their timestamps, so
# the kernel rebuild stays incremental), refuses a patch that does not
# apply without touching the tree, and reports a tree it cannot revert.
# Prints TAP.

set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tools/testing/tap.sh"
. "$top/tools/kernel/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mtime() {
	stat -c %Y.%y "$1"
}

# A tiny tree and two trivial patches against it.
src=$tmp/src
pd=$tmp/patches
mkdir -p "$src/kernel" "$pd"
printf 'VERSION = 6\nPATCHLEVEL = 1\nEXTRAVERSION =\n' >"$src/Makefile"
printf 'int a;\nint b;\n' >"$src/kernel/x.c"
cp -r "$src" "$tmp/pristine"
cp -r "$src" "$tmp/new"
sed -i 's/^EXTRAVERSION =$/EXTRAVERSION = -zoc/' "$tmp/new/Makefile"
(cd "$tmp" && diff -u pristine/Makefile new/Makefile |
	sed -e 's|^--- pristine/|--- a/|' -e 's|^+++ new/|+++ b/|') >"$pd/0001-version.patch"
sed -i 's/^int b;$/int b = 1;/' "$tmp/new/kernel/x.c"
(cd "$tmp" && diff -u pristine/kernel/x.c new/kernel/x.c |
	sed -e 's|^--- pristine/|--- a/|' -e 's|^+++ new/|+++ b/|') >"$pd/0002-x.patch"

echo "TAP version 13"

check "no series file: nothing applied" zoc_apply_series "$src" "$pd" 2>/dev/null
check "tree untouched without a series" cmp -s "$src/Makefile" "$tmp/pristine/Makefile"

printf '# test series\n0001-version.patch\n' >"$pd/series"
zoc_apply_series "$src" "$pd" 2>/dev/null
check "first patch applied" grep -q 'EXTRAVERSION = -zoc' "$src/Makefile"

t=$(mtime "$src/Makefile")
sleep 1.1
zoc_apply_series "$src" "$pd" 2>/dev/null
check "second run is a no-op" [ "$(mtime "$src/Makefile")" = "$t" ]

printf '0001-version.patch\n0002-x.patch\n' >"$pd/series"
zoc_apply_series "$src" "$pd" 2>/dev/null
check "appended patch applied" grep -q 'int b = 1;' "$src/kernel/x.c"
check "earlier patch not reapplied" [ "$(mtime "$src/Makefile")" = "$t" ]

# A changed patch: the file whose change did not change keeps its time.
t=$(mtime "$src/Makefile")
sleep 1.1
cp "$pd/0001-version.patch" "$tmp/0001.orig"
printf 'trailing context\n' >>"$src/kernel/x.c"
printf '0001-version.patch\n0002-x.patch\n' >"$pd/series"
sed -i 's/^-int b;$/-int b;/' "$pd/0002-x.patch"
printf '\n' >>"$pd/0002-x.patch"
sed -i '$d' "$pd/0002-x.patch"
sed -i 's/int b = 1;/int b = 2;/' "$pd/0002-x.patch"
printf 'int a;\nint b = 1;\n' >"$src/kernel/x.c"
zoc_apply_series "$src" "$pd" 2>/dev/null
check "changed patch reapplied" grep -q 'int b = 2;' "$src/kernel/x.c"
check "files of unchanged patches keep their timestamps" [ "$(mtime "$src/Makefile")" = "$t" ]
sed -i 's/int b = 2;/int b = 1;/' "$pd/0002-x.patch"
zoc_apply_series "$src" "$pd" 2>/dev/null

printf '0002-x.patch\n' >"$pd/series"
zoc_apply_series "$src" "$pd" 2>/dev/null
check "dropped patch reverted" cmp -s "$src/Makefile" "$tmp/pristine/Makefile"
check "kept patch still applied" grep -q 'int b = 1;' "$src/kernel/x.c"

printf '0002-x.patch\nbroken.patch\n' >"$pd/series"
printf -- '--- a/kernel/x.c\n+++ b/kernel/x.c\n@@ -1,2 +1,2 @@\n-int nope;\n+int yes;\n int b = 1;\n' \
	>"$pd/broken.patch"
zoc_apply_series "$src" "$pd" 2>/dev/null
check "patch that does not apply is refused" [ $? -eq 1 ]
check "refused patch left the tree alone" [ "$(cat "$src/kernel/x.c")" = "$(printf 'int a;\nint b = 1;')" ]
check "refused patch not recorded" [ "$(cat "$src/.zoc-series/applied")" = 0002-x.patch ]

printf 'int q;\n' >"$src/kernel/x.c"
printf '\n' >"$pd/series"
zoc_apply_series "$src" "$pd" 2>/dev/null
check "tree that cannot be reverted is reported" [ $? -eq 2 ]

tap_done
