/*
 * test_db.c — the SQL front (db.c) and the SQLite driver (db_sqlite.c):
 * the choice of the driver, format binders and readers, the statement
 * cache, marker expansion, RETURNING, changes, transactions, fault
 * classes (constraint, busy, bad SQL) and the fault hook, data_version
 * and the page check, on a temporary database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../src/db_int.h"
#include "buf.h"
#include "db.h"

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct db	*db;
};

static const char *T_CREATE =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE,"
    " n INTEGER, b BLOB)";

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error = NULL;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/postino-test-db-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sub/t.db", f->dir);
	assert_int_equal(db_open(f->path, DB_DURABLE, &f->db, &error), 0);
	assert_int_equal(db_exec(f->db, T_CREATE), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	db_close(&f->db);
	assert_null(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s/sub", f->dir);
	rmdir(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The single integer a query returns. */
static int64_t
one(struct db *db, const char *sql)
{
	struct db_stmt *s = db_query(db, sql, "");
	int64_t v = -1;

	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	db_getf(s, "i", &v);
	db_reset(s);
	return v;
}

static void
test_open_choice(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	const char *error = NULL;
	struct stat sb;

	assert_int_equal(db_engine(f->db), DB_SQLITE);
	assert_string_equal(db_uri(f->db), f->path);
	/* The file is private whatever the umask. */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
#ifndef HAVE_PGSQL
	assert_int_equal(db_open("postgresql://localhost/x", 0, &db, &error),
	    -1);
	assert_string_equal(error, "PostgreSQL support not built");
	assert_null(db);
	error = NULL;
	assert_int_equal(db_open("postgres://x", 0, &db, &error), -1);
	assert_string_equal(error, "PostgreSQL support not built");
#endif
	/* A read-only open of a missing file fails with the engine's word. */
	error = NULL;
	assert_int_equal(db_open("/nonexistent/dir/x.db", DB_READONLY, &db,
	    &error), -1);
	assert_non_null(error);
	assert_null(db);
}

/* Every bind letter in, every get letter out, NULLs both ways. */
static void
test_formats(void **state)
{
	struct db *db = ((struct fixture *)*state)->db;
	struct db_stmt *s;
	const char *name, *bl;
	const void *blob;
	char *copy;
	int64_t id, n;
	double half;
	size_t len;
	int d;

	assert_int_equal(db_run(db, "INSERT INTO t (id, name, n, b)"
	    " VALUES (?1, ?2, ?3, ?4)", "itdb", (int64_t)1 << 40, "one", 7,
	    "\0x", (size_t)2), 1);
	assert_int_equal(db_run(db, "INSERT INTO t (id, name, n, b)"
	    " VALUES (?1, ?2, ?3, ?4)", "itnn", (int64_t)2, (const char *)NULL),
	    1);
	s = db_query(db, "SELECT id, name, n, b, name FROM t ORDER BY id DESC",
	    "");
	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	db_getf(s, "itdbT", &id, &name, &d, &blob, &len, &copy);
	assert_true(id == (int64_t)1 << 40);
	assert_string_equal(name, "one");
	assert_int_equal(d, 7);
	assert_int_equal(len, 2);
	assert_memory_equal(blob, "\0x", 2);
	assert_string_equal(copy, "one");
	free(copy);
	assert_int_equal(db_step(s), DB_ROW);
	db_getf(s, "_t_bT", &bl, &blob, &len, &copy);
	assert_null(bl);
	assert_true(db_col_is_null(s, 1));
	assert_true(db_col_is_null(s, 2));
	assert_false(db_col_is_null(s, 0));
	assert_int_equal(len, 0);
	assert_string_equal(copy, "");
	free(copy);
	db_getf(s, "i", &n);
	assert_int_equal(n, 2);
	assert_int_equal(db_step(s), DB_DONE);
	db_reset(s);
	/* An unknown letter is a fault, not a crash. */
	s = db_query(db, "SELECT ?1 / 4.0", "f", 3.0);
	assert_int_equal(db_step(s), DB_ROW);
	db_getf(s, "f", &half);
	assert_true(half == 0.75);
	db_reset(s);
	assert_int_equal(db_run(db, "SELECT ?1", "x", 1), -1);
	assert_int_equal(db_fault(db), DB_F_OTHER);
	/* So is a format that does not match the parameters in number
	 * (a ?N inside a literal is no parameter). */
	db_fault_clear(db);
	assert_int_equal(db_run(db, "SELECT ?2, '?3'", "i", (int64_t)1), -1);
	assert_int_equal(db_fault(db), DB_F_OTHER);
	assert_true(db_run(db, "SELECT ?2, ?1, '?3'", "ii", (int64_t)1,
	    (int64_t)2) >= 0);
}

/* RETURNING gives the new id; changes count the rows an UPDATE hit. */
static void
test_returning_changes(void **state)
{
	struct db *db = ((struct fixture *)*state)->db;
	struct db_stmt *s;
	int64_t id1, id2;
	int i;

	for (i = 0; i < 2; i++) {
		s = db_query(db, "INSERT INTO t (name, n) VALUES (?1, 5)"
		    " RETURNING id", "t", i ? "b" : "a");
		assert_non_null(s);
		assert_int_equal(db_step(s), DB_ROW);
		db_getf(s, "i", i ? &id2 : &id1);
		assert_int_equal(db_step(s), DB_DONE);
		db_reset(s);
	}
	assert_true(id2 > id1);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_run(db, "UPDATE t SET n = n + 1 WHERE n = ?1",
	    "i", (int64_t)5), 2);
	assert_int_equal(db_run(db, "UPDATE t SET n = 0 WHERE n = ?1", "i",
	    (int64_t)99), 0);
	/* ON CONFLICT DO NOTHING: no row, no fault. */
	assert_int_equal(db_run(db, "INSERT INTO t (name) VALUES (?1)"
	    " ON CONFLICT (name) DO NOTHING", "t", "a"), 0);
	assert_int_equal(db_fault(db), DB_F_NONE);
	assert_int_equal(one(db, "SELECT coalesce(max(n), 0) FROM t"), 6);
}

static const char *const Q_CACHED = "SELECT n FROM t WHERE name = ?1";

/* Statements are cached by the literal's address, reset on reuse. */
static void
test_cache(void **state)
{
	struct db *db = ((struct fixture *)*state)->db;
	struct db_stmt *s1, *s2, *s3;
	char other[64];
	size_t before;

	assert_int_equal(db_run(db, "INSERT INTO t (name, n) VALUES"
	    " ('a', 1), ('b', 2)", ""), 2);
	s1 = db_query(db, Q_CACHED, "t", "a");
	assert_int_equal(db_step(s1), DB_ROW);	/* left in the middle */
	before = db->nstmts;
	s2 = db_prepare(db, Q_CACHED);
	assert_ptr_equal(s1, s2);
	assert_int_equal(db->nstmts, before);
	assert_string_equal(db_stmt_sql(s2), Q_CACHED);
	/* Reset, bindings cleared: ?1 is NULL now, so no row. */
	assert_int_equal(db_step(s2), DB_DONE);
	/* The same text at another address is another statement. */
	snprintf(other, sizeof(other), "%s", Q_CACHED);
	s3 = db_query(db, other, "t", "b");
	assert_ptr_not_equal(s3, s1);
	assert_int_equal(db->nstmts, before + 1);
	assert_int_equal(db_step(s3), DB_ROW);
	assert_int_equal(db_col_int64(s3, 0), 2);
	db_reset(s3);
}

/* Markers expand to the engine's words: nothing on SQLite. */
static void
test_markers(void **state)
{
	struct db *db = ((struct fixture *)*state)->db;
	struct db_stmt *s;

	assert_int_equal(db_run(db, "INSERT INTO t (name, n) VALUES"
	    " ('a', 1)", ""), 1);
	s = db_query(db, "SELECT n FROM t WHERE n = ?1"
	    " {FOR_UPDATE_SKIP_LOCKED}", "i", (int64_t)1);
	assert_non_null(s);
	assert_string_equal(s->text, "SELECT n FROM t WHERE n = ?1 ");
	assert_int_equal(db_step(s), DB_ROW);
	db_reset(s);
	s = db_query(db, "SELECT n FROM t WHERE n = ?1 {FOR_UPDATE}", "i",
	    (int64_t)1);
	assert_non_null(s);
	assert_string_equal(s->text, "SELECT n FROM t WHERE n = ?1 ");
	assert_int_equal(db_step(s), DB_ROW);
	db_reset(s);
	s = db_prepare(db, "SELECT '{x}'");
	assert_non_null(s);
	assert_string_equal(s->text, "SELECT '{x}'");
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_col_text(s, 0), "{x}");
	db_reset(s);
}

struct hooked {
	int		 calls;
	enum db_fault	 fault;
	char		 what[128];
};

static void
hook(void *arg, const char *what, enum db_fault fault, const char *msg)
{
	struct hooked *h = arg;

	assert_non_null(msg);
	h->calls++;
	h->fault = fault;
	snprintf(h->what, sizeof(h->what), "%s", what);
}

/* A unique violation is a constraint; bad SQL is OTHER; both hooked. */
static void
test_fault_constraint(void **state)
{
	struct db *db = ((struct fixture *)*state)->db;
	struct hooked h = { 0 };
	static const char ins[] = "INSERT INTO t (name) VALUES (?1)";

	db_set_fault_hook(db, hook, &h);
	assert_int_equal(db_run(db, ins, "t", "x"), 1);
	assert_int_equal(db_fault(db), DB_F_NONE);
	assert_int_equal(db_run(db, ins, "t", "x"), -1);
	assert_int_equal(db_fault(db), DB_F_CONSTRAINT);
	assert_non_null(strstr(db_errmsg(db), "UNIQUE"));
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.fault, DB_F_CONSTRAINT);
	assert_string_equal(h.what, ins);
	/* The statement was reset: it runs again at once. */
	assert_int_equal(db_run(db, ins, "t", "y"), 1);
	db_fault_clear(db);
	assert_int_equal(db_fault(db), DB_F_NONE);
	assert_null(db_prepare(db, "SELEKT 1"));
	assert_int_equal(db_fault(db), DB_F_OTHER);
	assert_int_equal(h.calls, 2);
	assert_string_equal(h.what, "SELEKT 1");
	db_set_fault_hook(db, NULL, NULL);
	assert_int_equal(db_exec(db, "NONSENSE"), -1);
	assert_int_equal(h.calls, 2);
}

/*
 * Busy: a deferred transaction that read before another handle
 * committed cannot write (SQLITE_BUSY_SNAPSHOT, no wait).  A rolled
 * back transaction keeps the fault that made the caller give up.
 */
static void
test_fault_busy(void **state)
{
	struct fixture *f = *state;
	struct db *db2 = NULL;
	const char *error = NULL;
	int64_t v;

	assert_int_equal(db_open(f->path, DB_RELAXED, &db2, &error), 0);
	v = db_data_version(f->db);
	assert_int_equal(db_exec(f->db, "BEGIN"), 0);
	assert_int_equal(one(f->db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_begin(db2), 0);
	assert_int_equal(db_in_txn(db2), 1);
	assert_int_equal(db_try_lock(db2, "digest"), 1);
	assert_int_equal(db_lock_session(db2, "digest"), 1);
	db_unlock_session(db2, "digest");
	assert_int_equal(db_run(db2, "INSERT INTO t (name) VALUES ('z')",
	    ""), 1);
	assert_int_equal(db_commit(db2), 0);
	assert_int_equal(db_in_txn(db2), 0);
	assert_int_equal(db_run(f->db, "INSERT INTO t (name) VALUES ('w')",
	    ""), -1);
	assert_int_equal(db_fault(f->db), DB_F_BUSY);
	db_rollback(f->db);
	assert_int_equal(db_fault(f->db), DB_F_BUSY);
	assert_true(db_data_version(f->db) != v);
	assert_int_equal(one(f->db, "SELECT count(*) FROM t"), 1);
	db_close(&db2);
}

/* Rollback undoes; commit keeps; a sound file checks clean. */
static void
test_txn_check(void **state)
{
	struct db *db = ((struct fixture *)*state)->db;
	struct buf report = BUF_INIT;

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_run(db, "INSERT INTO t (name) VALUES ('a')", ""),
	    1);
	db_rollback(db);
	assert_int_equal(db_in_txn(db), 0);
	assert_int_equal(db_fault(db), DB_F_NONE);
	assert_int_equal(one(db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_run(db, "INSERT INTO t (name) VALUES ('a')", ""),
	    1);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(one(db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(db_check(db, &report), 0);
	assert_int_equal(report.len, 0);
	buf_free(&report);
}

/* A read transaction: one snapshot for its queries, no write lock (a
 * writer on another handle commits meanwhile), and its end leaves the
 * handle out of any transaction. */
static void
test_read_txn(void **state)
{
	struct fixture *f = *state;
	struct db *db2 = NULL;
	const char *error = NULL;

	assert_int_equal(db_open(f->path, DB_RELAXED, &db2, &error), 0);
	assert_int_equal(db_begin_read(f->db), 0);
	assert_int_equal(db_in_txn(f->db), 0);	/* writers do not own it */
	assert_int_equal(one(f->db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_begin(db2), 0);
	assert_int_equal(db_run(db2, "INSERT INTO t (name) VALUES ('z')",
	    ""), 1);
	assert_int_equal(db_commit(db2), 0);
	assert_int_equal(one(f->db, "SELECT count(*) FROM t"), 0);
	db_end_read(f->db);
	assert_int_equal(db_fault(f->db), DB_F_NONE);
	assert_int_equal(one(f->db, "SELECT count(*) FROM t"), 1);
	/* The next writer on the handle is not inside it. */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_run(f->db, "INSERT INTO t (name) VALUES ('y')",
	    ""), 1);
	assert_int_equal(db_commit(f->db), 0);
	db_end_read(f->db);		/* without a transaction: harmless */
	assert_int_equal(one(f->db, "SELECT count(*) FROM t"), 2);
	db_close(&db2);
}

/* Which SQLite codes map to which class. */
static const struct {
	const char	*label;
	int		 rc;
	enum db_fault	 want;
} fault_rows[] = {
	{ "ok", SQLITE_OK, DB_F_NONE },
	{ "done", SQLITE_DONE, DB_F_NONE },
	{ "row", SQLITE_ROW, DB_F_NONE },
	{ "full", SQLITE_FULL, DB_F_FULL },
	{ "ioerr", SQLITE_IOERR, DB_F_BUSY },
	{ "ioerr write", SQLITE_IOERR_WRITE, DB_F_BUSY },
	{ "ioerr fsync", SQLITE_IOERR_FSYNC, DB_F_BUSY },
	{ "busy", SQLITE_BUSY, DB_F_BUSY },
	{ "busy snapshot", SQLITE_BUSY_SNAPSHOT, DB_F_BUSY },
	{ "locked", SQLITE_LOCKED, DB_F_BUSY },
	{ "nomem", SQLITE_NOMEM, DB_F_BUSY },
	{ "corrupt", SQLITE_CORRUPT, DB_F_CORRUPT },
	{ "corrupt index", SQLITE_CORRUPT_INDEX, DB_F_CORRUPT },
	{ "notadb", SQLITE_NOTADB, DB_F_CORRUPT },
	{ "constraint", SQLITE_CONSTRAINT_UNIQUE, DB_F_CONSTRAINT },
	{ "fk", SQLITE_CONSTRAINT_FOREIGNKEY, DB_F_CONSTRAINT },
	{ "error", SQLITE_ERROR, DB_F_OTHER },
	{ "readonly", SQLITE_READONLY, DB_F_OTHER },
	{ "misuse", SQLITE_MISUSE, DB_F_OTHER },
};

static void
test_fault_class(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fault_rows) / sizeof(fault_rows[0]); i++)
		if (db_sqlite_fault(fault_rows[i].rc) != fault_rows[i].want)
			fail_msg("%s: got %d, want %d", fault_rows[i].label,
			    db_sqlite_fault(fault_rows[i].rc),
			    fault_rows[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_choice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returning_changes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_markers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_constraint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fault_busy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_txn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_txn_check, setup,
		    teardown),
		cmocka_unit_test(test_fault_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
