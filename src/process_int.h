/*
 * process_int.h — what process.c (deciding) and process_copy.c (the
 * outgoing copy of a post) share, and nobody else sees.
 */
#ifndef POSTINO_PROCESS_INT_H
#define POSTINO_PROCESS_INT_H

#include <stdint.h>

#include "config.h"
#include "postino.h"
#include "store.h"

struct buf;
struct msg;

/* Everything derived from a list's address and settings for one post. */
struct post_ctx {
	const struct config	*cfg;
	struct store		*st;
	const struct store_inbox *in;
	struct store_list	 list;
	char			 local[ADDR_LOCAL_MAX + 1];
	const char		*domain;
	int64_t			 author_member;	/* 0: not a member */
	int			 author_moderated;
};

/* The list's effective setting key, malloc'd; NULL on a store error. */
char	*pc_setting(struct post_ctx *, const char *key);
/* "team+what@example.org", appended to out. */
void	 pc_ext_addr(const struct post_ctx *, const char *what,
	    struct buf *out);
/* The outgoing copy of an accepted post: list headers, subject prefix,
 * footer (personal on personalized lists).  0, or -1 (logged). */
int	 pc_decorate(struct post_ctx *, const struct msg *, struct buf *out);

#endif
