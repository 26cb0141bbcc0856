/*
 * fsutil.h — small file-system helpers shared by the store, the key file
 * and the maildir transport.
 */
#ifndef POSTINO_FSUTIL_H
#define POSTINO_FSUTIL_H

#include <sys/types.h>

/* Create the missing directories leading to path (not path itself). */
int	 fs_mkdir_parents(const char *path, mode_t mode);
/* Create directory dir and its missing parents. */
int	 fs_mkdir_all(const char *dir, mode_t mode);
/* fsync a directory, so that entries created in it are durable. */
int	 fs_fsync_dir(const char *dir);
/* fsync the directory that holds path. */
int	 fs_fsync_parent(const char *path);

#endif
