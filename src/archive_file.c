/*
 * archive_file.c — the files the archive writes: each is replaced
 * atomically (a temporary file beside it, then rename), so that a
 * reader or a web server never sees half a page or half an export; and
 * a page is replaced only when its content changed, so that re-running
 * the HTML archive touches only what changed (and rsync or a web cache
 * sees only that).
 *
 * Pages are not fsynced: the archive can always be written again from
 * the store, and a page lost in a crash differs from its rendering, so
 * the next run writes it.  The export file is (sync = 1).
 *
 * Owns the temporary file between begin and commit/abort.
 * Fails: -1 or NULL with errno set, the temporary file removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "fsutil.h"

FILE *
archive_file_begin(const char *path, struct buf *tmp)
{
	mode_t mask;
	FILE *fp;
	int fd, saved;

	buf_reset(tmp);
	buf_printf(tmp, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp->data)) < 0)
		return NULL;
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		unlink(tmp->data);
		errno = saved;
		return NULL;
	}
	return fp;
}

void
archive_file_abort(FILE *fp, const char *tmp)
{
	int saved = errno;

	fclose(fp);
	unlink(tmp);
	errno = saved;
}

int
archive_file_commit(FILE *fp, const char *tmp, const char *path, int sync)
{
	int saved;

	if (fflush(fp) != 0 || ferror(fp) || (sync && fsync(fileno(fp)) < 0)) {
		saved = errno != 0 ? errno : EIO;
		archive_file_abort(fp, tmp);
		errno = saved;
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (sync && fs_fsync_parent(path) < 0)
		return -1;
	return 0;
}

/* Whether path holds exactly data[0..len). */
static int
file_same(const char *path, const char *data, size_t len)
{
	char chunk[65536];
	struct stat st;
	size_t off = 0, n;
	FILE *fp;
	int same;

	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	same = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == len;
	while (same && off < len) {
		n = fread(chunk, 1, sizeof(chunk), fp);
		same = n > 0 && n <= len - off &&
		    memcmp(chunk, data + off, n) == 0;
		off += n;
	}
	fclose(fp);
	return same;
}

int
archive_file_put(const char *path, const char *data, size_t len)
{
	struct buf tmp = BUF_INIT;
	FILE *fp;
	int rc = -1;

	if (file_same(path, data, len)) {
		rc = 0;
		goto out;
	}
	if ((fp = archive_file_begin(path, &tmp)) == NULL)
		goto out;
	if (len > 0 && fwrite(data, 1, len, fp) != len) {
		archive_file_abort(fp, tmp.data);
		goto out;
	}
	if (archive_file_commit(fp, tmp.data, path, 0) == 0)
		rc = 1;
out:
	buf_free(&tmp);
	return rc;
}
