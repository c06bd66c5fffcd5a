#!/usr/bin/env bash
# Prints the root of the Xen headers (and, for a foreign version, fetches them first).
#
#   native-headers/fetch-headers.sh [XEN_VERSION] [--refresh]
#     4.17  the system's libxen-dev (Debian 12): prints /usr/include       (default)
#     4.20  Debian 13's libxen-dev and the Xen runtime libraries, fetched through a PRIVATE apt index under
#           build/xen420/ and unpacked there with dpkg -x; prints build/xen420/root/usr/include
#
# Nothing is installed: the system's apt configuration, dpkg database and libraries stay as they are (Debian 13's
# libraries need a newer glibc than Debian 12's; they are unpacked only so tests can read their ELF symbol tables).
# Cached: a second run prints the root at once; --refresh fetches again. Needs apt-get and dpkg-deb (any Debian),
# the Debian archive keyring with the trixie keys (Debian 12's debian-archive-keyring has them) and access to the
# Debian archive the system's own apt sources name. Run as root on CI (apt then downloads unsandboxed).
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
STAMP=$DIR/fetched   # first line: $PACKAGES; then the .deb files unpacked

if [ "$REFRESH" != --refresh ] && [ -e "$INCLUDE/xenctrl.h" ] && [ "$(head -n1 "$STAMP" 2>/dev/null)" = "$PACKAGES" ]; then
    echo "$INCLUDE"; exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (a Debian system)"

# A private apt index: the system's first Debian "deb" source with the suite replaced, its own lists and cache.
APTDIR=$DIR/apt
APT=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$APTDIR/sources.list.d"
     -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
     -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
rm -rf "$APTDIR" "$DIR/debs" "$DIR/root" "$STAMP"
mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$DIR/debs" "$DIR/root"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: first stanza of Types: deb whose URIs end in /debian (not debian-security)
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         { deb = arch = 0; n = split($0, line, "\n")
           for (i = 1; i <= n; i++) {
               if (line[i] ~ /^Types:/ && line[i] ~ /[ \t]deb([ \t]|$)/) deb = 1
               if (line[i] ~ /^URIs:/ && line[i] ~ /\/debian\/?([ \t]|$)/) arch = 1 } }
         deb && arch && !done { print; done = 1 }' \
        /etc/apt/sources.list.d/debian.sources \
        | sed -e '/^#/d' -e "s/^Suites: .*/Suites: $SUITE/" > "$APTDIR/sources.list.d/$SUITE.sources"
fi
if [ ! -s "$APTDIR/sources.list.d/$SUITE.sources" ]; then
    # one-line format: the first "deb URI bookworm main..." line
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /\/debian\/?$/ { print $2; exit }')
    [ -n "$uri" ] || die "found no Debian archive in /etc/apt/sources.list{,.d}: cannot build a $SUITE index"
    rm -f "$APTDIR/sources.list.d/$SUITE.sources"
    echo "deb $uri $SUITE main" > "$APTDIR/sources.list.d/$SUITE.list"
fi

start=$(date +%s)
apt-get "${APT[@]}" update || die "apt-get update of the private $SUITE index failed (sources: $APTDIR/sources.list.d)"
(cd "$DIR/debs" && apt-get "${APT[@]}" download $PACKAGES) || die "apt-get download $PACKAGES failed"
for deb in "$DIR"/debs/*.deb; do
    dpkg-deb -x "$deb" "$DIR/root"
done
[ -e "$INCLUDE/xenctrl.h" ] || die "$INCLUDE/xenctrl.h missing after unpacking $(ls "$DIR/debs")"
{ echo "$PACKAGES"; (cd "$DIR/debs" && ls *.deb); } > "$STAMP"
echo "fetch-headers.sh: Xen $VERSION from Debian $SUITE in $(( $(date +%s) - start )) s: $(cd "$DIR/debs" && ls *.deb | tr '\n' ' ')" >&2
echo "$INCLUDE"
