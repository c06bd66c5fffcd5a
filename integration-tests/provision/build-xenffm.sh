#!/bin/bash
# Builds xenffm (mvn package, tests skipped: CI runs them) and stages what a dom0 needs to run the scenario suite:
#   $1/lib/*.jar  = xenffm.jar (library + CLI), its runtime dependencies, xenffm-it.jar (integration-tests classes)
# Prints the staging directory (default $REPO/build/dom0-java).
set -euo pipefail
. "$(dirname "$0")/common.sh"
out=${1:-$REPO_DIR/build/dom0-java}
JAVA_HOME=$(find_jdk25) || { echo "no JDK 25 (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
cd "$REPO_DIR"
mvn -B -ntp -q -DskipTests package >&2
rm -rf "$out"; mkdir -p "$out/lib"
mvn -B -ntp -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib" >&2
cp target/*.jar "$out/lib/" 2>/dev/null || true
rm -f "$out"/lib/*-sources.jar "$out"/lib/*-tests.jar
jar --create --file "$out/lib/xenffm-it.jar" -C target/test-classes org/xenffm/it
echo "$out"
