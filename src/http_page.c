/*
 * http_page.c — what the HTTP listener answers: the request path and form
 * read, the token verified, the member's choice carried out in one store
 * transaction and logged, the page rendered from templates/<lang>/http_*
 * with every value HTML-escaped (archive_escape).
 *
 * Owns nothing past a call; the page's HTML is the caller's.  Fails
 * closed: a token that does not verify, or whose member is gone, gets
 * the 404 page; a store error gets 503 and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive.h"
#include "buf.h"
#include "http.h"
#include "listctx.h"
#include "log.h"
#include "personal.h"
#include "store.h"
#include "subscription.h"
#include "template.h"

const char *
http_path_token(const char *path, size_t *len_r)
{
	const char *p, *tok = NULL;

	/* The last "/u/" whose rest is a single segment. */
	for (p = path; (p = strstr(p, "/u/")) != NULL; p++)
		tok = p + 3;
	if (tok == NULL || *tok == '\0' || strchr(tok, '/') != NULL)
		return NULL;
	*len_r = strlen(tok);
	return tok;
}

int
http_form_field(const char *key, const char *value, size_t len,
    enum http_what *what)
{
	enum http_what w;

	if (strcasecmp(key, "List-Unsubscribe") == 0 && len == 9 &&
	    strncasecmp(value, "One-Click", 9) == 0)
		w = HTTP_LEAVE;
	else if (strcmp(key, "mode") == 0 && len == 6 &&
	    strncmp(value, "digest", 6) == 0)
		w = HTTP_DIGEST;
	else if (strcmp(key, "mode") == 0 && len == 6 &&
	    strncmp(value, "nomail", 6) == 0)
		w = HTTP_NOMAIL;
	else
		return 0;	/* a field we do not know: ignored */
	if (*what != HTTP_BAD && *what != w)
		return -1;	/* two different choices at once */
	*what = w;
	return 0;
}

static const char *
reason_of(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Render template name of lang into pg (values already escaped). */
static void
page_render(const struct config *cfg, const char *override, const char *lang,
    const char *name, const struct tvar *vars, size_t n, unsigned status,
    struct http_page *pg)
{
	struct buf out = BUF_INIT;
	struct template t = { NULL, NULL };
	char *error = NULL;

	buf_puts(&out, "<!DOCTYPE html>\n<html lang=\"");
	archive_escape(lang, strlen(lang), &out);
	buf_puts(&out, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"robots\" content=\"noindex\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n");
	if (template_load(cfg->templates, override, lang, name, &t,
	    &error) < 0 || template_render(t.body, vars, n, &out,
	    &error) < 0) {
		log_warnx("http: page %s: %s", name, error);
		buf_reset(&out);
		buf_printf(&out, "%u %s\n", status, reason_of(status));
	}
	free(error);
	template_clear(&t);
	pg->status = status;
	pg->html = buf_steal(&out, &pg->len);
}

void
http_page_error(const struct config *cfg, unsigned status,
    struct http_page *pg)
{
	char code[16];
	const struct tvar vars[] = {
		{ "code", code }, { "reason", reason_of(status) },
	};

	snprintf(code, sizeof(code), "%u", status);
	if (status == 404)
		page_render(cfg, NULL, "en", "http_invalid", NULL, 0, 404, pg);
	else
		page_render(cfg, NULL, "en", "http_error", vars, 2, status, pg);
}

/* The member's choice, in one transaction; 0 done, -1 store error. */
static int
page_act(const struct list_ctx *lc, const struct store_member *mb,
    enum http_what what)
{
	struct buf note = BUF_INIT;
	enum member_mode mode = what == HTTP_DIGEST ? MODE_DIGEST :
	    MODE_NOMAIL;
	int rc = -1;

	if (store_begin(lc->st) < 0)
		goto out;
	buf_printf(&note, "list %s: web page of <%s>", lc->list.addr,
	    mb->addr);
	if (what == HTTP_LEAVE)
		rc = subscription_leave(lc, mb->addr, &note);
	else if ((rc = store_member_set_mode(lc->st, lc->list.id, mb->addr,
	    mode)) == 0)
		buf_printf(&note, "; <%s> now %s", mb->addr,
		    member_mode_name(mode));
	if (rc < 0 || store_commit(lc->st) < 0) {
		store_rollback(lc->st);
		log_warnx("%s: not done: %s", note.data,
		    store_errmsg(lc->st));
		rc = -1;
		goto out;
	}
	log_info("%s", note.data);
out:
	buf_free(&note);
	return rc;
}

/* Render the page of (lc, mb) after what was done. */
static void
page_member(const struct list_ctx *lc, const struct store_member *mb,
    const char *token, size_t len, enum http_what what, struct http_page *pg)
{
	struct buf list = BUF_INIT, addr = BUF_INIT, act = BUF_INIT;
	const char *mode = member_mode_name(what == HTTP_DIGEST ?
	    MODE_DIGEST : MODE_NOMAIL);
	const struct tvar vars[] = {
		{ "list_addr", "" }, { "member_addr", "" }, { "action", "" },
		{ "mode", mode },
	};
	struct tvar v[4];

	archive_escape(lc->list.addr, strlen(lc->list.addr), &list);
	archive_escape(mb->addr, strlen(mb->addr), &addr);
	archive_escape(token, len, &act);
	memcpy(v, vars, sizeof(v));
	v[0].value = list.data;
	v[1].value = addr.data;
	if (what == HTTP_SHOW) {
		v[2].value = act.data;
		page_render(lc->cfg, lc->override, lc->lang,
		    "http_unsubscribe", v, 3, 200, pg);
	} else if (what == HTTP_LEAVE) {
		page_render(lc->cfg, lc->override, lc->lang,
		    "http_unsubscribed", v, 2, 200, pg);
	} else {
		v[2] = v[3];
		page_render(lc->cfg, lc->override, lc->lang, "http_mode_set",
		    v, 3, 200, pg);
	}
	buf_free(&list);
	buf_free(&addr);
	buf_free(&act);
}

int
http_page_answer(struct store *st, const struct config *cfg,
    const char *token, size_t len, enum http_what what, struct http_page *pg)
{
	struct store_member mb;
	struct list_ctx lc;
	char mac[TOKEN_MAC_LEN + 1];
	int64_t id;
	int found = 0, loaded = 0, rc = 0;

	memset(&mb, 0, sizeof(mb));
	memset(&lc, 0, sizeof(lc));
	if (what == HTTP_BAD) {
		http_page_error(cfg, 400, pg);
		return 0;
	}
	if (personal_web_parse(token, len, &id, mac) < 0 ||
	    (found = store_member_get_id(st, 0, id, &mb)) == 0 ||
	    (found == 1 && (loaded = list_ctx_load(st, cfg, mb.list_id,
	    &lc)) == 0) || (loaded == 1 && personal_verify(lc.list.addr,
	    PERSONAL_WEB, id, NULL, mac) < 0)) {
		http_page_error(cfg, 404, pg);
		goto out;
	}
	if (found < 0 || loaded < 0) {
		http_page_error(cfg, 503, pg);
		goto out;
	}
	if (what != HTTP_SHOW && page_act(&lc, &mb, what) < 0) {
		http_page_error(cfg, 503, pg);
		goto out;
	}
	rc = what == HTTP_LEAVE;
	page_member(&lc, &mb, token, len, what, pg);
out:
	list_ctx_clear(&lc);	/* safe on the zeroed one too */
	if (found == 1)
		store_member_clear(&mb);
	return rc;
}
