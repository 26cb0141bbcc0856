"""test_exim.py - postino behind a real Exim, set up with the lines of
contrib/exim/ that an administrator copies.

swaks -> Exim (private daemon on loopback) -> LMTP -> postino -> Exim ->
smtp-sink; and an unknown list address refused by Exim at RCPT time
(Exim's recipient callout asks postino), so nothing is queued to bounce.

Exim comes from Debian's packages unpacked by scripts/mta.sh (they
cannot be installed next to postfix).  It runs as root with its own
config (-C) and so drops to its exim_user; that user, Debian-exim, exists
only for Exim, through nss_wrapper (LD_PRELOAD), so the machine's user
database is not touched.  Everything lives in a temporary directory and
the daemon's process group is stopped by its id.
"""
import os
import re
import tempfile

from harness import REPO, SmtpSink, free_port
from mta import (DOMAIN, Daemon, mta_binary, nss_files,
                 post_reaches_members, postino_behind,
                 unknown_refused_at_rcpt)

CONTRIB = REPO / "contrib" / "exim"
EXIM_UID = 64010        # Debian's own choice is dynamic; any free id does


def contrib(name, lmtp_port=None):
    """A contrib/exim file as a user would paste it, with the test's
    domain and postino's LMTP port in place of the examples."""
    text = (CONTRIB / name).read_text().replace("lists.example.org", DOMAIN)
    if lmtp_port is not None:
        text, n = re.subn(r"(?m)^(\s*port\s*=\s*)2424$",
                          r"\g<1>%d" % lmtp_port, text)
        assert n == 1, "no 'port = 2424' in contrib/exim/" + name
    return text


class Exim(Daemon):
    """A private Exim daemon: port takes mail from the world, relay_port
    takes postino's outbound copies and sends them to the sink."""

    def __init__(self, lmtp_port, sink_port, relay_port):
        self.bin = mta_binary("exim")
        self.dir = tempfile.mkdtemp(prefix="postino-exim-")
        os.chmod(self.dir, 0o755)
        self.port, self.relay_port = free_port(), relay_port
        d = self.dir
        self.env = nss_files(d, {"Debian-exim": EXIM_UID})
        for sub in ("spool", "log"):
            os.mkdir(os.path.join(d, sub))
            os.chown(os.path.join(d, sub), EXIM_UID, EXIM_UID)
        self.conf = d + "/exim.conf"
        with open(self.conf, "w") as f:
            f.write(self.config(lmtp_port, sink_port))
        self.log_path = d + "/log/mainlog"
        self.start([self.bin, "-C", self.conf, "-bdf"], self.env,
                   (self.port, self.relay_port))

    def config(self, lmtp_port, sink_port):
        d = self.dir
        return "\n".join([
            "exim_path = " + self.bin,
            "keep_environment = LD_PRELOAD : NSS_WRAPPER_PASSWD :"
            " NSS_WRAPPER_GROUP",
            "primary_hostname = exim.test",
            "spool_directory = %s/spool" % d,
            "log_file_path = %s/log/%%slog" % d,
            "pid_file_path = %s/exim.pid" % d,
            "local_interfaces = 127.0.0.1",
            "daemon_smtp_ports = %d : %d" % (self.port, self.relay_port),
            "tls_advertise_hosts =",
            "rfc1413_hosts =",
            "never_users = root",
            contrib("main.snippet"),
            "acl_smtp_rcpt = acl_check_rcpt",
            "begin acl",
            "acl_check_rcpt:",
            contrib("acl.snippet"),
            "  accept  hosts = 127.0.0.1",
            "  deny    message = relay not permitted",
            "begin routers",
            contrib("router.snippet"),
            "sink:",
            "  driver = manualroute",
            "  route_list = * 127.0.0.1::%d" % sink_port,
            "  self = send",
            "  transport = sink_smtp",
            "begin transports",
            contrib("transport.snippet", lmtp_port),
            "sink_smtp:",
            "  driver = smtp",
            "  allow_localhost",
            "  hosts_avoid_tls = *",
            ""])

    def queued(self):
        """Messages in Exim's queue (spool/input/*-H)."""
        root = self.dir + "/spool/input"
        return [n for n in (os.listdir(root) if os.path.isdir(root) else [])
                if n.endswith("-H")]


def exim_for(sink):
    return postino_behind(sink, lambda p, relay_port: Exim(
        p.lmtp_port, sink.port, relay_port))


def test_exim_delivers_post_through_postino():
    with SmtpSink() as sink:
        p, exim = exim_for(sink)
        with p, exim:
            post_reaches_members(exim.port, sink)
            assert "R=postino T=postino_lmtp" in exim.log(), exim.log()


def test_exim_refuses_unknown_list_address_at_rcpt():
    with SmtpSink() as sink:
        p, exim = exim_for(sink)
        with p, exim:
            unknown_refused_at_rcpt(exim.port, exim.queued)
            assert "unknown recipient <nosuchlist@" in p.read_log()
