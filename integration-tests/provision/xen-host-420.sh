#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Vagrant VM only: make this Debian 13 machine boot Debian's own Xen 4.20 with altp2m=1 and a dom0 big enough for
# the suite's guests. Debian builds 4.20 without CONFIG_MEM_SHARING (sharing answers ENOSYS, which the scenarios
# expect on this target); since Xen 4.19 a guest gets altp2m at creation (xl: altp2m = "external"), which the
# suite's guest config sets. Takes effect at the next boot.
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
. /etc/os-release
[ "${VERSION_CODENAME:-}" = trixie ] || { echo "xen-host-420.sh is for Debian 13 (trixie), not ${PRETTY_NAME:-?}" >&2; exit 2; }
bash "$(dirname "$0")/packages.sh" vagrant420
entry=$(grub_default_xen 'Xen 4[.]20-amd64 ')
plog "next boot: $entry (Debian's Xen 4.20, altp2m=1); reboot to enter Xen"
