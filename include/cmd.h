/*
 * cmd.h — subcommands, one family per src/cmd_*.c file (git.c style).
 *
 * Each handler gets argv starting at its own name, prints results on
 * stdout (JSON when ctx->json), errors on stderr, and returns a sysexits
 * code.
 *
 * Each row of main.c's table and of a family's subcommand table says what
 * must be set up before its handler runs (git.c's RUN_SETUP); cmd_setup()
 * does it, the same way for every command, so a handler never opens the
 * store or loads the keys itself (serve alone, which must bind as root
 * first).
 */
#ifndef POSTINO_CMD_H
#define POSTINO_CMD_H

#include <time.h>

#include "config.h"
#include "postino.h"

struct store;

/* What a command needs before it runs (the setup column). */
#define CMD_STORE	0x01	/* ctx->st: the database, opened once */
#define CMD_KEYS	0x02	/* token_init: tokens, MACs, pseudonyms */
#define CMD_TEMPLATES	0x04	/* template_check: it renders mail */
#define CMD_ROOT	0x08	/* keeps root: drops it itself (serve) */
/* Not a setup step: the command prints JSON with --json.  Any other
 * refuses --json (exit 64) before anything is set up, so a script never
 * parses text it took for JSON. */
#define CMD_JSON	0x10

struct cmd_ctx {
	struct config	 cfg;
	const char	*config_path;	/* -c FILE, or NULL */
	int		 json;		/* --json given */
	struct store	*st;		/* with CMD_STORE; closed by main */
	int		 ready;		/* what cmd_setup() did so far */
	char		 shell_user[64]; /* who ran it, before any drop */
};

/*
 * Set up what setup (CMD_* bits) asks for and is not done yet: become
 * `user` (unless CMD_ROOT), open the store, load the keys, check the
 * templates.  EX_OK_, or the exit code after printing why on stderr (75
 * store or keys, 78 user or templates).
 */
int	 cmd_setup(struct cmd_ctx *, int setup);

/* One row of a family's subcommand table (cmd_list.c, cmd_member.c, ...).
 * setup is what cmd_dispatch() sets up before run; usage is the text
 * after "postino ", e.g. "list rm ADDR". */
struct cmd_sub {
	const char	*name;
	int		(*run)(struct cmd_ctx *, int, char **);
	int		 setup;		/* CMD_* bits */
	const char	*usage;
};

/* With --json given to a command whose row lacks CMD_JSON (name: "list
 * set"), say so on stderr and return EX_USAGE_; else EX_OK_. */
int	 cmd_json_refused(const struct cmd_ctx *, int setup, const char *name);
/* Print the usage line of subcommand sub (all of them when sub is NULL)
 * on stderr; returns EX_USAGE_. */
int	 cmd_usage(const struct cmd_sub *, size_t n, const char *sub);
/* The index of the first "--help" or "-h" in argv[from..argc), or 0. */
int	 cmd_help_asked(int argc, char **argv, int from);

struct store_list;
/*
 * Find the list named arg in ctx->st; where ("member add") starts every
 * error line.  0 with *l filled (clear it), or the exit code (65 bad
 * address, 67 no such list, 75 store error) after printing why.
 */
int	 cmd_list_find(struct cmd_ctx *, const char *where, const char *arg,
	    struct store **st_r, struct store_list *l);
/* Print "postino: WHERE: store error: ..." and return EX_TEMPFAIL_. */
int	 cmd_store_error(struct store *, const char *where);
/* Run the subcommand of family named by argv[1] with argv from its own
 * name, after cmd_setup() for its row; with none or an unknown one,
 * print the usage (after "postino: family: unknown subcommand 'X'") and
 * return EX_USAGE_. */
int	 cmd_dispatch(struct cmd_ctx *, const char *family,
	    const struct cmd_sub *, size_t n, int argc, char **argv);
/* The same for "FAMILY OBJECT SUB ..." (rules LIST add, ban --site ls):
 * OBJECT and SUB are swapped, so the handler gets SUB OBJECT .... */
int	 cmd_dispatch_object_first(struct cmd_ctx *, const char *family,
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
int	 cmd_ban(struct cmd_ctx *, int argc, char **argv);
int	 cmd_archive(struct cmd_ctx *, int argc, char **argv);
int	 cmd_digest(struct cmd_ctx *, int argc, char **argv);
int	 cmd_sub(struct cmd_ctx *, int argc, char **argv);
int	 cmd_bounce(struct cmd_ctx *, int argc, char **argv);
int	 cmd_db(struct cmd_ctx *, int argc, char **argv);

#endif
