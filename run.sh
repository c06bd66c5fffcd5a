#!/usr/bin/env bash
# xenffm's one entry point on a Debian 12 machine:
#   ./run.sh demo    build, then run xenffm's main job (see README)
#   ./run.sh test    build and run the whole test suite (what CI runs)
#   ./run.sh deps    only check/install what the build needs
# It finds a JDK 25 (JAVA_HOME, /usr/lib/jvm/*, or `java` on PATH) and installs the Debian packages it needs
# (maven, gcc, libxen-dev) when run as root; otherwise it names exactly what is missing. `test` also fetches Debian
# 13's Xen 4.20 headers into build/xen420 (native-headers/fetch-headers.sh; nothing is installed).
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "run.sh: $*" >&2; exit 2; }

java_major() { # prints the feature version of the given java binary, or nothing
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}

find_jdk25() {
    local cand
    for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /opt/*jdk*25* \
                "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
        [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
        local v; v=$(java_major "$cand/bin/java")
        if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$cand"; return 0; fi
    done
    return 1
}

ensure_deps() {
    local missing=()
    command -v mvn >/dev/null || missing+=(maven)
    command -v gcc >/dev/null || missing+=(gcc)
    [ -e /usr/include/xenctrl.h ] && [ -e /usr/lib/x86_64-linux-gnu/libxenctrl.so.4.17 ] || missing+=(libxen-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "run.sh: installing ${missing[*]}" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            die "missing Debian packages: ${missing[*]} — run: sudo apt-get install ${missing[*]}"
        fi
    fi
    JAVA_HOME=$(find_jdk25) || die "no JDK 25 found (looked at \$JAVA_HOME, /usr/lib/jvm/*25*, and java on PATH).
Install one, e.g. Temurin 25 (apt: temurin-25-jdk from the Adoptium repository) or an OpenJDK 25 tarball,
then rerun with JAVA_HOME=/path/to/jdk-25 ./run.sh $*"
    export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
}

cmd=${1:-demo}; shift || true
case "$cmd" in
    deps) ensure_deps; echo "JDK 25: $JAVA_HOME; maven, gcc and libxen-dev present" ;;
    test)
        ensure_deps
        # the Xen 4.20 headers (Debian 13, unpacked under build/, never installed): every build checks both versions
        XEN420_HEADERS=$(native-headers/fetch-headers.sh 4.20) || die "could not fetch the Xen 4.20 headers (see above)"
        exec mvn -B -ntp verify -Dxenffm.headers.xen420="$XEN420_HEADERS" "$@" ;;
    demo)
        ensure_deps
        mvn -B -ntp -q -DskipTests package
        exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar target/xenffm.jar "${@:-info}" ;;
    *) die "usage: ./run.sh demo|test|deps" ;;
esac
