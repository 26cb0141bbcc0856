#!/usr/bin/env python3
"""verify-modlog.py - check a postino moderation log as a member received it.

Needs only Python's standard library and the `openssl` command (1.1.1 or
later, for Ed25519), besides the list's public key, which the owner
prints with `postino log key LIST` (the PEM block, or the hex after
"raw hex:"; both forms are accepted here).

    verify-modlog.py --key team.pem LOGMAIL.eml [MORE.eml ...]
    verify-modlog.py --key team.pem --checkpoint OLD-CHECKPOINT LOGMAIL.eml

LOGMAIL is a saved LIST+log@ reply (or any text holding its lines).  The
script

  * recomputes the hash of every `postino-log-entry` line:
    hash_n = BLAKE2b-256(hash_{n-1} || fields), each field as an 8-byte
    big-endian length then its UTF-8 bytes, in the order list_id, seq,
    time, action, post_id, msgid, subject, rule, reason, moderator;
  * checks that each entry's "prev" is the hash of the entry before;
  * checks the Ed25519 signature of every `postino-checkpoint` line (in
    the mails, or given with --checkpoint as a line or a file) with
    `openssl pkeyutl -verify -pubin -rawin`, and that the entry the
    checkpoint counts up to has the hash it names;
  * fails when a checkpoint covers more entries than the newest log
    received holds (entries were deleted), or names another hash for an
    entry (history was rewritten).

Exit status: 0 all checks passed, 1 a check failed, 2 bad usage or input.
"""
import argparse
import base64
import email
import email.policy
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

ENTRY = "postino-log-entry "
MAGIC = "postino-checkpoint"
CP_RE = re.compile(r"postino-checkpoint v1 (\S+) (0|[1-9][0-9]{0,17}) "
                   r"([0-9a-f]{64}) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) "
                   r"([A-Za-z0-9+/]{86}==)$")
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
SPKI = bytes.fromhex("302a300506032b6570032100")
FIELDS = ("list_id", "seq", "time", "action", "post_id", "msgid", "subject",
          "rule", "reason", "moderator")


class Bad(Exception):
    """Input that cannot be read (exit 2)."""


def key_pem(arg):
    """The public key as PEM text, from a PEM file, a hex file or hex."""
    text = arg
    if os.path.exists(arg):
        with open(arg, encoding="ascii", errors="replace") as f:
            text = f.read()
    if "-----BEGIN PUBLIC KEY-----" in text:
        return text[text.index("-----BEGIN"):]
    m = re.search(r"\b([0-9a-fA-F]{64})\b", text)
    if m is None:
        raise Bad("--key: neither a PEM public key nor 64 hex digits")
    der = SPKI + bytes.fromhex(m.group(1))
    return ("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n"
            % base64.b64encode(der).decode())


def text_of(path):
    """The text of a saved mail (its text/plain parts), or of a file."""
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not msg.keys():
        return raw.decode("utf-8", "replace")
    out = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            break           # an attached post is not the log
        if part.get_content_type() == "text/plain":
            out.append(part.get_content())
    return "\n".join(out)


def field_bytes(v):
    if isinstance(v, dict) and "hex" in v:
        return bytes.fromhex(v["hex"])
    if isinstance(v, int):
        return str(v).encode()
    return v.encode("utf-8")


def entry_hash(e):
    h = hashlib.blake2b(digest_size=32)
    h.update(bytes.fromhex(e["prev"]))
    for name in FIELDS:
        b = field_bytes(e[name])
        h.update(struct.pack(">Q", len(b)))
        h.update(b)
    return h.hexdigest()


def parse_checkpoint(line):
    m = CP_RE.match(line.strip())
    if m is None:
        raise Bad("not a postino-checkpoint v1 line: %r" % line[:80])
    return {"line": line.strip(), "list": m.group(1),
            "count": int(m.group(2)), "head": m.group(3),
            "time": m.group(4), "sig": base64.b64decode(m.group(5))}


def signature_ok(cp, pem):
    signed = cp["line"].rsplit(" ", 1)[0].encode()
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, data in (("key.pem", pem.encode()), ("msg", signed),
                           ("sig", cp["sig"])):
            paths[name] = os.path.join(d, name)
            with open(paths[name], "wb") as f:
                f.write(data)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin",
                            "-inkey", paths["key.pem"], "-rawin",
                            "-in", paths["msg"], "-sigfile", paths["sig"]],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode == 0


def read_inputs(files, extra):
    entries, cps = {}, []
    for path in files:
        for line in text_of(path).splitlines():
            line = line.strip()
            if line.startswith(ENTRY):
                try:
                    e = json.loads(line[len(ENTRY):])
                except ValueError as exc:
                    raise Bad("%s: bad entry line: %s" % (path, exc))
                entries.setdefault(e["seq"], e)
            elif line.startswith(MAGIC + " "):
                cps.append(parse_checkpoint(line))
    for arg in extra:
        if not arg.startswith(MAGIC + " ") and os.path.exists(arg):
            with open(arg, encoding="utf-8") as f:
                arg = f.read()
        cps.append(parse_checkpoint(arg))
    return entries, cps


def check_entries(entries, say):
    ok = True
    for seq in sorted(entries):
        e = entries[seq]
        if e["moderator"] is None:
            say("entry %d: its moderator is hidden (an entry older than"
                " member-verifiable ones): hash taken as given" % seq)
        elif entry_hash(e) != e["hash"]:
            say("FAIL entry %d: its hash does not match its contents" % seq)
            ok = False
        before = entries.get(seq - 1)
        if before is not None and before["hash"] != e["prev"]:
            say("FAIL entry %d: its link to entry %d does not match"
                % (seq, seq - 1))
            ok = False
    return ok


def check_checkpoints(entries, cps, pem, say):
    ok = True
    newest = max(entries) if entries else None
    lists = {cp["list"] for cp in cps}
    if len(lists) > 1:
        say("FAIL checkpoints of different lists: %s" % ", ".join(lists))
        return False
    longest = max((cp["count"] for cp in cps if signature_ok(cp, pem)),
                  default=None)
    for cp in cps:
        what = "checkpoint of %s (%d entries)" % (cp["time"], cp["count"])
        if not signature_ok(cp, pem):
            say("FAIL %s: the signature does not verify with this key"
                % what)
            ok = False
            continue
        e = entries.get(cp["count"])
        if cp["count"] == 0 and cp["head"] != "0" * 64:
            say("FAIL %s: an empty log has an all-zero head" % what)
            ok = False
        elif e is not None and e["hash"] != cp["head"]:
            say("FAIL %s: entry %d has hash %s, the checkpoint says %s:"
                " history was rewritten" % (what, cp["count"], e["hash"],
                                            cp["head"]))
            ok = False
        elif e is not None or cp["count"] == 0:
            say("ok %s: signature good, entry %d matches"
                % (what, cp["count"]))
        else:
            say("ok %s: signature good (entry %d is not in these mails)"
                % (what, cp["count"]))
    if newest is not None and longest is not None and longest > newest:
        say("FAIL entries %d..%d are missing: the log received ends at %d,"
            " a signed checkpoint covers %d" % (newest + 1, longest, newest,
                                                longest))
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description="Check a postino moderation"
                                 " log mail and signed checkpoints.")
    ap.add_argument("--key", required=True,
                    help="the list's public key: PEM file, hex, or a file"
                    " holding `postino log key` output")
    ap.add_argument("--checkpoint", action="append", default=[],
                    help="a checkpoint line kept from earlier, or a file")
    ap.add_argument("mail", nargs="+", help="saved LIST+log@ replies")
    args = ap.parse_args()
    try:
        pem = key_pem(args.key)
        entries, cps = read_inputs(args.mail, args.checkpoint)
    except (Bad, OSError, KeyError) as exc:
        print("verify-modlog: %s" % exc, file=sys.stderr)
        return 2
    if not entries and not cps:
        print("verify-modlog: no postino-log-entry or postino-checkpoint"
              " line found", file=sys.stderr)
        return 2
    ok = check_entries(entries, print)
    ok = check_checkpoints(entries, cps, pem, print) and ok
    if entries:
        print("%s: entries %d..%d, %d checkpoint(s)" % (
            "ok" if ok else "FAILED", min(entries), max(entries), len(cps)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
