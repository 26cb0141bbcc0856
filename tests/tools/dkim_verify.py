#!/usr/bin/python3
"""dkim_verify.py - verify the first DKIM-Signature of a message with
Debian's python3-dkim (dkimpy), the public key given instead of DNS.

    /usr/bin/python3 dkim_verify.py SELECTOR._domainkey.DOMAIN 'v=DKIM1; ...' < msg

Prints one JSON object: {"ok": bool, "d": ..., "s": ..., "h": [...]}
(h: the signed header names, lower case, as they appear in h=).
Run by the Debian interpreter, the one python3-dkim is installed for.
"""
import json
import re
import sys

import dkim


def main():
    name, record = sys.argv[1], sys.argv[2].encode()
    msg = sys.stdin.buffer.read()

    def dnsfunc(qname, timeout=5):
        q = qname.decode() if isinstance(qname, bytes) else qname
        return record if q.rstrip(".") == name else None

    ok = dkim.verify(msg, dnsfunc=dnsfunc)
    headers = dkim.rfc822_parse(msg)[0]
    tags = {}
    for k, v in headers:
        if k.lower() == b"dkim-signature":
            tags = dkim.util.parse_tag_value(v)
            break
    h = re.sub(r"\s", "", tags.get(b"h", b"").decode()).lower().split(":")
    print(json.dumps({"ok": bool(ok), "d": tags.get(b"d", b"").decode(),
                      "s": tags.get(b"s", b"").decode(),
                      "h": [x for x in h if x]}))


if __name__ == "__main__":
    main()
