#!/usr/bin/env bash
# Regenerates the jextract bindings for one Xen header set, and the gcc layout probe that checks them.
#
#   bindings/regenerate.sh [HEADER_ROOT] [XEN_VERSION]
#     HEADER_ROOT  directory holding xenctrl.h, xen/*.h ...   (default /usr/include, i.e. libxen-dev)
#     XEN_VERSION  tag of that header set, e.g. 4.17 or 4.20   (default 4.17)
#
# Writes package org.xenffm.bindings.xen<NNN> (NNN = version without dots) to
# bindings/src/main/java/org/xenffm/bindings/xen<NNN>/ and native-headers/probe_xen<NNN>.c.
# Filters come from bindings/xen<NNN>.args if it exists, else bindings/xen417.args.
#
# Needs: jextract (from $JEXTRACT or PATH; see bindings/README.md for how to obtain it) and a JDK 25
# (JAVA_HOME or PATH). No -l options on purpose: the FFM backend picks the libxenctrl soname at run time.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
HEADER_ROOT=${1:-/usr/include}
XEN_VERSION=${2:-4.17}
NUM=${XEN_VERSION//./}
PKG=org.xenffm.bindings.xen$NUM
OUT_BASE=$ROOT_DIR/bindings/src/main/java
OUT_DIR=$OUT_BASE/${PKG//.//}
ARGFILE=$ROOT_DIR/bindings/xen$NUM.args
[ -f "$ARGFILE" ] || ARGFILE=$ROOT_DIR/bindings/xen417.args
UMBRELLA=$ROOT_DIR/native-headers/xenffm.h
PROBE=$ROOT_DIR/native-headers/probe_xen$NUM.c

die() { echo "regenerate.sh: $*" >&2; exit 1; }

JEXTRACT=${JEXTRACT:-$(command -v jextract || true)}
[ -n "$JEXTRACT" ] && [ -x "$JEXTRACT" ] || die "jextract not found: set JEXTRACT=/path/to/bin/jextract or put it on PATH"
JAVA_BIN=${JAVA_HOME:+$JAVA_HOME/bin/}
[ -e "$HEADER_ROOT/xenctrl.h" ] || die "$HEADER_ROOT/xenctrl.h not found (install libxen-dev or pass the header root)"
[ "$HEADER_ROOT" = /usr/include ] || echo "regenerate.sh: note: libc headers still come from the system include path" >&2

start=$(date +%s.%N)
rm -rf "$OUT_DIR"
mkdir -p "$OUT_BASE"
# -I HEADER_ROOT first, so another Xen header set wins over /usr/include for <xenctrl.h>, <xen/...>
"$JEXTRACT" -I "$HEADER_ROOT" \
    --target-package "$PKG" --header-class-name Xen --output "$OUT_BASE" \
    "@$ARGFILE" "$UMBRELLA" 2> >(grep -v 'warning: Skipping' >&2)

# jextract exits 0 when a filtered name does not exist (e.g. vm_event_st without __XEN_TOOLS__):
# insist that every name in the argfile produced something.
missing=()
while read -r opt name; do
    case "$opt" in
        --include-function) grep -qs -- "$name\$descriptor()" "$OUT_DIR"/Xen*.java || missing+=("function $name") ;;
        --include-constant) grep -qsE -- "public static [A-Za-z]+ $name\(\)" "$OUT_DIR"/Xen*.java || missing+=("constant $name") ;;
        --include-struct|--include-union|--include-typedef) [ -f "$OUT_DIR/$name.java" ] || missing+=("${opt#--include-} $name") ;;
    esac
done < <(sed -e 's/#.*//' "$ARGFILE")
[ ${#missing[@]} -eq 0 ] || die "jextract produced nothing for: ${missing[*]}
(fix $ARGFILE or $UMBRELLA; for a new Xen version copy xen417.args to xen$NUM.args and edit)"
gen_end=$(date +%s.%N)

# The gcc probe is generated from the bindings just written, so it cannot drift from them.
CLASSES=$(mktemp -d)
trap 'rm -rf "$CLASSES"' EXIT
"${JAVA_BIN}javac" --release 25 -nowarn -d "$CLASSES" "$OUT_DIR"/*.java
"${JAVA_BIN}java" --enable-native-access=ALL-UNNAMED -cp "$CLASSES" \
    "$ROOT_DIR/src/test/java/org/xenffm/bindings/ProbeGenerator.java" "$PKG" "$CLASSES" > "$PROBE.tmp"
mv "$PROBE.tmp" "$PROBE"
end=$(date +%s.%N)

printf 'regenerate.sh: %s from %s: %d files, %d functions, %d structs/unions/typedefs, %d constants; jextract %.1fs, probe %.1fs -> %s\n' \
    "$PKG" "$HEADER_ROOT" "$(ls "$OUT_DIR" | wc -l)" \
    "$(grep -c '^--include-function' "$ARGFILE")" "$(grep -cE '^--include-(struct|union|typedef)' "$ARGFILE")" \
    "$(grep -c '^--include-constant' "$ARGFILE")" \
    "$(awk "BEGIN{print $gen_end - $start}")" "$(awk "BEGIN{print $end - $gen_end}")" "${PROBE#$ROOT_DIR/}"
