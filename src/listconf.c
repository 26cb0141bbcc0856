/*
 * listconf.c — the per-list settings: one table of {name, default, help,
 * check}.  `postino list set` validates through it; every module reads a
 * setting through listconf_get(), which supplies the default.
 *
 * Owns nothing: values live in the store (list_settings).  A value never
 * contains a control character (CR and LF above all): settings end up in
 * headers and footers.  Checks return 0, or -1 with a static reason.
 * listconf_get() returns NULL only on a store error (logged there).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "listconf.h"
#include "digest_schedule.h"
#include "store.h"
#include "tz.h"

#define TEXT_MAX	1000	/* free text, e.g. description */
#define PREFIX_MAX	64	/* subject prefix */
#define URL_MAX		2000
#define MSGSIZE_MAX	(1LL << 30)

static int
check_text(const char *v, const char **error_r)
{
	if (strlen(v) > TEXT_MAX) {
		*error_r = "value too long (at most 1000 characters)";
		return -1;
	}
	return 0;
}

static int
check_prefix(const char *v, const char **error_r)
{
	if (strlen(v) > PREFIX_MAX) {
		*error_r = "subject prefix too long (at most 64 characters)";
		return -1;
	}
	return 0;
}

static int
check_language(const char *v, const char **error_r)
{
	if (strcmp(v, "en") != 0 && strcmp(v, "it") != 0) {
		*error_r = "language must be 'en' or 'it'";
		return -1;
	}
	return 0;
}

static int
check_policy(const char *v, const char **error_r)
{
	if (strcmp(v, "open") != 0 && strcmp(v, "confirm") != 0 &&
	    strcmp(v, "approve") != 0 && strcmp(v, "confirm+approve") != 0) {
		*error_r = "subscribe_policy must be open, confirm, approve or"
		    " confirm+approve";
		return -1;
	}
	return 0;
}

static int
check_names(const char *v, const char **error_r)
{
	if (strcmp(v, "pseudonym") != 0 && strcmp(v, "name") != 0) {
		*error_r = "modlog_names must be 'pseudonym' or 'name'";
		return -1;
	}
	return 0;
}

static int
check_modlog_public(const char *v, const char **error_r)
{
	if (strcmp(v, "everyone") != 0 && strcmp(v, "members") != 0) {
		*error_r = "modlog_public must be 'everyone' or 'members'";
		return -1;
	}
	return 0;
}

/* "90s", "30m", "72h", "7d" (a plain number is seconds): seconds, or -1. */
long long
listconf_duration(const char *v)
{
	char *end;
	long long n;

	if (*v < '0' || *v > '9')
		return -1;
	n = strtoll(v, &end, 10);
	if (n <= 0 || n > 3650LL * 86400)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		n *= 60;
		break;
	case 'h':
		n *= 3600;
		break;
	case 'd':
		n *= 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	return n;
}

static int
check_duration(const char *v, const char **error_r)
{
	if (listconf_duration(v) < 0) {
		*error_r = "expected a duration such as 90s, 30m, 72h or 7d";
		return -1;
	}
	return 0;
}

static int
check_hold_default(const char *v, const char **error_r)
{
	if (strcmp(v, "approve") != 0 && strcmp(v, "reject") != 0 &&
	    strcmp(v, "escalate") != 0) {
		*error_r = "hold_default must be approve, reject or escalate";
		return -1;
	}
	return 0;
}

static int
check_bool(const char *v, const char **error_r)
{
	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		*error_r = "value must be 'yes' or 'no'";
		return -1;
	}
	return 0;
}

static int
check_url(const char *v, const char **error_r)
{
	const char *host;

	if (*v == '\0')
		return 0;
	if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else {
		*error_r = "URL must start with http:// or https://";
		return -1;
	}
	if (*host == '\0' || *host == '/') {
		*error_r = "URL has no host";
		return -1;
	}
	if (strlen(v) > URL_MAX) {
		*error_r = "URL too long";
		return -1;
	}
	if (strpbrk(v, " <>\"") != NULL) {
		*error_r = "URL contains a space, '<', '>' or '\"'";
		return -1;
	}
	return 0;
}

/* "123", "30K", "2M": bytes; -1 not a size, -2 above 1024M. */
static long long
bytes(const char *v)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'K' || *end == 'k') {
		n = n > MSGSIZE_MAX ? n : n * 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		n = n > MSGSIZE_MAX ? n : n * 1024 * 1024;
		end++;
	}
	if (*end != '\0')
		return -1;
	return n > (unsigned long long)MSGSIZE_MAX ? -2 : (long long)n;
}

/* "0" (the daemon's limit) or a byte count with an optional K or M. */
static int
check_size(const char *v, const char **error_r)
{
	long long n = bytes(v);

	if (n == -2) {
		*error_r = "size too large (at most 1024M)";
		return -1;
	}
	if (n < 0) {
		*error_r = "size must be a number of bytes, with an optional K"
		    " or M suffix (0 = the daemon's limit)";
		return -1;
	}
	return 0;
}

long long
listconf_kbytes(const char *v)
{
	size_t n = strlen(v);

	/* A bare number counts kilobytes. */
	if (n > 0 && isdigit((unsigned char)v[n - 1])) {
		if (n > 7 || strspn(v, "0123456789") != n)
			return -1;
		return atoll(v) * 1024;
	}
	return bytes(v);
}

static int
check_digest_size(const char *v, const char **error_r)
{
	if (listconf_kbytes(v) < 0) {
		*error_r = "size must be a number of kilobytes up to 9999999,"
		    " or a number with a K or M suffix (0 = only the schedule)";
		return -1;
	}
	return 0;
}

static int
check_schedule(const char *v, const char **error_r)
{
	struct digest_schedule sc;

	return digest_schedule_parse(v, &sc, error_r);
}

static int
check_timezone(const char *v, const char **error_r)
{
	struct tz *tz;

	if (tz_load(v, &tz, error_r) < 0)
		return -1;
	tz_free(&tz);
	return 0;
}

static int
check_score(const char *v, const char **error_r)
{
	char *end;
	double d = strtod(v, &end);

	if (*v < '0' || *v > '9' || *end != '\0' || d < 0.5 || d > 1000) {
		*error_r = "expected a score from 0.5 to 1000, such as 5 or 2.5";
		return -1;
	}
	return 0;
}

static int
check_dmarc(const char *v, const char **error_r)
{
	if (strcmp(v, "munge") != 0 && strcmp(v, "wrap") != 0 &&
	    strcmp(v, "off") != 0) {
		*error_r = "dmarc_mitigation must be munge, wrap or off";
		return -1;
	}
	return 0;
}

static int
check_count(const char *v, const char **error_r)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v < '0' || *v > '9' || *end != '\0' || n > 100) {
		*error_r = "expected a number from 0 to 100";
		return -1;
	}
	return 0;
}

static int
check_reply_to(const char *v, const char **error_r)
{
	if (strcmp(v, "author") != 0 && strcmp(v, "list") != 0) {
		*error_r = "reply_to must be 'author' or 'list'";
		return -1;
	}
	return 0;
}

/* Domains separated by blanks or commas: letters, digits, '-', '.'. */
static int
check_domains(const char *v, const char **error_r)
{
	const char *p;

	if (check_text(v, error_r) < 0)
		return -1;
	for (p = v; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("-., \t", *p) == NULL) {
			*error_r = "expected domains separated by blanks or"
			    " commas (e.g. 'yahoo.com, aol.com')";
			return -1;
		}
	return 0;
}

static const struct listconf_key keys[] = {
	{ "description", "", "one line shown in the list's help and rules",
	    check_text },
	{ "subject_prefix", "[%l]", "put before each subject ('' for none;"
	    " %l is the list name)", check_prefix },
	{ "language", "en", "language of the texts postino sends: en or it",
	    check_language },
	{ "footer", "yes", "append the list footer to posts: yes or no",
	    check_bool },
	{ "moderated", "no", "hold every post for a moderator: yes or no",
	    check_bool },
	{ "personalize", "no", "one transaction per recipient (VERP,"
	    " personal footers): yes or no", check_bool },
	{ "verp", "yes", "each copy carries its member's own bounce address"
	    " (VERP) in its own transaction; with no, shared transactions"
	    " and ORCPT: yes or no", check_bool },
	{ "bounce_score_threshold", "5", "disable a member whose bounce"
	    " score reaches this (hard bounce 1, soft 0.5, once a day)",
	    check_score },
	{ "bounce_info_stale_after", "7d", "a score with no bounce for this"
	    " long goes back to 0", check_duration },
	{ "bounce_you_are_disabled_warnings", "3", "warnings a disabled"
	    " member gets before removal (0 = removed at once)", check_count },
	{ "bounce_you_are_disabled_warnings_interval", "7d", "time between"
	    " two warnings, and after the last before removal",
	    check_duration },
	{ "bounce_notify_owner", "yes", "tell the owners when a member is"
	    " disabled or removed for bounces: yes or no", check_bool },
	{ "subscribe_policy", "confirm", "how people join: open, confirm,"
	    " approve or confirm+approve", check_policy },
	{ "notify_owner", "no", "tell the owners of each join and leave:"
	    " yes or no", check_bool },
	{ "hold_deadline", "72h", "how long a held post may wait; moderators"
	    " are reminded at half time", check_duration },
	{ "hold_default", "escalate", "what happens to a post still held at"
	    " its deadline: approve, reject, or escalate (the owners get it"
	    " and one more deadline, then it is rejected)",
	    check_hold_default },
	{ "modlog_names", "pseudonym", "how moderators appear to members in"
	    " the log and in notices: pseudonym or name", check_names },
	{ "archive_url", "", "public archive (http:// or https://), or ''",
	    check_url },
	{ "max_message_size", "0", "largest post in bytes, K or M suffix"
	    " (0 = the daemon's max_message_size)", check_size },
	{ "digest_schedule", "daily 06:00", "when digests go out, in the"
	    " list's time zone: 'daily HH:MM' or 'weekly DAY HH:MM'",
	    check_schedule },
	{ "digest_size", "30", "send the digest early once its posts reach"
	    " this many KB (or a size with K or M; 0 = only on schedule)",
	    check_digest_size },
	{ "timezone", "", "the list's time zone, e.g. Europe/Rome ('' = the"
	    " server's)", check_timezone },
	{ "digest_modlog", "yes", "the first digest of each month carries"
	    " the moderation log's summary: yes or no", check_bool },
	{ "modlog_public", "everyone", "who gets the moderation log from"
	    " LIST+log@: everyone, or members (the rules stay public)",
	    check_modlog_public },
	{ "dmarc_mitigation", "munge", "posts from domains whose DMARC"
	    " policy is quarantine or reject (or unknown): munge (From the"
	    " list, author in X-Original-From), wrap (the original attached"
	    " as message/rfc822) or off", check_dmarc },
	{ "dmarc_always", "", "domains always mitigated, whatever their DNS"
	    " says (e.g. 'gmail.com, example.org'; subdomains included)",
	    check_domains },
	{ "reply_to", "author", "where replies to a mitigated post go: author"
	    " (Reply-To the author) or list (Reply-To the list, author in"
	    " Cc)", check_reply_to },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

const struct listconf_key *
listconf_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const struct listconf_key *
listconf_keys(size_t *n_r)
{
	*n_r = NKEYS;
	return keys;
}

int
listconf_check(const char *key, const char *value, const char **error_r)
{
	const struct listconf_key *k;
	const unsigned char *p;

	if ((k = listconf_find(key)) == NULL) {
		*error_r = "unknown setting";
		return -1;
	}
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			*error_r = "value contains a line break";
			return -1;
		}
		if ((*p < 32 && *p != '\t') || *p == 127) {
			*error_r = "value contains a control character";
			return -1;
		}
	}
	return k->check(value, error_r);
}

/* def with every "%l" replaced by the local part of list_addr; malloc'd. */
static char *
expand_default(const char *def, const char *list_addr)
{
	struct buf b = BUF_INIT;
	size_t llen;
	const char *p;

	(void)addr_domain(list_addr, &llen);
	buf_puts(&b, "");	/* "" stays a valid string */
	for (p = def; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'l') {
			buf_append(&b, list_addr, llen);
			p++;
		} else
			buf_putc(&b, *p);
	}
	return buf_steal(&b, NULL);
}

char *
listconf_default(const char *key, const char *list_addr)
{
	const struct listconf_key *k;

	if ((k = listconf_find(key)) == NULL)
		return xstrdup("");
	return expand_default(k->def, list_addr);
}

char *
listconf_get(struct store *st, int64_t list_id, const char *list_addr,
    const char *key)
{
	char *value;
	int rc;

	rc = store_list_setting_get(st, list_id, key, &value);
	if (rc < 0)
		return NULL;
	if (rc == 1)
		return value;
	return listconf_default(key, list_addr);
}

/* 1 for "yes", 0 for anything else, -1 on store error. */
int
listconf_get_bool(struct store *st, int64_t list_id, const char *list_addr,
    const char *key)
{
	char *v;
	int yes;

	if ((v = listconf_get(st, list_id, list_addr, key)) == NULL)
		return -1;
	yes = strcmp(v, "yes") == 0;
	free(v);
	return yes;
}
