#!/bin/sh
# exim.sh — a real Exim binary for the integration tests, without
# installing Debian's exim4 packages (they conflict with postfix: both
# are mail-transport-agent, and this machine keeps postfix).
#
# Usage: scripts/exim.sh [DIR]     (default build/exim)
# Downloads exim4-daemon-light, exim4-base and exim4-config with
# `apt-get download` into DIR/deb (once), unpacks them with `dpkg-deb -x`
# into DIR/root and prints the path of the exim4 binary.  The set-uid bit
# is dropped: the tests run Exim as root with a private config (-C), Exim
# then runs as its exim_user, and a set-uid re-exec would ignore the
# LD_PRELOAD (nss_wrapper) that gives it its Debian-exim user.  Exim's
# run-time libraries (libidn12) and libnss-wrapper are in deps.sh's check
# list.  Nothing outside DIR is changed; no daemon is started.
set -eu

dir=${1:-build/exim}
bin=$dir/root/usr/sbin/exim4
pkgs="exim4-daemon-light exim4-base exim4-config"

if [ ! -x "$bin" ]; then
	mkdir -p "$dir/deb"
	if ! ls "$dir"/deb/exim4-daemon-light_*.deb >/dev/null 2>&1; then
		echo "exim.sh: downloading $pkgs (about 2 MB) into $dir/deb:" \
		    "a private Exim for the Exim integration test;" \
		    "nothing is installed" >&2
		(cd "$dir/deb" && apt-get download $pkgs) >&2
	fi
	rm -rf "$dir/root.tmp"
	mkdir -p "$dir/root.tmp"
	for f in "$dir"/deb/*.deb; do
		dpkg-deb -x "$f" "$dir/root.tmp"
	done
	chmod u-s "$dir/root.tmp/usr/sbin/exim4"
	rm -rf "$dir/root"
	mv "$dir/root.tmp" "$dir/root"
fi
if ldd "$bin" | grep -q 'not found'; then
	echo "exim.sh: $bin misses libraries:" >&2
	ldd "$bin" | grep 'not found' >&2
	exit 1
fi
echo "$bin"
