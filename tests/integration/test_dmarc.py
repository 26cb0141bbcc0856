"""test_dmarc.py - DMARC mitigation against a real DNS server on loopback.

Each test starts dnsmasq (Debian's dnsmasq-base) on a free loopback port
with the _dmarc TXT records it needs, points postino's `resolver` at it,
posts over LMTP and reads the copy a member receives from the maildir
transport: who it is From, where replies go, that the author stays
visible, and for wrap the original as a message/rfc822 part.  dnsmasq
answers NXDOMAIN for unknown names under .test (--local) and REFUSED for
names it has no server for; the SERVFAIL of servfail.test is relayed by
dnsmasq from a UDP socket the test holds as that zone's server; the
timeout case points postino at a UDP socket that never answers.
"""
import email
import email.policy
import email.utils
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading

from harness import Postino, free_port, lmtp_send, message, wait_for

LIST = "team@example.org"
READER = "reader@example.org"
RECORDS = {
    "_dmarc.reject.test": "v=DMARC1; p=reject; rua=mailto:d@reject.test",
    "_dmarc.quarantine.test": "v=DMARC1; p=quarantine",
    "_dmarc.none.test": "v=DMARC1; p=none",
    "_dmarc.org.test": "v=DMARC1; p=reject",
    "_dmarc.subnone.test": "v=DMARC1; p=reject; sp=none",
    "_dmarc.junk.test": "v=spf1 -all",
}


def dns_query(port, name, timeout=5.0):
    """rcode of a TXT query to 127.0.0.1:port."""
    q = struct.pack(">HHHHHH", 0x2a2a, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    q += b"\0" + struct.pack(">HH", 16, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, ("127.0.0.1", port))
        return s.recv(4096)[3] & 15


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


class ServfailZone:
    """A UDP socket that answers every query with SERVFAIL (rcode 2)."""

    def __init__(self):
        self.sock = udp_socket()
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                q, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            if len(q) >= 12:
                flags = struct.pack(">H", 0x8182)   # response, RD, RA, 2
                self.sock.sendto(q[:2] + flags + q[4:], peer)

    def close(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


class Dnsmasq:
    """dnsmasq on a free loopback port serving RECORDS, stopped by PID."""

    def __init__(self, records=RECORDS, servfail_port=None):
        self.dir = tempfile.mkdtemp(prefix="postino-dns-")
        self.port = free_port()
        self.pidfile = os.path.join(self.dir, "dnsmasq.pid")
        args = ["dnsmasq", "-k", "--port=%d" % self.port,
                "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--local-ttl=600",
                "--local=/test/", "--pid-file=" + self.pidfile,
                "--log-facility=" + os.path.join(self.dir, "log"),
                "--log-queries"]
        if os.geteuid() == 0:
            args += ["--user=nobody", "--group=nogroup"]
        if servfail_port is not None:
            args.append("--server=/servfail.test/127.0.0.1#%d" % servfail_port)
        for name, text in records.items():
            args.append("--txt-record=%s,%s" % (name, text))
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        try:
            wait_for(self._ready, 20, "dnsmasq to answer")
        except BaseException:
            self.close()
            raise

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("dnsmasq exited: %s" %
                               self.proc.stderr.read().decode())
        try:
            return dns_query(self.port, "_dmarc.none.test", 0.5) == 0
        except OSError:
            return False

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()       # our child, by its PID
            self.proc.wait(20)
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def copies(p, n):
    """The n copies READER received, by Subject (without the prefix)."""
    box = wait_for(lambda: p.outbox().get(READER) if len(
        p.outbox().get(READER, [])) >= n else None, 60, "%d copies" % n)
    res = {}
    for raw in box:
        m = parse(raw)
        res[str(m["Subject"]).replace("[team] ", "")] = m
    return res


def post(p, author, subject, name=None, headers=()):
    sender = "%s <%s>" % (name, author) if name else author
    codes = lmtp_send(p.lmtp_port, author, [LIST],
                      message(subject=subject, sender=sender,
                              headers=headers))
    assert codes == [250], (author, codes)


def from_of(m):
    a = m["From"].addresses[0]
    return a.display_name, a.addr_spec


def assert_munged(m, author, name):
    assert from_of(m) == ("%s via team" % name, LIST), str(m["From"])
    assert m["Reply-To"].addresses[0].addr_spec == author
    assert email.utils.parseaddr(str(m["X-Original-From"]))[1] == author
    assert m["List-Id"].endswith("<team.example.org>")
    assert "team+unsubscribe@example.org" in m.get_body(
        ("plain",)).get_content()


def assert_unchanged(m, author):
    assert from_of(m)[1] == author, str(m["From"])
    assert m["X-Original-From"] is None
    assert m["Reply-To"] is None


AUTHORS = ["alice@reject.test", "alice@sub.reject.test", "bob@quarantine.test", "carol@none.test",
           "dave@nx.test", "erin@sub.org.test", "fred@junk.test",
           "gina@servfail.test", "kim@elsewhere.example",
           "ivy@sub.subnone.test", "jo@reject.test"]


def dmarc_daemon(dns, **settings):
    conf = {"resolver": "127.0.0.1:%d" % dns.port, "dmarc_timeout": "2"}
    conf.update(settings)
    return Postino(settings=conf)


def test_policies_decide_munging():
    zone = ServfailZone()
    try:
        with Dnsmasq(servfail_port=zone.port) as dns, dmarc_daemon(dns) as p:
            assert dns_query(dns.port, "_dmarc.servfail.test") == 2
            assert dns_query(dns.port, "_dmarc.nx.test") == 3
            p.make_list(LIST, AUTHORS + [READER])
            p.start()
            post(p, "alice@reject.test", "reject", "Alice")
            post(p, "bob@quarantine.test", "quarantine", "Bob")
            post(p, "carol@none.test", "none", "Carol")
            post(p, "dave@nx.test", "nxdomain", "Dave")
            post(p, "erin@sub.org.test", "org", "Erin")
            post(p, "fred@junk.test", "junk", "Fred")
            post(p, "gina@servfail.test", "servfail", "Gina")
            post(p, "ivy@sub.subnone.test", "subnone", "Ivy")
            post(p, "kim@elsewhere.example", "refused", "Kim")
            got = copies(p, 9)
            assert_munged(got["reject"], "alice@reject.test", "Alice")
            assert_munged(got["quarantine"], "bob@quarantine.test", "Bob")
            assert_unchanged(got["none"], "carol@none.test")
            assert_unchanged(got["nxdomain"], "dave@nx.test")
            # sub.org.test has no record: org.test's p=reject applies.
            assert_munged(got["org"], "erin@sub.org.test", "Erin")
            # A TXT record that is not DMARC is no record.
            assert_unchanged(got["junk"], "fred@junk.test")
            # SERVFAIL: we cannot know, so we mitigate (Mailman issue 415).
            assert_munged(got["servfail"], "gina@servfail.test", "Gina")
            # The organizational domain's sp=none covers its subdomains.
            assert_unchanged(got["subnone"], "ivy@sub.subnone.test")
            # dnsmasq has no server for elsewhere.example: REFUSED.
            assert_munged(got["refused"], "kim@elsewhere.example", "Kim")
            rows = dict(p.sql("SELECT domain, policy FROM dmarc_cache"))
            assert rows["reject.test"] == "reject"
            assert rows["nx.test"] == "absent"
            assert rows["sub.org.test"] == "reject"
            assert rows["servfail.test"] == "fail"
            assert rows["elsewhere.example"] == "fail"
            log = p.read_log()
            assert "post from alice@reject.test: DMARC reject: From munged" \
                in log
            assert p.stop() == 0
    finally:
        zone.close()


def test_cache_answers_without_dns():
    with Dnsmasq() as dns, dmarc_daemon(dns) as p:
        p.make_list(LIST, AUTHORS + [READER])
        p.start()
        post(p, "alice@reject.test", "first", "Alice")
        copies(p, 1)
        dns.close()     # the second post must come from the cache
        post(p, "jo@reject.test", "second", "Jo")
        got = copies(p, 2)
        assert_munged(got["second"], "jo@reject.test", "Jo")
        assert p.stop() == 0


def test_timeout_mitigates():
    dead = udp_socket()     # held, never read: queries go unanswered
    try:
        with Postino(settings={"resolver": "127.0.0.1:%d" %
                               dead.getsockname()[1],
                               "dmarc_timeout": "1"}) as p:
            p.make_list(LIST, AUTHORS + [READER])
            p.start()
            post(p, "carol@none.test", "timeout", "Carol")
            got = copies(p, 1)
            assert_munged(got["timeout"], "carol@none.test", "Carol")
            # The dead resolver is not asked again for a minute: the
            # next domain fails at once, and is mitigated the same.
            post(p, "dave@nx.test", "after timeout", "Dave")
            got = copies(p, 2)
            assert_munged(got["after timeout"], "dave@nx.test", "Dave")
            rows = dict(p.sql("SELECT domain, policy FROM dmarc_cache"))
            assert rows["none.test"] == "fail"
            assert rows["nx.test"] == "fail"
            assert p.read_log().count("does not answer: DMARC") == 1
            assert p.stop() == 0
    finally:
        dead.close()


def test_wrap_reply_to_list_always_and_encoded_name():
    with Dnsmasq() as dns, dmarc_daemon(dns) as p:
        p.make_list(LIST, AUTHORS + [READER], dmarc_mitigation="wrap",
                    reply_to="list", dmarc_always="none.test")
        p.start()
        post(p, "alice@reject.test", "wrapped", "Alice",
             headers=["Cc: other@example.net"])
        post(p, "carol@none.test", "always", "=?utf-8?q?Car=C3=B2l?=")
        got = copies(p, 2)
        m = got["wrapped"]
        assert from_of(m) == ("Alice via team", LIST)
        assert m["Reply-To"].addresses[0].addr_spec == LIST
        ccs = [a.addr_spec for a in m["Cc"].addresses]
        assert ccs == ["other@example.net", "alice@reject.test"]
        assert m.get_content_type() == "multipart/mixed"
        parts = list(m.iter_parts())
        assert parts[0].get_content_type() == "message/rfc822"
        inner = parts[0].get_content()
        assert from_of(inner) == ("Alice", "alice@reject.test")
        assert str(inner["Subject"]) == "wrapped"
        assert "Hello, list." in inner.get_content()
        assert "team+unsubscribe@example.org" in parts[-1].get_content()
        # dmarc_always: p=none but listed; a non-ASCII name in RFC 2047.
        m = got["always"]
        assert from_of(m) == ("Car\u00f2l via team", LIST)
        assert b"=?utf-8?" in bytes(m)
        assert m.get_content_type() == "multipart/mixed"
        assert p.stop() == 0


def test_off_and_reply_to_author_kept():
    with Dnsmasq() as dns, dmarc_daemon(dns) as p:
        p.make_list(LIST, AUTHORS + [READER])
        p.start()
        post(p, "alice@reject.test", "own reply-to", "Alice",
             headers=["Reply-To: <alice-replies@reject.test>"])
        got = copies(p, 1)
        m = got["own reply-to"]
        assert from_of(m) == ("Alice via team", LIST)
        assert m["Reply-To"].addresses[0].addr_spec == \
            "alice-replies@reject.test"
        assert email.utils.parseaddr(str(m["X-Original-From"]))[1] == \
            "alice@reject.test"
        p.cli("list", "set", LIST, "dmarc_mitigation", "off")
        post(p, "jo@reject.test", "off", "Jo")
        got = copies(p, 2)
        assert_unchanged(got["off"], "jo@reject.test")
        r = p.cli("list", "set", LIST, "dmarc_mitigation", "strip",
                  check=False)
        assert r.returncode != 0
        assert b"munge, wrap or off" in r.stderr
        assert p.stop() == 0


def test_resolver_off_mitigates_only_dmarc_always():
    with Postino() as p:    # the harness's resolver = off
        p.make_list(LIST, AUTHORS + [READER], dmarc_always="reject.test")
        p.start()
        post(p, "alice@sub.reject.test", "listed", "Alice")
        post(p, "bob@quarantine.test", "not listed", "Bob")
        got = copies(p, 2)
        assert_munged(got["listed"], "alice@sub.reject.test", "Alice")
        assert_unchanged(got["not listed"], "bob@quarantine.test")
        assert p.sql("SELECT count(*) FROM dmarc_cache") == [["0"]]
        assert p.stop() == 0


def test_personalized_wrap_keeps_personal_links():
    with Dnsmasq() as dns, dmarc_daemon(dns) as p:
        p.make_list(LIST, AUTHORS + [READER], dmarc_mitigation="wrap",
                    personalize="yes")
        p.start()
        post(p, "alice@reject.test", "personal", "Alice")
        m = copies(p, 1)["personal"]
        assert from_of(m) == ("Alice via team", LIST)
        parts = list(m.iter_parts())
        assert parts[0].get_content_type() == "message/rfc822"
        footer = parts[-1].get_content()
        # The reader's own one-reply leave link, filled in for him.
        assert re.search(r"team\+u-[a-z2-7]{8}-[a-z2-7]{16}@example\.org",
                         footer), footer
        assert "#" not in footer, footer
        assert p.stop() == 0
