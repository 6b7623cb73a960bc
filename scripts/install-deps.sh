#!/bin/sh
# Installs the Debian packages wireaudit builds, tests and runs the lab with,
# skipping those already present. Needs root (or sudo) only when something is missing.
set -eu

PACKAGES="build-essential pkg-config libpcap-dev libndpi-dev libyaml-dev libcmocka-dev
libjansson-dev libevtx-dev libevtx-utils libxml2-dev libpcre2-dev tshark
samba smbclient python3-impacket tcpdump ethtool iproute2 chromium"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: missing packages:$missing; run as root or install them" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Preseed wireshark-common's debconf question (may non-root users capture?) with no, so the install never prompts.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
if ! $SUDO apt-get update -q >/tmp/wireaudit-apt-update.log 2>&1; then
    echo "install-deps: apt-get update failed; see /tmp/wireaudit-apt-update.log" >&2
    exit 1
fi
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/tmp/wireaudit-apt-install.log 2>&1; then
    echo "install-deps: apt-get install failed for:$missing; see /tmp/wireaudit-apt-install.log" >&2
    exit 1
fi
