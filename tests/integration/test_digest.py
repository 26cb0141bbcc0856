"""Digests: MIME (RFC 2046 §5.1.5) and plain (RFC 1153), numbered, on a
schedule or by size, each accepted post in exactly one digest of each
digest member, across restarts; Archived-At on posts.

The digests are read at Postfix's smtp-sink and parsed twice: with
Python's email package and with libetpan (tests/tools/mimetree.c).
"""
import datetime
import email
import email.policy
import json
import os
import re
import subprocess
import tempfile
import time
import zoneinfo

from harness import Postino, SmtpSink, lmtp_send, message, wait_for

MIMETREE = os.environ.get("MIMETREE") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "gcc", "mimetree")


def daemon(sink, **settings):
    base = {"retry_min": "1"}
    base.update(settings)
    return Postino(relay="smtp://127.0.0.1:%d" % sink.port, settings=base)


class Delivered:
    """One transaction at the sink: its envelope recipients and the
    message, parsed."""

    def __init__(self, raw):
        head, _, _ = raw.partition(b"\nReceived:")
        self.rcpts = [r.decode().strip("<> \r") for r in
                      re.findall(rb"^X-Rcpt-Args: (\S+)", head, re.M)]
        found = re.search(rb"^X-Mail-Args: (\S*)", head, re.M)
        self.sender = found.group(1).decode().strip("<> \r") if found \
            else ""
        self.raw = raw
        self.msg = email.message_from_bytes(raw, policy=email.policy.default)


def delivered(sink):
    return [Delivered(raw) for raw in sink.messages()]


def digests_to(sink, addr, list_addr):
    """The digests of list_addr that reached addr, in the order sent:
    the list's own mails (Auto-Submitted: auto-generated)."""
    return [d for d in delivered(sink) if addr in d.rcpts and
            d.msg.get("Auto-Submitted") == "auto-generated" and
            d.msg.get("List-Post") == "<mailto:%s>" % list_addr]


def post_ids_mime(d):
    """Message-IDs of the posts in a MIME digest, with Python's parser."""
    msg = d.msg
    assert msg.get_content_type() == "multipart/mixed"
    parts = msg.get_payload()
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "multipart/digest"
    ids = []
    for sub in parts[1].get_payload():
        assert sub.get_content_type() == "message/rfc822"
        inner = sub.get_payload()[0]
        ids.append(inner["Message-ID"].strip("<>"))
    return ids


def mimetree(d):
    """The MIME parts of a delivered message as libetpan reads them."""
    raw = b"Received:" + d.raw.partition(b"\nReceived:")[2]
    r = subprocess.run([MIMETREE], input=raw, capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.decode().splitlines()]


def post_ids_libetpan(d):
    """The same with libetpan."""
    parts = mimetree(d)
    types = [p["type"] for p in parts]
    assert types[0] == "multipart/mixed", types
    assert "multipart/digest" in types
    return [p["msgid"].strip("<>") for p in parts
            if p["type"] == "message/rfc822"]


def post_ids_plain(d, text=None):
    """Message-IDs of the posts in an RFC 1153 digest (its text decoded
    by Python, or as given)."""
    if text is None:
        assert d.msg.get_content_type() == "text/plain"
        text = d.msg.get_content()
    text = text.replace("\r\n", "\n")
    sep70 = "\n" + "-" * 70 + "\n"
    sep30 = "\n" + "-" * 30 + "\n"
    assert sep70 in text, text
    body = text.split(sep70, 1)[1]
    chunks = [c for c in body.split(sep30) if "Message-ID: <" in c]
    ids = [re.search(r"^Message-ID: <([^>]*)>", c, re.M).group(1)
           for c in chunks]
    assert re.search(r"^\*+$", text, re.M), "no RFC 1153 trailer"
    return ids


def post(p, lst, subject, sender="ann@example.net", msgid=None,
         headers=(), text="A post.\r\n"):
    msgid = msgid or "<%s.%d@test>" % (re.sub(r"[^A-Za-z0-9]", "-",
                                              subject), time.time_ns())
    codes = lmtp_send(p.lmtp_port, sender, [lst],
                      message(sender=sender, to=lst, subject=subject,
                              msgid=msgid, headers=headers, body=text))
    assert codes == [250], codes
    return msgid.strip("<>")


def accepted(p, lst):
    rows = p.sql("SELECT p.msgid FROM posts p JOIN lists l ON l.id ="
                 " p.list_id WHERE l.addr = '%s' AND p.state = 'accepted'"
                 % lst)
    return sorted(r[0] for r in rows)


def make(p, lst, lang):
    p.make_list(lst, members=["ann@example.net", "eve@example.net"],
                language=lang, digest_size="0")
    p.cli("member", "add", lst, "mia@example.net", "--mode", "digest")
    p.cli("member", "add", lst, "pat@example.net", "--mode", "digest")
    p.cli("member", "set", lst, "pat@example.net", "digest", "plain")


def check_exactly_once(sink, p, lst, n_digests):
    posts = accepted(p, lst)
    mia = digests_to(sink, "mia@example.net", lst)
    pat = digests_to(sink, "pat@example.net", lst)
    assert len(mia) == n_digests and len(pat) == n_digests, (
        len(mia), len(pat))
    ids_mime = [i for d in mia for i in post_ids_mime(d)]
    ids_etpan = [i for d in mia for i in post_ids_libetpan(d)]
    ids_plain = [i for d in pat for i in post_ids_plain(d)]
    for d in pat:
        parts = mimetree(d)
        assert [p["type"] for p in parts] == ["text/plain"], parts
        assert post_ids_plain(d, parts[0]["text"]) == post_ids_plain(d)
    assert ids_mime == ids_etpan
    assert sorted(ids_mime) == posts, (ids_mime, posts)
    assert sorted(ids_plain) == posts, (ids_plain, posts)
    # Each post also went to the "each" member, and no digest did.
    eve = [d for d in delivered(sink) if "eve@example.net" in d.rcpts
           and d.msg["List-Post"] == "<mailto:%s>" % lst]
    assert sorted(d.msg["Message-ID"].strip("<>") for d in eve) == posts
    return mia, pat


def test_every_post_in_exactly_one_digest_both_formats_and_languages():
    with SmtpSink() as sink, daemon(sink) as p:
        lists = {"en": "team@example.org", "it": "gruppo@example.org"}
        for lang, lst in lists.items():
            make(p, lst, lang)
        p.start()
        for lang, lst in lists.items():
            root = post(p, lst, "first topic")
            post(p, lst, "Re: first topic",
                 headers=["In-Reply-To: <%s>" % root,
                          "References: <%s>" % root])
            post(p, lst, "second topic", sender="eve@example.net")
            # A non-member's post waits for a moderator.
            post(p, lst, "held one", sender="zed@example.com")
            wait_for(lambda: len(accepted(p, lst)) == 3, what="accepted")
            r = p.cli("digest", "send", lst)
            assert b"volume 1 issue 1" in r.stdout, r.stdout
        for lang, lst in lists.items():
            wait_for(lambda: len(digests_to(sink, "pat@example.net",
                                            lst)) == 1, what="digest 1")
        # More posts, a restart, the held post approved: all in digest 2.
        p.stop()
        p.start()
        for lang, lst in lists.items():
            post(p, lst, "third topic")
            held = p.sql("SELECT p.id FROM posts p JOIN lists l ON"
                         " l.id = p.list_id WHERE l.addr = '%s' AND"
                         " p.state = 'held'" % lst)[0][0]
            p.cli("mod", "approve", lst, held)
            wait_for(lambda: len(accepted(p, lst)) == 5, what="approved")
            r = p.cli("digest", "send", lst)
            assert b"volume 1 issue 2" in r.stdout, r.stdout
            # Nothing waits now: no empty digest.
            r = p.cli("digest", "send", lst)
            assert b"no posts waiting" in r.stdout
        for lang, lst in lists.items():
            wait_for(lambda: len(digests_to(sink, "pat@example.net",
                                            lst)) == 2, what="digest 2")
            wait_for(lambda: len(digests_to(sink, "mia@example.net",
                                            lst)) == 2, what="digest 2")
            mia, pat = check_exactly_once(sink, p, lst, 2)
            subject = str(mia[1].msg["Subject"])
            if lang == "en":
                assert subject == "team digest, Vol 1, Issue 2", subject
                toc = mia[0].msg.get_payload()[0].get_content()
                assert "Thread: first topic (2)" in toc, toc
            else:
                assert subject == "Raccolta di gruppo, vol. 1, numero 2"
                toc = mia[0].msg.get_payload()[0].get_content()
                assert "Discussione: first topic (2)" in toc, toc
            # The first digest of the month sums up the moderation log.
            word = "Moderation on this list" if lang == "en" else \
                "Moderazione su questa lista"
            assert word in toc and re.search(r"held\s+1", toc), toc
            assert word not in mia[1].msg.get_payload()[0].get_content()
            assert word in pat[0].msg.get_content()
            # The thread's posts are together, in the TOC and the parts.
            assert [m.split(".")[0] for m in post_ids_mime(mia[0])] == [
                "first-topic", "Re--first-topic", "second-topic"]
            for d in mia + pat:
                assert d.msg["List-Id"] == "<%s>" % lst.replace("@", ".")
                assert d.msg["Precedence"] == "list"
                assert d.rcpts and d.msg["To"] == lst
            # The footer ends both formats.
            assert lst.replace("@", "+unsubscribe@") in \
                mia[0].msg.get_payload()[-1].get_content()
            assert lst.replace("@", "+unsubscribe@") in \
                pat[0].msg.get_content().rsplit("*" * 20, 1)[1]
        r = p.cli("--json", "digest", "ls", "team@example.org")
        rows = json.loads(r.stdout)
        assert [(x["volume"], x["issue"], x["posts"]) for x in rows] == [
            (1, 2, 2), (1, 1, 3)]


def test_muted_thread_left_out_and_separators_stuffed():
    with SmtpSink() as sink, daemon(sink) as p:
        lst = "team@example.org"
        make(p, lst, "en")
        p.start()
        root = post(p, lst, "noisy thread")
        post(p, lst, "quiet thread",
             text="before\r\n------------------------------\r\n"
                  "Message-ID: <fake@evil>\r\nafter\r\n")
        wait_for(lambda: len(accepted(p, lst)) == 2, what="accepted")
        # Pat mutes the noisy thread by replying to +mute@.
        lmtp_send(p.lmtp_port, "pat@example.net", ["team+mute@example.org"],
                  message(sender="pat@example.net",
                          to="team+mute@example.org", subject="Re: x",
                          headers=["In-Reply-To: <%s>" % root,
                                   "References: <%s>" % root]))
        wait_for(lambda: p.sql("SELECT count(*) FROM thread_prefs WHERE"
                               " pref = 'mute'") == [["1"]], what="muted")
        p.cli("digest", "send", lst)
        wait_for(lambda: len(digests_to(sink, "pat@example.net", lst)) == 1
                 and len(digests_to(sink, "mia@example.net", lst)) == 1,
                 what="digests")
        pat = digests_to(sink, "pat@example.net", lst)[0]
        mia = digests_to(sink, "mia@example.net", lst)[0]
        ids = post_ids_plain(pat)
        assert len(ids) == 1 and ids[0].startswith("quiet-thread"), ids
        assert len(post_ids_mime(mia)) == 2
        # The fake separator in the post was stuffed (RFC 934).
        assert "- ------------------------------" in pat.msg.get_content()


def test_schedule_size_and_volumes():
    with SmtpSink() as sink, daemon(sink) as p:
        lst = "team@example.org"
        make(p, lst, "en")
        p.cli("list", "set", lst, "timezone", "Europe/Rome")
        p.cli("list", "set", lst, "digest_schedule", "weekly tue 06:30")
        p.start()
        # The scheduler computes the next time in the list's zone.
        now = time.time()
        due = int(wait_for(lambda: p.sql(
            "SELECT next_due FROM digest_state")[0][0]
            if p.sql("SELECT next_due FROM digest_state") else None,
            what="next_due"))
        local = datetime.datetime.fromtimestamp(
            due, zoneinfo.ZoneInfo("Europe/Rome"))
        assert (local.weekday(), local.hour, local.minute) == (1, 6, 30)
        assert now < due <= now + 7 * 86400 + 5
        # A scheduled time with nothing waiting passes without a digest.
        p.sql_write("UPDATE digest_state SET next_due ="
                    " strftime('%s','now')")
        wait_for(lambda: int(p.sql("SELECT next_due FROM digest_state")
                             [0][0]) > time.time() + 3600,
                 what="next_due advanced")
        assert digests_to(sink, "mia@example.net", lst) == []
        # Its time comes with posts waiting: the digest goes out alone.
        post(p, lst, "scheduled one")
        wait_for(lambda: len(accepted(p, lst)) == 1, what="accepted")
        p.sql_write("UPDATE digest_state SET next_due ="
                    " strftime('%s','now')")
        wait_for(lambda: len(digests_to(sink, "mia@example.net", lst)) == 1,
                 what="scheduled digest")
        # Size: over digest_size the digest goes at once.
        p.cli("list", "set", lst, "digest_size", "2")     # KB
        post(p, lst, "big one", text="x" * 70 + "\r\n" * 1 +
             ("y" * 70 + "\r\n") * 40)
        wait_for(lambda: len(digests_to(sink, "mia@example.net", lst)) == 2,
                 what="digest by size")
        # A new volume on demand.
        r = p.cli("digest", "volume", lst)
        assert b"volume 2 issue 1" in r.stdout
        post(p, lst, "in volume two", text=("z" * 70 + "\r\n") * 40)
        wait_for(lambda: len(digests_to(sink, "mia@example.net", lst)) == 3,
                 what="digest 3")
        # The last issue was sent last year: a new year, a new volume.
        p.sql_write("UPDATE digest_state SET year = year - 1")
        post(p, lst, "happy new year", text=("n" * 70 + "\r\n") * 40)
        wait_for(lambda: len(digests_to(sink, "mia@example.net", lst)) == 4,
                 what="digest 4")
        subjects = [str(d.msg["Subject"]) for d in
                    digests_to(sink, "mia@example.net", lst)]
        assert subjects == ["team digest, Vol 1, Issue 1",
                            "team digest, Vol 1, Issue 2",
                            "team digest, Vol 2, Issue 1",
                            "team digest, Vol 3, Issue 1"], subjects
        check_exactly_once(sink, p, lst, 4)


def test_preview_commands_and_errors():
    with SmtpSink() as sink, daemon(sink) as p:
        lst = "team@example.org"
        make(p, lst, "en")
        r = p.cli("digest", "preview", lst)
        assert r.stdout == b"" and b"no posts waiting" in r.stderr
        p.start()
        post(p, lst, "preview me", text="Hello <b>digest</b>\r\n")
        wait_for(lambda: len(accepted(p, lst)) == 1, what="accepted")
        r = p.cli("digest", "preview", lst)
        m = email.message_from_bytes(r.stdout, policy=email.policy.default)
        assert m.get_content_type() == "multipart/mixed"
        assert str(m["Subject"]) == "team digest, Vol 1, Issue 1"
        # A post with an attachment, from a named author.
        raw = ("From: =?utf-8?q?Ann_Exampl=C3=A9?= <ann@example.net>\r\n"
               "To: %s\r\nSubject: with a file\r\n"
               "Message-ID: <file.1@test>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
               "--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
               "--b\r\nContent-Type: application/pdf; name=report.pdf\r\n"
               "Content-Disposition: attachment; filename=report.pdf\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n"
               "JVBERi0xLjQK\r\n--b--\r\n" % lst).encode()
        assert lmtp_send(p.lmtp_port, "ann@example.net", [lst], raw) == [250]
        wait_for(lambda: len(accepted(p, lst)) == 2, what="accepted")
        r = p.cli("digest", "preview", lst, "--plain")
        m = email.message_from_bytes(r.stdout, policy=email.policy.default)
        text = m.get_content()
        assert "Hello <b>digest</b>" in text
        assert "See the file." in text
        assert "[attachment: report.pdf, application/pdf, 9 B]" in text, text
        assert "2. with a file (Ann Exampl\u00e9)" in text, text
        # A preview changes nothing.
        assert p.cli("digest", "ls", lst).stdout == b""
        assert p.sql("SELECT count(*) FROM posts WHERE digest_id = 0"
                     " AND state = 'accepted'") == [["2"]]
        # Members choose by mail: +digest-plain@, "set digest mime".
        lmtp_send(p.lmtp_port, "eve@example.net",
                  ["team+digest-plain@example.org"],
                  message(sender="eve@example.net",
                          to="team+digest-plain@example.org"))
        wait_for(lambda: p.sql("SELECT mode, digest_format FROM members"
                               " WHERE addr = 'eve@example.net'") ==
                 [["digest", "plain"]], what="digest plain by mail")
        lmtp_send(p.lmtp_port, "eve@example.net",
                  ["team-request@example.org"],
                  message(sender="eve@example.net",
                          to="team-request@example.org",
                          subject="set digest mime"))
        wait_for(lambda: p.sql("SELECT mode, digest_format FROM members"
                               " WHERE addr = 'eve@example.net'") ==
                 [["digest", "mime"]], what="digest mime by mail")
        lmtp_send(p.lmtp_port, "eve@example.net",
                  ["team-request@example.org"],
                  message(sender="eve@example.net",
                          to="team-request@example.org",
                          subject="set digest html"))
        wait_for(lambda: any("unknown" in str(d.msg.get_body(
            preferencelist=("plain",)).get_content()).lower()
            for d in delivered(sink) if "eve@example.net" in d.rcpts),
            what="unknown format answered")
        assert p.sql("SELECT digest_format FROM members WHERE addr ="
                     " 'eve@example.net'") == [["mime"]]
        # Errors from the shell.
        bad = [
            (("digest", "send", "nobody@example.org"), 67),
            (("digest", "bogus", lst), 64),
            (("digest", "send"), 64),
            (("digest", "preview", lst, "--html"), 64),
            (("member", "set", lst, "mia@example.net", "digest", "html"),
             65),
            (("list", "set", lst, "digest_schedule", "hourly"), 65),
            (("list", "set", lst, "digest_schedule", "daily 25:00"), 65),
            (("list", "set", lst, "digest_schedule", "weekly funday 06:00"),
             65),
            (("list", "set", lst, "timezone", "../etc/passwd"), 65),
            (("list", "set", lst, "timezone", "Mars/Olympus_Mons"), 65),
            (("list", "set", lst, "digest_size", "lots"), 65),
            (("list", "set", lst, "digest_size", "12345678"), 65),
            (("list", "set", lst, "digest_size", "-1"), 65),
        ]
        for args, code in bad:
            r = p.cli(*args, check=False)
            assert r.returncode == code, (args, r.returncode, r.stderr)
            assert r.stderr.startswith(b"postino: ") or (
                code == 64 and b"usage: postino " in r.stderr), (
                args, r.stderr)


def test_preview_and_send_with_the_moderation_summary():
    """Regression: the first digest of a month carries the moderation
    log's summary; with a moderator's decision in the log, preview and
    send aborted ("keys used before token_init", exit 75)."""
    with SmtpSink() as sink, daemon(sink) as p:
        lst = "team@example.org"
        p.cli("list", "create", lst, "--moderator", "mo@example.org")
        p.cli("list", "set", lst, "digest_size", "0")
        p.cli("member", "add", lst, "mia@example.net", "--mode", "digest")
        p.start()
        post(p, lst, "from outside", sender="zed@example.net")
        wait_for(lambda: p.sql("SELECT id FROM posts WHERE state ="
                               " 'held'"), what="held")
        pid = p.sql("SELECT id FROM posts WHERE state = 'held'")[0][0]
        p.cli("mod", "approve", lst, pid, "--as", "mo@example.org")
        wait_for(lambda: len(accepted(p, lst)) == 1, what="accepted")
        r = p.cli("digest", "preview", lst)
        m = email.message_from_bytes(r.stdout, policy=email.policy.default)
        toc = m.get_payload()[0].get_content()
        assert re.search(r"^  approved +1$", toc, re.M), toc
        assert "moderation log's chain ends in entry 2" in toc, toc
        r = p.cli("digest", "send", lst)
        assert b"volume 1 issue 1 queued" in r.stdout, r.stdout
        wait_for(lambda: digests_to(sink, "mia@example.net", lst),
                 what="the digest at the sink")


def test_archived_at_and_list_archive():
    with SmtpSink() as sink, daemon(sink) as p:
        lst = "team@example.org"
        p.make_list(lst, members=["ann@example.net"],
                    archive_url="https://lists.example.org/team/")
        p.start()
        mid = post(p, lst, "archived",
                   headers=["Archived-At: <https://evil.example/x>"])
        wait_for(lambda: delivered(sink), what="post delivered")
        d = delivered(sink)[0]
        pid, created = p.sql("SELECT id, created FROM posts WHERE msgid ="
                             " '%s'" % mid)[0]
        month = time.strftime("%Y-%m", time.gmtime(int(created)))
        assert d.msg.get_all("Archived-At") == [
            "<https://lists.example.org/team/%s/%s.html>" % (month, pid)]
        assert d.msg["List-Archive"] == "<https://lists.example.org/team/>"


def formail_split(d, tmp):
    """The posts formail (procmail) splits a plain digest into, as a
    mail reader's "burst digest" does: `formail +1 -ds`, the digest's own
    header and contents skipped; LF line ends, as in a mailbox."""
    raw = b"Received:" + d.raw.partition(b"\nReceived:")[2]
    raw = raw.replace(b"\r\n", b"\n")
    subprocess.run(["formail", "+1", "-ds", "sh", "-c",
                    'cat > "$0/post.$FILENO"', tmp], input=raw, check=True,
                   timeout=30)
    return [email.message_from_bytes(open(os.path.join(tmp, f), "rb").read(),
                                     policy=email.policy.default)
            for f in sorted(os.listdir(tmp))]


def test_digest_list_headers_and_8bit_plain_split_by_formail():
    with SmtpSink() as sink, daemon(sink) as p, \
            tempfile.TemporaryDirectory() as tmp:
        lst = "team@example.org"
        make(p, lst, "en")
        p.cli("list", "set", lst, "archive_url",
              "https://lists.example.org/team/")
        p.start()
        ids = [post(p, lst, "=?utf-8?q?caff=C3=A8_=C3=A8_pronto?=",
                    sender="ann@example.net",
                    headers=["Content-Type: text/plain; charset=utf-8",
                             "Content-Transfer-Encoding: 8bit"],
                    text="Il caff\u00e8 \u00e8 pronto.\r\n"),
               post(p, lst, "plain ascii", sender="eve@example.net",
                    text="Second post.\r\n"),
               # One paragraph of 3000 octets, as quoted-printable
               # carries it: broken into lines the 8bit digest can hold.
               post(p, lst, "long line", sender="eve@example.net",
                    headers=["Content-Type: text/plain; charset=utf-8",
                             "Content-Transfer-Encoding: quoted-printable"],
                    text="=\r\n".join(["=C3=A8" * 12] * 125) + "\r\n")]
        wait_for(lambda: len(accepted(p, lst)) == 3, what="accepted")
        p.cli("digest", "send", lst)
        wait_for(lambda: digests_to(sink, "pat@example.net", lst) and
                 digests_to(sink, "mia@example.net", lst), what="digests")
        pat = digests_to(sink, "pat@example.net", lst)[0]
        mia = digests_to(sink, "mia@example.net", lst)[0]
        for d in (pat, mia):
            assert d.msg["List-Id"] == "<team.example.org>"
            assert d.msg["List-Post"] == "<mailto:team@example.org>"
            assert d.msg["List-Help"] == "<mailto:team+help@example.org>"
            assert d.msg["List-Subscribe"] == \
                "<mailto:team+subscribe@example.org>"
            # VERP by default: each digest is its member's own copy, with
            # his own leave address and bounce address.
            assert re.fullmatch(r"<mailto:team\+u-[a-z2-7]+-[a-z2-7]{16}"
                                r"@example\.org>", d.msg["List-Unsubscribe"])
            assert re.fullmatch(r"team\+bounces-[a-z2-7]+-[a-z2-7]{16}"
                                r"@example\.org", d.sender), d.sender
            assert d.msg["List-Owner"] == "<mailto:team+owner@example.org>"
            assert d.msg["List-Archive"] == \
                "<https://lists.example.org/team/>"
        # The plain digest is 8bit: its text is there as it is, no QP
        # nor base64, and the existing readers still agree.
        assert pat.msg["Content-Transfer-Encoding"] == "8bit"
        assert "Subject: caff\u00e8 \u00e8 pronto".encode() in pat.raw
        assert "Il caff\u00e8 \u00e8 pronto.".encode() in pat.raw
        assert sorted(post_ids_plain(pat)) == sorted(ids)
        parts = mimetree(pat)
        assert post_ids_plain(pat, parts[0]["text"]) == post_ids_plain(pat)
        assert sorted(post_ids_mime(mia)) == sorted(post_ids_libetpan(mia))
        # formail splits it into the posts, each readable.
        posts = formail_split(pat, tmp)
        assert len(posts) == 3, [str(m) for m in posts]
        assert max(len(x) for x in pat.raw.split(b"\n")) <= 1000
        got = {str(m["Message-ID"]).strip("<>"):
               (str(m["Subject"]), str(m["From"]),
                m.get_payload(decode=True).decode("utf-8"))
               for m in posts}
        assert set(got) == set(ids), got
        subject, author, text = got[ids[0]]
        assert subject == "caff\u00e8 \u00e8 pronto", subject
        assert "ann@example.net" in author, author
        assert "Il caff\u00e8 \u00e8 pronto." in text, text
        subject, author, text = got[ids[1]]
        assert (subject, "eve@example.net" in author) == (
            "plain ascii", True), got[ids[1]]
        assert "Second post." in text
        subject, author, text = got[ids[2]]
        assert subject == "long line"
        assert text.count("\u00e8") == 1500 and "\u00e8\n\u00e8" in text