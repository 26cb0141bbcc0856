"""Announce lists and styles: `list create --style`, the rule conditions
`sender owner` and `sender moderator`, and the one-reply confirmation of
an owner's post (LIST+post-TOKEN@) that a forged From cannot give.
Real daemon over LMTP, mails read at Postfix's smtp-sink.
"""
import json
import os
import re

from harness import Postino, SmtpSink, lmtp_send, message, wait_for
from test_moderation import mails, to, wait_to

LIST = "news@example.org"
OWNER = "boss@example.org"
MOD = "mia@example.org"
MEMBERS = ["ann@example.org", "bob@example.org", "cat@example.org"]
POST_RE = r"news\+post-[a-z2-7]{26}@example\.org"


def announce(p, lang=None):
    p.cli("list", "create", LIST, "--owner", OWNER, "--moderator", MOD,
          "--style", "announce")
    if lang:
        p.cli("list", "set", LIST, "language", lang)
    p.cli("member", "import", LIST, "-",
          input="".join(m + "\n" for m in MEMBERS).encode())


def post_as(p, sender, subject):
    assert lmtp_send(p.lmtp_port, sender, [LIST],
                     message(sender=sender, to=LIST, subject=subject)) \
        == [250]


def confirmation(sink, subject):
    """The confirmation mail the owner gets, and its reply address."""
    m, body = wait_to(sink, OWNER, subject)[0]
    addr = re.search(POST_RE, body).group(0)
    assert addr in str(m["Reply-To"])
    parts = [part.get_content_type() for part in m.walk()]
    assert "message/rfc822" in parts
    return m, body, addr


def delivered(sink, subject):
    """The envelope recipients (smtp-sink's X-Rcpt-Args) of the copies
    of the post with subject."""
    out = []
    for m in mails(sink):
        if str(m["Subject"]) == "[news] " + subject:
            for v in m.get_all("X-Rcpt-Args") or []:
                out += re.findall(r"<([^>]+)>", str(v))
    return sorted(out)


def test_owner_post_goes_out_after_one_reply_and_token_is_single_use():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        announce(p)
        p.start()
        post_as(p, OWNER, "Release 2.0")
        m, _, addr = confirmation(sink, "Release 2.0")
        assert "Confirm your post" in str(m["Subject"])
        # Held, waiting for its sender; no moderator was asked.
        assert p.sql("SELECT state, confirm, rule FROM posts") == \
            [["held", OWNER, "owners"]]
        assert not to(sink, MOD)
        assert not delivered(sink, "Release 2.0")
        # One reply to the confirmation releases it to every member.
        lmtp_send(p.lmtp_port, OWNER, [addr],
                  message(sender=OWNER, to=addr, subject="Re: confirm"))
        wait_for(lambda: len(delivered(sink, "Release 2.0")) ==
                 len(MEMBERS), what="fan-out to every member")
        assert delivered(sink, "Release 2.0") == MEMBERS
        wait_to(sink, OWNER, "goes to the members now")
        assert p.sql("SELECT state, decided_by FROM posts") == \
            [["accepted", OWNER]]
        # The log names the sender's own confirmation.
        log = p.cli("log", "show", LIST, "--json").stdout.decode()
        entries = json.loads(log)
        confirmed = [e for e in entries if e["action"] == "confirmed"]
        assert len(confirmed) == 1, entries
        assert "confirmation" in confirmed[0]["reason"]
        # The same reply again: a precise answer, nothing sent twice.
        lmtp_send(p.lmtp_port, OWNER, [addr],
                  message(sender=OWNER, to=addr, subject="Re: again"))
        wait_to(sink, OWNER, "used already")
        assert p.sql("SELECT count(*) FROM jobs WHERE kind = 'fanout'") \
            == [["1"]]
        # A token nobody was given.
        wrong = "news+post-%s@example.org" % ("a" * 26)
        lmtp_send(p.lmtp_port, OWNER, [wrong],
                  message(sender=OWNER, to=wrong))
        wait_to(sink, OWNER, "a" * 26)


def test_forged_owner_post_is_never_distributed_and_lapses():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        announce(p)
        p.cli("list", "set", LIST, "hold_default", "approve")
        p.start()
        # From: says the owner; the envelope is someone else's.
        assert lmtp_send(p.lmtp_port, "forger@evil.example", [LIST],
                         message(sender=OWNER, to=LIST,
                                 subject="Send money")) == [250]
        confirmation(sink, "Send money")
        assert p.sql("SELECT state FROM posts") == [["held"]]
        # The real owner ignores it; its deadline passes.  Even with
        # hold_default = approve the post lapses, unsent and untold.
        p.sql_write("UPDATE posts SET deadline = 1")
        wait_for(lambda: p.sql("SELECT state FROM posts") ==
                 [["discarded"]], what="lapsed")
        log = json.loads(p.cli("log", "show", LIST, "--json").stdout)
        assert [e["action"] for e in log if e["action"] in
                ("expired", "approved", "confirmed")] == ["expired"]
        assert not delivered(sink, "Send money")
        assert p.sql("SELECT count(*) FROM jobs WHERE kind = 'fanout'") \
            == [["0"]]
        assert not to(sink, "forger@evil.example")


def test_member_post_rejected_with_reason_naming_the_owners():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        announce(p)
        p.start()
        post_as(p, MEMBERS[0], "Question")
        _, body = wait_to(sink, MEMBERS[0], "announce-only")[0]
        assert "news+owner@example.org" in body
        assert p.sql("SELECT state, rule FROM posts") == \
            [["rejected", "announce-only"]]
        assert not delivered(sink, "Question")
        # A moderator posts too: confirmed by the moderator himself.
        post_as(p, MOD, "From the moderator")
        m, body = wait_to(sink, MOD, "From the moderator")[0]
        addr = re.search(POST_RE, body).group(0)
        lmtp_send(p.lmtp_port, MOD, [addr], message(sender=MOD, to=addr))
        wait_for(lambda: len(delivered(sink, "From the moderator")) ==
                 len(MEMBERS), what="moderator's post out")


def test_italian_list_texts():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        announce(p, lang="it")
        p.start()
        post_as(p, OWNER, "Annuncio")
        m, body = wait_to(sink, OWNER, "Annuncio")[0]
        assert "Conferma il tuo messaggio" in str(m["Subject"])
        assert "Per mandarlo alla lista" in body
        addr = re.search(POST_RE, body).group(0)
        lmtp_send(p.lmtp_port, OWNER, [addr], message(sender=OWNER, to=addr))
        wait_to(sink, OWNER, "va ora agli iscritti")
        lmtp_send(p.lmtp_port, OWNER, [addr], message(sender=OWNER, to=addr))
        wait_to(sink, OWNER, "già stata usata")
        post_as(p, MEMBERS[1], "Domanda")
        _, body = wait_to(sink, MEMBERS[1], "soli annunci")[0]
        assert "news+owner@example.org" in body


def test_confirmation_refused_once_the_role_is_gone():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        announce(p)
        p.start()
        post_as(p, OWNER, "Old news")
        _, _, addr = confirmation(sink, "Old news")
        p.cli("list", "role", LIST, "rm", "owner", OWNER)
        lmtp_send(p.lmtp_port, OWNER, [addr], message(sender=OWNER, to=addr))
        wait_to(sink, OWNER, "no longer an owner or moderator")
        assert p.sql("SELECT state FROM posts") == [["held"]]
        # Given back, the role does not revive a token already used.
        p.cli("list", "role", LIST, "add", "owner", OWNER)
        lmtp_send(p.lmtp_port, OWNER, [addr], message(sender=OWNER, to=addr))
        wait_to(sink, OWNER, "has already been used")
        assert not delivered(sink, "Old news")


def test_expired_confirmation_answered_precisely():
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        announce(p)
        p.start()
        post_as(p, OWNER, "Late news")
        _, _, addr = confirmation(sink, "Late news")
        p.sql_write("UPDATE tokens SET expires = 1"
                    " WHERE purpose = 'post_confirm'")
        lmtp_send(p.lmtp_port, OWNER, [addr], message(sender=OWNER, to=addr))
        wait_to(sink, OWNER, "has expired")
        assert p.sql("SELECT state FROM posts") == [["held"]]


def test_styles_settings_rules_and_log():
    with Postino() as p:
        for style, addr in (("announce", "a@example.org"),
                            ("moderated", "m@example.org"),
                            ("private", "p@example.org"),
                            ("discussion", "d@example.org")):
            r = p.cli("list", "create", addr, "--owner", OWNER, "--style",
                      style)
            assert b"with style " + style.encode() in r.stdout
        show = lambda a: json.loads(p.cli("list", "show", a,
                                          "--json").stdout)["settings"]
        rules = lambda a: [(r["name"], r["action"], r["cond"], r["arg"])
                           for r in json.loads(p.cli("rules", a, "ls",
                                                     "--json").stdout)]
        log = lambda a: json.loads(p.cli("log", "show", a,
                                         "--json").stdout)
        assert rules("a@example.org") == [
            ("owners", "accept", "sender", "owner"),
            ("moderators", "accept", "sender", "moderator"),
            ("announce-only", "reject", "sender", "member")]
        assert show("a@example.org")["reply_to"] == \
            {"value": "author", "default": False}
        assert show("m@example.org")["moderated"] == \
            {"value": "yes", "default": False}
        s = show("p@example.org")
        assert s["subscribe_policy"]["value"] == "confirm+approve"
        assert s["modlog_public"]["value"] == "members"
        assert rules("d@example.org") == []
        # list show names the style a list was created with.
        for style in ("announce", "moderated", "private", "discussion"):
            a = style[0] + "@example.org"
            assert json.loads(p.cli("list", "show", a, "--json")
                              .stdout)["style"] == style
            assert ("style: " + style + "\n").encode() in \
                p.cli("list", "show", a).stdout
        p.make_list(LIST)
        assert b"style: -\n" in p.cli("list", "show", LIST).stdout
        r = p.cli("list", "set", LIST, "style", "announce", check=False)
        assert r.returncode == 65
        assert show("d@example.org")["moderated"]["default"] is True
        # Each setting and rule applied is in the moderation log.
        a = [(e["action"], e["rule"], e["reason"])
             for e in log("a@example.org")]
        assert ("rule_changed", "owners", "rule added (style announce)") \
            in a
        assert ("rule_changed", "", "setting reply_to = 'author'"
                " (style announce)") in a
        assert len([e for e in a if e[0] == "rule_changed"]) == 4
        p_log = [e["reason"] for e in log("p@example.org")]
        assert "setting modlog_public = 'members' (style private)" in p_log
        assert [e for e in log("d@example.org")
                if e["action"] == "rule_changed"] == []


def test_unknown_style_exit_64_lists_styles_and_creates_nothing():
    with Postino() as p:
        r = p.cli("list", "create", "x@example.org", "--style", "chatty",
                  check=False)
        assert r.returncode == 64
        err = r.stderr.decode()
        assert "unknown style 'chatty'" in err
        assert "announce, discussion, moderated, private" in err
        assert p.cli("list", "ls").stdout == b""
        r = p.cli("list", "create", "x@example.org", "--style", "../en/help",
                  check=False)
        assert r.returncode == 64
        r = p.cli("list", "create", "x@example.org", "--style", "announce",
                  "--style", "private", check=False)
        assert r.returncode == 64


def test_broken_style_file_named_with_its_line_and_nothing_created():
    with Postino() as p:
        path = os.path.join(p.settings["templates"], "styles",
                            "broken.style")
        with open(path, "w") as f:
            f.write("# fine so far\nset moderated yes\n"
                    "rule spam discard sender member\n")
        try:
            r = p.cli("list", "create", "x@example.org", "--style",
                      "broken", check=False)
        finally:
            os.unlink(path)     # the checkout's templates, when not root
        assert r.returncode == 65
        assert ("broken.style:3: rule 'spam': discard may only drop" in
                r.stderr.decode()), r.stderr
        assert p.cli("list", "ls").stdout == b""


def test_rules_add_sender_owner_and_moderator():
    with Postino() as p:
        p.make_list(LIST)
        p.cli("rules", LIST, "add", "own", "accept", "sender", "owner")
        p.cli("rules", LIST, "add", "mods", "hold", "sender", "moderator")
        r = p.cli("rules", LIST, "add", "x", "discard", "sender", "owner",
                  check=False)
        assert r.returncode == 65
        r = p.cli("rules", LIST, "add", "y", "accept", "sender", "owners",
                  check=False)
        assert r.returncode == 65
        assert b"owner, moderator" in r.stderr
        ls = p.cli("rules", LIST, "ls").stdout.decode()
        assert "own accept sender owner" in ls
        assert "mods hold sender moderator" in ls
