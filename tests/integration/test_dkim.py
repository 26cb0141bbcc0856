"""test_dkim.py - list mail leaves signed: the opendkim recipe of
contrib/dkim on the re-injection smtpd of contrib/postfix, with a real
opendkim (Debian's opendkim, opendkim-tools) and a real, private Postfix.

A post goes swaks -> Postfix -> postino (LMTP) -> Postfix's
127.0.0.1:10026 smtpd, whose milter (opendkim) signs -> smtp-sink.  The
copy at the sink is verified with Debian's python3-dkim
(tests/tools/dkim_verify.py, the public key that opendkim-genkey wrote
given instead of DNS), and its h= must cover the List-* headers.

contrib/dkim's files are applied as they are, except that paths move
into the test's directory and the milter's port is a free one:

    /etc/opendkim        -> DIR/etc/opendkim  (opendkim.conf too)
    /run/opendkim        -> DIR/run/opendkim
    setup.sh and the tables are run and installed from DIR/src/
    8891                 -> a free loopback port

opendkim runs in the foreground (-f), started as root, and drops to the
opendkim user (UserID) that the Debian package creates; it is stopped
by its PID.  Postfix, postino and smtp-sink are test_postfix's site().
"""
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager

from harness import REPO, free_port, wait_for, wait_port
from test_postfix import LIST, MEMBERS, sink_to, site, substitute, swaks

DKIM = REPO / "contrib" / "dkim"
VERIFY = REPO / "tests" / "tools" / "dkim_verify.py"
DEBIAN_PYTHON = "/usr/bin/python3"   # the one python3-dkim is for
SAFE_BASE = "/run"                    # root's, 0755, no sticky bit


def contrib(name):
    with open(DKIM / name) as f:
        return f.read()


class OpenDkim:
    """contrib/dkim's opendkim, moved into a temporary directory."""

    def __init__(self):
        # Not under /tmp: opendkim refuses a key below a world-writable
        # directory (RequireSafeKeys, on by default and in the recipe).
        self.dir = tempfile.mkdtemp(prefix="postino-dkim-", dir=SAFE_BASE)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.subst = {
            "/etc/opendkim": self.dir + "/etc/opendkim",
            "/run/opendkim": self.dir + "/run/opendkim",
            "8891": str(self.port),
        }
        self.proc = None
        self.stderr = os.path.join(self.dir, "stderr")

    def setup(self):
        """setup.sh (README step 1) and opendkim.conf, paths moved."""
        for d in ("etc", "src", "run"):
            os.mkdir(os.path.join(self.dir, d))
            os.chmod(os.path.join(self.dir, d), 0o755)
        for name in ("key.table", "signing.table", "setup.sh"):
            with open(os.path.join(self.dir, "src", name), "w") as f:
                f.write(substitute(contrib(name), self.subst))
        subprocess.run(["sh", os.path.join(self.dir, "src", "setup.sh")],
                       check=True)
        run = os.path.join(self.dir, "run", "opendkim")
        os.mkdir(run)          # Debian's package makes /run/opendkim
        shutil.chown(run, "opendkim", "opendkim")
        self.conf = substitute("/etc/opendkim.conf", self.subst)
        with open(self.conf, "w") as f:
            f.write(substitute(contrib("opendkim.conf"), self.subst))

    def start(self):
        with open(self.stderr, "w") as err:
            self.proc = subprocess.Popen(
                ["opendkim", "-f", "-x", self.conf], stdout=err,
                stderr=subprocess.STDOUT)
        wait_port(self.port, proc=self.proc)
        # Started as root, it serves as the opendkim user (UserID).
        with open("/proc/%d/status" % self.proc.pid) as f:
            uid = re.search(r"^Uid:\s+(\d+)\s+(\d+)", f.read(), re.M)
        want = pwd.getpwnam("opendkim").pw_uid
        assert (int(uid.group(1)), int(uid.group(2))) == (want, want), uid
        return self

    def key_record(self):
        """(DNS name, TXT value) that opendkim-genkey wrote."""
        path = substitute("/etc/opendkim/keys/lists.example.org/postino.txt",
                          self.subst)
        with open(path) as f:
            text = f.read()
        return ("postino._domainkey.lists.example.org",
                "".join(re.findall(r'"([^"]*)"', text)))

    def stop(self):
        """SIGTERM to its PID, SIGKILL if it does not go within 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def opendkim():
    """A started OpenDkim, stopped and removed on the way out."""
    dk = OpenDkim()
    try:
        dk.setup()
        dk.start()
        yield dk
    finally:
        dk.stop()
        shutil.rmtree(dk.dir, ignore_errors=True)


def with_milter(dk):
    """master.cf with contrib/dkim's lines under the 10026 smtpd."""
    extra = substitute(contrib("master.cf.snippet"), dk.subst).rstrip("\n")

    def add(master):
        out = []
        for line in master.splitlines():
            out.append(line)
            if re.match(r"127\.0\.0\.1:\d+\s+inet\s.*\ssmtpd$", line):
                out.append(extra)
        assert extra in out, master
        return "\n".join(out) + "\n"
    return add


def sign_headers():
    """The SignHeaders of contrib/dkim/opendkim.conf, lower case."""
    line = re.search(r"^SignHeaders\s+(\S+)", contrib("opendkim.conf"),
                     re.M).group(1)
    return [n.lower() for n in line.split(",")]


def verify(raw, record):
    """dkim_verify.py's verdict on raw: {"ok", "d", "s", "h"}."""
    r = subprocess.run([DEBIAN_PYTHON, str(VERIFY), record[0], record[1]],
                       input=raw, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@contextmanager
def signed_site():
    with opendkim() as dk:
        try:
            with site(master_filter=with_milter(dk)) as s:
                yield s + (dk,)
        except BaseException:
            with open(dk.stderr, errors="replace") as f:
                print(f.read()[-4000:])
            raise


def copy_at_sink(sink, rcpt):
    """The copy for rcpt as the sink received it: the sink's own
    X-* lines and Received dropped, CRLF line ends."""
    raw = sink_to(sink, rcpt)[0]
    raw = b"Received:" + raw.partition(b"\nReceived:")[2]
    raw = raw.partition(b"\n")[2]          # the sink's Received line
    while raw[:1] in (b" ", b"\t"):        # ... and its folded rest
        raw = raw.partition(b"\n")[2]
    return re.sub(rb"\r?\n", b"\r\n", raw)


def test_relayed_copy_signed_by_list_domain():
    with signed_site() as (p, pf, sink, subst, dk):
        code, out = swaks(pf, LIST, subject="signed by the list",
                          body="Caff\u00e8 for everyone.")
        assert code == 0, out
        for m in MEMBERS:
            wait_for(lambda: sink_to(sink, m), 30, "a copy for " + m)
        record = dk.key_record()
        for m in MEMBERS:
            raw = copy_at_sink(sink, m)
            v = verify(raw, record)
            assert v["ok"], (v, raw.decode(errors="replace"))
            assert (v["d"], v["s"]) == ("lists.example.org", "postino"), v
            h = v["h"]
            for name in ("from", "subject", "date", "message-id", "to",
                         "list-id", "list-post", "list-help",
                         "list-subscribe", "list-unsubscribe",
                         "list-unsubscribe-post", "list-owner"):
                assert name in h, (name, h)
            # Every header of the recipe's SignHeaders the copy has.
            present = {n.lower().decode() for n in re.findall(
                rb"^([A-Za-z-]+):", raw.partition(b"\r\n\r\n")[0], re.M)}
            for name in sign_headers():
                assert name not in present or name in h, (name, h)
            # Oversigned: From twice, and List-Unsubscribe-Post is in h=
            # once more than the copy has it.
            assert h.count("from") == 2, h
            n_post = len(re.findall(rb"^List-Unsubscribe-Post:", raw,
                                    re.M | re.I))
            assert h.count("list-unsubscribe-post") == n_post + 1, h
            # Changing a signed List-* header, or adding one that was
            # absent, breaks the signature.
            bad = re.sub(rb"^List-Unsubscribe: [^\r]*",
                         b"List-Unsubscribe: <mailto:evil@example.com>",
                         raw, count=1, flags=re.M)
            assert bad != raw and not verify(bad, record)["ok"]
            added = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" \
                b"\r\n" + raw
            assert not verify(added, record)["ok"]


def test_readme_shows_the_tested_files():
    """The README the administrator follows shows, indented, every line
    of the files this test applies, and opendkim.conf has every setting
    line the README quotes from it."""
    readme = contrib("README")
    for name in ("setup.sh", "key.table", "signing.table",
                 "master.cf.snippet"):
        for line in contrib(name).splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line in ("set -e", 'here=$(dirname "$0")'):
                continue
            assert "    " + line + "\n" in readme, (name, line)
    conf = contrib("opendkim.conf").splitlines()
    quoted = re.findall(r"^    ([A-Z][A-Za-z]+ +\S+)$", readme, re.M)
    assert len(quoted) >= 8, quoted
    for line in quoted:
        assert line in conf, line
