/*
 * relay_maildir.c — the development transport: "maildir:DIR" delivers
 * each recipient's copy into DIR/<address, lower-cased>/new/, so a
 * newcomer sees the whole flow without an MTA.
 *
 * The Maildir protocol: write tmp/<unique>, fsync, rename into new/,
 * fsync new/; a reader never sees a partial file.  Unique names are
 * "time.pid_counter.hostname" (the counter is per process and atomic, so
 * delivery threads never collide).  Each copy starts with Return-Path and
 * Delivered-To, like a local delivery agent writes them.
 *
 * Owns: nothing between calls.  Fails per recipient: an I/O error (full
 * disk, permissions) is OUT_TEMP, an address that cannot safely be a
 * directory name ('/', a leading '.', control characters) is OUT_PERM.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "relay.h"
#include "relay_int.h"

static atomic_ulong maildir_counter;

int
relay_maildir_open(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (fs_mkdir_all(dir, 0750) < 0 || stat(dir, &sb) < 0) {
		snprintf(err, errlen, "maildir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "maildir %s: not a writable directory",
		    dir);
		return -1;
	}
	return 0;
}

/* The directory name of an address: lower-cased; 0, or -1 if unsafe. */
static int
maildir_name(const char *addr, char name[ADDR_MAX])
{
	size_t i;

	if (!relay_addr_ok(addr, 0) || addr[0] == '.')
		return -1;
	for (i = 0; addr[i] != '\0'; i++) {
		if (addr[i] == '/')
			return -1;
		name[i] = (char)((addr[i] >= 'A' && addr[i] <= 'Z') ?
		    addr[i] - 'A' + 'a' : addr[i]);
	}
	name[i] = '\0';
	return 0;
}

/* The host part of unique names; '/' and ':' escaped as the Maildir
 * specification asks. */
static void
maildir_host(char *out, size_t size)
{
	char host[256];
	size_t i, n = 0;

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && n + 5 < size; i++) {
		if (host[i] == '/' || host[i] == ':')
			n += (size_t)snprintf(out + n, size - n, "\\%03o",
			    (unsigned char)host[i]);
		else
			out[n++] = host[i];
	}
	out[n] = '\0';
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create box/{tmp,new,cur}. */
static int
maildir_make(const char *box)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char path[PATH_MAX + 8];
	size_t i;

	if (mkdir(box, 0750) < 0 && errno != EEXIST)
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", box, sub[i]);
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* Write one copy into box/tmp/name, then move it to box/new/name. */
static int
maildir_write(const char *box, const char *name, const struct buf *hdr,
    const struct relay_txn *t)
{
	char tmp[PATH_MAX + 400], new[PATH_MAX + 400];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", box, name);
	snprintf(new, sizeof(new), "%s/new/%s", box, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (write_all(fd, hdr->data, hdr->len) < 0 ||
	    write_all(fd, t->body, t->len) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, new) < 0)
		goto fail_unlink;
	snprintf(tmp, sizeof(tmp), "%s/new", box);
	return fs_fsync_dir(tmp);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}

static void
maildir_deliver(const char *dir, const char *host, const struct relay_txn *t,
    struct store_rcpt *r)
{
	char name[ADDR_MAX], box[PATH_MAX], uniq[384], text[PATH_MAX + 64];
	struct buf hdr = BUF_INIT;

	if (!relay_addr_ok(t->from, 1)) {
		relay_rcpt_set(r, OUT_TEMP, 451, "451 4.1.7 invalid sender "
		    "address, not delivered");
		return;
	}
	if (maildir_name(r->addr, name) < 0) {
		relay_rcpt_set(r, OUT_PERM, 553, "553 5.1.3 address unsafe "
		    "as a maildir name, not delivered");
		return;
	}
	if ((size_t)snprintf(box, sizeof(box), "%s/%s", dir, name) >=
	    sizeof(box)) {
		relay_rcpt_set(r, OUT_TEMP, 451, "451 4.3.0 maildir path "
		    "too long");
		return;
	}
	snprintf(uniq, sizeof(uniq), "%lld.%ld_%lu.%s", (long long)time(NULL),
	    (long)getpid(), (unsigned long)atomic_fetch_add(&maildir_counter,
	    1), host);
	buf_printf(&hdr, "Return-Path: <%s>\r\nDelivered-To: <%s>\r\n",
	    t->from, r->addr);
	if (maildir_make(box) < 0 || maildir_write(box, uniq, &hdr, t) < 0) {
		snprintf(text, sizeof(text), "451 4.3.0 maildir %s: %s", box,
		    strerror(errno));
		relay_rcpt_set(r, OUT_TEMP, 451, text);
	} else
		relay_rcpt_set(r, OUT_OK, 250, "250 2.0.0 delivered to maildir");
	buf_free(&hdr);
}

void
relay_maildir_send(const char *dir, struct relay_txn *txns, size_t n)
{
	char host[256];
	size_t i, k;

	maildir_host(host, sizeof(host));
	for (i = 0; i < n; i++)
		for (k = 0; k < txns[i].nrcpts; k++)
			maildir_deliver(dir, host, &txns[i],
			    &txns[i].rcpts[k]);
}
