#!/bin/bash
# Vagrant VM only: make this Debian 13 machine boot Debian's own Xen 4.20 with altp2m=1 and a dom0 big enough for
# the suite's guests. Debian builds 4.20 without CONFIG_MEM_SHARING (sharing answers ENOSYS, which the scenarios
# expect on this target); since Xen 4.19 a guest gets altp2m at creation (xl: altp2m = "external"), which the
# suite's guest config sets. Takes effect at the next boot.
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
. /etc/os-release
[ "${VERSION_CODENAME:-}" = trixie ] || { echo "xen-host-420.sh is for Debian 13 (trixie), not ${PRETTY_NAME:-?}" >&2; exit 2; }
bash "$(dirname "$0")/packages.sh" vagrant420
cat > /etc/default/grub.d/xen-xenffm.cfg <<'CFG'
GRUB_CMDLINE_XEN_DEFAULT="altp2m=1 dom0_mem=2048M,max:2048M dom0_max_vcpus=2 loglvl=all guest_loglvl=all"
GRUB_DEFAULT="saved"
CFG
update-grub > /dev/null 2>&1
entry=$(grub_entry_path 'Xen 4[.]20-amd64 ')
[ -n "$entry" ] || { echo "no GRUB entry for Xen 4.20; see /boot/grub/grub.cfg" >&2; exit 1; }
grub-set-default "$entry"
plog "next boot: $entry (Debian's Xen 4.20, altp2m=1); reboot to enter Xen"
