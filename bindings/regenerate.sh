#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates the jextract bindings for one Xen header set, and the gcc layout probe that checks them.
#
#   bindings/regenerate.sh [HEADER_ROOT] [XEN_VERSION]
#     HEADER_ROOT  directory holding xenctrl.h, xen/*.h ...   (default /usr/include, i.e. libxen-dev)
#     XEN_VERSION  tag of that header set, e.g. 4.17 or 4.20   (default 4.17)
#
# Writes package org.xenffm.bindings.xen<NNN> (NNN = version without dots) to
# bindings/src/main/java/org/xenffm/bindings/xen<NNN>/ and native-headers/probe_xen<NNN>.c, and, when two or more
# versions are bound, bindings/DIFF-<oldest>-<newest>.md (what differs between them).
# Filters: bindings/xen.args (names every version has) plus bindings/xen<NNN>.args (names only that version has).
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
COMMON_ARGS=$ROOT_DIR/bindings/xen.args
ARGFILE=$ROOT_DIR/bindings/xen$NUM.args
UMBRELLA=$ROOT_DIR/native-headers/xenffm.h
PROBE=$ROOT_DIR/native-headers/probe_xen$NUM.c

die() { echo "regenerate.sh: $*" >&2; exit 1; }

JEXTRACT=${JEXTRACT:-$(command -v jextract || true)}
[ -n "$JEXTRACT" ] && [ -x "$JEXTRACT" ] || die "jextract not found: set JEXTRACT=/path/to/bin/jextract or put it on PATH"
JAVA_BIN=${JAVA_HOME:+$JAVA_HOME/bin/}
[ -e "$HEADER_ROOT/xenctrl.h" ] || die "$HEADER_ROOT/xenctrl.h not found (install libxen-dev, or pass the root printed by native-headers/fetch-headers.sh $XEN_VERSION)"
[ -f "$ARGFILE" ] || die "$ARGFILE missing: create it (names only Xen $XEN_VERSION has, may be empty)"
[ "$HEADER_ROOT" = /usr/include ] || echo "regenerate.sh: note: libc headers still come from the system include path" >&2

start=$(date +%s.%N)
rm -rf "$OUT_DIR"
mkdir -p "$OUT_BASE"
# -I HEADER_ROOT first, so another Xen header set wins over /usr/include for <xenctrl.h>, <xen/...>
"$JEXTRACT" -I "$HEADER_ROOT" \
    --target-package "$PKG" --header-class-name Xen --output "$OUT_BASE" \
    "@$COMMON_ARGS" "@$ARGFILE" "$UMBRELLA" 2> >(grep -v 'warning: Skipping' >&2)

# One mechanical post-step (the only change to jextract's output): C_POINTER is declared without a target layout.
# AddressLayout.withTargetLayout is a restricted method, and Xen$shared runs it in its static initialiser, which
# every struct layout and constant touches: with it, code that only reads layouts (the emulator, the ring consumer)
# would need native access and fail under --illegal-native-access=deny. xenffm never dereferences a pointer through
# C_POINTER's target: the FFM backend reinterprets every returned pointer with a size it knows.
SHARED="$OUT_DIR/Xen\$shared.java"
perl -0pi -e 's/\(\(AddressLayout\) (Linker\.nativeLinker\(\)\.canonicalLayouts\(\)\.get\("void\*"\))\)\s*\.withTargetLayout\(MemoryLayout\.sequenceLayout\(java\.lang\.Long\.MAX_VALUE, C_CHAR\)\);/(AddressLayout) $1;/' "$SHARED"
! grep -q withTargetLayout "$SHARED" || die "the C_POINTER post-step no longer matches jextract's output in $SHARED: update it"

# jextract exits 0 when a filtered name does not exist (e.g. vm_event_st without __XEN_TOOLS__):
# insist that every name in the argfile produced something.
missing=()
while read -r opt name; do
    case "$opt" in
        --include-function) grep -qs -- "$name\$descriptor()" "$OUT_DIR"/Xen*.java || missing+=("function $name") ;;
        --include-constant) grep -qsE -- "public static [A-Za-z]+ $name\(\)" "$OUT_DIR"/Xen*.java || missing+=("constant $name") ;;
        --include-struct|--include-union|--include-typedef) [ -f "$OUT_DIR/$name.java" ] || missing+=("${opt#--include-} $name") ;;
    esac
done < <(sed -e 's/#.*//' "$COMMON_ARGS" "$ARGFILE")
[ ${#missing[@]} -eq 0 ] || die "jextract produced nothing for: ${missing[*]}
(fix $COMMON_ARGS, $ARGFILE or $UMBRELLA: a name only some versions have belongs in their xen<NNN>.args)"
gen_end=$(date +%s.%N)

# The gcc probe is generated from the bindings just written, so it cannot drift from them.
CLASSES=$(mktemp -d)
trap 'rm -rf "$CLASSES"' EXIT
PKG_DIRS=$(cd "$OUT_BASE/org/xenffm/bindings" && ls -d xen[0-9]* | sort)
"${JAVA_BIN}javac" --release 25 -nowarn -d "$CLASSES" $(for p in $PKG_DIRS; do echo "$OUT_BASE/org/xenffm/bindings/$p"/*.java; done)
"${JAVA_BIN}java" --enable-native-access=ALL-UNNAMED -cp "$CLASSES" \
    "$ROOT_DIR/src/test/java/org/xenffm/bindings/ProbeGenerator.java" "$PKG" "$CLASSES/${PKG//.//}" > "$PROBE.tmp"
mv "$PROBE.tmp" "$PROBE"
# With two or more versions bound: the report of what differs between the oldest and the newest.
set -- $PKG_DIRS
if [ $# -ge 2 ]; then
    ver() { local d=${1#xen}; echo "${d:0:1}.${d:1}"; }
    DIFF=$ROOT_DIR/bindings/DIFF-$(ver "$1")-$(ver "${!#}").md
    "${JAVA_BIN}java" --enable-native-access=ALL-UNNAMED -cp "$CLASSES" \
        "$ROOT_DIR/src/test/java/org/xenffm/bindings/VersionDiff.java" "$1" "${!#}" "$ROOT_DIR" > "$DIFF.tmp"
    mv "$DIFF.tmp" "$DIFF"
fi
end=$(date +%s.%N)

printf 'regenerate.sh: %s from %s: %d files, %d functions, %d structs/unions/typedefs, %d constants; jextract %.1fs, probe+report %.1fs -> %s\n' \
    "$PKG" "$HEADER_ROOT" "$(ls "$OUT_DIR" | wc -l)" \
    "$(cat "$COMMON_ARGS" "$ARGFILE" | grep -c '^--include-function')" \
    "$(cat "$COMMON_ARGS" "$ARGFILE" | grep -cE '^--include-(struct|union|typedef)')" \
    "$(cat "$COMMON_ARGS" "$ARGFILE" | grep -c '^--include-constant')" \
    "$(awk "BEGIN{print $gen_end - $start}")" "$(awk "BEGIN{print $end - $gen_end}")" "${PROBE#$ROOT_DIR/}"
