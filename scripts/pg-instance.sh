#!/bin/sh
# pg-instance.sh — a private PostgreSQL cluster for tests, on a unix
# socket in DIR (no TCP), run as nobody when started by root.
#
# Usage: scripts/pg-instance.sh start DIR      (prints the URI of "postgres")
#        scripts/pg-instance.sh createdb DIR NAME  (prints its URI)
#        scripts/pg-instance.sh stop DIR       (stops by PID, removes DIR)
# Exit 3 from start: initdb is missing (Debian package postgresql).
# One implementation with the integration harness: this runs
# tests/integration/pg_instance.py.
exec python3 "$(dirname "$0")/../tests/integration/pg_instance.py" "$@"
