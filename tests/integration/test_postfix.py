"""test_postfix.py - postino behind a real, private Postfix, set up from
the contrib files a site administrator copies.

Each test reads contrib/postfix/{setup.sh, main.cf.snippet,
master.cf.snippet, transport, postino.conf.snippet} and applies them as
they are, except for these substitutions (SUBST), which only move paths
and one port into the test's own directories:

    /var/spool/postfix            -> the private instance's queue directory
    /etc/postfix/                 -> the instance's config directory
    /etc/postino/postino.conf     -> the test's postino.conf
    /var/lib/postino              -> the test's state directory
    /usr/share/postino/templates  -> templates/ of this source tree
    /usr/sbin/postino              -> the binary under test ($POSTINO)
    127.0.0.1:10026               -> a free loopback port

The list domain (lists.example.org) is kept.  The pipe test takes the
transport line contrib offers for it (commented out there).  The account
line of setup.sh runs verbatim: run as root, these tests CREATE THE
`postino` SYSTEM ACCOUNT (adduser --system --group --no-create-home) when
the machine does not have it yet, exactly as contrib says, and leave it in
place.  postino itself runs as that user (setpriv, as systemd's
User=postino would), so Postfix reaches its sockets only through the mode
and group contrib configures.  Postfix is private (its own directory,
127.0.0.1, unix sockets) and is stopped by PID; smtp-sink stands for the
internet.
"""
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import ExitStack, contextmanager

from harness import POSTINO, REPO, Postino, SmtpSink, free_port, wait_for
from postfix_instance import Postfix

CONTRIB = REPO / "contrib" / "postfix"
DOMAIN = "lists.example.org"
LIST = "team@" + DOMAIN
MEMBERS = ["alice@example.net", "bob@example.net"]


def contrib(name):
    with open(CONTRIB / name) as f:
        return f.read()


def substitute(text, subst):
    for old, new in subst.items():
        text = text.replace(old, new)
    return text


def account_line():
    """The line of setup.sh that creates the postino account."""
    return next(line for line in contrib("setup.sh").splitlines()
                if line.startswith("getent passwd postino"))


def run_setup(subst):
    """contrib/postfix/setup.sh, paths moved; its account line verbatim."""
    lines = []
    for line in contrib("setup.sh").splitlines():
        if not line.startswith("getent passwd postino"):
            line = substitute(line, subst)
        lines.append(line)
    subprocess.run(["sh", "-c", "\n".join(lines)], check=True)


def conf_lines(text):
    """{key: value} of a postino.conf text."""
    res = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            k, v = line.split("=", 1)
            res[k.strip()] = v.strip()
    return res


def transport(pipe):
    """The transport file; with pipe, its commented pipe alternative."""
    out = []
    for line in contrib("transport").splitlines():
        if line.startswith(DOMAIN) and pipe:
            line = "#" + line
        elif line.startswith("#" + DOMAIN) and pipe:
            line = line[1:]
        out.append(line)
    return "\n".join(out) + "\n"


@contextmanager
def site(pipe=False, master_filter=None):
    """smtp-sink, a private Postfix and postino, wired by contrib;
    master_filter(text) may add to master.cf (test_dkim's milter)."""
    with ExitStack() as stack:
        sink = stack.enter_context(SmtpSink())
        pf = stack.enter_context(Postfix(relay_port=sink.port))
        state = os.path.join(pf.dir, "lib")
        confdir = tempfile.mkdtemp(prefix="postino-etc-")
        stack.callback(lambda: subprocess.run(["rm", "-rf", confdir]))
        os.chmod(confdir, 0o755)
        conf = os.path.join(confdir, "postino.conf")
        subst = {
            "/var/spool/postfix": pf.spool,
            "/etc/postfix/": pf.etc + "/",
            "/etc/postino/postino.conf": conf,
            "/var/lib/postino": state,
            "/usr/share/postino/templates": str(REPO / "templates"),
            "/usr/sbin/postino": POSTINO,
            "127.0.0.1:10026": "127.0.0.1:%d" % free_port(),
        }
        run_setup(subst)
        settings = conf_lines(substitute(contrib("postino.conf.snippet"),
                                         subst))
        settings["log_level"] = "debug"
        p = stack.enter_context(Postino(settings=settings))
        os.chmod(p.dir, 0o755)
        p.wrap = ["setpriv", "--reuid=postino", "--regid=postino",
                  "--init-groups"]
        with open(conf, "w") as f:       # where master.cf's pipe looks
            f.write(open(p.conf).read())
        master = substitute(contrib("master.cf.snippet"), subst)
        if master_filter is not None:
            master = master_filter(master)
        pf.configure(substitute(contrib("main.cf.snippet"), subst), master)
        with open(os.path.join(pf.etc, "transport"), "w") as f:
            f.write(transport(pipe))
        pf.run("postmap", "hash:" + os.path.join(pf.etc, "transport"))
        pf.backdate()
        p.make_list(LIST, MEMBERS)
        pf.start()
        p.start()
        try:
            yield p, pf, sink, subst
        except BaseException:
            print(pf.read_log()[-4000:])
            print(p.read_log()[-4000:])
            raise


def swaks(pf, to, sender="alice@example.net", body="Hello, list.",
          subject="hello"):
    """One message into Postfix's smtpd; (exit code, transcript)."""
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % pf.smtp_port,
                        "--from", sender, "--to", to, "--helo", "c.example",
                        "--header", "Subject: " + subject, "--body", body],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def sink_to(sink, rcpt):
    """Messages smtp-sink received for rcpt (its dump lists RCPT TO)."""
    pat = re.compile(rb"^X-Rcpt-Args: <%s>" % re.escape(rcpt.encode()),
                     re.M | re.I)
    return [m for m in sink.messages() if pat.search(m)]


def test_post_through_postfix_reaches_members():
    with site() as (p, pf, sink, subst):
        sock = os.path.join(pf.spool, "postino", "lmtp")
        st = os.stat(sock)
        assert oct(st.st_mode & 0o777) == oct(0o660), oct(st.st_mode)
        assert st.st_gid == _gid("postfix"), st.st_gid
        code, out = swaks(pf, LIST, subject="through postfix")
        assert code == 0, out
        for m in MEMBERS:
            wait_for(lambda: sink_to(sink, m), 30, "a copy for " + m)
        log = pf.read_log()
        assert re.search(r"to=<%s>, relay=.*lmtp.*status=sent" %
                         re.escape(LIST), log), log[-2000:]
        wait_for(lambda: not pf.queued(), 30, "an empty Postfix queue")


def test_unknown_list_refused_at_rcpt_without_bounce():
    with site() as (p, pf, sink, subst):
        # The check README tells the administrator to run.
        smap = "socketmap:unix:/var/spool/postfix/postino/socketmap:recipients"
        smap = substitute(smap, subst)
        assert pf.run("postmap", "-q", LIST, smap).stdout.strip() == "postino"
        for key in ("nosuch@" + DOMAIN, "@" + DOMAIN, "team"):
            assert pf.run("postmap", "-q", key, smap,
                          check=False).returncode == 1, key
        code, out = swaks(pf, "nosuch@" + DOMAIN,
                          sender="forged@victim.example")
        assert code != 0 and "<** 550 5.1.1" in out, out
        log = pf.read_log()
        assert "NOQUEUE: reject: RCPT" in log and "nosuch@" + DOMAIN in log
        # A post to the real list still goes through: the queue then
        # empties, and nothing ever went to the forged sender.
        assert swaks(pf, LIST)[0] == 0
        wait_for(lambda: sink_to(sink, MEMBERS[0]), 30, "the real post")
        wait_for(lambda: not pf.queued(), 30, "an empty Postfix queue")
        assert not sink_to(sink, "forged@victim.example")
        assert "sender non-delivery notification" not in pf.read_log()
        # postino down: Postfix cannot ask, so it defers (README step 3).
        p.stop()
        code, out = swaks(pf, LIST)
        assert code != 0 and "<** 451" in out, out
        assert not pf.queued()


def test_socket_group_error_names_the_path():
    """A group postino may not give its socket to stops serve with an
    error that names the socket, before anything listens."""
    subprocess.run(["sh", "-c", account_line()], check=True)
    with Postino() as p:
        os.chmod(p.dir, 0o755)
        run = tempfile.mkdtemp(prefix="postino-run-")
        try:
            shutil.chown(run, "postino")
            sock = os.path.join(run, "lmtp")
            p.settings.update(lmtp_listen="unix:" + sock, smtp_listen="off",
                              lmtp_socket_group="root")
            with open(p.conf, "w") as f:
                f.write("".join("%s = %s\n" % kv for kv in
                                p.settings.items()))
            shutil.chown(p.dir, "postino")
            p.wrap = ["setpriv", "--reuid=postino", "--regid=postino",
                      "--init-groups"]
            try:
                p.start()
                raise AssertionError("serve started")
            except RuntimeError:
                pass
            assert p.proc.wait(10) != 0
            log = p.read_log()
            assert "%s: chown to group 'root'" % sock in log, log
            assert not os.path.exists(sock)
        finally:
            shutil.rmtree(run, ignore_errors=True)


def test_request_and_extension_accepted_and_answered_nonsense_refused():
    with site() as (p, pf, sink, subst):
        code, out = swaks(pf, "team-request@" + DOMAIN, body="help",
                          subject="help", sender="carol@example.net")
        assert code == 0, out
        code, out = swaks(pf, "team+subscribe@" + DOMAIN,
                          sender="newbie@example.net", subject="join")
        assert code == 0, out
        wait_for(lambda: sink_to(sink, "carol@example.net"), 30,
                 "the answer to team-request@")
        wait_for(lambda: sink_to(sink, "newbie@example.net"), 30,
                 "the confirmation request for team+subscribe@")
        # An extension the list does not have is refused at RCPT time,
        # by the socketmap look-up, like an unknown list.
        smap = substitute("socketmap:unix:/var/spool/postfix/postino/"
                          "socketmap:recipients", subst)
        for key in ("team+subscribe@", "team+confirm-%s@" % ("a" * 26),
                    "team-request@"):
            assert pf.run("postmap", "-q", key + DOMAIN, smap,
                          check=False).stdout.strip() == "postino", key
        assert pf.run("postmap", "-q", "team+nonsense@" + DOMAIN, smap,
                      check=False).returncode == 1
        code, out = swaks(pf, "team+nonsense@" + DOMAIN)
        assert code != 0 and "<** 550 5.1.1" in out, out


def test_pipe_transport_delivers_as_postino():
    with site(pipe=True) as (p, pf, sink, subst):
        code, out = swaks(pf, LIST, subject="through the pipe")
        assert code == 0, out
        for m in MEMBERS:
            wait_for(lambda: sink_to(sink, m), 30, "a copy for " + m)
        log = pf.read_log()
        assert re.search(r"relay=postino-pipe.*status=sent", log), log[-2000:]
        code, out = swaks(pf, "nosuch@" + DOMAIN)
        assert code != 0 and "<** 550" in out, out


def test_readme_shows_the_tested_files():
    """Every line of the files the tests apply appears, indented, in the
    README the administrator follows, so the two cannot drift apart."""
    readme = contrib("README")
    for name in ("setup.sh", "postino.conf.snippet", "main.cf.snippet",
                 "transport"):
        for line in contrib(name).splitlines():
            line = line.strip()
            if line.startswith("#" + DOMAIN):
                line = line[1:]         # the pipe alternative, shown plain
            if not line or line.startswith("#") or line == "set -eu":
                continue
            assert "    " + line + "\n" in readme, (name, line)


def test_systemd_unit_matches_the_postfix_layout():
    """contrib/systemd/postino.service runs as postino (not group
    postfix), sandboxed, and may write the socket directory of
    postino.conf.snippet; systemd-analyze verify accepts it when the
    machine has systemd-analyze (the binary path is the one under test)."""
    with open(REPO / "contrib" / "systemd" / "postino.service") as f:
        unit = f.read()
    conf = conf_lines(contrib("postino.conf.snippet"))
    sockdir = os.path.dirname(conf["lmtp_listen"][5:])
    assert sockdir == os.path.dirname(conf["socketmap_listen"][5:])
    for want in ("User=postino", "Group=postino", "UMask=0027",
                 "StateDirectory=postino", "StateDirectoryMode=0750",
                 "ReadWritePaths=" + sockdir, "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
                 "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                 "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                 "SystemCallFilter=@system-service",
                 "install -d -o postino -g postfix -m 2750 " + sockdir):
        assert want in unit, want
    assert "Group=postfix" not in unit
    if shutil.which("systemd-analyze") is None:
        print("systemd-analyze not installed: unit syntax not verified")
        return
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "postino.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/sbin/postino", POSTINO))
        r = subprocess.run(["systemd-analyze", "verify", path],
                           capture_output=True, text=True)
        assert r.returncode == 0 and "postino.service" not in r.stderr, \
            r.stderr


def _gid(name):
    import grp
    return grp.getgrnam(name).gr_gid
