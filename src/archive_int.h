/*
 * archive_int.h — what archive_html.c (the model: posts, months,
 * threads, and which files to write), archive_page.c (a post's page and
 * the frame of every page) and archive_index.c (the indexes and the
 * feed) share, and nobody else sees.
 *
 * The model holds, per accepted post, only what other pages show of it
 * (subject, author, date, place in its thread); a post's message is read
 * again when its own page is rendered.
 */
#ifndef POSTINO_ARCHIVE_INT_H
#define POSTINO_ARCHIVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "template.h"

/* The templates of the archive, in templates/<lang>/archive_*.txt. */
enum arch_tpl {
	ARCH_T_INDEX,		/* index.html */
	ARCH_T_MONTH_ROW,	/* one month in index.html */
	ARCH_T_BY_DATE,		/* YYYY-MM/index.html */
	ARCH_T_BY_THREAD,	/* YYYY-MM/threads.html */
	ARCH_T_MESSAGE,		/* YYYY-MM/ID.html */
	ARCH_T_ATTACHMENTS,	/* a post's list of attachments */
	ARCH_T_BROKEN,		/* "this message cannot be shown" */
	ARCH_T_NO_SUBJECT,	/* "(no subject)" */
	ARCH_T_FEED,		/* atom.xml */
	ARCH_T_N
};

/* Nesting shown in a thread index; deeper replies are shown at it. */
#define ARCH_DEPTH_MAX	24

struct arch_post {
	int64_t	 id;
	int64_t	 message_id;
	time_t	 created;
	char	*msgid;		/* its Message-ID, "" if none */
	char	*answers;	/* msg_parent(): the Message-ID it answers */
	char	*thread;	/* posts.thread: its first post's Message-ID */
	char	*subject;	/* decoded UTF-8, "" if none */
	char	*author;	/* "Name <alice at example.org>", plain text */
	size_t	 parent;	/* the post it answers, or ARCHIVE_NONE */
	size_t	 root;		/* its thread's first post */
	size_t	 tprev, tnext;	/* neighbours in its thread, or ARCHIVE_NONE */
	size_t	 month;		/* index into arch.months */
};

struct arch_month {
	char	 name[8];	/* "YYYY-MM" */
	size_t	 first;		/* posts[first .. first + count) */
	size_t	 count;
};

struct arch {
	struct archive_html	*a;
	struct arch_post	*posts;		/* oldest first */
	size_t			 nposts;
	size_t			 cap;
	struct arch_month	*months;	/* oldest first */
	size_t			 nmonths;
	struct template		 tpl[ARCH_T_N];
};

/* ---- archive_page.c ------------------------------------------------ */

/* Load every archive template for a->lang.  0, or -1 with *error_r. */
int	 arch_templates_load(struct arch *, char **error_r);
void	 arch_templates_clear(struct arch *);
/* Render template t with vars into out (appended).  The values must be
 * escaped already.  0, or -1 with a malloc'd *error_r. */
int	 arch_render(struct arch *, enum arch_tpl t, const struct tvar *,
	    size_t n, struct buf *out, char **error_r);
/* A complete HTML page: the frame (doctype, charset, the policy that
 * forbids scripts, the stylesheet; root is "" or "../"), then template
 * t rendered with vars.  0, or -1 with *error_r. */
int	 arch_page(struct arch *, const char *root, enum arch_tpl t,
	    const struct tvar *, size_t n, struct buf *out, char **error_r);
/* The escaped subject of post p, or the "(no subject)" text. */
int	 arch_subject(struct arch *, const struct arch_post *, struct buf *out,
	    char **error_r);
/* "YYYY-MM-DD HH:MM UTC". */
void	 arch_date(time_t, struct buf *out);
/* The page of post i, from its message raw[0..len).  0, or -1. */
int	 arch_page_post(struct arch *, size_t i, const char *raw, size_t len,
	    struct buf *out, char **error_r);
/* archive.css. */
void	 arch_stylesheet(struct buf *out);

/* ---- archive_index.c ------------------------------------------------ */

int	 arch_page_index(struct arch *, struct buf *out, char **error_r);
int	 arch_page_by_date(struct arch *, size_t month, struct buf *out,
	    char **error_r);
int	 arch_page_by_thread(struct arch *, size_t month, struct buf *out,
	    char **error_r);
int	 arch_feed(struct arch *, struct buf *out, char **error_r);

#endif
