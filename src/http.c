/*
 * http.c — the HTTP listener (http.h) on libmicrohttpd: the socket we
 * bind ourselves (as root, before privileges are dropped; a unix socket
 * gets http_socket_mode and _group between bind and listen, as
 * server_listen.c does), handed to MHD with MHD_OPTION_LISTEN_SOCKET.
 *
 * The socket is close-on-exec.  One MHD thread (epoll) answers every
 * request, so the store handle it owns is never shared.  Limits: http_max_connections at once,
 * http_max_per_client per TCP address, http_timeout idle seconds, a
 * request's headers within MHD's 16 KiB connection memory, a body of at
 * most HTTP_BODY_MAX bytes (a larger Content-Length is answered 413,
 * unread; a chunked body that grows past it closes the connection).
 *
 * TLS itself when http_tls_cert and _key are set (MHD over GnuTLS); the
 * PEM files are read as root, the key wiped when the listener stops.
 *
 * Fails: http_new/http_start with a malloc'd message; a request never
 * stops the daemon, its errors are 4xx/5xx pages.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "store.h"

#define HTTP_BODY_MAX	4096		/* a form of one or two fields */
#define HTTP_CONN_MEM	(16 * 1024)	/* per connection: headers, buffers */

struct http {
	const struct config	*cfg;
	int			 fd;
	int			 is_unix;
	char			*unix_path;
	struct store		*st;
	struct MHD_Daemon	*d;
	void			(*kick)(void *);
	void			*kick_arg;
	char			*tls_cert;	/* PEM, read as root; or NULL */
	char			*tls_key;
};

/* One request in progress. */
struct req {
	struct MHD_PostProcessor *pp;
	size_t			 got;
	int			 conflict;
	enum http_what		 what;
};

/* "HOST:PORT" or "[V6]:PORT": the first address that binds. */
static int
bind_tcp(struct http *h, const char *spec, struct buf *err)
{
	struct addrinfo *res = NULL, *ai;

	if (server_addrinfo(spec, &res, err) < 0)
		return -1;
	for (ai = res; ai != NULL && h->fd < 0; ai = ai->ai_next) {
		buf_reset(err);
		if (server_bind_inet(ai, &h->fd, err) < 0)
			h->fd = -1;
	}
	freeaddrinfo(res);
	return h->fd < 0 ? -1 : 0;
}

/* A PEM file, read whole (at most 1 MB) into *text_r; 0 or -1. */
static int
read_pem(const char *path, char **text_r, struct buf *err)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && b.len < 1 << 20)
		buf_append(&b, chunk, n);
	explicit_bzero(chunk, sizeof(chunk));
	fclose(fp);
	if (b.len == 0 || b.len >= 1 << 20) {
		buf_printf(err, "%s: empty or too large", path);
		buf_free(&b);
		return -1;
	}
	*text_r = buf_steal(&b, NULL);
	return 0;
}

/* http_tls_cert and http_tls_key, both or neither, read while root. */
static int
read_tls(struct http *h, struct buf *err)
{
	const struct config *cfg = h->cfg;

	if (*cfg->http_tls_cert == '\0' && *cfg->http_tls_key == '\0')
		return 0;
	if (*cfg->http_tls_cert == '\0' || *cfg->http_tls_key == '\0') {
		buf_printf(err, "http_tls_cert and http_tls_key go together");
		return -1;
	}
	return read_pem(cfg->http_tls_cert, &h->tls_cert, err) < 0 ||
	    read_pem(cfg->http_tls_key, &h->tls_key, err) < 0 ? -1 : 0;
}

int
http_new(const struct config *cfg, struct http **h_r, char **error_r)
{
	struct http *h = xcalloc(1, sizeof(*h));
	struct buf err = BUF_INIT;
	const char *spec = cfg->http_listen;
	int rc;

	h->cfg = cfg;
	h->fd = -1;
	if (read_tls(h, &err) < 0)
		rc = -1;
	else if (strncmp(spec, "unix:", 5) == 0) {
		rc = server_bind_unix(spec + 5, cfg->http_socket_mode,
		    cfg->http_socket_group, &h->fd, &err);
		if (rc == 0) {
			h->unix_path = xstrdup(spec + 5);
			h->is_unix = 1;
		}
	} else
		rc = bind_tcp(h, spec, &err);
	if (rc == 0 && (fcntl(h->fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    listen(h->fd, 512) < 0)) {
		buf_printf(&err, "%s: listen: %s", spec, strerror(errno));
		rc = -1;
	}
	if (rc < 0) {
		if (err.len == 0)
			buf_printf(&err, "%s: cannot listen", spec);
		*error_r = buf_steal(&err, NULL);
		http_free(&h);
		return -1;
	}
	buf_free(&err);
	log_info("http: listening on %s%s", spec, h->tls_cert ? " (TLS)" :
	    "");
	*h_r = h;
	return 0;
}

static void
mhd_log(void *arg, const char *fmt, va_list ap)
{
	char line[512];

	(void)arg;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

static enum MHD_Result
send_page(struct MHD_Connection *c, struct http_page *pg, int allow)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(pg->len, pg->html,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(pg->html);
		return MHD_NO;
	}
	pg->html = NULL;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src"
	    " 'none'; form-action 'self'; frame-ancestors 'none'");
	if (allow)
		MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
	ok = MHD_queue_response(c, pg->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
send_error(struct http *h, struct MHD_Connection *c, unsigned status)
{
	struct http_page pg;

	http_page_error(h->cfg, status, &pg);
	return send_page(c, &pg, status == 405);
}

static enum MHD_Result
form_iter(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *ctype, const char *enc,
    const char *data, uint64_t off, size_t size)
{
	struct req *rq = arg;

	(void)kind; (void)filename; (void)ctype; (void)enc;
	if (off == 0 && key != NULL && data != NULL &&
	    http_form_field(key, data, size, &rq->what) < 0)
		rq->conflict = 1;
	return MHD_YES;
}

/* The first call of a POST: refuse a declared body too large, else get
 * ready to read the form. */
static enum MHD_Result
post_begin(struct http *h, struct MHD_Connection *c, struct req *rq)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (cl != NULL && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
		return send_error(h, c, 413);
	rq->what = HTTP_BAD;
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE) == NULL)
		return send_error(h, c, 415);
	if ((rq->pp = MHD_create_post_processor(c, 1024, form_iter, rq)) ==
	    NULL)
		return send_error(h, c, 415);
	return MHD_YES;
}

static enum MHD_Result
answer(void *arg, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http *h = arg;
	struct req *rq = *con_cls;
	struct http_page pg;
	const char *tok;
	size_t len;
	int post = strcmp(method, "POST") == 0;

	(void)version;
	if (rq == NULL) {
		*con_cls = rq = xcalloc(1, sizeof(*rq));
		if ((tok = http_path_token(url, &len)) == NULL)
			return send_error(h, c, 404);
		if (!post && strcmp(method, "GET") != 0 &&
		    strcmp(method, "HEAD") != 0)
			return send_error(h, c, 405);
		return post ? post_begin(h, c, rq) : MHD_YES;
	}
	if (*upload_size > 0) {
		rq->got += *upload_size;
		if (rq->got > HTTP_BODY_MAX)
			return MHD_NO;	/* a chunked body too large: close */
		if (rq->pp != NULL && MHD_post_process(rq->pp, upload,
		    *upload_size) == MHD_NO)
			rq->conflict = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if ((tok = http_path_token(url, &len)) == NULL)
		return send_error(h, c, 404);
	if (post && rq->conflict)
		rq->what = HTTP_BAD;
	if (http_page_answer(h->st, h->cfg, tok, len, post ? rq->what :
	    HTTP_SHOW, &pg) == 1 && h->kick != NULL)
		h->kick(h->kick_arg);
	return send_page(c, &pg, 0);
}

static void
completed(void *arg, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct req *rq = *con_cls;

	(void)arg; (void)c; (void)why;
	if (rq == NULL)
		return;
	if (rq->pp != NULL)
		MHD_destroy_post_processor(rq->pp);
	free(rq);
	*con_cls = NULL;
}

int
http_start(struct http *h, void (*kick)(void *), void *arg, char **error_r)
{
	const struct config *cfg = h->cfg;
	struct MHD_OptionItem tls[3] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, NULL },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	const char *error;

	if (store_open(cfg->database, STORE_DURABLE, &h->st, &error) < 0) {
		*error_r = xstrdup(error);
		return -1;
	}
	h->kick = kick;
	h->kick_arg = arg;
	if (h->tls_cert != NULL) {
		tls[0].value = 0;
		tls[0].ptr_value = h->tls_key;
		tls[1].value = 0;
		tls[1].ptr_value = h->tls_cert;
	} else
		tls[0].option = MHD_OPTION_END;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (h->tls_cert ? MHD_USE_TLS :
	    0), 0, NULL, NULL, answer, h,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http_max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->is_unix ? 0u :
	    (unsigned)cfg->http_max_per_client,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEM,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		*error_r = xstrdup("http: cannot start libmicrohttpd");
		return -1;
	}
	return 0;
}

void
http_free(struct http **hp)
{
	struct http *h = *hp;

	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);	/* closes the listening socket */
	else if (h->fd >= 0)
		close(h->fd);
	if (h->unix_path != NULL) {
		(void)unlink(h->unix_path);
		free(h->unix_path);
	}
	store_close(&h->st);
	if (h->tls_key != NULL) {
		explicit_bzero(h->tls_key, strlen(h->tls_key));
		free(h->tls_key);
	}
	free(h->tls_cert);
	free(h);
	*hp = NULL;
}
