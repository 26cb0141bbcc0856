/*
 * modlog_report.h — what the moderation log shows beyond modlog.h: a
 * detailed chain check (what is broken, for `postino log verify`), hex
 * hashes and times, and the body of the LIST+log@ mail (template
 * log_report, its lines from log_line).
 *
 * Implemented in modlog.c; the caller owns a struct modlog_report and
 * frees it with modlog_report_clear.
 */
#ifndef POSTINO_MODLOG_REPORT_H
#define POSTINO_MODLOG_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "modlog.h"
#include "template.h"

struct config;
struct store;

#define MODLOG_HEX	(2 * MODLOG_HASH + 1)

/* The result of walking a whole chain. */
struct modlog_check {
	int64_t		 entries;	/* rows read (all of them if intact) */
	int64_t		 bad_seq;	/* first broken entry, 0 when intact */
	const char	*what;		/* why (static text), NULL when intact */
	uint8_t		 head[MODLOG_HASH];	/* hash of the newest entry */
	int64_t		 head_seq;
	int64_t		 at_seq;	/* modlog_check_at's entry */
	int		 at_found;	/* at_seq was read (0: always) */
	uint8_t		 at_hash[MODLOG_HASH];	/* its stored hash */
};

/* modlog_verify with the details.  0 intact, 1 broken, -1 error. */
int	 modlog_check(struct store *, int64_t list_id, struct modlog_check *);
/* The same, also noting the stored hash of entry at (at_found, at_hash;
 * entry 0 is the all-zero start of every chain). */
int	 modlog_check_at(struct store *, int64_t list_id, int64_t at,
	    struct modlog_check *);

/* Lower-case hex of a hash; ISO 8601 UTC of a time. */
void	 modlog_hex(const uint8_t hash[MODLOG_HASH], char out[MODLOG_HEX]);
void	 modlog_time(time_t, char out[32]);

/*
 * The placeholders of template log_report for a list: entries (the
 * newest `limit` entries, each rendered with log_line), summary (counts
 * per action and per rule, median time to decision, since `since`),
 * head_hash, head_seq, since, checkpoint (the latest signed checkpoint
 * line, modlog_checkpoint.h: needs the keys), chain (the same entries as
 * postino-log-entry lines).  Moderators are shown by
 * modlog_display_moderator (pseudonym: the list's setting).  Pass
 * r->vars, MODLOG_REPORT_VARS as a struct notice's vars.
 * 0, or -1 with a malloc'd *error_r (a store error or a broken template).
 */
#define MODLOG_REPORT_VARS	7
struct modlog_report {
	struct buf	 entries, summary, checkpoint, chain;
	char		 head_hash[MODLOG_HEX];
	char		 head_seq[24];
	char		 since[32];
	struct tvar	 vars[MODLOG_REPORT_VARS];
};

int	 modlog_report(struct store *, const struct config *, const char *lang,
	    const char *override_dir, int64_t list_id, const char *list_addr,
	    int pseudonym, size_t limit, time_t since, struct modlog_report *,
	    char **error_r);
void	 modlog_report_clear(struct modlog_report *);

#endif
