/*
 * buf.h — the one growable byte string used everywhere.
 *
 * A buf owns its storage; data is always NUL-terminated (the NUL is not
 * counted in len) so that text can be passed to C string functions.
 * Allocation failure is fatal (as in Postfix's mymalloc): a mail server
 * that cannot allocate a few bytes cannot do anything useful.
 */
#ifndef POSTINO_BUF_H
#define POSTINO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);		/* releases storage, re-inits */
void	 buf_reset(struct buf *);		/* len = 0, keeps storage */
void	 buf_reserve(struct buf *, size_t extra);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list);
void	 buf_consume(struct buf *, size_t n);	/* drop n bytes from front */
char	*buf_steal(struct buf *, size_t *len_r);/* caller frees; buf re-inits */

/* Allocation helpers that never return NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
