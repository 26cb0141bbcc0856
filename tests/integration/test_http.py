"""test_http.py - one-click unsubscribe (RFC 8058) over postino's own
HTTP listener (libmicrohttpd), driven with curl and headless Chromium.

Each member's copy carries his own List-Unsubscribe web link and
List-Unsubscribe-Post; a POST of List-Unsubscribe=One-Click to it removes
exactly that member, a GET (what link scanners do) changes nothing, and
hostile requests (bad tokens, other methods, huge or malformed bodies,
slow clients, 10,000 requests at once) get 4xx pages and do no harm.
Screenshots of the pages go to build/test-output/test_http/.
"""
import concurrent.futures
import email
import grp
import email.policy
import os
import re
import shutil
import socket
import subprocess

from harness import (POSTINO, REPO, Postino, free_port, lmtp_send, message, wait_for,
                     wait_port)
from test_archive import chromium, png_colours

LIST = "team@example.org"
PUBLIC = "https://lists.example.org/postino"
MEMBERS = ["dave@example.net", "erin@example.net", "fred@example.net"]
URL_RE = re.compile(re.escape(PUBLIC) + r"/u/([a-z2-7]{8}-[a-z2-7]{16})")
OUT = REPO / "build" / "test-output" / "test_http"


class Http(Postino):
    """A daemon with http_listen on a loopback port (or a unix socket)."""

    def __init__(self, listen=None, **settings):
        self.http_port = free_port()
        conf = {"http_listen": listen or "127.0.0.1:%d" % self.http_port,
                "public_url": PUBLIC + "/", "http_timeout": "3"}
        conf.update(settings)
        super().__init__(settings=conf)

    def start(self, umask=None):
        super().start(umask)
        if not self.settings["http_listen"].startswith("unix:"):
            wait_port(self.http_port, proc=self.proc)
        return self

    def url(self, token):
        return "http://127.0.0.1:%d/postino/u/%s" % (self.http_port, token)


def curl(*args, timeout=60):
    """curl ARGS; (HTTP status, body) with -w appending the status."""
    r = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}"] +
                       list(args), capture_output=True, timeout=timeout)
    out = r.stdout.decode(errors="replace")
    body, _, code = out.rpartition("\n")
    return int(code or 0), body


def members(p):
    return [r[0] for r in p.sql("SELECT addr FROM members ORDER BY addr")]


def post_and_collect(p):
    """Send one post; {member: its copy} once every member has his."""
    assert lmtp_send(p.lmtp_port, "dave@example.net", [LIST],
                     message(sender="dave@example.net")) == [250]
    n = len(members(p))
    box = wait_for(lambda: p.outbox() if len(p.outbox()) >= n else None,
                   what="a copy for every member")
    return {rcpt: email.message_from_bytes(raw[-1], policy=email.policy.default)
            for rcpt, raw in box.items()}


def tokens_of(p):
    copies = post_and_collect(p)
    toks = {}
    for rcpt, m in copies.items():
        lu = " ".join(str(m["List-Unsubscribe"]).split())
        found = URL_RE.search(lu)
        assert found, lu
        assert re.search(r"<mailto:team\+u-[a-z2-7]{8}-[a-z2-7]{16}"
                         r"@example\.org>$", lu), lu
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        toks[rcpt] = found.group(1)
    return toks


def setup(p):
    p.make_list(LIST, MEMBERS, personalize="yes")
    p.start()
    return tokens_of(p)


def test_one_click_post_unsubscribes_exactly_that_member():
    with Http() as p:
        toks = setup(p)
        assert len(set(toks.values())) == 3
        # What a mailbox provider sends (RFC 8058 section 3.2).
        code, body = curl("-X", "POST", "-d", "List-Unsubscribe=One-Click",
                          p.url(toks["erin@example.net"]))
        assert code == 200, body
        assert "erin@example.net" in body
        assert members(p) == ["dave@example.net", "fred@example.net"]
        assert "web page of <erin@example.net>; <erin@example.net> left" \
            in p.read_log()
        # The goodbye goes out as for a leave by mail.
        wait_for(lambda: any(b"erin@example.net" in raw[-1]
                             for rcpt, raw in p.outbox().items()
                             if rcpt == "erin@example.net" and len(raw) > 1),
                 what="goodbye")
        # The same link again: the member is gone, a plain 404.
        code, body = curl("-X", "POST", "-d", "List-Unsubscribe=One-Click",
                          p.url(toks["erin@example.net"]))
        assert code == 404 and "not valid" in body
        # multipart/form-data is the other encoding RFC 8058 allows.
        code, _ = curl("-F", "List-Unsubscribe=One-Click",
                       p.url(toks["fred@example.net"]))
        assert code == 200
        assert members(p) == ["dave@example.net"]
        # The daemon's other listener still answers.
        assert lmtp_send(p.lmtp_port, "dave@example.net", [LIST],
                         message(sender="dave@example.net")) == [250]


def test_get_changes_nothing_and_modes():
    with Http() as p:
        toks = setup(p)
        dave = toks["dave@example.net"]
        for _ in range(3):          # a link scanner, several times
            code, body = curl(p.url(dave))
            assert code == 200
            assert 'method="post"' in body and "One-Click" in body
        code, _ = curl("-I", p.url(dave))
        assert code == 200
        assert len(members(p)) == 3
        code, body = curl("-d", "mode=digest", p.url(dave))
        assert code == 200 and "digest" in body
        code, _ = curl("-d", "mode=nomail", p.url(toks["fred@example.net"]))
        assert code == 200
        assert p.sql("SELECT addr, mode FROM members ORDER BY addr") == [
            ["dave@example.net", "digest"], ["erin@example.net", "each"],
            ["fred@example.net", "nomail"]]


def test_bad_requests_get_4xx_and_change_nothing():
    with Http() as p:
        toks = setup(p)
        dave = toks["dave@example.net"]
        one = ["-d", "List-Unsubscribe=One-Click"]
        forged = dave[:9] + ("a" if dave[9] != "a" else "b") + dave[10:]
        other_id = toks["erin@example.net"][:8] + dave[8:]
        cases = [
            (404, one + [p.url(forged)]),               # wrong MAC
            (404, one + [p.url(other_id)]),             # dave's MAC, erin's id
            (404, one + [p.url("x")]),
            (404, one + [p.url(dave.upper())]),
            (404, one + ["http://127.0.0.1:%d/" % p.http_port]),
            (404, one + [p.url(dave) + "/more"]),
            (405, ["-X", "DELETE", p.url(dave)]),
            (405, ["-X", "PUT"] + one + [p.url(dave)]),
            (400, ["-d", "List-Unsubscribe=Yes", p.url(dave)]),
            (400, ["-d", "%zz%%&&==", p.url(dave)]),
            (400, ["-d", "List-Unsubscribe=One-Click&mode=digest",
                   p.url(dave)]),
            (415, ["-H", "Content-Type: text/plain"] + one + [p.url(dave)]),
            (413, ["-d", "@-", p.url(dave)]),
        ]
        for want, args in cases:
            code, body = curl(*args) if "@-" not in args else \
                huge_post(p.url(dave))
            assert code == want, (want, code, args, body[:300])
            assert "<html" in body or code == 405, body
        # A chunked body that grows too large: the connection is closed.
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w",
                            "%{http_code}", "-H", "Transfer-Encoding: chunked",
                            "--data-binary", "@-", p.url(dave)],
                           input=b"List-Unsubscribe=One-Click&x=" +
                           b"a" * (10 << 20), capture_output=True, timeout=60)
        assert r.returncode != 0 or r.stdout == b"413", r
        code, head = curl("-X", "DELETE", "-D", "-", "-o", "/dev/null",
                          p.url(dave))
        assert code == 405 and "Allow: GET, HEAD, POST" in head, head
        code, head = curl("-D", "-", "-o", "/dev/null", p.url(dave))
        assert "Cache-Control: no-store" in head
        assert "Referrer-Policy: no-referrer" in head
        assert "Content-Security-Policy: default-src 'none'" in head
        assert len(members(p)) == 3
        assert p.sql("SELECT count(*) FROM members WHERE mode != 'each'") == [["0"]]


def huge_post(url):
    """A 10 MB form body: refused with 413 without reading it all."""
    r = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}",
                        "--data-binary", "@-", url],
                       input=b"List-Unsubscribe=One-Click&x=" +
                       b"a" * (10 << 20), capture_output=True, timeout=60)
    body, _, code = r.stdout.decode(errors="replace").rpartition("\n")
    return int(code or 0), body


def test_slow_and_broken_clients_do_no_harm():
    with Http() as p:
        toks = setup(p)
        url_path = "/postino/u/" + toks["dave@example.net"]
        # A client that sends half a request and stalls is dropped after
        # http_timeout; one that stalls in the body too.
        slow = []
        for part in (b"GET " + url_path.encode(),
                     b"POST " + url_path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 26\r\n\r\nList-Unsub"):
            s = socket.create_connection(("127.0.0.1", p.http_port))
            s.sendall(part)
            slow.append(s)
        # Garbage instead of HTTP.
        with socket.create_connection(("127.0.0.1", p.http_port)) as s:
            s.sendall(b"\x00\xff\r\n\r\n" * 100)
            s.settimeout(30)
            got = s.recv(100)
            assert got == b"" or got.startswith(b"HTTP/1.1 400"), got
        # Meanwhile a good request is answered.
        assert curl(p.url(toks["erin@example.net"]))[0] == 200
        # The stalled ones are closed by the server (http_timeout = 3).
        for s in slow:
            s.settimeout(60)
            got = s.recv(4096)
            assert got == b"" or got.startswith(b"HTTP/1.1 4"), got
            s.close()
        assert len(members(p)) == 3
        assert p.proc.poll() is None


def asan(binary):
    with open(binary, "rb") as f:
        return b"AddressSanitizer" in f.read()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_ten_thousand_parallel_requests():
    with Http(http_max_connections="200", http_max_per_client="200") as p:
        toks = setup(p)
        url = p.url(toks["dave@example.net"])
        bad = p.url("aaaaaaaa-aaaaaaaaaaaaaaaa")

        def one(i):
            try:
                with socket.create_connection(("127.0.0.1", p.http_port),
                                              timeout=60) as s:
                    path = (url if i % 2 else bad).split(str(p.http_port), 1)[1]
                    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection:"
                              b" close\r\n\r\n" % path.encode())
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    return data[:12]
            except OSError:
                return b"refused"

        before = rss_kb(p.proc.pid)
        with concurrent.futures.ThreadPoolExecutor(max_workers=256) as ex:
            answers = list(ex.map(one, range(10000)))
        ok = sum(1 for a in answers if a == b"HTTP/1.1 200")
        nf = sum(1 for a in answers if a == b"HTTP/1.1 404")
        # Every request answered (or, past the connection limit, closed
        # unanswered); most are answered.
        assert ok + nf + answers.count(b"refused") + answers.count(b"") == \
            10000, set(answers)
        assert ok + nf > 5000, (ok, nf)
        print("10000 requests: %d answered 200, %d answered 404, %d not"
              " answered (limit), rss %d -> %d kB" % (ok, nf, 10000 - ok - nf,
                                                     before, rss_kb(p.proc.pid)))
        assert p.proc.poll() is None
        # Bounded: no more than the connection buffers of the limit,
        # plus, under ASan, its quarantine of freed memory (256 MB) and
        # shadow (leaks it reports at exit).
        after = rss_kb(p.proc.pid)
        slack = 64 * 1024 + (448 * 1024 if asan(POSTINO) else 0)
        assert after < before + slack, (before, after)
        assert len(members(p)) == 3
        assert lmtp_send(p.lmtp_port, "dave@example.net", [LIST],
                         message(sender="dave@example.net")) == [250]
        assert curl(url)[0] == 200


def test_per_client_limit():
    with Http(http_max_per_client="4", http_timeout="60") as p:
        toks = setup(p)
        held = [socket.create_connection(("127.0.0.1", p.http_port))
                for _ in range(4)]
        # Past the limit, MHD closes the connection unanswered.
        extra = socket.create_connection(("127.0.0.1", p.http_port))
        extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        extra.settimeout(30)
        try:
            got = extra.recv(100)
        except ConnectionResetError:
            got = b""
        assert got == b"", got
        extra.close()
        for s in held:
            s.close()
        wait_for(lambda: curl(p.url(toks["dave@example.net"]))[0] == 200,
                 what="a new connection once the others closed")


def test_unix_socket_behind_a_proxy():
    d = "/tmp/postino-http-%d" % os.getpid()
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "http.sock")
    try:
        with Http(listen="unix:" + path, http_socket_mode="0660",
                  http_socket_group="nogroup") as p:
            toks = setup(p)
            wait_for(lambda: os.path.exists(path), what="socket")
            st = os.stat(path)
            assert oct(st.st_mode & 0o777) == "0o660"
            assert st.st_gid == grp.getgrnam("nogroup").gr_gid
            # Bound as root before the drop (nobody may not write in d);
            # served as nobody.
            code, body = curl("--unix-socket", path, "-d",
                              "List-Unsubscribe=One-Click",
                              "http://lists.example.org/postino/u/" +
                              toks["fred@example.net"])
            assert code == 200, body
            assert members(p) == ["dave@example.net", "erin@example.net"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tls_itself():
    d = "/tmp/postino-http-tls-%d" % os.getpid()
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1", "-days", "1",
                        "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=120)
        os.chmod(key, 0o600)        # root's: read before the drop
        with Http(http_tls_cert=cert, http_tls_key=key) as p:
            toks = setup(p)
            url = p.url(toks["erin@example.net"]).replace("http:", "https:")
            code, body = curl("--cacert", cert, url)
            assert code == 200 and "erin@example.net" in body
            code, _ = curl("--cacert", cert, "-d",
                           "List-Unsubscribe=One-Click", url)
            assert code == 200
            assert members(p) == ["dave@example.net", "fred@example.net"]
            # Plain HTTP on the TLS port gets nothing useful.
            assert curl(url.replace("https:", "http:"))[0] != 200
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_no_public_url_keeps_the_mailto_only():
    with Postino() as p:
        p.make_list(LIST, MEMBERS, personalize="yes")
        p.start()
        for m in post_and_collect(p).values():
            assert re.fullmatch(r"<mailto:team\+u-[a-z2-7]{8}-[a-z2-7]{16}"
                                r"@example\.org>", m["List-Unsubscribe"])
            assert m["List-Unsubscribe-Post"] is None


def submit_in_chromium(p, dom, form_id, url, shot):
    """Submit the form of dom whose button is form_id, as Chromium does
    it when the button is pressed (our pages run no script, so a page of
    the test's own, holding that form with its action made absolute,
    submits it); the DOM of the answer.  With shot, a screenshot of the
    answer too, which submits the form a second time."""
    forms = re.findall(r"<form.*?</form>", dom, re.S)
    form = [f for f in forms if 'id="%s"' % form_id in f][0]
    form = re.sub(r'action="[^"]*"', 'action="%s"' % url, form)
    page = os.path.join(p.dir, "click.html")
    with open(page, "w") as f:
        f.write("<!DOCTYPE html><html><body>%s<script>document."
                "getElementById('%s').click()</script></body></html>" %
                (form, form_id))
    if shot is not None:        # submits it once more
        chromium("file://" + page, "--screenshot=" + shot,
                 "--window-size=800,600", "--virtual-time-budget=5000")
    return chromium("file://" + page, "--dump-dom",
                    "--virtual-time-budget=5000")[0]


def test_pages_in_headless_chromium():
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with Http() as p:
        toks = setup(p)
        p.cli("list", "set", LIST, "language", "it")
        for who in ("dave@example.net", "erin@example.net"):
            # A scanner-style GET through a real browser: nothing changes.
            dom, _ = chromium(p.url(toks[who]), "--dump-dom")
            assert "Disiscrivi" in dom and who in dom, dom
            shot = str(OUT / ("page-%s.png" % who.split("@")[0]))
            chromium(p.url(toks[who]), "--screenshot=" + shot,
                     "--window-size=800,600")
            w, h, colours = png_colours(shot)
            assert (w, h) == (800, 600) and len(colours) >= 2
        assert len(members(p)) == 3
        # The page's own buttons, pressed in Chromium.
        dom, _ = chromium(p.url(toks["erin@example.net"]), "--dump-dom")
        done = submit_in_chromium(p, dom, "unsubscribe",
                                  p.url(toks["erin@example.net"]), None)
        assert "Hai lasciato" in done, done
        assert members(p) == ["dave@example.net", "fred@example.net"]
        dom, _ = chromium(p.url(toks["fred@example.net"]), "--dump-dom")
        done = submit_in_chromium(p, dom, "digest",
                                  p.url(toks["fred@example.net"]),
                                  str(OUT / "digest.png"))
        assert "digest" in done, done
        assert p.sql("SELECT mode FROM members WHERE addr ="
                     " 'fred@example.net'") == [["digest"]]
        shot = str(OUT / "invalid.png")
        chromium(p.url("nonsense"), "--screenshot=" + shot,
                 "--window-size=800,600")
        assert png_colours(shot)[:2] == (800, 600)
        assert members(p) == ["dave@example.net", "fred@example.net"]
