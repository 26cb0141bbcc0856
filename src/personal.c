/*
 * personal.c — VERP addresses and one-reply links, authenticated by MACs;
 * the web token of the one-click page (http.h) and each copy's own
 * List-Unsubscribe header (RFC 8058 when a public URL is set).
 *
 * Ids are written as 8 base32 characters (40 bits, big-endian) so that
 * every personal address of a list has the same length as its marker.
 * Owns only the public URL, set once at start; never fails except on
 * malformed input (-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "listctx.h"
#include "personal.h"
#include "token.h"

#define ID_LEN		8		/* base32 of 5 bytes */
#define MARK		'#'

/* The links of a footer, in the order of struct personal_plan's arrays;
 * the leave link comes first (the List-Unsubscribe header uses it). */
static const char personal_actions[PERSONAL_NACTIONS] = {
	PERSONAL_LEAVE, PERSONAL_DIGEST, PERSONAL_MUTE,
};

/* Set once before the delivery threads start (personal_set_public_url). */
static char public_url[1024];

static void
id_encode(int64_t id, char out[ID_LEN + 1])
{
	uint8_t b[5];
	int i;

	for (i = 4; i >= 0; i--) {
		b[i] = (uint8_t)(id & 0xff);
		id >>= 8;
	}
	base32_encode(b, sizeof(b), out);
	out[ID_LEN] = '\0';
}

static int
id_decode(const char *s, int64_t *id_r)
{
	uint8_t b[5];
	int64_t id = 0;
	int i;

	if (base32_decode(s, ID_LEN, b, sizeof(b)) != 5)
		return -1;
	for (i = 0; i < 5; i++)
		id = (id << 8) | b[i];
	*id_r = id;
	return 0;
}

static const char *
action_name(char action)
{
	switch (action) {
	case PERSONAL_LEAVE:
		return "leave";
	case PERSONAL_DIGEST:
		return "digest";
	case PERSONAL_MUTE:
		return "mute";
	case PERSONAL_WEB:
		return "web";
	default:
		return "verp";
	}
}

static void
mac_of(const char *list_addr, char action, int64_t member_id,
    const char *thread, char out[TOKEN_MAC_LEN + 1])
{
	char id[32];
	const char *fields[4];

	snprintf(id, sizeof(id), "%lld", (long long)member_id);
	fields[0] = list_addr;
	fields[1] = id;
	fields[2] = action_name(action);
	fields[3] = thread != NULL ? thread : "";
	token_mac("link", fields, 4, out);
}

/* LOCAL+<ext>@DOMAIN with ext built by the caller; nothing appended
 * when it would be too long. */
static int
ext_addr(const char *list_addr, const char *delim, const char *ext,
    struct buf *out)
{
	struct list_name ln;
	struct buf a = BUF_INIT;
	int rc = -1;

	if (list_name_split(list_addr, delim, &ln) == 0 &&
	    list_addr_ext(&ln, ext, &a) == 0) {
		buf_append(out, a.data, a.len);
		rc = 0;
	}
	buf_free(&a);
	return rc;
}

/* The extension of action with its variable parts (or markers). */
static void
link_ext(char action, const char *member, const char *post, const char *mac,
    struct buf *out)
{
	buf_putc(out, action);		/* several per copy: no printf */
	buf_putc(out, '-');
	buf_puts(out, member);
	buf_putc(out, '-');
	if (action == PERSONAL_MUTE) {
		buf_puts(out, post);
		buf_putc(out, '-');
	}
	buf_puts(out, mac);
}

int
personal_marker(const char *list_addr, const char *delim, char action,
    struct buf *out)
{
	char id[ID_LEN + 1], mac[TOKEN_MAC_LEN + 1];
	struct buf ext = BUF_INIT;
	int rc;

	memset(id, MARK, ID_LEN);
	id[ID_LEN] = '\0';
	memset(mac, MARK, TOKEN_MAC_LEN);
	mac[TOKEN_MAC_LEN] = '\0';
	link_ext(action, id, id, mac, &ext);
	rc = ext_addr(list_addr, delim, ext.data, out);
	buf_free(&ext);
	return rc;
}

/* The real address of action for this member, same length as its marker. */
static void
link_addr(const char *list_addr, const char *delim, char action,
    int64_t member_id, int64_t post_id, const char *thread, struct buf *out)
{
	char id[ID_LEN + 1], post[ID_LEN + 1], mac[TOKEN_MAC_LEN + 1];
	struct buf ext = BUF_INIT;

	id_encode(member_id, id);
	id_encode(post_id, post);
	mac_of(list_addr, action, member_id,
	    action == PERSONAL_MUTE ? thread : "", mac);
	link_ext(action, id, post, mac, &ext);
	(void)ext_addr(list_addr, delim, ext.data, out);
	buf_free(&ext);
}

void
personal_set_public_url(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;		/* "https://h/p/" and "https://h/p" alike */
	if (n >= sizeof(public_url))
		n = 0;
	memcpy(public_url, url, n);
	public_url[n] = '\0';
}

void
personal_web_token(const char *list_addr, int64_t member_id, struct buf *out)
{
	char id[ID_LEN + 1], mac[TOKEN_MAC_LEN + 1];

	id_encode(member_id, id);
	mac_of(list_addr, PERSONAL_WEB, member_id, "", mac);
	buf_printf(out, "%s-%s", id, mac);
}

int
personal_web_parse(const char *tok, size_t len, int64_t *member_r,
    char mac_r[TOKEN_MAC_LEN + 1])
{
	size_t i;

	if (len != ID_LEN + 1 + TOKEN_MAC_LEN || tok[ID_LEN] != '-')
		return -1;
	for (i = 0; i < len; i++)
		if (i != ID_LEN && !((tok[i] >= 'a' && tok[i] <= 'z') ||
		    (tok[i] >= '2' && tok[i] <= '7')))
			return -1;
	if (id_decode(tok, member_r) < 0)
		return -1;
	memcpy(mac_r, tok + ID_LEN + 1, TOKEN_MAC_LEN);
	mac_r[TOKEN_MAC_LEN] = '\0';
	return 0;
}

/*
 * The member's own List-Unsubscribe line, without its CRLF: his web link
 * when public_url is set (then also RFC 8058's List-Unsubscribe-Post),
 * and his leave address.
 */
static void
unsub_line(struct buf *out, const char *list_addr, int64_t member_id,
    const char *leave_addr)
{
	buf_puts(out, "List-Unsubscribe: ");
	if (public_url[0] != '\0') {
		buf_printf(out, "<%s/u/", public_url);
		personal_web_token(list_addr, member_id, out);
		buf_puts(out, ">,\r\n ");
	}
	buf_printf(out, "<mailto:%s>", leave_addr);
	if (public_url[0] != '\0')
		buf_puts(out, "\r\nList-Unsubscribe-Post: "
		    "List-Unsubscribe=One-Click");
}

/* Add a marker's place to the plan. */
static void
plan_spot(struct personal_plan *pl, size_t off, int action)
{
	if (pl->nspots == pl->capspots) {
		pl->capspots = pl->capspots ? 2 * pl->capspots : 8;
		pl->spots = xrealloc(pl->spots, pl->capspots *
		    sizeof(*pl->spots));
	}
	pl->spots[pl->nspots].off = off;
	pl->spots[pl->nspots++].action = action;
}

static int
spot_cmp(const void *a, const void *b)
{
	const struct personal_spot *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

void
personal_plan(const char *body, size_t len, const char *list_addr,
    const char *delim, struct personal_plan *pl)
{
	static const char name[] = "\r\nList-Unsubscribe:";
	struct buf mark = BUF_INIT;
	const char *end = body + len, *p, *hend, *eol;
	int i;

	memset(pl, 0, sizeof(*pl));
	pl->body = body;
	pl->len = len;
	pl->list_addr = list_addr;
	pl->delim = delim;
	/* The list-wide List-Unsubscribe line (msg_decorate writes it on
	 * one line), replaced whole in each copy. */
	if (len > 0 && (hend = memmem(body, len, "\r\n\r\n", 4)) != NULL &&
	    (p = memmem(body, (size_t)(hend - body) + 2, name,
	    sizeof(name) - 1)) != NULL &&
	    (eol = memmem(p + 2, (size_t)(hend + 2 - (p + 2)), "\r\n",
	    2)) != NULL) {
		pl->unsub_off = (size_t)(p + 2 - body);
		pl->unsub_end = (size_t)(eol - body);
	}
	for (i = 0; i < PERSONAL_NACTIONS; i++) {
		buf_reset(&mark);
		if (personal_marker(list_addr, delim, personal_actions[i],
		    &mark) < 0)
			continue;
		pl->mark_len[i] = mark.len;
		for (p = body; (p = memmem(p, (size_t)(end - p), mark.data,
		    mark.len)) != NULL; p += mark.len)
			if ((size_t)(p - body) >= pl->unsub_end ||
			    (size_t)(p - body) + mark.len <= pl->unsub_off)
				plan_spot(pl, (size_t)(p - body), i);
	}
	buf_free(&mark);
	if (pl->nspots > 1)	/* qsort wants an array, even of none */
		qsort(pl->spots, pl->nspots, sizeof(*pl->spots), spot_cmp);
}

void
personal_plan_free(struct personal_plan *pl)
{
	free(pl->spots);
	memset(pl, 0, sizeof(*pl));
}

void
personal_plan_render(const struct personal_plan *pl, int64_t member_id,
    int64_t post_id, const char *thread, struct buf *out)
{
	struct buf real[PERSONAL_NACTIONS], line = BUF_INIT;
	size_t pos = 0, k, off;
	int i, used[PERSONAL_NACTIONS] = { 0 };

	for (i = 0; i < PERSONAL_NACTIONS; i++)
		buf_init(&real[i]);
	for (k = 0; k < pl->nspots; k++)
		used[pl->spots[k].action] = 1;
	used[0] |= pl->unsub_end > 0;		/* the leave address */
	/* Only the links this body holds cost a MAC. */
	for (i = 0; i < PERSONAL_NACTIONS; i++)
		if (used[i])
			link_addr(pl->list_addr, pl->delim, personal_actions[i],
			    member_id, post_id, thread, &real[i]);
	buf_reset(out);
	buf_reserve(out, pl->len + 512);
	for (k = 0; k <= pl->nspots; k++) {
		off = k < pl->nspots ? pl->spots[k].off : pl->len;
		if (pl->unsub_end > 0 && pos <= pl->unsub_off &&
		    pl->unsub_off < off) {
			buf_append(out, pl->body + pos, pl->unsub_off - pos);
			if (real[0].len > 0) {
				unsub_line(&line, pl->list_addr, member_id,
				    real[0].data);
				buf_append(out, line.data, line.len);
			} else
				buf_append(out, pl->body + pl->unsub_off,
				    pl->unsub_end - pl->unsub_off);
			pos = pl->unsub_end;
		}
		buf_append(out, pl->body + pos, off - pos);
		pos = off;
		if (k == pl->nspots)
			break;
		i = pl->spots[k].action;
		/* Same layout as the marker, so the same length; a real
		 * address that differed would leave the marker as it is. */
		if (real[i].len == pl->mark_len[i])
			buf_append(out, real[i].data, real[i].len);
		else
			buf_append(out, pl->body + off, pl->mark_len[i]);
		pos = off + pl->mark_len[i];
	}
	for (i = 0; i < PERSONAL_NACTIONS; i++)
		buf_free(&real[i]);
	buf_free(&line);
}

void
personal_render(const char *body, size_t len, const char *list_addr,
    const char *delim, int64_t member_id, int64_t post_id,
    const char *thread, struct buf *out)
{
	struct personal_plan pl;

	personal_plan(body, len, list_addr, delim, &pl);
	personal_plan_render(&pl, member_id, post_id, thread, out);
	personal_plan_free(&pl);
}

void
personal_verp(const char *list_addr, const char *delim, int64_t member_id,
    struct buf *out)
{
	char id[ID_LEN + 1], mac[TOKEN_MAC_LEN + 1];
	struct buf ext = BUF_INIT;

	id_encode(member_id, id);
	mac_of(list_addr, 'b', member_id, "", mac);
	buf_puts(&ext, "bounces-");
	buf_puts(&ext, id);
	buf_putc(&ext, '-');
	buf_puts(&ext, mac);
	if (ext_addr(list_addr, delim, ext.data, out) < 0) {
		/* Too long for VERP: the plain bounce address. */
		(void)ext_addr(list_addr, delim, "bounces", out);
	}
	buf_free(&ext);
}

int
personal_parse(char action, const char *s, int64_t *member_r,
    int64_t *post_r, const char **mac_r)
{
	size_t n = strlen(s), off = ID_LEN + 1;

	*post_r = 0;
	if (n < off || id_decode(s, member_r) < 0 || s[ID_LEN] != '-')
		return -1;
	if (action == PERSONAL_MUTE) {
		if (n < off + ID_LEN + 1 || id_decode(s + off, post_r) < 0 ||
		    s[off + ID_LEN] != '-')
			return -1;
		off += ID_LEN + 1;
	}
	if (n - off != TOKEN_MAC_LEN)
		return -1;
	*mac_r = s + off;
	return 0;
}

int
personal_verify(const char *list_addr, char action, int64_t member_id,
    const char *thread, const char *mac)
{
	char id[32];
	const char *fields[4];

	snprintf(id, sizeof(id), "%lld", (long long)member_id);
	fields[0] = list_addr;
	fields[1] = id;
	fields[2] = action_name(action);
	fields[3] = action == PERSONAL_MUTE && thread != NULL ? thread : "";
	return token_mac_verify("link", fields, 4, mac, strlen(mac));
}
