/*
 * server_int.h — what server.c (the event loop), server_listen.c (the
 * listening sockets) and server_commit.c (the committer thread) share:
 * the server object, its listeners and connections.  Private to them.
 */
#ifndef POSTINO_SERVER_INT_H
#define POSTINO_SERVER_INT_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "admit.h"
#include "proto.h"
#include "server.h"

#define SERVER_IN_MAX		16384	/* read only below this much input */
#define SERVER_READ		16384
#define SERVER_ACCEPT_BURST	64
#define SERVER_GRACE_MS		10000	/* transactions may finish at stop */
#define SERVER_LINGER_MS	10000	/* to flush a final 421/221 */
#define SERVER_MAX_LISTENERS	16
#define SERVER_COMMIT_DELAY_US	2000	/* see server_should_delay */
#define SERVER_PEER_MAX		64	/* a numeric IPv6 address and scope */

struct listener {
	int			 fd;
	enum server_proto	 proto;
	char			*unix_path;	/* unlinked at server_free */
	struct admit		 adm;		/* its sessions, its limits */
};

struct conn {
	struct proto_session	*ps;
	struct listener		*l;		/* accepted by; in srv->ls */
	char			 peer[SERVER_PEER_MAX]; /* numeric, "" unix */
	int			 fd;
	enum proto_status	 status;
	int			 eof;		/* peer closed its side */
	int			 dead;		/* close now, drop the output */
	int			 committing;	/* its message is with the
						 * committer: hands off */
	int64_t			 t_start, t_input, t_data, t_close;
	int			 idle_ms, data_ms, session_ms;
};

struct server {
	struct server_hooks	 hooks;
	void			*arg;
	struct proto_conf	 pconf;
	int			 max_sessions;	/* default per listener */
	int			 lmtp_max, smtp_max, per_client, stress_idle;
	int			 idle_timeout, data_timeout, session_timeout;

	struct listener		 ls[SERVER_MAX_LISTENERS];
	size_t			 nls;
	struct conn		**conns;
	size_t			 nconns, capconns;
	struct pollfd		*pfd;
	size_t			 cappfd;
	unsigned long		 next_id;

	int			 pipe[2];
	volatile sig_atomic_t	 stop_req, reload_req;
	int			 stopping;
	int64_t			 grace_end;
	struct timespec		 delay_since;	/* commit delay started */
	int			 sock_mode;	/* of MTA-facing unix sockets */
	char			*sock_group;	/* NULL: the process's group */

	/* The committer thread (server_commit.c).  The loop hands it one
	 * group at a time and goes on reading.  busy (a group is out) is
	 * written by the loop only, under mu; done (its outcome is back) by
	 * the committer, under mu. */
	pthread_t		 cth;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 cstarted, cquit, busy, done;
	struct conn		**group;	/* the group out, ngroup long */
	struct ingest		**items;
	size_t			 ngroup, capgroup;
	enum ingest_outcome	 outcome;
	unsigned long long	 ncommits, nmessages;	/* for the stop log */
};

/* O_NONBLOCK and FD_CLOEXEC on fd; 0 or -1 (errno set). */
int	server_nonblock(int fd);
/* Set a listener's own limits from the server's settings. */
void	listener_configure(const struct server *, struct listener *);
/* Wake the loop from another thread or a signal handler. */
void	server_wake(struct server *);

/*
 * server_commit.c.  start: the thread (fatal if it cannot be made);
 * stop: join it (no group may be out).  dispatch: hand every message
 * waiting in a session to the committer unless a group is out; 1 if
 * one went.  reap: if the group's outcome is back, answer its sessions
 * (each goes on with its input: the caller runs them); returns how many
 * sessions it answered, their conns in srv->group.
 */
void	server_commit_start(struct server *);
void	server_commit_stop(struct server *);
int	server_commit_dispatch(struct server *);
size_t	server_commit_reap(struct server *);

#endif
