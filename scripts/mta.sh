#!/bin/sh
# mta.sh — a real Exim or OpenSMTPD binary for the integration tests,
# without installing Debian's packages (they conflict with postfix: all
# are mail-transport-agent, and this machine keeps postfix).
#
# Usage: scripts/mta.sh exim|opensmtpd [DIR]     (default build/MTA)
# Downloads the packages with `apt-get download` into DIR/deb (once),
# unpacks them with `dpkg-deb -x` into DIR/root and prints the path of
# the daemon.  Set-uid bits are dropped: the tests run the daemon as root
# with a private config and give it its system users through
# nss_wrapper (LD_PRELOAD), which a set-uid re-exec would ignore.  The
# run-time libraries (libidn12 for Exim) and libnss-wrapper are in
# deps.sh's check list.  Nothing outside DIR is changed; nothing is
# started.
set -eu

case "${1:-}" in
exim)
	pkgs="exim4-daemon-light exim4-base exim4-config"
	bin=usr/sbin/exim4 ;;
opensmtpd)
	pkgs="opensmtpd"
	bin=usr/sbin/smtpd ;;
*)
	echo "usage: $0 exim|opensmtpd [DIR]" >&2
	exit 2 ;;
esac
dir=${2:-build/$1}
first=${pkgs%% *}

if [ ! -x "$dir/root/$bin" ]; then
	mkdir -p "$dir/deb"
	if ! ls "$dir/deb/${first}"_*.deb >/dev/null 2>&1; then
		echo "mta.sh: downloading $pkgs into $dir/deb: a private $1" \
		    "for its integration test; nothing is installed" >&2
		(cd "$dir/deb" && apt-get download $pkgs) >&2
	fi
	rm -rf "$dir/root.tmp"
	mkdir -p "$dir/root.tmp"
	for f in "$dir"/deb/*.deb; do
		dpkg-deb -x "$f" "$dir/root.tmp"
	done
	chmod -R u-s,g-s "$dir/root.tmp/usr"
	rm -rf "$dir/root"
	mv "$dir/root.tmp" "$dir/root"
fi
if ldd "$dir/root/$bin" | grep -q 'not found'; then
	echo "mta.sh: $dir/root/$bin misses libraries:" >&2
	ldd "$dir/root/$bin" | grep 'not found' >&2
	exit 1
fi
echo "$dir/root/$bin"
