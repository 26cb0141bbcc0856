"""Hostile addresses and identities (reliability.md §4.D and §4.E).

Each case drives the real daemon over LMTP and reads what it sends at
Postfix's smtp-sink.
"""
import email
import email.policy
import time

from harness import Postino, SmtpSink, lmtp_send, message, wait_for

LIST = "team@example.org"


def daemon(sink, **settings):
    return Postino(relay="smtp://127.0.0.1:%d" % sink.port,
                   settings=dict({"retry_min": "1"}, **settings))


def mails(sink):
    return [email.message_from_bytes(raw, policy=email.policy.default)
            for raw in sink.messages()]


def settle(p):
    wait_for(lambda: p.sql("SELECT count(*) FROM inbox") == [["0"]],
             what="inbox processed")
    wait_for(lambda: p.sql("SELECT count(*) FROM jobs WHERE state ="
                           " 'active'") == [["0"]], what="queue empty")


def raw_send(p, rcpt, env, data):
    return lmtp_send(p.lmtp_port, env, [rcpt], data)


def test_plus_variants_cannot_bomb_a_victim():
    # §4.E.52: many subscribe requests for one victim, with +N variants,
    # from many senders: at most max_requests_per_day mails reach him.
    with SmtpSink() as sink, daemon(sink, max_requests_per_day="3") as p:
        p.make_list(LIST)
        p.start()
        for i in range(30):
            victim = "victim@example.net" if i % 3 == 0 else \
                "victim+%d@example.net" % i
            raw_send(p, "team+subscribe@example.org",
                     "attacker%d@evil.example" % i,
                     message(sender=victim, to="team+subscribe@example.org"))
        settle(p)
        sent = [m for m in mails(sink) if "victim" in str(m["To"])]
        assert 1 <= len(sent) <= 3, len(sent)
        wait_for(lambda: "requests today" in p.read_log(), what="requests today logged")


def test_display_name_cannot_pick_the_address():
    # §4.D.40: display names, quoted or encoded, never become the address.
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.start()
        for frm in ['"dave@example.net" <mallory@evil.example>',
                    '=?utf-8?q?dave=40example=2Enet?= <mallory@evil.example>',
                    '"Evil, Inc <dave@example.net>" <mallory@evil.example>']:
            data = message(to="team+subscribe@example.org")
            data = data.replace(b"From: alice@example.org",
                                b"From: " + frm.encode())
            raw_send(p, "team+subscribe@example.org", "mallory@evil.example",
                     data)
        settle(p)
        tos = {str(m["To"]) for m in mails(sink)}
        assert tos == {"mallory@evil.example"}, tos
        assert p.sql("SELECT DISTINCT addr FROM tokens") == \
            [["mallory@evil.example"]]


def test_idn_member_matches_both_spellings():
    # §4.D.42: user@bücher.example and user@xn--bcher-kva.example.
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["user@bücher.example"])
        out = p.cli("member", "ls", LIST).stdout.decode()
        assert "user@xn--bcher-kva.example" in out
        r = p.cli("member", "add", LIST, "user@xn--bcher-kva.example",
                  check=False)
        assert r.returncode == 73       # the same member
        p.start()
        raw_send(p, LIST, "user@xn--bcher-kva.example",
                 message(sender="user@xn--bcher-kva.example", subject="idn"))
        settle(p)
        assert p.sql("SELECT state FROM posts") == [["accepted"]]


def test_case_variants_are_one_member():
    # §4.D.41
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["Dave@Example.NET"])
        p.start()
        raw_send(p, LIST, "dave@example.net",
                 message(sender="DAVE@EXAMPLE.NET", subject="case"))
        settle(p)
        assert p.sql("SELECT state FROM posts") == [["accepted"]]
        # Stored as given (domain lower-cased), delivered to that form.
        assert p.sql("SELECT addr FROM members") == [["Dave@example.net"]]


def test_metacharacters_are_data():
    # §4.D.44: shell and SQL metacharacters are plain data where the
    # address syntax allows them, and a clean 501 where it does not.
    from harness import Client
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.cli("list", "set", LIST, "subscribe_policy", "open")
        p.start()
        valid = ["`id`@example.net", "a'b$c{d}|e@example.net"]
        for who in valid:
            assert raw_send(p, "team+subscribe@example.org", who,
                            message(sender=who, subject="$(reboot); `id`",
                                    to="team+subscribe@example.org")) == [250]
        with Client(p.lmtp_port) as c:
            c.cmd("LHLO x")
            for bad in ["a';DROP--@example.net", "$(reboot)@example.net",
                        "../../x@example.net"]:
                assert c.cmd("MAIL FROM:<%s>" % bad)[0] == 501, bad
            assert c.cmd("NOOP")[0] == 250
        settle(p)
        got = sorted(r[0] for r in p.sql("SELECT addr FROM members"))
        assert got == sorted(valid), got
        assert p.sql("SELECT count(*) FROM lists") == [["1"]]


def test_forged_list_address_in_from_is_not_distributed():
    # §4.D.46: From: the list itself, sent by an outsider.
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST, ["dave@example.net"])
        p.start()
        raw_send(p, LIST, "mallory@evil.example",
                 message(sender=LIST, subject="official"))
        settle(p)
        assert p.sql("SELECT state FROM posts") == [["held"]]
        time.sleep(0.5)
        assert not [m for m in mails(sink) if "official" in str(m["Subject"])]


def test_list_names_that_are_paths_are_refused():
    # §4.D.45
    with Postino() as p:
        for name in ["../../etc/passwd@example.org", "%2e%2e@example.org",
                     "list%00@example.org", "a" * 300 + "@example.org",
                     "te+am@example.org", "team-request@example.org"]:
            r = p.cli("list", "create", name, check=False)
            assert r.returncode != 0, name
        p.cli("list", "create", "TEAM@Example.ORG")
        r = p.cli("list", "create", "team@example.org", check=False)
        assert r.returncode == 73
