#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the root of the Xen headers (and, for a foreign version, fetches them first).
#
#   native-headers/fetch-headers.sh [XEN_VERSION] [--refresh]
#     4.17  the system's libxen-dev (Debian 12): prints /usr/include       (default)
#     4.20  Debian 13's libxen-dev and the Xen runtime libraries, fetched through a PRIVATE apt index under
#           build/xen420/ and unpacked there with dpkg -x; prints build/xen420/root/usr/include
#
# Nothing is installed (native-headers/private-apt.sh, which says what it needs): Debian 13's libraries need a newer
# glibc than Debian 12's; they are unpacked only so tests can read their ELF symbol tables. Cached: a second run
# prints the root at once; --refresh fetches again.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
VERSION=${1:-4.17}
REFRESH=${2:-}
die() { echo "fetch-headers.sh: $*" >&2; exit 1; }

case "$VERSION" in
    4.17)
        [ -e /usr/include/xenctrl.h ] || die "/usr/include/xenctrl.h missing: apt-get install libxen-dev (Debian 12's is 4.17)"
        echo /usr/include; exit 0 ;;
    4.20) SUITE=trixie ;;
    *) die "unknown Xen version '$VERSION' (known: 4.17 = system libxen-dev, 4.20 = Debian 13)" ;;
esac

NUM=${VERSION//./}
DIR=${XENFFM_BUILD_DIR:-$ROOT_DIR/build}/xen$NUM
INCLUDE=$DIR/root/usr/include
# headers: libxen-dev alone (every Xen header it #includes is in it; libc headers come from the system).
# libraries: the sonames the bindings resolve against (libxenctrl is in libxenmisc on Debian 13).
PACKAGES="libxen-dev libxenmisc$VERSION libxenevtchn1 libxenforeignmemory1 libxentoollog1"
. "$ROOT_DIR/native-headers/private-apt.sh"

if [ "$REFRESH" != --refresh ] && [ -e "$INCLUDE/xenctrl.h" ] && private_apt_unpacked "$DIR" $PACKAGES; then
    echo "$INCLUDE"; exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (a Debian system)"
start=$(date +%s)
private_apt_index "$DIR" "$SUITE" || die "no private $SUITE index"
private_apt_unpack "$DIR" "$PACKAGES" $PACKAGES || die "could not fetch $PACKAGES"
[ -e "$INCLUDE/xenctrl.h" ] || die "$INCLUDE/xenctrl.h missing after unpacking $(sed 1d "$DIR/unpacked" | tr '\n' ' ')"
echo "fetch-headers.sh: Xen $VERSION from Debian $SUITE in $(( $(date +%s) - start )) s: $(sed 1d "$DIR/unpacked" | tr '\n' ' ')" >&2
echo "$INCLUDE"
