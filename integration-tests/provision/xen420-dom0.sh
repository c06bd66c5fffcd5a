#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bochs harness, Xen 4.20 target: Debian 13 ("trixie")'s unmodified hypervisor (built without CONFIG_MEM_SHARING),
# its kernel as the PV dom0, its Xen tools and libraries and its glibc — downloaded through a PRIVATE apt index and
# unpacked with dpkg-deb -x, never installed (the Debian 12 system's apt configuration, dpkg database and libraries
# stay as they are). Cached in $XENFFM_CACHE/trixie; prints the unpacked tree, which holds
#   boot/xen-4.20-amd64.gz  boot/vmlinuz-<kv>  usr/lib/modules/<kv>  usr/lib/xen-4.20/bin  usr/lib/x86_64-linux-gnu
# The private index is native-headers/private-apt.sh's, as for fetch-headers.sh 4.20 (it says what it needs).
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
DIR=$XENFFM_CACHE/trixie; ROOT=$DIR/root
# the dom0 side: the Xen tools' and the JRE's whole DT_NEEDED closure lives in these (xen-under-bochs/run resolves it with dt_needed_closure)
PKGS="xen-hypervisor-4.20-amd64 xen-utils-4.20 libxenmisc4.20 libxencall1 libxendevicemodel1 libxenevtchn1
 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoolcore1 libxentoollog1 libyajl2 libncurses6
 libtinfo6 libc6 libgcc-s1 libstdc++6 libext2fs2t64 liblzma5 libuuid1 libzstd1 zlib1g libcom-err2 libblkid1"
. "$REPO_DIR/native-headers/private-apt.sh"
if [ -d "$ROOT/usr/lib/xen-4.20/bin" ] && private_apt_unpacked "$DIR" $PKGS; then echo "$ROOT"; exit 0; fi
private_apt_index "$DIR" trixie
kpkg=$(apt-cache "${PRIVATE_APT[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
private_apt_unpack "$DIR" "$(echo $PKGS)" $PKGS "$kpkg"
plog "Debian 13 Xen 4.20 dom0 unpacked: $(sed 1d "$DIR/unpacked" | grep -E '^xen-hypervisor|^linux-image' | tr '\n' ' ')"
echo "$ROOT"
