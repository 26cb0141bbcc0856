"""Spam in the queue: discarding a non-member's held post (shell and
+discard-TOKEN by mail, nobody told, logged, refused for a member's
post), bans of a list and of the site (checked before the rules and at
subscribe, each change logged), the `sender GLOB` rule condition and
`mod approve --always`.  Real daemon over LMTP, mail read at Postfix's
smtp-sink; the CLI's exit codes and JSON.
"""
import json
import re

from harness import Postino, SmtpSink, lmtp_send, message, wait_for
from test_moderation import LIST, MODS, hold_one, mails, setup, to, wait_to

EX_DATAERR, EX_NOUSER, EX_CANTCREAT, EX_NOPERM = 65, 67, 73, 77
SPAMMER = "out@example.net"


def sink_postino():
    sink = SmtpSink()
    return sink, Postino(relay="smtp://127.0.0.1:%d" % sink.port)


def discard_addr(body):
    return re.search(r"team\+discard-[a-z2-7]{26}@example\.org",
                     body).group(0)


def log_actions(p):
    return [r[0] for r in p.sql("SELECT action FROM modlog ORDER BY seq")]


def test_discard_by_mail_tells_nobody_and_is_logged():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("list", "set", LIST, "language", "it")
        p.start()
        (_, body), _ = hold_one(p, sink)
        assert "scartalo" in body
        drop = discard_addr(body)
        wait_to(sink, SPAMMER)
        before = len(to(sink, SPAMMER))
        lmtp_send(p.lmtp_port, MODS[0], [drop],
                  message(sender=MODS[0], subject="Re: spam"))
        wait_for(lambda: p.sql("SELECT state, decided_by FROM posts") ==
                 [["discarded", MODS[0]]], what="discarded")
        wait_to(sink, MODS[0], "scartato")
        assert log_actions(p)[-1] == "discarded"
        # Nobody else hears of it: no notice to the (forged?) sender.
        p.stop()
        assert len(to(sink, SPAMMER)) == before


def test_discard_refused_for_a_member_post():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("member", "set", LIST, "ann@example.org", "--moderated", "yes",
              check=False)
        p.cli("rules", LIST, "add", "all-held", "hold", "all")
        p.start()
        lmtp_send(p.lmtp_port, "ann@example.org", [LIST],
                  message(sender="ann@example.org", subject="mine"))
        _, body = wait_to(sink, MODS[0], "mine")[0]
        lmtp_send(p.lmtp_port, MODS[0], [discard_addr(body)],
                  message(sender=MODS[0]))
        wait_to(sink, MODS[0], "cannot be discarded")
        assert p.sql("SELECT state FROM posts") == [["held"]]
        r = p.cli("mod", "discard", LIST, "1", "--as", MODS[1], check=False)
        assert r.returncode == EX_DATAERR, r.stderr
        assert b"a member's" in r.stderr
        assert p.sql("SELECT state FROM posts") == [["held"]]


def test_discard_from_the_shell():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        hold_one(p, sink)
        r = p.cli("mod", "discard", LIST, "1", "--as", "nobody@example.org",
                  check=False)
        assert r.returncode == EX_NOPERM
        r = p.cli("mod", "discard", LIST, "1", "--as", MODS[1])
        assert b"discarded" in r.stdout
        assert p.sql("SELECT state, decided_by FROM posts") == \
            [["discarded", MODS[1]]]
        assert p.sql("SELECT action, moderator FROM modlog"
                     " ORDER BY seq DESC LIMIT 1") == \
            [["discarded", MODS[1]]]
        r = p.cli("mod", "discard", LIST, "1", check=False)
        assert r.returncode == EX_CANTCREAT


def test_ban_cli_and_log():
    with Postino() as p:
        p.make_list(LIST)
        assert p.cli("ban", LIST, "ls").stdout == b"no bans on %s\n" % \
            LIST.encode()
        assert json.loads(p.cli("--json", "ban", "--site", "ls").stdout) \
            == []
        p.cli("ban", LIST, "add", "*@Spam.Example")
        p.cli("ban", LIST, "add", "bob+*@x.org")
        r = p.cli("ban", LIST, "add", "*@spam.example", check=False)
        assert r.returncode == EX_CANTCREAT
        for bad in ("spam.example", "a@b@c", "a b@c", "@x.org", "x@"):
            r = p.cli("ban", LIST, "add", bad, check=False)
            assert r.returncode == EX_DATAERR, bad
        r = p.cli("--json", "ban", LIST, "ls")
        assert [b["glob"] for b in json.loads(r.stdout)] == \
            ["*@spam.example", "bob+*@x.org"]
        p.cli("ban", LIST, "rm", "BOB+*@x.org")
        r = p.cli("ban", LIST, "rm", "bob+*@x.org", check=False)
        assert r.returncode == EX_NOUSER
        r = p.cli("ban", "nolist@example.org", "ls", check=False)
        assert r.returncode == EX_NOUSER
        assert p.sql("SELECT action, rule, reason FROM modlog ORDER BY seq")\
            == [["ban_changed", "*@spam.example", "ban added"],
                ["ban_changed", "bob+*@x.org", "ban added"],
                ["ban_changed", "bob+*@x.org", "ban removed"]]
        # A site ban: in every list's log.
        p.make_list("other@example.org")
        p.cli("ban", "--site", "add", "*@junk.example")
        assert p.cli("ban", "--site", "ls").stdout.startswith(
            b"*@junk.example\t")
        assert p.sql("SELECT count(*) FROM modlog WHERE reason ="
                     " 'site ban added'") == [["2"]]
        assert b"ban LIST|--site add GLOB" in p.cli("ban", "--help").stdout
        # The log still verifies.
        p.cli("log", "verify", LIST)


def test_banned_post_is_discarded_before_the_rules():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("rules", LIST, "add", "friends", "accept", "sender",
              "*@spam.example")
        p.cli("ban", LIST, "add", "*@SPAM.example")
        p.cli("ban", "--site", "add", "bob+*@example.org")
        p.start()
        lmtp_send(p.lmtp_port, "x@Spam.Example", [LIST],
                  message(sender="x@Spam.Example", subject="s1"))
        lmtp_send(p.lmtp_port, "bob+news@example.org", [LIST],
                  message(sender="bob+news@example.org", subject="s2"))
        lmtp_send(p.lmtp_port, "ann@example.org", [LIST],
                  message(sender="ann@example.org", subject="fine"))
        wait_for(lambda: len(p.sql("SELECT id FROM posts")) == 3,
                 what="three posts")
        assert p.sql("SELECT subject, state, rule FROM posts ORDER BY id") \
            == [["s1", "discarded", "ban"], ["s2", "discarded", "ban"],
                ["fine", "accepted", ""]]
        reasons = p.sql("SELECT reason FROM modlog WHERE action ="
                        " 'discarded' ORDER BY seq")
        assert "*@spam.example" in reasons[0][0]
        wait_for(lambda: [m for m in mails(sink)
                          if str(m["Subject"]) == "[team] fine"],
                 what="the member's post")
        p.stop()
        # Nobody is told, nothing is held.
        assert not to(sink, "x@Spam.Example")
        assert not [m for m in mails(sink) if "s1" in str(m["Subject"])]


def test_banned_address_cannot_subscribe():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("ban", "--site", "add", "*@spam.example")
        p.start()
        lmtp_send(p.lmtp_port, "eve@spam.example",
                  ["team+subscribe@example.org"],
                  message(sender="eve@spam.example"))
        _, body = wait_to(sink, "eve@spam.example", "cannot be accepted")[0]
        assert "ban" not in body.lower()
        lmtp_send(p.lmtp_port, "eve@spam.example",
                  ["team-request@example.org"],
                  message(sender="eve@spam.example", subject="subscribe"))
        wait_for(lambda: len(to(sink, "eve@spam.example",
                                "cannot be accepted")) == 2,
                 what="second refusal")
        assert p.sql("SELECT count(*) FROM members WHERE addr LIKE"
                     " '%spam.example'") == [["0"]]
        assert not p.sql("SELECT * FROM tokens WHERE purpose ="
                         " 'subscribe'")
        wait_for(lambda: "refused: banned (*@spam.example)"
                 in p.read_log(), what="logged")


def test_sender_glob_rule():
    with Postino() as p:
        p.make_list(LIST)
        p.cli("rules", LIST, "add", "friends", "accept", "sender",
              "*@partner.example")
        for arg in ("nonmember", "member", "moderated", "new:3"):
            p.cli("rules", LIST, "add", "r-" + arg.replace(":", ""), "hold",
                  "sender", arg)
        r = p.cli("rules", LIST, "add", "x", "discard", "sender",
                  "*@partner.example", check=False)
        assert r.returncode == EX_DATAERR
        r = p.cli("rules", LIST, "add", "x", "hold", "sender", "a@b@c",
                  check=False)
        assert r.returncode == EX_DATAERR and b"glob" in r.stderr


def test_sender_glob_accepts_a_non_member():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("rules", LIST, "add", "friends", "accept", "sender",
              "*@partner.example")
        p.start()
        lmtp_send(p.lmtp_port, "pat@Partner.Example", [LIST],
                  message(sender="pat@Partner.Example", subject="hi all"))
        wait_for(lambda: p.sql("SELECT state, rule FROM posts") ==
                 [["accepted", "friends"]], what="accepted by the rule")


def test_approve_always_adds_a_logged_rule():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.cli("rules", LIST, "add", "held", "hold", "sender", "nonmember")
        p.start()
        hold_one(p, sink)
        p.cli("mod", "approve", LIST, "1", "--always", "--as", MODS[0])
        rs = json.loads(p.cli("--json", "rules", LIST, "ls").stdout)
        assert rs[0]["cond"] == "sender" and rs[0]["arg"] == SPAMMER
        assert rs[0]["action"] == "accept" and rs[0]["position"] == 1
        assert p.sql("SELECT action, rule, moderator FROM modlog ORDER BY"
                     " seq DESC LIMIT 2") == [
            ["rule_changed", rs[0]["name"], MODS[0]],
            ["approved", "held", MODS[0]]]
        lmtp_send(p.lmtp_port, SPAMMER, [LIST],
                  message(sender=SPAMMER, subject="again"))
        wait_for(lambda: p.sql("SELECT state FROM posts WHERE id = 2") ==
                 [["accepted"]], what="accepted from now on")
        r = p.cli("mod", "reject", LIST, "1", "--always", "--reason", "x",
                  check=False)
        assert r.returncode == 64
