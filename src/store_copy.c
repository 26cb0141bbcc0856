/*
 * store_copy.c — `postino db copy` (store_copy.h): every table of a
 * SQLite site into a PostgreSQL database migrated to the same schema
 * version.
 *
 * Generic over the schema, so that later migrations are copied too: the
 * tables are sqlite_master's (but sqlite_*), the columns each table's
 * pragma_table_info; the target's column types (information_schema)
 * decide how a value is bound (bytea a blob, integers, doubles, the rest
 * text), its foreign keys (pg_constraint) the order of the tables,
 * parents first.  The source is read in one read transaction (a
 * snapshot); the target is written in ONE transaction for all tables: a
 * copy that fails leaves the target empty, so it is simply run again,
 * and no node started early sees half a site.  Identity sequences are
 * set past the largest id copied; then every table's count is compared
 * with the source's.
 *
 * The SQL of each table is built at run time and freed only after both
 * handles are closed: db.h caches statements by the address of their
 * text.  Errors: a STORE_COPY_* code and a sentence in why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_copy.h"
#include "store_int.h"

#define COPY_PROGRESS	10000	/* rows between two progress calls */

/* SQLite's catalogue, read on the source only (not PostgreSQL's SQL:
 * scripts/pg-sql-check.py does not take them for the store's). */
static const char *const sqlite_tables = "SELECT name FROM sqlite_master"
    " WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid";
static const char *const sqlite_columns = "SELECT name FROM"
    " pragma_table_info(?1) ORDER BY cid";

struct copy_col {
	char		*name;
	char		 kind;	/* i int64, f double, b blob, t text */
};

struct copy_table {
	char		*name;
	struct copy_col	*cols;
	size_t		 ncols;
	char		*identity;	/* its identity column, or NULL */
	char		*select, *insert, *count, *setval;
	int64_t		 total;
	int		 placed;
};

struct copy {
	struct store		*src, *dst;
	struct copy_table	*t;
	size_t			 n;
	size_t			*order;		/* parents first */
	struct buf		*why;
	store_copy_progress	*fn;
	void			*arg;
};

static void
quote_ident(struct buf *b, const char *name)
{
	buf_putc(b, '"');
	for (; *name != '\0'; name++) {
		if (*name == '"')
			buf_putc(b, '"');
		buf_putc(b, *name);
	}
	buf_putc(b, '"');
}

/* The engine's last message, as the why of a failure. */
static enum store_copy_rc
failed(struct copy *c, struct store *st, enum store_copy_rc rc,
    const char *what, const char *table)
{
	buf_printf(c->why, "%s%s%s: %s", what, table != NULL ? " " : "",
	    table != NULL ? table : "", db_errmsg(st->db));
	return rc;
}

/* 0 or -1: one count(*) or other single integer. */
static int
one_int(struct store *st, const char *sql, int64_t *v_r)
{
	struct db_stmt *s;
	int rc;

	if ((s = db_query(st->db, sql, NULL)) == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW)
		*v_r = db_col_int64(s, 0);
	db_reset(s);
	return rc == DB_ROW ? 0 : -1;
}

static enum store_copy_rc
list_tables(struct copy *c)
{
	struct db_stmt *s;
	size_t cap = 0;
	int rc;

	s = db_query(c->src->db, sqlite_tables, NULL);
	if (s == NULL)
		return failed(c, c->src, STORE_COPY_SOURCE, "tables", NULL);
	while ((rc = db_step(s)) == DB_ROW) {
		if (c->n == cap) {
			cap = cap ? cap * 2 : 32;
			c->t = xrealloc(c->t, cap * sizeof(*c->t));
		}
		memset(&c->t[c->n], 0, sizeof(c->t[c->n]));
		c->t[c->n++].name = xstrdup(db_col_text(s, 0));
	}
	if (store_end(s, rc) < 0)
		return failed(c, c->src, STORE_COPY_SOURCE, "tables", NULL);
	return STORE_COPY_OK;
}

/* The target's type of t.col as a bind kind; 0 when it has no such
 * column, -1 on error. */
static int
target_kind(struct copy *c, const char *table, const char *col,
    int *identity_r)
{
	static const struct {
		const char	*type;
		char		 kind;
	} kinds[] = {
		{ "bigint", 'i' }, { "integer", 'i' }, { "smallint", 'i' },
		{ "double precision", 'f' }, { "real", 'f' },
		{ "numeric", 'f' }, { "bytea", 'b' },
	};
	struct db_stmt *s;
	int rc, kind = 0;
	size_t i;

	s = db_query(c->dst->db, "SELECT data_type, is_identity FROM"
	    " information_schema.columns WHERE table_schema ="
	    " current_schema() AND table_name = ?1 AND column_name = ?2",
	    "tt", table, col);
	if (s == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW) {
		kind = 't';
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(db_col_text(s, 0), kinds[i].type) == 0)
				kind = kinds[i].kind;
		*identity_r = strcmp(db_col_text(s, 1), "YES") == 0;
	}
	db_reset(s);
	return rc < 0 ? -1 : kind;
}

/* The SELECT, INSERT, count and setval of t, from its columns. */
static void
build_sql(struct copy_table *t)
{
	struct buf sel = BUF_INIT, ins = BUF_INIT, vals = BUF_INIT,
	    b = BUF_INIT;
	size_t i;

	buf_puts(&sel, "SELECT ");
	buf_puts(&ins, "INSERT INTO ");
	quote_ident(&ins, t->name);
	buf_puts(&ins, " (");
	for (i = 0; i < t->ncols; i++) {
		buf_puts(&sel, i ? ", " : "");
		quote_ident(&sel, t->cols[i].name);
		buf_puts(&ins, i ? ", " : "");
		quote_ident(&ins, t->cols[i].name);
		buf_printf(&vals, "%s?%zu", i ? ", " : "", i + 1);
	}
	buf_puts(&sel, " FROM ");
	quote_ident(&sel, t->name);
	buf_printf(&ins, ") VALUES (%s)", vals.data);
	buf_puts(&b, "SELECT count(*) FROM ");
	quote_ident(&b, t->name);
	t->select = buf_steal(&sel, NULL);
	t->insert = buf_steal(&ins, NULL);
	t->count = buf_steal(&b, NULL);
	if (t->identity != NULL) {
		buf_puts(&b, "SELECT setval(pg_get_serial_sequence(");
		buf_printf(&b, "'%s', '%s'), coalesce((SELECT max(", t->name,
		    t->identity);
		quote_ident(&b, t->identity);
		buf_puts(&b, ") FROM ");
		quote_ident(&b, t->name);
		buf_puts(&b, "), 0) + 1, false)");
		t->setval = buf_steal(&b, NULL);
	}
	buf_free(&vals);
}

/* t's columns, as the source has them and the target types them. */
static enum store_copy_rc
table_columns(struct copy *c, struct copy_table *t)
{
	struct db_stmt *s;
	size_t cap = 0;
	int rc, kind, identity;

	s = db_query(c->src->db, sqlite_columns, "t", t->name);
	if (s == NULL)
		return failed(c, c->src, STORE_COPY_SOURCE, "columns of",
		    t->name);
	while ((rc = db_step(s)) == DB_ROW) {
		if (t->ncols == cap) {
			cap = cap ? cap * 2 : 16;
			t->cols = xrealloc(t->cols, cap * sizeof(*t->cols));
		}
		t->cols[t->ncols++].name = xstrdup(db_col_text(s, 0));
	}
	if (store_end(s, rc) < 0)
		return failed(c, c->src, STORE_COPY_SOURCE, "columns of",
		    t->name);
	for (size_t i = 0; i < t->ncols; i++) {
		identity = 0;
		if ((kind = target_kind(c, t->name, t->cols[i].name,
		    &identity)) < 0)
			return failed(c, c->dst, STORE_COPY_TARGET,
			    "columns of", t->name);
		if (kind == 0) {
			buf_printf(c->why, "column %s.%s is not in the"
			    " PostgreSQL schema", t->name, t->cols[i].name);
			return STORE_COPY_SCHEMA;
		}
		t->cols[i].kind = (char)kind;
		if (identity)
			t->identity = t->cols[i].name;
	}
	build_sql(t);
	return STORE_COPY_OK;
}

/* Index of the table named name, or c->n. */
static size_t
table_index(const struct copy *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n && strcmp(c->t[i].name, name) != 0; i++)
		;
	return i;
}

/*
 * Parents first, by the target's foreign keys; otherwise in the order the
 * source created them.  A cycle is broken in source order (its foreign
 * keys then fail, naming the table).
 */
static enum store_copy_rc
table_order(struct copy *c)
{
	struct db_stmt *s;
	size_t *parent = xcalloc(c->n * c->n + 1, sizeof(*parent));
	size_t i, j, placed = 0, np = 0, child, par;
	int rc, any;

	s = db_query(c->dst->db, "SELECT c.relname, f.relname FROM"
	    " pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
	    " JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace n"
	    " ON n.oid = c.relnamespace WHERE k.contype = 'f' AND"
	    " n.nspname = current_schema()", NULL);
	if (s == NULL) {
		free(parent);
		return failed(c, c->dst, STORE_COPY_TARGET, "foreign keys",
		    NULL);
	}
	while ((rc = db_step(s)) == DB_ROW) {
		child = table_index(c, db_col_text(s, 0));
		par = table_index(c, db_col_text(s, 1));
		if (child < c->n && par < c->n && child != par &&
		    np < c->n * c->n)
			parent[np++] = child * c->n + par;
	}
	if (store_end(s, rc) < 0) {
		free(parent);
		return failed(c, c->dst, STORE_COPY_TARGET, "foreign keys",
		    NULL);
	}
	c->order = xcalloc(c->n + 1, sizeof(*c->order));
	while (placed < c->n) {
		any = 0;
		for (i = 0; i < c->n; i++) {
			if (c->t[i].placed)
				continue;
			for (j = 0; j < np; j++)
				if (parent[j] / c->n == i &&
				    !c->t[parent[j] % c->n].placed)
					break;
			if (j < np)
				continue;
			c->t[i].placed = 1;
			c->order[placed++] = i;
			any = 1;
		}
		for (i = 0; !any && i < c->n; i++)
			if (!c->t[i].placed) {
				c->t[i].placed = 1;
				c->order[placed++] = i;
				any = 1;	/* a cycle: broken here */
			}
	}
	free(parent);
	return STORE_COPY_OK;
}

/* The target's rows of each table: none before the copy (rc
 * STORE_COPY_NOTEMPTY), the source's after it (STORE_COPY_COUNTS). */
static enum store_copy_rc
target_counts(struct copy *c, enum store_copy_rc rc)
{
	int64_t n, want;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (one_int(c->dst, c->t[i].count, &n) < 0)
			return failed(c, c->dst, rc == STORE_COPY_NOTEMPTY ?
			    STORE_COPY_TARGET : rc, "count of", c->t[i].name);
		want = rc == STORE_COPY_NOTEMPTY ? 0 : c->t[i].total;
		if (n == want)
			continue;
		if (rc == STORE_COPY_NOTEMPTY)
			buf_printf(c->why, "the target's table %s holds %lld"
			    " row(s) already: db copy fills an empty database"
			    " only", c->t[i].name, (long long)n);
		else
			buf_printf(c->why, "table %s: %lld row(s) in the"
			    " copy, %lld in the source", c->t[i].name,
			    (long long)n, (long long)want);
		return rc;
	}
	return STORE_COPY_OK;
}

/* The source's counts. */
static enum store_copy_rc
source_counts(struct copy *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (one_int(c->src, c->t[i].count, &c->t[i].total) < 0)
			return failed(c, c->src, STORE_COPY_SOURCE, "count of",
			    c->t[i].name);
	return STORE_COPY_OK;
}

/* Bind the source row's column i as the target's column i. */
static void
bind_col(struct db_stmt *ins, struct db_stmt *sel, const struct copy_col *col,
    int i)
{
	const void *p;
	size_t len;

	if (db_col_is_null(sel, i)) {
		db_bind_null(ins, i + 1);
		return;
	}
	switch (col->kind) {
	case 'i':
		db_bind_int64(ins, i + 1, db_col_int64(sel, i));
		break;
	case 'f':
		db_bind_double(ins, i + 1, db_col_double(sel, i));
		break;
	case 'b':
		p = db_col_blob(sel, i, &len);
		db_bind_blob(ins, i + 1, p != NULL ? p : "", len);
		break;
	default:
		db_bind_text(ins, i + 1, db_col_text(sel, i));
		break;
	}
}

/* Every row of t, inside the target's transaction. */
static enum store_copy_rc
table_rows(struct copy *c, struct copy_table *t)
{
	struct db_stmt *sel, *ins;
	int64_t done = 0;
	size_t i;
	int rc;

	if ((sel = db_query(c->src->db, t->select, NULL)) == NULL)
		return failed(c, c->src, STORE_COPY_SOURCE, "reading", t->name);
	while ((rc = db_step(sel)) == DB_ROW) {
		if ((ins = db_prepare(c->dst->db, t->insert)) == NULL)
			break;
		for (i = 0; i < t->ncols; i++)
			bind_col(ins, sel, &t->cols[i], (int)i);
		if (db_step(ins) < 0)
			break;
		db_reset(ins);
		if (++done % COPY_PROGRESS == 0 && c->fn != NULL)
			c->fn(t->name, done, t->total, c->arg);
	}
	db_reset(sel);
	if (rc == DB_ROW)
		return failed(c, c->dst, STORE_COPY_FAILED, "writing",
		    t->name);
	if (rc < 0)
		return failed(c, c->src, STORE_COPY_FAILED, "reading",
		    t->name);
	if (t->setval != NULL && one_int(c->dst, t->setval, &done) < 0)
		return failed(c, c->dst, STORE_COPY_FAILED, "identity of",
		    t->name);
	if (c->fn != NULL)
		c->fn(t->name, t->total, t->total, c->arg);
	return STORE_COPY_OK;
}

/* All tables in one transaction of the target, parents first. */
static enum store_copy_rc
copy_all(struct copy *c)
{
	enum store_copy_rc rc = STORE_COPY_OK;
	size_t i;

	if (db_exec(c->src->db, "BEGIN") < 0)
		return failed(c, c->src, STORE_COPY_SOURCE, "BEGIN", NULL);
	if (db_begin(c->dst->db) < 0) {
		rc = failed(c, c->dst, STORE_COPY_TARGET, "BEGIN", NULL);
		goto out;
	}
	for (i = 0; i < c->n && rc == STORE_COPY_OK; i++)
		rc = table_rows(c, &c->t[c->order[i]]);
	if (rc != STORE_COPY_OK)
		db_rollback(c->dst->db);
	else if (db_commit(c->dst->db) < 0)
		rc = failed(c, c->dst, STORE_COPY_FAILED, "COMMIT", NULL);
out:
	(void)db_exec(c->src->db, "COMMIT");
	return rc;
}

/* One end open (the target migrated), and its schema version. */
static enum store_copy_rc
open_end(struct copy *c, const char *where, int flags, struct store **st_r,
    int *v_r, enum store_copy_rc rc)
{
	const char *error = NULL;

	if (store_open(where, flags, st_r, &error) < 0) {
		buf_printf(c->why, "%s: %s", where, error);
		return rc;
	}
	if (db_schema_version((*st_r)->db, v_r) < 0)
		return failed(c, *st_r, rc, "schema version", NULL);
	return STORE_COPY_OK;
}

/* Both ends open, at one schema version. */
static enum store_copy_rc
open_both(struct copy *c, const char *path, const char *url)
{
	enum store_copy_rc rc;
	int vs, vd;

	if (strncmp(url, "postgresql://", 13) != 0 &&
	    strncmp(url, "postgres://", 11) != 0) {
		buf_printf(c->why, "%s: not a PostgreSQL URL (postgresql://"
		    "...)", url);
		return STORE_COPY_USAGE;
	}
	if ((rc = open_end(c, path, STORE_READONLY, &c->src, &vs,
	    STORE_COPY_SOURCE)) != STORE_COPY_OK)
		return rc;
	if (vs == 0) {
		buf_printf(c->why, "%s: not a postino database", path);
		return STORE_COPY_SOURCE;
	}
	if ((rc = open_end(c, url, STORE_DURABLE, &c->dst, &vd,
	    STORE_COPY_TARGET)) != STORE_COPY_OK)
		return rc;
	if (vs != vd) {
		buf_printf(c->why, "%s is at schema version %d, this postino's"
		    " is %d: open it once with this postino (e.g. `postino -o"
		    " database=%s list ls`) to migrate it, then copy", path,
		    vs, vd, path);
		return STORE_COPY_SCHEMA;
	}
	return STORE_COPY_OK;
}

static void
copy_free(struct copy *c)
{
	size_t i, j;

	store_close(&c->src);
	store_close(&c->dst);
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->t[i].ncols; j++)
			free(c->t[i].cols[j].name);
		free(c->t[i].cols);
		free(c->t[i].name);
		free(c->t[i].select);
		free(c->t[i].insert);
		free(c->t[i].count);
		free(c->t[i].setval);
	}
	free(c->t);
	free(c->order);
}

enum store_copy_rc
store_copy(const char *sqlite_path, const char *pg_url,
    store_copy_progress *fn, void *arg, struct buf *why)
{
	struct copy c;
	enum store_copy_rc rc;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.why = why;
	c.fn = fn;
	c.arg = arg;
	if ((rc = open_both(&c, sqlite_path, pg_url)) != STORE_COPY_OK ||
	    (rc = list_tables(&c)) != STORE_COPY_OK)
		goto out;
	for (i = 0; i < c.n; i++)
		if ((rc = table_columns(&c, &c.t[i])) != STORE_COPY_OK)
			goto out;
	if ((rc = table_order(&c)) != STORE_COPY_OK ||
	    (rc = source_counts(&c)) != STORE_COPY_OK ||
	    (rc = target_counts(&c, STORE_COPY_NOTEMPTY)) != STORE_COPY_OK ||
	    (rc = copy_all(&c)) != STORE_COPY_OK)
		goto out;
	/* Read again after the commit. */
	rc = target_counts(&c, STORE_COPY_COUNTS);
out:
	copy_free(&c);
	return rc;
}
