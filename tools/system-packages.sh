#!/usr/bin/env bash
# Installs the Debian packages the tests need (the browser test's chromium and the Urdu fonts it
# renders with) when they are missing. As root it runs apt-get; otherwise it stops at once and
# prints the exact command to run. Called by `make test`; safe to run again (it checks first).
set -euo pipefail

PACKAGES=(chromium fonts-noto-core)

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! fc-list 2>/dev/null | grep -qi "Noto Nastaliq Urdu"; then
    missing+=(fonts-noto-core)
fi
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
apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
