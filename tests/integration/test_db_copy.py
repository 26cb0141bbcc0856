"""test_db_copy.py - `postino db copy SQLITE_PATH POSTGRES_URL`: a site
built on SQLite by the real daemon (a list, members, an archived post, a
held post, a rejected one and so a moderation log entry) copied to a
database of the private PostgreSQL cluster (pg_instance.py); every
table's count is the source's, identity sequences continue after the
copied ids; a second copy into the now non-empty target, bad URLs and a
source at an older schema version get precise errors.  Then `postino
serve` on the copy distributes a post sent over LMTP to the copied
members (mail read at Postfix's smtp-sink) and `postino log verify`
passes on the copy.
"""
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import Postino, SmtpSink, lmtp_send, message, wait_for
from test_moderation import LIST, hold_one, setup

EX_USAGE, EX_DATAERR, EX_CANTCREAT, EX_TEMPFAIL = 64, 65, 73, 75
MEMBERS = ["ann@example.org", "bob@example.org"]
TABLES = ("lists", "list_roles", "members", "messages", "posts", "modlog",
          "tokens")


def build_site(sqlite_path):
    """The SQLite site, made by the daemon; its key file's path."""
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port,
                    settings={"database": sqlite_path}) as p:
        setup(p)
        p.start()
        lmtp_send(p.lmtp_port, MEMBERS[0], [LIST],
                  message(sender=MEMBERS[0], subject="archived"))
        wait_for(lambda: len(sink.messages()) >= len(MEMBERS), 30,
                 "the first post distributed")
        hold_one(p, sink, "held one")
        hold_one(p, sink, "rejected one")
        held = p.sql("SELECT id FROM posts WHERE state = 'held' ORDER BY id")
        p.cli("mod", "reject", LIST, held[-1][0], "--reason", "spam")
        p.stop()
        key = os.path.join(os.path.dirname(sqlite_path), "postino.key")
        shutil.copy(p.settings["secret_file"], key)
        harness.give_to_run_as(key)
        counts = {t: p.sql("SELECT count(*) FROM %s" % t)[0][0]
                  for t in TABLES}
    return key, counts


def rcpts_of(sink, subject):
    """The envelope recipients of the sink's messages with subject."""
    out = []
    for raw in sink.messages():
        if re.search(rb"(?m)^Subject: .*" + re.escape(subject), raw):
            head = raw.partition(b"\nReceived:")[0]
            out += [r.decode().strip("<> \r") for r in
                    re.findall(rb"^X-Rcpt-Args: (\S+)", head, re.M)]
    return out


def copy(p, src, url):
    return p.cli("db", "copy", src, url, check=False)


def serve_on_copy(pg, name, url, key):
    """A post over LMTP to the copy reaches every copied member."""
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port,
                    settings={"database": url, "secret_file": key}) as q:
        q.cli("log", "verify", LIST)
        q.start()
        lmtp_send(q.lmtp_port, MEMBERS[1], [LIST],
                  message(sender=MEMBERS[1], subject="after the move"))

        wait_for(lambda: sorted(rcpts_of(sink, b"after the move")) ==
                 sorted(MEMBERS), 30, "the post at both copied members")
        # The new post's id continues after the copied ones.
        assert pg.psql("SELECT id FROM posts WHERE subject = 'after the"
                       " move'", db=name) == [["4"]]


def test_copy_a_site_to_postgresql():
    pg = harness.pg_cluster()
    src_dir = tempfile.mkdtemp(prefix="postino-copy-")
    name = "postino_copy_%d" % os.getpid()
    try:
        harness.give_to_run_as(src_dir)
        src = os.path.join(src_dir, "site.db")
        key, counts = build_site(src)
        harness.give_to_run_as(src_dir)
        assert counts["modlog"] != "0" and counts["posts"] == "3", counts
        url = pg.create_db(name)
        with Postino(settings={"database": src}) as p:
            r = copy(p, src, url)
            err = r.stderr.decode(errors="replace")
            assert r.returncode == 0, err
            assert "postino: db copy: lists: 1/1 row(s)" in err, err
            assert "every table's count matches the source's" in err, err
            for t, n in counts.items():
                assert pg.psql("SELECT count(*) FROM %s" % t, db=name) == \
                    [[n]], t

            r = copy(p, src, url)
            assert r.returncode == EX_CANTCREAT, r
            assert b"the target's table lists holds 1 row(s) already: db" \
                b" copy fills an empty database only" in r.stderr, r.stderr
            r = copy(p, src, "postgresql:///nosuch?host=%s/none" % src_dir)
            assert r.returncode == EX_TEMPFAIL, r
            assert b"/none/.s.PGSQL.5432\" failed" in r.stderr, r.stderr
            r = copy(p, src, "mysql://x/y")
            assert r.returncode == EX_USAGE, r
            assert b"mysql://x/y: not a PostgreSQL URL" in r.stderr
            r = copy(p, os.path.join(src_dir, "none.db"), url)
            assert r.returncode == 66, r
            # A source this postino has not migrated yet.
            old = os.path.join(src_dir, "old.db")
            shutil.copy(src, old)
            subprocess.run(["sqlite3", old, "PRAGMA user_version = 3"],
                           check=True)
            harness.give_to_run_as(old)
            r = copy(p, old, url)
            assert r.returncode == EX_DATAERR, r
            assert b"old.db is at schema version 3, this postino's is" \
                in r.stderr, r.stderr
        serve_on_copy(pg, name, url, key)
    finally:
        pg.drop_db(name)
        shutil.rmtree(src_dir, ignore_errors=True)
