#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds xenffm (mvn package, tests skipped: CI runs them) and stages what a dom0 needs to run the scenario suite:
#   $1/lib/*.jar  = the library, the bindings, the CLI, their runtime dependencies, xenffm-it.jar (integration-tests classes)
# Prints the staging directory (default $REPO/build/dom0-java).
set -euo pipefail
. "$(dirname "$0")/common.sh"
out=${1:-$REPO_DIR/build/dom0-java}
JAVA_HOME=$(find_jdk25) || { echo "no JDK 25 (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
cd "$REPO_DIR"
rm -rf "$out"; mkdir -p "$out/lib"
# one reactor run: the jars, then each module's runtime class path (library, bindings, picocli, slf4j) copied beside
mvn -B -ntp -q -DskipTests package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib" >&2
cp cli/target/xenffm-cli-*.jar "$out/lib/"
rm -f "$out"/lib/*-sources.jar "$out"/lib/*-tests.jar "$out"/lib/*-javadoc.jar
jar --create --file "$out/lib/xenffm-it.jar" -C integration-tests/target/test-classes org/xenffm/it
echo "$out"
