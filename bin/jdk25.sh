# SPDX-License-Identifier: Apache-2.0
# Sourced by run.sh and bin/xenffm: finds a JDK 25 (the one place this logic lives).
# find_jdk25 prints the JDK's home: $JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-amd64, /usr/lib/jvm/*25*, /opt/*jdk*25*,
# or the JDK behind `java` on PATH — the first whose java reports version 25 or newer. Returns 1 if none.

java_major() { # prints the feature version of the given java binary, or nothing
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}

find_jdk25() {
    local cand v
    for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /opt/*jdk*25* \
                "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
        [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
        v=$(java_major "$cand/bin/java")
        if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$cand"; return 0; fi
    done
    return 1
}

JDK25_MISSING_HELP="no JDK 25 found (looked at \$JAVA_HOME, /usr/lib/jvm/*25*, /opt/*jdk*25* and java on PATH).
Install one, e.g. Temurin 25 (apt: temurin-25-jdk from the Adoptium repository) or an OpenJDK 25 tarball,
then rerun with JAVA_HOME=/path/to/jdk-25"
