#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Vagrant VM only: a JDK 25 (Temurin, from the Adoptium apt repository) unless one is already there.
set -euo pipefail
. "$(dirname "$0")/common.sh"; need_root
find_jdk25 > /dev/null && { plog "JDK 25 present: $(find_jdk25)"; exit 0; }
apt-get install -y -qq wget gpg apt-transport-https > /dev/null
wget -qO - https://packages.adoptium.net/artifactory/api/gpg/key/public | gpg --dearmor > /usr/share/keyrings/adoptium.gpg
echo "deb [signed-by=/usr/share/keyrings/adoptium.gpg] https://packages.adoptium.net/artifactory/deb $(. /etc/os-release; echo "$VERSION_CODENAME") main" \
    > /etc/apt/sources.list.d/adoptium.list
apt-get update -qq && apt-get install -y -qq temurin-25-jdk > /dev/null
plog "installed $(find_jdk25)"
