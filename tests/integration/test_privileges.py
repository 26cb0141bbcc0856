"""Privileges and files: started as root, postino binds its listeners
and then becomes the account named by `user`; it refuses to run as root
without one.  Its database, WAL, key and spool are private whatever the
umask.  A start-up failure is an error, printed before any banner.

These tests need root (CI runs as root); as another user they check
what can be checked without it.
"""
import os
import pwd
import socket
import stat
import subprocess

from harness import (POSTINO, RUN_AS, Postino, lmtp_send, message,
                     sqlite_only, wait_for)

LIST = "team@example.org"


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ids(pid):
    """(uids, gids, groups) of a running process, from /proc."""
    got = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, val = line.partition(":")
            got[key] = val.split()
    return ([int(x) for x in got["Uid"]], [int(x) for x in got["Gid"]],
            [int(x) for x in got["Groups"]])


def serve_once(p, *extra):
    return subprocess.run([POSTINO, "-c", p.conf] + list(extra) + ["serve"],
                          capture_output=True, timeout=60, cwd=p.dir)


def test_root_without_user_is_refused():
    if os.geteuid() != 0:
        return
    with Postino(settings={"user": ""}) as p:
        r = serve_once(p)
        err = r.stderr.decode()
        assert r.returncode == 78, (r.returncode, err)
        assert "error: refusing to run as root" in err, err
        assert "user = " in err, err
        assert r.stdout == b""
        assert port_free(p.lmtp_port) and port_free(p.smtp_port)
        assert not os.path.exists(p.settings["database"])
        # An unknown account is refused the same way, by name.
        r = serve_once(p, "-o", "user=no-such-postino-user")
        assert r.returncode == 78
        assert "user no-such-postino-user: no such account" in \
            r.stderr.decode(), r.stderr
        r = p.cli("-o", "user=root", "list", "ls", check=False)
        assert r.returncode == 78 and b"has uid or gid 0" in r.stderr


def test_runs_as_user_with_private_files_whatever_the_umask():
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(RUN_AS)
    with Postino() as p:
        p.make_list(LIST, ["amy@example.com", "bob@example.com"])
        p.start(umask=0)
        uids, gids, groups = ids(p.proc.pid)
        assert uids == [pw.pw_uid] * 4, uids
        assert gids == [pw.pw_gid] * 4, gids
        assert groups == [pw.pw_gid], groups
        assert lmtp_send(p.lmtp_port, "amy@example.com", [LIST],
                         message(sender="amy@example.com", to=LIST)) == [250]
        wait_for(lambda: p.outbox().get("bob@example.com"), what="a copy")
        db = p.settings["database"]
        files = [p.settings["secret_file"]]
        if p.pg_db is None:
            files += [db, db + "-wal", db + "-shm"]
        for root, dirs, names in os.walk(os.path.join(p.dir, "outbox")):
            files += [os.path.join(root, n) for n in dirs + names]
        for f in files:
            st = os.stat(f)
            assert st.st_uid == pw.pw_uid, (f, st.st_uid)
            assert st.st_mode & 0o027 == 0, (f, oct(st.st_mode))
        assert p.stop() == 0


def test_a_readable_database_is_made_private():
    if os.geteuid() != 0:
        return
    sqlite_only("the mode of the SQLite file")
    with Postino() as p:
        p.make_list(LIST)
        db = p.settings["database"]
        os.chmod(db, 0o644)
        p.start()
        wait_for(lambda: "mode 0644 lets others read" in p.read_log(),
                 what="the warning")
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o640
        assert p.stop() == 0


def test_cli_as_root_writes_as_user():
    if os.geteuid() != 0:
        return
    sqlite_only("the owner and mode of the SQLite file")
    with Postino() as p:
        p.cli("list", "create", LIST)
        st = os.stat(p.settings["database"])
        assert st.st_uid == pwd.getpwnam(RUN_AS).pw_uid
        assert stat.S_IMODE(st.st_mode) == 0o600


def test_ports_taken_is_an_error_before_any_banner():
    with Postino() as p, Postino(settings={"demo_list": "demo@localhost"}) \
            as q:
        p.start()
        for k in ("lmtp_listen", "smtp_listen"):
            q.settings[k] = p.settings[k]
        with open(q.conf, "w") as f:
            for k, v in q.settings.items():
                f.write("%s = %s\n" % (k, v))
        r = serve_once(q)
        err = r.stderr.decode()
        assert r.returncode == 71, (r.returncode, err)
        assert r.stdout == b"", r.stdout    # no demo banner
        assert "error: " in err and "Address already in use" in err, err
        assert "warning" not in err and " ready:" not in err, err
        # Nothing was created: the database is opened after binding.
        assert not os.path.exists(q.settings["database"])
        assert p.proc.poll() is None
