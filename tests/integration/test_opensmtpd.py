"""test_opensmtpd.py - postino behind a real OpenSMTPD, set up with the
files of contrib/opensmtpd/ that an administrator copies.

swaks -> OpenSMTPD -> LMTP -> postino -> OpenSMTPD -> smtp-sink; and an
unknown list address refused at RCPT time (it is not in the table that
contrib's update-table.sh writes from `postino list ls`), with nothing
queued to bounce.

Debian's smtpd has its spool, chroot and helper paths compiled in
(/var/spool/smtpd, /var/lib/opensmtpd/empty, /usr/libexec/opensmtpd):
it runs in a private mount namespace (unshare -m) where those are the
test's own directories, so the machine's files are not touched and its
Postfix keeps running.  Its users come from nss_wrapper (mta.py).
"""
import os
import re
import subprocess
import tempfile

from harness import REPO, POSTINO, SmtpSink, free_port
from mta import (DOMAIN, Daemon, mta_binary, nss_files,
                 post_reaches_members, postino_behind,
                 unknown_refused_at_rcpt)

CONTRIB = REPO / "contrib" / "opensmtpd"
USERS = {"opensmtpd": 64020, "opensmtpq": 64021, "postino": 64022}

# Run in the new mount namespace: the compiled-in paths become the test's.
NAMESPACE = """set -e
mount --bind "$T/spool" /var/spool
mount -t tmpfs tmpfs /var/lib
mkdir -p /var/lib/opensmtpd/empty
mount -t tmpfs tmpfs /usr/libexec
cp -a "$ROOT/usr/libexec/opensmtpd" /usr/libexec/
mount -t tmpfs tmpfs /run
"$SMTPD" -n -f "$T/smtpd.conf"
exec "$SMTPD" -d -f "$T/smtpd.conf"
"""


class OpenSMTPD(Daemon):
    """A private smtpd: port takes mail from the world, relay_port takes
    postino's outbound copies (tag POSTINO) and sends them to the sink."""

    def __init__(self, postino_conf, lmtp_port, sink_port, relay_port):
        self.bin = mta_binary("opensmtpd")
        self.dir = d = tempfile.mkdtemp(prefix="postino-smtpd-")
        os.chmod(d, 0o755)
        os.mkdir(d + "/spool")
        self.port, self.relay_port = free_port(), relay_port
        self.table = d + "/postino-lists"
        users = (CONTRIB / "postino-users").read_text()
        with open(d + "/postino-users", "w") as f:
            f.write(users.replace("lists.example.org", DOMAIN))
        with open(d + "/smtpd.conf", "w") as f:
            f.write(self.config(lmtp_port, sink_port))
        env = nss_files(d, USERS)
        env.update(T=d, SMTPD=self.bin,
                   ROOT=str(REPO / "build" / "opensmtpd" / "root"))
        self.log_path = d + "/daemon.out"
        self.update_table(postino_conf)
        self.start(["unshare", "-m", "--propagation", "private", "sh", "-c",
                    NAMESPACE], env, (self.port, self.relay_port))

    def config(self, lmtp_port, sink_port):
        text = (CONTRIB / "smtpd.conf.snippet").read_text()
        text = text.replace("lists.example.org", DOMAIN)
        text = text.replace("/etc/smtpd/", self.dir + "/")
        text, n = re.subn(r'lmtp "127\.0\.0\.1:2424"',
                          'lmtp "127.0.0.1:%d"' % lmtp_port, text)
        assert n == 1, "no lmtp \"127.0.0.1:2424\" in smtpd.conf.snippet"
        return text + "\n".join([
            "listen on 127.0.0.1 port %d" % self.port,
            "listen on 127.0.0.1 port %d tag POSTINO" % self.relay_port,
            'action "sink" relay host smtp://127.0.0.1:%d' % sink_port,
            'match from local tag POSTINO for any action "sink"',
            ""])

    def update_table(self, conf):
        """contrib's update-table.sh, as an administrator runs it."""
        subprocess.run([str(CONTRIB / "update-table.sh"), self.table, conf],
                       env=dict(os.environ, POSTINO=POSTINO, NO_RELOAD="1"),
                       check=True, capture_output=True, timeout=60)

    def queued(self):
        """Envelopes in the queue (spool/smtpd/queue/*/*/*)."""
        out = []
        assert os.path.isdir(self.dir + "/spool/smtpd/queue")
        for _, _, names in os.walk(self.dir + "/spool/smtpd/queue"):
            out += names
        return out



def smtpd_for(sink):
    return postino_behind(sink, lambda p, relay_port: OpenSMTPD(
        p.conf, p.lmtp_port, sink.port, relay_port))


def test_opensmtpd_delivers_post_through_postino():
    with SmtpSink() as sink:
        p, smtpd = smtpd_for(sink)
        with p, smtpd:
            post_reaches_members(smtpd.port, sink)
            log = smtpd.log()
            assert "mda delivery" in log and "user=postino" in log, log


def test_opensmtpd_refuses_unknown_list_address_at_rcpt():
    with SmtpSink() as sink:
        p, smtpd = smtpd_for(sink)
        with p, smtpd:
            unknown_refused_at_rcpt(smtpd.port, smtpd.queued, (
                "team+subscribe@", "team-request@", "team-owner@"))
