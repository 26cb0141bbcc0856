"""test_sessions.py - what hostile or unlucky senders do to sessions.

Issue 8, items 7-9 and queue ids: duplicate recipients do not multiply
the fan-out, idle connections do not lock the MTA out (per-listener
limits, a per-client cap, stress mode), 8-bit header bytes reach members
unchanged, and queue ids stay unique across daemon restarts.
"""
import os
import quopri
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
        d = os.path.join(p.dir, "html")
        p.cli("archive", "html", LIST, d)
        pages = b"".join(open(os.path.join(r, f), "rb").read()
                         for r, _, fs in os.walk(d) for f in fs)
        assert b"<h1>" + SUBJECT_8BIT + b"</h1>" in pages
        assert SUBJECT_8BIT in p.cli("digest", "preview", LIST).stdout
        plain = p.cli("digest", "preview", LIST, "--plain").stdout
        text = quopri.decodestring(plain.split(b"\n\n", 1)[1])
        assert b"Subject: " + SUBJECT_8BIT in text, text
        assert b"From: " + FROM_8BIT in text, text
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
        log = p.read_log()
        assert "duplicate recipient <TEAM@example.org>" in log
        # one inbox row was written for the five RCPTs
        assert re.search(r"message queued for 1 recipient, \d+ bytes", log)


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


# ---- item 8: idle connections, per-client cap, stress mode -------------

def greeting(sock):
    """The first reply line on sock (bytes), read to its CRLF."""
    buf = b""
    while b"\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.split(b"\r\n", 1)[0]


def open_many(port, n):
    """n connections from 127.0.0.1; returns (sockets, greetings)."""
    socks, lines = [], []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            socks.append(s)
        for s in socks:
            lines.append(greeting(s))
    except Exception:
        for s in socks:
            s.close()
        raise
    return socks, lines


def probes_gone(p):
    """The harness's port probes are closed, so every session counts."""
    wait_for(lambda: p.read_log().count(": disconnect") >= 2, 10,
             "probe connections closed")


def lmtp_still_works(p, msgid):
    with Client(p.lmtp_port) as c:        # asserts the 220 greeting
        assert c.cmd("LHLO mta.test")[0] == 250
    codes = lmtp_send(p.lmtp_port, SENDER, [LIST], post(msgid=msgid))
    assert codes == [250], codes


def test_idle_smtp_from_one_client_capped_lmtp_gets_in():
    with daemon() as p:
        probes_gone(p)
        socks, lines = open_many(p.smtp_port, 210)
        try:
            ok = [x for x in lines if x.startswith(b"220 ")]
            capped = [x for x in lines if x.startswith(b"421 4.7.0 ")]
            assert len(ok) == 50, len(ok)
            assert len(capped) == 160, lines[45:55]
            assert b"too many connections from your address" in capped[0]
            lmtp_still_works(p, b"<cap@test>")
        finally:
            for s in socks:
                s.close()
        assert "too many connections from 127.0.0.1" in p.read_log()


def test_full_smtp_listener_leaves_lmtp_its_places():
    with daemon(max_sessions_per_client=1000) as p:
        probes_gone(p)
        socks, lines = open_many(p.smtp_port, 205)
        try:
            assert sum(x.startswith(b"220 ") for x in lines) == 200
            assert all(x.startswith(b"421 4.3.2 ") for x in lines[200:]), \
                lines[200:]
            lmtp_still_works(p, b"<full@test>")
        finally:
            for s in socks:
                s.close()


def test_stress_mode_drops_idle_connections_early():
    with daemon(smtp_max_sessions=10, stress_idle_timeout=1,
                idle_timeout=3600) as p:
        probes_gone(p)
        socks, lines = open_many(p.smtp_port, 9)
        try:
            assert all(x.startswith(b"220 ") for x in lines), lines
            # 9 of 10 is stress: idle sessions get a 421 within seconds,
            # not after an hour (60 s is only an upper bound on waiting)
            for s in socks:
                s.settimeout(60)
                line = greeting(s)
                assert line.startswith(b"421 4.4.2 "), line
            lmtp_still_works(p, b"<stress@test>")
        finally:
            for s in socks:
                s.close()
        log = wait_for(lambda: "stress mode off" in p.read_log() and
                       p.read_log(), 30, "stress mode to end")
        assert log.count("smtp: stress mode on") == 1, log
        assert log.count("smtp: stress mode off") == 1, log


def test_unix_lmtp_socket_has_no_client_cap():
    """Every peer of a unix socket is the MTA: only the listener's limit
    applies, never the cap per client."""
    p = Postino(settings={"max_sessions_per_client": "2"})
    socks = []
    try:
        path = os.path.join(p.dir, "lmtp.sock")
        with open(p.conf, "a") as f:
            f.write("lmtp_listen = unix:%s\n" % path)
        p.make_list(LIST, MEMBERS)
        p.lmtp_port = p.smtp_port                   # start() probes TCP only
        p.start()
        for _ in range(6):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(30)
            s.connect(path)
            socks.append(s)
        lines = [greeting(s) for s in socks]
        assert all(x.startswith(b"220 ") for x in lines), lines
    finally:
        for s in socks:
            s.close()
        p.close()
