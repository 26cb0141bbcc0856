"""test_two_nodes.py - two `postino serve` nodes on one PostgreSQL
database (the run's private cluster, pg_instance.py: started here when
POSTINO_TEST_DB is not pgsql), sharing one key file: posts sent to both
nodes' LMTP ports reach every member once; a hold deadline and a digest,
which both nodes' schedulers see due, fire once for the cluster (the
advisory lock of each periodic task, scheduler.c).  Mail is read at
Postfix's smtp-sink.

Two nodes behind one real Postfix whose transport lists both LMTP
destinations (README): with node a killed, Postfix delivers the next
post through node b, and every member gets each post once.

Then a 100,000-member fan-out during which one node is killed with
SIGKILL: the other takes its in-flight ranges over once their lease
(node_lease, short here) expired and finishes the job; every member gets
the post, duplicates at most the killed node's in-flight batches
(relay_connections x relay_batch x relay_pipeline), read at a recording
relay.
"""
import collections
import os
import re
import shutil
import tempfile

import subprocess

import harness
from harness import (Postino, RecordingRelay, SmtpSink, lmtp_send, message,
                     wait_for)
from postfix_instance import Postfix

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


def node(relay, url, key, name, **more):
    """A node; both run on this host, so each is named."""
    settings = {"database": url, "secret_file": key, "retry_min": "1",
                "node_name": name, "node_lease": "6"}
    settings.update(more)
    return Postino(relay="smtp://127.0.0.1:%d" % relay.port,
                   settings=settings)


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


class Cluster:
    """A database of the private cluster and a key file for two nodes."""

    def __init__(self, tag):
        self.pg = harness.pg_cluster()
        self.name = "postino_%s_%d" % (tag, os.getpid())
        self.url = self.pg.create_db(self.name)
        self.keydir = tempfile.mkdtemp(prefix="postino-key-")
        harness.give_to_run_as(self.keydir)
        self.key = os.path.join(self.keydir, "postino.key")

    def sql(self, query):
        return self.pg.psql(query, db=self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pg.drop_db(self.name)
        shutil.rmtree(self.keydir, ignore_errors=True)


def test_two_nodes_on_one_database():
    with Cluster("two") as c, SmtpSink() as sink, \
            node(sink, c.url, c.key, "a") as a, \
            node(sink, c.url, c.key, "b") as b:
        site(a)
        a.start()
        b.start()
        posts_once(sink, c.sql, a, b)
        deadline_once(sink, c.sql, a)
        digest_once(sink, c.sql)


# Two nodes behind one Postfix, as README's "Moving to PostgreSQL" says:
# an LMTP nexthop list (Postfix 3.5 and later) that Postfix tries in
# order, so that mail goes on when the first node is down.
POSTFIX_MAIN = """\
relay_domains = example.org
transport_maps = hash:{etc}/transport
recipient_delimiter = +
"""


def swaks(pf, subject):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % pf.smtp_port,
                        "--from", MEMBERS[0], "--to", LIST,
                        "--helo", "c.example", "--header",
                        "Subject: " + subject, "--body", "Hello."],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_two_nodes_behind_one_postfix_fail_over():
    with Cluster("mta") as c, SmtpSink() as sink, \
            node(sink, c.url, c.key, "a") as a, \
            node(sink, c.url, c.key, "b") as b, \
            Postfix(relay_port=sink.port) as pf:
        site(a)
        a.start()
        b.start()
        pf.configure(POSTFIX_MAIN.format(etc=pf.etc), "")
        with open(os.path.join(pf.etc, "transport"), "w") as f:
            f.write("%s lmtp:[127.0.0.1]:%d, [127.0.0.1]:%d\n" %
                    (LIST, a.lmtp_port, b.lmtp_port))
        pf.run("postmap", "hash:" + os.path.join(pf.etc, "transport"))
        pf.backdate()
        pf.start()
        try:
            swaks(pf, "while both run")
            wait_for(lambda: all(count(sink, m, "while both run") == 1
                                 for m in MEMBERS), 60, "the first post")
            assert re.search(r"to=<%s>, relay=127\.0\.0\.1\[127\.0\.0\.1\]"
                             r":%d.*status=sent" % (re.escape(LIST),
                                                    a.lmtp_port),
                             pf.read_log()), "not through node a"
            a.kill9()
            swaks(pf, "with node a down")
            wait_for(lambda: all(count(sink, m, "with node a down") == 1
                                 for m in MEMBERS), 60,
                     "the second post, through node b")
            assert re.search(r"to=<%s>, relay=127\.0\.0\.1\[127\.0\.0\.1\]"
                             r":%d.*status=sent" % (re.escape(LIST),
                                                    b.lmtp_port),
                             pf.read_log()), "not through node b"
            wait_for(lambda: not pf.queued(), 30, "an empty Postfix queue")
            wait_for(lambda: idle(c.sql), 60, "the cluster idle")
            for m in MEMBERS:
                for subj in ("while both run", "with node a down"):
                    assert count(sink, m, subj) == 1, (m, subj)
        except BaseException:
            print(pf.read_log()[-3000:])
            raise


N = 100000
BATCH = 100
CONNS = 4
PIPELINE = 8


def test_kill9_one_node_mid_fanout_the_other_finishes():
    members = ["user%06d@example.org" % i for i in range(N)]
    more = {"relay_batch": str(BATCH), "relay_connections": str(CONNS),
            "relay_pipeline": str(PIPELINE), "log_level": "info",
            "node_lease": "4"}
    with Cluster("kill") as c, RecordingRelay() as relay, \
            node(relay, c.url, c.key, "a", **more) as a, \
            node(relay, c.url, c.key, "b", **more) as b:
        # Shared batches (verp = no): the bound on duplicates below.
        a.make_list("big@example.org", members, verp="no")
        a.start()
        b.start()
        assert lmtp_send(a.lmtp_port, members[0], ["big@example.org"],
                         message(sender=members[0])) == [250]
        wait_for(lambda: len(relay.delivered) > N // 5, 120,
                 "fan-out under way")
        a.kill9()
        at_kill = len(relay.delivered)
        assert at_kill < N, "fan-out finished before the kill"
        # a's ranges in flight, which only b can finish now (a renewed
        # their lease a third of node_lease ago at most).
        held = int(c.sql("SELECT count(*) FROM inflight WHERE node = 'a'")
                   [0][0])
        assert held > 0, "node a had nothing in flight"
        wait_for(lambda: c.sql("SELECT state FROM jobs WHERE kind ="
                               " 'fanout'") == [["done"]], 120,
                 "node b finishing the job")
        b.stop()
        counts = collections.Counter(relay.delivered)
        missing = [m for m in members if counts[m] == 0]
        assert not missing, "%d members never got the post (%s..%s)" % (
            len(missing), missing[0], missing[-1])
        dups = sum(n - 1 for n in counts.values() if n > 1)
        assert dups <= BATCH * CONNS * PIPELINE, "%d duplicates" % dups
        assert set(counts) == set(members)
        print("    node a killed after %d deliveries with %d range(s) in"
              " flight; %d duplicates" % (at_kill, held, dups))
