#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the puppet PVH guest (guest/puppet.S: a mailbox at gfn 0x1f0 that dom0 steers through a foreign mapping)
# and its xl config into $1 (default $XENFFM_CACHE/guest). The config names the kernel by its path in dom0, $2
# (default: the same directory); $3 is the Xen release it is for (default 4.17): from 4.19 the altp2m mode is a
# creation option (HVM_PARAM_ALTP2M is read-only afterwards), so the config asks for altp2m = "external".
# Create with: xl create -p pup.cfg 'name="p2"' 'vcpus=4'
set -euo pipefail
. "$(dirname "$0")/common.sh"
out=${1:-$XENFFM_CACHE/guest}; at=${2:-$out}; release=${3:-4.17}; mkdir -p "$out"
gcc -m32 -c -o "$out/puppet.o" "$IT_DIR/guest/puppet.S"
ld -m elf_i386 -N -T "$IT_DIR/guest/puppet.ld" --build-id=none -o "$out/puppet.elf" "$out/puppet.o"
rm -f "$out/puppet.o"
printf 'type = "pvh"\nname = "pup"\nmemory = 32\nvcpus = 1\nkernel = "%s/puppet.elf"\non_crash = "preserve"\n' "$at" > "$out/pup.cfg"
case $release in 4.17|4.18) ;; *) echo 'altp2m = "external"' >> "$out/pup.cfg" ;; esac
echo "$out"
