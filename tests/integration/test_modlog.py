"""test_modlog.py - `postino log show|verify LIST` with the real binary.

No flow writes the moderation log yet, so the tests write rows with
sqlite3: a chain computed here, independently of the C code, from the
format modlog.h documents (BLAKE2b-256 over the previous hash and ten
length-prefixed text fields), which verify must accept and show; then
rows changed, deleted or forged behind postino's back, which verify must
name exactly.
"""
import hashlib
import json
import struct

from harness import Postino

EX_USAGE, EX_DATAERR, EX_NOUSER = 64, 65, 67
LIST = "team@example.org"
ZERO = "0" * 64


def out(r):
    return r.stdout.decode()


def err(r):
    return r.stderr.decode()


def chain_hash(prev, fields):
    h = hashlib.blake2b(digest_size=32)
    h.update(prev)
    for f in fields:
        b = str(f).encode()
        h.update(struct.pack(">Q", len(b)))
        h.update(b)
    return h.digest()


def list_id(p):
    return int(p.sql("SELECT id FROM lists WHERE addr = '%s'" % LIST)[0][0])


def q(s):
    return "'" + s.replace("'", "''") + "'"


def write_chain(p, rows):
    """Append rows (time, action, post_id, msgid, subject, rule, reason,
    moderator) to LIST's log with correct hashes; returns the hashes."""
    lid, prev, hashes, stmts = list_id(p), bytes(32), [], []
    for seq, r in enumerate(rows, 1):
        h = chain_hash(prev, [lid, seq] + list(r))
        stmts.append("INSERT INTO modlog (list_id, seq, time, action,"
                     " post_id, msgid, subject, rule, reason, moderator,"
                     " prev, hash) VALUES (%d, %d, %d, %s, %d, %s, %s, %s,"
                     " %s, %s, x'%s', x'%s');" % (
                         lid, seq, r[0], q(r[1]), r[2], q(r[3]), q(r[4]),
                         q(r[5]), q(r[6]), q(r[7]), prev.hex(), h.hex()))
        prev = h
        hashes.append(h.hex())
    p.sql_write("BEGIN;" + "".join(stmts) + "COMMIT;")
    return hashes


ROWS = [
    (1767225600, "held", 7, "<a@x>", "Buy now", "links", "3 links", ""),
    (1767229200, "rejected", 7, "<a@x>", "Buy now", "links",
     "advertising", "Mod@Example.org"),
    (1767232800, "held", 8, "<b@x>", "Caffè e dolci", "", "new member", ""),
    (1767236400, "approved", 8, "<b@x>", "Caffè e dolci", "", "",
     "mod@example.org"),
    (1767240000, "rule_changed", 0, "", "", "links", "max 2 links",
     "boss@example.org"),
]


def verify(p, code):
    r = p.cli("log", "verify", LIST, check=False)
    assert r.returncode == code, (r.returncode, out(r), err(r))
    return out(r).strip()


def test_empty_log():
    with Postino() as p:
        p.make_list(LIST)
        assert verify(p, 0) == (
            "%s: 0 entries, chain intact, head %s" % (LIST, ZERO))
        assert out(p.cli("log", "show", LIST)).strip() == (
            "%s: no entries" % LIST)
        assert json.loads(out(p.cli("log", "show", LIST, "--json"))) == []


def test_chain_intact_and_shown():
    with Postino() as p:
        p.make_list(LIST)
        hashes = write_chain(p, ROWS)
        assert verify(p, 0) == (
            "%s: 5 entries, chain intact, head %s" % (LIST, hashes[-1]))
        got = json.loads(out(p.cli("--json", "log", "show", LIST)))
        assert [e["seq"] for e in got] == [5, 4, 3, 2, 1]
        assert got[3] == {
            "seq": 2, "time": "2026-01-01T01:00:00Z", "action": "rejected",
            "post_id": 7, "subject": "Buy now", "msgid": "<a@x>",
            "rule": "links", "reason": "advertising",
            "moderator": "Mod@Example.org", "hash": hashes[1]}
        assert got[4]["moderator"] == "postino"
        assert got[2]["subject"] == "Caffè e dolci"
        got = json.loads(out(p.cli("log", "show", LIST, "--limit", "2",
                                   "--json")))
        assert [e["seq"] for e in got] == [5, 4]
        text = out(p.cli("log", "show", LIST, "--limit", "1"))
        assert text.startswith("5  2026-01-01T04:00:00Z  rule_changed  by"
                               " boss@example.org\n")
        assert "  hash: %s\n" % hashes[4] in text


TAMPER = [
    # (label, SQL with {id}, the entry verify names, what it says)
    ("reason changed",
     "UPDATE modlog SET reason = 'spam' WHERE list_id = {id} AND seq = 2",
     2, "its hash does not match its contents"),
    ("middle row deleted",
     "DELETE FROM modlog WHERE list_id = {id} AND seq = 3",
     3, "missing"),
    ("hashes swapped",
     "UPDATE modlog SET hash = CASE seq WHEN 1 THEN"
     " (SELECT hash FROM modlog WHERE list_id = {id} AND seq = 4) ELSE"
     " (SELECT hash FROM modlog WHERE list_id = {id} AND seq = 1) END"
     " WHERE list_id = {id} AND seq IN (1, 4)",
     1, "its hash does not match its contents"),
    ("seq changed",
     "UPDATE modlog SET seq = 9 WHERE list_id = {id} AND seq = 4",
     4, "missing"),
    ("forged row appended",
     "INSERT INTO modlog (list_id, seq, time, action, prev, hash) VALUES"
     " ({id}, 6, 1767243600, 'approved', zeroblob(32), zeroblob(32))",
     6, "its link to the entry before does not match"),
]


def test_tampering_detected():
    with Postino() as p:
        p.make_list(LIST)
        write_chain(p, ROWS)
        lid = list_id(p)
        for label, sql, seq, what in TAMPER:
            p.sql_write(sql.format(id=lid))
            line = verify(p, EX_DATAERR)
            assert line.startswith("%s: entry %d is broken: %s" % (
                LIST, seq, what)), (label, line)
            # Put the log back as it was for the next case.
            p.sql_write("DELETE FROM modlog;")
            write_chain(p, ROWS)
            assert verify(p, 0).startswith("%s: 5 entries" % LIST), label


def test_forged_single_row():
    with Postino() as p:
        p.make_list(LIST)
        p.sql_write("INSERT INTO modlog (list_id, seq, time, action, prev,"
                    " hash) VALUES (%d, 1, 1767225600, 'approved',"
                    " zeroblob(32), zeroblob(32))" % list_id(p))
        assert verify(p, EX_DATAERR) == (
            "%s: entry 1 is broken: its hash does not match its contents"
            % LIST)


def test_errors():
    with Postino() as p:
        p.make_list(LIST)
        for args in (["log", "verify", "nobody@example.org"],
                     ["log", "show", "nobody@example.org"]):
            r = p.cli(*args, check=False)
            assert r.returncode == EX_NOUSER, err(r)
            assert "postino: log %s: no such list 'nobody@example.org'" % (
                args[1]) in err(r)
        for args in (["log"], ["log", "frob", LIST], ["log", "show"],
                     ["log", "verify"], ["log", "show", LIST, "--limit"],
                     ["log", "show", LIST, "--limit", "-1"],
                     ["log", "show", LIST, "--limit", "x"],
                     ["log", "verify", LIST, "extra"]):
            r = p.cli(*args, check=False)
            assert r.returncode == EX_USAGE, (args, err(r))
            assert "usage: postino log" in err(r), (args, err(r))
        r = p.cli("log", "verify", "bad address", check=False)
        assert r.returncode == EX_DATAERR, err(r)
