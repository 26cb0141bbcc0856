"""test_bounce.py - bounce processing with DSNs made by a real Postfix.

The site of test_postfix.py (a private Postfix in front of postino,
wired by contrib) plus a second smtp-sink that refuses every recipient
(-f rcpt, 550 5.1.1) and to which the Postfix transport map sends
bob@example.net only.  Postfix accepts bob's copy of a post from postino
(relay), is refused by that sink, and sends its own DSN to the copy's
envelope sender, bob's VERP address team+bounces-ID-MAC@, which it
delivers back to postino over LMTP: the real round trip of a bounce.
"""
import json
import os
import re
import subprocess

from harness import (Postino, RecordingRelay, SmtpSink, lmtp_send, message,
                     wait_for)
from test_postfix import DOMAIN, LIST, site, sink_to, swaks

BOB = "bob@example.net"


def refuse_bob(pf, stack_sink):
    """Route bob to the refusing sink (transport map + reload)."""
    path = os.path.join(pf.etc, "transport")
    with open(path, "a") as f:
        f.write("%s smtp:[127.0.0.1]:%d\n" % (BOB, stack_sink.port))
    pf.run("postmap", "hash:" + path)
    pf.run("postfix", "reload")


def members(p):
    out = p.cli("--json", "member", "ls", LIST).stdout
    return {m["address"]: m for m in json.loads(out)}


def bounces(p):
    out = p.cli("--json", "bounce", "ls", LIST).stdout
    return {b["address"]: b for b in json.loads(out)}


def setup_list(p, **settings):
    for k, v in settings.items():
        p.cli("list", "set", LIST, k, v)


def warning_mail(p):
    """The newest bounce warning postino queued (the job's body)."""
    for (body,) in p.rows("SELECT body FROM jobs WHERE kind = 'direct'"
                          " ORDER BY id DESC"):
        text = body.decode(errors="replace")
        if "reenable-" in text.replace("=\r\n", ""):
            return text.replace("=\r\n", "")
    return None


def test_postfix_dsn_scores_disables_warns_and_reply_reenables():
    with site() as (p, pf, sink, subst), \
            SmtpSink(extra_args=["-f", "rcpt", "-B", "550 5.1.1 No such user"]
                     ) as refusing:
        refuse_bob(pf, refusing)
        setup_list(p, bounce_score_threshold="2",
                   bounce_you_are_disabled_warnings="2",
                   bounce_you_are_disabled_warnings_interval="1h")
        assert swaks(pf, LIST, subject="first")[0] == 0
        wait_for(lambda: sink_to(sink, "alice@example.net"), 30,
                 "alice's copy")
        # Each copy left postino with its member's VERP sender.
        copy = sink_to(sink, "alice@example.net")[0].decode()
        assert re.search(r"^X-Mail-Args: <team\+bounces-[a-z2-7]{8}-"
                         r"[a-z2-7]+@%s>" % re.escape(DOMAIN), copy,
                         re.M), copy[:600]
        # Postfix's DSN for bob comes back and is scored: hard, 1.0.
        wait_for(lambda: bounces(p).get(BOB, {}).get("score") == 1.0, 60,
                 "bob's score from Postfix's DSN")
        b = bounces(p)[BOB]
        assert b["status"] == "enabled"
        assert "5.1.1" in b["last_diagnostic"], b
        log = p.read_log()
        assert re.search(r"bounce of <%s> \(member \d+\): failed 5\.1\.1"
                         % re.escape(BOB), log), log[-3000:]
        assert "sender non-delivery notification" in pf.read_log()
        # A second bounce the same day is not counted again.
        assert swaks(pf, LIST, subject="second")[0] == 0
        wait_for(lambda: "one counted today already" in p.read_log(), 60,
                 "the second DSN, not counted")
        assert bounces(p)[BOB]["score"] == 1.0
        # Past the threshold (lowered here: one a day is the rule), bob
        # is disabled on the next bounce and gets no more mail.
        p.cli("list", "set", LIST, "bounce_score_threshold", "1")
        p.sql_write("UPDATE bounce_state SET last_day = 0")
        assert swaks(pf, LIST, subject="third")[0] == 0
        wait_for(lambda: members(p)[BOB]["disabled"], 60,
                 "bob disabled")
        m = members(p)[BOB]
        assert m["disabled_why"].startswith("bounces: 5.1.1"), m
        assert "disabled" in p.cli("member", "ls", LIST).stdout.decode()
        wait_for(lambda: warning_mail(p), 30, "the warning")
        warn = warning_mail(p)
        assert "To: %s" % BOB in warn, warn[:800]
        addr = re.search(r"team\+reenable-[a-z2-7]+@" + re.escape(DOMAIN),
                         warn).group(0)
        assert re.search(r"<%s> disabled: bounce score" % re.escape(BOB),
                         p.read_log())
        assert re.search(r"<%s> warned \(1 of 2\)" % re.escape(BOB),
                         p.read_log())
        # A post now reaches alice but not bob.
        before = len(sink_to(refusing, BOB)) + len(sink_to(sink, BOB))
        n_alice = len(sink_to(sink, "alice@example.net"))
        assert swaks(pf, LIST, subject="while disabled")[0] == 0
        wait_for(lambda: len(sink_to(sink, "alice@example.net")) > n_alice,
                 30, "alice's copy of the post made while bob is disabled")
        jobs = p.sql("SELECT count(*) FROM jobs j JOIN posts p ON"
                     " p.id = j.post_id WHERE p.subject LIKE"
                     " '%while disabled%' AND j.sent = 1")
        assert jobs == [["1"]], jobs
        assert len(sink_to(refusing, BOB)) + len(sink_to(sink, BOB)) \
            == before
        # bob replies to the warning: enabled again, score forgotten.
        assert swaks(pf, addr, sender=BOB, subject="Re: paused")[0] == 0
        wait_for(lambda: not members(p)[BOB]["disabled"], 60,
                 "bob re-enabled")
        assert BOB not in bounces(p)
        assert re.search(r"<%s> re-enabled by reply" % re.escape(BOB),
                         p.read_log())
        # The token is single use.
        assert swaks(pf, addr, sender=BOB, subject="again")[0] == 0
        wait_for(lambda: "token used" in p.read_log(), 30, "used token")


def test_forged_verp_ignored_and_vacation_dropped():
    with site() as (p, pf, sink, subst):
        mid = p.sql("SELECT id FROM members WHERE addr = '%s'" % BOB)[0][0]
        assert int(mid) > 0
        bad = "team+bounces-aaaaaaac-aaaaaaaaaaaaaaaa@" + DOMAIN
        dsn = open(os.path.join(os.path.dirname(__file__), "..", "data",
                                "dsn-exim.eml")).read()
        body = dsn.split("\n\n", 1)[1]
        assert swaks_raw(pf, bad, "<>", dsn_headers(bad) + body) == 0
        wait_for(lambda: "forged or damaged VERP" in p.read_log(), 30,
                 "the forged bounce logged")
        vac = open(os.path.join(os.path.dirname(__file__), "..", "data",
                                "dsn-vacation.eml")).read()
        assert swaks_raw(pf, "team+bounces@" + DOMAIN, "heidi@example.net",
                         vac) == 0
        wait_for(lambda: "auto-reply to the bounce address, dropped"
                 in p.read_log(), 30, "the vacation mail dropped")
        assert bounces(p) == {}


def test_verp_no_shares_transactions_and_orcpt_names_the_member():
    with site() as (p, pf, sink, subst), \
            SmtpSink(extra_args=["-f", "rcpt", "-B", "550 5.1.1 No such user"]
                     ) as refusing:
        refuse_bob(pf, refusing)
        p.cli("list", "set", LIST, "verp", "no")
        assert swaks(pf, LIST, subject="shared")[0] == 0
        wait_for(lambda: sink_to(sink, "alice@example.net"), 30,
                 "alice's copy")
        copy = sink_to(sink, "alice@example.net")[0].decode()
        # One shared envelope sender; ORCPT went through Postfix.
        assert re.search(r"^X-Mail-Args: <team\+bounces@%s>"
                         % re.escape(DOMAIN), copy, re.M), copy[:600]
        assert re.search(r"^X-Rcpt-Args: <alice@example\.net> .*ORCPT="
                         r"rfc822;alice@example\.net", copy, re.M | re.I), \
            copy[:600]
        # Postfix's DSN names bob (Original-Recipient): scored all the same.
        wait_for(lambda: bounces(p).get(BOB, {}).get("score") == 1.0, 60,
                 "bob's score from a DSN without VERP")
        assert "'bounces' mail from <>; report for <%s>" % BOB \
            in p.read_log()


def test_disabled_member_removed_after_the_warnings_owner_told():
    owner = "owner@example.net"
    with site() as (p, pf, sink, subst), \
            SmtpSink(extra_args=["-f", "rcpt", "-B", "550 5.1.1 No such user"]
                     ) as refusing:
        refuse_bob(pf, refusing)
        p.sql_write("INSERT INTO list_roles (list_id, role, addr, addr_key)"
                    " SELECT id, 'owner', '%s', '%s' FROM lists" %
                    (owner, owner))
        setup_list(p, bounce_score_threshold="1",
                   bounce_you_are_disabled_warnings="0")
        assert swaks(pf, LIST, subject="gone")[0] == 0
        wait_for(lambda: BOB not in members(p), 60, "bob removed")
        log = p.read_log()
        assert re.search(r"<%s> disabled: bounce score 1\.0" %
                         re.escape(BOB), log), log[-3000:]
        assert re.search(r"<%s> removed: disabled for bounces, 0 warning"
                         % re.escape(BOB), log), log[-3000:]
        for what in ("disabled on", "removed from"):
            wait_for(lambda: any(("%s %s" % (BOB, what)).encode() in m
                                 for m in sink_to(sink, owner)), 30,
                     "the owner told: " + what)
        assert "alice@example.net" in members(p)


def test_bounce_ls_and_reset_from_the_shell():
    with Postino() as p:
        p.make_list(LIST, ["alice@example.net", BOB])
        p.sql_write("INSERT INTO bounce_state (member_id, list_id, score,"
                    " last_bounce, last_day, last_diag, reason, warnings)"
                    " SELECT m.id, m.list_id, 3.5, 1700000000, 19675,"
                    " '5.1.1 User unknown', '5.1.1 User unknown', 1"
                    " FROM members m WHERE m.addr = '%s';"
                    "UPDATE members SET disabled = 1700000000"
                    " WHERE addr = '%s'" % (BOB, BOB))
        b = bounces(p)
        assert list(b) == [BOB]
        assert b[BOB]["score"] == 3.5 and b[BOB]["status"] == "disabled"
        assert b[BOB]["last_diagnostic"] == "5.1.1 User unknown"
        assert b[BOB]["warnings"] == 1
        text = p.cli("bounce", "ls", LIST).stdout.decode()
        assert re.search(r"^%s score 3\.5 last \S+ disabled warnings 1:"
                         r" 5\.1\.1 User unknown$" % re.escape(BOB), text,
                         re.M), text
        line = [l for l in p.cli("member", "ls", LIST).stdout.decode()
                .splitlines() if l.startswith(BOB)][0]
        assert line.endswith("disabled (bounces: 5.1.1 User unknown)"), line
        r = p.cli("bounce", "reset", LIST, "nobody@example.net", check=False)
        assert r.returncode == 67, r
        r = p.cli("bounce", "reset", LIST, "not an address", check=False)
        assert r.returncode == 65, r
        r = p.cli("bounce", "reset", LIST, BOB)
        assert b"bounce score reset" in r.stdout
        assert bounces(p) == {}
        assert members(p)[BOB]["disabled"] is False
        r = p.cli("bounce", "ls", "nosuch@" + DOMAIN, check=False)
        assert r.returncode == 67, r


def test_relay_5xx_scored_policy_refusal_not_counted():
    """The relay's own refusal at RCPT (recorded by the delivery engine)
    is scored as a DSN is; a 5.7.1 policy refusal is not counted."""
    def rcpt_reply(addr):
        if addr.startswith("gone"):
            return "550 5.1.1 <%s>: user unknown" % addr
        if addr.startswith("spam"):
            return "550 5.7.1 Delivery not authorized, message refused"
        return "250 2.1.5 ok"

    with RecordingRelay(rcpt_reply=rcpt_reply) as relay:
        with Postino(relay="smtp://127.0.0.1:%d" % relay.port) as p:
            p.make_list(LIST, ["ok@example.org", "gone@example.org",
                               "spam@example.org"])
            p.start()
            assert lmtp_send(p.lmtp_port, "ok@example.org", [LIST],
                             message(sender="ok@example.org")) == [250]
            wait_for(lambda: bounces(p).get("gone@example.org", {})
                     .get("score") == 1.0, 30, "gone's score")
            wait_for(lambda: "bounce of <spam@example.org> not counted"
                     in p.read_log(), 30, "the policy refusal logged")
            assert "spam@example.org" not in bounces(p)
            # ok's copy went in a transaction of its own, VERP sender.
            assert relay.delivered == ["ok@example.org"], relay.delivered
            froms = [t[0] for t in relay.transactions]
            assert len(froms) == 1 and re.fullmatch(
                r"team\+bounces-[a-z2-7]{8}-[a-z2-7]+@lists\.example\.org",
                froms[0]), froms


def dsn_headers(to):
    return ("From: Mail Delivery System <Mailer-Daemon@mx.example.net>\r\n"
            "To: %s\r\nSubject: Mail delivery failed\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;"
            " boundary=1698919200-eximdsn-1804289383\r\n\r\n" % to)


def swaks_raw(pf, to, sender, data):
    r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % pf.smtp_port,
                        "--from", sender, "--to", to, "--helo", "c.example",
                        "--data", "-"], input=data.replace("\r\n", "\n"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.returncode
