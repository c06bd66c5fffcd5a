# SPDX-License-Identifier: Apache-2.0
# Shared settings for the provisioning steps (sourced, not run). Used by xen-under-bochs/run (Bochs on a machine
# without VT-x) and by the top-level Vagrantfile (a Debian 12 VM with nested VT-x): both get the same Xen.
XEN_SERIES=4.17
XENFFM_CACHE=${XENFFM_CACHE:-/var/cache/xenffm}       # outside the repo: rebuilt hypervisors, kernels, runtimes
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)  # integration-tests/
REPO_DIR=$(cd "$IT_DIR/.." && pwd)
export DEBIAN_FRONTEND=noninteractive
plog() { echo "[provision $(date -u +%H:%M:%S)] $*" >&2; }
need_root() { [ "$(id -u)" = 0 ] || { echo "provision: must run as root (apt-get, /var/cache)" >&2; exit 2; }; }
find_jdk25() {
    local c
    for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
        [ -n "$c" ] && [ -x "$c/bin/jlink" ] && "$c/bin/java" -version 2>&1 | grep -q '"25' && { echo "$c"; return 0; }
    done
    return 1
}
# The Bochs harness's default work directory for Xen release $1 (xen-under-bochs/run writes it, versions-report reads it).
bochs_work_dir() { echo "$REPO_DIR/build/xen-under-bochs$([ "$1" = 4.17 ] || echo "-$1")"; }
# Prints the DT_NEEDED closure of the given ELF files, resolved inside one library directory $1 (an unpacked foreign
# Debian's, where the host's ldd would pick the host's own glibc); names found under $2 (the JRE's own) are skipped.
dt_needed_closure() {
    local lib=$1 own=$2 f n; shift 2; local -A seen=(); local todo=("$@")
    while [ ${#todo[@]} -gt 0 ]; do
        f=${todo[0]}; todo=("${todo[@]:1}")
        for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -n "${seen[$n]:-}" ] && continue; seen[$n]=1
            [ -n "$(find "$own" -name "$n" -print -quit)" ] && continue
            [ -e "$lib/$n" ] || { echo "dt_needed_closure: $n (needed by $f) is not in $lib" >&2; return 1; }
            echo "$lib/$n"; todo+=("$lib/$n")
        done
    done
    for f in "$@"; do case $f in "$lib"/*) echo "$f" ;; esac; done
}
# The GRUB "saved" path (submenu>...>entry) of the first menuentry whose title matches the ERE $1 in grub.cfg $2:
# Debian's 20_linux_xen nests per-Xen entries two submenus deep ("Advanced options ... (with Xen hypervisor)" >
# "Xen hypervisor, version X"), and grub-set-default needs the whole path.
grub_entry_path() {
    awk -v want="$1" -F"'" '
        /^[ \t]*submenu /   { stack[++n] = $2; kind[n] = "s"; next }
        /^[ \t]*menuentry / { if ($2 ~ want) { p = ""; for (i = 1; i <= n; i++) if (kind[i] == "s") p = p stack[i] ">";
                                               print p $2; exit }
                              stack[++n] = $2; kind[n] = "m"; next }
        /^[ \t]*}[ \t]*$/   { if (n > 0) n-- }' "${2:-/boot/grub/grub.cfg}"
}
# Vagrant hosts: boot the Xen whose GRUB entry title matches the ERE $1 by default, with the suite's Xen command line
# (altp2m=1, a dom0 big enough for its guests). Prints the entry; takes effect at the next boot.
grub_default_xen() {
    printf 'GRUB_CMDLINE_XEN_DEFAULT="%s"\nGRUB_DEFAULT="saved"\n' \
        "altp2m=1 dom0_mem=2048M,max:2048M dom0_max_vcpus=2 loglvl=all guest_loglvl=all" > /etc/default/grub.d/xen-xenffm.cfg
    update-grub > /dev/null 2>&1
    local entry; entry=$(grub_entry_path "$1")
    [ -n "$entry" ] || { echo "no GRUB entry matching '$1'; see /boot/grub/grub.cfg" >&2; return 1; }
    grub-set-default "$entry"; echo "$entry"
}
