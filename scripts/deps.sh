#!/bin/sh
# deps.sh — make sure the Debian packages postino needs are installed.
#
# Usage: scripts/deps.sh build|check|bench
#   build  what `make` and `make run` need
#   check  what `make check` needs (adds cmocka and the real mail peers)
#   bench  what `make bench` needs
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and the script fails.
set -eu

build="gcc make pkg-config libetpan-dev libsqlite3-dev libsodium-dev libidn2-dev libmicrohttpd-dev libc-ares-dev libpsl-dev libpq-dev publicsuffix"
# mandoc lints the man pages; the Exim and OpenSMTPD that scripts/mta.sh
# unpacks (not installed: they conflict with postfix) need the libraries
# of mtalibs, and libnss-wrapper gives them their users.
mtalibs="libidn12 libgnutls-dane0 libevent-2.1-7 libnss-wrapper"
check="$build clang libcmocka-dev postfix swaks adduser python3 sqlite3 libclang-rt-14-dev chromium mandoc opendkim opendkim-tools python3-dkim procmail dnsmasq-base postgresql $mtalibs"
bench="$build postfix"

case "${1:-build}" in
build) want=$build ;;
check) want=$check ;;
bench) want=$bench ;;
*) echo "usage: $0 build|check|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "postino needs these Debian packages; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

# Say what comes and why before apt-get starts: some of it is large.
why() {
	case $1 in
	gcc|make|pkg-config) echo "to build postino" ;;
	lib*-dev) echo "headers of a library postino links" ;;
	clang|libclang-rt-14-dev) echo "the ASan/UBSan build of make check" ;;
	postfix) echo "smtp-sink, smtp-source and a private Postfix for the" \
	    "tests (no system MTA is configured or started)" ;;
	publicsuffix) echo "the Public Suffix List DMARC lookups read" ;;
	dnsmasq-base) echo "the DNS server of the DMARC tests" ;;
	swaks) echo "sends test mail" ;;
	python3) echo "runs the integration tests" ;;
	sqlite3) echo "the tests read the database with it" ;;
	opendkim|opendkim-tools) echo "the DKIM milter of contrib/dkim," \
	    "run by a test with its own configuration" ;;
	python3-dkim) echo "verifies the DKIM signature in a test" ;;
	procmail) echo "formail splits a plain digest in a test" ;;
	postgresql) echo "initdb and pg_ctl for the private PostgreSQL cluster" \
	    "the tests start in a temporary directory (the system cluster" \
	    "is neither started nor kept)" ;;
	chromium) echo "renders the HTML archive headless in a test" \
	    "(about 350 MB)" ;;
	*) echo "needed by the tests" ;;
	esac
}
echo "deps: installing these Debian packages:" >&2
for p in $missing; do
	echo "  $p: $(why "$p")" >&2
done
# postfix asks how to configure the MTA; we only want its tools, not a
# running mail server.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update" >&2
apt-get update -q || true
echo "deps: apt-get install -y --no-install-recommends$missing" >&2
# postgresql's package creates and starts a system cluster: the tests
# only want its programs.  policy-rc.d keeps it from starting, and a
# cluster this install created is removed afterwards.
case " $missing " in
*" postgresql "*) pg=1 ;;
*) pg=0 ;;
esac
rcd=0
if [ "$pg" = 1 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	rcd=1
fi
had=$(pg_lsclusters -h 2>/dev/null | awk '{print $1 "/" $2}' |
    tr '\n' ' ' || true)
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends -o Dpkg::Progress-Fancy=0 \
	$missing || { [ "$rcd" = 0 ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
if [ "$rcd" = 1 ]; then
	rm -f /usr/sbin/policy-rc.d
fi
if [ "$pg" = 1 ]; then
	pg_lsclusters -h 2>/dev/null | while read -r ver name _; do
		case " $had " in
		*" $ver/$name "*) ;;
		*) echo "deps: removing the cluster $ver/$name the" \
		    "postgresql package created" >&2
		   pg_dropcluster --stop "$ver" "$name" ;;
		esac
	done
fi
exit 0
