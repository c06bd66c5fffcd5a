#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# xenffm's one entry point on a Debian 12 machine:
#   ./run.sh demo    build, then run xenffm's main job, `xenffm demo` (see README);
#                    ./run.sh demo VERB ARGS… runs `xenffm VERB ARGS…` instead, e.g. ./run.sh demo info
#   ./run.sh test    build and run the whole test suite, install the artifacts, build examples/ (what CI runs)
#   ./run.sh bench   build the JMH benchmarks and print README's performance table (medians with spread, the
#                    machine, JDK, gcc and load; a few minutes; see docs/performance.md);
#                    ./run.sh bench asm: the C2 code of the ring consumer's drain loop (as the paired ring
#                    benchmark runs it) into target/bench/drain.asm, through a capstone hsdis built here
#   ./run.sh dist    build the dom0 install that needs no JDK: build/dist/xenffm-VERSION-linux-x64.tar.gz and
#                    build/dist/xenffm_VERSION_amd64.deb (dist/build; docs/install.md); as root, add --check to
#                    install the .deb into a clean Debian 12 root and run it there (dist/check-deb)
#   ./run.sh deps    only check/install what the build needs
# It finds a JDK 25 (JAVA_HOME, /usr/lib/jvm/*, or `java` on PATH) and installs the Debian packages it needs
# (maven, gcc, libxen-dev) when run as root; otherwise it names exactly what is missing. `test` also fetches Debian
# 13's Xen 4.20 headers into build/xen420 (native-headers/fetch-headers.sh; nothing is installed).
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "run.sh: $*" >&2; exit 2; }

. bin/jdk25.sh # find_jdk25, shared with bin/xenffm

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
    JAVA_HOME=$(find_jdk25) || die "$JDK25_MISSING_HELP ./run.sh $*"
    export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
    # Debian's Maven 3.8 bundles a Guava that JDK 25 warns about on every start (sun.misc.Unsafe); not ours to fix
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}

cmd=${1:-demo}; shift || true
case "$cmd" in
    deps) ensure_deps; echo "JDK 25: $JAVA_HOME; maven, gcc and libxen-dev present" ;;
    test)
        ensure_deps
        # the Xen 4.20 headers (Debian 13, unpacked under build/, never installed): every build checks both versions
        XEN420_HEADERS=$(native-headers/fetch-headers.sh 4.20) || die "could not fetch the Xen 4.20 headers (see above)"
        # install: examples/ is a separate consumer project that takes org.xenffm:xenffm from the local repository
        mvn -B -ntp install -Dxenffm.headers.xen420="$XEN420_HEADERS" "$@"
        echo "run.sh: the consumer project examples/ against the installed library (emulator, native access denied)"
        exec mvn -B -ntp -f examples/pom.xml verify ;;
    demo)
        ensure_deps
        mkdir -p build
        mvn -B -ntp -q -DskipTests package > build/demo-build.log 2>&1 || { cat build/demo-build.log >&2; die "build failed"; }
        # the jar's manifest enables native access (Enable-Native-Access: ALL-UNNAMED): no JVM flag needed
        exec "$JAVA_HOME/bin/java" -jar cli/target/xenffm.jar "${@:-demo}" ;;
    bench)
        ensure_deps
        mkdir -p build target
        mvn -B -ntp -q -Pjmh -pl src -am -DskipTests test-compile dependency:build-classpath \
            -Dmdep.outputFile="$PWD/target/bench.classpath" -Dmdep.includeScope=test > build/bench-build.log 2>&1 \
            || { cat build/bench-build.log >&2; die "benchmark build failed"; }
        cp="src/target/test-classes:src/target/classes:$(cat target/bench.classpath)"
        if [ "${1:-}" = asm ]; then
            [ -e /usr/include/capstone/capstone.h ] || { [ "$(id -u)" = 0 ] && apt-get install -y -qq libcapstone-dev >/dev/null; } \
                || die "missing Debian package libcapstone-dev — run: sudo apt-get install libcapstone-dev"
            mkdir -p target/hsdis target/bench
            gcc -O2 -shared -fPIC -o target/hsdis/hsdis-amd64.so src/jmh/c/hsdis.c -lcapstone
            LD_LIBRARY_PATH="$PWD/target/hsdis" "$JAVA_HOME/bin/java" -Djmh.ignoreLock=true --enable-native-access=ALL-UNNAMED -cp "$cp" \
                org.openjdk.jmh.Main 'VmEventRingBench.paired' -f 1 -wi 3 -i 2 -jvmArgsAppend \
                "-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,org.xenffm.vmevent.VmEventRing::drain -XX:CompileCommand=print,org.xenffm.vmevent.SessionDispatch::drain" \
                > target/bench/drain.asm
            echo "run.sh: target/bench/drain.asm; each drain loop's last C2 compilation: its size and its calls out of line"
            awk '/^Compiled method \(c2\).*::drain \(/ { c = NR } /# \{method\}.* .drain. / { if (c) m[$5 " in " $7] = c; c = 0 }
                 { l[NR] = $0 } END { for (k in m) { print k
                     for (i = m[k]; i <= NR && (i == m[k] || l[i] !~ /^Compiled method/); i++) {
                         if (l[i] ~ /main code/) print l[i]
                         if (l[i] ~ /;\*invoke/) { site = l[i + 1]; sub(/^ *; - /, "", site) }
                         if (l[i] ~ /\{(optimized )?virtual_call\}/) print "  a call at " site } } }' target/bench/drain.asm
            exit 0
        fi
        exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.xenffm.BenchTable ;;
    dist)
        ensure_deps
        mkdir -p build
        mvn -B -ntp -q -DskipTests package > build/dist-build.log 2>&1 || { cat build/dist-build.log >&2; die "build failed"; }
        out=$(dist/build cli/target/xenffm.jar)
        echo "$out"
        if [ "${1:-}" = --check ]; then dist/check-deb "$(echo "$out" | grep '\.deb$')"; fi ;;
    *) die "usage: ./run.sh demo|test|bench|dist|deps" ;;
esac
