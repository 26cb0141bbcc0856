#!/bin/sh
# run.sh — `make run`: start `postino serve` on its embedded defaults.
#
# Usage: scripts/run.sh BINARY
# postino refuses to run as root without an account to drop to, so as
# root this does what a package's installation would: it creates the
# system account `postino` if it is missing, gives it var/ (the database,
# key and outbox of the embedded defaults), and starts postino with
# `-o user=postino`.  As any other user postino simply runs as that user.
set -eu
bin=$1

if [ "$(id -u)" != 0 ]; then
	exec "$bin" serve
fi
if ! id postino >/dev/null 2>&1; then
	echo "run: creating the system account 'postino'; started as root," \
	    "postino runs as it after binding its ports" >&2
	useradd --system --user-group --home-dir /nonexistent \
	    --no-create-home --shell /usr/sbin/nologin postino
fi
mkdir -p var
chown -R postino:postino var
chmod 0750 var
if ! runuser -u postino -- test -w var -a -r templates/en/footer.txt; then
	echo "run: the account 'postino' cannot reach $(pwd)/var and" \
	    "templates/: a directory above this checkout is closed to other" \
	    "users (/root is 0700 on Debian).  Clone postino under a" \
	    "directory others may enter, or run 'make run' as an ordinary" \
	    "user." >&2
	exit 1
fi
exec "$bin" -o user=postino serve
