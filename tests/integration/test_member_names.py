"""test_member_names.py - members' display names, member add --welcome,
and --json refused by every command without a JSON form.

The CLI tests run the real binary on a temporary database and check
stdout, --json parsed with json.loads, the error lines and the sysexits
codes; the welcome tests run the daemon and read the mail Postfix's
smtp-sink received, in English and in Italian.
"""
import email
import email.policy
import json
import os

from harness import Postino, SmtpSink, wait_for
from test_cli import err, fails, out

EX_USAGE, EX_DATAERR, EX_CANTCREAT = 64, 65, 73
LIST = "team@example.org"


def names(p):
    return {m["address"]: m["name"] for m in json.loads(out(p.cli(
        "--json", "member", "ls", LIST)))}


def test_member_add_keeps_display_names():
    with Postino() as p:
        p.cli("list", "create", LIST)
        adds = [
            ("Alice Example <alice@example.org>", "alice@example.org",
             "Alice Example"),
            ('"Doe, Jane" <Jane@Example.ORG>', "Jane@example.org",
             "Doe, Jane"),
            ("Jos\u00e9 \"Caf\u00e8\" <jose@example.org>",
             "jose@example.org", "Jos\u00e9 Caf\u00e8"),
            ('"A \\"Q\\" B" <q@example.org>', "q@example.org", 'A "Q" B'),
            ("<bare@example.org>", "bare@example.org", None),
            ("plain@example.org", "plain@example.org", None),
        ]
        for arg, addr, _ in adds:
            r = p.cli("member", "add", LIST, arg)
            assert out(r) == "added %s to %s (each)\n" % (addr, LIST)
        assert names(p) == {a: n for _, a, n in adds}
        text = out(p.cli("member", "ls", LIST)).splitlines()
        assert text[:4] == [
            'alice@example.org each "Alice Example"',
            'Jane@example.org each "Doe, Jane"',
            'jose@example.org each "Jos\u00e9 Caf\u00e8"',
            'q@example.org each "A \\"Q\\" B"']
        assert text[4:] == ["bare@example.org each",
                            "plain@example.org each"]
        # The name goes with every column and filter.
        p.cli("member", "set", LIST, "alice@example.org", "mode", "digest")
        p.cli("member", "set", LIST, "alice@example.org", "moderated",
              "yes")
        assert out(p.cli("member", "ls", LIST, "--moderated")) == \
            'alice@example.org digest mime moderated "Alice Example"\n'
        # rm and set take the same forms; set name changes or removes it.
        p.cli("member", "set", LIST, "Alice <ALICE@example.org>", "name",
              ' Alice "Al" Example ')
        assert names(p)["alice@example.org"] == 'Alice "Al" Example'
        r = p.cli("member", "set", LIST, "q@example.org", "name", "")
        assert out(r) == "%s: q@example.org name = (none)\n" % LIST
        assert names(p)["q@example.org"] is None
        fails(p, EX_DATAERR, "member", "set", LIST, "q@example.org", "name",
              "x\nBcc: all@example.org",
              says="name 'x\\x0aBcc: all@example.org': line break in the"
              " display name")
        p.cli("member", "rm", LIST, "Whoever <plain@example.org>")
        assert "plain@example.org" not in names(p)
        # Already a member, whatever the name.
        fails(p, EX_CANTCREAT, "member", "add", LIST,
              "Other Name <alice@EXAMPLE.org>", says="is already a member")


ADD_ERRORS = [
    ('"Alice <alice@example.org>', "unbalanced quotes"),
    ('Al"ice <alice@example.org>', "unbalanced quotes"),
    ("Eve\r\nBcc: all@example.org <eve@example.org>",
     "'Eve\\x0d\\x0aBcc: all@example.org <eve@example.org>': line break"
     " in the mailbox"),
    ("Eve\x07 <eve@example.org>", "control character in the display name"),
    ("N" * 201 + " <eve@example.org>", "display name longer than 200 bytes"),
    ("Eve <eve@example.org", "'<' without a closing '>'"),
    ("Eve <eve@example.org> and more",
     "text after the '>' that closes the address"),
    ("Eve > x <eve@example.org>", "'<' or '>' in the display name"),
    ("Eve <not-an-address>", "address has no domain"),
]


def test_member_add_bad_names_refused():
    with Postino() as p:
        p.cli("list", "create", LIST)
        for arg, why in ADD_ERRORS:
            e = fails(p, EX_DATAERR, "member", "add", LIST, arg)
            assert e.startswith("postino: member add: '"), e
            assert why in e, (arg, e)
            assert e.count("\n") == 1, e
        assert json.loads(out(p.cli("--json", "member", "ls", LIST))) == []
        # 200 bytes of name are fine (100 two-byte characters too).
        p.cli("member", "add", LIST, "\u00e8" * 100 + " <e@example.org>")
        assert names(p)["e@example.org"] == "\u00e8" * 100


IMPORT = (
    "# exported names\n"                                    # 1
    "Ann Example <ann@example.org>\n"                       # 2 ok
    "\"Doe, Jane\" <jane@example.org>\r\n"                  # 3 ok
    "Jos\u00e9 Caf\u00e8 <jose@example.org>\n"              # 4 ok, UTF-8
    "bob@example.org\n"                                     # 5 ok, no name
    "\"Unbalanced <ub@example.org>\n"                       # 6 bad
    "Inject\rBcc: all@example.org <inj@example.org>\n"      # 7 bad (CR)
    + "L" * 201 + " <long@example.org>\n"                   # 8 bad
    "Bad \xff <bad8@example.org>\n"                         # 9 bad
    "Renamed <ANN@example.org>\n"                           # 10 dup
)


def test_member_import_names_and_bad_lines():
    with Postino() as p:
        p.cli("list", "create", LIST)
        path = os.path.join(p.dir, "names.txt")
        with open(path, "wb") as f:
            f.write(IMPORT.encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
        r = p.cli("member", "import", LIST, "names.txt", check=False)
        assert r.returncode == EX_DATAERR, err(r)
        assert out(r) == "imported 4, duplicates 1, invalid 4\n"
        report = err(r).splitlines()
        assert report[0] == ("names.txt:6: unbalanced quotes:"
                             " '\"Unbalanced <ub@example.org>'")
        assert report[1] == ("names.txt:7: line break in the mailbox:"
                             " 'Inject\\x0dBcc: all@example.org"
                             " <inj@example.org>'")
        assert report[2].startswith("names.txt:8: display name longer than"
                                    " 200 bytes: 'LLLL")
        assert report[3] == ("names.txt:9: the display name is not UTF-8:"
                             " 'Bad \\xff <bad8@example.org>'")
        assert report[4] == ("names.txt:10: duplicate of an earlier line:"
                             " 'Renamed <ANN@example.org>'")
        # A bad line is refused whole: no member without his name.
        assert names(p) == {"ann@example.org": "Ann Example",
                            "jane@example.org": "Doe, Jane",
                            "jose@example.org": "Jos\u00e9 Caf\u00e8",
                            "bob@example.org": None}
        # The same from stdin, in one transaction with --mode.
        r = p.cli("member", "import", LIST, "-", "--mode", "digest",
                  input="Kim Lee <kim@example.org>\n".encode())
        assert out(r) == "imported 1, duplicates 0, invalid 0\n"
        kim = [m for m in json.loads(out(p.cli("--json", "member", "ls",
                                                LIST, "--mode", "digest")))]
        assert [(m["address"], m["name"]) for m in kim] == [
            ("kim@example.org", "Kim Lee")]


def test_json_refused_where_there_is_none():
    """Every command without a JSON form refuses --json (64) before it
    does anything; those with one print JSON that parses."""
    with Postino() as p:
        p.make_list(LIST, ["amy@example.org"])
        refused = [
            ("member", "add", LIST, "new@example.org"),
            ("member", "rm", LIST, "amy@example.org"),
            ("member", "set", LIST, "amy@example.org", "mode", "digest"),
            ("member", "import", LIST, "-"),
            ("list", "create", "other@example.org"),
            ("list", "set", LIST, "footer", "no"),
            ("list", "rm", LIST),
            ("list", "role", LIST, "add", "owner", "boss@example.org"),
            ("mod", "approve", LIST, "1"),
            ("mod", "reject", LIST, "1", "--reason", "no"),
            ("mod", "discard", LIST, "1"),
            ("log", "verify", LIST),
            ("log", "checkpoint", LIST),
            ("log", "key", LIST),
            ("rules", LIST, "add", "r", "hold", "always"),
            ("rules", LIST, "rm", "r"),
            ("ban", LIST, "add", "*@spam.example"),
            ("ban", "--site", "rm", "*@spam.example"),
            ("archive", "export", LIST),
            ("digest", "send", LIST),
            ("digest", "preview", LIST),
            ("digest", "volume", LIST),
            ("sub", "approve", LIST, "x@example.org"),
            ("sub", "decline", LIST, "x@example.org"),
            ("bounce", "reset", LIST, "amy@example.org"),
            ("queue", "release", "1"),
            ("config", "check"),
            ("deliver", "--recipient", LIST),
            ("serve",),
            ("help",),
        ]
        for args in refused:
            e = fails(p, EX_USAGE, "--json", *args, input=b"")
            assert "no --json" in e, (args, e)
        # Nothing was changed by a refused command.
        assert [m["address"] for m in json.loads(out(p.cli(
            "--json", "member", "ls", LIST)))] == ["amy@example.org"]
        assert json.loads(out(p.cli("--json", "list", "ls")))[0][
            "address"] == LIST
        supported = [
            ("list", "ls"), ("list", "show", LIST), ("member", "ls", LIST),
            ("mod", "ls", LIST), ("log", "show", LIST), ("rules", LIST, "ls"),
            ("ban", LIST, "ls"), ("ban", "--site", "ls"),
            ("digest", "ls", LIST), ("sub", "ls", LIST),
            ("bounce", "ls", LIST), ("queue",), ("config",),
            ("archive", "html", LIST, os.path.join(p.dir, "html")),
        ]
        for args in supported:
            r = p.cli("--json", *args, check=False)
            assert r.returncode == 0, (args, err(r))
            json.loads(out(r))
        # --help still answers, --json or not.
        assert out(p.cli("--json", "member", "add", "--help")).startswith(
            "usage: postino member add LIST ADDR|'NAME <ADDR>'")


def complete_welcomes(sink, last_line):
    """The welcome mails the sink holds in full (smtp-sink writes a file
    as the message comes), by recipient address."""
    got = {}
    for raw in sink.messages():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        body = m.get_body(preferencelist=("plain",))
        if m["To"] is not None and body is not None and \
                last_line in body.get_content():
            got[m["To"].addresses[0].addr_spec] = m
    return got


def welcome_case(lang, subject, last_line):
    with SmtpSink() as sink, Postino(
            relay="smtp://127.0.0.1:%d" % sink.port,
            settings={"retry_min": "1"}) as p:
        p.make_list(LIST, language=lang)
        p.start()
        # Without --welcome nothing is sent: no job is queued at all.
        p.cli("member", "add", LIST, "Quiet One <quiet@example.net>")
        assert json.loads(out(p.cli("--json", "queue", "--all")))[
            "jobs"] == []
        r = p.cli("member", "add", LIST,
                  "Jos\u00e9 Caf\u00e8 <jose@example.net>", "--welcome",
                  "--mode", "digest")
        assert out(r) == ("added jose@example.net to %s (digest), welcome"
                          " queued\n" % LIST)
        p.cli("member", "add", LIST, '"Doe, Jane" <jane@example.net>',
              "--welcome")

        by_to = wait_for(lambda: (lambda g: g if len(g) >= 2 else None)(
            complete_welcomes(sink, last_line)), what="two welcome mails")
        assert sorted(by_to) == ["jane@example.net", "jose@example.net"]
        jose = by_to["jose@example.net"]
        assert jose["To"].addresses[0].display_name == "Jos\u00e9 Caf\u00e8"
        assert by_to["jane@example.net"]["To"].addresses[0].display_name \
            == "Doe, Jane"
        assert str(jose["Subject"]).startswith(subject), jose["Subject"]
        text = jose.get_body(preferencelist=("plain",)).get_content()
        assert '"digest"' in text, text
        assert "team+rules@example.org" in text
        # The welcomed members are members; the owners were not told
        # (the shell added them), and the quiet one got nothing.
        assert len(sink.messages()) == 2
        # Already a member: 73, and no second welcome is queued.
        fails(p, EX_CANTCREAT, "member", "add", LIST, "jose@example.net",
              "--welcome")
        jobs = json.loads(out(p.cli("--json", "queue", "--all")))["jobs"]
        assert len(jobs) == 2, jobs


def test_member_add_welcome_en():
    welcome_case("en", "Welcome to team@example.org",
                 "Keep this message: it tells you how to leave the list.")


def test_member_add_welcome_it():
    welcome_case("it", "Ti diamo il benvenuto nella lista team@example.org",
                 "Conserva questo messaggio: spiega anche come cancellarti")


def test_subscriber_by_mail_keeps_his_from_name():
    """Who joins by mail keeps the display name of his own From: (RFC
    2047 decoded); the welcome and the goodbye are addressed with it.
    An owner's approval does not give the owner's name."""
    from test_membership import TOKEN_RE, Mails, daemon, send

    def token(addr, n):
        """The token of the n-th mail to addr, once it is all there."""
        def found():
            got = mails.to(addr)
            if len(got) < n:
                return None
            m = got[n - 1]
            body = m.get_body(preferencelist=("plain",))
            m = TOKEN_RE.search(str(m.get("Reply-To", "")) + (
                body.get_content() if body is not None else ""))
            return m.group(1) if m else None
        return wait_for(found, what="mail %d to %s" % (n, addr))
    who = "=?utf-8?q?Dav=C3=A9_Example?= <dave@example.net>"
    with SmtpSink() as sink, daemon(sink) as p:
        p.make_list(LIST)
        p.start()
        mails = Mails(sink)
        send(p, "team+subscribe@example.org", sender=who,
             env="dave@example.net")
        tok = token("dave@example.net", 1)
        send(p, "team+confirm-%s@example.org" % tok, sender=who,
             env="dave@example.net")
        welcome = wait_for(lambda: [m for m in mails.to("dave@example.net")
                                    if "Welcome" in str(m["Subject"])],
                           what="the welcome")[0]
        assert welcome["To"].addresses[0].display_name == "Dav\u00e9 Example"
        assert names(p) == {"dave@example.net": "Dav\u00e9 Example"}
        send(p, "team+unsubscribe@example.org", sender=who,
             env="dave@example.net")
        tok = token("dave@example.net", 3)
        send(p, "team+confirm-%s@example.org" % tok)    # no name this time
        goodbye = wait_for(lambda: [m for m in mails.to("dave@example.net")
                                    if "left" in str(m["Subject"]).lower()
                                    or "goodbye" in str(m["Subject"]).lower()],
                           what="the goodbye")[0]
        assert goodbye["To"].addresses[0].display_name == "Dav\u00e9 Example"
        assert names(p) == {}
        # Approved by an owner: the owner's name is not the joiner's.
        p.cli("list", "set", LIST, "subscribe_policy", "approve")
        p.cli("list", "role", LIST, "add", "owner", "boss@example.org")
        send(p, "team+subscribe@example.org", sender="erin@example.net")
        send(p, "team+confirm-%s@example.org" % token("boss@example.org", 1),
             sender="Big Boss <boss@example.org>", env="boss@example.org")
        wait_for(lambda: "erin@example.net" in names(p), what="erin joined")
        assert names(p)["erin@example.net"] is None


def test_member_add_welcome_that_cannot_be_made_adds_nobody():
    """A list's own welcome with an unknown placeholder: the add is
    rolled back with the welcome (75), and the reason is printed."""
    with Postino() as p:
        p.cli("list", "create", LIST)
        own = os.path.join(p.dir, "lists", LIST)
        os.makedirs(own)
        with open(os.path.join(own, "welcome.txt"), "w") as f:
            f.write("Subject: Hi\n\n{{no_such_placeholder}}\n")
        e = fails(p, 75, "member", "add", LIST, "Ann <ann@example.org>",
                  "--welcome")
        assert "the welcome for 'ann@example.org' could not be queued;" \
            " ann@example.org was not added" in e, e
        assert "no_such_placeholder" in e, e
        assert names(p) == {}
        jobs = json.loads(out(p.cli("--json", "queue", "--all")))["jobs"]
        assert jobs == []
        # Without --welcome the text is not needed.
        p.cli("member", "add", LIST, "Ann <ann@example.org>")
        assert names(p) == {"ann@example.org": "Ann"}
