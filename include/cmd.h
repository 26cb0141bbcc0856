/*
 * cmd.h — subcommands, one family per src/cmd_*.c file (git.c style).
 *
 * Each handler gets argv starting at its own name, prints results on
 * stdout (JSON when ctx->json), errors on stderr, and returns a sysexits
 * code.  The store is opened on first use with cmd_store().
 */
#ifndef POSTINO_CMD_H
#define POSTINO_CMD_H

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

/* Print s as a JSON string literal (quoted, escaped) on fp. */
void	 json_str(FILE *fp, const char *s);

int	 cmd_serve(struct cmd_ctx *, int argc, char **argv);
int	 cmd_deliver(struct cmd_ctx *, int argc, char **argv);
int	 cmd_list(struct cmd_ctx *, int argc, char **argv);
int	 cmd_member(struct cmd_ctx *, int argc, char **argv);
int	 cmd_mod(struct cmd_ctx *, int argc, char **argv);
int	 cmd_queue(struct cmd_ctx *, int argc, char **argv);
int	 cmd_config(struct cmd_ctx *, int argc, char **argv);

#endif
