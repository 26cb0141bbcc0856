/*
 * priv.h — running as root only as long as needed.
 *
 * Like Postfix's mail_owner and Dovecot's default_internal_user: started
 * as root, postino binds its listeners, then becomes the account named by
 * the `user` setting for good (groups, gid, uid, in that order) before it
 * opens the database or reads a byte of mail.  It refuses to go on as
 * root when no account is named.
 */
#ifndef POSTINO_PRIV_H
#define POSTINO_PRIV_H

#include <stddef.h>

/*
 * Become user (a name from the password database) when running as root.
 * Returns 0 when done, or when not root (nothing to do); -1 with a
 * malloc'd *error_r when user is empty, unknown, root itself, or when
 * any step fails (the process must not go on then).
 */
int	priv_drop(const char *user, char **error_r);

/*
 * Who runs this process, for the record (the moderation log names the
 * shell user of a decision taken without --as): the account of the real
 * uid, or sudo's caller when that is root.  Call it before priv_drop.
 */
void	priv_whoami(char *out, size_t len);

#endif
