/*
 * server_listen.c — the server's listening sockets: TCP on a host and
 * port, or a unix socket whose mode and group the MTA needs (set right
 * after bind, before listen, so no client ever sees it otherwise).
 *
 * Owns the socket files it created (server_free unlinks them).  Fails
 * with a malloc'd message naming the address and the system error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "server_int.h"

int
server_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
listen_add(struct server *srv, enum server_proto proto, int fd,
    const char *unix_path, struct buf *err)
{
	if (srv->nls == SERVER_MAX_LISTENERS) {
		buf_printf(err, "too many listening sockets");
		close(fd);
		return -1;
	}
	if (listen(fd, 128) < 0 || server_nonblock(fd) < 0) {
		buf_printf(err, "listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	srv->ls[srv->nls].fd = fd;
	srv->ls[srv->nls].proto = proto;
	srv->ls[srv->nls].unix_path = unix_path ? xstrdup(unix_path) : NULL;
	memset(&srv->ls[srv->nls].adm, 0, sizeof(srv->ls[srv->nls].adm));
	listener_configure(srv, &srv->ls[srv->nls]);
	srv->nls++;
	return 0;
}

/*
 * The MTA connects to the LMTP and socketmap sockets as its own user:
 * give the socket file its mode and group right after bind(2), before
 * anyone can connect (listen(2) comes later).
 */
static int
bind_unix_perm(const char *path, int mode, const char *group,
    struct buf *err)
{
	char gbuf[4096];
	struct group gr, *g = NULL;
	int rc;

	if (group != NULL && *group != '\0') {
		rc = getgrnam_r(group, &gr, gbuf, sizeof(gbuf), &g);
		if (g == NULL) {
			buf_printf(err, "%s: group '%s': %s", path, group,
			    rc ? strerror(rc) : "no such group");
			return -1;
		}
		if (chown(path, (uid_t)-1, g->gr_gid) < 0) {
			buf_printf(err, "%s: chown to group '%s': %s", path,
			    group, strerror(errno));
			return -1;
		}
	}
	if (chmod(path, (mode_t)mode) < 0) {
		buf_printf(err, "%s: chmod %04o: %s", path, (unsigned)mode,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
server_bind_unix(const char *path, int mode, const char *group, int *fd_r,
    struct buf *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		buf_printf(err, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			buf_printf(err, "%s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (mode >= 0 && bind_unix_perm(path, mode, group, err) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

/* "unix:PATH": a stale socket file is removed, anything else is not. */
static int
listen_unix(struct server *srv, enum server_proto proto, const char *path,
    struct buf *err)
{
	int fd;

	if (server_bind_unix(path, proto != PROTO_SMTP ? srv->sock_mode : -1,
	    srv->sock_group, &fd, err) < 0)
		return -1;
	return listen_add(srv, proto, fd, path, err);
}

int
server_bind_inet(const struct addrinfo *ai, int *fd_r, struct buf *err)
{
	int fd, on = 1;

	if ((fd = socket(ai->ai_family, ai->ai_socktype,
	    ai->ai_protocol)) < 0) {
		buf_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		buf_printf(err, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

int
server_addrinfo(const char *spec, struct addrinfo **res_r, struct buf *err)
{
	struct addrinfo hints;
	char host[256];
	const char *colon = strrchr(spec, ':');
	size_t hlen;
	int rc;

	if (colon == NULL || (hlen = (size_t)(colon - spec)) >= sizeof(host)) {
		buf_printf(err, "%s: expected HOST:PORT or unix:PATH", spec);
		return -1;
	}
	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']')
		memcpy(host, spec + 1, hlen -= 2);
	else
		memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hlen == 0 || strcmp(host, "*") == 0 ? NULL : host,
	    colon + 1, &hints, res_r);
	if (rc != 0) {
		buf_printf(err, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	return 0;
}

/* "HOST:PORT", "[V6]:PORT", "*:PORT": every address HOST resolves to. */
static int
listen_tcp(struct server *srv, enum server_proto proto, const char *spec,
    struct buf *err)
{
	struct addrinfo *res = NULL, *ai;
	int fd, n = 0;

	if (server_addrinfo(spec, &res, err) < 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (server_bind_inet(ai, &fd, err) == 0 &&
		    listen_add(srv, proto, fd, NULL, err) == 0)
			n++;
	freeaddrinfo(res);
	if (n == 0) {
		buf_printf(err, " (%s)", spec);
		return -1;
	}
	return 0;
}

int
server_listen(struct server *srv, enum server_proto proto, const char *spec,
    char **error_r)
{
	struct buf err = BUF_INIT;
	int rc;

	if (strncmp(spec, "unix:", 5) == 0)
		rc = listen_unix(srv, proto, spec + 5, &err);
	else
		rc = listen_tcp(srv, proto, spec, &err);
	if (rc < 0) {
		*error_r = buf_steal(&err, NULL);
		return -1;
	}
	buf_free(&err);
	log_info("%s: listening on %s", proto_name(proto), spec);
	return 0;
}
