#!/bin/bash
# Bochs harness, Xen 4.20 target: Debian 13 ("trixie")'s unmodified hypervisor (built without CONFIG_MEM_SHARING),
# its kernel as the PV dom0, its Xen tools and libraries and its glibc — downloaded through a PRIVATE apt index and
# unpacked with dpkg-deb -x, never installed (the Debian 12 system's apt configuration, dpkg database and libraries
# stay as they are). Cached in $XENFFM_CACHE/trixie; prints the unpacked tree, which holds
#   boot/xen-4.20-amd64.gz  boot/vmlinuz-<kv>  usr/lib/modules/<kv>  usr/lib/xen-4.20/bin  usr/lib/x86_64-linux-gnu
# Needs apt-get, dpkg-deb and the Debian archive the system's own apt sources name (trixie keys: Debian 12's
# debian-archive-keyring has them). Same private-index recipe as native-headers/fetch-headers.sh 4.20.
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
DIR=$XENFFM_CACHE/trixie; ROOT=$DIR/root
# the dom0 side: the Xen tools' and the JRE's whole DT_NEEDED closure lives in these (xen420_rootfs_libs resolves it)
PKGS="xen-hypervisor-4.20-amd64 xen-utils-4.20 libxenmisc4.20 libxencall1 libxendevicemodel1 libxenevtchn1
 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoolcore1 libxentoollog1 libyajl2 libncurses6
 libtinfo6 libc6 libgcc-s1 libstdc++6 libext2fs2t64 liblzma5 libuuid1 libzstd1 zlib1g libcom-err2 libblkid1"
APT=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$DIR/apt/sources.list.d"
     -o "Dir::State::Lists=$DIR/apt/lists" -o "Dir::Cache=$DIR/apt/cache" -o Dir::Cache::pkgcache=
     -o Dir::Cache::srcpkgcache= -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
STAMP=$DIR/unpacked   # first line: the package list; then the .deb files unpacked
if [ -d "$ROOT/usr/lib/xen-4.20/bin" ] && [ "$(head -n1 "$STAMP" 2>/dev/null)" = "$(echo $PKGS)" ]; then echo "$ROOT"; exit 0; fi
rm -rf "$DIR"; mkdir -p "$DIR/apt/sources.list.d" "$DIR/apt/lists/partial" "$DIR/apt/cache/archives/partial" "$DIR/debs" "$ROOT"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then   # deb822: the first "Types: deb" stanza of the main archive
    awk 'BEGIN { RS = ""; ORS = "\n\n" } /Types:[^\n]*deb([ \t\n]|$)/ && /URIs:[^\n]*\/debian\/?([ \t\n]|$)/ && !done { print; done = 1 }' \
        /etc/apt/sources.list.d/debian.sources | sed -e '/^#/d' -e 's/^Suites: .*/Suites: trixie/' > "$DIR/apt/sources.list.d/trixie.sources"
fi
if [ ! -s "$DIR/apt/sources.list.d/trixie.sources" ]; then   # one-line format
    rm -f "$DIR/apt/sources.list.d/trixie.sources"
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }')
    [ -n "$uri" ] || { echo "xen420-dom0.sh: no Debian archive in the apt sources" >&2; exit 1; }
    echo "deb $uri trixie main" > "$DIR/apt/sources.list.d/trixie.list"
fi
apt-get "${APT[@]}" update >&2
kpkg=$(apt-cache "${APT[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
(cd "$DIR/debs" && apt-get "${APT[@]}" download $PKGS "$kpkg" >&2)
for deb in "$DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
{ echo $PKGS; (cd "$DIR/debs" && ls *.deb); } > "$STAMP"
rm -rf "$DIR/debs"   # ~100 MB of .debs: the unpacked tree is what the harness uses
plog "Debian 13 Xen 4.20 dom0 unpacked: $(sed -n '2,$p' "$STAMP" | grep -E '^xen-hypervisor|^linux-image' | tr '\n' ' ')"
echo "$ROOT"
