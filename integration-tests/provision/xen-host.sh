#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Vagrant VM only: make this Debian 12 machine boot Xen 4.17 as its hypervisor, with the mem_sharing rebuild and
# altp2m=1, and a dom0 big enough for the guests the suite creates. Takes effect at the next boot.
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
bash "$(dirname "$0")/packages.sh" vagrant
XENGZ=$(bash "$(dirname "$0")/xen-memshr.sh")
# Debian's grub hook (20_linux_xen) offers every /boot/xen-*.gz that has a matching .config; install the rebuild
# beside Debian's binary and make it the default entry.
cp "$XENGZ" /boot/xen-4.17-memshr.gz; cp "$(dirname "$XENGZ")/config" /boot/xen-4.17-memshr.config
entry=$(grub_default_xen 'Xen 4[.]17-memshr ')
plog "next boot: $entry (Xen with CONFIG_MEM_SHARING, altp2m=1); reboot to enter Xen"
