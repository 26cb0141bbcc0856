#!/bin/sh
# update-table.sh — write OpenSMTPD's table of list addresses from
# postino's lists, then have a running smtpd reload it.  Run it after
# `postino list create|rm` (or from cron).
#
# Usage: update-table.sh [TABLE_FILE [POSTINO_CONF]]
#   defaults: /etc/smtpd/postino-lists, /etc/postino/postino.conf
# Each list LIST@DOMAIN gives LIST@DOMAIN, LIST-request@DOMAIN and
# LIST-owner@DOMAIN.  The file is replaced atomically.
set -eu

table=${1:-/etc/smtpd/postino-lists}
conf=${2:-/etc/postino/postino.conf}
postino=${POSTINO:-postino}
trap 'rm -f "$table.tmp" "$table.new"' EXIT

# A failing postino leaves the old table: an empty one would refuse
# every list.
"$postino" -c "$conf" list ls >"$table.tmp"
awk '{ n = index($1, "@"); l = substr($1, 1, n - 1);
	       d = substr($1, n + 1);
	       print $1; print l "-request@" d; print l "-owner@" d }' \
	"$table.tmp" >"$table.new"
mv "$table.new" "$table"
if [ -z "${NO_RELOAD:-}" ] && command -v smtpctl >/dev/null 2>&1; then
	smtpctl update table postino_lists
fi
