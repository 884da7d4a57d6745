#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the ZOC kernel: Debian's linux-source-6.1, the series in patches/,
# and drivers/zoc compiled in-tree by the kernel's own Kbuild.
#
# Everything lives in a cache outside the repository ($ZOC_CACHE, default
# /var/cache/zoc) so that a second run is incremental:
#
#   $ZOC_CACHE/debs/          the downloaded linux-source .deb
#   $ZOC_CACHE/src/<version>/ the unpacked, patched source tree
#   $ZOC_CACHE/build/<version>/ the object tree (make O=)
#   $ZOC_CACHE/source         link to the last tree prepared (its
#                             kselftest harness is all the unit tests need)
#   $ZOC_CACHE/obj            link to the last object tree built
#
# ZOC_KERNEL_FLAVOUR=debug builds the sanitizer flavour instead (KASAN,
# lockdep, UBSAN, KFENCE: tools/kernel/debug.config) in
# $ZOC_CACHE/build/<version>-debug, linked from $ZOC_CACHE/obj-debug.
#
# Usage: build.sh [source|config|all]
#   source  fetch, unpack, patch and integrate only; print the tree
#   config  as source, then configure; print the object tree
#   all     (default) as config, then build bzImage and modules

set -euo pipefail

ZOC_TOP=$(cd "$(dirname "$0")/../.." && pwd)
ZOC_CACHE=${ZOC_CACHE:-/var/cache/zoc}
JOBS=${JOBS:-$(nproc)}
FLAVOUR=${ZOC_KERNEL_FLAVOUR:-}
PKG=linux-source-6.1

. "$ZOC_TOP/tools/kernel/lib.sh"

log() { echo "zoc-kbuild: $*" >&2; }

# The candidate version of the source package, resolved at run time.
source_version() {
	local ver

	ver=$(apt-cache policy "$PKG" | awk '/Candidate:/ { print $2 }')
	if { [ -z "$ver" ] || [ "$ver" = "(none)" ]; } && [ "$(id -u)" -eq 0 ]; then
		log "no candidate for $PKG: apt-get update"
		apt-get update -q >/dev/null
		ver=$(apt-cache policy "$PKG" | awk '/Candidate:/ { print $2 }')
	fi
	[ "$ver" != "(none)" ] && echo "$ver"
}

fetch_source() {
	local ver=$1 deb

	mkdir -p "$ZOC_CACHE/debs"
	deb=$(ls "$ZOC_CACHE/debs/${PKG}_${ver}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		log "downloading $PKG $ver"
		(cd "$ZOC_CACHE/debs" && apt-get download -q "$PKG=$ver" 2>&1 |
			grep -v 'unsandboxed' >&2 || true)
		deb=$(ls "$ZOC_CACHE/debs/${PKG}_${ver}_"*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] || { log "apt-get download $PKG=$ver failed"; exit 1; }
	fi
	echo "$deb"
}

unpack_source() {
	local ver=$1 deb=$2 dst=$ZOC_CACHE/src/$ver tmp

	if [ -f "$dst/.zoc-unpacked" ]; then
		echo "$dst"
		return
	fi
	log "unpacking $deb"
	rm -rf "$dst" "$dst.tmp"
	tmp=$dst.tmp
	mkdir -p "$tmp/deb"
	dpkg-deb -x "$deb" "$tmp/deb"
	tar -C "$tmp" -xf "$tmp/deb/usr/src/$PKG.tar.xz"
	mv "$tmp/$PKG" "$dst"
	rm -rf "$tmp"
	touch "$dst/.zoc-unpacked"
	echo "$dst"
}

configure() {
	local src=$1 obj=$2 frag=$ZOC_TOP/selftests/zoc/config
	local trim=$ZOC_TOP/tools/kernel/lab-trim.config
	local stamp=$obj/.zoc-config-inputs want f
	local frags=("$frag" "$trim")

	[ -z "$FLAVOUR" ] || frags+=("$ZOC_TOP/tools/kernel/$FLAVOUR.config")
	want=$(cat "${frags[@]}" "$src/arch/x86/configs/x86_64_defconfig" \
		"$src/kernel/configs/kvm_guest.config" | sha256sum | cut -d' ' -f1)
	if [ -f "$obj/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return
	fi
	log "configuring $obj"
	mkdir -p "$obj"
	make -s -C "$src" O="$obj" x86_64_defconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
		"$src/kernel/configs/kvm_guest.config" "${frags[@]}" >/dev/null
	make -s -C "$src" O="$obj" olddefconfig
	for f in "${frags[@]}"; do
		check_config "$obj/.config" "$f"
	done
	echo "$want" >"$stamp"
}

# Every option of the fragment must have survived olddefconfig.
check_config() {
	local cfg=$1 frag=$2 line sym bad=0

	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$cfg" || { log "not set: $line"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$cfg" || { log "set: $sym"; bad=1; } ;;
		esac
	done <"$frag"
	return $bad
}

main() {
	local what=${1:-all} ver deb src obj rc suffix=${FLAVOUR:+-$FLAVOUR}

	# One build at a time per cache: make -j may start several.
	mkdir -p "$ZOC_CACHE"
	exec 9>"$ZOC_CACHE/.build.lock"
	flock 9
	ver=$(source_version)
	[ -n "$ver" ] || { log "no candidate for $PKG (apt-get update?)"; exit 1; }
	deb=$(fetch_source "$ver")
	src=$(unpack_source "$ver" "$deb")
	rc=0
	zoc_apply_series "$src" "$ZOC_TOP/patches" || rc=$?
	if [ $rc -ne 0 ]; then
		[ $rc -eq 2 ] || exit 1
		log "tree cannot be reverted: unpacking it again"
		rm -f "$src/.zoc-unpacked"
		src=$(unpack_source "$ver" "$deb")
		zoc_apply_series "$src" "$ZOC_TOP/patches"
	fi
	# Integrated from another checkout before: its objects may be newer
	# than this checkout's files, and make would keep them.
	if [ "$(readlink "$src/drivers/zoc" 2>/dev/null)" != "$ZOC_TOP/drivers/zoc" ]; then
		rm -rf "$ZOC_CACHE/build/$ver"*/drivers/zoc
	fi
	"$ZOC_TOP/tools/kernel/integrate.sh" "$src" >&2
	ln -sfn "$src" "$ZOC_CACHE/source"
	if [ "$what" = source ]; then
		echo "$src"
		return
	fi
	case "$FLAVOUR" in
	"" | debug) ;;
	*) log "unknown ZOC_KERNEL_FLAVOUR $FLAVOUR"; exit 1 ;;
	esac
	obj=$ZOC_CACHE/build/$ver$suffix
	configure "$src" "$obj"
	if [ "$what" = config ]; then
		echo "$obj"
		return
	fi
	log "building bzImage and modules in $obj (-j$JOBS)"
	make -s -C "$src" O="$obj" -j"$JOBS" bzImage modules
	ln -sfn "$obj" "$ZOC_CACHE/obj$suffix"
	echo "$obj"
}

main "$@"
