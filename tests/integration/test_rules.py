"""test_rules.py - `postino rules LIST ls|add|rm|mv` with the real binary.

Each test runs the CLI on its own temporary database and checks what an
owner or a script sees: the order of the rules in `ls` and `ls --json`,
the positions staying 1..n through add/mv/rm, the rows on disk, and every
error with its exact text on stderr and its sysexits code.
"""
import json

from harness import Postino

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_CANTCREAT = 64, 65, 67, 73
LIST = "team@example.org"


def out(r):
    return r.stdout.decode()


def fails(p, code, *args, says=None):
    """Run a command that must fail with code; returns its stderr."""
    r = p.cli(*args, check=False)
    e = r.stderr.decode()
    assert r.returncode == code, "%s: exit %d, want %d: %s" % (
        " ".join(args), r.returncode, code, e)
    if says is not None:
        assert says in e, "%s: stderr %r lacks %r" % (" ".join(args), e, says)
    assert out(r) == "", "%s: stdout %r on failure" % (" ".join(args), out(r))
    return e


def rules(p):
    return json.loads(out(p.cli("rules", LIST, "ls", "--json")))


def names(p):
    rs = rules(p)
    assert [r["position"] for r in rs] == list(range(1, len(rs) + 1))
    return [r["name"] for r in rs]


def test_rules_add_ls():
    with Postino() as p:
        p.make_list(LIST)
        assert rules(p) == []
        assert "no rules" in out(p.cli("rules", LIST, "ls"))
        r = p.cli("rules", LIST, "add", "no-pdf", "hold", "mime",
                  "application/pdf", "--text", "Attachments wait for a"
                  " moderator, \u00e8 cos\u00ec.")
        assert out(r) == "added rule no-pdf to %s\n" % LIST
        p.cli("rules", LIST, "add", "spam", "discard", "sender",
              "nonmember", "--position", "1")
        p.cli("rules", "Team@Example.ORG", "add", "emergency", "hold", "all",
              "--text", "Everything is held today.", "--position", "2")
        p.cli("rules", LIST, "add", "ads", "reject", "header",
              "Subject:*[ad]*")
        p.cli("rules", LIST, "add", "links", "hold", "links", "3")
        rs = rules(p)
        assert rs[0] == {"position": 1, "name": "spam", "action": "discard",
                         "cond": "sender", "arg": "nonmember", "text": ""}
        assert rs[1] == {"position": 2, "name": "emergency",
                         "action": "hold", "cond": "all", "arg": "",
                         "text": "Everything is held today."}
        assert rs[2]["text"] == ("Attachments wait for a moderator,"
                                 " \u00e8 cos\u00ec.")
        assert names(p) == ["spam", "emergency", "no-pdf", "ads", "links"]
        text = out(p.cli("rules", LIST, "ls"))
        assert text.splitlines()[:3] == [
            "1 spam discard sender nonmember",
            "2 emergency hold all",
            "    Everything is held today."]
        assert "4 ads reject header Subject:*[ad]*\n" in text
        # What is on disk: one row per rule, positions dense.
        assert [r[0] for r in p.sql("SELECT position FROM rules ORDER BY"
                                    " position")] == ["1", "2", "3", "4",
                                                      "5"]


def test_rules_mv_rm():
    with Postino() as p:
        p.make_list(LIST)
        for n in ("a", "b", "c", "d"):
            p.cli("rules", LIST, "add", n, "hold", "all")
        r = p.cli("rules", LIST, "mv", "d", "1")
        assert out(r) == "moved rule d of %s to position 1\n" % LIST
        assert names(p) == ["d", "a", "b", "c"]
        p.cli("rules", LIST, "mv", "a", "3")
        assert names(p) == ["d", "b", "a", "c"]
        r = p.cli("rules", LIST, "mv", "d", "99")
        assert out(r).endswith("to position 4\n")
        assert names(p) == ["b", "a", "c", "d"]
        r = p.cli("rules", LIST, "rm", "a")
        assert out(r) == "removed rule a from %s\n" % LIST
        assert names(p) == ["b", "c", "d"]
        p.cli("rules", LIST, "add", "e", "hold", "all", "--position", "2")
        assert names(p) == ["b", "e", "c", "d"]
        # Another list has its own rules and its own names.
        p.make_list("other@example.org")
        p.cli("rules", "other@example.org", "add", "b", "hold", "all")
        assert names(p) == ["b", "e", "c", "d"]


ERRORS = [
    # (args after "rules", exit code, stderr contains)
    (["nope@example.org", "ls"], EX_NOUSER,
     "postino: rules ls: no such list 'nope@example.org'"),
    (["nope@example.org", "add", "x", "hold", "all"], EX_NOUSER,
     "postino: rules add: no such list 'nope@example.org'"),
    (["nope@example.org", "rm", "x"], EX_NOUSER,
     "postino: rules rm: no such list"),
    (["nope@example.org", "mv", "x", "1"], EX_NOUSER,
     "postino: rules mv: no such list"),
    (["not an address", "ls"], EX_DATAERR, "postino: rules ls: list 'not an"),
    ([LIST, "rm", "ghost"], EX_NOUSER,
     "postino: rules rm: %s has no rule named 'ghost'" % LIST),
    ([LIST, "mv", "ghost", "1"], EX_NOUSER,
     "postino: rules mv: %s has no rule named 'ghost'" % LIST),
    ([LIST, "add", "first", "hold", "all"], EX_CANTCREAT,
     "postino: rules add: %s has a rule named 'first' already" % LIST),
    ([LIST, "add", "x", "discard", "sender", "member"], EX_DATAERR,
     "postino: rules add: discard may only drop non-members' posts"
     " (sender nonmember)\n"),
    ([LIST, "add", "x", "discard", "all"], EX_DATAERR,
     "postino: rules add: discard may only drop non-members' posts"),
    ([LIST, "add", "x", "discard", "size", "1M"], EX_DATAERR,
     "discard may only drop non-members' posts"),
    ([LIST, "add", "x", "drop", "all"], EX_DATAERR,
     "postino: rules add: action 'drop': unknown action (accept, hold,"
     " reject, discard)"),
    ([LIST, "add", "x", "hold", "from", "x"], EX_DATAERR,
     "postino: rules add: condition 'from x': unknown condition"),
    ([LIST, "add", "x", "hold", "sender", "owners"], EX_DATAERR,
     "condition 'sender owners': sender must be nonmember, member,"
     " moderated, owner, moderator, new:N or an address glob"),
    ([LIST, "add", "x", "hold", "sender", "new:1001"], EX_DATAERR,
     "new:N needs a number of posts N from 1 to 1000"),
    ([LIST, "add", "x", "hold", "sender"], EX_DATAERR,
     "condition 'sender': sender needs"),
    ([LIST, "add", "x", "hold", "size", "10G"], EX_DATAERR,
     "size must be a number of bytes"),
    ([LIST, "add", "x", "hold", "mime", "*/*"], EX_DATAERR,
     "mime must be TYPE/SUBTYPE"),
    ([LIST, "add", "x", "hold", "header", "X Spam:yes"], EX_DATAERR,
     "header NAME must be"),
    ([LIST, "add", "x", "hold", "header", "X-Spam"], EX_DATAERR,
     "header must be NAME:PATTERN"),
    ([LIST, "add", "x", "hold", "links", "lots"], EX_DATAERR,
     "links must be a number"),
    ([LIST, "add", "x", "hold", "all", "now"], EX_DATAERR,
     "all takes no argument"),
    ([LIST, "add", "bad name", "hold", "all"], EX_DATAERR,
     "postino: rules add: rule name 'bad name': 1 to 64 letters"),
    ([LIST, "add", "x" * 65, "hold", "all"], EX_DATAERR, "rule name"),
    ([LIST, "add", "x", "hold", "all", "--text", "two\nlines"], EX_DATAERR,
     "postino: rules add: text must be one line without control"),
    ([LIST, "add", "x", "hold", "all", "--text", "y" * 501], EX_DATAERR,
     "text is longer than 500 characters"),
    ([LIST, "add", "x", "hold", "all", "--position", "0"], EX_DATAERR,
     "postino: rules add: position '0': a number from 1"),
    ([LIST, "mv", "first", "x"], EX_DATAERR,
     "postino: rules mv: position 'x'"),
    ([LIST, "add", "x", "hold"], EX_USAGE, "usage: postino rules LIST add"),
    ([LIST, "add", "x", "hold", "all", "--bogus"], EX_USAGE, "usage:"),
    ([LIST, "rm"], EX_USAGE, "usage: postino rules LIST rm NAME"),
    ([LIST, "mv", "first"], EX_USAGE, "usage: postino rules LIST mv"),
    ([LIST, "frob"], EX_USAGE, "postino: rules: unknown subcommand 'frob'"),
    ([LIST], EX_USAGE, "usage: postino rules LIST ls"),
]


def test_rules_errors():
    with Postino() as p:
        p.make_list(LIST)
        p.cli("rules", LIST, "add", "first", "hold", "all", "--text", "t")
        for args, code, says in ERRORS:
            fails(p, code, "rules", *args, says=says)
        # Nothing changed on the way.
        assert rules(p) == [{"position": 1, "name": "first",
                             "action": "hold", "cond": "all", "arg": "",
                             "text": "t"}]
        # 500 characters (not bytes) is still fine.
        p.cli("rules", LIST, "add", "long", "hold", "all", "--text",
              "\u00e8" * 500)
        assert rules(p)[1]["text"] == "\u00e8" * 500


def test_rule_changes_are_in_the_moderation_log():
    with Postino() as p:
        p.cli("list", "create", "team@example.org")
        p.cli("rules", "team@example.org", "add", "no-pdf", "hold", "mime",
              "application/pdf", "--text", "PDFs wait for a moderator")
        p.cli("rules", "team@example.org", "add", "big", "reject", "size",
              "5M")
        p.cli("rules", "team@example.org", "mv", "big", "1")
        p.cli("rules", "team@example.org", "rm", "no-pdf")
        out = p.cli("log", "show", "team@example.org", "--json").stdout
        entries = json.loads(out)
        assert [e["action"] for e in entries] == ["rule_changed"] * 4
        assert [e["rule"] for e in entries] == ["no-pdf", "big", "big",
                                                "no-pdf"]
        r = p.cli("log", "verify", "team@example.org")
        assert b"4 entries, chain intact" in r.stdout
