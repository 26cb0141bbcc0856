/*
 * test_relay.c — the outbound client: target parsing, a real Postfix
 * smtp-sink (SMTP and LMTP, rejections, 421, disconnects), a scripted
 * fake relay thread for every fault the reliability notes list (§2.2 and
 * fault scenarios 6-10), and the Maildir transport.
 *
 * Everything listens on 127.0.0.1 only.  Each test stops what it started
 * (smtp-sink by pid, the fake by joining its thread) and removes its
 * temporary directories.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "relay.h"

#define FROM	"team-bounces@example.org"
#define BODY	"Subject: hello\r\n\r\nBODYMARK line\r\n.leading dot\r\n"
#define G	"220 fake ESMTP\r\n"
#define EHLO_P	"250-fake\r\n250-8BITMIME\r\n250 PIPELINING\r\n"
#define EHLO_N	"250-fake\r\n250 8BITMIME\r\n"

/* ---- small helpers --------------------------------------------------- */

static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static char *
tmpdir_new(void)
{
	char *d = xstrdup("/tmp/postino-relay-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
tmpdir_rm(char **d)
{
	if (*d == NULL)
		return;
	nftw(*d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*d);
	*d = NULL;
}

static void
rcpts_set(struct store_rcpt *r, const char *const *addrs, size_t n)
{
	size_t i;

	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++)
		snprintf(r[i].addr, sizeof(r[i].addr), "%s", addrs[i]);
}

static struct relay_conn *
conn_open(const char *spec, int timeout)
{
	struct relay_target t;
	struct relay_conn *c = NULL;
	const char *error;
	char err[256];

	assert_int_equal(relay_target_parse(spec, &t, &error), 0);
	if (relay_connect(&t, "test.example.org", timeout, &c, err,
	    sizeof(err)) < 0)
		fail_msg("connect %s: %s", spec, err);
	relay_target_clear(&t);
	return c;
}

/* ---- target parsing -------------------------------------------------- */

static const char E_SPEC[] = "relay: expected smtp://HOST:PORT, "
    "lmtp://HOST:PORT, lmtp:unix:PATH or maildir:DIR";

static void
test_target_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum relay_kind kind;
		const char *host, *port, *path, *error;
	} rows[] = {
		{ "smtp://127.0.0.1:25", 0, RELAY_SMTP, "127.0.0.1", "25",
		    NULL, NULL },
		{ "lmtp://mx.example.org:24", 0, RELAY_LMTP,
		    "mx.example.org", "24", NULL, NULL },
		{ "smtp://[::1]:2525", 0, RELAY_SMTP, "::1", "2525", NULL,
		    NULL },
		{ "lmtp:unix:/run/dovecot/lmtp", 0, RELAY_LMTP, NULL, NULL,
		    "/run/dovecot/lmtp", NULL },
		{ "maildir:var/outbox", 0, RELAY_MAILDIR, NULL, NULL,
		    "var/outbox", NULL },
		{ "smtp://host:0", -1, 0, NULL, NULL, NULL, "relay: bad port" },
		{ "smtp://host:65536", -1, 0, NULL, NULL, NULL,
		    "relay: bad port" },
		{ "smtp://host:25x", -1, 0, NULL, NULL, NULL,
		    "relay: bad port" },
		{ "smtp://host:", -1, 0, NULL, NULL, NULL, "relay: bad port" },
		{ "smtp://host", -1, 0, NULL, NULL, NULL, E_SPEC },
		{ "smtp://::1:25", -1, 0, NULL, NULL, NULL, "relay: bad host" },
		{ "smtp://[::1]25", -1, 0, NULL, NULL, NULL, E_SPEC },
		{ "smtp://:25", -1, 0, NULL, NULL, NULL, "relay: bad host" },
		{ "http://host:80", -1, 0, NULL, NULL, NULL, E_SPEC },
		{ "maildir:", -1, 0, NULL, NULL, NULL, E_SPEC },
		{ "lmtp:unix:", -1, 0, NULL, NULL, NULL, E_SPEC },
		{ "", -1, 0, NULL, NULL, NULL, E_SPEC },
	};
	struct relay_target t;
	const char *error;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		error = NULL;
		assert_int_equal(relay_target_parse(rows[i].in, &t, &error),
		    rows[i].rc);
		if (rows[i].rc < 0) {
			assert_string_equal(error, rows[i].error);
			continue;
		}
		assert_int_equal(t.kind, rows[i].kind);
		if (rows[i].host != NULL)
			assert_string_equal(t.host, rows[i].host);
		else
			assert_null(t.host);
		if (rows[i].port != NULL)
			assert_string_equal(t.port, rows[i].port);
		if (rows[i].path != NULL)
			assert_string_equal(t.path, rows[i].path);
		relay_target_clear(&t);
	}
}

/* ---- a scripted fake relay ------------------------------------------- */

/*
 * The fake accepts one connection, sends script[0], then answers each
 * command line (and each final dot) with the next entry.  Entries are
 * sent as they are, several replies or garbage included, except:
 *   "!close"     close without replying;
 *   "!close:X"   send X, then close;
 *   "!354close"  answer DATA with 354, then close at once;
 *   "!hang"      never answer; wait for the client to go away;
 *   "!long"      a 10 KB reply line.
 * When the script is exhausted, QUIT gets 221 and anything else a close.
 */
struct fake {
	int		 lfd;
	int		 port;
	pthread_t	 th;
	const char	*const *script;
	struct buf	 got;		/* every byte the client sent */
	int		 pipelined;	/* a command came with more behind it */
	int		 chained;	/* a final dot came with more behind it */
	int		 joined;
};

struct fake_in {
	int		 fd;
	struct buf	 b;
	size_t		 off;
};

/* One line, CRLF included, appended to f->got; 0 at EOF. */
static size_t
fake_line(struct fake *f, struct fake_in *in)
{
	char *nl, tmp[4096];
	ssize_t n;
	size_t len;
	struct pollfd pfd = { in->fd, POLLIN, 0 };

	while ((nl = in->b.len > in->off ? memchr(in->b.data + in->off, '\n',
	    in->b.len - in->off) : NULL) == NULL) {
		if (poll(&pfd, 1, 10000) <= 0 ||
		    (n = read(in->fd, tmp, sizeof(tmp))) <= 0)
			return 0;
		buf_append(&in->b, tmp, (size_t)n);
	}
	len = (size_t)(nl - (in->b.data + in->off)) + 1;
	buf_append(&f->got, in->b.data + in->off, len);
	in->off += len;
	return len;
}

static void
fake_send(int fd, const char *s)
{
	char line[10010];

	if (strcmp(s, "!long") == 0) {
		memset(line, 'x', sizeof(line));
		memcpy(line, "250 ", 4);
		memcpy(line + sizeof(line) - 2, "\r\n", 2);
		(void)!write(fd, line, sizeof(line));
		return;
	}
	(void)!write(fd, s, strlen(s));
}

/* Answer one command; 0 to go on, 1 to enter DATA, -1 to stop. */
static int
fake_answer(struct fake *f, struct fake_in *in, size_t *idx,
    const char *cmd)
{
	const char *rep = f->script[++*idx];
	char tmp[256];

	if (rep == NULL) {
		if (strncasecmp(cmd, "QUIT", 4) == 0)
			fake_send(in->fd, "221 bye\r\n");
		return -1;
	}
	if (strcmp(rep, "!close") == 0)
		return -1;
	if (strncmp(rep, "!close:", 7) == 0) {
		fake_send(in->fd, rep + 7);
		return -1;
	}
	if (strcmp(rep, "!354close") == 0) {
		fake_send(in->fd, "354 go\r\n");
		return -1;
	}
	if (strcmp(rep, "!hang") == 0) {
		while (read(in->fd, tmp, sizeof(tmp)) > 0)
			;
		return -1;
	}
	fake_send(in->fd, rep);
	return strncasecmp(cmd, "DATA\r\n", 6) == 0 &&
	    strncmp(rep, "354", 3) == 0;
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	struct fake_in in = { -1, BUF_INIT, 0 };
	struct pollfd pfd = { f->lfd, POLLIN, 0 };
	size_t idx = 0, len;
	int data = 0, rc;

	if (poll(&pfd, 1, 10000) <= 0 || (in.fd = accept(f->lfd, NULL,
	    NULL)) < 0)
		return NULL;
	if (strcmp(f->script[0], "!close") == 0)
		goto out;
	fake_send(in.fd, f->script[0]);
	while ((len = fake_line(f, &in)) > 0) {
		const char *line = f->got.data + f->got.len - len;

		if (data && strcmp(line, ".\r\n") != 0)
			continue;
		if (in.b.len > in.off)
			*(data ? &f->chained : &f->pipelined) += 1;
		data = 0;
		if ((rc = fake_answer(f, &in, &idx, line)) < 0)
			break;
		data = rc;
	}
out:
	close(in.fd);
	buf_free(&in.b);
	return NULL;
}

static struct fake *
fake_start(const char *const *script)
{
	struct fake *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	f->script = script;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &sl), 0);
	f->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
	return f;
}

/* Wait until the fake has served its connection. */
static void
fake_join(struct fake *f)
{
	if (!f->joined)
		pthread_join(f->th, NULL);
	f->joined = 1;
}

static void
fake_stop(struct fake **fp)
{
	struct fake *f = *fp;

	fake_join(f);
	close(f->lfd);
	buf_free(&f->got);
	free(f);
	*fp = NULL;
}

static struct relay_conn *
fake_conn(struct fake *f, int lmtp, int timeout)
{
	char spec[64];

	snprintf(spec, sizeof(spec), "%s://127.0.0.1:%d", lmtp ? "lmtp" :
	    "smtp", f->port);
	return conn_open(spec, timeout);
}

/* ---- fault table against the fake ------------------------------------ */

struct fake_case {
	const char	*label;
	int		 lmtp;
	const char	*script[16];
	const char	*rcpts[4];
	int		 rc;		/* relay_send's return */
	enum outcome	 want[4];
	int		 code[4];	/* 0: not checked */
	const char	*from;		/* NULL: FROM */
	const char	*body;		/* NULL: BODY */
	const char	*sent;		/* must be in what the relay got */
	const char	*not_sent;	/* must not be */
	int		 pipelined;	/* -1 any, 0 never, 1 at least once */
	int		 timeout;	/* 0: 5 s */
};

#define T	OUT_TEMP
#define P	OUT_PERM
#define OK	OUT_OK

static const struct fake_case cases[] = {
	{ "all accepted", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "250 2.0.0 queued\r\n" },
	    { "a@x.org", "b@x.org" }, 0, { OK, OK }, { 250, 250 }, NULL, NULL,
	    "MAIL FROM:<" FROM ">\r\nRCPT TO:<a@x.org>\r\n"
	    "RCPT TO:<b@x.org>\r\nDATA\r\n", NULL, 1, 0 },
	{ "mixed RCPT 250/450/550", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "450 4.2.0 busy\r\n", "550 5.1.1 unknown\r\n", "354 go\r\n",
	    "250 ok\r\n" }, { "a@x.org", "b@x.org", "c@x.org" }, 0,
	    { OK, T, P }, { 250, 450, 550 }, NULL, NULL, "BODYMARK", NULL, 1,
	    0 },
	{ "552 on RCPT is too many recipients", 0, { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "552 5.5.3 too many recipients\r\n", "354 go\r\n",
	    "250 ok\r\n" }, { "a@x.org", "b@x.org" }, 0, { OK, T },
	    { 250, 552 }, NULL, NULL, NULL, NULL, -1, 0 },
	{ "MAIL 451 defers all", 0, { G, EHLO_P, "451 4.3.0 later\r\n",
	    "503 no\r\n", "503 no\r\n", "503 no\r\n", "250 reset\r\n" },
	    { "a@x.org", "b@x.org" }, 0, { T, T }, { 451, 451 }, NULL, NULL,
	    "DATA\r\nRSET\r\n", "BODYMARK", -1, 0 },
	{ "MAIL 550 defers all", 0, { G, EHLO_P, "550 5.7.1 no\r\n",
	    "503 no\r\n", "503 no\r\n", "250 reset\r\n" }, { "a@x.org" }, 0,
	    { T }, { 550 }, NULL, NULL, "RSET", "BODYMARK", -1, 0 },
	{ "DATA 554 without recipients", 0, { G, EHLO_P, "250 ok\r\n",
	    "550 no\r\n", "550 no\r\n", "554 no valid recipients\r\n",
	    "250 reset\r\n" }, { "a@x.org", "b@x.org" }, 0, { P, P },
	    { 550, 550 }, NULL, NULL, "RSET", "BODYMARK", -1, 0 },
	{ "DATA 451", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "550 no\r\n", "451 later\r\n", "250 reset\r\n" },
	    { "a@x.org", "b@x.org" }, 0, { T, P }, { 451, 550 }, NULL, NULL,
	    "RSET", "BODYMARK", -1, 0 },
	{ "DATA 554", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "554 no\r\n", "250 reset\r\n" }, { "a@x.org" }, 0, { P }, { 554 },
	    NULL, NULL, "RSET", "BODYMARK", -1, 0 },
	{ "final dot 451", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "450 busy\r\n", "354 go\r\n", "451 4.3.0 error\r\n" },
	    { "a@x.org", "b@x.org" }, 0, { T, T }, { 451, 450 }, NULL, NULL,
	    "BODYMARK", NULL, -1, 0 },
	{ "final dot 554", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "354 go\r\n", "554 5.7.1 spam\r\n" }, { "a@x.org" }, 0, { P },
	    { 554 }, NULL, NULL, NULL, NULL, -1, 0 },
	{ "421 mid-way", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "!close:421 4.3.2 shutting down\r\n" },
	    { "a@x.org", "b@x.org", "c@x.org" }, -1, { T, T, T },
	    { 421, 421, 421 }, NULL, NULL, NULL, "BODYMARK", -1, 0 },
	{ "closed mid-DATA", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "!354close" }, { "a@x.org" }, -1, { T }, { 451 }, NULL, NULL,
	    NULL, NULL, -1, 0 },
	{ "closed after the dot", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "550 no\r\n", "354 go\r\n", "!close" }, { "a@x.org", "b@x.org" },
	    -1, { T, P }, { 451, 550 }, NULL, NULL, "BODYMARK", NULL, -1, 0 },
	{ "never replies to the dot", 0, { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "!hang" }, { "a@x.org" }, -1, { T },
	    { 451 }, NULL, NULL, NULL, NULL, -1, 1 },
	{ "garbage 2x0", 0, { G, EHLO_P, "250 ok\r\n", "2x0 what\r\n" },
	    { "a@x.org", "b@x.org" }, -1, { T, T }, { 451, 451 }, NULL, NULL,
	    NULL, "BODYMARK", -1, 0 },
	{ "garbage 999", 0, { G, EHLO_P, "250 ok\r\n", "550 no\r\n",
	    "999 what\r\n" }, { "a@x.org", "b@x.org" }, -1, { T, T },
	    { 451, 451 }, NULL, NULL, NULL, "BODYMARK", -1, 0 },
	{ "10 KB reply line", 0, { G, EHLO_P, "250 ok\r\n", "!long" },
	    { "a@x.org" }, -1, { T }, { 451 }, NULL, NULL, NULL, "BODYMARK",
	    -1, 0 },
	{ "multi-line code mismatch", 0, { G, EHLO_P, "250 ok\r\n",
	    "250-ok\r\n451 no\r\n" }, { "a@x.org" }, -1, { T }, { 451 }, NULL,
	    NULL, NULL, "BODYMARK", -1, 0 },
	{ "extra reply to RCPT", 0, { G, EHLO_P, "250 ok\r\n",
	    "550 no\r\n550 extra\r\n", "250 ok\r\n" },
	    { "a@x.org", "b@x.org" }, -1, { T, T }, { 451, 451 }, NULL, NULL,
	    NULL, "BODYMARK", -1, 0 },
	{ "extra reply after the dot", 0, { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "250 ok\r\n250 extra\r\n" },
	    { "a@x.org" }, -1, { T }, { 451 }, NULL, NULL, NULL, NULL, -1, 0 },
	{ "LMTP one reply per recipient", 1, { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "550 no\r\n", "250 ok\r\n", "354 go\r\n",
	    "250 2.0.0 a ok\r\n452 4.2.2 c full\r\n" },
	    { "a@x.org", "b@x.org", "c@x.org" }, 0, { OK, P, T },
	    { 250, 550, 452 }, NULL, NULL, "LHLO test.example.org\r\n", NULL,
	    1, 0 },
	{ "LMTP lost after the first reply", 1, { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "!close:250 a ok\r\n" },
	    { "a@x.org", "b@x.org" }, -1, { OK, T }, { 250, 451 }, NULL, NULL,
	    NULL, NULL, -1, 0 },
	{ "no PIPELINING: one command at a time", 0, { G, EHLO_N,
	    "250 ok\r\n", "250 ok\r\n", "550 no\r\n", "354 go\r\n",
	    "250 ok\r\n" }, { "a@x.org", "b@x.org" }, 0, { OK, P },
	    { 250, 550 }, NULL, NULL, "BODYMARK", NULL, 0, 0 },
	{ "EHLO 502 falls back to HELO", 0, { G, "502 5.5.1 what\r\n",
	    "250 hi\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
	    "250 ok\r\n" }, { "a@x.org" }, 0, { OK }, { 250 }, NULL, NULL,
	    "HELO test.example.org\r\n", NULL, 0, 0 },
	{ "null sender", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "354 go\r\n", "250 ok\r\n" }, { "a@x.org" }, 0, { OK }, { 250 },
	    "", NULL, "MAIL FROM:<>\r\n", NULL, -1, 0 },
	{ "dot-stuffing", 0, { G, EHLO_P, "250 ok\r\n", "250 ok\r\n",
	    "354 go\r\n", "250 ok\r\n" }, { "a@x.org" }, 0, { OK }, { 250 },
	    NULL, ".one\r\n..two\r\nthree\r\n.", "\r\n..one\r\n...two\r\n"
	    "three\r\n..\r\n.\r\n", NULL, -1, 0 },
	{ "unsafe addresses are not sent", 0, { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "250 ok\r\n" },
	    { "a@x.org", "b\r\nDATA@x.org", "c<d@x.org" }, 0, { OK, P, P },
	    { 250, 553, 553 }, NULL, NULL, "RCPT TO:<a@x.org>\r\nDATA\r\n",
	    "d@x.org", -1, 0 },
	{ "SIZE honoured", 0, { G, "250-fake\r\n250-SIZE 20\r\n"
	    "250 PIPELINING\r\n" }, { "a@x.org" }, 0, { P }, { 552 }, NULL,
	    NULL, NULL, "MAIL FROM", -1, 0 },
	{ "SIZE parameter sent", 0, { G, "250-fake\r\n250-SIZE 100000\r\n"
	    "250 PIPELINING\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n",
	    "250 ok\r\n" }, { "a@x.org" }, 0, { OK }, { 250 }, NULL, NULL,
	    "> SIZE=", NULL, -1, 0 },
};

static void
check_case(const struct fake_case *fc)
{
	struct store_rcpt r[4];
	struct relay_txn txn;
	struct relay_conn *c;
	struct fake *f;
	size_t n = 0, i;
	int rc;

	while (n < 4 && fc->rcpts[n] != NULL)
		n++;
	rcpts_set(r, fc->rcpts, n);
	memset(&txn, 0, sizeof(txn));
	txn.from = fc->from != NULL ? fc->from : FROM;
	txn.body = fc->body != NULL ? fc->body : BODY;
	txn.len = strlen(txn.body);
	txn.rcpts = r;
	txn.nrcpts = n;
	f = fake_start(fc->script);
	c = fake_conn(f, fc->lmtp, fc->timeout ? fc->timeout : 5);
	rc = relay_send(c, &txn, 1);
	relay_close(&c);
	fake_join(f);
	if (rc != fc->rc)
		fail_msg("%s: relay_send returned %d, want %d", fc->label, rc,
		    fc->rc);
	for (i = 0; i < n; i++) {
		if (r[i].outcome != fc->want[i] ||
		    (fc->code[i] && r[i].code != fc->code[i]))
			fail_msg("%s: rcpt %zu: outcome %d code %d (%s), want "
			    "%d %d", fc->label, i, r[i].outcome, r[i].code,
			    r[i].text, fc->want[i], fc->code[i]);
	}
	if (fc->sent != NULL && strstr(f->got.data, fc->sent) == NULL)
		fail_msg("%s: relay did not get \"%s\" in:\n%s", fc->label,
		    fc->sent, f->got.data);
	if (fc->not_sent != NULL && f->got.len > 0 &&
	    strstr(f->got.data, fc->not_sent) != NULL)
		fail_msg("%s: relay got \"%s\"", fc->label, fc->not_sent);
	if (fc->pipelined >= 0 && (f->pipelined > 0) != fc->pipelined)
		fail_msg("%s: pipelined %d times", fc->label, f->pipelined);
	fake_stop(&f);
}

static void
test_fake_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* ---- several transactions in one call -------------------------------- */

static const char *const script_three[] = {
	G, EHLO_P,
	"250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok 1\r\n",
	"250 ok\r\n", "550 no\r\n", "554 no valid recipients\r\n",
	"250 reset\r\n",
	"250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok 3\r\n",
	NULL
};

/* Three one-recipient transactions, their bodies given, or made on
 * demand (relay_txn's fill) as personalized copies are. */
static const char *const fill_bodies[] = { "Body: one\r\n", "Body: two\r\n",
    "Body: three\r\n" };
static int fill_calls;

static void
fill_body(struct relay_txn *t, void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;

	fill_calls++;
	t->body = fill_bodies[i];
	assert_int_equal(t->len, strlen(fill_bodies[i]));
}

static void
three_txns(struct store_rcpt *r, struct relay_txn *txns, int lazy)
{
	static const char *const addrs[] = { "a@x.org", "b@x.org", "c@x.org" };
	size_t i;

	rcpts_set(r, addrs, 3);
	for (i = 0; i < 3; i++) {
		memset(&txns[i], 0, sizeof(txns[i]));
		txns[i].from = FROM;
		txns[i].rcpts = &r[i];
		txns[i].nrcpts = 1;
		txns[i].len = strlen(fill_bodies[i]);
		if (lazy) {
			txns[i].body8 = -1;
			txns[i].fill = fill_body;
			txns[i].fill_arg = (void *)(uintptr_t)i;
		} else
			txns[i].body = fill_bodies[i];
	}
}

/* Three one-recipient transactions (personalized fan-out), the second
 * refused: the others still go, and bodies ride with the next commands. */
static void
test_personalized(void **state)
{
	struct store_rcpt r[3];
	struct relay_txn txns[3];
	struct relay_conn *c;
	struct fake *f;

	(void)state;
	three_txns(r, txns, 0);
	f = fake_start(script_three);
	c = fake_conn(f, 0, 5);
	assert_int_equal(relay_send(c, txns, 3), 0);
	relay_close(&c);
	fake_join(f);
	assert_int_equal(r[0].outcome, OUT_OK);
	assert_string_equal(r[0].text, "250 ok 1");
	assert_int_equal(r[1].outcome, OUT_PERM);
	assert_int_equal(r[1].code, 550);
	assert_int_equal(r[2].outcome, OUT_OK);
	assert_string_equal(r[2].text, "250 ok 3");
	assert_non_null(strstr(f->got.data, "Body: one\r\n.\r\nMAIL FROM:<"));
	assert_non_null(strstr(f->got.data, "DATA\r\nRSET\r\nMAIL FROM:<"));
	assert_null(strstr(f->got.data, "Body: two"));
	assert_non_null(strstr(f->got.data, "Body: three\r\n.\r\nQUIT\r\n"));
	assert_int_equal(f->chained, 1);	/* the third dot goes alone */
	fake_stop(&f);
}

/* The same with bodies made on demand: each filled once, ahead of its
 * turn, and the wire is the same. */
static void
test_personalized_fill(void **state)
{
	struct store_rcpt r[3];
	struct relay_txn txns[3];
	struct relay_conn *c;
	struct fake *f;

	(void)state;
	three_txns(r, txns, 1);
	fill_calls = 0;
	f = fake_start(script_three);
	c = fake_conn(f, 0, 5);
	assert_int_equal(relay_send(c, txns, 3), 0);
	relay_close(&c);
	fake_join(f);
	assert_int_equal(fill_calls, 3);
	assert_int_equal(r[0].outcome, OUT_OK);
	assert_int_equal(r[1].outcome, OUT_PERM);
	assert_int_equal(r[2].outcome, OUT_OK);
	assert_non_null(strstr(f->got.data, "Body: one\r\n.\r\nMAIL FROM:<"));
	assert_null(strstr(f->got.data, "Body: two"));
	assert_non_null(strstr(f->got.data, "Body: three\r\n.\r\nQUIT\r\n"));
	fake_stop(&f);
}

/* The connection breaks in the second of three transactions: the first
 * keeps its result, the rest are deferred, and -1 says reconnect. */
static void
test_lost_mid_batch(void **state)
{
	static const char *const script[] = { G, EHLO_P, "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "250 ok 1\r\n", "250 ok\r\n",
	    "250 ok\r\n", "354 go\r\n", "!close", NULL };
	static const char *const addrs[] = { "a@x.org", "b@x.org", "c@x.org" };
	struct store_rcpt r[3];
	struct relay_txn txns[3];
	struct relay_conn *c;
	struct fake *f;
	size_t i;

	(void)state;
	rcpts_set(r, addrs, 3);
	for (i = 0; i < 3; i++) {
		memset(&txns[i], 0, sizeof(txns[i]));
		txns[i].from = FROM;
		txns[i].rcpts = &r[i];
		txns[i].nrcpts = 1;
		txns[i].body = BODY;
		txns[i].len = strlen(BODY);
	}
	f = fake_start(script);
	c = fake_conn(f, 0, 5);
	assert_int_equal(relay_send(c, txns, 3), -1);
	/* A broken connection refuses further work without touching it. */
	r[0].outcome = OUT_PERM;
	assert_int_equal(relay_send(c, txns, 1), -1);
	assert_int_equal(r[0].outcome, OUT_TEMP);
	r[0].outcome = OUT_OK;
	relay_close(&c);
	fake_stop(&f);
	assert_int_equal(r[1].outcome, OUT_TEMP);
	assert_non_null(strstr(r[1].text, "connection lost before final"));
	assert_int_equal(r[2].outcome, OUT_TEMP);
}

/* ---- connection failures --------------------------------------------- */

static void
test_connect_failures(void **state)
{
	static const struct {
		const char *script[3];
		const char *want;
	} rows[] = {
		{ { "554 5.7.1 go away\r\n", NULL }, "554 5.7.1 go away" },
		{ { "421 4.3.2 busy\r\n", NULL }, "421 4.3.2 busy" },
		{ { G, "451 4.3.0 no\r\n", NULL }, "451 4.3.0 no" },
		{ { "220-a\r\n230 b\r\n", NULL }, "inconsistent" },
		{ { "!close", NULL }, "closed" },
	};
	struct relay_target t;
	struct relay_conn *c = NULL;
	struct fake *f;
	const char *error;
	char spec[64], err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		f = fake_start(rows[i].script);
		snprintf(spec, sizeof(spec), "smtp://127.0.0.1:%d", f->port);
		assert_int_equal(relay_target_parse(spec, &t, &error), 0);
		err[0] = '\0';
		assert_int_equal(relay_connect(&t, "h", 5, &c, err,
		    sizeof(err)), -1);
		assert_null(c);
		if (strstr(err, rows[i].want) == NULL)
			fail_msg("row %zu: error \"%s\"", i, err);
		relay_target_clear(&t);
		fake_stop(&f);
	}
	snprintf(spec, sizeof(spec), "smtp://127.0.0.1:%d", free_port());
	assert_int_equal(relay_target_parse(spec, &t, &error), 0);
	assert_int_equal(relay_connect(&t, "h", 5, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refused"));
	relay_target_clear(&t);
}

/* ---- a real Postfix smtp-sink ---------------------------------------- */

struct sink {
	pid_t	 pid;
	int	 port;
	char	*dir;
};

static pid_t sink_pid = -1;	/* killed by the teardown if a test fails */

static int
sink_teardown(void **state)
{
	(void)state;
	if (sink_pid > 0) {
		kill(sink_pid, SIGTERM);
		waitpid(sink_pid, NULL, 0);
	}
	sink_pid = -1;
	return 0;
}

static void
sink_exec(const char *tmpl, const char *addr, const char *o1,
    const char *o2)
{
	const char *argv[10];
	int i = 0, fd;

	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	argv[i++] = "smtp-sink";
	argv[i++] = "-u";
	argv[i++] = "nobody";
	argv[i++] = "-d";
	argv[i++] = tmpl;
	if (o1 != NULL)
		argv[i++] = o1;
	if (o2 != NULL)
		argv[i++] = o2;
	argv[i++] = addr;
	argv[i++] = "100";
	argv[i] = NULL;
	execv("/usr/sbin/smtp-sink", (char *const *)argv);
	_exit(127);
}

/* A plain TCP connect, to see whether the sink listens yet. */
static int
port_open(int port)
{
	struct sockaddr_in sin;
	int fd, rc;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc == 0;
}

static void
sink_start(struct sink *s, const char *o1, const char *o2)
{
	char addr[32], tmpl[128];
	int i;

	s->dir = tmpdir_new();
	chmod(s->dir, 0777);		/* smtp-sink drops to nobody */
	s->port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", s->port);
	snprintf(tmpl, sizeof(tmpl), "%s/m.", s->dir);
	if ((s->pid = fork()) == 0)
		sink_exec(tmpl, addr, o1, o2);
	assert_true(s->pid > 0);
	sink_pid = s->pid;
	for (i = 0; i < 300 && !port_open(s->port); i++)
		usleep(10000);
	assert_true(i < 300);
}

static void
sink_stop(struct sink *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	sink_pid = -1;
	tmpdir_rm(&s->dir);
}

/* Number of dumped messages, and the text of the last one read. */
static int
sink_dumps(const struct sink *s, struct buf *last)
{
	char path[512], tmp[4096];
	struct dirent *de;
	DIR *d = opendir(s->dir);
	FILE *fp;
	size_t n;
	int count = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "m.", 2) != 0)
			continue;
		count++;
		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		buf_reset(last);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
			buf_append(last, tmp, n);
		fclose(fp);
	}
	closedir(d);
	return count;
}

static int
sink_send(struct sink *s, int lmtp, struct relay_txn *txns, size_t n)
{
	struct relay_conn *c;
	char spec[64];
	int rc, i;

	snprintf(spec, sizeof(spec), "%s://127.0.0.1:%d", lmtp ? "lmtp" :
	    "smtp", s->port);
	c = conn_open(spec, 5);
	rc = relay_send(c, txns, n);
	relay_close(&c);
	for (i = 0; i < 100 && rc == 0; i++)	/* let the sink write */
		usleep(1000);
	return rc;
}

static void
txn_one(struct relay_txn *t, struct store_rcpt *r, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->from = FROM;
	t->rcpts = r;
	t->nrcpts = n;
	t->body = BODY;
	t->len = strlen(BODY);
}

static void
test_sink_deliver(void **state)
{
	static const char *const addrs[] = { "a@x.org", "b@x.org", "c@x.org" };
	struct store_rcpt r[3];
	struct relay_txn t;
	struct sink s;
	struct buf got = BUF_INIT;
	size_t i;

	(void)state;
	sink_start(&s, NULL, NULL);
	rcpts_set(r, addrs, 3);
	txn_one(&t, r, 3);
	assert_int_equal(sink_send(&s, 0, &t, 1), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(r[i].outcome, OUT_OK);
	assert_int_equal(sink_dumps(&s, &got), 1);
	assert_non_null(strstr(got.data, "X-Mail-Args: <" FROM ">"));
	assert_non_null(strstr(got.data, "X-Rcpt-Args: <c@x.org>"));
	assert_non_null(strstr(got.data, "BODYMARK line\n.leading dot\n"));
	buf_free(&got);
	sink_stop(&s);
}

/* 50 one-recipient transactions in one call: 50 messages. */
static void
test_sink_personalized(void **state)
{
	struct store_rcpt r[50];
	struct relay_txn t[50];
	struct sink s;
	struct buf got = BUF_INIT;
	size_t i;

	(void)state;
	sink_start(&s, NULL, NULL);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 50; i++) {
		snprintf(r[i].addr, sizeof(r[i].addr), "m%zu@x.org", i);
		txn_one(&t[i], &r[i], 1);
	}
	assert_int_equal(sink_send(&s, 0, t, 50), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(r[i].outcome, OUT_OK);
	for (i = 0; i < 500 && sink_dumps(&s, &got) < 50; i++)
		usleep(2000);
	assert_int_equal(sink_dumps(&s, &got), 50);
	buf_free(&got);
	sink_stop(&s);
}

/* smtp-sink options that reject or drop, and what each recipient gets. */
static void
test_sink_faults(void **state)
{
	static const struct {
		const char *o1, *o2;
		int lmtp, rc;
		enum outcome want;
		int code;
	} rows[] = {
		{ "-r", "RCPT", 0, 0, OUT_TEMP, 450 },
		{ "-f", "RCPT", 0, 0, OUT_PERM, 500 },
		{ "-r", "MAIL", 0, 0, OUT_TEMP, 450 },
		{ "-f", "DATA", 0, 0, OUT_PERM, 500 },
		{ "-f", ".", 0, 0, OUT_PERM, 500 },
		{ "-r", ".", 0, 0, OUT_TEMP, 450 },
		{ "-Q", "RCPT", 0, -1, OUT_TEMP, 421 },
		{ "-q", ".", 0, -1, OUT_TEMP, 451 },
		{ "-L", NULL, 1, 0, OUT_OK, 250 },
		{ "-p", NULL, 0, 0, OUT_OK, 250 },
	};
	static const char *const addrs[] = { "a@x.org", "b@x.org" };
	struct store_rcpt r[2];
	struct relay_txn t;
	struct sink s;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sink_start(&s, rows[i].o1, rows[i].o2);
		rcpts_set(r, addrs, 2);
		txn_one(&t, r, 2);
		if (sink_send(&s, rows[i].lmtp, &t, 1) != rows[i].rc)
			fail_msg("row %zu (%s %s): wrong return", i,
			    rows[i].o1, rows[i].o2);
		for (k = 0; k < 2; k++)
			if (r[k].outcome != rows[i].want ||
			    r[k].code != rows[i].code)
				fail_msg("row %zu (%s %s): rcpt %zu got %d "
				    "%d \"%s\"", i, rows[i].o1, rows[i].o2, k,
				    r[k].outcome, r[k].code, r[k].text);
		sink_stop(&s);
	}
}

/* ---- maildir --------------------------------------------------------- */

static int
count_files(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
read_only_file(const char *dir, struct buf *out)
{
	char path[1024], tmp[4096];
	struct dirent *de;
	DIR *d = opendir(dir);
	FILE *fp;
	size_t n;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	assert_non_null(de);
	snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	closedir(d);
	assert_non_null(fp = fopen(path, "r"));
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		buf_append(out, tmp, n);
	fclose(fp);
}

static void
test_maildir(void **state)
{
	static const char *const addrs[] = { "Alice@Example.org",
	    "bob@example.org", ".hidden@example.org", "a/b@example.org",
	    "../up@example.org" };
	struct store_rcpt r[5];
	struct relay_txn t;
	struct relay_conn *c;
	struct buf got = BUF_INIT;
	char *dir = tmpdir_new(), spec[256], path[512];

	(void)state;
	snprintf(spec, sizeof(spec), "maildir:%s/out/box", dir);
	c = conn_open(spec, 5);
	rcpts_set(r, addrs, 5);
	txn_one(&t, r, 5);
	assert_int_equal(relay_send(c, &t, 1), 0);
	relay_close(&c);
	assert_int_equal(r[0].outcome, OUT_OK);
	assert_int_equal(r[1].outcome, OUT_OK);
	assert_int_equal(r[2].outcome, OUT_PERM);
	assert_int_equal(r[3].outcome, OUT_PERM);
	assert_int_equal(r[4].outcome, OUT_PERM);
	snprintf(path, sizeof(path), "%s/out/box/alice@example.org/new", dir);
	assert_int_equal(count_files(path), 1);
	read_only_file(path, &got);
	assert_string_equal(got.data, "Return-Path: <" FROM ">\r\n"
	    "Delivered-To: <Alice@Example.org>\r\n" BODY);
	snprintf(path, sizeof(path), "%s/out/box/alice@example.org/tmp", dir);
	assert_int_equal(count_files(path), 0);
	snprintf(path, sizeof(path), "%s/out/box", dir);
	assert_int_equal(count_files(path), 2);	/* no unsafe boxes */
	snprintf(path, sizeof(path), "%s/out/up@example.org", dir);
	assert_int_equal(count_files(path), -1);
	buf_free(&got);
	tmpdir_rm(&dir);
}

/* A second delivery to the same box gets a second, distinct file; a box
 * that cannot be written is a temporary failure. */
static void
test_maildir_errors(void **state)
{
	static const char *const addrs[] = { "a@x.org" };
	struct store_rcpt r[1];
	struct relay_txn t;
	struct relay_conn *c;
	char *dir = tmpdir_new(), spec[256], path[512];

	(void)state;
	snprintf(spec, sizeof(spec), "maildir:%s", dir);
	c = conn_open(spec, 5);
	rcpts_set(r, addrs, 1);
	txn_one(&t, r, 1);
	assert_int_equal(relay_send(c, &t, 1), 0);
	assert_int_equal(relay_send(c, &t, 1), 0);
	snprintf(path, sizeof(path), "%s/a@x.org/new", dir);
	assert_int_equal(count_files(path), 2);
	/* A file where the box's tmp/ should be: no delivery possible. */
	snprintf(path, sizeof(path), "%s/b@x.org", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/b@x.org/tmp", dir);
	fclose(fopen(path, "w"));
	snprintf(r[0].addr, sizeof(r[0].addr), "b@x.org");
	assert_int_equal(relay_send(c, &t, 1), 0);
	assert_int_equal(r[0].outcome, OUT_TEMP);
	relay_close(&c);
	tmpdir_rm(&dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_parse),
		cmocka_unit_test(test_fake_cases),
		cmocka_unit_test(test_personalized),
		cmocka_unit_test(test_personalized_fill),
		cmocka_unit_test(test_lost_mid_batch),
		cmocka_unit_test(test_connect_failures),
		cmocka_unit_test_teardown(test_sink_deliver, sink_teardown),
		cmocka_unit_test_teardown(test_sink_personalized, sink_teardown),
		cmocka_unit_test_teardown(test_sink_faults, sink_teardown),
		cmocka_unit_test(test_maildir),
		cmocka_unit_test(test_maildir_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init("test_relay", LOG_L_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
