/*
 * priv.c — drop root for good: supplementary groups, gid, then uid, and
 * a check that root cannot be regained (OpenSMTPD and Postfix check the
 * same).  Owns nothing.  Fails with a message naming the account and the
 * step; the caller exits (EX_CONFIG_ for a bad account).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "priv.h"

static int
priv_fail(char **error_r, const char *user, const char *what)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "user %s: %s", user, what);
	if (errno != 0)
		buf_printf(&b, ": %s", strerror(errno));
	*error_r = buf_steal(&b, NULL);
	return -1;
}

void
priv_whoami(char *out, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;

	if (getuid() == 0 && sudo != NULL && *sudo != '\0')
		snprintf(out, len, "%s", sudo);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(out, len, "%s", pw->pw_name);
	else
		snprintf(out, len, "uid %lu", (unsigned long)getuid());
}

int
priv_drop(const char *user, char **error_r)
{
	struct passwd *pw;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	errno = 0;
	if (user == NULL || *user == '\0') {
		*error_r = xstrdup("refusing to run as root: name the account"
		    " postino runs as with 'user = ACCOUNT' (for example"
		    " 'user = postino', made with 'adduser --system --group"
		    " postino')");
		return -1;
	}
	if ((pw = getpwnam(user)) == NULL)
		return priv_fail(error_r, user, "no such account in the"
		    " password database");
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		errno = 0;
		return priv_fail(error_r, user, "has uid or gid 0; name an"
		    " unprivileged account");
	}
	if (setgroups(1, &pw->pw_gid) < 0)
		return priv_fail(error_r, user, "setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		return priv_fail(error_r, user, "setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return priv_fail(error_r, user, "setresuid");
	if (setuid(0) == 0 || geteuid() == 0) {
		errno = 0;
		return priv_fail(error_r, user, "root could be regained after"
		    " dropping privileges");
	}
	errno = 0;
	return 0;
}
