/*
 * listctx.h — one list as a message sees it: the list row, its address
 * split once, the delimiter, the directory of its own templates and the
 * settings that deciding about, decorating and answering a message need,
 * all read once per message (listconf.c supplies the defaults).
 *
 * Also the one place that builds the list's own addresses
 * (LIST+bounces@, LIST+help@, LIST-request@, ...): every module asks
 * list_addr_ext / list_addr_dash instead of formatting them by hand.
 */
#ifndef POSTINO_LISTCTX_H
#define POSTINO_LISTCTX_H

#include <stdint.h>

#include "config.h"
#include "postino.h"
#include "store.h"

struct buf;

/* A list address split once: local part, domain, delimiter. */
struct list_name {
	char		 local[ADDR_LOCAL_MAX + 1];
	char		 domain[ADDR_MAX];
	char		 delim[2];	/* the one the router splits on */
};

/*
 * Split list_addr; delimiters is recipient_delimiter (its first
 * character is used, '+' when it is empty).  0, or -1 when the address
 * has no '@', an empty or over-long local part, or no domain.
 */
int	 list_name_split(const char *list_addr, const char *delimiters,
	    struct list_name *);
/*
 * Append LOCAL<delim>ext@DOMAIN ("team+bounces@example.org") to out, or
 * with list_addr_dash LOCAL-word@DOMAIN ("team-request@example.org").
 * 0, or -1 when the local part would be longer than RFC 5321 allows
 * (appended all the same).
 */
int	 list_addr_ext(const struct list_name *, const char *ext,
	    struct buf *out);
int	 list_addr_dash(const struct list_name *, const char *word,
	    struct buf *out);

/* The directory of a list's own templates (overrides), malloc'd. */
char	*list_override_dir(const struct config *, const char *list_addr);

struct list_ctx {
	struct store		*st;
	const struct config	*cfg;
	struct store_list	 list;		/* the row (owned) */
	struct list_name	 name;
	char			*override;	/* list_override_dir */
	/* Settings, read once. */
	char			*lang;
	char			*descr;
	char			*subject_prefix;
	char			*archive_url;
	char			*policy;	/* subscribe_policy */
	char			*hold_default;
	char			*timezone;
	long long		 hold_deadline;	/* seconds; -1 unreadable */
	int			 footer;	/* the yes/no settings: 1/0 */
	int			 personalize;
	int			 moderated;
	int			 notify_owner;
	int			 digest_modlog;
	int			 verp;		/* per-member bounce address */
	int			 pseudonym;	/* modlog_names is not "name" */
	int			 dmarc;		/* dmarc_mitigation: LIST_DMARC_* */
	char			*dmarc_always;	/* domains, blank/comma list */
	int			 reply_to_list;	/* reply_to is "list" */
};

#define LIST_DMARC_OFF		0
#define LIST_DMARC_MUNGE	1
#define LIST_DMARC_WRAP		2

/*
 * Load list list_id with its settings (two queries).  1 loaded, 0 no
 * such list, -1 store error.  Clear with list_ctx_clear either way.
 */
int	 list_ctx_load(struct store *, const struct config *, int64_t list_id,
	    struct list_ctx *);
/* The same for a row in hand (copied).  0, or -1. */
int	 list_ctx_init(struct store *, const struct config *,
	    const struct store_list *, struct list_ctx *);
void	 list_ctx_clear(struct list_ctx *);

#endif
