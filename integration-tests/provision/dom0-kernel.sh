#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bochs harness only: Debian's kernel as the PV dom0, downloaded and unpacked (never installed on the host).
# Prints the unpack directory ($XENFFM_CACHE/kernel/<package>), which holds boot/vmlinuz-* and lib/modules/*.
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
d="$XENFFM_CACHE/kernel/$pkg"
if [ ! -d "$d/boot" ]; then
    mkdir -p "$d.dl"; (cd "$d.dl" && apt-get download "$pkg" > /dev/null)
    dpkg -x "$d.dl"/*.deb "$d"; rm -rf "$d.dl"; plog "unpacked $pkg"
fi
echo "$d"
