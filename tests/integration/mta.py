"""mta.py - helpers for the tests that drive a real Exim or OpenSMTPD
unpacked by scripts/mta.sh (not installed: both conflict with postfix).

The daemons run as root with a private configuration and get their
system users (Debian-exim, opensmtpd, ...) from nss_wrapper: passwd and
group files in the test's directory, loaded with LD_PRELOAD, so the
machine's user database is never touched.
"""
import os
import re
import shutil
import signal
import subprocess

from harness import REPO, Postino, free_port, wait_for, wait_port

NSS_WRAPPER = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"


def mta_binary(name):
    """The unpacked daemon of an MTA (scripts/mta.sh fetches it once)."""
    r = subprocess.run([str(REPO / "scripts" / "mta.sh"), name,
                        str(REPO / "build" / name)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("scripts/mta.sh failed:\n" + r.stderr)
    return r.stdout.strip()


def nss_files(d, users):
    """passwd and group files in d with users ({name: uid}) first, for
    nss_wrapper; returns the environment that makes a child use them."""
    with open("/etc/passwd") as f, open(d + "/passwd", "w") as o:
        for name, uid in users.items():
            o.write("%s:x:%d:%d::%s:/bin/false\n" % (name, uid, uid, d))
        o.write(f.read())
    with open("/etc/group") as f, open(d + "/group", "w") as o:
        for name, uid in users.items():
            o.write("%s:x:%d:\n" % (name, uid))
        o.write(f.read())
    return dict(os.environ, LD_PRELOAD=NSS_WRAPPER,
                NSS_WRAPPER_PASSWD=d + "/passwd",
                NSS_WRAPPER_GROUP=d + "/group")


def stop_group(proc, timeout=10):
    """SIGTERM the process group proc leads, then SIGKILL what is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


DOMAIN = "lists.example.test"
LIST = "team@" + DOMAIN
MEMBERS = ("alice@example.org", "bob@elsewhere.test", "carol@elsewhere.test")


class Daemon:
    """What the MTA classes share: a temporary directory (self.dir), a
    daemon started by start() in its own process group, stopped with
    that group, and its log (self.log_path) printed with POSTINO_KEEP."""

    log_path = None

    def start(self, argv, env, ports):
        self.out = open(self.dir + "/daemon.out", "wb")
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=self.out,
                                     start_new_session=True)
        try:
            for port in ports:
                wait_port(port, proc=self.proc)
        except Exception:
            self.close()
            raise

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except (FileNotFoundError, TypeError):
            return ""

    def close(self):
        if getattr(self, "proc", None) is not None:
            stop_group(self.proc)
            self.proc = None
            self.out.close()
        if os.environ.get("POSTINO_KEEP"):
            print(self.log())
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def swaks(port, to, *extra):
    """swaks from alice@example.org; CompletedProcess (text)."""
    return subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port,
                           "--from", "alice@example.org", "--to", to,
                           "--helo", "client.example.org"] + list(extra),
                          capture_output=True, text=True, timeout=60)


def postino_behind(sink, mta):
    """postino with LIST and MEMBERS, relaying to a port of its own; then
    mta(postino, relay_port), which listens there.  Returns both."""
    relay_port = free_port()
    p = Postino(relay="smtp://127.0.0.1:%d" % relay_port)
    try:
        p.make_list(LIST, MEMBERS)
        p.start()
        return p, mta(p, relay_port)
    except Exception:
        p.close()
        raise


def post_reaches_members(mta_port, sink):
    """Post to LIST through the MTA and wait until every member's copy
    (the list's prefix on the subject) is at the sink."""
    r = swaks(mta_port, LIST, "--header", "Subject: through the MTA")
    assert r.returncode == 0, r.stdout + r.stderr

    def rcpts():
        got = set()
        for m in sink.messages():
            if b"[team] through the MTA" in m:
                got.update(x.decode().strip("<>") for x in re.findall(
                    rb"(?m)^X-Rcpt-Args: (\S+)", m))
        return got >= set(MEMBERS)
    wait_for(rcpts, what="the post at the sink")
    assert any(b"List-Id:" in m for m in sink.messages())


def unknown_refused_at_rcpt(mta_port, queued, ok=("team+subscribe@",
                                                  "team-request@")):
    """nosuchlist@DOMAIN gets 550 at RCPT and nothing is queued (no
    bounce); the list's own addresses pass the same check."""
    r = swaks(mta_port, "nosuchlist@" + DOMAIN)
    assert r.returncode != 0
    assert re.search(r"(?m)^<\*\* +550 ", r.stdout), r.stdout
    assert queued() == [], "the MTA queued a message to bounce"
    for local in ok:
        r = swaks(mta_port, local + DOMAIN, "--quit-after", "RCPT")
        assert r.returncode == 0, r.stdout
    assert queued() == []
