#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bochs harness: a jlink'ed Java 25 runtime for the busybox dom0 (java.base is all FFM needs; slf4j-simple and
# picocli need nothing more), with its default CDS archive (-Xshare:dump) so JVM start-up under Bochs stays ~1 s.
# Cached in $XENFFM_CACHE/jre-<jdk version>; prints its path.
set -euo pipefail
. "$(dirname "$0")/common.sh"
JDK=$(find_jdk25) || { echo "no JDK 25 (set JAVA_HOME)" >&2; exit 1; }
ver=$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
out="$XENFFM_CACHE/jre-$ver"
if [ ! -x "$out/bin/java" ]; then
    rm -rf "$out.tmp"
    "$JDK/bin/jlink" --add-modules java.base --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
        --output "$out.tmp"
    "$out.tmp/bin/java" -Xshare:dump > /dev/null 2>&1
    mv "$out.tmp" "$out"; plog "jlinked $out ($(du -sh "$out" | cut -f1))"
fi
echo "$out"
