/*
 * relay_target.c — the `relay` setting: "smtp://HOST:PORT",
 * "lmtp://HOST:PORT", "lmtp:unix:PATH" or "maildir:DIR" into a struct
 * relay_target.  Pure parsing, no I/O: config.c checks the setting with
 * it, relay.c connects to what it gives.
 *
 * Owns the strings of a target (relay_target_clear).  Fails: -1 with a
 * static message.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "relay_target.h"

static const char E_SPEC[] = "relay: expected smtp://HOST:PORT, "
    "lmtp://HOST:PORT, lmtp:unix:PATH or maildir:DIR";
static const char E_PORT[] = "relay: bad port";
static const char E_HOST[] = "relay: bad host";
static const char E_UNIX[] = "relay: unix socket path too long";

/* ---- targets --------------------------------------------------------- */

static int
parse_port(const char *s, char **port_r, const char **error_r)
{
	long v = 0;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || p - s >= 5)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	if (p == s || v < 1 || v > 65535)
		goto bad;
	*port_r = xstrdup(s);
	return 0;
bad:
	*error_r = E_PORT;
	return -1;
}

/* "HOST:PORT" or "[V6]:PORT" into t->host and t->port. */
static int
parse_hostport(const char *s, struct relay_target *t, const char **error_r)
{
	const char *host = s, *hend, *colon;

	if (*s == '[') {
		host = s + 1;
		if ((hend = strchr(host, ']')) == NULL || hend[1] != ':') {
			*error_r = E_SPEC;
			return -1;
		}
		colon = hend + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			*error_r = E_SPEC;
			return -1;
		}
		hend = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			*error_r = E_HOST;	/* IPv6 needs brackets */
			return -1;
		}
	}
	if (hend == host || strcspn(host, " \t/@[]") < (size_t)(hend - host)) {
		*error_r = E_HOST;
		return -1;
	}
	if (parse_port(colon + 1, &t->port, error_r) < 0)
		return -1;
	t->host = xstrndup(host, (size_t)(hend - host));
	return 0;
}

int
relay_target_parse(const char *spec, struct relay_target *t,
    const char **error_r)
{
	const char *rest;

	memset(t, 0, sizeof(*t));
	if (strncmp(spec, "smtp://", 7) == 0 ||
	    strncmp(spec, "lmtp://", 7) == 0) {
		t->kind = spec[0] == 's' ? RELAY_SMTP : RELAY_LMTP;
		return parse_hostport(spec + 7, t, error_r);
	}
	if (strncmp(spec, "lmtp:unix:", 10) == 0) {
		t->kind = RELAY_LMTP;
		rest = spec + 10;
		if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			*error_r = E_UNIX;
			return -1;
		}
	} else if (strncmp(spec, "maildir:", 8) == 0) {
		t->kind = RELAY_MAILDIR;
		rest = spec + 8;
	} else {
		*error_r = E_SPEC;
		return -1;
	}
	if (*rest == '\0') {
		*error_r = E_SPEC;
		return -1;
	}
	t->path = xstrdup(rest);
	return 0;
}

void
relay_target_clear(struct relay_target *t)
{
	free(t->host);
	free(t->port);
	free(t->path);
	memset(t, 0, sizeof(*t));
}
