"""test_sessions.py - what hostile or unlucky senders do to sessions.

Issue 8, items 7-9 and queue ids: duplicate recipients do not multiply
the fan-out, idle connections do not lock the MTA out (per-listener
limits, a per-client cap, stress mode), 8-bit header bytes reach members
unchanged, and queue ids stay unique across daemon restarts.
"""
import os
import re
import socket

from harness import Client, Postino, lmtp_send, wait_for

LIST = "team@example.org"
MEMBERS = ["m1@example.org", "m2@example.org", "m3@example.net"]
SENDER = "m1@example.org"


def daemon(members=MEMBERS, **settings):
    p = Postino(settings={k: str(v) for k, v in settings.items()})
    try:
        p.make_list(LIST, members)
        p.start()
    except Exception:
        p.close()
        raise
    return p


def post(subject=b"hello", frm=SENDER.encode(), msgid=b"<s1@test>"):
    return (b"From: " + frm + b"\r\nTo: " + LIST.encode() +
            b"\r\nSubject: " + subject + b"\r\nMessage-ID: " + msgid +
            b"\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\nHallo.\r\n")


def copies(p, n, what):
    """The outbox once every member holds n copies (and the queue is idle)."""
    def done():
        box = p.outbox()
        return box if all(len(box.get(m, [])) >= n for m in MEMBERS) \
            else None
    return wait_for(done, 30, what)


def header(msg, name):
    """The raw bytes of the first header `name` (unfolded), or None."""
    head = msg.split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"(?im)^" + name + rb":[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)",
                  head)
    return m.group(1).replace(b"\r\n", b"") if m else None


# ---- item 9: 8-bit headers --------------------------------------------

SUBJECT_8BIT = "Caf\u00e9 \u20ac r\u00e9union \u65e5\u672c\u8a9e".encode()
FROM_8BIT = "J\u00f6rg M\u00fcller <m1@example.org>".encode()


def test_8bit_subject_and_from_reach_members_unchanged():
    with daemon() as p:
        codes = lmtp_send(p.lmtp_port, SENDER, [LIST],
                          post(SUBJECT_8BIT, FROM_8BIT))
        assert codes == [250], codes
        box = copies(p, 1, "a copy for every member")
        for m in MEMBERS:
            got = box[m][0]
            assert header(got, b"Subject") == b"[team] " + SUBJECT_8BIT, \
                header(got, b"Subject")
            assert header(got, b"From") == FROM_8BIT, header(got, b"From")
            assert b"?" not in header(got, b"Subject")
        # the archive and the digest read the same post without harm
        out = p.cli("archive", "export", LIST).stdout
        assert SUBJECT_8BIT in out, out[:500]
        p.cli("archive", "html", LIST, os.path.join(p.dir, "html"))
        p.cli("digest", "preview", LIST)
        p.cli("digest", "preview", LIST, "--plain")
        assert p.proc.poll() is None, "daemon died"


# ---- item 7: duplicate recipients -------------------------------------

def settled(p):
    """True once nothing is left to process or deliver."""
    return (p.sql("SELECT count(*) FROM inbox")[0][0] == "0" and
            p.sql("SELECT count(*) FROM jobs WHERE state = 'active'")[0][0]
            == "0")


DUP_RCPTS = ["team@example.org", "TEAM@example.org", "Team@EXAMPLE.ORG",
             "tEaM@Example.Org", "team@example.ORG"]


def test_duplicate_recipients_one_copy_lmtp():
    with daemon() as p:
        codes = lmtp_send(p.lmtp_port, SENDER, DUP_RCPTS, post())
        assert codes == [250] * 5, codes
        copies(p, 1, "a copy for every member")
        wait_for(lambda: settled(p), 30, "processing and delivery done")
        box = p.outbox()
        assert {m: len(box.get(m, [])) for m in MEMBERS} == \
            {m: 1 for m in MEMBERS}, {m: len(v) for m, v in box.items()}
        assert p.sql("SELECT count(*) FROM posts")[0][0] == "1"
        assert "duplicate recipient <TEAM@example.org>" in p.read_log()


def test_duplicate_recipients_one_copy_smtp():
    with daemon() as p:
        with Client(p.smtp_port) as c:
            assert c.cmd("EHLO client.test")[0] == 250
            assert c.cmd("MAIL FROM:<%s>" % SENDER)[0] == 250
            for r in DUP_RCPTS + ["team+help@example.org",
                                  "TEAM+HELP@example.org"]:
                assert c.cmd("RCPT TO:<%s>" % r)[0] == 250, r
            assert c.cmd("DATA")[0] == 354
            c.send(post(msgid=b"<s2@test>") + b".\r\n")
            code, text = c.reply()
            assert code == 250, (code, text)
        copies(p, 1, "a copy for every member")
        wait_for(lambda: settled(p) and len(p.outbox()[SENDER]) >= 2, 30,
                 "processing and delivery done")
        box = p.outbox()
        posts = {m: sum(header(x, b"Message-ID") == b"<s2@test>"
                        for x in box.get(m, [])) for m in MEMBERS}
        assert posts == {m: 1 for m in MEMBERS}, posts
        # team+help and TEAM+HELP: one help reply to the sender
        assert len(box[SENDER]) == 2, len(box[SENDER])
        assert p.sql("SELECT count(*) FROM posts")[0][0] == "1"


# ---- queue ids ----------------------------------------------------------

def smtp_queue_id(p, msgid):
    with Client(p.smtp_port) as c:
        assert c.cmd("EHLO client.test")[0] == 250
        assert c.cmd("MAIL FROM:<%s>" % SENDER)[0] == 250
        assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
        assert c.cmd("DATA")[0] == 354
        c.send(post(msgid=msgid) + b".\r\n")
        code, text = c.reply()
        assert code == 250, (code, text)
        m = re.search(r"queued as (\S+)", text[0])
        assert m, text
        return m.group(1)


def test_queue_ids_unique_across_restarts():
    p = daemon()
    with p:
        first = smtp_queue_id(p, b"<q1@test>")
        p.stop()
        p.start()
        second = smtp_queue_id(p, b"<q2@test>")
        assert first != second, (first, second)
        # the log names each id, so a message can be followed through it
        log = p.read_log()
        assert ": %s: message queued" % first in log, first
        assert ": %s: message queued" % second in log, second
