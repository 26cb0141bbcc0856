"""test_archive.py - `postino archive export|html LIST` on posts that the
real daemon received over LMTP and accepted.

The export is read back with Python's mailbox module and compared, byte
for byte, with the messages in the store.  The HTML archive is built
from a list with hostile posts (script in subjects, names and bodies,
RFC 2047 tricks, HTML-only mail, broken MIME, a path in an attachment's
name) and checked three ways: its markup parsed here (relative links
that resolve inside the directory, no script anywhere, the policy on
every page), its re-runs (nothing rewritten, then only what a new post
changes), and headless Chromium, which must run none of the planted
scripts and render a page that is not blank.
"""
import base64
import calendar
import html.parser
import mailbox
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
import zlib
from urllib.parse import urlsplit

from harness import Postino, give_to_run_as, lmtp_send, message, wait_for

LIST = "team@example.org"
MEMBERS = ["alice@example.org", "bob@example.net", "mallory@evil.example"]
EX_USAGE, EX_DATAERR, EX_NOUSER, EX_CANTCREAT = 64, 65, 67, 73
ATOM = "{http://www.w3.org/2005/Atom}"
DEC_2025, JAN_2026 = 1765000000, 1767300000     # 2025-12-06, 2026-01-01

# What a planted script would do if it ever ran: a trace in the DOM and
# on the console that its own source text does not contain.
PAYLOAD = ("document.body.setAttribute('data-pwned','y'+'es');"
           "console.log('PWNED-'+'MARK')")
SCRIPT = "<script>%s</script>" % PAYLOAD
IMG = "<img src=x onerror=\"%s\">" % PAYLOAD


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def qword(s, charset="utf-8"):
    """An RFC 2047 Q encoded-word that hides every special character."""
    return "=?%s?q?%s?=" % (charset, "".join(
        c if c.isalnum() else "=%02X" % b for c in s
        for b in c.encode()))


def bword(s, charset="utf-8"):
    return "=?%s?b?%s?=" % (charset, base64.b64encode(s.encode()).decode())


def raw(msgid, subject, body, sender="mallory@evil.example", frm=None,
        headers=()):
    lines = ["From: %s" % (frm or sender), "To: " + LIST,
             "Subject: " + subject, "Date: Wed, 25 Nov 2026 10:00:00 +0000",
             "Message-ID: <%s>" % msgid] + list(headers)
    return crlf("\n".join(lines) + "\n\n" + body)


HOSTILE = {
    "script": raw(
        "h-script@evil", SCRIPT + " plain",
        "</pre>%s\n<img src=x onerror=\"%s\">\n"
        "<a href=\"javascript:%s\">click</a>\n" % (SCRIPT, PAYLOAD, PAYLOAD),
        frm="\"%s\" <mallory@evil.example>" % SCRIPT.replace('"', "'")),
    "encoded": raw(
        "h-encoded@evil", qword(SCRIPT), "encoded words\n",
        frm="%s <mallory@evil.example>" % bword(SCRIPT)),
    "crlf": raw(
        "h-crlf@evil",
        qword("line1\r\nX-Injected: yes\r\n\r\n" + SCRIPT), "CR LF\n"),
    "charset": raw(
        "h-charset@evil",
        qword(IMG, "x-no-such-charset") + " =?utf-8?x?bad?= " +
        bword(SCRIPT, "iso-8859-1"),
        "charsets\n",
        frm="%s <mallory@evil.example>" % bword(IMG, "x-unknown")),
    "html-only": raw(
        "h-html@evil", "HTML only",
        "<html><head>%s<meta http-equiv=\"refresh\" content=\"0;url="
        "javascript:%s\"><base href=\"http://evil.example/\"></head>\n"
        "<body onload=\"%s\"><p>Hello from HTML</p>\n"
        "<img src=x onerror=\"%s\"><a href=\"javascript:%s\">click me</a>\n"
        "<iframe src=\"javascript:%s\"></iframe><svg onload=\"%s\"></svg>"
        "<style>body{background:red}</style></body></html>\n" % (
            SCRIPT, PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD),
        headers=["MIME-Version: 1.0",
                 "Content-Type: text/html; charset=utf-8"]),
    "alternative": raw(
        "h-alt@evil", "alternative",
        "--alt\nContent-Type: text/plain\n\nPlain wins\n"
        "--alt\nContent-Type: text/html\n\n%s<b>bold</b>\n--alt--\n" % SCRIPT,
        headers=["MIME-Version: 1.0",
                 "Content-Type: multipart/alternative; boundary=alt"]),
    "no-boundary": raw(
        "h-nobound@evil", "no boundary",
        "--x\nContent-Type: text/plain\n\norphan body %s\n" % SCRIPT,
        headers=["MIME-Version: 1.0", "Content-Type: multipart/mixed"]),
    "unterminated": raw(
        "h-unterm@evil", "unterminated",
        "--zz\nContent-Type: text/plain\n\nhalf a message %s\n" % SCRIPT,
        headers=["MIME-Version: 1.0",
                 "Content-Type: multipart/mixed; boundary=\"zz\""]),
    "bad-base64": raw(
        "h-b64@evil", "bad base64",
        "!!!not base64 %s!!!\n" % SCRIPT,
        headers=["MIME-Version: 1.0", "Content-Type: text/plain",
                 "Content-Transfer-Encoding: base64"]),
    "attachment": raw(
        "h-attach@evil", "see attached",
        "--m\nContent-Type: text/plain\n\nsee attached\n"
        "--m\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment;"
        " filename=\"../../../../etc/passwd\"\n"
        "Content-Transfer-Encoding: base64\n\n%s\n"
        "--m\nContent-Type: text/html; name=\"%s\"\n"
        "Content-Disposition: attachment\n\n%s\n--m--\n" % (
            base64.b64encode(b"root:x:0:0\n").decode(),
            qword("<script>x.html"), SCRIPT),
        headers=["MIME-Version: 1.0",
                 "Content-Type: multipart/mixed; boundary=m"]),
}
BROKEN = ("no-boundary", "unterminated", "bad-base64")
# Elements no page of the archive has: a post must not bring one in.
FORBIDDEN = ("script", "iframe", "object", "embed", "img", "svg", "base",
             "form", "style", "frame")


# ---- the daemon side -----------------------------------------------------

def posts(p):
    """Accepted posts as (id, created, msgid), oldest first."""
    return [(int(i), int(c), m) for i, c, m in p.sql(
        "SELECT id, created, msgid FROM posts WHERE state = 'accepted'"
        " ORDER BY created, id")]


def deliver(p, items):
    """Send (sender, bytes) pairs one by one, each accepted before the
    next, so that ids follow the order given."""
    for sender, data in items:
        n = len(posts(p))
        assert lmtp_send(p.lmtp_port, sender, [LIST], data) == [250]
        wait_for(lambda: len(posts(p)) == n + 1, what="post accepted")


def set_created(p, when):
    """Give posts fixed dates {id: created}, so that months are known."""
    p.sql_write(";".join("UPDATE posts SET created = %d WHERE id = %d"
                         % (c, i) for i, c in when.items()))


def stored(p):
    """{post id: stored message bytes}."""
    return dict(p.rows("SELECT p.id, m.body FROM posts p JOIN messages m"
                       " ON m.id = p.message_id WHERE p.state = 'accepted'"))


def page_of(post_id, created):
    return "%s/%d.html" % (time.strftime("%Y-%m", time.gmtime(created)),
                           post_id)


def thread(subject, msgid, parent=None, refs=(), sender="alice@example.org"):
    hdrs = []
    if parent:
        hdrs = ["In-Reply-To: <%s>" % parent,
                "References: %s" % " ".join("<%s>" % r for r in refs)]
    return (sender, message(subject=subject, sender=sender,
                            msgid="<%s>" % msgid, headers=hdrs,
                            body="Text of %s\r\n" % msgid))


NORMAL = [
    thread("Plans for the trip", "a@x"),
    thread("Re: Plans for the trip", "b@x", "a@x", ["a@x"], "bob@example.net"),
    thread("Re: Plans for the trip", "c@x", "b@x", ["a@x", "b@x"]),
]


def hostile_list(p):
    """LIST with three normal posts (a thread) in December and the
    hostile ones in January; returns {name: (id, created)}."""
    p.make_list(LIST, MEMBERS)
    p.start()
    deliver(p, NORMAL + [("mallory@evil.example", HOSTILE[k])
                         for k in HOSTILE])
    rows = posts(p)
    names = ["a", "b", "c"] + list(HOSTILE)
    when = {i: (DEC_2025 if k < 3 else JAN_2026) + 60 * k
            for k, (i, _, _) in enumerate(rows)}
    set_created(p, when)
    return {n: (rows[k][0], when[rows[k][0]]) for k, n in enumerate(names)}


def build(p, d, expect_written=None):
    r = p.cli("archive", "html", LIST, d)
    m = re.fullmatch(r"%s: (\d+) pages written, (\d+) unchanged\n" %
                     re.escape(LIST), r.stdout.decode())
    assert m, r.stdout
    written, unchanged = int(m.group(1)), int(m.group(2))
    if expect_written is not None:
        assert written == expect_written, (written, unchanged)
    return written, unchanged


# ---- reading the archive back --------------------------------------------

class Page(html.parser.HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    pg = Page()
    pg.feed(src)
    pg.close()
    return src, pg


def files(d):
    out = set()
    for root, _, names in os.walk(d):
        for n in names:
            out.add(os.path.relpath(os.path.join(root, n), d))
    return out


def check_link(d, page, url):
    """A link must be relative and name a file inside d."""
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, (page, url)
    assert not url.startswith("/"), (page, url)
    if not parts.path:
        return
    target = os.path.normpath(os.path.join(os.path.dirname(
        os.path.join(d, page)), parts.path))
    assert target.startswith(os.path.join(d, "")), (page, url)
    assert os.path.isfile(target), (page, url)


def check_page(d, rel):
    """Relative links, the policy, and nothing that could run."""
    src, pg = parse_page(os.path.join(d, rel))
    assert src.startswith("<!DOCTYPE html>\n")
    metas = [a for t, a in pg.tags if t == "meta" and "http-equiv" in a]
    assert len(metas) == 1, rel
    assert metas[0]["http-equiv"] == "Content-Security-Policy"
    csp = metas[0]["content"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "unsafe" not in csp
    for tag, attrs in pg.tags:
        assert tag not in FORBIDDEN, (rel, tag)
        for k, v in attrs.items():
            assert not k.startswith("on"), (rel, tag, k)
            if k in ("href", "src"):
                check_link(d, rel, v)
    return src, pg


def page_text(pg):
    return "".join(pg.text)


# ---- Chromium ------------------------------------------------------------

def chromium(url, *extra, timeout=120):
    """Run headless Chromium once on url; (stdout, stderr).  Its profile
    lives in a temporary directory removed afterwards, and everything it
    started is killed if it does not finish in time."""
    exe = shutil.which("chromium")
    assert exe, "chromium is missing (make check installs it: " \
        "scripts/deps.sh check)"
    prof = tempfile.mkdtemp(prefix="postino-chromium-")
    tmp = os.path.join(prof, "tmp")         # its own scratch files too
    os.mkdir(tmp)
    proc = subprocess.Popen(
        [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--user-data-dir=" + os.path.join(prof, "profile"),
         "--enable-logging=stderr", "--v=0", "--no-first-run",
         "--disable-extensions"] + list(extra) + [url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, TMPDIR=tmp), start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("chromium timed out on %s (a dialog opened by"
                             " a script would do that)" % url)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        shutil.rmtree(prof, ignore_errors=True)
    return out.decode(errors="replace"), err.decode(errors="replace")


def ran_script(dom, log):
    return 'data-pwned="yes"' in dom or "PWNED-MARK" in log or \
        "CONTROL-MARK" in log


def png_colours(path):
    """(width, height, set of pixel colours) of an 8-bit RGB(A) PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, "bad CRC in " + str(kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    stride, raw_px = w * bpp, zlib.decompress(idat)
    assert len(raw_px) == h * (stride + 1)
    prev, colours = bytearray(stride), set()
    for y in range(h):
        off = y * (stride + 1)
        f, line = raw_px[off], bytearray(raw_px[off + 1:off + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return w, h, colours


# ---- mboxrd export -------------------------------------------------------

EXPORT_BODIES = [
    "From the start of a line\r\n>From quoted once\r\n>>From twice\r\n"
    "From: not a separator\r\nFromage\r\n",
    "8-bit: \xe9\xe8 \xff\xfe caf\xc3\xa9\r\n",
    "".join(chr(b) for b in range(1, 256) if b not in (10, 13)) + "\r\n",
    "last line without a newline: From here",
]


def mbox_messages(path):
    """(from line, message bytes with the mboxrd quoting undone)."""
    box = mailbox.mbox(path, create=False)
    try:
        out = []
        for key in box.keys():
            data = box.get_bytes(key)
            data = re.sub(rb"(?m)^>(>*From )", rb"\1", data)
            out.append((box.get_message(key).get_from(), data))
        return out
    finally:
        box.close()


def test_export_round_trips_through_python_mailbox():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        items = [("alice@example.org", message(
            subject="body %d" % k, msgid="<x%d@t>" % k, body="") +
            b.encode("latin-1")) for k, b in enumerate(EXPORT_BODIES)]
        deliver(p, items)
        rows = posts(p)
        # A message stored without its final line end, as an import
        # could leave it (LMTP and the pipe always end with CRLF).
        p.sql_write("UPDATE messages SET body = substr(body, 1,"
                    " length(body) - 2) WHERE id = (SELECT message_id"
                    " FROM posts WHERE id = %d)" % rows[-1][0])
        orig = stored(p)
        assert not orig[rows[-1][0]].endswith(b"\n")
        out = os.path.join(p.dir, "out", "team.mbox")
        os.mkdir(os.path.dirname(out))
        give_to_run_as(os.path.dirname(out))
        r = p.cli("archive", "export", LIST, "-o", out)
        assert r.stdout.decode() == "%s: %d posts written to %s\n" % (
            LIST, len(rows), out)
        assert os.listdir(os.path.dirname(out)) == ["team.mbox"]
        got = mbox_messages(out)
        assert len(got) == len(rows)
        for (pid, created, _), (frm, data) in zip(rows, got):
            want = orig[pid].replace(b"\r\n", b"\n")
            if not want.endswith(b"\n"):
                want += b"\n"
            assert data == want, (pid, data[-80:], want[-80:])
            sender, date = frm.split(" ", 1)
            assert sender == "alice@example.org"
            assert calendar.timegm(time.strptime(
                date, "%a %b %d %H:%M:%S %Y")) == created
        # The quoting itself, as a reader of the raw file sees it.
        with open(out, "rb") as f:
            text = f.read()
        assert b"\n>From the start of a line\n>>From quoted once\n" \
            b">>>From twice\nFrom: not a separator\nFromage\n" in text
        assert b"\r" not in text
        assert text.endswith(b"From here\n\n")
        # stdout gives the same bytes.
        assert p.cli("archive", "export", LIST).stdout == text


def test_export_since_and_errors():
    with Postino() as p:
        p.make_list(LIST, MEMBERS)
        p.start()
        deliver(p, [("alice@example.org", message(msgid="<s%d@t>" % k))
                    for k in range(3)])
        ids = [i for i, _, _ in posts(p)]
        set_created(p, {ids[0]: DEC_2025, ids[1]: 1767225599,
                        ids[2]: JAN_2026 + 86400})

        def exported(*args):
            return [f for f, _ in mbox_messages_bytes(
                p.cli("archive", "export", LIST, *args).stdout, p.dir)]

        assert len(exported()) == 3
        assert len(exported("--since", "2025-12-31")) == 2
        assert len(exported("--since", "2026-01-01")) == 1
        assert len(exported("--since", "2030-01-01")) == 0
        for args, code, text in [
                ((), EX_USAGE, "usage: postino archive export"),
                (("export",), EX_USAGE, "usage: postino archive export"),
                (("export", LIST, "--since"), EX_USAGE, "usage:"),
                (("export", LIST, "-o"), EX_USAGE, "usage:"),
                (("export", LIST, "--frob", "x"), EX_USAGE, "usage:"),
                (("export", LIST, "--since", "2026-01-01", "--since",
                  "2026-01-02"), EX_USAGE, "usage:"),
                (("export", LIST, "--since", "2026-02-30"), EX_DATAERR,
                 "--since '2026-02-30': not a date"),
                (("export", LIST, "--since", "yesterday"), EX_DATAERR,
                 "not a date"),
                (("export", "nobody@example.org"), EX_NOUSER,
                 "no such list 'nobody@example.org'"),
                (("export", "not an address"), EX_DATAERR, "list 'not an"),
                (("export", LIST, "-o", "/nonexistent/dir/x.mbox"),
                 EX_CANTCREAT, "/nonexistent/dir/x.mbox: No such file"),
                (("html", LIST), EX_USAGE, "usage: postino archive html"),
                (("html", "nobody@example.org", "d"), EX_NOUSER,
                 "no such list"),
                (("frob",), EX_USAGE, "unknown subcommand 'frob'")]:
            r = p.cli("archive", *args, check=False)
            assert r.returncode == code, (args, r.returncode, r.stderr)
            assert text in r.stderr.decode(), (args, r.stderr)
        blocker = os.path.join(p.dir, "file")
        open(blocker, "w").close()
        r = p.cli("archive", "html", LIST, os.path.join(blocker, "d"),
                  check=False)
        assert r.returncode == EX_CANTCREAT, r.stderr


def test_html_of_an_empty_list_and_a_broken_template():
    with Postino() as p:
        p.make_list(LIST)
        d = os.path.join(p.dir, "html")
        build(p, d, expect_written=3)
        assert files(d) == {"index.html", "archive.css", "atom.xml"}
        check_page(d, "index.html")
        feed = ET.parse(os.path.join(d, "atom.xml")).getroot()
        assert feed.findall(ATOM + "entry") == []
        r = p.cli("--json", "archive", "html", LIST, d)
        assert r.stdout == b'{"written": 0, "unchanged": 3}\n'
        # A list's own template with a placeholder it may not use.
        over = os.path.join(p.dir, "lists", LIST)
        os.makedirs(over)
        with open(os.path.join(over, "archive_index.txt"), "w") as f:
            f.write("Subject:\n\n<title>{{nope}}</title>\n")
        r = p.cli("archive", "html", LIST, d, check=False)
        assert r.returncode == 78, r.stderr
        assert b"archive_index: unknown placeholder {{nope}}" in r.stderr


def mbox_messages_bytes(data, tmp):
    path = os.path.join(tmp, "stdout.mbox")
    with open(path, "wb") as f:
        f.write(data)
    try:
        return mbox_messages(path)
    finally:
        os.unlink(path)


# ---- the HTML archive ----------------------------------------------------

def test_html_layout_links_and_escaping():
    with Postino() as p:
        ids = hostile_list(p)
        d = os.path.join(p.dir, "html")
        written, unchanged = build(p, d)
        pages = {page_of(*ids[k]) for k in ids}
        want = {"index.html", "archive.css", "atom.xml",
                "2025-12/index.html", "2025-12/threads.html",
                "2026-01/index.html", "2026-01/threads.html"} | pages
        assert files(d) == want     # nothing named by a message
        assert (written, unchanged) == (len(want), 0)
        for rel in sorted(want - {"archive.css", "atom.xml"}):
            check_page(d, rel)

        src, pg = check_page(d, "index.html")
        text = page_text(pg)
        assert "Archive of team@example.org" in text
        assert src.index("2026-01") < src.index("2025-12")  # newest first
        assert re.search(r"<td>2026-01</td><td>%d</td>" % len(HOSTILE), src)
        assert "<td>2025-12</td><td>3</td>" in src

        # The December thread, nested by In-Reply-To / References.
        src, _ = check_page(d, "2025-12/threads.html")
        a, b, c = (src.index('href="%d.html"' % ids[k][0]) for k in "abc")
        assert a < b < c
        assert src.count("<ul>") == 2

        # Every text from a post arrives escaped, and is still readable.
        for k in ("script", "encoded"):
            src, pg = check_page(d, page_of(*ids[k]))
            assert "&lt;script&gt;" in src
            assert SCRIPT in page_text(pg)
        src, pg = check_page(d, page_of(*ids["script"]))
        assert "mallory at evil.example" in page_text(pg)
        src, pg = check_page(d, page_of(*ids["crlf"]))
        assert "line1  X-Injected: yes" in page_text(pg)  # text, no header
        assert "\r" not in src
        src, pg = check_page(d, page_of(*ids["charset"]))
        assert IMG in page_text(pg)
        src, pg = check_page(d, page_of(*ids["html-only"]))
        assert "Hello from HTML" in page_text(pg)
        assert "click me" in page_text(pg)
        assert "javascript:" not in src and PAYLOAD not in page_text(pg)
        src, pg = check_page(d, page_of(*ids["alternative"]))
        assert "Plain wins" in page_text(pg) and "bold" not in page_text(pg)
        src, pg = check_page(d, page_of(*ids["attachment"]))
        text = page_text(pg)
        assert "Attachments" in text and "../../../../etc/passwd" in text
        assert "<script>x.html" in text and "application/octet-stream" in text
        assert "root:x" not in text        # listed, never inlined
        for k in BROKEN:
            src, pg = check_page(d, page_of(*ids[k]))
            assert "cannot be shown" in page_text(pg), k
        # What can be shown of them: the body as it came.
        for k, text in (("unterminated", "half a message " + SCRIPT),
                        ("no-boundary", "orphan body " + SCRIPT),
                        ("bad-base64", "!!!not base64 " + SCRIPT)):
            _, pg = check_page(d, page_of(*ids[k]))
            assert text in page_text(pg), k
        for k in set(HOSTILE) - set(BROKEN):
            src, pg = check_page(d, page_of(*ids[k]))
            assert "cannot be shown" not in page_text(pg), k

        # Navigation: by date across months, and within the thread.
        src, _ = check_page(d, page_of(*ids["c"]))
        assert 'href="../%s" rel="next"' % page_of(*ids["script"]) in src
        assert 'href="../%s" rel="prev"' % page_of(*ids["b"]) in src
        src, _ = check_page(d, page_of(*ids["a"]))
        assert src.count('aria-disabled="true"') == 2   # first of all

        # The feed: Atom, one entry per thread, newest activity first.
        feed = ET.parse(os.path.join(d, "atom.xml")).getroot()
        assert feed.tag == ATOM + "feed"
        for name in ("id", "title", "updated", "author"):
            assert feed.find(ATOM + name) is not None, name
        entries = feed.findall(ATOM + "entry")
        assert len(entries) == len(HOSTILE) + 1
        for e in entries:
            for name in ("id", "title", "updated", "link"):
                assert e.find(ATOM + name) is not None, name
            check_link(d, "atom.xml", e.find(ATOM + "link").get("href"))
        assert entries[-1].find(ATOM + "title").text == "Plans for the trip"
        assert entries[-1].find(ATOM + "link").get("href") == \
            page_of(*ids["c"])
        assert len({e.find(ATOM + "id").text for e in entries}) == \
            len(entries)
        titles = [e.find(ATOM + "title").text for e in entries]
        assert SCRIPT in titles


def snapshot(d):
    return {f: os.stat(os.path.join(d, f)).st_ino for f in files(d)}


def test_html_rerun_writes_only_what_changed():
    with Postino() as p:
        ids = hostile_list(p)
        d = os.path.join(p.dir, "html")
        total, _ = build(p, d)
        before = snapshot(d)
        assert build(p, d, expect_written=0) == (0, total)
        assert snapshot(d) == before
        # A reply to the thread's first post, the newest post of all.
        deliver(p, [thread("Re: Plans for the trip", "d@x", "a@x", ["a@x"],
                           "bob@example.net")])
        new_id = posts(p)[-1][0]
        set_created(p, {new_id: JAN_2026 + 3600})
        build(p, d, expect_written=7)
        after = snapshot(d)
        changed = {f for f in after if before.get(f) != after[f]}
        last_hostile = page_of(*ids[list(HOSTILE)[-1]])
        assert changed == {
            page_of(new_id, JAN_2026 + 3600),   # the new page
            last_hostile,                       # its "next by date"
            page_of(*ids["c"]),                 # its "next in thread"
            "2026-01/index.html", "2026-01/threads.html", "index.html",
            "atom.xml",
        }, sorted(changed)
        # The December pages did not change, though the thread grew.
        assert "2025-12/threads.html" not in changed
        assert build(p, d, expect_written=0)[1] == total + 1
        # Another language is another text on every page.
        p.cli("list", "set", LIST, "language", "it")
        written, _ = build(p, d)
        assert written == total     # all but the stylesheet
        _, pg = check_page(d, "index.html")
        assert "Archivio di team@example.org" in page_text(pg)
        _, pg = check_page(d, page_of(*ids["attachment"]))
        assert "Allegati" in page_text(pg)
        feed = ET.parse(os.path.join(d, "atom.xml")).getroot()
        assert feed.find(ATOM + "title").text.startswith("Discussioni")


def test_html_in_headless_chromium_runs_no_script():
    with Postino() as p:
        ids = hostile_list(p)
        d = os.path.join(p.dir, "html")
        build(p, d)
        p.stop()
        # A control page proves that a script that runs is seen.
        control = os.path.join(p.dir, "control.html")
        with open(control, "w") as f:
            f.write("<!DOCTYPE html><html><body><p>x</p><script>"
                    "document.body.setAttribute('data-pwned','y'+'es');"
                    "console.log('CONTROL-'+'MARK')</script></body></html>")
        dom, log = chromium("file://" + control, "--dump-dom")
        assert ran_script(dom, log), "the control script did not show"

        pages = ["index.html", "2025-12/threads.html", "2026-01/index.html"]
        pages += [page_of(*ids[k]) for k in HOSTILE]
        for rel in pages:
            dom, log = chromium("file://" + os.path.join(d, rel),
                                "--dump-dom")
            assert "</body>" in dom, (rel, log[-2000:])
            assert not ran_script(dom, log), (rel, dom, log)
            # Nor did the browser find any element a post could bring.
            pg = Page()
            pg.feed(dom)
            assert not [t for t, _ in pg.tags if t in FORBIDDEN], rel
        _, log_html = chromium("file://" + os.path.join(
            d, page_of(*ids["html-only"])), "--dump-dom")
        assert "PWNED" not in log_html

        for rel in ("index.html", page_of(*ids["attachment"])):
            shot = os.path.join(p.dir, "shot.png")
            chromium("file://" + os.path.join(d, rel),
                     "--screenshot=" + shot, "--window-size=1024,768")
            w, h, colours = png_colours(shot)
            assert (w, h) == (1024, 768)
            assert len(colours) >= 8, (rel, len(colours))
            os.unlink(shot)
