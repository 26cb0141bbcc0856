/*
 * archive.h — a list's archive, made from its accepted posts: the mboxrd
 * export (archive.c), the static HTML archive (archive_html.c: what is
 * in it; archive_page.c and archive_index.c: how each file of it
 * reads), and the files they write (archive_file.c).
 *
 * Layout of the HTML archive; every link in it is relative, so any web
 * server (or file://) can serve the directory as it is:
 *
 *   index.html            the months, newest first, with their counts
 *   archive.css           the one stylesheet
 *   atom.xml              Atom feed of the most recently active threads
 *   YYYY-MM/index.html    the month's posts by date
 *   YYYY-MM/threads.html  the month's posts by thread
 *   YYYY-MM/ID.html       one post (archive_page_path)
 *
 * File names come from post ids and dates only, never from a message.
 * Every text taken from a post is escaped; bodies are shown as text,
 * HTML parts are never rendered, attachments are only listed, and every
 * page carries a Content-Security-Policy that forbids scripts.
 */
#ifndef POSTINO_ARCHIVE_H
#define POSTINO_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct buf;
struct store;

/* Threads in the Atom feed, the most recently active first. */
#define ARCHIVE_FEED_THREADS	20
/* Bytes of a post's text shown on its page. */
#define ARCHIVE_TEXT_MAX	(1024 * 1024)

/* "YYYY-MM/ID.html": the page of a post in the HTML archive, relative to
 * the archive's root; month of `created` in UTC; ID the post id in decimal. */
void	 archive_page_path(int64_t post_id, time_t created, struct buf *out);

/* "YYYY-MM-DD" as the time of its midnight UTC in *t_r.  0, or -1 when s
 * is not such a date. */
int	 archive_date_parse(const char *s, time_t *t_r);

/* ---- mboxrd (archive.c) -------------------------------------------- */

/* Append the separator line "From SENDER DATE\n" of a post: sender is
 * the envelope sender (MAILER-DAEMON when empty; blanks and controls
 * become '_'), DATE asctime-style in UTC. */
void	 archive_mbox_from(const char *sender, time_t created,
	    struct buf *out);
/* Append message data[0..len) as mboxrd: CRLF as LF, one more '>' in
 * front of each line matching ^>*From , a final LF when the message has
 * none, and the blank line that ends it. */
void	 archive_mbox_message(const char *data, size_t len, struct buf *out);
/*
 * Write each accepted post of a list received at or after since (0: all)
 * to fp as mboxrd, oldest first; *count_r gets the number written.  The
 * walk stops at the first write error: the caller checks ferror(fp).
 * 0, or -1 on a store error (logged).
 */
int	 archive_export(struct store *, int64_t list_id, time_t since,
	    FILE *fp, size_t *count_r);

/* ---- files (archive_file.c) ------------------------------------------ */

/*
 * Atomic replacement of a file: begin opens a temporary file beside path
 * (its name in tmp, mode 0666 less the umask); commit flushes it (and
 * fsyncs it and its directory when sync), closes it and renames it over
 * path; abort closes and removes it.  begin returns NULL, commit -1, with
 * errno set; either way nothing is left behind.
 */
FILE	*archive_file_begin(const char *path, struct buf *tmp);
int	 archive_file_commit(FILE *, const char *tmp, const char *path,
	    int sync);
void	 archive_file_abort(FILE *, const char *tmp);
/* Make path hold data[0..len): 0 it already did (left alone), 1
 * written (atomically, not synced), -1 error with errno set. */
int	 archive_file_put(const char *path, const char *data, size_t len);

/* ---- HTML (archive_html.c, archive_page.c) --------------------------- */

struct archive_html {
	const char	*dir;		/* output directory (created) */
	const char	*templates;	/* templates directory (config) */
	const char	*override_dir;	/* the list's own templates, or NULL */
	const char	*lang;		/* the list's language */
	const char	*list_addr;
	time_t		 list_created;	/* for the feed's tag: ids */
	/* filled by archive_html_write: */
	size_t		 written;	/* files (re)written */
	size_t		 unchanged;	/* files already up to date */
};

enum archive_status {
	ARCHIVE_OK = 0,
	ARCHIVE_ESTORE,		/* store error (logged) */
	ARCHIVE_EFILE,		/* cannot write under dir */
	ARCHIVE_ETEMPLATE,	/* a template is missing or broken */
};

/*
 * Write (or bring up to date) the HTML archive of a list under a->dir:
 * every file is rendered, compared with the one on disk, and replaced
 * only when it differs.  A post whose MIME is broken gets a page saying
 * so, with what can be shown.  ARCHIVE_OK, or another status with a
 * malloc'd *error_r (NULL for ARCHIVE_ESTORE).
 */
enum archive_status archive_html_write(struct store *, int64_t list_id,
	    struct archive_html *a, char **error_r);

/* Append s as HTML/XML text, fit for element content and quoted
 * attribute values: & < > " ' as references, controls but LF and TAB
 * as blanks, invalid UTF-8 and non-characters as U+FFFD. */
void	 archive_escape(const char *s, size_t n, struct buf *out);
/* Append an address lightly hidden from harvesters: "alice at
 * example.org" (not escaped). */
void	 archive_addr_shown(const char *addr, struct buf *out);

/*
 * Order posts as threads.  parent[i] is the index of the post i answers
 * (always below i), or ARCHIVE_NONE.  Fills order[0..n) with the posts
 * depth first, threads in the order of their first post and replies in
 * index order, and depth[i] with the number of ancestors of post i.
 */
#define ARCHIVE_NONE	SIZE_MAX
void	 archive_thread_order(const size_t *parent, size_t n, size_t *order,
	    size_t *depth);

#endif
