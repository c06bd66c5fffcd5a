# SPDX-License-Identifier: Apache-2.0
# Sourced, not run. Debian packages of another suite (e.g. Debian 13 "trixie" on a Debian 12 host) through a PRIVATE
# apt index, unpacked with dpkg-deb -x and never installed: the system's apt configuration, dpkg database and
# libraries stay as they are. Used by native-headers/fetch-headers.sh (headers + libraries for the bindings) and
# integration-tests/provision/xen420-dom0.sh (the Bochs harness's Xen 4.20 dom0). Needs apt-get, apt-cache and
# dpkg-deb, the Debian archive keyring with the suite's keys (Debian 12's has trixie's) and the Debian archive the
# system's own apt sources name. Run as root on CI (apt then downloads unsandboxed).

# private_apt_unpacked DIR PACKAGES...: true when DIR/root already holds exactly this package list (the cache hit).
private_apt_unpacked() {
    local dir=$1; shift
    [ -d "$dir/root" ] && [ "$(head -n1 "$dir/unpacked" 2>/dev/null)" = "$*" ]
}

# private_apt_index DIR SUITE: a fresh index in DIR/apt — the system's first Debian "deb" source with the suite
# replaced, its own lists and cache — and PRIVATE_APT, the apt-get/apt-cache options that use it.
private_apt_index() {
    local dir=$1 suite=$2 a=$1/apt uri
    PRIVATE_APT=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$a/sources.list.d"
                 -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o Dir::Cache::pkgcache=
                 -o Dir::Cache::srcpkgcache= -o Dir::State::status=/dev/null -o Debug::NoLocking=1
                 -o APT::Sandbox::User=root -qq)
    rm -rf "$a"; mkdir -p "$a/sources.list.d" "$a/lists/partial" "$a/cache/archives/partial"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        # deb822: first stanza of Types: deb whose URIs end in /debian (not debian-security)
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             { deb = arch = 0; n = split($0, line, "\n")
               for (i = 1; i <= n; i++) {
                   if (line[i] ~ /^Types:/ && line[i] ~ /[ \t]deb([ \t]|$)/) deb = 1
                   if (line[i] ~ /^URIs:/ && line[i] ~ /\/debian\/?([ \t]|$)/) arch = 1 } }
             deb && arch && !done { print; done = 1 }' \
            /etc/apt/sources.list.d/debian.sources \
            | sed -e '/^#/d' -e "s/^Suites: .*/Suites: $suite/" > "$a/sources.list.d/$suite.sources"
    fi
    if [ ! -s "$a/sources.list.d/$suite.sources" ]; then
        # one-line format: the first "deb URI bookworm main..." line
        rm -f "$a/sources.list.d/$suite.sources"
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
              | awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /\/debian\/?$/ { print $2; exit }')
        [ -n "$uri" ] || { echo "private-apt: no Debian archive in /etc/apt/sources.list{,.d}: cannot build a $suite index" >&2; return 1; }
        echo "deb $uri $suite main" > "$a/sources.list.d/$suite.list"
    fi
    apt-get "${PRIVATE_APT[@]}" update >&2 \
        || { echo "private-apt: apt-get update of the $suite index failed (sources: $a/sources.list.d)" >&2; return 1; }
}

# private_apt_unpack DIR KEY PACKAGES...: downloads PACKAGES through the index of private_apt_index, unpacks them
# into a fresh DIR/root and records KEY (what private_apt_unpacked compares) and the .deb files in DIR/unpacked. The
# .deb files are deleted afterwards: the unpacked tree is what callers use.
private_apt_unpack() {
    local dir=$1 key=$2 deb; shift 2
    rm -rf "$dir/root" "$dir/debs" "$dir/unpacked"; mkdir -p "$dir/root" "$dir/debs"
    (cd "$dir/debs" && apt-get "${PRIVATE_APT[@]}" download "$@" >&2) \
        || { echo "private-apt: apt-get download $* failed" >&2; return 1; }
    for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root" || return 1; done
    { echo "$key"; (cd "$dir/debs" && ls *.deb); } > "$dir/unpacked"
    rm -rf "$dir/debs"
}
