#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Rebuilds ONLY the hypervisor (xen.gz) from Debian's own xen source package with CONFIG_UNSUPPORTED=y and
# CONFIG_MEM_SHARING=y: Debian builds Xen without mem_sharing, so every xc_memshr_* call answers ENOSYS.
# Result cached in $XENFFM_CACHE/xen-<source version>-memshr/xen.gz (keyed by the source version); prints its path.
# ~75 s on 2 cores. The tools/libraries stay Debian's (same domctl/memop ABI within 4.17).
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
bash "$(dirname "$0")/packages.sh" build >&2
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # same mirrors as the binary packages, source index only (Debian's deb822 sources file)
    src=/etc/apt/sources.list.d/debian.sources
    [ -f "$src" ] || { echo "no $src to derive deb-src from; add a deb-src line for bookworm" >&2; exit 1; }
    sed 's/^Types: deb$/Types: deb-src/' "$src" > /etc/apt/sources.list.d/xenffm-deb-src.sources
    apt-get update -qq >&2
fi
# Newest source version that the mirror really serves (the security version's .dsc may 404; bookworm's works).
mkdir -p "$XENFFM_CACHE/src"
versions=$(apt-cache showsrc xen | awk '/^Version: 4\.17/{print $2}' | sort -Vr -u)
for v in $versions; do   # a cached build of any available source version: done, no download
    [ -s "$XENFFM_CACHE/xen-$v-memshr/xen.gz" ] && { echo "$XENFFM_CACHE/xen-$v-memshr/xen.gz"; exit 0; }
done
for v in $versions; do
    out="$XENFFM_CACHE/xen-$v-memshr/xen.gz"
    d="$XENFFM_CACHE/src/$v"; mkdir -p "$d"
    if ( cd "$d" && ls -d xen-4.17*/ >/dev/null 2>&1 || apt-get source -q "xen=$v" > fetch.log 2>&1 ); then
        XD=$(ls -d "$d"/xen-4.17*/ | head -1); break
    fi
    plog "source xen=$v not served, trying an older one"; rm -rf "$d"
done
[ -n "${XD:-}" ] || { echo "no xen 4.17 source package reachable" >&2; exit 1; }
plog "building hypervisor from $XD with CONFIG_MEM_SHARING"
cfg=$(ls /boot/xen-4.17-amd64.config 2>/dev/null || true)
[ -n "$cfg" ] || { echo "need Debian's /boot/xen-4.17-amd64.config (package xen-hypervisor-4.17-amd64)" >&2; exit 1; }
cp "$cfg" "$XD/xen/.config"
sed -i 's/^# CONFIG_UNSUPPORTED is not set/CONFIG_UNSUPPORTED=y/' "$XD/xen/.config"
echo CONFIG_MEM_SHARING=y >> "$XD/xen/.config"
make -C "$XD/xen" olddefconfig PYTHON=/usr/bin/python3 > "$d/build.log" 2>&1
make -C "$XD/xen" -j"$(nproc)" PYTHON=/usr/bin/python3 >> "$d/build.log" 2>&1 || { tail -30 "$d/build.log" >&2; exit 1; }
grep -q '^CONFIG_MEM_SHARING=y' "$XD/xen/.config" || { echo "olddefconfig dropped CONFIG_MEM_SHARING" >&2; exit 1; }
mkdir -p "$(dirname "$out")"; cp "$XD/xen/xen.gz" "$out"; cp "$XD/xen/.config" "$(dirname "$out")/config"
plog "cached $out"; echo "$out"
