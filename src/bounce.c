/*
 * bounce.c — what came back to a list's bounce address: classify each
 * recipient of a delivery report, find the member, and record the
 * bounce in the journal (store_bounce_add) for bounce_tick.c to score.
 *
 * Runs in the processor's transaction, like every command address.
 * Nothing is ever answered here.  Fails: -1 on a store error only; a
 * forged VERP address, an unknown recipient or a report that cannot be
 * read is a line in the note, and the mail is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounce.h"
#include "buf.h"
#include "listctx.h"
#include "log.h"
#include "msg.h"
#include "msg_dsn.h"
#include "personal.h"
#include "store.h"

const char *
bounce_kind_name(enum bounce_kind k)
{
	switch (k) {
	case BOUNCE_HARD:
		return "hard";
	case BOUNCE_SOFT:
		return "soft";
	case BOUNCE_EXEMPT:
		return "not counted";
	default:
		return "none";
	}
}

/* "X.Y.Z": 1, with its class digit and subject.detail in *cls, *sub. */
static int
status_parse(const char *s, int *cls, int *subj, int *detail)
{
	int n = 0;

	if (sscanf(s, "%1d.%3d.%3d%n", cls, subj, detail, &n) != 3 ||
	    (s[n] != '\0' && s[n] != ' '))
		return 0;
	return 1;
}

/* Words that say the refusal is the list's mail, not the address. */
static int
diag_exempt(const char *diag)
{
	static const char *const words[] = { "dmarc", "spam", "mailbox full",
	    "mailbox is full", "over quota", "quota exceeded", NULL };
	size_t i, n, k, dl = strlen(diag);

	for (i = 0; words[i] != NULL; i++) {
		n = strlen(words[i]);
		for (k = 0; k + n <= dl; k++)
			if (strncasecmp(diag + k, words[i], n) == 0)
				return 1;
	}
	return 0;
}

enum bounce_kind
bounce_classify(const char *action, const char *status, const char *diag)
{
	int cls = 0, subj = 0, detail = 0, have;

	if (strcmp(action, "delivered") == 0 ||
	    strcmp(action, "relayed") == 0 || strcmp(action, "expanded") == 0)
		return BOUNCE_NONE;
	have = status_parse(status, &cls, &subj, &detail);
	if (have && cls == 2)
		return BOUNCE_NONE;
	/* x.7.x: security or policy (5.7.1 spam, 5.7.26 DMARC);
	 * x.2.2: mailbox full (RFC 3463). */
	if ((have && (subj == 7 || (subj == 2 && detail == 2))) ||
	    diag_exempt(diag))
		return BOUNCE_EXEMPT;
	if (strcmp(action, "delayed") == 0 || (have && cls == 4))
		return BOUNCE_SOFT;
	if ((have && cls == 5) || strcmp(action, "failed") == 0)
		return BOUNCE_HARD;
	return BOUNCE_NONE;
}

enum bounce_kind
bounce_classify_text(int code, const char *text)
{
	char status[16] = "";
	const char *diag;
	size_t n;
	int cls, subj, detail;

	/* The relay's reply starts with its code ("550 5.7.1 ..."). */
	if (strspn(text, "0123456789") == 3 && (text[3] == ' ' ||
	    text[3] == '-'))
		text += 4;
	diag = text;
	n = strcspn(text, " ");

	if (n < sizeof(status)) {
		memcpy(status, text, n);
		status[n] = '\0';
		if (status_parse(status, &cls, &subj, &detail))
			diag = text[n] == ' ' ? text + n + 1 : text + n;
		else
			status[0] = '\0';
	}
	return bounce_classify(code >= 500 ? "failed" : code >= 400 ?
	    "delayed" : "", status, diag);
}

/* The worst recipient of the report (the one bounce_tick scores). */
static const struct msg_dsn_rcpt *
worst_rcpt(const struct msg_dsn_rcpt *v, size_t n, enum bounce_kind *k_r)
{
	const struct msg_dsn_rcpt *w = NULL;
	enum bounce_kind k;
	size_t i;

	*k_r = BOUNCE_NONE;
	for (i = 0; i < n; i++) {
		k = bounce_classify(v[i].action, v[i].status, v[i].diag);
		if (w == NULL || k > *k_r) {
			w = &v[i];
			*k_r = k;
		}
	}
	return w;
}

/* Journal one recipient's bounce; the row's text classifies the same. */
static int
record(const struct list_ctx *lc, int64_t member_id, const char *addr,
    const struct msg_dsn_rcpt *r, enum bounce_kind k, struct buf *note)
{
	struct buf text = BUF_INIT;
	int code, rc;

	code = k == BOUNCE_SOFT ? 450 : k == BOUNCE_NONE ? 250 : 550;
	buf_printf(&text, "%s %s", *r->status ? r->status :
	    code == 450 ? "4.0.0" : "5.0.0", r->diag);
	if (strcmp(r->action, "delayed") == 0 && code == 550)
		code = 450;
	rc = store_bounce_add(lc->st, lc->list.id, member_id, addr,
	    time(NULL), code, text.data);
	buf_printf(note, "; report for <%s> (member %lld): %s %s: %s",
	    addr, (long long)member_id, r->action, r->status,
	    bounce_kind_name(k));
	log_info("list %s: bounce of <%s> (member %lld): %s %s %s (%s)",
	    lc->list.addr, addr, (long long)member_id, r->action, r->status,
	    r->diag, bounce_kind_name(k));
	buf_free(&text);
	return rc;
}

/* LIST+bounces-ID-MAC@: the member the address was made for. */
static int
verp_member(const struct list_ctx *lc, const char *verp, int64_t *id_r,
    struct buf *note)
{
	const char *mac;
	int64_t post;

	if (personal_parse('b', verp, id_r, &post, &mac) < 0 ||
	    personal_verify(lc->list.addr, 'b', *id_r, "", mac) < 0) {
		log_warnx("list %s: bounce to a forged or damaged VERP address"
		    " (bounces-%s): ignored", lc->list.addr, verp);
		buf_printf(note, ": VERP MAC does not verify, ignored");
		return 0;
	}
	return 1;
}

/* Without VERP: each recipient of the report that is a member. */
static int
by_address(const struct list_ctx *lc, const struct msg_dsn_rcpt *v,
    size_t n, struct buf *note)
{
	struct store_member mb;
	enum bounce_kind k;
	const char *addr;
	size_t i;
	int found, rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		addr = *v[i].original ? v[i].original : v[i].final;
		k = bounce_classify(v[i].action, v[i].status, v[i].diag);
		if (k == BOUNCE_NONE)
			continue;
		if ((found = store_member_get(lc->st, lc->list.id, addr,
		    &mb)) < 0)
			return -1;
		if (found == 0) {
			buf_printf(note, "; <%s> is no member", addr);
			continue;
		}
		rc = record(lc, mb.id, mb.addr, &v[i], k, note);
		store_member_clear(&mb);
	}
	return rc;
}

int
bounce_handle(const struct list_ctx *lc, const struct store_inbox *in,
    const struct msg *m, const char *verp, struct buf *note)
{
	struct msg_dsn_rcpt *v = xcalloc(MSG_DSN_MAX, sizeof(*v));
	const struct msg_dsn_rcpt *w;
	struct store_member mb;
	enum bounce_kind k;
	int64_t id = 0;
	size_t n;
	int rc = 0, found;

	(void)in;
	if (!msg_dsn_parse(m, v, MSG_DSN_MAX, &n)) {
		buf_printf(note, ": %s to the bounce address, dropped",
		    msg_is_auto(m) != NULL ? "auto-reply" :
		    "no delivery report");
		goto out;
	}
	if (*verp == '\0') {
		rc = by_address(lc, v, n, note);
		goto out;
	}
	if (!verp_member(lc, verp, &id, note))
		goto out;
	if ((found = store_member_get_id(lc->st, lc->list.id, id, &mb)) <= 0) {
		rc = found;
		buf_printf(note, ": member %lld is gone, ignored",
		    (long long)id);
		goto out;
	}
	if ((w = worst_rcpt(v, n, &k)) == NULL || k == BOUNCE_NONE)
		buf_printf(note, ": report for <%s> says no failure", mb.addr);
	else
		rc = record(lc, mb.id, mb.addr, w, k, note);
	store_member_clear(&mb);
out:
	free(v);
	return rc < 0 ? -1 : 0;
}
