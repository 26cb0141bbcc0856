#!/bin/sh
# setup.sh — the postino account and directories on Debian 12, as root.
# Safe to run again.  tests/integration/test_postfix.py runs this file.
set -eu

# postino runs as its own system user with its OWN primary group: pipe(8)
# refuses a user= whose group is the mail system's (postfix).
getent passwd postino >/dev/null || adduser --system --group --home /var/lib/postino --no-create-home postino

# The database, its key and spool: private to postino.
install -d -o postino -g postino -m 0750 /var/lib/postino

# The sockets Postfix talks to, inside Postfix's queue directory so that
# its chrooted lmtp client and smtpd reach them as postino/lmtp and
# postino/socketmap.  Group postfix may enter; set-gid, so every socket
# postino creates here belongs to group postfix.
install -d -o postino -g postfix -m 2750 /var/spool/postfix/postino
