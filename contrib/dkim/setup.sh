#!/bin/sh
# The key and the tables of contrib/dkim (README step 1); run as root.
set -e
here=$(dirname "$0")
install -d -o root -g opendkim -m 0750 /etc/opendkim
install -d -o opendkim -g opendkim -m 0700 /etc/opendkim/keys/lists.example.org
opendkim-genkey -b 2048 -h sha256 -r -d lists.example.org -s postino -D /etc/opendkim/keys/lists.example.org
chown opendkim:opendkim /etc/opendkim/keys/lists.example.org/postino.private
chmod 0600 /etc/opendkim/keys/lists.example.org/postino.private
install -m 0644 "$here/key.table" "$here/signing.table" /etc/opendkim/
