/*
 * cmd.h — subcommands, one family per src/cmd_*.c file (git.c style).
 *
 * Each handler gets argv starting at its own name, prints results on
 * stdout (JSON when ctx->json), errors on stderr, and returns a sysexits
 * code.  The store is opened on first use with cmd_store().
 */
#ifndef POSTINO_CMD_H
#define POSTINO_CMD_H

#include <time.h>

#include "config.h"
#include "postino.h"

struct store;

struct cmd_ctx {
	struct config	 cfg;
	const char	*config_path;	/* -c FILE, or NULL */
	int		 json;		/* --json given */
	struct store	*st;
};

/* Open (once) the database named by the config; prints the error and
 * returns -1 on failure. */
int	 cmd_store(struct cmd_ctx *, struct store **st_r);

/* One row of a family's subcommand table (cmd_list.c, cmd_member.c, ...).
 * usage is the text after "postino ", e.g. "list rm ADDR". */
struct cmd_sub {
	const char	*name;
	int		(*run)(struct cmd_ctx *, int, char **);
	const char	*usage;
};

/* Print the usage line of subcommand sub (all of them when sub is NULL)
 * on stderr; returns EX_USAGE_. */
int	 cmd_usage(const struct cmd_sub *, size_t n, const char *sub);

struct store_list;
/*
 * Open the store and find the list named arg; where ("member add") starts
 * every error line.  0 with *l filled (clear it), or the exit code (65 bad
 * address, 67 no such list, 75 store error) after printing why.
 */
int	 cmd_list_find(struct cmd_ctx *, const char *where, const char *arg,
	    struct store **st_r, struct store_list *l);
/* Print "postino: WHERE: store error: ..." and return EX_TEMPFAIL_. */
int	 cmd_store_error(struct store *, const char *where);
/* Run the subcommand of family named by argv[1] with argv from its own
 * name; with none or an unknown one, print the usage (after "postino:
 * family: unknown subcommand 'X'") and return EX_USAGE_. */
int	 cmd_dispatch(struct cmd_ctx *, const char *family,
	    const struct cmd_sub *, size_t n, int argc, char **argv);

#define CMD_TIME_MAX	32
/* t as ISO 8601 UTC ("2026-11-25T10:00:00Z"), as listings show times;
 * its seconds when gmtime cannot take it. */
void	 cmd_time(time_t t, char out[CMD_TIME_MAX]);

/* Print s as a JSON string literal (quoted, escaped) on fp. */
void	 json_str(FILE *fp, const char *s);

int	 cmd_serve(struct cmd_ctx *, int argc, char **argv);
int	 cmd_deliver(struct cmd_ctx *, int argc, char **argv);
int	 cmd_list(struct cmd_ctx *, int argc, char **argv);
int	 cmd_member(struct cmd_ctx *, int argc, char **argv);
int	 cmd_mod(struct cmd_ctx *, int argc, char **argv);
int	 cmd_queue(struct cmd_ctx *, int argc, char **argv);
int	 cmd_config(struct cmd_ctx *, int argc, char **argv);
int	 cmd_log(struct cmd_ctx *, int argc, char **argv);
int	 cmd_rules(struct cmd_ctx *, int argc, char **argv);
int	 cmd_archive(struct cmd_ctx *, int argc, char **argv);
int	 cmd_digest(struct cmd_ctx *, int argc, char **argv);

#endif
