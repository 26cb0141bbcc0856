"""Receiving and redistributing: the spine of postino, end to end.

Each test starts the real daemon with its own directory and ports, posts
over LMTP/SMTP or the pipe, and reads what reached the maildir transport
or a relay.
"""
import email
import email.policy
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import time

from harness import (POSTINO, Client, Postino, RecordingRelay, SmtpSink,
                     free_port, lmtp_send, message, wait_for)

LIST = "team@example.org"
MEMBERS = ["alice@example.org", "bob@example.net", "Carol@Example.COM"]


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def delivered_to(p, n, timeout=30):
    return wait_for(lambda: p.outbox() if sum(map(len, p.outbox().values()))
                    >= n else None, timeout, "%d deliveries" % n)


def test_member_post_reaches_every_member_with_list_headers():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        codes = lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                          message(subject="Welcome all"))
        assert codes == [250]
        box = delivered_to(p, 3)
        assert sorted(box) == ["alice@example.org", "bob@example.net",
                               "carol@example.com"]
        m = parse(box["bob@example.net"][0])
        assert m["List-Id"].endswith("<team.example.org>")
        assert m["List-Post"] == "<mailto:team@example.org>"
        # VERP by default: each copy is the member's own, and so is its
        # leave address (a MAC over list and member: personal.c).
        assert re.fullmatch(r"<mailto:team\+u-[a-z2-7]+-[a-z2-7]{16}"
                            r"@example\.org>", m["List-Unsubscribe"]), \
            m["List-Unsubscribe"]
        assert m["List-Help"] == "<mailto:team+help@example.org>"
        assert m["List-Subscribe"] == "<mailto:team+subscribe@example.org>"
        assert m["List-Owner"] == "<mailto:team+owner@example.org>"
        assert m["Precedence"] == "list"
        assert m["Subject"] == "[team] Welcome all"
        # The envelope sender is the member's own bounce address (VERP).
        assert re.fullmatch(r"<team\+bounces-[a-z2-7]{8}-[a-z2-7]+"
                            r"@example\.org>", m["Return-Path"]), \
            m["Return-Path"]
        assert "team+unsubscribe@example.org" in m.get_content()
        assert p.stop() == 0


def test_reply_subject_prefix_not_doubled():
    with Postino() as p:
        p.make_list(LIST, MEMBERS[:1])
        p.start()
        lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                  message(subject="Re: [team] plans"))
        box = delivered_to(p, 1)
        assert parse(box["alice@example.org"][0])["Subject"] == \
            "Re: [team] plans"


def test_nonmember_post_is_held_and_listed():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        assert lmtp_send(p.lmtp_port, "mallory@evil.example", [LIST],
                         message(sender="mallory@evil.example",
                                 subject="Buy now")) == [250]
        wait_for(lambda: p.sql("SELECT state FROM posts") == [["held"]],
                 what="held post")
        out = p.cli("mod", "ls", LIST).stdout.decode()
        assert "Buy now" in out and "mallory@evil.example" in out
        # The author is told (and only the author: no member got it).
        box = wait_for(lambda: p.outbox() or None, what="held notice")
        assert list(box) == ["mallory@evil.example"]
        notice = parse(box["mallory@evil.example"][0])
        assert "moderator" in notice["Subject"]
        assert "Buy now" in notice.get_content()


def test_loops_and_automatic_mail_are_never_redistributed():
    cases = [
        ("alice@example.org", ["List-Id: Team <team.example.org>"]),
        ("alice@example.org", ["X-Loop: team@example.org"]),
        ("alice@example.org", ["Auto-Submitted: auto-replied"]),
        ("alice@example.org", ["Precedence: bulk"]),
        ("alice@example.org", ["X-Autoreply: yes"]),
        ("", []),       # null sender
    ]
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        for sender, headers in cases:
            assert lmtp_send(p.lmtp_port, sender, [LIST],
                             message(headers=headers)) == [250]
        wait_for(lambda: len(p.sql("SELECT id FROM posts")) == len(cases),
                 what="all posts decided")
        assert p.sql("SELECT DISTINCT state FROM posts") == [["discarded"]]
        assert p.sql("SELECT count(*) FROM jobs") == [["0"]]
        assert p.outbox() == {}


def test_unknown_recipient_refused_at_rcpt_and_extensions_accepted():
    with Postino() as p:
        p.make_list(LIST)
        p.start()
        with Client(p.lmtp_port) as c:
            c.cmd("LHLO x")
            c.cmd("MAIL FROM:<a@example.org>")
            assert c.cmd("RCPT TO:<nobody@example.org>")[0] == 550
            assert c.cmd("RCPT TO:<TEAM@Example.ORG>")[0] == 250
            assert c.cmd("RCPT TO:<team+subscribe@example.org>")[0] == 250
            assert c.cmd("RCPT TO:<team-request@example.org>")[0] == 250
            assert c.cmd("RCPT TO:<team+@example.org>")[0] == 550
            assert c.cmd("RCPT TO:<other+x@example.org>")[0] == 550


# Every command address README documents, and the token forms postino
# mails out (shapes only: a wrong token or MAC is answered, not refused).
TOK = "abcdefghijklmnopqrstuvwx23"
LINK_ID, LINK_MAC = "aaaaaaab", "abcdefgh23456777"
DOCUMENTED = (["team@example.org", "team-request@example.org",
               "team-owner@example.org"] +
              ["team+%s@example.org" % e for e in (
                  "subscribe", "unsubscribe", "digest", "nomail", "each",
                  "digest-plain", "digest-mime", "follow", "mute", "help",
                  "owner", "rules", "log", "request", "join", "leave",
                  "signoff", "remove", "info", "bounces",
                  "bounces-%s-%s" % (LINK_ID, LINK_MAC),
                  "confirm-" + TOK, "approve-" + TOK, "reject-" + TOK,
                  "appeal-" + TOK, "uphold-" + TOK, "overturn-" + TOK,
                  "post-" + TOK,
                  "u-%s-%s" % (LINK_ID, LINK_MAC),
                  "d-%s-%s" % (LINK_ID, LINK_MAC),
                  "m-%s-%s-%s" % (LINK_ID, LINK_ID, LINK_MAC))] +
              ["TEAM+Subscribe@Example.ORG", "Team-Request@example.org"])
NONSENSE = ["team+nonsense@example.org", "TEAM+NonSense@example.org",
            "team+anything@example.org", "team+confirm@example.org",
            "team+set@example.org", "team+digest-foo@example.org",
            "team+u-garbage@example.org", "team+bouncesx@example.org",
            "team+post@example.org"]


def rcpt_codes(port, greeting, rcpts):
    """The reply code of each RCPT TO, in one transaction."""
    with Client(port) as c:
        c.cmd(greeting)
        assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
        return {r: c.cmd("RCPT TO:<%s>" % r)[0] for r in rcpts}


def socketmap_answers(port, keys):
    """Postfix socketmap look-ups of keys: the answer to each."""
    out = {}
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        f = s.makefile("rb")
        for k in keys:
            q = ("recipients " + k).encode()
            s.sendall(b"%d:%s," % (len(q), q))
            n = b""
            while not n.endswith(b":"):
                n += f.read(1)
            out[k] = f.read(int(n[:-1]) + 1)[:-1].decode()
    return out


def test_unknown_extension_refused_at_rcpt_documented_ones_accepted():
    smap = free_port()
    with Postino(settings={"socketmap_listen": "127.0.0.1:%d" % smap}) as p:
        p.make_list(LIST)
        p.start()
        for port, greeting in ((p.lmtp_port, "LHLO x"),
                               (p.smtp_port, "EHLO x")):
            codes = rcpt_codes(port, greeting, DOCUMENTED + NONSENSE)
            assert {r: codes[r] for r in DOCUMENTED} == \
                {r: 250 for r in DOCUMENTED}, (greeting, codes)
            assert {r: codes[r] for r in NONSENSE} == \
                {r: 550 for r in NONSENSE}, (greeting, codes)
            with Client(port) as c:
                c.cmd(greeting)
                c.cmd("MAIL FROM:<a@example.org>")
                code, text = c.cmd("RCPT TO:<team+nonsense@example.org>")
                assert code == 550 and "5.1.1" in " ".join(text), text
        answers = socketmap_answers(smap, DOCUMENTED + NONSENSE)
        assert {k: answers[k] for k in DOCUMENTED} == \
            {k: "OK postino" for k in DOCUMENTED}, answers
        assert {k: answers[k] for k in NONSENSE} == \
            {k: "NOTFOUND " for k in NONSENSE}, answers
        # Nothing was taken in: no mail to answer later.
        assert p.sql("SELECT count(*) FROM inbox") == [["0"]]


def test_late_joiner_does_not_get_earlier_post():
    with Postino() as p:
        p.make_list(LIST, MEMBERS[:1])
        p.start()
        # Stop delivery before the post, so the join happens in between.
        assert lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                         message()) == [250]
        p.cli("member", "add", LIST, "late@example.org")
        box = delivered_to(p, 1)
        time.sleep(1)
        assert list(p.outbox()) == ["alice@example.org"]
        lmtp_send(p.lmtp_port, "alice@example.org", [LIST], message())
        wait_for(lambda: "late@example.org" in p.outbox(), what="late")
        del box


def test_smtp_listener_and_swaks_peer():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        r = subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % p.smtp_port,
             "--from", "alice@example.org", "--to", LIST,
             "--header", "Subject: via swaks", "--silent", "2"],
            capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        box = delivered_to(p, 3)
        assert parse(box["alice@example.org"][0])["Subject"] == \
            "[team] via swaks"


def test_lmtp_multi_list_one_reply_per_recipient():
    with Postino() as p:
        p.make_list(LIST, MEMBERS[:1])
        p.make_list("other@example.org", ["zed@example.org"])
        p.start()
        codes = lmtp_send(p.lmtp_port, "alice@example.org",
                          [LIST, "nobody@example.org", "other@example.org",
                           LIST], message())
        assert codes == [250, None, 250, 250]


def test_pipe_mode_exit_codes():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)

        def deliver(rcpt, data, sender="alice@example.org"):
            return subprocess.run(
                [POSTINO, "-c", p.conf, "deliver", "--recipient", rcpt,
                 "--sender", sender], input=data, capture_output=True,
                cwd=p.dir, timeout=60)

        lf = message(subject="piped").replace(b"\r\n", b"\n")
        r = deliver(LIST, lf)
        assert r.returncode == 0, r.stderr
        assert deliver("nobody@example.org", lf).returncode == 67
        assert deliver("team+nonsense@example.org", lf).returncode == 67
        assert deliver(LIST, b"no headers at all").returncode == 65
        assert deliver(LIST, b"From: a@b\rSubject: x\n\nbody\n").returncode \
            == 65
        # Queued while no daemon runs; delivered once it starts.
        p.start()
        box = delivered_to(p, 3)
        m = parse(box["alice@example.org"][0])
        assert m["Subject"] == "[team] piped"
        if p.pg_db is not None:
            return      # a read-only SQLite file: not for PostgreSQL
        os.chmod(p.settings["database"], 0o400)
        try:
            if os.geteuid() != 0:
                assert deliver(LIST, lf).returncode == 75
        finally:
            os.chmod(p.settings["database"], 0o600)


def test_relay_smtp_sink_receives_fanout():
    with SmtpSink() as sink:
        with Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
            p.make_list(LIST, ["m%d@example.org" % i for i in range(250)])
            p.start()
            lmtp_send(p.lmtp_port, "m1@example.org", [LIST],
                      message(subject="to the sink"))
            wait_for(lambda: p.sql("SELECT sent FROM jobs") == [["250"]],
                     what="250 sent")
            msgs = sink.messages()
            assert len(msgs) >= 3      # 3 transactions of <= 100
            assert all(b"[team] to the sink" in m for m in msgs)


def test_relay_faults_retry_and_bounce():
    def rcpt_reply(addr):
        if addr.startswith("gone"):
            return "550 5.1.1 no such user"
        if addr.startswith("later"):
            return "450 4.2.0 try later"
        return "250 2.1.5 ok"

    with RecordingRelay(rcpt_reply=rcpt_reply) as relay:
        settings = {"retry_min": "1", "retry_max": "2"}
        with Postino(relay="smtp://127.0.0.1:%d" % relay.port,
                     settings=settings) as p:
            p.make_list(LIST, ["ok1@example.org", "gone@example.org",
                               "later@example.org", "ok2@example.org"])
            p.start()
            lmtp_send(p.lmtp_port, "ok1@example.org", [LIST], message())
            wait_for(lambda: p.sql("SELECT addr, code FROM bounces") ==
                     [["gone@example.org", "550"]], what="bounce")
            wait_for(lambda: relay.delivered.count("ok1@example.org") == 1,
                     what="delivery")
            # The deferred member is retried with back-off.
            wait_for(lambda: p.sql("SELECT attempts FROM retries"
                                   " WHERE addr='later@example.org'")
                     in ([["2"]], [["3"]]), timeout=20, what="retries")
            out = p.cli("queue").stdout.decode()
            assert "later@example.org" in out and "450" in out


def test_relay_down_then_up_delivers_with_backoff():
    port = free_port()              # nothing listens there yet
    with Postino(relay="smtp://127.0.0.1:%d" % port) as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        lmtp_send(p.lmtp_port, "alice@example.org", [LIST], message())
        wait_for(lambda: "next try in 2s" in p.read_log(), timeout=20,
                 what="growing back-off")
        assert "next try in 1s" in p.read_log()
        # Nothing was claimed while the relay was down.
        assert p.sql("SELECT count(*) FROM retries") == [["0"]]
        with RecordingRelay(port=port) as up:
            wait_for(lambda: len(up.delivered) == 3, timeout=90,
                     what="delivery after the outage")


def test_relay_closed_idle_connection_is_replaced_at_once():
    """A relay closes a connection that sat idle (421, as Postfix and
    Exim do after their timeout): the next post goes out at once on a new
    connection, not after retry_min, and nobody gets it twice."""
    with RecordingRelay(idle_timeout=0.5) as relay:
        with Postino(relay="smtp://127.0.0.1:%d" % relay.port,
                     settings={"relay_connections": "1"}) as p:
            # One shared transaction per post (no VERP) to count them.
            p.make_list(LIST, MEMBERS, verp="no")
            p.start()
            for n in (1, 2, 3):
                lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                          message(subject="post %d" % n))
                wait_for(lambda: len(relay.transactions) == n,
                         what="post %d at the relay" % n)
                # The worker's connection goes idle and the relay
                # closes it.
                wait_for(lambda: relay.idle_closed >= n,
                         what="the relay closing the idle connection")
            assert sorted(relay.delivered) == sorted(
                ["alice@example.org", "bob@example.net",
                 "Carol@example.com"] * 3)
            assert p.sql("SELECT count(*) FROM retries") == [["0"]]
            assert p.read_log().count("the relay had closed the idle"
                                      " connection") >= 2


def test_relay_drops_connection_mid_data_batch_retried():
    with RecordingRelay(fail_mode="drop_in_data") as relay:
        settings = {"retry_min": "1", "retry_max": "1"}
        with Postino(relay="smtp://127.0.0.1:%d" % relay.port,
                     settings=settings) as p:
            p.make_list(LIST, MEMBERS)
            p.start()
            body = "line\r\n" * 50
            lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                      message(body=body))
            wait_for(lambda: p.sql("SELECT count(*) FROM retries") ==
                     [["3"]], what="deferred batch")
            relay.fail_mode = None
            # Local parts keep their case; domains are lower-cased.
            wait_for(lambda: sorted(relay.delivered) == sorted(
                ["alice@example.org", "bob@example.net",
                 "Carol@example.com"]), timeout=30, what="resend")
            wait_for(lambda: p.sql("SELECT state, sent FROM jobs") ==
                     [["done", "3"]], what="job done")


def test_sigterm_exits_cleanly_and_sighup_reloads():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        with open(p.conf, "a") as f:
            f.write("relay_batch = 7\n")
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload" in p.read_log(), what="reload")
        with open(p.conf, "a") as f:
            f.write("bogus_key = 1\n")
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "unknown setting 'bogus_key'" in p.read_log(),
                 what="reload error")
        # Still serving after a bad reload.
        assert lmtp_send(p.lmtp_port, "alice@example.org", [LIST],
                         message()) == [250]
        delivered_to(p, 3)
        assert p.stop() == 0


def test_moderator_approves_or_rejects_from_the_shell():
    with Postino() as p:
        p.cli("list", "create", LIST, "--moderator", "mod@example.org")
        p.cli("member", "import", LIST, "-", input="".join(
            m + "\n" for m in MEMBERS[:2]).encode())
        p.cli("member", "add", LIST, "mod@example.org")
        p.start()
        for subj in ("first", "second"):
            lmtp_send(p.lmtp_port, "out@example.net", [LIST],
                      message(sender="out@example.net", subject=subj))
        wait_for(lambda: len(p.sql("SELECT id FROM posts WHERE state ="
                                   " 'held'")) == 2, what="held")
        ids = dict((s, i) for i, s in p.sql("SELECT id, subject FROM posts"))
        shown = p.cli("mod", "show", LIST, ids["first"]).stdout.decode()
        assert "Subject: first" in shown
        r = p.cli("mod", "reject", LIST, ids["second"], check=False)
        assert r.returncode == 64          # a rejection needs a reason
        p.cli("mod", "approve", LIST, ids["first"], "--as",
              "mod@example.org")
        p.cli("mod", "reject", LIST, ids["second"], "--reason",
              "off topic here", "--as", "mod@example.org")
        # The first decision wins; the second attempt changes nothing.
        r = p.cli("mod", "approve", LIST, ids["second"], check=False)
        assert r.returncode == 73
        assert b"already rejected by mod@example.org" in r.stderr
        # Nobody decides on a post of his own.
        lmtp_send(p.lmtp_port, "mod@example.org", [LIST],
                  message(sender="mod@example.org", subject="mine"))
        p.cli("member", "set", LIST, "mod@example.org", "moderated", "yes")
        lmtp_send(p.lmtp_port, "mod@example.org", [LIST],
                  message(sender="mod@example.org", subject="mine too"))
        wait_for(lambda: p.sql("SELECT state FROM posts WHERE subject ="
                               " 'mine too'") == [["held"]], what="held 3")
        own = p.sql("SELECT id FROM posts WHERE subject = 'mine too'")[0][0]
        r = p.cli("mod", "approve", LIST, own, "--as", "mod@example.org",
                  check=False)
        assert r.returncode == 65 and b"his own" in r.stderr
        # Approved: every member gets it; rejected: the author is told.
        # Each member's copy is a transaction of its own (VERP): wait
        # for all three.
        box = wait_for(lambda: p.outbox() if sum(
            any(b"[team] first" in m for m in ms)
            for ms in p.outbox().values()) == 3
            and "out@example.net" in p.outbox() else None, what="mail")
        got = [r for r, ms in box.items()
               if any(b"[team] first" in m for m in ms)]
        assert sorted(got) == ["alice@example.org", "bob@example.net",
                               "mod@example.org"]
        told = [parse(m) for m in box["out@example.net"]]
        rejected = [m for m in told if "not accepted" in m["Subject"]]
        assert rejected and "off topic here" in rejected[0].get_content()
        # Every decision is in the verifiable log.
        log = p.cli("log", "show", LIST).stdout.decode()
        for word in ("held", "approved", "rejected"):
            assert word in log
        assert b"chain intact" in p.cli("log", "verify", LIST).stdout


def test_mod_as_names_a_reviewer_else_the_shell_user():
    """--as must name a current owner or moderator (77 otherwise, nothing
    decided); without --as the log names the shell user, never a
    moderator."""
    with Postino() as p:
        p.cli("list", "create", LIST, "--owner", "own@example.org",
              "--moderator", "mod@example.org")
        p.start()
        for subj in ("one", "two", "three"):
            lmtp_send(p.lmtp_port, "out@example.net", [LIST],
                      message(sender="out@example.net", subject=subj))
        wait_for(lambda: len(p.sql("SELECT id FROM posts WHERE state ="
                                   " 'held'")) == 3, what="held")
        ids = dict((s, i) for i, s in p.sql("SELECT id, subject FROM posts"))
        for who in ("stranger@example.org", "out@example.net"):
            r = p.cli("mod", "approve", LIST, ids["one"], "--as", who,
                      check=False)
            assert r.returncode == 77, (r.returncode, r.stderr)
            assert b"not an owner or moderator" in r.stderr
        assert p.sql("SELECT state FROM posts WHERE id = %s" % ids["one"]) \
            == [["held"]]
        p.cli("mod", "approve", LIST, ids["one"], "--as", "MOD@example.org")
        p.cli("mod", "approve", LIST, ids["two"], "--as", "own@example.org")
        p.cli("mod", "reject", LIST, ids["three"], "--reason", "spam")
        me = pwd.getpwuid(os.getuid()).pw_name
        rows = json.loads(p.cli("--json", "log", "show", LIST).stdout)
        by = {e["post_id"]: e["moderator"] for e in rows
              if e["action"] in ("approved", "rejected")}
        assert by == {int(ids["one"]): "mod@example.org",
                      int(ids["two"]): "own@example.org",
                      int(ids["three"]): "shell:" + me}, by
