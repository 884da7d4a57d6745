#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build ZOC into a kernel source tree: drivers/zoc and the uapi headers are
# linked (or, with --copy, copied) into the tree, and drivers/Kconfig and
# drivers/Makefile learn about them.  Running it again is harmless.
#
# Usage: integrate.sh [--copy] KSRC

set -euo pipefail

ZOC_TOP=$(cd "$(dirname "$0")/../.." && pwd)
mode=link
if [ "${1:-}" = --copy ]; then
	mode=copy
	shift
fi
ksrc=${1:?usage: integrate.sh [--copy] KSRC}
[ -f "$ksrc/drivers/Kconfig" ] || { echo "$ksrc: not a kernel tree" >&2; exit 1; }

place() {
	local from=$1 to=$2

	rm -rf "$to"
	if [ $mode = link ]; then
		ln -s "$from" "$to"
	else
		cp -r "$from" "$to"
	fi
}

place "$ZOC_TOP/drivers/zoc" "$ksrc/drivers/zoc"
for h in "$ZOC_TOP"/uapi/linux/*.h; do
	place "$h" "$ksrc/include/uapi/linux/$(basename "$h")"
done

grep -q '^source "drivers/zoc/Kconfig"' "$ksrc/drivers/Kconfig" ||
	sed -i '$i source "drivers/zoc/Kconfig"\n' "$ksrc/drivers/Kconfig"
grep -q 'CONFIG_ZOC)' "$ksrc/drivers/Makefile" ||
	echo 'obj-$(CONFIG_ZOC)		+= zoc/' >>"$ksrc/drivers/Makefile"
echo "zoc: integrated into $ksrc ($mode)"
