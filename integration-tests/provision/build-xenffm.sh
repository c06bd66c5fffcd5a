#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds xenffm's dom0 package (mvn package, tests skipped: CI runs them; then dist/build, which reuses its last
# output while the CLI jar's contents are unchanged) and stages what a dom0 needs to run the scenario suite:
#   $1/xenffm.deb  the Debian package users install (its runtime, launcher, jar and AOT cache go into the dom0)
#   $1/lib/*.jar   the package's xenffm.jar (library, bindings, CLI) and xenffm-it.jar (integration-tests classes),
#                  for the scenario suite in dom0 and its emulator half on this machine
# Prints the staging directory (default $REPO/build/dom0-java).
set -euo pipefail
. "$(dirname "$0")/common.sh"
out=${1:-$REPO_DIR/build/dom0-java}
JAVA_HOME=$(find_jdk25) || { echo "no JDK 25 (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
cd "$REPO_DIR"
mvn -B -ntp -q -DskipTests package >&2
deb=$(dist/build cli/target/xenffm.jar | grep '\.deb$')
rm -rf "$out"; mkdir -p "$out/lib"
cp "$deb" "$out/xenffm.deb"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/xenffm/lib/xenffm.jar > "$out/lib/xenffm.jar"
jar --create --file "$out/lib/xenffm-it.jar" -C integration-tests/target/test-classes org/xenffm/it
echo "$out"
