"""harness.py - start the real postino binary and real peers for tests.

Every object here stops what it started, by PID, and removes its
temporary directory, also when the test fails (use them with `with`).
Only loopback addresses are used.

POSTINO_TEST_DB=pgsql runs every postino on PostgreSQL: one private
cluster for the whole run (pg_instance.py, started at the first instance
and stopped by run.py or at exit), one database per instance.
"""
import atexit
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POSTINO = os.environ.get("POSTINO", str(REPO / "bin" / "postino"))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


# The account the daemon runs as when the tests run as root.
RUN_AS = "nobody"

# The store engine under test: "sqlite" (the default) or "pgsql".
ENGINE = os.environ.get("POSTINO_TEST_DB", "sqlite")
_pg = None
_pg_names = itertools.count(1)


# The SQLite idioms the tests' own SQL uses, in PostgreSQL's words.
PG_IDIOMS = [
    (re.compile(r"\bx'([0-9a-fA-F]*)'", re.I), r"'\\x\1'::bytea"),
    (re.compile(r"\bzeroblob\((\d+)\)"),
     r"decode(repeat('00', \1), 'hex')"),
    (re.compile(r"\bhex\(([^()]*)\)"), r"upper(encode(\1, 'hex'))"),
    (re.compile(r"\bstrftime\('%s', ?'now'\)"),
     r"extract(epoch from now())::bigint"),
]


def pg_sql(query):
    """A test's SQLite SQL (blob literals, zeroblob, hex, the time now)
    for psql."""
    for pattern, repl in PG_IDIOMS:
        query = pattern.sub(repl, query)
    return query


class Skip(Exception):
    """A test that does not apply to this run (run.py counts it apart)."""


def sqlite_only(why):
    """Skip the calling test on PostgreSQL: it is about SQLite's file."""
    if ENGINE != "sqlite":
        raise Skip(why)


def _pg_value(v):
    """A psql output value as sqlite3 would give it: bytea (\\x...) as
    bytes, integers as int."""
    if v.startswith("\\x") and re.fullmatch(r"(?:[0-9a-f]{2})*", v[2:]):
        return bytes.fromhex(v[2:])
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    return v


def pg_cluster():
    """The run's private PostgreSQL cluster, started on first use."""
    global _pg
    if _pg is None:
        from pg_instance import PgCluster, have_postgres
        if not have_postgres():
            raise RuntimeError("POSTINO_TEST_DB=pgsql needs initdb (Debian "
                               "package postgresql: scripts/deps.sh check)")
        _pg = PgCluster().start()
        atexit.register(pg_stop)
    return _pg


def pg_stop():
    """Stop the run's cluster, if one was started."""
    global _pg
    if _pg is not None:
        pg, _pg = _pg, None
        pg.stop()


def give_to_run_as(path):
    """Make path (a directory the test made) belong to RUN_AS, so that
    the daemon can write in it after dropping root."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam(RUN_AS)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s before listening"
                               % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def wait_for(pred, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Postino:
    """A postino instance with its own directory, database and ports.

    settings: extra "key = value" config lines (dict).
    wrap: a command prefix for every postino run (e.g. setpriv to run as
    another user); empty by default.
    """

    def __init__(self, relay=None, settings=None):
        self.dir = tempfile.mkdtemp(prefix="postino-test-")
        self.lmtp_port = free_port()
        self.smtp_port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.dir, "postino.log")
        self.conf = os.path.join(self.dir, "postino.conf")
        conf = {
            "database": os.path.join(self.dir, "postino.db"),
            "lmtp_listen": "127.0.0.1:%d" % self.lmtp_port,
            "smtp_listen": "127.0.0.1:%d" % self.smtp_port,
            "relay": relay or "maildir:" + os.path.join(self.dir, "outbox"),
            "templates": str(REPO / "templates"),
            "hostname": "postino.test",
            "secret_file": os.path.join(self.dir, "postino.key"),
            "log_level": "debug",
            # No DNS in tests: DMARC lookups only where a test starts
            # its own server (test_dmarc.py).
            "resolver": "off",
        }
        if os.geteuid() == 0:
            # As root, postino refuses to run without an account to drop
            # to: run it as nobody, in a directory nobody owns, with a
            # copy of the templates (the checkout may not be open to it).
            conf["user"] = RUN_AS
            conf["templates"] = os.path.join(self.dir, "templates")
            shutil.copytree(REPO / "templates", conf["templates"])
            give_to_run_as(self.dir)
        self.pg_db = None
        if ENGINE == "pgsql" and "database" not in (settings or {}):
            self.pg_db = "postino_%d_%d" % (os.getpid(), next(_pg_names))
            conf["database"] = pg_cluster().create_db(self.pg_db)
        conf.update(settings or {})
        self.wrap = []
        with open(self.conf, "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        self.settings = conf

    # -- command line -------------------------------------------------
    def cli(self, *args, input=None, check=True, timeout=120):
        """Run `postino -c CONF ARGS...`; returns CompletedProcess."""
        r = subprocess.run(self.wrap + [POSTINO, "-c", self.conf] +
                           [str(a) for a in args],
                           input=input, capture_output=True, timeout=timeout,
                           cwd=self.dir)
        check_sanitizer(r.stderr.decode(errors="replace"), " ".join(args))
        if check and r.returncode != 0:
            raise AssertionError("postino %s: exit %d: %s" % (
                " ".join(map(str, args)), r.returncode,
                r.stderr.decode(errors="replace")))
        return r

    def make_list(self, addr, members=(), **settings):
        self.cli("list", "create", addr)
        for k, v in settings.items():
            self.cli("list", "set", addr, k, v)
        if members:
            data = "".join(m + "\n" for m in members).encode()
            self.cli("member", "import", addr, "-", input=data)

    # -- daemon -------------------------------------------------------
    def start(self, umask=None):
        """Start `postino serve`; umask: the one it starts with.

        free_port() can only promise a port that was free a moment ago:
        when another process took one of ours in between (postino exits
        71, "Address already in use"), the daemon gets new ports and is
        started again, twice at most."""
        for attempt in range(3):
            try:
                return self._start(umask)
            except RuntimeError as e:
                if attempt == 2 or "exited with 71" not in str(e) or \
                        not self._new_ports():
                    raise

    def _new_ports(self):
        """Move the TCP listeners the harness chose to new free ports;
        False when the test chose its own."""
        old = {"lmtp_listen": "127.0.0.1:%d" % self.lmtp_port,
               "smtp_listen": "127.0.0.1:%d" % self.smtp_port}
        with open(self.conf) as f:
            text = f.read()
        if any("%s = %s\n" % (k, v) not in text for k, v in old.items()):
            return False
        self.log.close()
        self.lmtp_port, self.smtp_port = free_port(), free_port()
        for k, port in (("lmtp_listen", self.lmtp_port),
                        ("smtp_listen", self.smtp_port)):
            new = "127.0.0.1:%d" % port
            text = text.replace("%s = %s\n" % (k, old[k]),
                                "%s = %s\n" % (k, new))
            self.settings[k] = new
        with open(self.conf, "w") as f:
            f.write(text)
        return True

    def _start(self, umask):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.wrap +
                                     [POSTINO, "-c", self.conf, "serve"],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log,
                                     cwd=self.dir, umask=umask if
                                     umask is not None else -1)
        # Every listener, TCP or unix socket, in the order serve binds them,
        # as the file says (tests may append lines to it).
        conf = {}
        with open(self.conf) as f:
            for line in f:
                k, _, v = line.split("#", 1)[0].partition("=")
                conf[k.strip()] = v.strip()
        for key in ("lmtp_listen", "smtp_listen", "socketmap_listen"):
            spec = conf.get(key) or "off"
            if spec.startswith("unix:"):
                wait_for(lambda: self._bound(spec[5:]), 20,
                         "postino to bind " + spec)
            elif spec != "off":
                wait_port(int(spec.rsplit(":", 1)[1]), proc=self.proc)
        return self

    def _bound(self, path):
        if self.proc.poll() is not None:
            raise RuntimeError("postino exited with %s before listening on "
                               "%s" % (self.proc.returncode, path))
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
            return True
        except OSError:
            return False

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError("postino did not stop on SIGTERM")
        self.log.close()
        check_sanitizer(self.read_log(), "serve")
        return p.returncode

    def kill9(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.log.close()

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def sql(self, query):
        """Run a read-only query with the sqlite3 CLI (psql on
        PostgreSQL); rows as lists."""
        if self.pg_db is not None:
            return pg_cluster().psql(pg_sql(query), db=self.pg_db)
        r = subprocess.run(["sqlite3", "-readonly", "-separator", "\t",
                            self.settings["database"], query],
                           capture_output=True, text=True, check=True)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def rows(self, query):
        """Run a read-only query; rows as tuples of int, str or bytes
        (blobs), on either engine."""
        if self.pg_db is None:
            db = sqlite3.connect("file:%s?mode=ro" %
                                 self.settings["database"], uri=True,
                                 timeout=10)
            try:
                return [tuple(bytes(v) if isinstance(v, memoryview) else v
                              for v in r) for r in db.execute(query)]
            finally:
                db.close()
        return [tuple(_pg_value(v) for v in r) for r in self.sql(query)]

    def sql_write(self, query):
        """Change the database behind the daemon's back (tests only);
        the rows a RETURNING clause gives, as lists of strings."""
        if self.pg_db is not None:
            return pg_cluster().psql(pg_sql(query), db=self.pg_db)
        r = subprocess.run(["sqlite3", "-cmd", ".timeout 5000",
                            "-separator", "\t", self.settings["database"],
                            query],
                           capture_output=True, text=True, check=True)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def outbox(self):
        """{recipient: [message bytes, ...]} from the maildir transport."""
        root = os.path.join(self.dir, "outbox")
        res = {}
        if not os.path.isdir(root):
            return res
        for rcpt in sorted(os.listdir(root)):
            new = os.path.join(root, rcpt, "new")
            if not os.path.isdir(new):
                continue
            for name in sorted(os.listdir(new)):
                with open(os.path.join(new, name), "rb") as f:
                    res.setdefault(rcpt, []).append(f.read())
        return res

    def close(self):
        # A store that does not speak PostgreSQL takes the URI for a
        # file name: a test that passed on that SQLite file fails here.
        fallback = self.pg_db is not None and os.path.exists(
            os.path.join(self.dir, "postgresql:"))
        try:
            if self.proc is not None:
                if os.environ.get("POSTINO_KEEP"):
                    print(self.read_log())
                self.stop()
        finally:
            self.kill9()
            shutil.rmtree(self.dir, ignore_errors=True)
            if self.pg_db is not None and _pg is not None:
                _pg.drop_db(self.pg_db)
        if fallback:
            raise AssertionError("postino opened a SQLite file named %s "
                                 "instead of PostgreSQL" %
                                 self.settings["database"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_sanitizer(text, what):
    for mark in SANITIZER_MARKS:
        if mark in text:
            raise AssertionError("sanitizer report from %s:\n%s" % (what, text))


class Client:
    """A raw SMTP/LMTP client: sends exactly the bytes it is given."""

    def __init__(self, port, timeout=30.0, greet=True):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.buf = b""
        if greet:
            code, _ = self.reply()
            assert code == 220, "greeting %r" % code

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def reply(self):
        """(code, [text lines]) of one possibly multi-line reply."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5.0):
        """True when the server closed the connection (reads to EOF)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, ConnectionError):
            return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def message(subject="hello", sender="alice@example.org",
            to="team@example.org", body="Hello, list.\r\n", msgid=None,
            headers=()):
    """A small well-formed RFC 5322 message (bytes, CRLF)."""
    msgid = msgid or "<%d.%d@test>" % (time.time_ns(), os.getpid())
    lines = ["From: %s" % sender, "To: %s" % to, "Subject: %s" % subject,
             "Date: Wed, 25 Nov 2026 10:00:00 +0000",
             "Message-ID: %s" % msgid] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def lmtp_send(port, sender, rcpts, data, lhlo="test.example"):
    """Deliver one message over LMTP; returns the list of per-rcpt codes
    after DATA (None for recipients refused at RCPT)."""
    with Client(port) as c:
        code, _ = c.cmd("LHLO " + lhlo)
        assert code == 250
        code, _ = c.cmd("MAIL FROM:<%s>" % sender)
        assert code == 250, code
        accepted = []
        for r in rcpts:
            code, _ = c.cmd("RCPT TO:<%s>" % r)
            accepted.append(code == 250)
        if not any(accepted):
            return [None] * len(rcpts)
        code, _ = c.cmd("DATA")
        assert code == 354, code
        body = data.replace(b"\r\n.", b"\r\n..")
        if body.startswith(b"."):
            body = b"." + body
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        c.send(body + b".\r\n")
        res = []
        for ok in accepted:
            res.append(c.reply()[0] if ok else None)
        c.cmd("QUIT")
        return res


class SmtpSink:
    """Postfix's smtp-sink on a free loopback port, one file per message."""

    def __init__(self, extra_args=(), backlog=256, dump=True):
        self.dir = tempfile.mkdtemp(prefix="postino-sink-")
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        args = ["smtp-sink"]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        args += list(extra_args)
        if dump:
            args += ["-d", os.path.join(self.dir, "%M.")]
        args += ["127.0.0.1:%d" % self.port, str(backlog)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)

    def messages(self):
        """Every message received, oldest first."""
        out = []
        names = os.listdir(self.dir)
        names.sort(key=lambda n: (os.stat(os.path.join(self.dir, n))
                                  .st_mtime_ns, n))
        for name in names:
            with open(os.path.join(self.dir, name), "rb") as f:
                out.append(f.read())
        return out

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RecordingRelay:
    """A scripted SMTP/LMTP relay for fault injection: records every
    transaction and answers RCPT with rcpt_reply(addr) -> "250 ok"-style
    text.  fail_mode: None, "drop_in_data" (close after receiving part of
    the body), "tempfail_data" (451 after the dot).  idle_timeout:
    seconds a session may wait for a command before the relay says 421
    and closes it, as Postfix and Exim do."""

    def __init__(self, rcpt_reply=None, fail_mode=None, pipelining=True,
                 lmtp=False, port=None, idle_timeout=None):
        self.port = port or free_port()
        self.rcpt_reply = rcpt_reply or (lambda a: "250 2.1.5 ok")
        self.fail_mode = fail_mode
        self.pipelining = pipelining
        self.lmtp = lmtp
        self.idle_timeout = idle_timeout
        self.idle_closed = 0         # sessions closed for idleness
        self.lock = threading.Lock()
        self.transactions = []       # (mail_from, [rcpts], data)
        self.delivered = []          # every rcpt accepted after the dot
        self.connections = 0
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port))
        self.srv.listen(64)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        w = conn.makefile("wb")

        def say(s):
            w.write(s.encode() + b"\r\n")

        try:
            say("220 relay.test ESMTP")
            w.flush()
            mail, rcpts = None, []
            while True:
                conn.settimeout(self.idle_timeout)
                try:
                    line = f.readline()
                except TimeoutError:
                    say("421 4.4.2 relay.test Error: timeout exceeded")
                    w.flush()
                    with self.lock:
                        self.idle_closed += 1
                    return
                conn.settimeout(None)
                if not line:
                    return
                cmd = line.decode(errors="replace").rstrip("\r\n")
                verb = cmd[:4].upper()
                if verb in ("EHLO", "LHLO"):
                    say("250-relay.test")
                    if self.pipelining:
                        say("250-PIPELINING")
                    say("250 8BITMIME")
                elif verb == "HELO":
                    say("250 relay.test")
                elif verb == "MAIL":
                    mail, rcpts = cmd[10:].strip("<>"), []
                    say("250 2.1.0 ok")
                elif verb == "RCPT":
                    addr = cmd[8:].strip().strip("<>")
                    rep = self.rcpt_reply(addr)
                    if rep.startswith("2"):
                        rcpts.append(addr)
                    say(rep)
                elif verb == "DATA":
                    if not rcpts:
                        say("554 5.5.1 no valid recipients")
                        w.flush()
                        continue
                    say("354 go ahead")
                    w.flush()
                    data = []
                    while True:
                        l = f.readline()
                        if not l:
                            return
                        if l == b".\r\n":
                            break
                        data.append(l[1:] if l.startswith(b"..") else l)
                        if (self.fail_mode == "drop_in_data"
                                and len(data) > 3):
                            conn.close()
                            return
                    body = b"".join(data)
                    if self.fail_mode == "tempfail_data":
                        for _ in (rcpts if self.lmtp else [0]):
                            say("451 4.3.0 try later")
                    else:
                        with self.lock:
                            self.transactions.append((mail, rcpts, body))
                            self.delivered.extend(rcpts)
                        for _ in (rcpts if self.lmtp else [0]):
                            say("250 2.0.0 ok")
                elif verb == "RSET":
                    mail, rcpts = None, []
                    say("250 ok")
                elif verb == "NOOP":
                    say("250 ok")
                elif verb == "QUIT":
                    say("221 bye")
                    w.flush()
                    return
                else:
                    say("502 5.5.2 unknown")
                w.flush()
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        """Stop accepting, and only then give the descriptor back.
        close() alone leaves the accepting thread blocked in accept() on
        a descriptor number that the next socket reuses: a restarted
        accept() (after a signal) then takes the next relay's connection
        and records it here.  shutdown() wakes accept() (EINVAL)."""
        self.stopping = True
        try:
            self.srv.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join()
        self.srv.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
