/*
 * fsutil.c — directory creation and directory fsync.
 *
 * Owns nothing.  Each function returns 0, or -1 with errno set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"

int
fs_mkdir_parents(const char *path, mode_t mode)
{
	char *copy = xstrdup(path), *p;
	int rc = 0, saved = 0;

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			rc = -1;
			saved = errno;
		}
		*p = '/';
	}
	free(copy);
	if (rc < 0)
		errno = saved;
	return rc;
}

int
fs_mkdir_all(const char *dir, mode_t mode)
{
	if (fs_mkdir_parents(dir, mode) < 0)
		return -1;
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
fs_fsync_dir(const char *dir)
{
	int fd, rc, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
fs_fsync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash;
	int rc;

	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = fs_fsync_dir(dir);
	free(dir);
	return rc;
}
