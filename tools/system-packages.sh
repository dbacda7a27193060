#!/usr/bin/env bash
# Installs the Debian packages the tests need (the browser tests' chromium and the Urdu fonts they
# render with; PostgreSQL, which the test of `studio start --database` starts itself in a
# temporary directory; nginx, the annotators' door the tests put in front of Label Studio) when
# they are missing. As root it runs apt-get; otherwise it stops at once and
# prints the exact command to run. Called by `make test`; safe to run again (it checks first).
set -euo pipefail

PACKAGES=(chromium fonts-noto-core postgresql nginx)

installed() {
    # Any of Debian's nginx flavours will do (each has auth_request and sub_filter built in).
    if [ "$1" = nginx ]; then
        [ -x /usr/sbin/nginx ] && return 0
    fi
    # dpkg's own record; no `fc-list | grep -q` (with pipefail, grep's early exit fails the pipe).
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need Debian packages that are missing: ${missing[*]}" >&2
    echo "Install them, then run make test again:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${PACKAGES[*]}" >&2
    exit 1
fi

echo "installing Debian packages the tests need: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
