/*
 * modlog_checkpoint.c — sign, keep and check the checkpoints of a list's
 * moderation log (modlog_checkpoint.h).
 *
 * Why on demand and not one per append: entries are appended by the
 * daemon and by shell commands that never load the keys (rules, roles),
 * and a checkpoint only matters once someone can keep it.  So one is
 * signed when a mail or `postino log checkpoint` publishes the head, and
 * kept: the table holds every checkpoint ever shown, one per distinct
 * head, and a quiet list signs nothing.
 *
 * The entries of the LIST+log@ mail also go out as machine-readable
 * lines, newest first, so that a member can recompute the chain
 * (contrib/verify-modlog.py):
 *
 *   postino-log-entry {"list_id": N, "seq": N, "time": N, "action": S,
 *     "post_id": N, "msgid": S, "subject": S, "rule": S, "reason": S,
 *     "moderator": S, "form": N, "prev": HEX, "hash": HEX}
 *
 * on one line, JSON in ASCII (\uXXXX escapes); a string that is not
 * UTF-8 is {"hex": HEX} instead.  moderator is the value hashed (the
 * full pseudonym, form 2), or for entries of form 1 the address when
 * the list shows addresses (or it is "", postino) and null when it
 * shows pseudonyms (such an entry's hash is taken as given).
 *
 * Owns nothing past a call.  Fails: -1 after the store logged its error.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checkpoint.h"
#include "log.h"
#include "modlog.h"
#include "modlog_checkpoint.h"
#include "modlog_report.h"
#include "store_modlog.h"
#include "token.h"
#include "utf8.h"

static void
cp_sign(int64_t list_id, struct checkpoint *cp)
{
	struct buf text = BUF_INIT;

	checkpoint_signed_text(cp, &text);
	token_sign(list_id, text.data, text.len, cp->sig);
	buf_free(&text);
}

/*
 * 1 when the log still holds the kept checkpoint's entry with its hash,
 * 0 when not (logged: postino then never signs over the rewritten or
 * shortened log, and keeps publishing the last honest checkpoint), -1.
 */
static int
kept_still_holds(struct store *st, int64_t list_id, const char *list_addr,
    const struct checkpoint *cp)
{
	uint8_t h[MODLOG_HASH];
	int rc;

	if ((rc = store_modlog_hash_at(st, list_id, cp->count, h)) < 0)
		return -1;
	if (rc == 0)
		log_warnx("modlog: %s: entry %lld is missing, yet a signed"
		    " checkpoint covers it: entries were deleted", list_addr,
		    (long long)cp->count);
	else if (memcmp(h, cp->head, MODLOG_HASH) != 0)
		log_warnx("modlog: %s: entry %lld differs from its signed"
		    " checkpoint: history was rewritten", list_addr,
		    (long long)cp->count);
	else
		return 1;
	return 0;
}

int
modlog_checkpoint_latest(struct store *st, int64_t list_id,
    const char *list_addr, struct checkpoint *cp)
{
	uint8_t head[MODLOG_HASH];
	int64_t seq;
	int kept;

	if (store_modlog_last(st, list_id, &seq, head) < 0 ||
	    (kept = store_modlog_checkpoint_last(st, list_id, cp)) < 0)
		return -1;
	snprintf(cp->list, sizeof(cp->list), "%s", list_addr);
	if (kept) {
		if ((kept = kept_still_holds(st, list_id, list_addr, cp)) < 0)
			return -1;
		if (kept == 0 || cp->count == seq)
			return 0;
	}
	cp->count = seq;
	memcpy(cp->head, head, MODLOG_HASH);
	cp->time = time(NULL);
	cp_sign(list_id, cp);
	return store_modlog_checkpoint_put(st, list_id, cp);
}

int
modlog_checkpoint_line(struct store *st, int64_t list_id,
    const char *list_addr, struct buf *out)
{
	struct checkpoint cp;

	if (modlog_checkpoint_latest(st, list_id, list_addr, &cp) < 0)
		return -1;
	checkpoint_format(&cp, out);
	return 0;
}

/* The checkpoint's own claims: its list and its signature.  0 or 1. */
static int
cp_authentic(int64_t list_id, const char *list_addr,
    const struct checkpoint *cp, struct buf *why)
{
	struct buf text = BUF_INIT;
	uint8_t pk[TOKEN_PK];
	int rc = 0;

	if (strcmp(cp->list, list_addr) != 0) {
		buf_printf(why, "the checkpoint is of %s, not of %s",
		    cp->list, list_addr);
		return 1;
	}
	token_sign_pubkey(list_id, pk);
	checkpoint_signed_text(cp, &text);
	if (token_sign_verify(pk, text.data, text.len, cp->sig) < 0) {
		buf_printf(why, "the signature does not verify with the key"
		    " of %s: a forged or altered checkpoint", list_addr);
		rc = 1;
	}
	buf_free(&text);
	return rc;
}

/* Compare the walked chain c with cp.  0 or 1. */
static int
cp_extends(const struct modlog_check *c, const struct checkpoint *cp,
    const char *tm, struct buf *why)
{
	char want[MODLOG_HEX], got[MODLOG_HEX];
	int64_t last = c->what != NULL ? c->bad_seq - 1 : c->head_seq;

	if (c->what != NULL && c->bad_seq <= cp->count &&
	    strncmp(c->what, "missing", 7) != 0) {
		buf_printf(why, "entry %lld is broken: %s (the checkpoint of %s"
		    " covers %lld)", (long long)c->bad_seq, c->what, tm,
		    (long long)cp->count);
		return 1;
	}
	if (last < cp->count) {
		if (last + 1 == cp->count)
			buf_printf(why, "entry %lld is missing",
			    (long long)cp->count);
		else
			buf_printf(why, "entries %lld..%lld are missing",
			    (long long)last + 1, (long long)cp->count);
		buf_printf(why, ": the log ends at %lld, the checkpoint of"
		    " %s covers %lld", (long long)last, tm,
		    (long long)cp->count);
		return 1;
	}
	if (memcmp(c->at_hash, cp->head, MODLOG_HASH) != 0) {
		modlog_hex(c->at_hash, got);
		modlog_hex(cp->head, want);
		buf_printf(why, "entry %lld has hash %s, the checkpoint of %s"
		    " says %s: history was rewritten", (long long)cp->count,
		    got, tm, want);
		return 1;
	}
	if (c->what != NULL) {
		buf_printf(why, "entry %lld is broken: %s (after the %lld"
		    " entries the checkpoint of %s covers)",
		    (long long)c->bad_seq, c->what, (long long)cp->count, tm);
		return 1;
	}
	buf_printf(why, "the log extends the checkpoint of %s: entries"
	    " 1..%lld unchanged, %lld entries now, chain intact", tm,
	    (long long)cp->count, (long long)c->head_seq);
	return 0;
}

int
modlog_checkpoint_verify(struct store *st, int64_t list_id,
    const char *list_addr, const struct checkpoint *cp, struct buf *why)
{
	struct modlog_check c;
	char tm[32];

	if (cp_authentic(list_id, list_addr, cp, why) != 0)
		return 1;
	if (modlog_check_at(st, list_id, cp->count, &c) < 0)
		return -1;
	modlog_time(cp->time, tm);
	return cp_extends(&c, cp, tm, why);
}

/* ---- the chain, machine-readable ------------------------------------ */

static void
json_hexstr(const char *s, struct buf *out)
{
	size_t i;

	buf_puts(out, "{\"hex\": \"");
	for (i = 0; s[i] != '\0'; i++)
		buf_printf(out, "%02x", (unsigned char)s[i]);
	buf_puts(out, "\"}");
}

/* A JSON string in ASCII. */
static void
json_ascii(const char *s, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, len;
	uint32_t cp;

	for (i = 0; i < n; i += len)
		if ((len = utf8_next(p + i, n - i, NULL)) == 0) {
			json_hexstr(s, out);
			return;
		}
	i = 0;
	buf_putc(out, '"');
	while (i < n) {
		i += utf8_next(p + i, n - i, &cp);
		if (cp == '"' || cp == '\\')
			buf_printf(out, "\\%c", (char)cp);
		else if (cp >= 0x20 && cp < 0x7f)
			buf_putc(out, (char)cp);
		else if (cp < 0x10000)
			buf_printf(out, "\\u%04x", (unsigned)cp);
		else
			buf_printf(out, "\\u%04x\\u%04x",
			    (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
			    (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
	}
	buf_putc(out, '"');
}

struct chain {
	int64_t		 list_id;
	int		 pseudonym;
	struct buf	*out;
};

static void
chain_str(struct buf *out, const char *key, const char *v)
{
	buf_printf(out, ", \"%s\": ", key);
	json_ascii(v, out);
}

static int
chain_row(const struct store_modlog_row *r, void *arg)
{
	struct chain *c = arg;
	const struct modlog_entry *e = &r->e;
	char hex[MODLOG_HEX];

	buf_printf(c->out, "%spostino-log-entry {\"list_id\": %lld, \"seq\":"
	    " %lld, \"time\": %lld", c->out->len > 0 ? "\n" : "",
	    (long long)c->list_id, (long long)e->seq, (long long)e->time);
	chain_str(c->out, "action", e->action);
	buf_printf(c->out, ", \"post_id\": %lld", (long long)e->post_id);
	chain_str(c->out, "msgid", e->msgid);
	chain_str(c->out, "subject", e->subject);
	chain_str(c->out, "rule", e->rule);
	chain_str(c->out, "reason", e->reason);
	if (e->form >= 2)
		chain_str(c->out, "moderator", e->modid);
	else if (!c->pseudonym || *e->moderator == '\0')
		chain_str(c->out, "moderator", e->moderator);
	else
		buf_puts(c->out, ", \"moderator\": null");
	modlog_hex(r->prev, hex);
	buf_printf(c->out, ", \"form\": %d, \"prev\": \"%s\"", e->form, hex);
	modlog_hex(e->hash, hex);
	buf_printf(c->out, ", \"hash\": \"%s\"}", hex);
	return 0;
}

int
modlog_chain_lines(struct store *st, int64_t list_id, int pseudonym,
    size_t limit, struct buf *out)
{
	struct chain c = { list_id, pseudonym, out };

	return store_modlog_each(st, list_id, 1, limit, chain_row, &c);
}
