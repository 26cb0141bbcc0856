"""test_two_nodes.py - two `postino serve` nodes on one PostgreSQL
database (the run's private cluster, pg_instance.py: started here when
POSTINO_TEST_DB is not pgsql), sharing one key file: posts sent to both
nodes' LMTP ports reach every member once; a hold deadline and a digest,
which both nodes' schedulers see due, fire once for the cluster (the
advisory lock of each periodic task, scheduler.c).  Mail is read at
Postfix's smtp-sink.
"""
import os
import re
import shutil
import tempfile

import harness
from harness import Postino, SmtpSink, lmtp_send, message, wait_for

LIST = "team@example.org"
MOD = "mia@example.org"
MEMBERS = ["m%d@example.org" % i for i in range(1, 6)]
DIGEST = "dig@example.net"
OUTSIDER = "out@example.net"
POSTS = 10


def rcpts_and_subjects(sink):
    """(envelope recipient, Subject) of each copy at the sink."""
    out = []
    for raw in sink.messages():
        head = raw.partition(b"\r\n\r\n")[0].partition(b"\n\n")[0]
        subj = re.search(rb"(?mi)^Subject: (.*?)\r?$", head)
        subj = subj.group(1).decode(errors="replace") if subj else ""
        env = raw.partition(b"\nReceived:")[0]
        for r in re.findall(rb"(?m)^X-Rcpt-Args: (\S+)", env):
            out.append((r.decode().strip("<> \r"), subj))
    return out


def count(sink, rcpt, text):
    return sum(1 for r, s in rcpts_and_subjects(sink)
               if r == rcpt and text in s)


def idle(sql):
    """Nothing left to process or deliver, cluster-wide."""
    return sql("SELECT (SELECT count(*) FROM inbox) +"
                 " (SELECT count(*) FROM jobs WHERE state = 'active')") == \
        [["0"]]


def node(sink, url, key, name):
    """A node; both run on this host, so each is named."""
    return Postino(relay="smtp://127.0.0.1:%d" % sink.port,
                   settings={"database": url, "secret_file": key,
                             "retry_min": "1", "node_name": name,
                             "node_lease": "6"})


def site(a):
    a.cli("list", "create", LIST, "--moderator", MOD)
    a.cli("member", "import", LIST, "-",
          input="".join(m + "\n" for m in MEMBERS).encode())
    a.cli("member", "add", LIST, DIGEST, "--mode", "digest")
    a.cli("list", "set", LIST, "hold_deadline", "4s")
    a.cli("list", "set", LIST, "hold_default", "reject")
    a.cli("list", "set", LIST, "digest_size", "0")


def posts_once(sink, sql, a, b):
    for i in range(POSTS):
        lmtp_send((a, b)[i % 2].lmtp_port, MEMBERS[0], [LIST],
                  message(sender=MEMBERS[0], subject="post %d" % i))
    wait_for(lambda: all(count(sink, m, "post %d" % i) >= 1
                         for m in MEMBERS for i in range(POSTS)), 60,
             "every post at every member")
    wait_for(lambda: idle(sql), 60, "the cluster idle")
    dup = [(m, i) for m in MEMBERS for i in range(POSTS)
           if count(sink, m, "post %d" % i) != 1]
    assert not dup, "not exactly once: %s" % dup
    assert sql("SELECT count(*) FROM posts") == [[str(POSTS)]]


def deadline_once(sink, sql, a):
    lmtp_send(a.lmtp_port, OUTSIDER, [LIST],
              message(sender=OUTSIDER, subject="held one"))
    wait_for(lambda: sql("SELECT state FROM posts WHERE subject ="
                           " 'held one'") == [["rejected"]], 30,
             "the deadline's rejection")
    wait_for(lambda: count(sink, OUTSIDER, "was not accepted") >= 1 and
             idle(sql), 30, "the author told")
    assert sql("SELECT count(*) FROM modlog WHERE action = 'expired'") \
        == [["1"]]
    assert count(sink, MOD, "Reminder") <= 1
    assert count(sink, OUTSIDER, "was not accepted") == 1, \
        rcpts_and_subjects(sink)
    assert count(sink, OUTSIDER, "waits for a moderator") == 1


def digest_once(sink, sql):
    sql("UPDATE digest_state SET next_due ="
                " extract(epoch FROM now())::bigint")
    wait_for(lambda: sql("SELECT count(*) FROM digests") == [["1"]] and
             idle(sql), 30, "the digest sent")
    wait_for(lambda: count(sink, DIGEST, "digest") >= 1, 30,
             "the digest delivered")
    assert count(sink, DIGEST, "digest") == 1, rcpts_and_subjects(sink)


def test_two_nodes_on_one_database():
    pg = harness.pg_cluster()
    name = "postino_two_%d" % os.getpid()
    url = pg.create_db(name)

    def sql(query):
        return pg.psql(query, db=name)
    keydir = tempfile.mkdtemp(prefix="postino-key-")
    harness.give_to_run_as(keydir)
    key = os.path.join(keydir, "postino.key")
    try:
        with SmtpSink() as sink, node(sink, url, key, "a") as a, \
                node(sink, url, key, "b") as b:
            site(a)
            a.start()
            b.start()
            posts_once(sink, sql, a, b)
            deadline_once(sink, sql, a)
            digest_once(sink, sql)
    finally:
        pg.drop_db(name)
        shutil.rmtree(keydir, ignore_errors=True)
