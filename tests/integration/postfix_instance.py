"""postfix_instance.py - a throwaway, private, real Postfix (Debian 3.7).

Everything lives in one temporary directory (etc/, spool/, data/, the
maillog); smtpd listens on a free 127.0.0.1 port, mail for other domains
goes to 127.0.0.1:relay_port, and the instance is stopped by the PID of
its master (a session leader: its whole process group is waited for).
No system MTA is touched: /etc/postfix is never read or written.
Recipe and pitfalls: /work/shared/research/postfix-test-instance.md.

Needs root (Postfix's master, and smtp-sink -u).
"""
import os
import shutil
import subprocess
import tempfile
import time

from harness import free_port

# Instance basics; the site's own lines (contrib) are added after them.
BASE_MAIN = """\
compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/data
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
myhostname = mx.example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
relayhost = [127.0.0.1]:{relay_port}
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 10s
"""

# Stock services.  smtpd and lmtp run chrooted in the queue directory, as
# in Debian's master.cf, so that the socket paths contrib gives them are
# tested the way a Debian site uses them (nothing else needs the jail
# populated: no DNS, numeric addresses); the rest is not chrooted.
BASE_MASTER = """\
127.0.0.1:{smtp_port} inet n - y - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - y - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    """A private Postfix; main_extra/master_extra are appended to the
    instance's main.cf/master.cf (the site's own configuration)."""

    def __init__(self, relay_port):
        self.dir = tempfile.mkdtemp(prefix="postino-postfix-")
        # master opens data/master.lock as user postfix: the directory
        # must be searchable and data/ must belong to postfix.
        os.chmod(self.dir, 0o755)
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        for d in (self.etc, self.spool, os.path.join(self.dir, "data")):
            os.mkdir(d)
        shutil.chown(os.path.join(self.dir, "data"), "postfix")
        self.smtp_port = free_port()
        self.relay_port = relay_port
        self.maillog = os.path.join(self.dir, "maillog")
        self.started = False

    def configure(self, main_extra, master_extra):
        fill = {"dir": self.dir, "smtp_port": self.smtp_port,
                "relay_port": self.relay_port}
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(BASE_MAIN.format(**fill) + main_extra)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(BASE_MASTER.format(**fill) + master_extra)
        self.backdate()

    def backdate(self):
        """Postfix re-reads a main.cf younger than ~2s, sleeping each
        time: make every file in etc/ look old."""
        old = time.time() - 60
        for name in os.listdir(self.etc):
            os.utime(os.path.join(self.etc, name), (old, old))

    def run(self, *args, check=True):
        """A Postfix command on this instance (-c etc/)."""
        r = subprocess.run([args[0], "-c", self.etc] + list(args[1:]),
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError("%s: exit %d: %s%s\n%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr,
                self.read_log()[-3000:]))
        return r

    def start(self):
        # "start" returns once the master has bound its sockets.
        self.run("postfix", "check")
        self.run("postfix", "start")
        self.started = True
        return self

    def master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        pid = self.master_pid()
        if pid is None:
            return
        subprocess.run(["postfix", "-c", self.etc, "stop"],
                       capture_output=True)
        # Wait for the master's process group (zombies count as gone).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._group_alive(pid):
            time.sleep(0.05)
        if self._group_alive(pid):
            try:
                os.killpg(pid, 9)
            except ProcessLookupError:
                pass

    @staticmethod
    def _group_alive(pgid):
        r = subprocess.run(["ps", "-eo", "pgid=,stat="], capture_output=True,
                           text=True)
        for line in r.stdout.splitlines():
            g, stat = line.split()
            if int(g) == pgid and not stat.startswith("Z"):
                return True
        return False

    def read_log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def queued(self):
        """Files in the queue (incoming, active, deferred, hold, bounce
        logs): all empty once every message reached its destination."""
        n = []
        for q in ("maildrop", "incoming", "active", "deferred", "hold",
                  "bounce", "defer"):
            root = os.path.join(self.spool, q)
            for dirpath, _, files in os.walk(root):
                n += [os.path.join(dirpath, f) for f in files]
        return n

    def close(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
