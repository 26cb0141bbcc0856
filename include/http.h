/*
 * http.h — the HTTP listener of `postino serve` (libmicrohttpd): the
 * one-click unsubscribe pages of RFC 8058 at PUBLIC_URL/u/TOKEN.
 *
 * A GET shows the member's page and changes nothing (link scanners fetch
 * every URL of a mail); a POST of List-Unsubscribe=One-Click unsubscribes
 * at once, a POST of mode=digest|nomail changes the delivery.  The token
 * is personal.h's web token: nothing is stored per copy.
 *
 * Two steps so that the socket is bound while still root and everything
 * else runs as `user`: http_new binds, http_start opens its own store
 * handle and starts its thread.
 */
#ifndef POSTINO_HTTP_H
#define POSTINO_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct http;
struct store;

/* Bind cfg->http_listen ("HOST:PORT" or "unix:PATH").  0, or -1 with a
 * malloc'd *error_r. */
int	 http_new(const struct config *, struct http **h_r, char **error_r);
/*
 * Open a store handle on cfg->database and start serving in a thread of
 * its own; kick(arg) is called after a change that queued mail.  0, or -1
 * with a malloc'd *error_r.
 */
int	 http_start(struct http *, void (*kick)(void *), void *arg,
	    char **error_r);
/* Stop serving, close the socket (unlink a unix one), free. */
void	 http_free(struct http **);

/* ---- requests (http_page.c) ---------------------------------------- */

enum http_what {
	HTTP_SHOW,		/* GET, HEAD: the page, nothing changes */
	HTTP_LEAVE,		/* List-Unsubscribe=One-Click */
	HTTP_DIGEST,		/* mode=digest */
	HTTP_NOMAIL,		/* mode=nomail */
	HTTP_BAD		/* a form that asks for none of them */
};

/* A finished page: status, and the HTML (owned, free with free()). */
struct http_page {
	unsigned	 status;
	char		*html;
	size_t		 len;
};

/*
 * The token of a request path ".../u/TOKEN" (whatever prefix the proxy
 * leaves): a pointer into path and its length, or NULL when the path
 * has no such shape.
 */
const char *http_path_token(const char *path, size_t *len_r);
/*
 * Fold one form field into *what (start with HTTP_BAD): 0, or -1 when
 * the field contradicts what the form already asked for.
 */
int	 http_form_field(const char *key, const char *value, size_t len,
	    enum http_what *what);
/*
 * Answer a request for token (len bytes) with st (used by one thread
 * only): verify it, act in one transaction, render the page.  1 when
 * mail was queued (kick the queue), 0 otherwise.
 */
int	 http_page_answer(struct store *, const struct config *,
	    const char *token, size_t len, enum http_what, struct http_page *);
/* The plain page of an error status (405, 413, 400, ...). */
void	 http_page_error(const struct config *, unsigned status,
	    struct http_page *);

#endif
