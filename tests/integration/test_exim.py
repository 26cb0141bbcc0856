"""test_exim.py - postino behind a real Exim, set up with the lines of
contrib/exim/ that an administrator copies.

swaks -> Exim (private daemon on loopback) -> LMTP -> postino -> Exim ->
smtp-sink; and an unknown list address refused by Exim at RCPT time
(Exim's recipient callout asks postino), so nothing is queued to bounce.

Exim comes from Debian's packages unpacked by scripts/exim.sh (they
cannot be installed next to postfix).  It runs as root with its own
config (-C) and so drops to its exim_user; that user, Debian-exim, exists
only for Exim, through nss_wrapper (LD_PRELOAD), so the machine's user
database is not touched.  Everything lives in a temporary directory and
the daemon's process group is stopped by its id.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile

from harness import REPO, Postino, SmtpSink, free_port, wait_for, wait_port

DOMAIN = "lists.example.test"
LIST = "team@" + DOMAIN
CONTRIB = REPO / "contrib" / "exim"
NSS_WRAPPER = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"
EXIM_UID = 64010        # Debian's own choice is dynamic; any free id does


def exim_binary():
    """The unpacked exim4 (scripts/exim.sh fetches it once)."""
    r = subprocess.run([str(REPO / "scripts" / "exim.sh"),
                        str(REPO / "build" / "exim")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("scripts/exim.sh failed:\n" + r.stderr)
    return r.stdout.strip()


def contrib(name, lmtp_port=None):
    """A contrib/exim file as a user would paste it, with the test's
    domain and postino's LMTP port in place of the examples."""
    text = (CONTRIB / name).read_text().replace("lists.example.org", DOMAIN)
    if lmtp_port is not None:
        text, n = re.subn(r"(?m)^(\s*port\s*=\s*)2424$",
                          r"\g<1>%d" % lmtp_port, text)
        assert n == 1, "no 'port = 2424' in contrib/exim/" + name
    return text


class Exim:
    """A private Exim daemon: port takes mail from the world, relay_port
    takes postino's outbound copies and sends them to the sink."""

    def __init__(self, lmtp_port, sink_port, relay_port):
        self.bin = exim_binary()
        self.dir = tempfile.mkdtemp(prefix="postino-exim-")
        self.proc = None
        os.chmod(self.dir, 0o755)
        self.port, self.relay_port = free_port(), relay_port
        d = self.dir
        with open("/etc/passwd") as f, open(d + "/passwd", "w") as o:
            o.write(f.read() + "Debian-exim:x:%d:%d::%s:/bin/false\n"
                    % (EXIM_UID, EXIM_UID, d))
        with open("/etc/group") as f, open(d + "/group", "w") as o:
            o.write(f.read() + "Debian-exim:x:%d:\n" % EXIM_UID)
        for sub in ("spool", "log"):
            os.mkdir(os.path.join(d, sub))
            os.chown(os.path.join(d, sub), EXIM_UID, EXIM_UID)
        self.conf = d + "/exim.conf"
        with open(self.conf, "w") as f:
            f.write(self.config(lmtp_port, sink_port))
        self.env = dict(os.environ, LD_PRELOAD=NSS_WRAPPER,
                        NSS_WRAPPER_PASSWD=d + "/passwd",
                        NSS_WRAPPER_GROUP=d + "/group")
        self.out = open(d + "/exim.out", "wb")
        self.proc = subprocess.Popen([self.bin, "-C", self.conf, "-bdf"],
                                     env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=self.out,
                                     start_new_session=True)
        try:
            wait_port(self.port, proc=self.proc)
            wait_port(self.relay_port, proc=self.proc)
        except Exception:
            self.close()
            raise

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

    def mainlog(self):
        try:
            with open(self.dir + "/log/mainlog", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def queued(self):
        """Messages in Exim's queue (spool/input/*-H)."""
        root = self.dir + "/spool/input"
        return [n for n in (os.listdir(root) if os.path.isdir(root) else [])
                if n.endswith("-H")]

    def close(self):
        if self.proc is not None:
            pgid = self.proc.pid
            try:
                os.killpg(pgid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None
            self.out.close()
        if os.environ.get("POSTINO_KEEP"):
            print(self.mainlog())
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def swaks(port, to, *extra):
    return subprocess.run(["swaks", "--server", "127.0.0.1:%d" % port,
                           "--from", "alice@example.org", "--to", to,
                           "--helo", "client.example.org"] + list(extra),
                          capture_output=True, text=True, timeout=60)


def setup(sink):
    """postino relaying to Exim's second port; then that Exim."""
    relay_port = free_port()
    p = Postino(relay="smtp://127.0.0.1:%d" % relay_port)
    try:
        p.make_list(LIST, ["alice@example.org", "bob@elsewhere.test",
                           "carol@elsewhere.test"])
        p.start()
        return p, Exim(p.lmtp_port, sink.port, relay_port)
    except Exception:
        p.close()
        raise


def test_exim_delivers_post_through_postino():
    with SmtpSink() as sink:
        p, exim = setup(sink)
        with p, exim:
            r = swaks(exim.port, LIST, "--header", "Subject: via exim")
            assert r.returncode == 0, r.stdout + r.stderr

            def rcpts():
                got = set()
                for m in sink.messages():
                    if b"[team] via exim" in m:
                        got.update(x.decode().strip("<>") for x in re.findall(
                            rb"(?m)^X-Rcpt-Args: (\S+)", m))
                return got >= {"bob@elsewhere.test", "carol@elsewhere.test",
                               "alice@example.org"}
            wait_for(rcpts, what="the post at the sink")
            log = exim.mainlog()
            assert "R=postino T=postino_lmtp" in log, log
            assert "List-Id:" in sink.messages()[0].decode(errors="replace")


def test_exim_refuses_unknown_list_address_at_rcpt():
    with SmtpSink() as sink:
        p, exim = setup(sink)
        with p, exim:
            r = swaks(exim.port, "nosuchlist@" + DOMAIN)
            assert r.returncode != 0
            assert re.search(r"(?m)^<\*\* +550 ", r.stdout), r.stdout
            assert exim.queued() == [], "Exim queued a message to bounce"
            assert "unknown recipient <nosuchlist@" in p.read_log()
            # the list's own addresses pass the same check
            for ok in ("team+subscribe@", "team-request@"):
                r = swaks(exim.port, ok + DOMAIN, "--quit-after", "RCPT")
                assert r.returncode == 0, r.stdout
            assert exim.queued() == []
