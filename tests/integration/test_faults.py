"""Faults of the store: a damaged database, a full disk.

A damaged page is found at start (serve exits 78 naming the file and what
PRAGMA quick_check said) or while running (logged once; new mail gets 4xx
instead of 250).  A disk that fills right after posts got 250 loses
nothing: once space returns every post reaches every member exactly once,
nothing is quarantined, and the log says postino waited for space.
"""
import collections
import contextlib
import json
import os
import sqlite3
import subprocess
import tempfile
import threading

from harness import (POSTINO, Client, Postino, RecordingRelay,
                     check_sanitizer, give_to_run_as, lmtp_send, message,
                     sqlite_only, wait_for)

LIST = "team@example.org"
MEMBERS = ["alice@example.org"] + ["m%03d@example.org" % i
                                   for i in range(300)]


def members_leaf(db):
    """(page size, number of the first leaf page of the members table)."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = con.execute("PRAGMA page_size").fetchone()[0]
        pages = [r[0] for r in con.execute(
            "SELECT pageno FROM dbstat WHERE name = 'members'"
            " AND pagetype = 'leaf' ORDER BY pageno")]
    finally:
        con.close()
    assert len(pages) > 1, "members fit in one page: %r" % pages
    return size, pages[0]


def damage(db, size, page):
    """Overwrite the b-tree header and cell pointers of one page."""
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * 64)


def rcpt_code(port, rcpt=LIST):
    with Client(port) as c:
        assert c.cmd("LHLO test.example")[0] == 250
        assert c.cmd("MAIL FROM:<alice@example.org>")[0] == 250
        code, _ = c.cmd("RCPT TO:<%s>" % rcpt)
        c.cmd("QUIT")
        return code


def test_damaged_database_refuses_to_start():
    sqlite_only("it damages a page of the SQLite file")
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        db = p.settings["database"]
        size, page = members_leaf(db)
        damage(db, size, page)
        r = subprocess.run([POSTINO, "-c", p.conf, "serve"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30, cwd=p.dir)
        check_sanitizer(r.stderr, "serve")
        assert r.returncode == 78, (r.returncode, r.stderr)
        assert db in r.stderr, r.stderr
        assert "quick_check" in r.stderr, r.stderr
        assert "damaged" in r.stderr, r.stderr
        assert "ready" not in r.stderr + r.stdout


def test_damage_found_while_running_stops_new_250s():
    sqlite_only("it damages a page of the SQLite file")
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        db = p.settings["database"]
        size, page = members_leaf(db)
        p.start()
        # The ports answer before the start-up check has read every
        # page: damage the file only once that check passed.
        wait_for(lambda: " ready: " in p.read_log(), timeout=30,
                 what="the start-up check passed")
        # The processor and the delivery threads read members only now.
        damage(db, size, page)
        lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                  message(sender="alice@example.org"))
        wait_for(lambda: "malformed" in p.read_log(), timeout=30,
                 what="the damaged page met")
        code = rcpt_code(p.lmtp_port)
        assert 400 <= code < 500, code
        log = p.read_log()
        if os.environ.get("FAULTS_DEBUG"):
            print(log)
        assert log.count("DATABASE DAMAGED") == 1, log
        assert db in log
        assert p.stop() == 0


def test_queue_lists_and_releases_quarantine():
    members = ["alice@example.org", "bob@example.org"]
    with Postino() as p:
        p.make_list(LIST, members)
        body = message(subject="poison", sender="alice@example.org")
        mid = int(p.sql_write(
            "INSERT INTO messages (received, sender, size, body)"
            " VALUES (1, 'alice@example.org', %d, x'%s') RETURNING id"
            % (len(body), body.hex()))[0][0])
        p.sql_write(
            "INSERT INTO quarantine (id, message_id, list_id, rcpt, ext,"
            " attempts, created, max_member) SELECT 7, %d, id, addr, '',"
            " 3, 1, 2 FROM lists" % mid)
        out = p.cli("queue").stdout.decode()
        assert "quarantine 7" in out and "<alice@example.org>" in out, out
        q = json.loads(p.cli("--json", "queue").stdout)
        assert [(r["id"], r["rcpt"], r["sender"], r["attempts"])
                for r in q["quarantine"]] == \
            [(7, LIST, "alice@example.org", 3)], q
        r = p.cli("queue", "release", "8", check=False)
        assert r.returncode == 67, r
        assert b"no quarantined message 8" in r.stderr, r.stderr
        assert p.cli("queue", "release", "x7", check=False).returncode == 65
        p.cli("queue", "release", "7")
        assert json.loads(p.cli("--json", "queue").stdout)["quarantine"] \
            == []
        p.start()
        wait_for(lambda: all(len(p.outbox().get(m, [])) == 1
                             for m in members),
                 timeout=30, what="the released post delivered")
        assert p.stop() == 0


# ---- full disk ---------------------------------------------------------

TMPFS_SIZE = 24 << 20
BIG = 1 << 20       # the size of each post: ingest writes it once,
                    # processing (post, decorated copy) a second time


@contextlib.contextmanager
def small_disk():
    """A tmpfs of TMPFS_SIZE mounted on a fresh directory, for the
    database; unmounted and removed whatever happens."""
    mnt = tempfile.mkdtemp(prefix="postino-tmpfs-")
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                            "size=%d,mode=0700" % TMPFS_SIZE, "tmpfs", mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("cannot mount a tmpfs for the full-disk"
                                 " test (needs root and CAP_SYS_ADMIN): %s"
                                 % r.stderr.strip())
        try:
            give_to_run_as(mnt)
            yield mnt
        finally:
            subprocess.run(["umount", mnt], check=False)
    finally:
        os.rmdir(mnt)


def fill(path, leave):
    """Fill the file system of path with a file, leaving `leave` bytes."""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    filler = os.path.join(path, "filler")
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


def big_post(i):
    line = ("post %d " % i + "x" * 70 + "\r\n")
    body = line * (BIG // len(line))
    return message(subject="big %d" % i, sender="alice@example.org",
                   body=body, msgid="<big%d@test>" % i)


def test_disk_full_after_250_loses_nothing():
    """The processor's transaction fails with SQLITE_FULL right after the
    posts got 250: it waits for space and nothing is lost or doubled."""
    members = ["alice@example.org"] + ["d%02d@example.org" % i
                                       for i in range(20)]
    with small_disk() as mnt, \
            Postino(settings={"database": os.path.join(mnt, "postino.db"),
                              "relay_batch": "5"}) as p:
        p.make_list(LIST, members)
        p.start()
        # Room for the posts as received, not for processing them.
        filler = fill(mnt, BIG + BIG // 2)
        got = [lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                         big_post(i))[0] for i in range(3)]
        assert got[0] == 250, got
        acked = [i for i, c in enumerate(got) if c == 250]
        # (Before the fix: three failures, then quarantine.)
        wait_for(lambda: any(s in p.read_log() for s in (
                 "processor: the database cannot take the work",
                 "quarantined")), timeout=30,
                 what="the processor meeting the full disk")
        os.unlink(filler)

        def delivered():
            out = p.outbox()
            return all(len(out.get(m, [])) == len(acked) for m in members)
        wait_for(delivered, timeout=90, what="every post delivered")
        wait_for(lambda: p.sql("SELECT count(*) FROM jobs WHERE state ="
                               " 'active'") == [["0"]],
                 timeout=60, what="jobs done")
        assert p.stop() == 0
        out = p.outbox()
        for m in members:
            subjects = sorted(b.split(b"Subject: ", 1)[1][:40]
                              for b in out[m])
            assert len(subjects) == len(set(subjects)) == len(acked), \
                (m, subjects)
        assert p.sql("SELECT count(*) FROM quarantine") == [["0"]]
        q = p.cli("--json", "queue").stdout.decode()
        assert '"quarantine": []' in q, q
        log = p.read_log()
        assert "quarantined" not in log, log
        assert log.count("waiting for space") == 1, log


def test_disk_full_before_outcome_recorded_sends_once():
    """The disk fills while the relay holds a batch: its outcome cannot
    be written.  The batch must not stay in flight until a restart, nor
    go out twice: every member gets the post exactly once."""
    members = ["alice@example.org"] + ["r%02d@example.org" % i
                                       for i in range(20)]
    held, go = threading.Event(), threading.Event()

    def rcpt_reply(addr):
        if not held.is_set():
            held.set()
            go.wait(60)
        return "250 2.1.5 ok"
    with small_disk() as mnt, RecordingRelay(rcpt_reply=rcpt_reply) as relay, \
            Postino(relay="smtp://127.0.0.1:%d" % relay.port,
                    settings={"database": os.path.join(mnt, "postino.db"),
                              "relay_batch": "5",
                              "relay_connections": "1"}) as p:
        p.make_list(LIST, members)
        p.start()
        assert lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                         message(sender="alice@example.org")) == [250]
        assert held.wait(30), "no batch reached the relay"
        filler = fill(mnt, 0)
        go.set()
        wait_for(lambda: any(s in p.read_log() for s in (
                 "queue 0: the database cannot take the work",
                 "cannot record the outcome")), timeout=30,
                 what="the delivery thread meeting the full disk")
        os.unlink(filler)
        wait_for(lambda: p.sql("SELECT state FROM jobs") == [["done"]],
                 timeout=60, what="job done")
        counts = collections.Counter(relay.delivered)
        assert p.stop() == 0
        assert counts == collections.Counter(members), counts
        assert p.sql("SELECT count(*) FROM inflight") == [["0"]]
        log = p.read_log()
        if os.environ.get("FAULTS_DEBUG"):
            print(log)
        assert log.count("waiting for space") == 1, log
