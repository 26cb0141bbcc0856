"""test_framing.py - hostile LMTP/SMTP framing against the real daemon.

Every case 1-19 of reliability.md section 4.A, over TCP, plus group
commit, max_sessions and graceful stop.  After each hostile case the test
checks that nothing was stored (the messages table did not grow) and,
where the spec says the session stays in sync, that a NOOP still gets 250.
"""
import os
import socket
import threading
import time

from harness import Client, Postino, message, wait_for

LIST = "team@example.org"
MEMBER = "m1@example.org"


def daemon(**settings):
    p = Postino(settings={k: str(v) for k, v in settings.items()})
    try:
        p.make_list(LIST, [MEMBER])
        p.start()
    except Exception:
        p.close()
        raise
    return p


def stored(p):
    return int(p.sql("SELECT count(*) FROM messages")[0][0])


def rss_kb(p):
    with open("/proc/%d/status" % p.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def send_bg(c, data):
    """Send in a thread: a pipelining client must read while it writes."""
    t = threading.Thread(target=c.send, args=(data,), daemon=True)
    t.start()
    return t


def hello(c, lmtp=True):
    code, _ = c.cmd("LHLO client.test" if lmtp else "EHLO client.test")
    assert code == 250, code


def open_tx(c, lmtp=True, sender="<alice@example.org>", rcpts=(LIST,)):
    hello(c, lmtp)
    assert c.cmd("MAIL FROM:" + sender)[0] == 250
    for r in rcpts:
        assert c.cmd("RCPT TO:<%s>" % r)[0] == 250
    assert c.cmd("DATA")[0] == 354


def in_sync(c):
    code, _ = c.cmd("NOOP")
    assert code == 250, "session out of sync: NOOP got %r" % code


# 1 ---------------------------------------------------------------------
def test_01_bare_lf_and_cr_in_commands():
    with daemon() as p:
        for port, lmtp in ((p.lmtp_port, True), (p.smtp_port, False)):
            with Client(port) as c:
                hello(c, lmtp)
                c.send(b"MAIL FROM:<a@example.org>\n")
                code, text = c.reply()
                assert code == 500 and text[0].startswith("5.5.2"), text
                c.send(b"NOOP\rNOOP\r\n")
                assert c.reply()[0] == 500
                in_sync(c)
                # the bare-LF MAIL was not executed
                assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 503
        assert stored(p) == 0


# 2 ---------------------------------------------------------------------
SMUGGLING = [b"\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\n.\r\n",
             b"\r\n.\n", b"\r.\r\n", b"\r\n.\r", b"\r\n\x00.\r\n"]


def test_02_smuggling_terminators():
    second = (b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n"
              b"From: evil@example.org\r\nSubject: smuggled\r\n\r\nx\r\n"
              b".\r\n" % LIST.encode())
    with daemon() as p:
        for port, lmtp in ((p.lmtp_port, True), (p.smtp_port, False)):
            for term in SMUGGLING:
                with Client(port) as c:
                    open_tx(c, lmtp)
                    c.send(message(subject="first") + term + second)
                    code, text = c.reply()
                    assert code == 550, (term, code, text)
                    assert text[0].startswith("5.6.0"), text
                    in_sync(c)
        assert stored(p) == 0
        assert "smuggled" not in p.read_log()


# 3 ---------------------------------------------------------------------
def test_03_bare_cr_lf_in_body():
    with daemon() as p:
        for bad in (b"line one\nline two\r\n", b"line one\rline two\r\n",
                    b"ok\r\n\n", b"ok\r\n\r\r\n"):
            with Client(p.lmtp_port) as c:
                open_tx(c)
                # "\n.\r\n" would not end the data: end it for real
                c.send(message() + bad + b"\r\n.\r\n")
                assert c.reply()[0] == 550, bad
                in_sync(c)
        assert stored(p) == 0


# 4 ---------------------------------------------------------------------
def test_04_dot_stuffing_round_trip():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            open_tx(c)
            head = message(body="")
            # ".", "..", ".foo", ". " stuffed; "last." shows a final line
            # without CRLF does not end the data
            wire = (head + b"..\r\n...\r\n..foo\r\n.. \r\nlast.\r\n.\r\n")
            c.send(wire)
            code, text = c.reply()
            assert code == 250, (code, text)
        want = head + b".\r\n..\r\n.foo\r\n. \r\nlast.\r\n"
        rows = p.sql("SELECT hex(body) FROM messages")
        assert [bytes.fromhex(r[0]) for r in rows] == [want], rows


# 5 ---------------------------------------------------------------------
def test_05_megabyte_line():
    with daemon() as p:
        base = rss_kb(p)
        with Client(p.lmtp_port) as c:
            hello(c)
            c.send(b"NOOP " + b"A" * (1 << 20))
            c.send(b"\r\n")
            code, text = c.reply()
            assert code == 500 and "too long" in text[0], text
            in_sync(c)
        with Client(p.lmtp_port) as c:
            open_tx(c)
            c.send(message() + b"x" * (1 << 20) + b"\r\n.\r\n")
            code, text = c.reply()
            assert code == 550 and text[0].startswith("5.6.0"), text
            in_sync(c)
        assert rss_kb(p) - base < 8 * 1024, (base, rss_kb(p))
        assert stored(p) == 0


# 6 ---------------------------------------------------------------------
def test_06_long_addresses():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
            # a 10 KB path does not fit the 512-octet command line
            code, text = c.cmd("RCPT TO:<%s@example.org>" % ("a" * 10240))
            assert code == 500 and "too long" in text[0], text
            code, text = c.cmd("RCPT TO:<%s@example.org>" % ("b" * 65))
            assert code == 501 and text[0].startswith("5.1.3"), text
            dom = ".".join(["d" * 60] * 5) + ".example"
            assert c.cmd("RCPT TO:<u@%s>" % dom)[0] == 501
            assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
        assert stored(p) == 0


# 7 ---------------------------------------------------------------------
def test_07_mail_parameters():
    cases = [("SIZE=abc", 501), ("SIZE=-1", 501), ("SIZE=", 501),
             ("SIZE=99999999999999999999", 552),
             ("SIZE=999999999999999999999", 501),
             ("SIZE=10 SIZE=10", 501), ("BODY=7BIT BODY=7BIT", 501),
             ("FOO=bar", 555), ("BODY=BINARYMIME", 555),
             ("SMTPUTF8", 555), ("SIZE=100000000", 552),
             ("SIZE=1000 BODY=8BITMIME", 250)]
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            for params, want in cases:
                code, text = c.cmd("MAIL FROM:<a@example.org> " + params)
                assert code == want, (params, code, text)
                c.cmd("RSET")
            in_sync(c)


# 8 ---------------------------------------------------------------------
def test_08_size_exceeded_in_data():
    with daemon(max_message_size=4096) as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            assert c.cmd("MAIL FROM:<a@example.org> SIZE=100")[0] == 250
            assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
            assert c.cmd("DATA")[0] == 354
            body = b"".join(b"%070d\r\n" % i for i in range(3000))
            c.send(message() + body + b".\r\n")
            code, text = c.reply()
            assert code == 552 and text[0].startswith("5.3.4"), text
            in_sync(c)
        assert stored(p) == 0


# 9 ---------------------------------------------------------------------
def test_09_ten_thousand_recipients():
    with daemon(max_recipients=100) as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
            t = send_bg(c, ("RCPT TO:<%s>\r\n" % LIST).encode() * 10000)
            codes = [c.reply()[0] for _ in range(10000)]
            t.join()
            assert codes.count(250) == 100 and codes.count(452) == 9900
            assert codes[:100] == [250] * 100
            assert c.cmd("DATA")[0] == 354
            c.send(message() + b".\r\n")
            after = [c.reply()[0] for _ in range(100)]
            assert after == [250] * 100, after
            in_sync(c)
        assert stored(p) == 1


# 10 --------------------------------------------------------------------
def test_10_lmtp_reply_per_recipient():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
            assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
            code, text = c.cmd("RCPT TO:<nobody@example.org>")
            assert code == 550 and text[0].startswith("5.1.1"), text
            assert c.cmd("RCPT TO:<%s>" % LIST.upper())[0] == 250
            assert c.cmd("DATA")[0] == 354
            c.send(message() + b".\r\n")
            replies = [c.reply() for _ in range(2)]
            assert [r[0] for r in replies] == [250, 250], replies
            in_sync(c)
            # the same address three times: three replies
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
            for _ in range(3):
                assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
            assert c.cmd("DATA")[0] == 354
            c.send(message() + b".\r\n")
            assert [c.reply()[0] for _ in range(3)] == [250] * 3
            in_sync(c)
        assert stored(p) == 2


# 11 --------------------------------------------------------------------
def test_11_command_order():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 503
            hello(c)
            assert c.cmd("DATA")[0] == 503
            assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 503
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
            assert c.cmd("DATA")[0] == 503          # no recipient yet
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 503
            assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
            hello(c)                                 # LHLO resets
            assert c.cmd("DATA")[0] == 503
            assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 503
        assert stored(p) == 0


# 12 --------------------------------------------------------------------
def test_12_wrong_greeting_verb():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            for cmd in ("HELO x", "EHLO x"):
                code, text = c.cmd(cmd)
                assert code == 500 and text[0].startswith("5.5.1"), text
            hello(c)
        with Client(p.smtp_port) as c:
            code, text = c.cmd("LHLO x")
            assert code == 500 and text[0].startswith("5.5.1"), text
            assert c.cmd("HELO x")[0] == 250
            code, lines = c.cmd("EHLO x")
            assert code == 250
            for ext in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"):
                assert ext in lines, lines
            assert any(l.startswith("SIZE ") for l in lines), lines


# 13 --------------------------------------------------------------------
def test_13_hanging_payload():
    with daemon(idle_timeout=2, data_timeout=3) as p:
        with Client(p.lmtp_port) as c:
            open_tx(c)
            c.send(message() + b"no final dot\r\n")
            t0 = time.monotonic()
            code, text = c.reply()
            assert code == 421 and text[0].startswith("4.4.2"), text
            assert "timeout" in text[0]
            assert 1.5 < time.monotonic() - t0 < 6
            assert c.closed()
        assert stored(p) == 0


# 14 --------------------------------------------------------------------
def test_14_slowloris():
    with daemon(idle_timeout=2, session_timeout=3) as p:
        c = Client(p.lmtp_port)
        t0 = time.monotonic()
        got = None
        try:
            for b in b"NOOP " + b"x" * 100:
                c.send(bytes([b]))
                c.sock.settimeout(0.5)
                try:
                    got = c.reply()
                    break
                except socket.timeout:
                    continue
        finally:
            c.close()
        assert got is not None and got[0] == 421, got
        assert 2.5 < time.monotonic() - t0 < 6


# 15 --------------------------------------------------------------------
def test_15_disconnect():
    with daemon() as p:
        # mid-DATA: nothing stored
        c = Client(p.lmtp_port)
        open_tx(c)
        c.send(message() + b"half a message\r\n")
        c.close()
        time.sleep(0.5)
        assert stored(p) == 0
        # right after the dot: committed (the MTA's retry may duplicate)
        c = Client(p.lmtp_port)
        open_tx(c)
        c.send(message() + b".\r\n")
        c.close()
        wait_for(lambda: stored(p) == 1, 10, "message after early close")
        wait_for(lambda: "disconnect" in p.read_log(), what="disconnect logged")
        with Client(p.lmtp_port) as c:
            in_sync(c)


# 16 --------------------------------------------------------------------
def test_16_nul_tab_8bit_in_commands():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            for bad in (b"NO\x00OP\r\n", b"LHLO\tx\r\n", b"N\xc3\x96OP\r\n",
                        b"\xff\xfe\r\n", b"MAIL FROM:<a\x00@example.org>\r\n"):
                c.send(bad)
                code, text = c.reply()
                assert code == 500, (bad, code, text)
            in_sync(c)


# 17 --------------------------------------------------------------------
def test_17_odd_paths():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            assert c.cmd("MAIL FROM:<>")[0] == 250
            for bad in ("<@example.org>", '<"">', "<>", "team@example.org",
                        "<team@example.org"):
                code, text = c.cmd("RCPT TO:" + bad)
                assert code == 501 and text[0].startswith("5.1.3"), (bad,
                                                                      text)
            code, _ = c.cmd("RCPT TO:<@a.example,@b.example:%s>" % LIST)
            assert code == 250
            # a null sender may post at the protocol level
            assert c.cmd("DATA")[0] == 354
            c.send(message() + b".\r\n")
            assert c.reply()[0] == 250
        assert stored(p) == 1


# 18 --------------------------------------------------------------------
def test_18_parentheses_and_blank_lines():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            c.send(b"NOOP " + b"(" * 4000)
            c.sock.settimeout(0.5)
            try:
                c.reply()
                raise AssertionError("reply before the end of the line")
            except socket.timeout:
                pass
            c.sock.settimeout(30)
            c.send(b"\r\n")
            assert c.reply()[0] == 500
            t = send_bg(c, b"\r\n" * 5000)
            codes = [c.reply()[0] for _ in range(5000)]
            t.join()
            assert codes == [500] * 5000
            in_sync(c)


# 19 --------------------------------------------------------------------
def test_19_hundred_thousand_pipelined_noops():
    with daemon() as p:
        base = rss_kb(p)
        with Client(p.smtp_port) as c:
            data = b"NOOP\r\nRSET\r\n" * 50000
            t = send_bg(c, data)
            n = 0
            while n < 100000:
                code, _ = c.reply()
                assert code == 250
                n += 1
            t.join()
            assert c.cmd("QUIT")[0] == 221
        assert rss_kb(p) - base < 8 * 1024, (base, rss_kb(p))


# beyond section 4.A ----------------------------------------------------
def test_group_commit_concurrent_clients():
    """8 clients posting at once: all acknowledged, commits are shared."""
    n_clients, per_client = 8, 25
    errors = []

    def post(i):
        try:
            with Client(p.lmtp_port) as c:
                hello(c)
                for j in range(per_client):
                    assert c.cmd("MAIL FROM:<a%d@example.org>" % i)[0] == 250
                    assert c.cmd("RCPT TO:<%s>" % LIST)[0] == 250
                    assert c.cmd("DATA")[0] == 354
                    c.send(message(subject="c%d m%d" % (i, j)) + b".\r\n")
                    code, text = c.reply()
                    assert code == 250 and text[0].startswith("2.1.5"), text
        except Exception as e:  # reported below
            errors.append(e)

    with daemon() as p:
        threads = [threading.Thread(target=post, args=(i,))
                   for i in range(n_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert stored(p) == n_clients * per_client
        groups = [int(l.split("group commit: ")[1].split()[0])
                  for l in p.read_log().splitlines() if "group commit: " in l]
        assert sum(groups) == n_clients * per_client
        assert max(groups) > 1, "no commit was shared: %r" % groups[:20]


def test_smtp_queued_reply_and_pipelining_after_dot():
    with daemon() as p:
        with Client(p.smtp_port) as c:
            hello(c, lmtp=False)
            c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                   % LIST.encode())
            assert [c.reply()[0] for _ in range(3)] == [250, 250, 354]
            c.send(message() + b".\r\nNOOP\r\nQUIT\r\n")
            code, text = c.reply()
            assert code == 250 and "queued as" in text[0], text
            assert c.reply()[0] == 250
            assert c.reply()[0] == 221
            assert c.closed()
        assert stored(p) == 1


def test_max_sessions():
    """max_sessions is per listener: a full LMTP listener refuses, the
    SMTP one still takes sessions (and the other way round)."""
    with daemon(max_sessions=2) as p:
        # the harness's two port probes must be gone first
        wait_for(lambda: p.read_log().count(": disconnect") >= 2, 10,
                 "probe connections closed")
        a, b = Client(p.lmtp_port), Client(p.lmtp_port)
        try:
            c = Client(p.lmtp_port, greet=False)
            code, text = c.reply()
            assert code == 421 and text[0].startswith("4.3.2"), text
            c.close()
            with Client(p.smtp_port) as d:
                in_sync(d)
            in_sync(a)
            in_sync(b)
        finally:
            a.close()
            b.close()


def test_stop_lets_transactions_finish():
    p = daemon()
    try:
        idle = Client(p.lmtp_port)
        busy = Client(p.lmtp_port)
        open_tx(busy)
        busy.send(message())
        p.proc.send_signal(15)
        code, text = idle.reply()
        assert code == 421, (code, text)
        time.sleep(0.3)
        busy.send(b".\r\n")
        code, text = busy.reply()
        assert code == 250, (code, text)
        assert busy.reply()[0] == 421      # then it is closed, too
        assert p.stop() == 0
        assert stored(p) == 1
    finally:
        p.close()


def test_reload_keeps_sessions():
    with daemon() as p:
        with Client(p.lmtp_port) as c:
            hello(c)
            p.proc.send_signal(1)                   # SIGHUP
            wait_for(lambda: "reload" in p.read_log().lower(), 10, "reload")
            in_sync(c)
            assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
        with Client(p.lmtp_port) as c:
            in_sync(c)


def test_unix_socket_replaces_stale_file():
    p = Postino()
    try:
        path = os.path.join(p.dir, "lmtp.sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)                            # a stale socket file
        stale.close()
        with open(p.conf, "a") as f:
            f.write("lmtp_listen = unix:%s\n" % path)
        p.make_list(LIST, [MEMBER])
        p.lmtp_port = p.smtp_port                   # start() probes TCP only
        p.start()
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        f = s.makefile("rb")
        assert f.readline().startswith(b"220 ")
        s.sendall(b"LHLO x\r\nQUIT\r\n")
        lines = [f.readline() for _ in range(6)]
        assert lines[-1].startswith(b"221 "), lines
        s.close()
    finally:
        p.close()
