#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages for one role:
#   bochs  : host that boots Xen under Bochs (Xen packages only provide files: nothing is started)
#   vagrant: a Debian 12 VM that becomes a Xen dom0 itself (xen-system-amd64 hooks Xen into GRUB)
#   vagrant420: the same on Debian 13 (Xen 4.20)
#   build  : what rebuilding the hypervisor with CONFIG_MEM_SHARING needs (both roles)
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
role=${1:?usage: packages.sh bochs|vagrant|vagrant420|build}
case "$role" in
  bochs)   pkgs="xen-hypervisor-4.17-amd64 xen-utils-4.17 libxen-dev busybox-static cpio gcc libc6-dev gcc-multilib
                 bochs bochs-sdl bochsbios vgabios grub-pc-bin grub-common xorriso mtools maven" ;;
  vagrant) pkgs="xen-system-amd64 xen-utils-4.17 libxen-dev gcc libc6-dev gcc-multilib maven" ;;
  vagrant420) pkgs="xen-system-amd64 xen-utils-4.20 libxen-dev gcc libc6-dev gcc-multilib maven" ;;
  build)   pkgs="make flex bison python3 dpkg-dev gcc" ;;
  *) echo "unknown role $role" >&2; exit 2 ;;
esac
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
[ -z "$missing" ] && { plog "packages for $role present"; exit 0; }
# On the Bochs host the Xen packages are there only for their files: keep their services from starting.
if [ "$role" = bochs ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
plog "installing:" $missing
apt-get install -y --no-install-recommends $missing > /tmp/xenffm-apt.log 2>&1 || {
    apt-get update -qq && apt-get install -y --no-install-recommends $missing > /tmp/xenffm-apt.log 2>&1; } \
    || { tail -20 /tmp/xenffm-apt.log; exit 1; }
plog "installed"
