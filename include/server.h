/*
 * server.h — the LMTP (RFC 2033) and SMTP (RFC 5321) servers: listeners,
 * one event loop, sessions, and group commit.
 *
 * The server knows nothing of lists or SQLite: it asks its hooks whether
 * a recipient exists, whether a message is well-formed, and to commit a
 * group of received messages durably.  A session that has received the
 * final dot waits (reading nothing more) until the group commit that
 * holds its message returns; then it replies 250 (per recipient in LMTP)
 * or 4xx, and goes on with any pipelined input.
 */
#ifndef POSTINO_SERVER_H
#define POSTINO_SERVER_H

#include "config.h"
#include "ingest_status.h"
#include "store.h"

/* PROTO_SOCKETMAP answers Postfix socketmap look-ups (socketmap.c). */
enum server_proto { PROTO_LMTP, PROTO_SMTP, PROTO_SOCKETMAP };

/* Each hook answers with an outcome; ingest_status() says how to reply. */
struct server_hooks {
	/* Is addr a recipient we take?  INGEST_OK with r filled,
	 * INGEST_NOUSER, or INGEST_TEMPFAIL. */
	enum ingest_outcome (*rcpt)(void *arg, const char *addr,
		    struct ingest_rcpt *r);
	/* Is the message well formed?  INGEST_OK, or INGEST_MALFORMED with
	 * *error_r as the reply text. */
	enum ingest_outcome (*validate)(void *arg, const char *body,
		    size_t len, const char **error_r);
	/* Commit items durably in one transaction.  INGEST_OK when all are
	 * stored; otherwise none is (INGEST_FULL, INGEST_TEMPFAIL). */
	enum ingest_outcome (*commit)(void *arg, struct ingest *const *items,
		    size_t n);
};

struct server;

struct server *server_new(const struct config *, const struct server_hooks *,
	    void *arg);
void	 server_free(struct server **);

/* Listen on "HOST:PORT" or "unix:PATH" ("off" is not passed here).
 * An LMTP or socketmap unix socket gets lmtp_socket_mode and
 * lmtp_socket_group as soon as it is bound, before listen(2).
 * 0, or -1 with a malloc'd *error_r. */
int	 server_listen(struct server *, enum server_proto, const char *spec,
	    char **error_r);

/*
 * Binding alone, for listeners of other modules (http.c), which listen(2)
 * themselves.  server_bind_unix: PATH bound (a stale socket file
 * replaced, any other file refused), given mode and group (group "" or
 * NULL keeps the process's) unless mode is -1.  server_addrinfo: the
 * addresses of "HOST:PORT", "[V6]:PORT" or "*:PORT" (freeaddrinfo them).
 * server_bind_inet: one of them bound.  0, or -1 with the reason
 * appended to err.
 */
struct addrinfo;
struct buf;
int	 server_bind_unix(const char *path, int mode, const char *group,
	    int *fd_r, struct buf *err);
int	 server_addrinfo(const char *spec, struct addrinfo **res_r,
	    struct buf *err);
int	 server_bind_inet(const struct addrinfo *ai, int *fd_r,
	    struct buf *err);

/*
 * Run the event loop.  Returns 1 when server_reload() was called (the
 * caller reloads its config, calls server_configure and runs again), 0
 * once server_stop() was called and in-flight sessions finished (or the
 * grace period ran out), -1 on a fatal error.
 */
int	 server_run(struct server *);
void	 server_configure(struct server *, const struct config *);

/* Async-signal-safe: ask the loop to stop or to return for a reload. */
void	 server_stop(struct server *);
void	 server_reload(struct server *);

#endif
