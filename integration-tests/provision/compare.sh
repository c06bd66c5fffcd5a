#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The emulator half + the differential: runs the same scenario groups on the emulator in-process — one fresh
# emulated host per real boot, as each boot is a fresh Xen — and compares with the real-Xen report.
# usage: compare.sh <staged dom0-java dir> <xen.tsv> "<groups of boot 1> <groups of boot 2> ..." <out dir>
#                   [<Xen release, 4.17> [<CONFIG_MEM_SHARING: yes|no, yes>]]   (the emulated host is that Xen)
# ONLY=name,... (environment): only those scenarios, as the boots ran them. Exit 1 on any disagreement or failing
# scenario.
set -euo pipefail
. "$(dirname "$0")/common.sh"
lib=$1/lib; xen=$2; boots=$3; out=$4; release=${5:-4.17}; memshr=${6:-yes}
JAVA_HOME=$(find_jdk25) || { echo "no JDK 25" >&2; exit 1; }
CP=$(ls "$lib"/*.jar | tr '\n' ':')
: > "$out/emulator.tsv"; n=0
for groups in $boots; do
    n=$((n + 1))
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" org.xenffm.it.ScenarioMain --backend=emulated \
        --groups="$groups" ${ONLY:+--only="$ONLY"} --xen="$release" --mem-sharing="$memshr" --report="$out/emulator-$n.tsv" --quiet || true   # failures show up in the table
    cat "$out/emulator-$n.tsv" >> "$out/emulator.tsv"
done
rc=0; "$JAVA_HOME/bin/java" -cp "$CP" org.xenffm.it.DiffReport "$out/emulator.tsv" "$xen" "$out/differential.md" || rc=$?
cat "$out/differential.md"
exit $rc
