"""Moderation by mail: hold, notices with per-moderator tokens, approve
and reject by reply, first decision wins, replays, reasons, rules and
log mails.  Real daemon over LMTP, mails read at Postfix's smtp-sink.
"""
import email
import email.policy
import json
import re

from harness import Postino, SmtpSink, lmtp_send, message, wait_for

LIST = "team@example.org"
MODS = ["mia@example.org", "max@example.org"]


def mails(sink):
    return [email.message_from_bytes(raw, policy=email.policy.default)
            for raw in sink.messages()]


def to(sink, addr, text=None):
    out = []
    for m in mails(sink):
        if addr not in str(m["To"]):
            continue
        body = m.get_body(preferencelist=("plain",)).get_content()
        if text is None or text in body or text in str(m["Subject"]):
            out.append((m, body))
    return out


def wait_to(sink, addr, text=None):
    return wait_for(lambda: to(sink, addr, text), 30,
                    "a mail to %s with %r" % (addr, text))


def setup(p):
    p.cli("list", "create", LIST, "--owner", "boss@example.org",
          "--moderator", MODS[0], "--moderator", MODS[1])
    p.cli("member", "import", LIST, "-",
          input=b"ann@example.org\nbob@example.org\n")


def addrs(body):
    return (re.search(r"team\+approve-[a-z2-7]{26}@example\.org", body)
            .group(0),
            re.search(r"team\+reject-[a-z2-7]{26}@example\.org", body)
            .group(0))


def hold_one(p, sink, subject="buy now"):
    lmtp_send(p.lmtp_port, "out@example.net", [LIST],
              message(sender="out@example.net", subject=subject))
    notices = [wait_to(sink, m, subject)[0] for m in MODS]
    return notices


def test_held_post_approved_by_reply_and_second_moderator_too_late():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        notices = hold_one(p, sink)
        # The author is told at once, with the reason.
        wait_to(sink, "out@example.net", "not a member")
        (mia, mia_body), (mx, max_body) = notices
        # The post travels attached, as message/rfc822.
        parts = [part.get_content_type() for part in mia.walk()]
        assert "message/rfc822" in parts
        mia_ok, _ = addrs(mia_body)
        _, max_no = addrs(max_body)
        assert mia_ok.split("-")[1] != addrs(max_body)[0].split("-")[1]
        lmtp_send(p.lmtp_port, MODS[0], [mia_ok],
                  message(sender=MODS[0], subject="Re: ok"))
        wait_for(lambda: p.sql("SELECT state, decided_by FROM posts") ==
                 [["accepted", MODS[0]]], what="approved")
        wait_for(lambda: p.sql("SELECT sent FROM jobs WHERE kind ="
                               " 'fanout'") == [["2"]], what="fan-out")
        assert [m for m in mails(sink) if str(m["Subject"]) ==
                "[team] buy now"]
        # Max rejects a moment later: nothing changes, he learns who won.
        lmtp_send(p.lmtp_port, MODS[1], [max_no],
                  message(sender=MODS[1], body="spam\r\n"))
        wait_to(sink, MODS[1], "already accepted by " + MODS[0])
        # The same approval delivered twice: the same answer, no change.
        lmtp_send(p.lmtp_port, MODS[0], [mia_ok],
                  message(sender=MODS[0], subject="Re: ok"))
        wait_for(lambda: len(to(sink, MODS[0], "already accepted")) == 1,
                 what="replay answered")
        assert p.sql("SELECT count(*) FROM jobs WHERE kind = 'fanout'") \
            == [["1"]]


def test_reject_needs_a_reason_that_reaches_the_author():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("rules", LIST, "add", "no-ads", "hold", "header",
              "Subject:*buy*", "--text", "No advertising, please")
        p.start()
        (mia, body), _ = hold_one(p, sink)
        _, no = addrs(body)
        # Only quoted text: no reason, so nothing happens.
        lmtp_send(p.lmtp_port, MODS[0], [no],
                  message(sender=MODS[0], body="> buy now\r\n"))
        wait_to(sink, MODS[0], "needs a reason")
        assert p.sql("SELECT state FROM posts") == [["held"]]
        # The name of a rule is a reason: its text reaches the author.
        lmtp_send(p.lmtp_port, MODS[0], [no],
                  message(sender=MODS[0],
                          body="no-ads\r\n\r\n> buy now\r\n"))
        wait_for(lambda: p.sql("SELECT state FROM posts") == [["rejected"]],
                 what="rejected")
        told = wait_to(sink, "out@example.net", "not accepted")
        assert "No advertising, please" in told[0][1]
        log = p.cli("log", "show", LIST).stdout.decode()
        assert "rejected" in log and "no-ads" in log


def test_forged_moderator_without_token_changes_nothing():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        hold_one(p, sink)
        forged = "team+approve-%s@example.org" % ("a" * 26)
        lmtp_send(p.lmtp_port, MODS[0], [forged], message(sender=MODS[0]))
        wait_to(sink, MODS[0], "a" * 26)
        assert p.sql("SELECT state FROM posts") == [["held"]]


def test_rules_and_log_by_mail():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("rules", LIST, "add", "big", "reject", "size", "1M",
              "--text", "Posts over 1 MB are rejected")
        p.start()
        lmtp_send(p.lmtp_port, "ann@example.org", ["team+rules@example.org"],
                  message(sender="ann@example.org"))
        wait_to(sink, "ann@example.org", "Posts over 1 MB are rejected")
        hold_one(p, sink)
        lmtp_send(p.lmtp_port, "ann@example.org", ["team+log@example.org"],
                  message(sender="ann@example.org"))
        head = p.cli("log", "verify", LIST).stdout.decode().split()[-1]
        # The log mail carries the chain head, for members to keep.
        m, body = wait_to(sink, "ann@example.org", head)[-1]
        assert "buy now" in body and "held" in body


def test_deadline_reminder_then_default_action():
    for default, final in (("reject", "rejected"), ("approve", "accepted")):
        with SmtpSink() as sink, \
                Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
            setup(p)
            p.cli("list", "set", LIST, "hold_deadline", "4s")
            p.cli("list", "set", LIST, "hold_default", default)
            p.start()
            hold_one(p, sink)
            # Half time: every moderator is reminded.
            for m in MODS:
                wait_to(sink, m, "Reminder")
            wait_for(lambda: p.sql("SELECT state FROM posts") ==
                     [[final]], timeout=20, what="default action")
            log = p.cli("log", "show", LIST).stdout.decode()
            assert "expired" in log and final.replace("accepted",
                                                      "approved") in log
            if final == "rejected":
                wait_to(sink, "out@example.net", "before the deadline")
            else:
                wait_for(lambda: p.sql("SELECT sent FROM jobs WHERE kind ="
                                       " 'fanout'") == [["2"]], what="sent")


def test_deadline_escalates_to_owners_then_rejects():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("list", "set", LIST, "hold_deadline", "3s")
        p.start()                       # hold_default: escalate
        hold_one(p, sink)
        owner = wait_to(sink, "boss@example.org", "buy now")
        assert addrs(owner[0][1])       # the owner can decide by reply
        wait_for(lambda: p.sql("SELECT state FROM posts") == [["rejected"]],
                 timeout=20, what="rejected after the second deadline")
        log = p.cli("log", "show", LIST).stdout.decode()
        assert "escalated" in log and "expired" in log
        assert b"chain intact" in p.cli("log", "verify", LIST).stdout


def test_appeal_goes_to_the_others_and_is_final():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        (mia, body), _ = hold_one(p, sink)
        _, no = addrs(body)
        lmtp_send(p.lmtp_port, MODS[0], [no],
                  message(sender=MODS[0], body="I do not like it\r\n"))
        rejected = wait_to(sink, "out@example.net", "not accepted")[0][1]
        appeal = re.search(r"team\+appeal-[a-z2-7]{26}@example\.org",
                           rejected).group(0)
        lmtp_send(p.lmtp_port, "out@example.net", [appeal],
                  message(sender="out@example.net",
                          body="It is on topic: see the charter.\r\n"))
        wait_to(sink, "out@example.net", "was sent to the owners")
        # The owner and the other moderator review it; Mia does not.
        boss = wait_to(sink, "boss@example.org", "see the charter")[0][1]
        mx = wait_to(sink, MODS[1], "see the charter")[0][1]
        assert not to(sink, MODS[0], "see the charter")
        overturn = re.search(r"team\+overturn-[a-z2-7]{26}@example\.org",
                             mx).group(0)
        uphold = re.search(r"team\+uphold-[a-z2-7]{26}@example\.org",
                           boss).group(0)
        lmtp_send(p.lmtp_port, MODS[1], [overturn],
                  message(sender=MODS[1], body="> quoted\r\n\r\n"
                          "Fair: the charter allows it.\r\n-- \r\nMax\r\n"))
        wait_for(lambda: p.sql("SELECT state, appeal FROM posts") ==
                 [["accepted", "overturned"]], what="overturned")
        wait_to(sink, "out@example.net", "goes to the members")
        wait_for(lambda: p.sql("SELECT sent FROM jobs WHERE kind ="
                               " 'fanout'") == [["2"]], what="sent")
        # Final: the owner's later answer changes nothing.
        lmtp_send(p.lmtp_port, "boss@example.org", [uphold],
                  message(sender="boss@example.org"))
        wait_to(sink, "boss@example.org", "already been used")
        assert p.sql("SELECT state FROM posts") == [["accepted"]]
        # A second appeal is not possible either.
        lmtp_send(p.lmtp_port, "out@example.net", [appeal],
                  message(sender="out@example.net"))
        wait_to(sink, "out@example.net", "already been used")
        log = p.cli("log", "show", LIST).stdout.decode()
        for word in ("held", "rejected", "appealed", "overturned"):
            assert word in log, word
        assert b"chain intact" in p.cli("log", "verify", LIST).stdout
        # The words of each decision are in the log.
        why = {e["action"]: e["reason"] for e in json.loads(
            p.cli("--json", "log", "show", LIST).stdout)}
        assert why["rejected"] == "I do not like it", why
        assert why["overturned"] == "Fair: the charter allows it.", why


def test_approval_words_are_logged():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        (_, body), _ = hold_one(p, sink)
        ok, _ = addrs(body)
        lmtp_send(p.lmtp_port, MODS[0], [ok],
                  message(sender=MODS[0], body="Useful, let it through.\r\n"))
        wait_for(lambda: p.sql("SELECT state FROM posts") == [["accepted"]],
                 what="approved")
        why = [e["reason"] for e in json.loads(p.cli(
            "--json", "log", "show", LIST).stdout)
            if e["action"] == "approved"]
        assert why == ["Useful, let it through."], why


def test_a_busy_moderator_is_never_capped():
    """max_requests_per_day caps requests from members and strangers, not
    a moderator's decisions: the 4th and 5th are taken and answered."""
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port,
                    settings={"max_requests_per_day": "2"}) as p:
        setup(p)
        p.start()
        oks = [addrs(hold_one(p, sink, "spam %d" % n)[0][1])[0]
               for n in range(5)]
        for ok in oks:
            lmtp_send(p.lmtp_port, MODS[0], [ok], message(sender=MODS[0]))
        wait_for(lambda: p.sql("SELECT count(*) FROM posts WHERE state ="
                               " 'accepted'") == [["5"]], what="5 approved")
        wait_for(lambda: len(to(sink, MODS[0], "approved")) == 5,
                 what="5 answers to the moderator")
        # A stranger is still capped at 2 a day.
        for _ in range(4):
            lmtp_send(p.lmtp_port, "zed@example.net",
                      ["team+help@example.org"],
                      message(sender="zed@example.net"))
        wait_for(lambda: p.sql("SELECT count(*) FROM inbox") == [["0"]],
                 what="processed")
        wait_for(lambda: p.read_log().count("over 2 requests today") == 2,
                 what="2 ignored")


def test_members_find_rules_and_log_and_private_logs():
    """Help, welcome, held and rejected mails name LIST+rules@ and
    LIST+log@, in both languages; with modlog_public = members a
    non-member gets the rules but not the log."""
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("list", "create", "squadra@example.org", "--moderator",
              MODS[0])
        p.cli("list", "set", "squadra@example.org", "language", "it")
        p.cli("list", "set", LIST, "modlog_public", "members")
        r = p.cli("list", "set", LIST, "modlog_public", "friends",
                  check=False)
        assert r.returncode == 65 and b"everyone' or 'members'" in r.stderr
        p.start()
        for lst, words in ((LIST, "rules come from"),
                           ("squadra@example.org", "regole della lista")):
            local = lst.split("@")[0]
            lmtp_send(p.lmtp_port, "out@example.net", [lst],
                      message(sender="out@example.net", to=lst,
                              subject="held in " + local))
            held = wait_to(sink, "out@example.net", "held in " + local)
            text = [b for m, b in held if words in b]
            assert text, held
            for ext in ("rules", "log"):
                assert "%s+%s@example.org" % (local, ext) in text[0], text
            lmtp_send(p.lmtp_port, "zoe@example.net",
                      ["%s+help@example.org" % local],
                      message(sender="zoe@example.net",
                              to="%s+help@example.org" % local))
            helpmail = wait_for(lambda: [b for m, b in to(
                sink, "zoe@example.net") if "%s+log@" % local in b and
                "%s+rules@" % local in b], what="help of " + lst)
            assert helpmail
        # A non-member: the rules yes, the log no.
        for ext in ("rules", "log"):
            lmtp_send(p.lmtp_port, "out@example.net",
                      ["team+%s@example.org" % ext],
                      message(sender="out@example.net", subject=ext))
        wait_to(sink, "out@example.net", "open to its members only")
        assert not to(sink, "out@example.net", "Moderation log of")
        wait_for(lambda: "log refused to non-member" in p.read_log(),
                 what="the refusal logged")
        # A member gets the log.
        lmtp_send(p.lmtp_port, "ann@example.org", ["team+log@example.org"],
                  message(sender="ann@example.org"))
        wait_to(sink, "ann@example.org", "Moderation log of")


def test_a_post_quoting_a_live_token_is_held():
    """A moderator who replies to a notice at the list's own address
    would hand every member his approve and reject addresses: a post
    quoting a live token of the list is held, never sent; once the token
    is used, quoting it is harmless."""
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        (_, body), _ = hold_one(p, sink)
        ok, no = addrs(body)
        quoted = "".join("> " + line + "\r\n" for line in body.splitlines())
        lmtp_send(p.lmtp_port, "ann@example.org", [LIST],
                  message(sender="ann@example.org", subject="Re: buy now",
                          body="Please decide.\r\n" + quoted))
        wait_for(lambda: p.sql("SELECT state FROM posts WHERE subject ="
                               " 'Re: buy now'") == [["held"]],
                 what="held")
        reason = p.sql("SELECT reason FROM posts WHERE subject ="
                       " 'Re: buy now'")[0][0]
        assert "quotes a code that still works" in reason, reason
        # Also in the Subject, in capitals.
        tok = no.split("-", 1)[1].split("@")[0]
        lmtp_send(p.lmtp_port, "bob@example.org", [LIST],
                  message(sender="bob@example.org",
                          subject="confirm " + tok.upper()))
        wait_for(lambda: p.sql("SELECT state FROM posts WHERE subject"
                               " LIKE 'confirm %'") == [["held"]],
                 what="held by subject")
        # Used, the token is dead: quoting it holds nothing.
        lmtp_send(p.lmtp_port, MODS[0], [ok], message(sender=MODS[0]))
        wait_for(lambda: p.sql("SELECT state FROM posts WHERE subject ="
                               " 'buy now'") == [["accepted"]],
                 what="approved")
        lmtp_send(p.lmtp_port, "ann@example.org", [LIST],
                  message(sender="ann@example.org", subject="old news",
                          body="It was " + ok + "\r\n"))
        wait_for(lambda: p.sql("SELECT state FROM posts WHERE subject ="
                               " 'old news'") == [["accepted"]],
                 what="accepted")
        wait_for(lambda: [m for m in mails(sink)
                          if str(m["Subject"]) == "[team] old news"],
                 what="the harmless post at the sink")
        assert not [m for m in mails(sink)
                    if str(m["Subject"]) == "[team] Re: buy now"]


def test_two_moderators_at_once_exactly_one_wins():
    import threading
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        (_, mia_body), (_, max_body) = hold_one(p, sink)
        mia_ok, _ = addrs(mia_body)
        _, max_no = addrs(max_body)
        go = threading.Barrier(2)

        def send(rcpt, sender, text):
            go.wait()
            lmtp_send(p.lmtp_port, sender, [rcpt],
                      message(sender=sender, body=text))

        threads = [threading.Thread(target=send, args=a) for a in
                   ((mia_ok, MODS[0], "ok\r\n"),
                    (max_no, MODS[1], "spam\r\n"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_for(lambda: p.sql("SELECT count(*) FROM inbox") == [["0"]],
                 what="both processed")
        state, by = p.sql("SELECT state, decided_by FROM posts")[0]
        assert (state, by) in (("accepted", MODS[0]),
                               ("rejected", MODS[1]))
        loser = MODS[1] if by == MODS[0] else MODS[0]
        wait_to(sink, loser, "already %s by %s" % (state, by))
        decisions = [e for e in json.loads(p.cli("log", "show", LIST,
                                                 "--json").stdout)
                     if e["action"] in ("approved", "rejected")]
        assert len(decisions) == 1


def test_author_of_approved_held_post_follows_its_thread():
    """A member whose held post a moderator approves follows its thread,
    as he would had it gone out at once: by a reply to the notice and by
    `postino mod approve` alike (one release path, issue 9)."""
    prefs = ("SELECT t.pref FROM thread_prefs t JOIN members m"
             " ON m.id = t.member_id WHERE m.addr = '%s'")
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("list", "set", LIST, "moderated", "yes")
        p.start()
        lmtp_send(p.lmtp_port, "ann@example.org", [LIST],
                  message(sender="ann@example.org", subject="by mail",
                          msgid="<t1@example.org>"))
        mia_ok, _ = addrs(wait_to(sink, MODS[0], "by mail")[0][1])
        assert p.sql(prefs % "ann@example.org") == []
        lmtp_send(p.lmtp_port, MODS[0], [mia_ok],
                  message(sender=MODS[0], subject="Re: ok"))
        wait_for(lambda: p.sql(prefs % "ann@example.org") == [["follow"]],
                 what="ann follows her approved thread")
        lmtp_send(p.lmtp_port, "bob@example.org", [LIST],
                  message(sender="bob@example.org", subject="by shell",
                          msgid="<t2@example.org>"))
        wait_to(sink, MODS[0], "by shell")
        post = p.sql("SELECT id FROM posts WHERE subject = 'by shell'")[0][0]
        assert p.sql(prefs % "bob@example.org") == []
        p.cli("mod", "approve", LIST, post)
        assert p.sql(prefs % "bob@example.org") == [["follow"]]
        assert p.sql("SELECT count(*) FROM jobs WHERE kind = 'fanout'") \
            == [["2"]]
