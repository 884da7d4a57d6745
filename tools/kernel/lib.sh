# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers of the ZOC kernel build, sourced by build.sh and its tests.
#
# zoc_apply_series SRC PATCHDIR
#	Bring the patches applied to the kernel tree SRC in line with
#	PATCHDIR/series (quilt format: one file name per line, '#' comments).
#	Copies of the applied patches are kept in SRC/.zoc-series so that a
#	changed series is handled by reverting only the patches that differ
#	and applying the new ones.  Files whose content ends up unchanged get
#	their old timestamps back, so that the kernel rebuild stays
#	incremental (editing one file of a patch that also touches a widely
#	included header must not rebuild the whole kernel).
#	Returns 0 on success, 1 if a patch does not apply (the tree is left
#	as it was), 2 if an applied patch cannot be reverted (the tree must be
#	unpacked again).

# The files a patch touches (its "+++ b/..." lines).
zoc_patch_files() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"
}

zoc_series_list() {
	local series=$1/series

	[ -f "$series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$series"
}

zoc_apply_series() {
	local src=$1 pdir=$2 state=$1/.zoc-series
	local -a want=() have=()
	local i keep n name f

	mkdir -p "$state"
	touch "$state/applied"
	mapfile -t want < <(zoc_series_list "$pdir")
	mapfile -t have <"$state/applied"

	for name in "${want[@]}"; do
		[ -f "$pdir/$name" ] || { echo "zoc-series: $pdir/$name: missing" >&2; return 1; }
	done

	# Keep the longest common prefix of identical patches.
	keep=0
	while [ $keep -lt ${#have[@]} ] && [ $keep -lt ${#want[@]} ] &&
	      [ "${have[$keep]}" = "${want[$keep]}" ] &&
	      cmp -s "$state/$keep-${have[$keep]}" "$pdir/${want[$keep]}"; do
		keep=$((keep + 1))
	done

	# Remember what the patches about to be reverted touch.
	rm -rf "$state/keep"
	for ((i = keep; i < ${#have[@]}; i++)); do
		for f in $(zoc_patch_files "$state/$i-${have[$i]}"); do
			[ -f "$src/$f" ] || continue
			mkdir -p "$state/keep/$(dirname "$f")"
			cp -p "$src/$f" "$state/keep/$f"
		done
	done

	for ((i = ${#have[@]} - 1; i >= keep; i--)); do
		echo "zoc-series: reverting ${have[$i]}" >&2
		if ! patch -s -d "$src" -p1 -R --batch --dry-run \
		     <"$state/$i-${have[$i]}" >/dev/null ||
		   ! patch -s -d "$src" -p1 -R --batch <"$state/$i-${have[$i]}"; then
			echo "zoc-series: cannot revert ${have[$i]}" >&2
			return 2
		fi
		rm -f "$state/$i-${have[$i]}"
		printf '%s\n' "${have[@]:0:$i}" | sed '/^$/d' >"$state/applied"
	done

	for ((i = keep; i < ${#want[@]}; i++)); do
		name=${want[$i]}
		echo "zoc-series: applying $name" >&2
		if ! patch -s -d "$src" -p1 -N --batch --dry-run <"$pdir/$name" >/dev/null; then
			echo "zoc-series: $name does not apply to $src" >&2
			return 1
		fi
		patch -s -d "$src" -p1 -N --batch <"$pdir/$name" || return 2
		cp "$pdir/$name" "$state/$i-$name"
		echo "$name" >>"$state/applied"
	done
	# Unchanged content, unchanged timestamp.
	if [ -d "$state/keep" ]; then
		(cd "$state/keep" && find . -type f) | while read -r f; do
			cmp -s "$state/keep/$f" "$src/$f" &&
				touch -r "$state/keep/$f" "$src/$f"
		done
		rm -rf "$state/keep"
	fi
	n=$(wc -l <"$state/applied")
	echo "zoc-series: $n patch(es) applied" >&2
}
