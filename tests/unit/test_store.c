/*
 * test_store.c — the store's lists, members, settings, roles, ingest,
 * inbox and posts (store_list.c, store_post.c), on a temporary database;
 * plus the per-list settings table (listconf.c) and json_str() (json.c),
 * which the CLI builds on.
 *
 * Each test opens a fresh database in its own temporary directory and
 * removes it afterwards.  Row counts are read with plain SQL through the
 * handle (store_int.h) so that a test sees what is really on disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/store_int.h"
#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "db.h"
#include "listconf.h"
#include "log.h"
#include "store.h"

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct store	*st;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error = NULL;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/postino-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(store_open(f->path, STORE_DURABLE, &f->st, &error), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	store_close(&f->st);
	assert_null(f->st);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The single integer a query returns. */
static int64_t
q(struct store *st, const char *sql)
{
	struct db_stmt *stmt = db_query(st->db, sql, "");
	int64_t v;

	assert_non_null(stmt);
	assert_int_equal(db_step(stmt), DB_ROW);
	v = db_col_int64(stmt, 0);
	db_reset(stmt);
	return v;
}

/* No transaction is left open on the handle: a new one can begin. */
static void
no_txn(struct store *st)
{
	assert_int_equal(db_begin(st->db), 0);
	db_rollback(st->db);
}

static int64_t
mklist(struct store *st, const char *addr)
{
	int64_t id = 0;

	assert_int_equal(store_list_create(st, addr, &id), 0);
	assert_true(id > 0);
	return id;
}

/* ---- lists ------------------------------------------------------- */

static int
collect_list(const struct store_list *l, void *arg)
{
	char *s = arg;

	strcat(s, l->addr);
	strcat(s, " ");
	return 0;
}

/* Take the next row the processor's way: claim one, then load it. */
static int
inbox_next(struct store *st, int max_attempts, struct store_inbox *in)
{
	int64_t id;
	int attempts, n;

	memset(in, 0, sizeof(*in));
	n = store_inbox_claim(st, max_attempts, 1, &id, &attempts);
	if (n <= 0)
		return n;
	assert_int_equal(store_inbox_get(st, id, in), 1);
	assert_int_equal(in->attempts, attempts);
	return 1;
}

static void
test_list_create_get(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct store_list l;
	char seen[256] = "";
	int64_t id, id2;

	id = mklist(st, "team@example.org");
	assert_int_equal(store_list_create(st, "team@example.org", &id2), 1);
	mklist(st, "alpha@example.org");
	assert_int_equal(store_list_get(st, "team@example.org", &l), 1);
	assert_int_equal(l.id, id);
	assert_string_equal(l.addr, "team@example.org");
	assert_true(l.created > 0);
	store_list_clear(&l);
	assert_null(l.addr);
	assert_int_equal(store_list_get(st, "nope@example.org", &l), 0);
	assert_int_equal(store_list_get_id(st, id, &l), 1);
	assert_string_equal(l.addr, "team@example.org");
	store_list_clear(&l);
	assert_int_equal(store_list_get_id(st, 9999, &l), 0);
	assert_int_equal(store_list_each(st, collect_list, seen), 0);
	assert_string_equal(seen, "alpha@example.org team@example.org ");
}

/* ---- members ----------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*addr;
	int		 want;
} member_rows[] = {
	{ "first add", "Ann@example.org", 0 },
	{ "same address", "Ann@example.org", 1 },
	{ "lower case is the same member", "ann@example.org", 1 },
	{ "upper case is the same member", "ANN@EXAMPLE.ORG", 1 },
	{ "another member", "bob@example.org", 0 },
	{ "third", "Carol.X@example.org", 0 },
};

static void
test_member_add_case(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct store_member m;
	int64_t list, other, id = 0, first = 0;
	size_t i;

	list = mklist(st, "team@example.org");
	other = mklist(st, "other@example.org");
	for (i = 0; i < sizeof(member_rows) / sizeof(member_rows[0]); i++) {
		int rc = store_member_add(st, list, member_rows[i].addr,
		    MODE_EACH, &id);

		if (rc != member_rows[i].want)
			fail_msg("%s: %s: got %d, want %d", member_rows[i].label,
			    member_rows[i].addr, rc, member_rows[i].want);
		if (i == 0)
			first = id;
		if (rc == 1 && i < 4)
			assert_int_equal(id, first);	/* the existing member */
	}
	assert_int_equal(store_member_count(st, list), 3);
	/* Lists are independent. */
	assert_int_equal(store_member_add(st, other, "ann@example.org",
	    MODE_DIGEST, NULL), 0);
	assert_int_equal(store_member_count(st, other), 1);
	/* Lookup is case-insensitive, the display form is kept. */
	assert_int_equal(store_member_get(st, list, "aNN@Example.Org", &m), 1);
	assert_string_equal(m.addr, "Ann@example.org");
	assert_int_equal(m.mode, MODE_EACH);
	assert_int_equal(m.list_id, list);
	store_member_clear(&m);
	assert_int_equal(store_member_get(st, list, "zed@example.org", &m), 0);
	assert_int_equal(store_member_max_id(st), q(st,
	    "SELECT max(id) FROM members"));
}

static int
collect_member(const struct store_member *m, void *arg)
{
	char *s = arg;

	strcat(s, m->addr);
	strcat(s, "=");
	strcat(s, member_mode_name(m->mode));
	strcat(s, " ");
	return 0;
}

static int
stop_first(const struct store_member *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 1;
}

static void
test_member_rm_mode_each(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	char seen[256] = "";
	enum member_mode mode;
	int64_t list;
	int calls = 0;

	list = mklist(st, "team@example.org");
	assert_int_equal(store_member_max_id(st), 0);
	assert_int_equal(store_member_add(st, list, "b@x.org", MODE_EACH,
	    NULL), 0);
	assert_int_equal(store_member_add(st, list, "A@x.org", MODE_EACH,
	    NULL), 0);
	assert_int_equal(store_member_set_mode(st, list, "a@X.ORG",
	    MODE_DIGEST), 0);
	assert_int_equal(store_member_each(st, list, collect_member, seen), 0);
	assert_string_equal(seen, "b@x.org=each A@x.org=digest ");
	assert_int_equal(store_member_each(st, list, stop_first, &calls), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(store_member_rm(st, list, "a@x.org"), 1);
	assert_int_equal(store_member_rm(st, list, "a@x.org"), 0);
	assert_int_equal(store_member_count(st, list), 1);
	/* Ids only grow: a re-added member is a later joiner. */
	assert_int_equal(store_member_add(st, list, "a@x.org", MODE_EACH,
	    NULL), 0);
	assert_int_equal(q(st, "SELECT id FROM members WHERE addr_key ="
	    " 'a@x.org'"), 3);
	assert_int_equal(member_mode_parse("nomail", &mode), 0);
	assert_int_equal(mode, MODE_NOMAIL);
	assert_int_equal(member_mode_parse("Each", &mode), -1);
	assert_string_equal(member_mode_name(MODE_DIGEST), "digest");
}

static void
test_member_import(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	char addr[64];
	int64_t list;
	int i, added = 0, dups = 0, rc;

	list = mklist(st, "big@example.org");
	assert_int_equal(store_member_add(st, list, "user7@example.org",
	    MODE_EACH, NULL), 0);
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 2000; i++) {
		/* every 100th repeats an earlier address in other case */
		if (i % 100 == 99)
			snprintf(addr, sizeof(addr), "USER%d@EXAMPLE.ORG", i - 1);
		else
			snprintf(addr, sizeof(addr), "user%d@example.org", i);
		rc = store_member_import_one(st, list, addr, MODE_DIGEST);
		assert_true(rc == 0 || rc == 1);
		if (rc == 0)
			added++;
		else
			dups++;
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(dups, 20 + 1);		/* 20 repeats + user7 */
	assert_int_equal(added, 2000 - 21);
	assert_int_equal(store_member_count(st, list), 2000 - 20);
	assert_int_equal(q(st, "SELECT count(*) FROM members WHERE mode ="
	    " 'digest'"), added);
}

/* ---- settings and roles ------------------------------------------ */

static int
collect_setting(const char *k, const char *v, void *arg)
{
	char *s = arg;

	strcat(s, k);
	strcat(s, "=");
	strcat(s, v);
	strcat(s, " ");
	return 0;
}

static int
collect_role(const char *addr, void *arg)
{
	strcat(arg, addr);
	strcat(arg, " ");
	return 0;
}

static void
test_settings_roles(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	char seen[256] = "", *v;
	int64_t list;

	list = mklist(st, "team@example.org");
	assert_int_equal(store_list_setting_get(st, list, "language", &v), 0);
	assert_null(v);
	assert_int_equal(store_list_setting_set(st, list, "language", "it"), 0);
	assert_int_equal(store_list_setting_set(st, list, "footer", "no"), 0);
	assert_int_equal(store_list_setting_set(st, list, "language", "en"), 0);
	assert_int_equal(store_list_setting_get(st, list, "language", &v), 1);
	assert_string_equal(v, "en");
	free(v);
	assert_int_equal(store_list_setting_each(st, list, collect_setting,
	    seen), 0);
	assert_string_equal(seen, "footer=no language=en ");

	seen[0] = '\0';
	assert_int_equal(store_role_add(st, list, "owner", "Boss@x.org"), 0);
	assert_int_equal(store_role_add(st, list, "owner", "boss@X.org"), 1);
	assert_int_equal(store_role_add(st, list, "owner", "a@x.org"), 0);
	assert_int_equal(store_role_add(st, list, "moderator", "m@x.org"), 0);
	assert_int_equal(store_role_add(st, list, "janitor", "j@x.org"), -1);
	assert_int_equal(store_role_each(st, list, "owner", collect_role,
	    seen), 0);
	assert_string_equal(seen, "a@x.org Boss@x.org ");
	assert_int_equal(store_role_rm(st, list, "owner", "BOSS@x.org"), 1);
	assert_int_equal(store_role_rm(st, list, "owner", "BOSS@x.org"), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM list_roles"), 2);
}

/* ---- ingest and inbox -------------------------------------------- */

static struct ingest *
mkingest(const char *sender, const char *body, int64_t list, int nrcpts)
{
	struct ingest *in = calloc(1, sizeof(*in));
	int i;

	assert_non_null(in);
	strcpy(in->sender, sender);
	in->body = body;
	in->len = strlen(body);
	in->nrcpts = (size_t)nrcpts;
	in->rcpts = calloc((size_t)nrcpts, sizeof(*in->rcpts));
	for (i = 0; i < nrcpts; i++) {
		snprintf(in->rcpts[i].addr, sizeof(in->rcpts[i].addr),
		    "team%s%d@example.org", i ? "+x" : "", i);
		in->rcpts[i].list_id = list;
		strcpy(in->rcpts[i].ext, i ? "x" : "");
	}
	return in;
}

static void
freeingest(struct ingest *in)
{
	free(in->rcpts);
	free(in);
}

static void
test_ingest_inbox(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct ingest *items[3];
	struct store_inbox in;
	int64_t list;
	char *body;
	size_t len;
	int i;

	list = mklist(st, "team@example.org");
	assert_int_equal(store_member_add(st, list, "m1@x.org", MODE_EACH,
	    NULL), 0);
	assert_int_equal(store_member_add(st, list, "m2@x.org", MODE_EACH,
	    NULL), 0);
	items[0] = mkingest("a@x.org", "Subject: one\r\n\r\nbody 1\r\n", list, 1);
	items[1] = mkingest("", "Subject: two\r\n\r\nbody 2\r\n", list, 2);
	items[2] = mkingest("c@x.org", "Subject: 3\r\n\r\n\0hidden", list, 1);
	items[2]->len += 7;			/* binary-safe body */
	assert_int_equal(store_ingest(st, items, 3), 0);
	/* Joins after receipt do not move the cut-off. */
	assert_int_equal(store_member_add(st, list, "late@x.org", MODE_EACH,
	    NULL), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 3);
	assert_int_equal(q(st, "SELECT count(*) FROM inbox"), 4);

	assert_int_equal(inbox_next(st, 5, &in), 1);
	assert_string_equal(in.sender, "a@x.org");
	assert_string_equal(in.rcpt, "team0@example.org");
	assert_string_equal(in.ext, "");
	assert_int_equal(in.attempts, 1);
	assert_int_equal(in.max_member, 2);
	assert_int_equal(in.len, strlen(items[0]->body));
	assert_memory_equal(in.body, items[0]->body, in.len);
	assert_int_equal(in.body[in.len], '\0');
	assert_int_equal(store_inbox_done(st, in.id), 0);
	store_inbox_clear(&in);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 2);

	/* Two recipients: the message stays until both rows are done. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(inbox_next(st, 5, &in), 1);
		assert_string_equal(in.sender, "");
		assert_int_equal(q(st, "SELECT count(*) FROM messages"), 2);
		assert_int_equal(store_message_get(st, in.message_id, &body,
		    &len), 0);
		assert_int_equal(len, strlen(items[1]->body));
		free(body);
		assert_int_equal(store_inbox_done(st, in.id), 0);
		store_inbox_clear(&in);
	}
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(inbox_next(st, 5, &in), 1);
	assert_int_equal(in.len, items[2]->len);
	assert_memory_equal(in.body, items[2]->body, in.len);
	assert_int_equal(store_inbox_done(st, in.id), 0);
	assert_int_equal(store_message_get(st, in.message_id, &body, &len), -1);
	store_inbox_clear(&in);
	assert_int_equal(inbox_next(st, 5, &in), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 0);
	for (i = 0; i < 3; i++)
		freeingest(items[i]);
}

static void
test_inbox_attempts_quarantine(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct ingest *item;
	struct store_inbox in;
	int64_t list;

	list = mklist(st, "team@example.org");
	item = mkingest("a@x.org", "x\r\n", list, 1);
	assert_int_equal(store_ingest(st, &item, 1), 0);
	/* A processor that crashes never calls done: attempts count. */
	assert_int_equal(inbox_next(st, 2, &in), 1);
	store_inbox_clear(&in);
	assert_int_equal(inbox_next(st, 2, &in), 1);
	assert_int_equal(in.attempts, 2);
	store_inbox_clear(&in);
	assert_int_equal(inbox_next(st, 2, &in), 0);
	assert_int_equal(store_inbox_quarantine(st, 2), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM inbox"), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM quarantine"), 1);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 1);
	freeingest(item);
}

static int
count_quarantine(const struct store_quarantine *r, void *arg)
{
	assert_string_equal(r->sender, "a@x.org");
	assert_int_equal(r->attempts, 2);
	(*(int *)arg)++;
	return 0;
}

/* A released row is processed again from its first attempt, for the
 * members it had; an unknown ID is no error but "not found". */
static void
test_quarantine_release(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct ingest *item;
	struct store_inbox in;
	int64_t list, id;
	int n = 0;

	list = mklist(st, "team@example.org");
	assert_int_equal(store_member_add(st, list, "m@x.org", MODE_EACH,
	    NULL), 0);
	item = mkingest("a@x.org", "x\r\n", list, 1);
	assert_int_equal(store_ingest(st, &item, 1), 0);
	assert_int_equal(store_member_add(st, list, "late@x.org", MODE_EACH,
	    NULL), 0);
	assert_int_equal(inbox_next(st, 2, &in), 1);
	store_inbox_clear(&in);
	assert_int_equal(inbox_next(st, 2, &in), 1);
	store_inbox_clear(&in);
	assert_int_equal(store_inbox_quarantine(st, 2), 0);
	assert_int_equal(store_quarantine_each(st, count_quarantine, &n), 0);
	assert_int_equal(n, 1);
	id = q(st, "SELECT id FROM quarantine");
	assert_int_equal(store_quarantine_release(st, id + 100), 0);
	assert_int_equal(store_quarantine_release(st, id), 1);
	assert_int_equal(store_quarantine_release(st, id), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM quarantine"), 0);
	assert_int_equal(inbox_next(st, 2, &in), 1);
	assert_int_equal(in.attempts, 1);
	assert_int_equal(in.max_member, 1);	/* not the late joiner */
	/* A claim given back (a full disk, not a crash) counts nothing. */
	assert_int_equal(store_inbox_unclaim(st, &in.id, 1), 0);
	assert_int_equal(q(st, "SELECT attempts FROM inbox"), 0);
	store_inbox_clear(&in);
	freeingest(item);
}

/* What a handle reports after a real failure, and that it clears. */
static void
test_fault_of_handle(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct buf report = BUF_INIT;
	struct ingest *item;
	int64_t list;
	char *big;

	list = mklist(st, "team@example.org");
	/* list_roles: a false "NULL value" alarm of SQLite 3.40 (store.c) */
	assert_int_equal(store_role_add(st, list, "owner", "o@x.org"), 0);
	assert_int_equal(store_check(st, &report), 0);
	assert_int_equal(store_fault(st), STORE_F_NONE);
	assert_int_equal(db_exec(st->db, "CREATE TABLE u (x UNIQUE);"
	    " INSERT INTO u VALUES (1)"), 0);
	assert_int_equal(db_exec(st->db, "INSERT INTO u VALUES (1)"), -1);
	assert_int_equal(store_fault(st), STORE_F_PERM);
	store_fault_clear(st);
	assert_int_equal(store_fault(st), STORE_F_NONE);
	big = calloc(1, 1 << 20);
	assert_non_null(big);
	memset(big, 'a', (1 << 20) - 1);
	item = mkingest("a@x.org", big, list, 1);
	assert_int_equal(db_exec(st->db, "PRAGMA max_page_count = 1"), 0);
	assert_int_equal(store_ingest(st, &item, 1), -1);
	assert_int_equal(store_fault(st), STORE_F_TEMP);
	assert_false(store_damaged());
	freeingest(item);
	free(big);
	buf_free(&report);
}

/* All items or none: a failure on the last item leaves nothing. */
static void
test_ingest_atomic(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct ingest *items[3];
	int64_t list;
	int i;

	list = mklist(st, "team@example.org");
	for (i = 0; i < 3; i++)
		items[i] = mkingest("a@x.org", "m\r\n", list, 2);
	strcpy(items[2]->rcpts[1].addr, "boom@example.org");
	assert_int_equal(db_exec(st->db, "CREATE TEMP TRIGGER boom"
	    " BEFORE INSERT ON inbox WHEN NEW.rcpt = 'boom@example.org'"
	    " BEGIN SELECT RAISE(ABORT, 'boom'); END"), 0);
	assert_int_equal(store_ingest(st, items, 3), -1);
	assert_false(store_error_full(st));
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM inbox"), 0);
	no_txn(st);
	/* The handle works on: the first two alone go through. */
	assert_int_equal(store_ingest(st, items, 2), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(q(st, "SELECT count(*) FROM inbox"), 4);
	for (i = 0; i < 3; i++)
		freeingest(items[i]);
}

/* A full disk: nothing stored, and the caller can tell it was full. */
static void
test_ingest_full(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct ingest *items[2];
	char *big, pragma[64];
	int64_t list;

	list = mklist(st, "team@example.org");
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	big[(1 << 20) - 1] = '\0';
	items[0] = mkingest("a@x.org", "small\r\n", list, 1);
	items[1] = mkingest("a@x.org", big, list, 1);
	snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %lld",
	    (long long)q(st, "PRAGMA page_count") + 10);
	assert_int_equal(db_exec(st->db, pragma), 0);
	assert_int_equal(store_ingest(st, items, 2), -1);
	assert_true(store_error_full(st));
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 0);
	freeingest(items[0]);
	freeingest(items[1]);
	free(big);
}

/* ---- posts and list deletion ------------------------------------- */

static int
count_post(const struct store_post *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static int64_t
ingest_and_take(struct store *st, int64_t list, struct store_inbox *in)
{
	struct ingest *item = mkingest("a@x.org", "Subject: s\r\n\r\nb\r\n",
	    list, 1);

	assert_int_equal(store_ingest(st, &item, 1), 0);
	freeingest(item);
	assert_int_equal(inbox_next(st, 3, in), 1);
	return in->message_id;
}

static void
test_posts(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct store_post p, g;
	struct store_inbox in;
	int64_t list, id;
	int n = 0;

	list = mklist(st, "team@example.org");
	memset(&p, 0, sizeof(p));
	p.list_id = list;
	p.message_id = ingest_and_take(st, list, &in);
	p.msgid = "<1@x>";
	p.subject = "Hello \xc3\xa8";
	p.author = "a@x.org";
	p.state = POST_HELD;
	p.reason = "not a member";
	p.max_member = 42;
	assert_int_equal(store_post_add(st, &p, &id), 0);
	/* The post keeps the message after the inbox row is done. */
	assert_int_equal(store_inbox_done(st, in.id), 0);
	store_inbox_clear(&in);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(store_post_get(st, id, &g), 1);
	assert_string_equal(g.subject, "Hello \xc3\xa8");
	assert_string_equal(g.sender, "");
	assert_int_equal(g.state, POST_HELD);
	assert_int_equal(g.max_member, 42);
	assert_true(g.created > 0 && g.decided == 0);
	store_post_clear(&g);
	assert_int_equal(store_post_each(st, list, POST_HELD, count_post, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(store_post_set_state(st, id, POST_REJECTED, "spam"),
	    0);
	assert_int_equal(store_post_get(st, id, &g), 1);
	assert_int_equal(g.state, POST_REJECTED);
	assert_string_equal(g.reason, "spam");
	assert_true(g.decided > 0);
	store_post_clear(&g);
	n = 0;
	assert_int_equal(store_post_each(st, list, POST_HELD, count_post, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(store_post_each(st, list, -1, count_post, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_post_get(st, id + 1, &g), 0);
	assert_string_equal(post_state_name(POST_DISCARDED), "discarded");
}

static void
test_list_delete(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	struct store_post p;
	struct store_inbox in;
	int64_t a, b;

	a = mklist(st, "a@example.org");
	b = mklist(st, "b@example.org");
	assert_int_equal(store_member_add(st, a, "m@x.org", MODE_EACH, NULL), 0);
	assert_int_equal(store_member_add(st, b, "m@x.org", MODE_EACH, NULL), 0);
	assert_int_equal(store_list_setting_set(st, a, "footer", "no"), 0);
	assert_int_equal(store_role_add(st, a, "owner", "o@x.org"), 0);
	memset(&p, 0, sizeof(p));
	p.list_id = b;
	p.message_id = ingest_and_take(st, b, &in);
	assert_int_equal(store_post_add(st, &p, NULL), 0);
	assert_int_equal(store_inbox_done(st, in.id), 0);
	store_inbox_clear(&in);
	p.list_id = a;
	p.message_id = ingest_and_take(st, a, &in);
	assert_int_equal(store_post_add(st, &p, NULL), 0);
	store_inbox_clear(&in);			/* left in the inbox */
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 2);

	assert_int_equal(store_list_delete(st, a), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM lists"), 1);
	assert_int_equal(q(st, "SELECT count(*) FROM members"), 1);
	assert_int_equal(q(st, "SELECT count(*) FROM list_settings"), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM list_roles"), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM inbox"), 0);
	assert_int_equal(q(st, "SELECT count(*) FROM posts"), 1);
	assert_int_equal(q(st, "SELECT count(*) FROM messages"), 1);
	no_txn(st);
}

/* ---- listconf ---------------------------------------------------- */

static const struct {
	const char	*key;
	const char	*value;
	int		 want;
} conf_rows[] = {
	{ "description", "A list about things", 0 },
	{ "description", "", 0 },
	{ "description", "two\r\nlines", -1 },
	{ "description", "bell\a", -1 },
	{ "subject_prefix", "", 0 },
	{ "subject_prefix", "[team]", 0 },
	{ "subject_prefix", "[x]\nBcc: y@z", -1 },
	{ "language", "en", 0 },
	{ "language", "it", 0 },
	{ "language", "fr", -1 },
	{ "language", "EN", -1 },
	{ "footer", "yes", 0 },
	{ "footer", "no", 0 },
	{ "footer", "true", -1 },
	{ "moderated", "yes", 0 },
	{ "moderated", "", -1 },
	{ "archive_url", "", 0 },
	{ "archive_url", "https://lists.example.org/team/", 0 },
	{ "archive_url", "http://x.org", 0 },
	{ "archive_url", "ftp://x.org", -1 },
	{ "archive_url", "https://", -1 },
	{ "archive_url", "https://x.org/a b", -1 },
	{ "max_message_size", "0", 0 },
	{ "max_message_size", "2048", 0 },
	{ "max_message_size", "512K", 0 },
	{ "max_message_size", "10M", 0 },
	{ "max_message_size", "1025M", -1 },
	{ "max_message_size", "99999999999999999999999", -1 },
	{ "max_message_size", "-1", -1 },
	{ "max_message_size", "10 M", -1 },
	{ "max_message_size", "M", -1 },
	{ "no_such_key", "x", -1 },
};

static void
test_listconf_check(void **state)
{
	const char *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(conf_rows) / sizeof(conf_rows[0]); i++) {
		error = NULL;
		rc = listconf_check(conf_rows[i].key, conf_rows[i].value,
		    &error);
		if (rc != conf_rows[i].want)
			fail_msg("%s = '%s': got %d, want %d", conf_rows[i].key,
			    conf_rows[i].value, rc, conf_rows[i].want);
		if (rc < 0)
			assert_non_null(error);
	}
}

static void
test_listconf_get(void **state)
{
	struct store *st = ((struct fixture *)*state)->st;
	const struct listconf_key *k;
	size_t n, i;
	int64_t list;
	char *v;

	list = mklist(st, "team@example.org");
	k = listconf_keys(&n);
	for (i = 0; i < n; i++) {		/* every default passes its check */
		const char *error;

		assert_int_equal(k[i].check(k[i].def, &error), 0);
	}
	v = listconf_get(st, list, "team@example.org", "subject_prefix");
	assert_string_equal(v, "[team]");
	free(v);
	v = listconf_get(st, list, "team@example.org", "description");
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(listconf_get_bool(st, list, "team@example.org",
	    "footer"), 1);
	assert_int_equal(listconf_get_bool(st, list, "team@example.org",
	    "moderated"), 0);
	assert_int_equal(store_list_setting_set(st, list, "moderated", "yes"),
	    0);
	assert_int_equal(listconf_get_bool(st, list, "team@example.org",
	    "moderated"), 1);
	assert_int_equal(store_list_setting_set(st, list, "subject_prefix", ""),
	    0);
	v = listconf_get(st, list, "team@example.org", "subject_prefix");
	assert_string_equal(v, "");
	free(v);
	assert_non_null(listconf_find("language"));
	assert_null(listconf_find("Language"));
}

/* ---- json_str ---------------------------------------------------- */

static const struct {
	const char	*in;
	const char	*want;
} json_rows[] = {
	{ "", "\"\"" },
	{ "plain", "\"plain\"" },
	{ "q\"b\\s/", "\"q\\\"b\\\\s/\"" },
	{ "a\r\nb\tc", "\"a\\r\\nb\\tc\"" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
	{ "caff\xc3\xa8 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caff\xc3\xa8 "
	    "\xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "bad \xe8 latin1", "\"bad \\u00e8 latin1\"" },
	{ "cut \xe2\x82", "\"cut \\u00e2\\u0082\"" },
	{ "overlong \xc0\xaf", "\"overlong \\u00c0\\u00af\"" },
	{ "surrogate \xed\xa0\x80", "\"surrogate \\u00ed\\u00a0\\u0080\"" },
};

static void
test_json_str(void **state)
{
	char *out;
	size_t len, i;
	FILE *fp;

	(void)state;
	for (i = 0; i < sizeof(json_rows) / sizeof(json_rows[0]); i++) {
		fp = open_memstream(&out, &len);
		assert_non_null(fp);
		json_str(fp, json_rows[i].in);
		fclose(fp);
		if (strcmp(out, json_rows[i].want) != 0)
			fail_msg("row %zu: got %s, want %s", i, out,
			    json_rows[i].want);
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_create_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_member_add_case, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_member_rm_mode_each, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_member_import, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_settings_roles, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ingest_inbox, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inbox_attempts_quarantine,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_release,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_of_handle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ingest_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ingest_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_delete, setup,
		    teardown),
		cmocka_unit_test(test_listconf_check),
		cmocka_unit_test_setup_teardown(test_listconf_get, setup,
		    teardown),
		cmocka_unit_test(test_json_str),
	};

	log_init("test_store", LOG_L_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
