/*
 * config.c — daemon settings: one table of {name, type, default, bounds}.
 *
 * The file is "key = value" lines; '#' starts a comment; blank lines are
 * ignored.  Errors name the file, the line and the key.  With no file at
 * all postino runs on the embedded defaults, which include a demo list so
 * that `make run` shows the whole flow.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "relay_target.h"

enum ctype { C_STR, C_INT, C_SIZE, C_LISTEN, C_RELAY, C_ADDR, C_LEVEL, C_MODE,
    C_GROUP, C_DNS };

struct setting {
	const char	*name;
	enum ctype	 type;
	size_t		 off;
	const char	*def;
	long long	 min, max;
};

#define S(f)	offsetof(struct config, f)
static const struct setting settings[] = {
	{ "database",		C_STR,	  S(database),	"var/postino.db", 0, 0 },
	{ "lmtp_listen",	C_LISTEN, S(lmtp_listen), "127.0.0.1:2424", 0, 0 },
	{ "smtp_listen",	C_LISTEN, S(smtp_listen), "127.0.0.1:2525", 0, 0 },
	{ "socketmap_listen",	C_LISTEN, S(socketmap_listen), "off", 0, 0 },
	{ "lmtp_socket_mode",	C_MODE,	  S(lmtp_socket_mode), "0660", 0, 0777 },
	{ "lmtp_socket_group",	C_GROUP,  S(lmtp_socket_group), "", 0, 0 },
	{ "http_listen",	C_LISTEN, S(http_listen), "off", 0, 0 },
	{ "http_socket_mode",	C_MODE,	  S(http_socket_mode), "0660", 0, 0777 },
	{ "http_socket_group",	C_GROUP,  S(http_socket_group), "", 0, 0 },
	{ "http_max_connections", C_INT,  S(http_max_connections), "256", 1,
	    10000 },
	{ "http_max_per_client", C_INT,	  S(http_max_per_client), "32", 1,
	    10000 },
	{ "http_timeout",	C_INT,	  S(http_timeout), "30", 1, 3600 },
	{ "public_url",		C_STR,	  S(public_url), "", 0, 0 },
	{ "http_tls_cert",	C_STR,	  S(http_tls_cert), "", 0, 0 },
	{ "http_tls_key",	C_STR,	  S(http_tls_key), "", 0, 0 },
	{ "relay",		C_RELAY,  S(relay),	"maildir:var/outbox", 0, 0 },
	{ "relay_connections",	C_INT,	  S(relay_connections), "4", 1, 64 },
	{ "relay_batch",	C_INT,	  S(relay_batch), "100", 1, 1000 },
	{ "relay_pipeline",	C_INT,	  S(relay_pipeline), "8", 1, 64 },
	{ "relay_timeout",	C_INT,	  S(relay_timeout), "300", 1, 3600 },
	{ "hostname",		C_STR,	  S(hostname),	"", 0, 0 },
	{ "node_name",		C_STR,	  S(node_name),	"", 0, 0 },
	{ "node_lease",		C_INT,	  S(node_lease), "60", 2, 3600 },
	{ "max_message_size",	C_SIZE,	  S(max_message_size), "10M", 1024,
	    1LL << 30 },
	{ "max_recipients",	C_INT,	  S(max_recipients), "1000", 100,
	    100000 },
	{ "max_sessions",	C_INT,	  S(max_sessions), "200", 1, 10000 },
	{ "lmtp_max_sessions",	C_INT,	  S(lmtp_max_sessions), "0", 0, 10000 },
	{ "smtp_max_sessions",	C_INT,	  S(smtp_max_sessions), "0", 0, 10000 },
	{ "max_sessions_per_client", C_INT, S(max_sessions_per_client), "50",
	    1, 10000 },
	{ "stress_idle_timeout", C_INT,	  S(stress_idle_timeout), "10", 1,
	    86400 },
	{ "idle_timeout",	C_INT,	  S(idle_timeout), "300", 1, 86400 },
	{ "session_timeout",	C_INT,	  S(session_timeout), "3600", 1,
	    86400 },
	{ "data_timeout",	C_INT,	  S(data_timeout), "600", 1, 86400 },
	{ "retry_min",		C_INT,	  S(retry_min),	"300", 1, 86400 },
	{ "retry_max",		C_INT,	  S(retry_max),	"14400", 1, 604800 },
	{ "retry_lifetime",	C_INT,	  S(retry_lifetime), "432000", 1,
	    2592000 },
	{ "templates",		C_STR,	  S(templates),	"templates", 0, 0 },
	{ "recipient_delimiter", C_STR,	  S(recipient_delimiter), "+", 0, 0 },
	{ "demo_list",		C_ADDR,	  S(demo_list),	"", 0, 0 },
	{ "log_level",		C_LEVEL,  S(log_level),	"info", 0, 0 },
	{ "secret_file",	C_STR,	  S(secret_file), "var/postino.key", 0, 0 },
	{ "token_lifetime",	C_INT,	  S(token_lifetime), "604800", 60,
	    31536000 },
	{ "max_requests_per_day", C_INT,  S(max_requests_per_day), "10", 1,
	    10000 },
	{ "user",		C_STR,	  S(user),	"", 0, 0 },
	{ "resolver",		C_DNS,	  S(resolver),	"", 0, 0 },
	{ "dmarc_timeout",	C_INT,	  S(dmarc_timeout), "5", 1, 60 },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

/* The demo list exists only on the embedded defaults (no file read). */
#define DEMO_LIST	"demo@localhost"

static const struct setting *
setting_find(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static int
parse_size(const char *v, long long *out)
{
	char *end;
	long long n, mult = 1;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mult = 1024 * 1024 * 1024, end++;
	if (*end != '\0' || n > LLONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

/* One DNS server v[0..n): IPv4[:PORT] or [IPv6][:PORT].  0, or -1. */
static int
check_dns_server(const char *v, size_t n)
{
	char host[INET6_ADDRSTRLEN + 1], bin[16];
	const char *end = v + n, *h = v, *hend, *port = NULL, *p;
	int af = AF_INET;
	long num = 0;

	if (n > 0 && *v == '[') {
		if ((hend = memchr(v, ']', n)) == NULL)
			return -1;
		af = AF_INET6;
		h = v + 1;
		if (hend + 1 < end && hend[1] != ':')
			return -1;
		port = hend + 1 < end ? hend + 2 : NULL;
	} else if ((hend = memchr(v, ':', n)) != NULL)
		port = hend + 1;
	else
		hend = end;
	if (hend == h || (size_t)(hend - h) >= sizeof(host))
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	if (inet_pton(af, host, bin) != 1)
		return -1;
	if (port == NULL)
		return 0;
	if (port == end || end - port > 5)
		return -1;
	for (p = port; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		num = num * 10 + (*p - '0');
	}
	return num >= 1 && num <= 65535 ? 0 : -1;
}

/* "", "off", or DNS servers separated by commas. */
static int
check_resolver(const char *v, const char **why)
{
	size_t n;

	if (*v == '\0' || strcmp(v, "off") == 0)
		return 0;
	for (;;) {
		n = strcspn(v, ",");
		if (check_dns_server(v, n) < 0) {
			*why = "expected empty, off, or servers such as"
			    " 127.0.0.1:53 or [::1]:53 separated by commas";
			return -1;
		}
		if (v[n] == '\0')
			return 0;
		v += n + 1;
	}
}

static int
check_listen(const char *v, const char **why)
{
	const char *colon;
	char *end;
	long port;

	if (strcmp(v, "off") == 0)
		return 0;
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] == '\0') {
			*why = "empty socket path";
			return -1;
		}
		return 0;
	}
	colon = strrchr(v, ':');
	if (colon == NULL || colon == v) {
		*why = "expected HOST:PORT, unix:PATH or off";
		return -1;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535 || end == colon + 1) {
		*why = "bad port";
		return -1;
	}
	return 0;
}

/* A file mode in octal ("0660"), within the setting's bounds. */
static int
parse_mode(const struct setting *s, const char *v, int *out,
    const char **why)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 8);
	if (errno != 0 || end == v || *end != '\0' || *v == '-' ||
	    *v == '+') {
		*why = "not an octal mode";
		return -1;
	}
	if (n < s->min || n > s->max) {
		*why = "out of range (0 to 0777)";
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* A group name that exists here ("" = the process's own group). */
static int
check_group(const char *v, const char **why)
{
	if (*v != '\0' && getgrnam(v) == NULL) {
		*why = "no such group";
		return -1;
	}
	return 0;
}

/* Set one setting from text.  0 ok, -1 with *why. */
static int
setting_apply(struct config *cfg, const struct setting *s, const char *v,
    const char **why)
{
	char *base = (char *)cfg + s->off;
	struct relay_target rt;
	char norm[ADDR_MAX];
	long long n;
	char *end;

	switch (s->type) {
	case C_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0') {
			*why = "not a number";
			return -1;
		}
		if (n < s->min || n > s->max) {
			*why = "out of range";
			return -1;
		}
		*(int *)base = (int)n;
		return 0;
	case C_SIZE:
		if (parse_size(v, &n) < 0) {
			*why = "not a size (bytes, or with K, M, G)";
			return -1;
		}
		if (n < s->min || n > s->max) {
			*why = "out of range";
			return -1;
		}
		*(size_t *)base = (size_t)n;
		return 0;
	case C_MODE:
		return parse_mode(s, v, (int *)base, why);
	case C_GROUP:
		if (check_group(v, why) < 0)
			return -1;
		break;
	case C_DNS:
		if (check_resolver(v, why) < 0)
			return -1;
		break;
	case C_LISTEN:
		if (check_listen(v, why) < 0)
			return -1;
		break;
	case C_RELAY:
		if (relay_target_parse(v, &rt, why) < 0)
			return -1;
		relay_target_clear(&rt);
		break;
	case C_ADDR:
		if (*v != '\0' && addr_normalize(v, norm, why) < 0)
			return -1;
		break;
	case C_LEVEL:
		if (strcmp(v, "debug") != 0 && strcmp(v, "info") != 0 &&
		    strcmp(v, "warning") != 0) {
			*why = "expected debug, info or warning";
			return -1;
		}
		break;
	case C_STR:
		break;
	}
	free(*(char **)base);
	*(char **)base = xstrdup(v);
	return 0;
}

void
config_defaults(struct config *cfg)
{
	const char *why;
	char host[256];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NSETTINGS; i++)
		if (setting_apply(cfg, &settings[i], settings[i].def, &why) < 0)
			abort();	/* a bad default is a programming error */
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	free(cfg->hostname);
	cfg->hostname = xstrdup(host);
	free(cfg->node_name);
	cfg->node_name = xstrdup(host);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
config_read(struct config *cfg, const char *path, FILE *fp, char **error_r)
{
	struct buf err = BUF_INIT;
	char line[4096], *key, *val, *eq, *hash;
	const struct setting *s;
	const char *why;
	int lineno = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			buf_printf(&err, "%s:%d: line too long", path, lineno);
			goto fail;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			buf_printf(&err, "%s:%d: expected 'key = value'",
			    path, lineno);
			goto fail;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		if ((s = setting_find(key)) == NULL) {
			buf_printf(&err, "%s:%d: unknown setting '%s'",
			    path, lineno, key);
			goto fail;
		}
		if (setting_apply(cfg, s, val, &why) < 0) {
			buf_printf(&err, "%s:%d: %s: %s: '%s'", path, lineno,
			    key, why, val);
			goto fail;
		}
	}
	if (ferror(fp)) {
		buf_printf(&err, "%s: read error", path);
		goto fail;
	}
	return 0;
fail:
	*error_r = buf_steal(&err, NULL);
	return -1;
}

int
config_load(struct config *cfg, const char *path, char **error_r)
{
	static const char *const search[] = {
		"postino.conf", "/etc/postino/postino.conf",
	};
	struct buf err = BUF_INIT;
	const char *why;
	FILE *fp = NULL;
	size_t i;
	int rc;

	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL) {
			buf_printf(&err, "%s: %s", path, strerror(errno));
			*error_r = buf_steal(&err, NULL);
			return -1;
		}
	} else {
		for (i = 0; i < sizeof(search) / sizeof(search[0]); i++) {
			if ((fp = fopen(search[i], "r")) != NULL) {
				path = search[i];
				break;
			}
		}
	}
	if (fp == NULL) {
		/* Embedded defaults: the development setup of `make run`. */
		return setting_apply(cfg, setting_find("demo_list"), DEMO_LIST,
		    &why);
	}
	rc = config_read(cfg, path, fp, error_r);
	fclose(fp);
	if (rc == 0) {
		free(cfg->path);
		cfg->path = xstrdup(path);
	}
	return rc;
}

int
config_set(struct config *cfg, const char *assignment, char **error_r)
{
	struct buf err = BUF_INIT;
	const struct setting *s;
	const char *eq, *why;
	char *key;

	if ((eq = strchr(assignment, '=')) == NULL) {
		buf_printf(&err, "-o %s: expected NAME=VALUE", assignment);
		goto fail;
	}
	key = xstrndup(assignment, (size_t)(eq - assignment));
	s = setting_find(key);
	free(key);
	if (s == NULL) {
		buf_printf(&err, "-o %s: unknown setting", assignment);
		goto fail;
	}
	if (setting_apply(cfg, s, eq + 1, &why) < 0) {
		buf_printf(&err, "-o %s: %s", assignment, why);
		goto fail;
	}
	return 0;
fail:
	*error_r = buf_steal(&err, NULL);
	return -1;
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].type == C_INT || settings[i].type == C_SIZE ||
		    settings[i].type == C_MODE)
			continue;
		free(*(char **)((char *)cfg + settings[i].off));
	}
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_each(const struct config *cfg,
    void (*fn)(const char *name, const char *value, void *), void *arg)
{
	const char *base;
	char num[32];
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		base = (const char *)cfg + settings[i].off;
		if (settings[i].type == C_INT)
			snprintf(num, sizeof(num), "%d", *(const int *)base);
		else if (settings[i].type == C_MODE)
			snprintf(num, sizeof(num), "%04o",
			    (unsigned)*(const int *)base);
		else if (settings[i].type == C_SIZE)
			snprintf(num, sizeof(num), "%zu",
			    *(const size_t *)base);
		fn(settings[i].name, settings[i].type == C_INT ||
		    settings[i].type == C_MODE || settings[i].type == C_SIZE ?
		    num : *(char *const *)base, arg);
	}
}

static void
dump_one(const char *name, const char *value, void *arg)
{
	fprintf(arg, "%s = %s\n", name, value);
}

void
config_dump(const struct config *cfg, FILE *fp)
{
	config_each(cfg, dump_one, fp);
}
