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
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "listctx.h"
#include "personal.h"
#include "token.h"

#define ID_LEN		8		/* base32 of 5 bytes */
#define MARK		'#'

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
	if (action == PERSONAL_MUTE)
		buf_printf(out, "%c-%s-%s-%s", action, member, post, mac);
	else
		buf_printf(out, "%c-%s-%s", action, member, mac);
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
 * Replace the list-wide List-Unsubscribe line of a decorated copy (the
 * first of its header, msg_decorate writes it on one line) with this
 * member's own: his web link when public_url is set (then also RFC 8058's
 * List-Unsubscribe-Post), and his leave address.
 */
static void
unsub_header(struct buf *out, const char *list_addr, int64_t member_id,
    const char *leave_addr)
{
	static const char name[] = "\r\nList-Unsubscribe:";
	struct buf b = BUF_INIT;
	const char *hend, *p, *eol;

	if (leave_addr == NULL || *leave_addr == '\0' || out->len == 0 ||
	    (hend = memmem(out->data, out->len, "\r\n\r\n", 4)) == NULL ||
	    (p = memmem(out->data, (size_t)(hend - out->data) + 2, name,
	    sizeof(name) - 1)) == NULL)
		return;
	p += 2;
	eol = memmem(p, (size_t)(hend + 2 - p), "\r\n", 2);
	buf_append(&b, out->data, (size_t)(p - out->data));
	buf_puts(&b, "List-Unsubscribe: ");
	if (public_url[0] != '\0') {
		buf_printf(&b, "<%s/u/", public_url);
		personal_web_token(list_addr, member_id, &b);
		buf_puts(&b, ">,\r\n ");
	}
	buf_printf(&b, "<mailto:%s>", leave_addr);
	if (public_url[0] != '\0')
		buf_puts(&b, "\r\nList-Unsubscribe-Post: "
		    "List-Unsubscribe=One-Click");
	buf_append(&b, eol, (size_t)(out->data + out->len - eol));
	buf_free(out);
	*out = b;
}

void
personal_render(const char *body, size_t len, const char *list_addr,
    const char *delim, int64_t member_id, int64_t post_id,
    const char *thread, struct buf *out)
{
	static const char actions[] = { PERSONAL_LEAVE, PERSONAL_DIGEST,
	    PERSONAL_MUTE };
	struct buf mark = BUF_INIT, real = BUF_INIT;
	char *p, *end;
	size_t i;

	buf_reset(out);
	buf_append(out, body, len);
	for (i = 0; i < sizeof(actions); i++) {
		buf_reset(&mark);
		buf_reset(&real);
		if (personal_marker(list_addr, delim, actions[i], &mark) < 0)
			continue;
		link_addr(list_addr, delim, actions[i], member_id, post_id,
		    thread, &real);
		if (real.len != mark.len)
			continue;	/* cannot happen: same layout */
		end = out->data + out->len;
		for (p = out->data; (p = memmem(p, (size_t)(end - p),
		    mark.data, mark.len)) != NULL; p += mark.len)
			memcpy(p, real.data, real.len);
	}
	buf_reset(&real);
	link_addr(list_addr, delim, PERSONAL_LEAVE, member_id, 0, NULL, &real);
	unsub_header(out, list_addr, member_id, real.data);
	buf_free(&mark);
	buf_free(&real);
}

void
personal_verp(const char *list_addr, const char *delim, int64_t member_id,
    struct buf *out)
{
	char id[ID_LEN + 1], mac[TOKEN_MAC_LEN + 1];
	struct buf ext = BUF_INIT;

	id_encode(member_id, id);
	mac_of(list_addr, 'b', member_id, "", mac);
	buf_printf(&ext, "bounces-%s-%s", id, mac);
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
