/*
 * listctx.c — a list as one message sees it (listctx.h), and the one
 * builder of the list's own addresses.
 *
 * The settings come in one query (store_list_setting_each); a key the
 * list never set takes listconf.c's default, so a list_ctx holds the
 * same values listconf_get() would give, read once.
 *
 * Owns: the strings of a list_ctx until list_ctx_clear.  Fails: -1 on a
 * store error (logged there) or an address that cannot be split.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "listconf.h"
#include "listctx.h"

int
list_name_split(const char *list_addr, const char *delimiters,
    struct list_name *ln)
{
	const char *domain;
	size_t llen;

	memset(ln, 0, sizeof(*ln));
	if (list_addr == NULL || strchr(list_addr, '@') == NULL)
		return -1;
	domain = addr_domain(list_addr, &llen);
	if (llen == 0 || llen > ADDR_LOCAL_MAX || *domain == '\0' ||
	    strlen(domain) >= sizeof(ln->domain))
		return -1;
	memcpy(ln->local, list_addr, llen);
	strcpy(ln->domain, domain);
	ln->delim[0] = delimiters != NULL && *delimiters != '\0' ?
	    *delimiters : '+';
	return 0;
}

static int
compose(const struct list_name *ln, const char *sep, const char *ext,
    struct buf *out)
{
	buf_printf(out, "%s%s%s@%s", ln->local, sep, ext, ln->domain);
	return strlen(ln->local) + strlen(sep) + strlen(ext) >
	    ADDR_LOCAL_MAX ? -1 : 0;
}

int
list_addr_ext(const struct list_name *ln, const char *ext, struct buf *out)
{
	return compose(ln, ln->delim, ext, out);
}

int
list_addr_dash(const struct list_name *ln, const char *word, struct buf *out)
{
	return compose(ln, "-", word, out);
}

/* In the directory of the database file; with a PostgreSQL URI, which
 * names no directory, in that of the key file (both var/ by default). */
char *
list_override_dir(const struct config *cfg, const char *list_addr)
{
	struct buf b = BUF_INIT;
	const char *base, *slash;

	base = strstr(cfg->database, "://") != NULL ? cfg->secret_file :
	    cfg->database;
	if ((slash = strrchr(base, '/')) != NULL)
		buf_append(&b, base, (size_t)(slash - base) + 1);
	buf_printf(&b, "lists/%s", list_addr);
	return buf_steal(&b, NULL);
}

/* The settings a list_ctx holds, in the order of settings_take. */
enum { S_LANG, S_DESCR, S_PREFIX, S_ARCHIVE, S_POLICY, S_HOLD_DEFAULT,
    S_TIMEZONE, S_HOLD_DEADLINE, S_FOOTER, S_PERSONALIZE, S_MODERATED,
    S_NOTIFY, S_DIGEST_MODLOG, S_NAMES, S_VERP, S_DMARC, S_DMARC_ALWAYS,
    S_REPLY_TO, S_N };

static const char *const keys[S_N] = {
	"language", "description", "subject_prefix", "archive_url",
	"subscribe_policy", "hold_default", "timezone", "hold_deadline",
	"footer", "personalize", "moderated", "notify_owner", "digest_modlog",
	"modlog_names", "verp", "dmarc_mitigation", "dmarc_always",
	"reply_to",
};

static int
setting_one(const char *key, const char *value, void *arg)
{
	char **v = arg;
	size_t i;

	for (i = 0; i < S_N; i++)
		if (strcmp(key, keys[i]) == 0 && v[i] == NULL)
			v[i] = xstrdup(value);
	return 0;
}

static int
yes(char *v)
{
	int rc = strcmp(v, "yes") == 0;

	free(v);
	return rc;
}

/* Hand the values over to lc; frees those it does not keep. */
static void
settings_take(struct list_ctx *lc, char **v)
{
	lc->lang = v[S_LANG];
	lc->descr = v[S_DESCR];
	lc->subject_prefix = v[S_PREFIX];
	lc->archive_url = v[S_ARCHIVE];
	lc->policy = v[S_POLICY];
	lc->hold_default = v[S_HOLD_DEFAULT];
	lc->timezone = v[S_TIMEZONE];
	lc->hold_deadline = listconf_duration(v[S_HOLD_DEADLINE]);
	free(v[S_HOLD_DEADLINE]);
	lc->footer = yes(v[S_FOOTER]);
	lc->personalize = yes(v[S_PERSONALIZE]);
	lc->moderated = yes(v[S_MODERATED]);
	lc->notify_owner = yes(v[S_NOTIFY]);
	lc->digest_modlog = yes(v[S_DIGEST_MODLOG]);
	lc->verp = yes(v[S_VERP]);
	lc->pseudonym = strcmp(v[S_NAMES], "name") != 0;
	free(v[S_NAMES]);
	lc->dmarc = strcmp(v[S_DMARC], "off") == 0 ? LIST_DMARC_OFF :
	    strcmp(v[S_DMARC], "wrap") == 0 ? LIST_DMARC_WRAP :
	    LIST_DMARC_MUNGE;
	free(v[S_DMARC]);
	lc->dmarc_always = v[S_DMARC_ALWAYS];
	lc->reply_to_list = strcmp(v[S_REPLY_TO], "list") == 0;
	free(v[S_REPLY_TO]);
}

static int
settings_load(struct list_ctx *lc)
{
	char *v[S_N];
	size_t i;

	memset(v, 0, sizeof(v));
	if (store_list_setting_each(lc->st, lc->list.id, setting_one, v) < 0) {
		for (i = 0; i < S_N; i++)
			free(v[i]);
		return -1;
	}
	for (i = 0; i < S_N; i++)
		if (v[i] == NULL)
			v[i] = listconf_default(keys[i], lc->list.addr);
	settings_take(lc, v);
	return 0;
}

int
list_ctx_init(struct store *st, const struct config *cfg,
    const struct store_list *list, struct list_ctx *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->st = st;
	lc->cfg = cfg;
	lc->list.id = list->id;
	lc->list.addr = xstrdup(list->addr);
	lc->list.created = list->created;
	lc->override = list_override_dir(cfg, list->addr);
	if (list_name_split(list->addr, cfg->recipient_delimiter,
	    &lc->name) < 0)
		return -1;
	return settings_load(lc);
}

int
list_ctx_load(struct store *st, const struct config *cfg, int64_t list_id,
    struct list_ctx *lc)
{
	struct store_list list;
	int rc;

	memset(lc, 0, sizeof(*lc));
	if ((rc = store_list_get_id(st, list_id, &list)) != 1)
		return rc;
	rc = list_ctx_init(st, cfg, &list, lc) < 0 ? -1 : 1;
	store_list_clear(&list);
	return rc;
}

void
list_ctx_clear(struct list_ctx *lc)
{
	store_list_clear(&lc->list);
	free(lc->override);
	free(lc->lang);
	free(lc->descr);
	free(lc->subject_prefix);
	free(lc->archive_url);
	free(lc->policy);
	free(lc->hold_default);
	free(lc->timezone);
	free(lc->dmarc_always);
	memset(lc, 0, sizeof(*lc));
}
