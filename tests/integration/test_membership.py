"""Membership by mail: subscribe, confirm, leave, modes, threads, commands.

Each test drives the real daemon over LMTP and reads the mails it sends
at Postfix's smtp-sink (one dump file per message).
"""
import email
import email.policy
import json
import re
import time

from harness import (Postino, SmtpSink, lmtp_send, message, wait_for)

LIST = "team@example.org"
TOKEN_RE = re.compile(r"team\+confirm-([a-z2-7]{26})@example\.org")


class Mails:
    """The mails that reached the sink, parsed."""

    def __init__(self, sink):
        self.sink = sink
        self.seen = 0

    def all(self):
        return [email.message_from_bytes(raw, policy=email.policy.default)
                for raw in self.sink.messages()]

    def to(self, addr):
        return [m for m in self.all() if addr in str(m.get("To", ""))]

    def wait_to(self, addr, n=1, timeout=30):
        return wait_for(lambda: self.to(addr) if len(self.to(addr)) >= n
                        else None, timeout, "%d mail(s) to %s" % (n, addr))


def body(m):
    return m.get_body(preferencelist=("plain",)).get_content()


def daemon(sink, **settings):
    base = {"retry_min": "1"}
    base.update(settings)
    return Postino(relay="smtp://127.0.0.1:%d" % sink.port, settings=base)


def send(p, rcpt, sender="dave@example.net", subject="hi", text="",
         headers=(), env=None, msgid=None):
    return lmtp_send(p.lmtp_port, sender if env is None else env, [rcpt],
                     message(sender=sender, to=rcpt, subject=subject,
                             body=text + "\r\n", headers=headers,
                             msgid=msgid))


def wait_text(mails, addr, text, timeout=30):
    """The mails to addr whose body contains text."""
    return wait_for(lambda: [m for m in mails.to(addr) if text in body(m)],
                    timeout, "a mail to %s saying %r" % (addr, text))


def members(p):
    out = p.cli("member", "ls", LIST).stdout.decode()
    return [line.split()[0].lower() for line in out.splitlines()
            if "@" in line]


def token_of(m):
    found = TOKEN_RE.search(str(m.get("Reply-To", "")) + body(m))
    assert found, "no confirmation address in %r" % body(m)
    return found.group(1)


def test_subscribe_confirm_welcome():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.start()
        mails = Mails(sink)
        assert send(p, "team+subscribe@example.org") == [250]
        confirm = mails.wait_to("dave@example.net")[0]
        assert confirm["Auto-Submitted"] == "auto-replied"
        tok = token_of(confirm)
        assert "confirm " + tok in body(confirm)
        assert members(p) == []                 # not before confirming
        send(p, "team+confirm-%s@example.org" % tok, subject="Re: confirm")
        wait_for(lambda: members(p) == ["dave@example.net"], what="member")
        welcome = wait_text(mails, "dave@example.net",
                            "team+unsubscribe@example.org")[0]
        # The welcome carries the rules the member posts under.
        assert "No rules are published" in body(welcome)
        # The same token again: used, and says so.
        send(p, "team+confirm-%s@example.org" % tok)
        wait_text(mails, "dave@example.net", "already been used")


def test_confirm_by_request_address_with_case_changed_token():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.start()
        mails = Mails(sink)
        send(p, "team-request@example.org", text="subscribe")
        tok = token_of(mails.wait_to("dave@example.net")[0])
        # The plus-extension was lost and the client upper-cased it.
        send(p, "team-request@example.org", subject="Re: confirm " +
             tok.upper(), text="> old quoted text\r\n")
        wait_for(lambda: members(p) == ["dave@example.net"], what="member")


def test_wrong_tokens_change_nothing():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.make_list("other@example.org")
        p.start()
        mails = Mails(sink)
        send(p, "team+subscribe@example.org")
        tok = token_of(mails.wait_to("dave@example.net")[0])
        # Unknown token, garbage, and this token at another list.
        send(p, "team+confirm-%s@example.org" % ("a" * 26))
        send(p, "team+confirm-x1@example.org")
        send(p, "other+confirm-%s@example.org" % tok)
        mails.wait_to("dave@example.net", 4)
        unknown = [m for m in mails.to("dave@example.net")
                   if "a" * 26 in body(m) or "x1" in body(m)
                   or tok in body(m) and "other" in str(m["From"])]
        assert len(unknown) == 3, [body(m) for m in mails.all()]
        assert members(p) == []
        # Expired: the token is rejected and stays unused.
        p.sql_write("UPDATE tokens SET expires = 1")
        send(p, "team+confirm-%s@example.org" % tok)
        wait_text(mails, "dave@example.net", "expired")
        assert members(p) == []


def test_unsubscribe_needs_the_members_mailbox():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["dave@example.net"])
        p.start()
        mails = Mails(sink)
        # A forged From: gets a confirmation to the real mailbox only.
        send(p, "team+unsubscribe@example.org", env="mallory@evil.example")
        confirm = mails.wait_to("dave@example.net")[0]
        time.sleep(0.5)
        assert members(p) == ["dave@example.net"]
        assert not mails.to("mallory@evil.example")
        send(p, "team+confirm-%s@example.org" % token_of(confirm))
        wait_for(lambda: members(p) == [], what="left")
        goodbye = mails.wait_to("dave@example.net", 2)[-1]
        assert goodbye["Subject"]


def test_open_policy_and_owner_notice():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, subscribe_policy="open", notify_owner="yes")
        p.cli("list", "rm", LIST)
        p.cli("list", "create", LIST, "--owner", "boss@example.org")
        p.cli("list", "set", LIST, "subscribe_policy", "open")
        p.cli("list", "set", LIST, "notify_owner", "yes")
        p.start()
        mails = Mails(sink)
        send(p, "team+subscribe@example.org")
        wait_for(lambda: members(p) == ["dave@example.net"], what="joined")
        mails.wait_to("dave@example.net")           # welcome
        notice = mails.wait_to("boss@example.org")[0]
        assert "dave@example.net" in body(notice)


def test_approve_policy():
    with SmtpSink() as sink, daemon(sink) as p:
        p.cli("list", "create", LIST, "--owner", "boss@example.org")
        p.cli("list", "set", LIST, "subscribe_policy", "approve")
        p.start()
        mails = Mails(sink)
        send(p, "team+subscribe@example.org")
        pending = mails.wait_to("dave@example.net")[0]
        request = mails.wait_to("boss@example.org")[0]
        assert "dave@example.net" in body(request)
        assert members(p) == []
        del pending
        send(p, "team+confirm-%s@example.org" % token_of(request),
             sender="boss@example.org")
        wait_for(lambda: members(p) == ["dave@example.net"], what="approved")


def test_pending_requests_listed_approved_and_declined():
    """Requests waiting for an owner are listed by `sub ls`, decided by
    `sub approve|decline` or by the owner's +decline-TOKEN reply, and
    the requester is told either way."""
    with SmtpSink() as sink, daemon(sink) as p:
        p.cli("list", "create", LIST, "--owner", "boss@example.org")
        p.cli("list", "set", LIST, "subscribe_policy", "approve")
        p.start()
        mails = Mails(sink)
        for who in ("dave@example.net", "erin@example.net",
                    "fay@example.net"):
            send(p, "team+subscribe@example.org", sender=who)
        wait_for(lambda: len(mails.to("boss@example.org")) == 3,
                 what="3 requests to the owner")
        ls = json.loads(p.cli("--json", "sub", "ls", LIST).stdout)
        assert sorted(r["address"] for r in ls) == [
            "dave@example.net", "erin@example.net", "fay@example.net"]
        assert all(r["lapses"] > r["asked"] for r in ls)
        text = p.cli("sub", "ls", LIST).stdout.decode()
        assert "dave@example.net\tasked " in text
        # From the shell: approve one, decline one.
        r = p.cli("sub", "approve", LIST, "DAVE@example.net")
        assert b"approved" in r.stdout
        p.cli("sub", "decline", LIST, "erin@example.net")
        wait_for(lambda: members(p) == ["dave@example.net"], what="joined")
        wait_text(mails, "dave@example.net", "welcome")
        wait_for(lambda: [m for m in mails.to("erin@example.net")
                          if "declined" in str(m["Subject"])],
                 what="erin told")
        # By mail: the owner's +decline-TOKEN reply.
        request = [m for m in mails.to("boss@example.org")
                   if "fay@example.net" in body(m)][0]
        decline = re.search(r"team\+decline-([a-z2-7]{26})@example\.org",
                            body(request))
        assert decline, body(request)
        send(p, decline.group(0), sender="boss@example.org")
        wait_for(lambda: [m for m in mails.to("fay@example.net")
                          if "declined" in str(m["Subject"])],
                 what="fay told")
        wait_text(mails, "boss@example.org", "was declined")
        assert json.loads(p.cli("--json", "sub", "ls", LIST).stdout) == []
        # The approve token of a declined request no longer works.
        send(p, "team+confirm-%s@example.org" % decline.group(1),
             sender="boss@example.org")
        wait_text(mails, "boss@example.org", "already been used")
        assert members(p) == ["dave@example.net"]
        for args, code in ((("sub", "approve", LIST, "nobody@example.net"),
                            67), (("sub", "decline", LIST, "not an addr"),
                                  65), (("sub", "ls", "no@example.org"),
                                        67), (("sub", "frob", LIST), 64)):
            assert p.cli(*args, check=False).returncode == code, args


def test_delivery_modes_and_digest_members_skip_posts():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["dave@example.net", "erin@example.net"])
        p.start()
        mails = Mails(sink)
        send(p, "team+digest@example.org")
        reply = mails.wait_to("dave@example.net")[0]
        assert "digest" in body(reply)
        out = p.cli("member", "ls", LIST).stdout.decode()
        assert re.search(r"dave@example.net\s+digest", out), out
        send(p, LIST, sender="erin@example.net", subject="news")
        wait_for(lambda: p.sql("SELECT state FROM jobs WHERE kind='fanout'")
                 == [["done"]], what="fan-out")
        got = [m for m in mails.all() if "news" in str(m["Subject"])]
        assert [str(m["To"]) for m in got] == [LIST]
        assert p.sql("SELECT sent FROM jobs WHERE kind='fanout'") == [["1"]]


def test_mute_and_follow_threads():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["dave@example.net", "erin@example.net",
                           "fred@example.net"])
        p.cli("member", "set", LIST, "fred@example.net", "mode", "follow")
        p.start()
        mails = Mails(sink)
        send(p, LIST, sender="erin@example.net", subject="thread one",
             msgid="<root1@example.net>")
        wait_for(lambda: p.sql("SELECT count(*) FROM jobs WHERE"
                               " state='done'") == [["1"]], what="post 1")
        # Dave mutes the thread by replying to its post.
        send(p, "team+mute@example.org", subject="Re: thread one",
             headers=["In-Reply-To: <root1@example.net>",
                      "References: <root1@example.net>"])
        prefs = ("SELECT t.pref FROM thread_prefs t JOIN members m"
                 " ON m.id = t.member_id WHERE m.addr = '%s'")
        wait_for(lambda: p.sql(prefs % "dave@example.net") == [["mute"]],
                 what="muted")
        # Fred (follow mode) follows it.
        send(p, "team+follow@example.org", sender="fred@example.net",
             headers=["In-Reply-To: <root1@example.net>",
                      "References: <root1@example.net>"])
        wait_for(lambda: p.sql(prefs % "fred@example.net") == [["follow"]],
                 what="follow")
        # Erin follows the thread she started.
        assert p.sql(prefs % "erin@example.net") == [["follow"]]
        send(p, LIST, sender="erin@example.net", subject="Re: thread one",
             msgid="<r2@example.net>",
             headers=["References: <root1@example.net>"])
        send(p, LIST, sender="erin@example.net", subject="thread two",
             msgid="<root2@example.net>")
        wait_for(lambda: p.sql("SELECT count(*) FROM jobs WHERE kind="
                               "'fanout' AND state='done'") == [["3"]],
                 what="posts 2 and 3")
        sent = dict(p.sql("SELECT p.subject, j.sent FROM jobs j JOIN posts p"
                          " ON p.id = j.post_id"))
        # Reply in thread one: erin and fred (dave muted it).
        assert sent["Re: thread one"] == "2"
        # Thread two: erin and dave; fred follows only his threads.
        assert sent["thread two"] == "2"


def test_request_address_several_commands_one_reply():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["dave@example.net"])
        p.start()
        mails = Mails(sink)
        send(p, "team-request@example.org", subject="commands",
             text="Hi,\r\nfrobnicate\r\nset nomail\r\nhelp\r\n-- \r\n"
             "unsubscribe")
        reply = wait_text(mails, "dave@example.net", "frobnicate")
        assert len(reply) == 1 and "nomail" in body(reply[0])
        # help came as its own mail; nothing after the signature ran.
        wait_text(mails, "dave@example.net", "team+digest@example.org")
        out = p.cli("member", "ls", LIST).stdout.decode()
        assert "nomail" in out
        assert p.sql("SELECT count(*) FROM tokens") == [["0"]]


def test_help_and_owner_addresses():
    with SmtpSink() as sink, daemon(sink) as p:
        p.cli("list", "create", LIST, "--owner", "boss@example.org")
        p.start()
        mails = Mails(sink)
        send(p, "team+help@example.org")
        help_mail = mails.wait_to("dave@example.net")[0]
        assert "team+unsubscribe@example.org" in body(help_mail)
        send(p, "team+owner@example.org", subject="question for owners")
        wait_for(lambda: [m for m in mails.all()
                          if "question for owners" in str(m["Subject"])],
                 what="owner mail")


def test_automatic_mail_is_never_answered():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.start()
        send(p, "team+subscribe@example.org", env="")
        send(p, "team+subscribe@example.org",
             headers=["Auto-Submitted: auto-replied"])
        send(p, "team+help@example.org", headers=["Precedence: bulk"])
        send(p, "team+subscribe@example.org", sender="MAILER-DAEMON@x.org")
        wait_for(lambda: p.sql("SELECT count(*) FROM inbox") == [["0"]],
                 what="processed")
        time.sleep(1)
        assert sink.messages() == []
        assert p.sql("SELECT count(*) FROM tokens") == [["0"]]


def test_mail_to_the_bounce_address_is_dropped_quietly():
    """Regression: anyone could crash the daemon with a mail to
    LIST+bounces@ (an uninitialised reason reached the log)."""
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["amy@example.com", "bob@example.com"])
        p.start()
        for rcpt in ("team+bounces@example.org",
                     "team+bounces-abc-def@example.org",
                     "team+BOUNCES-x@example.org"):
            for _ in range(3):
                send(p, rcpt, sender="someone@example.net")
        wait_for(lambda: p.sql("SELECT count(*) FROM inbox") == [["0"]],
                 what="processed")
        # Not delivery reports: dropped without a word (bounce.c).
        wait_for(lambda: p.read_log().count(
            "no delivery report to the bounce address, dropped") == 9,
            what="9 log lines")
        assert p.proc.poll() is None, "the daemon died"
        # It still works: a member's post goes out.
        send(p, LIST, sender="amy@example.com", subject="still here")
        wait_for(lambda: [m for m in Mails(sink).all()
                          if "still here" in str(m["Subject"])],
                 what="the post at the sink")
        assert p.sql("SELECT count(*) FROM tokens") == [["0"]]


def test_no_mail_bombing():
    with SmtpSink() as sink, daemon(sink, max_requests_per_day="3") as p:
        p.make_list(LIST)
        p.start()
        for _ in range(5):
            send(p, "team+subscribe@example.org", env="attacker@evil.example")
        wait_for(lambda: p.sql("SELECT count(*) FROM inbox") == [["0"]],
                 what="processed")
        time.sleep(1)
        # One pending confirmation, one mail to the victim.
        assert len(Mails(sink).to("dave@example.net")) == 1
        assert p.sql("SELECT count(*) FROM tokens") == [["1"]]
        wait_for(lambda: "requests today" in p.read_log(), what="requests today logged")


def test_italian_list_speaks_italian():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, language="it", description="Società ciclistica")
        p.start()
        mails = Mails(sink)
        send(p, "team+subscribe@example.org")
        confirm = mails.wait_to("dave@example.net")[0]
        assert confirm["Subject"].startswith("Conferma")
        assert "Società ciclistica" in body(confirm)


LINK_RE = re.compile(r"team\+([udm])-([a-z2-7]{8})-(?:[a-z2-7]{8}-)?"
                     r"[a-z2-7]{16}@example\.org")


def test_personalized_copies_verp_and_one_reply_links():
    with Postino(settings={"retry_min": "1"}) as p:     # maildir outbox
        p.make_list(LIST, ["dave@example.net", "erin@example.net"],
                    personalize="yes")
        p.start()
        assert lmtp_send(p.lmtp_port, "erin@example.net", [LIST],
                         message(sender="erin@example.net", subject="hello",
                                 msgid="<t1@example.net>")) == [250]
        box = wait_for(lambda: p.outbox() if len(p.outbox()) == 2 else None,
                       what="two personal copies")
        copies = {rcpt: email.message_from_bytes(
            raw[0], policy=email.policy.default) for rcpt, raw in box.items()}
        links = {}
        for rcpt, m in copies.items():
            # VERP: the envelope sender names the member, with a MAC.
            assert re.fullmatch(r"<team\+bounces-[a-z2-7]{8}-[a-z2-7]{16}"
                                r"@example\.org>", m["Return-Path"])
            text = body(m)
            assert "#" not in text, text
            found = {a: LINK_RE.search(text[text.index("team+" + a):])
                     for a in "udm"}
            links[rcpt] = {a: f.group(0) for a, f in found.items()}
        assert links["dave@example.net"]["u"] != links["erin@example.net"]["u"]
        # A link forged for another member (id swapped) changes nothing.
        dave_u = links["dave@example.net"]["u"]
        erin_id = LINK_RE.search(links["erin@example.net"]["u"]).group(2)
        dave_id = LINK_RE.search(dave_u).group(2)
        forged = dave_u.replace(dave_id, erin_id)
        lmtp_send(p.lmtp_port, "dave@example.net", [forged],
                  message(sender="dave@example.net", to=forged))
        # Dave mutes the thread and Erin leaves, each with one reply.
        lmtp_send(p.lmtp_port, "dave@example.net",
                  [links["dave@example.net"]["m"]],
                  message(sender="dave@example.net"))
        lmtp_send(p.lmtp_port, "erin@example.net",
                  [links["erin@example.net"]["u"]],
                  message(sender="erin@example.net"))
        wait_for(lambda: members(p) == ["dave@example.net"], what="left")
        wait_for(lambda: p.sql("SELECT pref, thread FROM thread_prefs t JOIN"
                               " members m ON m.id = t.member_id WHERE"
                               " m.addr = 'dave@example.net'") ==
                 [["mute", "t1@example.net"]], what="muted by link")
        wait_for(lambda: "personal link refused" in p.read_log(), what="personal link refused logged")


def test_list_override_and_expired_tokens_purged():
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        # The list's own welcome text wins over templates/en/.
        import os
        own = os.path.join(p.dir, "lists", LIST)
        os.makedirs(own)
        with open(os.path.join(own, "confirm_subscribe.txt"), "w") as f:
            f.write("Subject: Team wants you\n\nReply to {{confirm_addr}}"
                    " to join.\n")
        p.start()
        mails = Mails(sink)
        send(p, "team+subscribe@example.org")
        m = mails.wait_to("dave@example.net")[0]
        # The token tag is ours to add, even to a list's own text.
        assert re.fullmatch(r"Team wants you \[postino:[a-z2-7]{26}\]",
                            str(m["Subject"])), m["Subject"]
        p.stop()
        # Expired long ago: purged by the housekeeping at start-up.
        p.sql_write("UPDATE tokens SET expires = 1")
        p.start()
        wait_for(lambda: p.sql("SELECT count(*) FROM tokens") == [["0"]],
                 what="purge")
        # The log line follows the purge's commit: wait for it too.
        wait_for(lambda: "token(s)" in p.read_log(), what="purge logged")
