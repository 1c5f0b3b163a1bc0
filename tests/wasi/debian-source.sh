# Sourced by the build scripts that compile Debian source packages to WebAssembly
# (tests/wasi/lua/build.sh, benches/programs/build.sh).
#
# fetch_debian_source PACKAGE...: downloads the source packages into the current directory
# with a private source list, leaving the system's apt configuration untouched. The mirror
# and release are the ones this machine's apt already uses (its deb822 `.sources` files or
# `sources.list`), so no address is written here.

debian_mirror() {
    local f line uri suite
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        uri=$(awk '/^URIs:/ { print $2; exit }' "$f")
        suite=$(awk '/^Suites:/ { print $2; exit }' "$f")
        if [ -n "$uri" ] && [ -n "$suite" ]; then
            echo "$uri $suite"
            return 0
        fi
    done
    if [ -r /etc/apt/sources.list ]; then
        line=$(grep -E '^deb[[:space:]]' /etc/apt/sources.list | grep -v -- '-security' | head -n1)
        if [ -n "$line" ]; then
            echo "$line" | awk '{ print $2, $3 }'
            return 0
        fi
    fi
    echo "no Debian mirror found in this machine's apt configuration" >&2
    return 1
}

fetch_debian_source() {
    local mirror
    mirror=$(debian_mirror)
    echo "deb-src ${mirror% *} ${mirror#* } main" > src.list
    mkdir -p lists/partial
    local apt_opts=(-q -o Dir::Etc::SourceList="$PWD/src.list" -o Dir::Etc::SourceParts=/nonexistent
                    -o Dir::State::Lists="$PWD/lists")
    apt-get "${apt_opts[@]}" update >/dev/null 2>&1
    apt-get "${apt_opts[@]}" source --download-only "$@" >/dev/null 2>&1
}
