#!/usr/bin/env python3
"""pg_instance.py - a throwaway, private PostgreSQL cluster for tests.

Everything lives in one temporary directory: the cluster in data/, the
server log in pg.log, and the unix socket (.s.PGSQL.5432) in the
directory itself; the server listens on no TCP address.  When run as
root, the cluster belongs to and runs as RUN_AS (the account the daemon
under test runs as too), which connects through the socket with trust
authentication as the database superuser "postino".  The postmaster is
stopped by its PID (pg_ctl stop -m fast, then SIGKILL if it lingers) and
the directory removed, also when start-up fails half way.  No system
cluster is touched.

    with PgCluster() as pg:
        uri = pg.create_db("t1")   # postgresql:///t1?host=DIR&user=postino

The C unit tests and shell users drive the same code through
scripts/pg-instance.sh:

    pg_instance.py start DIR     initdb + start in DIR (made if missing)
    pg_instance.py createdb DIR NAME   prints the database's URI
    pg_instance.py stop DIR      stop by PID and remove DIR
"""
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
RUN_AS = "nobody"
SUPERUSER = "postino"

# Test settings: no TCP, socket in the instance directory, no fsync (the
# tests crash postino, never the server), small memory, room for every
# handle of the daemons a run starts at once.
CONF = """\
listen_addresses = ''
unix_socket_directories = '{dir}'
unix_socket_permissions = 0777
port = 5432
fsync = {fsync}
full_page_writes = {fsync}
shared_buffers = {buffers}
max_connections = 200
logging_collector = off
log_min_messages = warning
"""


def _as_owner():
    """subprocess keyword arguments that run a command as RUN_AS when we
    are root (initdb and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return {}
    pw = pwd.getpwnam(RUN_AS)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def _run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, **_as_owner(), **kw)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s%s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def have_postgres():
    return os.access(os.path.join(PGBIN, "initdb"), os.X_OK)


class PgCluster:
    """A private cluster in dir (a new temporary directory by default)."""

    def __init__(self, dir=None, durable=False):
        """durable: fsync and full page writes on, and PostgreSQL's
        default buffers, as a production server (make bench)."""
        self.durable = durable
        self.dir = dir or tempfile.mkdtemp(prefix="postino-pg-")
        os.makedirs(self.dir, exist_ok=True)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "pg.log")
        self.pid = None

    # -- life ---------------------------------------------------------
    def start(self):
        """initdb and start; on any failure everything is stopped and the
        directory removed before the exception goes up."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        _run([os.path.join(PGBIN, "initdb"), "-D", self.data, "-U",
              SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C",
              "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(CONF.format(dir=self.dir,
                                fsync="on" if self.durable else "off",
                                buffers="128MB" if self.durable else "16MB"))
        _run([os.path.join(PGBIN, "pg_ctl"), "start", "-w", "-t", "60",
              "-D", self.data, "-l", self.log], cwd=self.dir)
        self.pid = self._read_pid()

    def _read_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def stop(self):
        """Stop the postmaster by PID and remove the directory."""
        pid = self.pid or self._read_pid()
        try:
            if pid is not None and _alive(pid):
                subprocess.run([os.path.join(PGBIN, "pg_ctl"), "stop",
                                "-w", "-t", "30", "-m", "fast", "-D",
                                self.data], capture_output=True,
                               stdin=subprocess.DEVNULL, **_as_owner())
                deadline = time.monotonic() + 10
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        finally:
            self.pid = None
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- databases ----------------------------------------------------
    def uri(self, name="postgres"):
        return "postgresql:///%s?host=%s&user=%s" % (name, self.dir,
                                                     SUPERUSER)

    def psql(self, sql, db="postgres"):
        """Run sql with psql; rows as lists of strings."""
        r = _run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t",
                  "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                  "-U", SUPERUSER, "-d", db, "-c", sql])
        return [line.split("\t") for line in r.stdout.splitlines()]

    def create_db(self, name):
        """A new, empty database; returns its URI."""
        self.psql('CREATE DATABASE "%s"' % name)
        return self.uri(name)

    def drop_db(self, name):
        self.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main(argv):
    usage = "usage: pg_instance.py start|stop DIR | createdb DIR NAME"
    if len(argv) < 3:
        print(usage, file=sys.stderr)
        return 2
    cmd, dir = argv[1], os.path.abspath(argv[2])
    pg = PgCluster(dir)
    try:
        if cmd == "start" and len(argv) == 3:
            if not have_postgres():
                print("pg_instance: %s/initdb is missing (Debian package "
                      "postgresql)" % PGBIN, file=sys.stderr)
                return 3
            pg.start()
            print(pg.uri())
        elif cmd == "stop" and len(argv) == 3:
            pg.stop()
        elif cmd == "createdb" and len(argv) == 4:
            print(pg.create_db(argv[3]))
        else:
            print(usage, file=sys.stderr)
            return 2
    except (RuntimeError, OSError) as e:
        print("pg_instance: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
