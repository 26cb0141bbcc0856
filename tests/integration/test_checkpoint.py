"""test_checkpoint.py - signed checkpoints of the moderation log.

A hash chain cannot show that its newest entries were cut off: deleting
the tail (sqlite3 on the database while the daemon is stopped) still
passes `postino log verify`.  A checkpoint signed before the cut does
not: `log verify --checkpoint` names the missing entries.  Forged
checkpoints are refused.  contrib/verify-modlog.py checks a real
LIST+log@ reply, received at Postfix's smtp-sink, with only Python and
the openssl command, and fails on a tampered copy.
"""
import contextlib
import email
import email.policy
import os
import re
import subprocess
import sys

from harness import Postino, SmtpSink, lmtp_send, message, wait_for
from test_moderation import LIST, MODS, setup
from test_modlog import chain_hash
EX_USAGE, EX_DATAERR = 64, 65
VERIFIER = os.path.join(os.path.dirname(__file__), "..", "..", "contrib",
                        "verify-modlog.py")
CP_RE = re.compile(r"postino-checkpoint v1 \S+ \d+ [0-9a-f]{64} \S+ \S+")


def out(r):
    return r.stdout.decode()


def to(sink, addr, text):
    found = []
    for raw in sink.messages():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if addr not in str(m["To"]):
            continue
        body = m.get_body(preferencelist=("plain",)).get_content()
        if text in body or text in str(m["Subject"]):
            found.append((raw, body))
    return found


def wait_to(sink, addr, text):
    return wait_for(lambda: to(sink, addr, text), 30,
                    "a mail to %s with %r" % (addr, text))


def hold(p, sink, subject):
    lmtp_send(p.lmtp_port, "out@example.net", [LIST],
              message(sender="out@example.net", subject=subject))
    return wait_to(sink, MODS[0], subject)[0][1]


def approve(p, sink, body):
    ok = re.search(r"team\+approve-[a-z2-7]{26}@example\.org", body).group(0)
    lmtp_send(p.lmtp_port, MODS[0], [ok],
              message(sender=MODS[0], subject="Re: ok"))


def checkpoint(p):
    line = out(p.cli("log", "checkpoint", LIST)).strip()
    assert CP_RE.fullmatch(line), line
    return line


def verify_cp(p, cp, code):
    r = p.cli("log", "verify", LIST, "--checkpoint", cp, check=False)
    assert r.returncode == code, (r.returncode, out(r), r.stderr.decode())
    return out(r).strip() + r.stderr.decode().strip()


@contextlib.contextmanager
def five_entries():
    """A running list with two held posts, one approved, one rule added
    and removed: entries 1..5."""
    with SmtpSink() as sink, \
            Postino(relay="smtp://127.0.0.1:%d" % sink.port) as p:
        setup(p)
        p.start()
        approve(p, sink, hold(p, sink, "first post"))
        wait_for(lambda: p.sql("SELECT count(*) FROM modlog") == [["2"]],
                 what="2 entries")
        hold(p, sink, "second post")
        wait_for(lambda: p.sql("SELECT count(*) FROM modlog") == [["3"]],
                 what="3 entries")
        p.cli("rules", LIST, "add", "big", "reject", "size", "1M")
        p.cli("rules", LIST, "rm", "big")
        assert p.sql("SELECT count(*) FROM modlog") == [["5"]]
        yield p, sink


def test_cut_tail_passes_plain_verify_but_not_the_checkpoint():
    with five_entries() as (p, sink):
        cp = checkpoint(p)
        assert cp.split()[3] == "5"
        # The checkpoint is the same while the log does not move, and
        # every digest carries it (the approved post waits for one).
        assert checkpoint(p) == cp
        for fmt in ([], ["--plain"]):
            digest = out(p.cli("digest", "preview", LIST, *fmt))
            assert cp in email.message_from_string(
                digest, policy=email.policy.default).get_body(
                    preferencelist=("plain",)).get_content(), fmt
        assert verify_cp(p, cp, 0).startswith(
            "%s: the log extends the checkpoint of" % LIST)
        p.stop()
        p.sql_write("DELETE FROM modlog WHERE seq >= 3")
        # The old weakness, still true: the chain alone looks fine.
        r = p.cli("log", "verify", LIST)
        assert out(r).startswith("%s: 2 entries, chain intact" % LIST)
        # The checkpoint names what is gone.
        time = cp.split()[5]
        assert verify_cp(p, cp, EX_DATAERR) == (
            "%s: does not extend the checkpoint: entries 3..5 are missing:"
            " the log ends at 2, the checkpoint of %s covers 5"
            % (LIST, time))
        # The checkpoint file form too; and postino never signs the
        # shorter log over the longer one it published.
        path = os.path.join(p.dir, "cp.txt")
        with open(path, "w") as f:
            f.write(cp + "\n")
        assert "entries 3..5 are missing" in verify_cp(p, path, EX_DATAERR)
        assert checkpoint(p) == cp


def test_rewritten_entry_and_forged_checkpoints_refused():
    with five_entries() as (p, sink):
        cp = checkpoint(p)
        f = cp.split(" ")
        sig = f[6]
        flipped = ("B" if sig[10] != "B" else "C")
        forged = [
            " ".join(f[:6] + [sig[:10] + flipped + sig[11:]]),
            " ".join(f[:3] + ["9"] + f[4:]),
            " ".join(f[:4] + ["ab" * 32] + f[5:]),
            " ".join(f[:5] + ["2030-01-01T00:00:00Z"] + f[6:]),
        ]
        for line in forged:
            assert "the signature does not verify" in verify_cp(
                p, line, EX_DATAERR), line
        # Another list's checkpoint, signed with its own key.
        p.cli("list", "create", "other@example.org")
        other = out(p.cli("log", "checkpoint", "other@example.org")).strip()
        assert "is of other@example.org" in verify_cp(p, other, EX_DATAERR)
        # Text that is not a checkpoint: 64.
        for bad in ("postino-checkpoint v2 " + " ".join(f[2:]),
                    cp.replace(" ", "  ", 1), cp + " extra",
                    " ".join(f[:4] + [f[4].upper()] + f[5:]),
                    " ".join(f[:6] + [sig[:-2]])):
            assert "bad checkpoint" in verify_cp(p, bad, EX_USAGE), bad
        r = p.cli("log", "verify", LIST, "--checkpoint", check=False)
        assert r.returncode == EX_USAGE
        # The newest entry rewritten with its hash recomputed: the chain
        # is intact, the hash the checkpoint names is not there.
        p.stop()
        row = p.sql("SELECT list_id, seq, time, action, post_id, msgid,"
                    " subject, rule, reason, moderator, hex(prev), form"
                    " FROM modlog WHERE seq = 5")[0]
        assert row[11] == "1"
        row[8] = "nothing to see"
        new = chain_hash(bytes.fromhex(row[10]), row[:10])
        p.sql_write("UPDATE modlog SET reason = 'nothing to see', hash ="
                    " x'%s' WHERE seq = 5" % new.hex())
        assert out(p.cli("log", "verify", LIST)).startswith(
            "%s: 5 entries, chain intact" % LIST)
        assert ("entry 5 has hash %s, the checkpoint of %s says %s: history"
                " was rewritten" % (new.hex(), f[5], f[4])) in verify_cp(
                    p, cp, EX_DATAERR)
        # postino does not sign the rewritten log: the last honest
        # checkpoint stays the latest.
        r = p.cli("log", "checkpoint", LIST)
        assert out(r).strip() == cp
        assert "entry 5 differs from its signed checkpoint" in (
            r.stderr.decode())
        # A broken entry inside the checkpoint is named as such.
        p.sql_write("UPDATE modlog SET hash = zeroblob(32) WHERE seq = 4")
        assert ("entry 4 is broken: its hash does not match its contents"
                in verify_cp(p, cp, EX_DATAERR))


def run_verifier(*args):
    return subprocess.run([sys.executable, VERIFIER] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_contrib_verifier_on_a_real_log_reply():
    with five_entries() as (p, sink):
        old_cp = checkpoint(p)
        # A subject with non-ASCII text, and a sixth entry.
        hold(p, sink, "Caffè e dolci")
        wait_for(lambda: p.sql("SELECT count(*) FROM modlog") == [["6"]],
                 what="6 entries")
        lmtp_send(p.lmtp_port, "ann@example.org", ["team+log@example.org"],
                  message(sender="ann@example.org"))
        raw, body = wait_to(sink, "ann@example.org", "postino-log-entry")[0]
        # Each entry shows its hash; the mail carries the checkpoint.
        assert len(re.findall(r"^    hash: [0-9a-f]{64}$", body, re.M)) == 6
        cp = CP_RE.search(body).group(0)
        assert cp.split()[3] == "6"
        assert verify_cp(p, cp, 0).startswith(LIST + ": the log extends")
        # Notices carry the checkpoint too.
        held = wait_to(sink, MODS[0], "Caffè e dolci")[0][1]
        assert CP_RE.search(held)
        keyfile = os.path.join(p.dir, "team.pem")
        with open(keyfile, "wb") as f:
            f.write(p.cli("log", "key", LIST).stdout)
        saved = os.path.join(p.dir, "log.eml")
        with open(saved, "wb") as f:
            f.write(raw)
        r = run_verifier("--key", keyfile, "--checkpoint", old_cp, saved)
        assert r.returncode == 0, (out(r), r.stderr.decode())
        assert out(r).strip().endswith("ok: entries 1..6, 2 checkpoint(s)")
        # The raw hex key works as well.
        hexkey = re.search(r"raw hex: ([0-9a-f]{64})",
                           out(p.cli("log", "key", LIST))).group(1)
        assert run_verifier("--key", hexkey, saved).returncode == 0
        # A tampered copy (the text as read): a subject changed.
        text = body
        assert "first post" in text
        bad = os.path.join(p.dir, "bad.txt")
        with open(bad, "w") as f:
            f.write(text.replace("first post", "first p0st"))
        with open(bad.replace("bad", "ok"), "w") as f:
            f.write(text)
        r = run_verifier("--key", keyfile, bad.replace("bad", "ok"))
        assert r.returncode == 0, (out(r), r.stderr.decode())
        r = run_verifier("--key", keyfile, bad)
        assert r.returncode == 1, out(r)
        assert "FAIL entry" in out(r)
        # A tampered checkpoint line.
        with open(bad, "w") as f:
            f.write(text.replace(cp, cp.replace(" 6 ", " 7 ", 1)))
        r = run_verifier("--key", keyfile, bad)
        assert r.returncode == 1 and "signature does not verify" in out(r)
        # A later log cut to 3 entries fails against the kept checkpoint.
        entries = [ln for ln in body.splitlines()
                   if ln.startswith("postino-log-entry ")]
        cut = os.path.join(p.dir, "cut.txt")
        with open(cut, "w") as f:
            f.write("\n".join(entries[3:]) + "\n")
        r = run_verifier("--key", keyfile, "--checkpoint", cp, cut)
        assert r.returncode == 1
        assert "FAIL entries 4..6 are missing" in out(r), out(r)
