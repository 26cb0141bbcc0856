"""test_cli.py - the admin CLI: list, member and mod commands.

Each test runs the real binary on its own temporary database (no daemon)
and checks what a user or a script sees: stdout, --json parsed with
json.loads, the exact error lines on stderr, and the sysexits codes.
"""
import json
import os
import sqlite3
import time

from harness import Postino, sqlite_only

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOUSER, EX_CANTCREAT = 64, 65, 66, 67, 73


def out(r):
    return r.stdout.decode()


def err(r):
    return r.stderr.decode()


def fails(p, code, *args, input=None, says=None):
    """Run a command that must fail with code; returns its stderr."""
    r = p.cli(*args, input=input, check=False)
    assert r.returncode == code, "%s: exit %d, want %d: %s" % (
        " ".join(args), r.returncode, code, err(r))
    if says is not None:
        assert says in err(r), "%s: stderr %r lacks %r" % (
            " ".join(args), err(r), says)
    return err(r)


def show(p, addr):
    return json.loads(out(p.cli("--json", "list", "show", addr)))


# ---- lists ---------------------------------------------------------

def test_list_create_show():
    with Postino() as p:
        r = p.cli("list", "create", "Team@Example.ORG", "--owner",
                  "Boss@Example.org", "--moderator", "mod@example.org",
                  "--owner", "second@example.org")
        assert "team@example.org" in out(r)
        s = show(p, "TEAM@example.org")
        assert s["address"] == "team@example.org"
        assert s["owners"] == ["Boss@example.org", "second@example.org"]
        assert s["moderators"] == ["mod@example.org"]
        assert s["members"] == {"total": 0, "each": 0, "digest": 0,
                                "nomail": 0, "follow": 0}
        assert s["held"] == 0
        assert s["settings"]["subject_prefix"] == {"value": "[team]",
                                                   "default": True}
        assert s["settings"]["language"]["value"] == "en"
        assert s["settings"]["footer"]["value"] == "yes"
        assert s["settings"]["moderated"]["value"] == "no"
        assert s["settings"]["max_message_size"]["value"] == "0"
        text = out(p.cli("list", "show", "team@example.org"))
        assert "address: team@example.org" in text
        assert "owners: Boss@example.org second@example.org" in text
        assert "members: 0 (each 0, digest 0, nomail 0, follow 0)" in text
        assert "(default)" in text


def test_list_role_add_rm_logged():
    with Postino() as p:
        p.cli("list", "create", "team@example.org", "--owner",
              "boss@example.org")
        r = p.cli("list", "role", "team@example.org", "add", "moderator",
                  "Mo@Example.ORG")
        assert out(r) == ("team@example.org: added moderator"
                          " Mo@example.org\n")
        r = p.cli("list", "role", "team@example.org", "add", "owner",
                  "second@example.org")
        s = show(p, "team@example.org")
        assert s["owners"] == ["boss@example.org", "second@example.org"]
        assert s["moderators"] == ["Mo@example.org"]
        p.cli("list", "role", "team@example.org", "rm", "owner",
              "BOSS@example.org")
        assert show(p, "team@example.org")["owners"] == [
            "second@example.org"]
        # The new moderator may decide from the shell now.
        bad = [
            (("add", "moderator", "mo@example.org"), 73, "is already"),
            (("rm", "owner", "boss@example.org"), 67, "is not owner"),
            (("add", "admin", "x@example.org"), 64, "usage"),
            (("grant", "owner", "x@example.org"), 64, "usage"),
            (("add", "owner", "not an address"), 65, "'not an address'"),
        ]
        for args, code, frag in bad:
            r = p.cli("list", "role", "team@example.org", *args,
                      check=False)
            assert r.returncode == code, (args, r.returncode, r.stderr)
            assert frag in r.stderr.decode(), (args, r.stderr)
        r = p.cli("list", "role", "nosuch@example.org", "add", "owner",
                  "x@example.org", check=False)
        assert r.returncode == 67
        # Every change, and only the changes, in the verifiable log.
        rows = json.loads(out(p.cli("--json", "log", "show",
                                    "team@example.org")))
        changes = sorted(e["reason"] for e in rows
                         if e["action"] == "role_changed")
        assert changes == ["added moderator Mo@example.org",
                           "added owner second@example.org",
                           "removed owner boss@example.org"], changes
        assert all(e["moderator"].startswith("shell:") for e in rows
                   if e["action"] == "role_changed")
        assert b"chain intact" in p.cli("log", "verify",
                                        "team@example.org").stdout


def test_help_for_every_command():
    with Postino() as p:
        top = out(p.cli("help"))
        assert top.startswith("usage: postino ")
        for name in ("serve", "deliver", "list", "member", "mod", "queue",
                     "config", "log", "rules", "archive", "digest", "help"):
            assert "postino %s" % name in top, name
        fam = out(p.cli("help", "list"))
        assert fam == out(p.cli("list", "--help"))
        assert "postino list role ADDR add|rm" in fam
        assert out(p.cli("list", "set", "--help")) == (
            "usage: postino list set ADDR KEY VALUE\n")
        assert out(p.cli("mod", "approve", "-h")).startswith(
            "usage: postino mod approve LIST ID")
        assert "postino rules LIST mv" in out(p.cli("rules", "--help"))
        assert out(p.cli("queue", "--help")).startswith("usage: postino queue")
        assert out(p.cli("help", "serve")) == "usage: postino serve\n"
        r = p.cli("help", "nosuch", check=False)
        assert r.returncode == 64 and b"no command 'nosuch'" in r.stderr
        # Nothing was set up for help: no database was made.
        assert not os.path.exists(p.settings["database"])


def test_member_ls_columns_and_filters():
    with Postino() as p:
        lst = "team@example.org"
        p.cli("list", "create", lst)
        for a in ("ann@example.org", "bob@example.org", "cy@example.org",
                  "di@example.org"):
            p.cli("member", "add", lst, a)
        p.cli("member", "set", lst, "bob@example.org", "mode", "digest")
        p.cli("member", "set", lst, "bob@example.org", "digest", "plain")
        p.cli("member", "set", lst, "cy@example.org", "moderated", "yes")
        p.cli("member", "set", lst, "di@example.org", "mode", "follow")
        text = out(p.cli("member", "ls", lst)).splitlines()
        assert "bob@example.org digest plain" in text, text
        assert "cy@example.org each moderated" in text, text
        assert "di@example.org follow" in text, text
        js = {m["address"]: m for m in json.loads(out(p.cli(
            "--json", "member", "ls", lst)))}
        assert js["cy@example.org"]["moderated"] is True
        assert js["ann@example.org"]["moderated"] is False
        assert js["bob@example.org"]["digest_format"] == "plain"
        assert out(p.cli("member", "ls", lst, "--mode", "digest")) == \
            "bob@example.org digest plain\n"
        assert out(p.cli("member", "ls", lst, "--moderated")) == \
            "cy@example.org each moderated\n"
        assert [m["address"] for m in json.loads(out(p.cli(
            "--json", "member", "ls", lst, "--mode", "follow")))] == \
            ["di@example.org"]
        fails(p, EX_DATAERR, "member", "ls", lst, "--mode", "weekly",
              says="unknown mode 'weekly'")
        fails(p, EX_USAGE, "member", "ls", lst, "--bogus")


CREATE_ERRORS = [
    # (label, args, exit code, stderr fragment)
    ("space in local part", ["Te am@x"], EX_DATAERR,
     "postino: list create: 'Te am@x': bad character in local part"),
    ("plus is the delimiter", ["team+x@example.org"], EX_DATAERR,
     "'+' is the recipient delimiter"),
    ("leading dash", ["-team@example.org"], EX_USAGE, "usage:"),
    ("leading dot", [".team@example.org"], EX_DATAERR,
     "misplaced dot in local part"),
    ("quoted local part", ['"a b"@example.org'], EX_DATAERR,
     "must start with a letter or digit"),
    ("other punctuation", ["te!am@example.org"], EX_DATAERR,
     "may only contain letters, digits"),
    ("no domain", ["team"], EX_DATAERR, "address has no domain"),
    ("bad domain", ["team@exa_mple.org"], EX_DATAERR,
     "bad character in domain"),
    ("request suffix", ["team-request@example.org"], EX_DATAERR,
     "reserved for command addresses"),
    ("too long", ["a" * 65 + "@example.org"], EX_DATAERR,
     "local part too long"),
    ("bad owner", ["team@example.org", "--owner", "boss"], EX_DATAERR,
     "postino: list create: owner 'boss': address has no domain"),
    ("owner without value", ["team@example.org", "--owner"], EX_USAGE,
     "usage: postino list create ADDR"),
    ("unknown option", ["team@example.org", "--admin", "a@b.org"],
     EX_USAGE, "usage: postino list create ADDR"),
    ("no address", [], EX_USAGE, "usage: postino list create ADDR"),
]


def test_list_create_errors():
    with Postino() as p:
        for label, args, code, says in CREATE_ERRORS:
            e = fails(p, code, "list", "create", *args, says=says)
            assert e.count("\n") >= 1, label
        # Nothing was half created, not even by the bad owner.
        assert out(p.cli("list", "ls")) == ""
        p.cli("list", "create", "team@example.org")
        fails(p, EX_CANTCREAT, "list", "create", "TEAM@example.org",
              says="list 'team@example.org' exists already")


def test_list_ls():
    with Postino() as p:
        assert json.loads(out(p.cli("--json", "list", "ls"))) == []
        p.make_list("zeta@example.org", members=["a@x.org", "b@x.org"])
        p.make_list("alpha@example.org")
        assert out(p.cli("list", "ls")) == \
            "alpha@example.org 0\nzeta@example.org 2\n"
        ls = json.loads(out(p.cli("list", "ls", "--json")))
        assert [(x["address"], x["members"]) for x in ls] == \
            [("alpha@example.org", 0), ("zeta@example.org", 2)]


SET_OK = [
    ("description", 'Team "talk" \\ caff\u00e8 \u20ac'),
    ("subject_prefix", ""),
    ("language", "it"),
    ("footer", "no"),
    ("moderated", "yes"),
    ("archive_url", "https://lists.example.org/team/"),
    ("max_message_size", "512K"),
]

SET_BAD = [
    ("language", "fr", "language 'fr': language must be 'en' or 'it'"),
    ("footer", "maybe", "value must be 'yes' or 'no'"),
    ("archive_url", "ftp://x.org", "must start with http:// or https://"),
    ("max_message_size", "ten", "size must be a number of bytes"),
    ("description", "two\nlines", "value contains a line break"),
    ("subject_prefix", "[x]\rBcc: a@b.org", "value contains a line break"),
]


def test_list_set():
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        for key, value in SET_OK:
            r = p.cli("list", "set", "team@example.org", key, value)
            assert ("%s = " % key) in out(r)
        s = show(p, "team@example.org")
        for key, value in SET_OK:
            assert s["settings"][key] == {"value": value, "default": False}, \
                key
        for key, value, says in SET_BAD:
            fails(p, EX_DATAERR, "list", "set", "team@example.org", key,
                  value, says=says)
        assert show(p, "team@example.org")["settings"]["language"][
            "value"] == "it"
        e = fails(p, EX_DATAERR, "list", "set", "team@example.org", "lang",
                  "it", says="unknown setting 'lang'")
        for key, _ in SET_OK:
            assert key in e, "known keys listed"
        fails(p, EX_NOUSER, "list", "set", "nope@example.org", "footer",
              "no", says="no such list 'nope@example.org'")
        fails(p, EX_USAGE, "list", "set", "team@example.org", "footer")


def test_list_rm():
    with Postino() as p:
        p.make_list("team@example.org", members=["a@x.org", "b@x.org"],
                    footer="no")
        p.make_list("other@example.org", members=["a@x.org"])
        p.cli("list", "rm", "Team@example.org")
        assert out(p.cli("list", "ls")) == "other@example.org 1\n"
        fails(p, EX_NOUSER, "list", "show", "team@example.org",
              says="postino: list show: no such list 'team@example.org'")
        fails(p, EX_NOUSER, "list", "rm", "team@example.org")
        assert p.sql("SELECT count(*) FROM members") == [["1"]]
        assert p.sql("SELECT count(*) FROM list_settings") == [["0"]]


def test_list_usage():
    with Postino() as p:
        fails(p, EX_USAGE, "list", says="usage: postino list create")
        fails(p, EX_USAGE, "list", "frobnicate",
              says="postino: list: unknown subcommand 'frobnicate'")
        fails(p, EX_USAGE, "list", "show")
        fails(p, EX_DATAERR, "list", "show", "not an address",
              says="'not an address'")


# ---- members -------------------------------------------------------

def test_member_commands():
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        p.cli("member", "add", "team@example.org", "Ann@Example.org")
        p.cli("member", "add", "team@example.org", "bob@example.org",
              "--mode", "digest")
        fails(p, EX_CANTCREAT, "member", "add", "team@example.org",
              "ANN@example.org", says="is already a member")
        assert out(p.cli("member", "ls", "team@example.org")) == \
            "Ann@example.org each\nbob@example.org digest mime\n"
        p.cli("member", "set", "team@example.org", "bob@example.org",
              "digest", "plain")
        assert out(p.cli("member", "ls", "team@example.org")) == \
            "Ann@example.org each\nbob@example.org digest plain\n"
        assert [m["digest_format"] for m in json.loads(out(p.cli(
            "--json", "member", "ls", "team@example.org")))] == [
            "mime", "plain"]
        p.cli("member", "set", "team@example.org", "BOB@example.org", "mode",
              "nomail")
        ms = json.loads(out(p.cli("--json", "member", "ls",
                                  "team@example.org")))
        assert [(m["address"], m["mode"]) for m in ms] == \
            [("Ann@example.org", "each"), ("bob@example.org", "nomail")]
        assert ms[0]["id"] < ms[1]["id"]
        assert show(p, "team@example.org")["members"] == \
            {"total": 2, "each": 1, "digest": 0, "nomail": 1, "follow": 0}
        # Follow-mode members count too.
        p.cli("member", "set", "team@example.org", "bob@example.org", "mode",
              "follow")
        assert show(p, "team@example.org")["members"] == \
            {"total": 2, "each": 1, "digest": 0, "nomail": 0, "follow": 1}
        p.cli("member", "set", "team@example.org", "bob@example.org", "mode",
              "nomail")
        p.cli("member", "rm", "team@example.org", "ann@EXAMPLE.org")
        fails(p, EX_NOUSER, "member", "rm", "team@example.org",
              "ann@example.org", says="is not a member of team@example.org")
        fails(p, EX_NOUSER, "member", "set", "team@example.org",
              "zed@example.org", "mode", "each", says="is not a member")
        fails(p, EX_DATAERR, "member", "add", "team@example.org", "a b@x.org",
              says="postino: member add: 'a b@x.org': bad character")
        fails(p, EX_DATAERR, "member", "add", "team@example.org", "c@x.org",
              "--mode", "weekly", says="unknown mode 'weekly'")
        fails(p, EX_NOUSER, "member", "add", "none@example.org", "c@x.org",
              says="no such list 'none@example.org'")
        fails(p, EX_USAGE, "member", "set", "team@example.org", "c@x.org",
              "colour", "red", says="usage: postino member set")
        fails(p, EX_USAGE, "member", says="usage: postino member add")
        fails(p, EX_USAGE, "member", "purge", says="unknown subcommand")
        assert json.loads(out(p.cli("member", "ls", "team@example.org",
                                    "--json")))[0]["address"] == \
            "bob@example.org"


IMPORT_FILE = (
    "# team members, exported 2026-11-25\n"        # 1 comment
    "\n"                                            # 2 blank
    "  ann@example.org  \n"                         # 3 ok (trimmed)
    "Bob Smith <Bob@Example.org>\n"                 # 4 ok, Name <addr>
    "\"Doe, Jane\" <jane@example.org>\r\n"          # 5 ok, CRLF
    "not-an-address\n"                              # 6 invalid
    "ANN@example.org\n"                             # 7 dup in file
    "carol@example.org\n"                           # 8 already a member
    "x@@example.org\n"                              # 9 invalid
    "\t# indented comment\n"                        # 10 comment
    "dave@example.org"                              # 11 ok, no newline
)

IMPORT_REPORT = [
    "list.txt:6: address has no domain: 'not-an-address'",
    "list.txt:7: duplicate of an earlier line: 'ANN@example.org'",
    "list.txt:8: already a member: 'carol@example.org'",
    "list.txt:9: bad character in local part: 'x@@example.org'",
]


def test_member_import_report():
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        p.cli("member", "add", "team@example.org", "Carol@example.org")
        path = os.path.join(p.dir, "list.txt")
        with open(path, "w", newline="") as f:
            f.write(IMPORT_FILE)
        r = p.cli("member", "import", "team@example.org", "list.txt",
                  check=False)
        assert r.returncode == EX_DATAERR, err(r)
        assert out(r) == "imported 4, duplicates 2, invalid 2\n"
        assert err(r).splitlines() == IMPORT_REPORT, err(r)
        ms = json.loads(out(p.cli("--json", "member", "ls",
                                  "team@example.org")))
        assert [m["address"] for m in ms] == [
            "Carol@example.org", "ann@example.org", "Bob@example.org",
            "jane@example.org", "dave@example.org"]
        # Again: everything is a duplicate, the invalid lines stay invalid.
        r = p.cli("member", "import", "team@example.org", path, check=False)
        assert r.returncode == EX_DATAERR
        assert out(r) == "imported 0, duplicates 6, invalid 2\n"


def test_member_import_stdin_and_errors():
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        r = p.cli("member", "import", "team@example.org", "-", "--mode",
                  "digest", input=b"a@x.org\nb@x.org\na@x.org\n")
        assert out(r) == "imported 2, duplicates 1, invalid 0\n"
        assert err(r) == "stdin:3: duplicate of an earlier line: 'a@x.org'\n"
        assert {m["mode"] for m in json.loads(out(p.cli(
            "--json", "member", "ls", "team@example.org")))} == {"digest"}
        e = fails(p, EX_DATAERR, "member", "import", "team@example.org", "-",
                  input=b"ok@x.org\nbad\x01\xff@x.org\n")
        assert "stdin:2: control character in address: " \
            "'bad\\x01\\xff@x.org'" in e
        fails(p, EX_NOINPUT, "member", "import", "team@example.org",
              "/nonexistent/file", says="/nonexistent/file: No such file")
        fails(p, EX_NOUSER, "member", "import", "none@example.org", "-",
              input=b"a@x.org\n", says="no such list")
        fails(p, EX_USAGE, "member", "import", "team@example.org",
              says="exits 0 when")
        assert show(p, "team@example.org")["members"]["total"] == 3


def test_member_import_100k():
    n = 100000
    with Postino() as p:
        p.cli("list", "create", "big@example.org")
        path = os.path.join(p.dir, "big.txt")
        with open(path, "w") as f:
            for i in range(n):
                f.write("User%06d@Host%d.example.org\n" % (i, i % 97))
        t0 = time.monotonic()
        r = p.cli("member", "import", "big@example.org", path)
        took = time.monotonic() - t0
        assert out(r) == "imported %d, duplicates 0, invalid 0\n" % n
        print("    import of %d addresses: %.2f s" % (n, took))
        assert json.loads(out(p.cli("--json", "list", "ls")))[0][
            "members"] == n
        assert p.sql("SELECT addr FROM members ORDER BY id LIMIT 1") == \
            [["User000000@host0.example.org"]]
        # The same file again: all duplicates, nothing added, exit 0.
        r = p.cli("member", "import", "big@example.org", path)
        assert out(r) == "imported 0, duplicates %d, invalid 0\n" % n
        assert len(err(r).splitlines()) == n


# ---- moderation queue ----------------------------------------------

def hold(p, list_addr, author, subject, reason):
    """Insert a held post as the daemon would (no daemon needed)."""
    def q(s):
        return "'" + s.replace("'", "''") + "'"
    lid = p.rows("SELECT id FROM lists WHERE addr = " + q(list_addr))[0][0]
    mid = p.sql_write("INSERT INTO messages (received, sender, size, body)"
                      " VALUES (1, %s, 1, x'41') RETURNING id" % q(author)
                      )[0][0]
    p.sql_write("INSERT INTO posts (list_id, message_id, msgid, subject,"
                " author, sender, state, reason, max_member, created)"
                " VALUES (%d, %s, '<m@x>', %s, %s, %s, 'held', %s, 0,"
                " 1795000000)" % (lid, mid, q(subject), q(author), q(author),
                                  q(reason)))


def test_mod_ls():
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        assert out(p.cli("mod", "ls", "team@example.org")) == ""
        assert json.loads(out(p.cli("--json", "mod", "ls",
                                    "team@example.org"))) == []
        hold(p, "team@example.org", "eve@x.org", "Buy now", "not a member")
        hold(p, "team@example.org", "zoe@x.org",
             "Caff\u00e8 \"tab\"\there", "moderated list")
        p.sql_write("UPDATE posts SET deadline = 1795600000 WHERE author"
                    " = 'eve@x.org'")
        lines = out(p.cli("mod", "ls", "team@example.org")).splitlines()
        assert len(lines) == 2
        assert lines[0].split("\t")[2:] == ["-", "zoe@x.org",
                                           "Caff\u00e8 \"tab\"?here",
                                           "moderated list"]
        assert lines[1].endswith("\t2026-11-25T09:46:40Z\teve@x.org"
                                 "\tBuy now\tnot a member")
        held = json.loads(out(p.cli("mod", "ls", "team@example.org",
                                    "--json")))
        assert [h["author"] for h in held] == ["zoe@x.org", "eve@x.org"]
        assert held[0]["subject"] == "Caff\u00e8 \"tab\"\there"
        assert held[0]["reason"] == "moderated list"
        assert held[0]["date"] == "2026-11-18T11:06:40Z"
        assert held[0]["deadline"] is None
        assert held[1]["deadline"] == "2026-11-25T09:46:40Z"
        # One post as JSON, its message included.
        one = json.loads(out(p.cli("--json", "mod", "show",
                                   "team@example.org", str(held[1]["id"]))))
        assert (one["id"], one["state"], one["author"], one["message"],
                one["deadline"]) == (held[1]["id"], "held", "eve@x.org",
                                     "A", "2026-11-25T09:46:40Z"), one
        assert show(p, "team@example.org")["held"] == 2
        fails(p, EX_NOUSER, "mod", "ls", "none@example.org")
        fails(p, EX_USAGE, "mod", "frobnicate", "1", says="unknown subcommand")


def test_config_json():
    with Postino() as p:
        text = out(p.cli("config")).splitlines()
        assert text[0] == "# " + p.conf
        want = dict(line.split(" = ", 1) for line in text[1:])
        got = json.loads(out(p.cli("--json", "config")))
        assert got["file"] == p.conf
        assert got["settings"] == want
        assert got["settings"]["lmtp_socket_mode"] == "0660"
        fails(p, EX_USAGE, "--json", "config", "check", says="no --json")


def test_json_invalid_utf8():
    """A subject with bytes that are not UTF-8 still gives valid JSON."""
    sqlite_only("PostgreSQL stores no text that is not UTF-8")
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        db = sqlite3.connect(p.settings["database"])
        db.text_factory = bytes
        with db:
            mid = db.execute("INSERT INTO messages (received, sender, size,"
                             " body) VALUES (1, '', 1, x'41')").lastrowid
            db.execute("INSERT INTO posts (list_id, message_id, subject,"
                       " state, max_member, created) VALUES (1, ?,"
                       " CAST(x'6361ff20e82022' AS TEXT), 'held', 0, 1)",
                       (mid,))
        db.close()
        held = json.loads(out(p.cli("--json", "mod", "ls",
                                    "team@example.org")))
        assert held[0]["subject"] == "ca\u00ff \u00e8 \""


def test_each_command_sets_up_only_what_its_row_declares():
    """The setup column: a command that needs the store, the keys or the
    templates gets them before it runs, and fails with a clear line and
    a sysexits code (never an abort) when one is missing; one that does
    not need them runs without them, and a usage error sets up nothing."""
    EX_TEMPFAIL, EX_CONFIG = 75, 78
    with Postino() as p:
        p.make_list("team@example.org", ["amy@example.org"])
        nowhere = os.path.join(p.dir, "no", "such", "dir")
        # templates: read by commands that render mail, by no other
        tpl = ("-o", "templates=" + nowhere)
        for args in (("digest", "preview", "team@example.org"),
                     ("digest", "send", "team@example.org"),
                     ("mod", "approve", "team@example.org", "1"),
                     ("mod", "reject", "team@example.org", "1",
                      "--reason", "r"),
                     ("archive", "html", "team@example.org", p.dir)):
            e = fails(p, EX_CONFIG, *(tpl + args),
                      says="missing language directory")
            assert "fatal" not in e, e
        assert "amy@example.org" in out(p.cli(*tpl, "member", "ls",
                                                "team@example.org"))
        p.cli(*tpl, "digest", "ls", "team@example.org")
        # keys: loaded by commands that mint or check a token or a MAC
        key = ("-o", "secret_file=" + os.path.join(p.conf, "postino.key"))
        # (log verify: the pseudonyms hashed and the signed checkpoints)
        for args in (("digest", "preview", "team@example.org"),
                     ("mod", "approve", "team@example.org", "1"),
                     ("log", "verify", "team@example.org"),
                     ("log", "checkpoint", "team@example.org")):
            e = fails(p, EX_TEMPFAIL, *(key + args), says="postino.key")
            assert "fatal" not in e, e
        p.cli(*key, "list", "ls")
        p.cli(*key, "log", "show", "team@example.org")
        # the store: opened for every command that reads it, not for config
        db = ("-o", "database=" + os.path.join(p.conf, "postino.db"))
        for args in (("list", "ls"), ("member", "ls", "team@example.org"),
                     ("queue",), ("digest", "ls", "team@example.org")):
            fails(p, EX_TEMPFAIL, *(db + args), says="postino.db")
        r = p.cli(*db, "deliver", "--recipient", "team@example.org",
                  input=b"From: amy@example.org\n\nhi\n", check=False)
        assert r.returncode == EX_TEMPFAIL, err(r)
        p.cli(*db, "config")
        p.cli(*db, "config", "check")
        fails(p, EX_USAGE, *(db + ("member",)))
        fails(p, EX_USAGE, *(db + ("member", "frobnicate")),
              says="unknown subcommand")
        assert not os.path.exists(os.path.join(p.dir, "no"))
