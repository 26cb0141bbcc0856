"""Replies that go wrong (issue 11, item 5): a plain Reply to a notice
lands right even when the mail client drops the +TOKEN of the address or
answers the list.  Notices that expect a reply are From and Reply-To
their token address and carry the token in the Subject ("[postino:TOK]");
that Subject token is honoured at LIST@ (never distributed) and at
LIST-request@; a dead or unknown one at LIST@ holds the mail with a
reason that says which.  Real daemon over LMTP, mails read at Postfix's
smtp-sink.
"""
import email
import email.policy
import re

from harness import Postino, SmtpSink, lmtp_send, message, wait_for

LIST = "team@example.org"
MODS = ["mia@example.org", "max@example.org"]
MEMBERS = ["ann@example.org", "bob@example.org"]
AUTHOR = "out@example.net"
TAG_RE = re.compile(r"\[postino:([a-z2-7]{26})\]")


def mails(sink):
    return [email.message_from_bytes(raw, policy=email.policy.default)
            for raw in sink.messages()]


def body(m):
    return m.get_body(preferencelist=("plain",)).get_content()


def to(sink, addr, text=None):
    return [m for m in mails(sink) if addr in str(m.get("To", "")) and
            (text is None or text in body(m) or text in str(m["Subject"]))]


def wait_to(sink, addr, text=None, n=1):
    return wait_for(lambda: to(sink, addr, text)
                    if len(to(sink, addr, text)) >= n else None, 30,
                    "%d mail(s) to %s with %r" % (n, addr, text))


def daemon(sink):
    return Postino(relay="smtp://127.0.0.1:%d" % sink.port,
                   settings={"retry_min": "1"})


def setup(p, language=None):
    p.cli("list", "create", LIST, "--owner", "boss@example.org",
          "--moderator", MODS[0], "--moderator", MODS[1])
    if language:
        p.cli("list", "set", LIST, "language", language)
    p.cli("member", "import", LIST, "-",
          input="".join(m + "\n" for m in MEMBERS).encode())


def send(p, rcpt, sender, subject="hi", text="", headers=()):
    return lmtp_send(p.lmtp_port, sender, [rcpt],
                     message(sender=sender, to=rcpt, subject=subject,
                             body=text + "\r\n", headers=headers))


def quoted(m):
    return "".join("> " + line + "\r\n" for line in body(m).splitlines())


def hold_one(p, sink, subject="buy now"):
    """Hold a non-member's post; the notice to MODS[0]."""
    send(p, LIST, AUTHOR, subject=subject, text="Cheap stuff.")
    return wait_to(sink, MODS[0], subject)[0]


def reply_addr(m):
    """The notice's token address: its From and its Reply-To, the same;
    its token is in the Subject."""
    frm = m["From"].addresses[0].addr_spec
    assert str(m["Reply-To"]) == frm, (m["From"], m["Reply-To"])
    tok = TAG_RE.search(str(m["Subject"])).group(1)
    assert tok in frm, (frm, m["Subject"])
    return frm, tok


def state(p, subject="buy now"):
    return p.sql("SELECT state FROM posts WHERE subject = '%s'" % subject)


def to_members(sink):
    """Every mail whose envelope went to a member (smtp-sink records
    each RCPT as an X-Rcpt-Args line)."""
    out = []
    for raw in sink.messages():
        rcpts = re.findall(rb"(?m)^X-Rcpt-Args: <([^>]*)>", raw)
        if any(r.decode().lower() in MEMBERS for r in rcpts):
            out.append(email.message_from_bytes(
                raw, policy=email.policy.default))
    return out


def test_held_notice_reply_decides_by_its_first_line():
    """The held notice is From and Reply-To LIST+moderate-TOKEN@: a reply
    with nothing of its own decides nothing (the choices come back, the
    post stays held); "approve" on the first line releases it."""
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        notice = hold_one(p, sink)
        addr, tok = reply_addr(notice)
        assert addr == "team+moderate-%s@example.org" % tok
        # The direct addresses stay.
        assert "team+approve-" in body(notice)
        assert "team+discard-" in body(notice)
        assert "nothing written above the quote" in body(notice)
        # A bare reply: only the quote.
        send(p, addr, MODS[0], subject="Re: " + str(notice["Subject"]),
             text=quoted(notice))
        choices = wait_to(sink, MODS[0], "is still held")[0]
        assert "reject REASON" in body(choices)
        assert state(p) == [["held"]]
        # Words that are no decision: the same, and they are quoted back.
        send(p, addr, MODS[0], text="Looks fine\r\n\r\n" + quoted(notice))
        wait_to(sink, MODS[0], '"Looks fine"')
        assert state(p) == [["held"]]
        # The answer is From the same address: "approve" above the quote
        # of either mail releases the post to the members.
        assert reply_addr(choices)[0] == addr
        send(p, addr, MODS[0], subject="Re: " + str(choices["Subject"]),
             text="Approve\r\n\r\n" + quoted(choices))
        wait_for(lambda: p.sql("SELECT state, decided_by FROM posts") ==
                 [["accepted", MODS[0]]], what="approved")
        wait_for(lambda: len([m for m in to_members(sink)
                              if str(m["Subject"]) == "[team] buy now"])
                 == 2, what="the post at both members")
        wait_to(sink, MODS[0], "is approved")
        # Used: the same reply again says so, nothing more goes out.
        send(p, addr, MODS[0], text="approve")
        wait_to(sink, MODS[0], "already accepted by " + MODS[0])
        assert p.sql("SELECT count(*) FROM jobs WHERE kind = 'fanout'") \
            == [["1"]]


def test_reject_reason_from_the_reply_reaches_the_author():
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        notice = hold_one(p, sink)
        addr, _ = reply_addr(notice)
        # "reject" alone: a rejection needs a reason, nothing changes.
        send(p, addr, MODS[0], text="reject\r\n\r\n" + quoted(notice))
        wait_to(sink, MODS[0], "needs a reason")
        assert state(p) == [["held"]]
        send(p, addr, MODS[0],
             text="reject because X is off topic\r\n\r\n" + quoted(notice))
        wait_for(lambda: state(p) == [["rejected"]], what="rejected")
        told = wait_to(sink, AUTHOR, "not accepted")[0]
        assert "because X is off topic" in body(told)
        assert not to_members(sink)


def test_subject_token_at_the_list_address_acts_and_is_never_sent():
    """The client dropped +moderate-TOKEN: the reply reaches LIST@ with
    the token only in its Subject.  It is the moderator's decision, not
    a post, and no member receives anything."""
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        notice = hold_one(p, sink)
        _, tok = reply_addr(notice)
        subject = "Re: " + str(notice["Subject"])
        assert tok in subject
        send(p, LIST, MODS[0], subject=subject,
             text="reject spam, sorry\r\n\r\n" + quoted(notice))
        wait_for(lambda: state(p) == [["rejected"]], what="rejected")
        told = wait_to(sink, AUTHOR, "not accepted")[0]
        assert "spam, sorry" in body(told)
        wait_to(sink, MODS[0], "is rejected")
        # The reply is no post: no row, nothing to any member.
        assert p.sql("SELECT count(*) FROM posts") == [["1"]]
        assert not to_members(sink)
        assert p.sql("SELECT count(*) FROM jobs WHERE kind = 'fanout'") \
            == [["0"]]


def test_subject_token_at_the_request_address_acts():
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        notice = hold_one(p, sink)
        # "confirm TOKEN" with the held notice's token decides nothing
        # and does not use the token up.
        _, tok = reply_addr(notice)
        send(p, "team-request@example.org", MODS[0], subject="x",
             text="confirm " + tok)
        wait_to(sink, MODS[0], "is still held")
        send(p, "team-request@example.org", MODS[0],
             subject="Re: " + str(notice["Subject"]),
             text="discard\r\n\r\n" + quoted(notice))
        wait_for(lambda: state(p) == [["discarded"]], what="discarded")
        wait_to(sink, MODS[0], "discarded")
        assert not to(sink, AUTHOR, "not accepted")
        assert not to_members(sink)


def test_confirmations_by_bare_reply_request_body_and_subject():
    """A subscription is confirmed by a bare reply to the notice's From
    (its token address), by "confirm TOKEN" in a -request body, by the
    Subject token at -request and at LIST@ (never sent to members)."""
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        joiners = ["dave@example.net", "eve@example.net",
                   "fay@example.net", "gus@example.net"]
        notices = {}
        for j in joiners:
            send(p, "team+subscribe@example.org", j)
            notices[j] = wait_to(sink, j, "subscribe")[0]
        # 1. A bare reply to From.
        m = notices[joiners[0]]
        frm, tok = reply_addr(m)
        assert frm == "team+confirm-%s@example.org" % tok
        send(p, frm, joiners[0], subject="Re: " + str(m["Subject"]),
             text=quoted(m))
        # 2. "confirm TOKEN" in the body of a mail to -request.
        _, tok = reply_addr(notices[joiners[1]])
        send(p, "team-request@example.org", joiners[1], subject="hello",
             text="confirm " + tok)
        # 3. The Subject token at -request, nothing in the body.
        m = notices[joiners[2]]
        send(p, "team-request@example.org", joiners[2],
             subject="Re: " + str(m["Subject"]), text=quoted(m))
        # 4. The Subject token at the list's own address.
        m = notices[joiners[3]]
        send(p, LIST, joiners[3], subject="Re: " + str(m["Subject"]),
             text=quoted(m))
        wait_for(lambda: sorted(r[0] for r in p.sql(
            "SELECT addr FROM members")) == sorted(MEMBERS + joiners),
            what="all four joined")
        for j in joiners:
            wait_to(sink, j, "Welcome")
        assert p.sql("SELECT count(*) FROM posts") == [["0"]]
        assert not to_members(sink)


def test_owner_approves_a_request_by_bare_reply():
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.cli("list", "set", LIST, "subscribe_policy", "approve")
        p.start()
        send(p, "team+subscribe@example.org", "dave@example.net")
        request = wait_to(sink, "boss@example.org", "dave@example.net")[0]
        frm, tok = reply_addr(request)
        assert frm == "team+confirm-%s@example.org" % tok
        send(p, frm, "boss@example.org", subject="Re: x", text="")
        wait_for(lambda: ["dave@example.net"] in p.sql(
            "SELECT addr FROM members"), what="approved")


def test_dead_or_wrong_subject_token_is_held_with_a_precise_reason():
    """A Subject token that no longer works, or never did, never makes a
    mail to LIST@ go out: it is held (a moderator can still release a
    real post) and its author learns exactly why; at -request the reply
    says why.  Nothing is lost."""
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        notice = hold_one(p, sink)
        addr, _ = reply_addr(notice)
        subject = "Re: " + str(notice["Subject"])
        # Used: the moderator approved by replying to the notice.
        send(p, addr, MODS[0], text="approve")
        wait_for(lambda: state(p) == [["accepted"]], what="approved")
        wait_for(lambda: len(to_members(sink)) == 2, what="fan-out")
        send(p, LIST, MODS[0], subject=subject, text="approve")
        wait_for(lambda: state(p, subject) == [["held"]], what="held")
        told = wait_to(sink, MODS[0], "already been used")[0]
        assert "waits for a moderator" in str(told["Subject"])
        # Unknown: a token this list never made, from a member.
        wrong = "Re: hi [postino:%s]" % ("a" * 26)
        send(p, LIST, MEMBERS[0], subject=wrong, text="approve")
        wait_for(lambda: state(p, wrong) == [["held"]], what="held")
        wait_to(sink, MEMBERS[0], "knows no such code")
        # Expired: a confirmation answered too late, at LIST@ and -request.
        send(p, "team+subscribe@example.org", "dave@example.net")
        m = wait_to(sink, "dave@example.net", "subscribe")[0]
        p.sql_write("UPDATE tokens SET expires = 1 WHERE purpose ="
                    " 'subscribe'")
        late = "Re: " + str(m["Subject"])
        send(p, LIST, "dave@example.net", subject=late, text=quoted(m))
        wait_for(lambda: state(p, late) == [["held"]], what="held")
        wait_to(sink, "dave@example.net", "has expired")
        send(p, "team-request@example.org", "dave@example.net", subject=late,
             text=quoted(m))
        wait_to(sink, "dave@example.net", "has expired", n=2)
        assert ["dave@example.net"] not in p.sql("SELECT addr FROM members")
        # Only the approved post reached the members (ann also got her
        # held notice).
        assert [str(m["Subject"]) for m in to_members(sink)
                if m["List-Post"]] == ["[team] buy now"] * 2


def test_a_post_quoting_a_live_confirmation_is_held():
    """The existing guard covers confirmation tokens too: a member who
    forwards his confirmation to the list would let anyone use it."""
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p)
        p.start()
        send(p, "team+unsubscribe@example.org", MEMBERS[0])
        m = wait_to(sink, MEMBERS[0], "unsubscribe")[0]
        frm, _ = reply_addr(m)
        send(p, LIST, MEMBERS[0], subject="what is this?",
             text="Got this:\r\n" + frm)
        wait_for(lambda: state(p, "what is this?") == [["held"]],
                 what="held")
        reason = p.sql("SELECT reason FROM posts")[0][0]
        assert "quotes a code that still works" in reason, reason
        assert not [m for m in to_members(sink) if m["List-Post"]]


def test_italian_notices_and_replies():
    with SmtpSink() as sink, daemon(sink) as p:
        setup(p, language="it")
        p.start()
        # A subject that is not ASCII: the notice's Subject is encoded,
        # its token still read back from a reply.
        notice = hold_one(p, sink, subject="bici già usata")
        addr, _ = reply_addr(notice)
        assert "approva" in body(notice)
        assert "sopra la citazione" in body(notice)
        send(p, addr, MODS[0], text=quoted(notice))
        choices = wait_to(sink, MODS[0], "ancora in attesa")[0]
        assert "rifiuta MOTIVO" in body(choices)
        send(p, addr, MODS[0], text="approva\r\n" + quoted(notice))
        wait_for(lambda: state(p, "bici già usata") == [["accepted"]],
                 what="approved")
        # A dead token at LIST@: the reason in Italian.
        send(p, LIST, MODS[0], subject="Re: " + str(notice["Subject"]),
             text="approva")
        wait_to(sink, MODS[0], "è già stato usato")
        send(p, "team+subscribe@example.org", "dave@example.net")
        m = wait_to(sink, "dave@example.net", "iscrizione")[0]
        assert "in fondo all'oggetto" in body(m)
        reply_addr(m)
