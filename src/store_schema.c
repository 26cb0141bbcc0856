/*
 * store_schema.c — the schema, as an ordered list of migrations per
 * engine: SQLite's here, PostgreSQL's in store_schema_pg.c, with the same
 * numbering.
 *
 * The driver keeps the number of migrations applied (SQLite: PRAGMA
 * user_version).  On open, the missing ones run in one transaction that
 * holds the write lock, so two processes starting at once cannot both
 * migrate.  Never edit a released migration: append a new one.
 */
#include <stddef.h>

#include "log.h"
#include "store_int.h"

static const char *const store_migrations_sqlite[] = {
	/* 1: lists, members, ingest, posts, delivery queue. */
	/* AUTOINCREMENT: a list id is never reused, so a new list cannot
	 * inherit an old one's moderation log. */
	"CREATE TABLE lists ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  addr TEXT NOT NULL UNIQUE,"		/* lower-case local@domain */
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE list_settings ("
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (list_id, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE list_roles ("
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('owner', 'moderator')),"
	"  addr TEXT NOT NULL,"
	"  addr_key TEXT NOT NULL,"
	"  PRIMARY KEY (list_id, role, addr_key)"
	") WITHOUT ROWID;"
	/* Member ids only grow (AUTOINCREMENT): a post delivers to members
	 * with id <= its max_member, so later joiners never get it. */
	"CREATE TABLE members ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  addr TEXT NOT NULL,"
	"  addr_key TEXT NOT NULL,"
	"  mode TEXT NOT NULL DEFAULT 'each'"
	"    CHECK (mode IN ('each', 'digest', 'nomail', 'follow')),"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (list_id, addr_key)"
	");"
	"CREATE INDEX members_fanout ON members (list_id, id);"
	/* Raw messages as received (CRLF, dot-unstuffed). */
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  received INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  body BLOB NOT NULL"
	");"
	/* One row per accepted recipient, processed after the ack. */
	"CREATE TABLE inbox ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  list_id INTEGER NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  ext TEXT NOT NULL DEFAULT '',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  max_member INTEGER NOT NULL DEFAULT 0,"	/* at receipt */
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX inbox_message ON inbox (message_id);"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  list_id INTEGER NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  ext TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE posts ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  msgid TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  author TEXT NOT NULL DEFAULT '',"
	"  sender TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('held', 'accepted', 'rejected', 'discarded')),"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  max_member INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  decided INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX posts_list_state ON posts (list_id, state, id);"
	"CREATE INDEX posts_msgid ON posts (list_id, msgid);"
	"CREATE INDEX posts_message ON posts (message_id);"
	"CREATE INDEX quarantine_message ON quarantine (message_id);"
	/* Delivery: one job per outgoing message. */
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL DEFAULT 0,"
	"  post_id INTEGER NOT NULL DEFAULT 0,"
	"  kind TEXT NOT NULL CHECK (kind IN ('fanout', 'direct')),"
	"  env_from TEXT NOT NULL,"
	"  body BLOB NOT NULL,"
	"  cursor INTEGER NOT NULL DEFAULT 0,"	/* members <= cursor claimed */
	"  max_member INTEGER NOT NULL DEFAULT 0,"
	"  per_rcpt INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'active'"
	"    CHECK (state IN ('active', 'done')),"
	"  created INTEGER NOT NULL,"
	"  sent INTEGER NOT NULL DEFAULT 0,"
	"  failed INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX jobs_active ON jobs (state, id);"
	/* Claimed fan-out ranges (lo, hi] not yet answered by the relay;
	 * orphan = 1 after a restart: to be sent again. */
	"CREATE TABLE inflight ("
	"  id INTEGER PRIMARY KEY,"
	"  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"  lo INTEGER NOT NULL,"
	"  hi INTEGER NOT NULL,"
	"  orphan INTEGER NOT NULL DEFAULT 0,"
	"  claimed INTEGER NOT NULL"
	");"
	/* Recipients waiting for (another) attempt. */
	"CREATE TABLE retries ("
	"  id INTEGER PRIMARY KEY,"
	"  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"  member_id INTEGER NOT NULL DEFAULT 0,"
	"  addr TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  first_attempt INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  leased INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX retries_due ON retries (leased, next_attempt);"
	"CREATE INDEX retries_job ON retries (job_id);"
	"CREATE TABLE bounces ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL DEFAULT 0,"
	"  member_id INTEGER NOT NULL DEFAULT 0,"
	"  job_id INTEGER NOT NULL DEFAULT 0,"
	"  addr TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  code INTEGER NOT NULL,"
	"  text TEXT NOT NULL"
	");"
	"CREATE INDEX bounces_member ON bounces (list_id, member_id);",

	/* 2: tokens, request limits, per-member thread preferences, and the
	 * thread of each post. */
	"CREATE TABLE tokens ("
	"  hash BLOB PRIMARY KEY,"		/* keyed hash of the token */
	"  purpose TEXT NOT NULL,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  addr TEXT NOT NULL,"
	"  addr_key TEXT NOT NULL,"
	"  data TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE INDEX tokens_pending ON tokens (list_id, addr_key, purpose);"
	"CREATE INDEX tokens_expires ON tokens (expires);"
	"CREATE TABLE requests ("
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  addr_key TEXT NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY (list_id, addr_key, day)"
	") WITHOUT ROWID;"
	"CREATE TABLE thread_prefs ("
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  thread TEXT NOT NULL,"
	"  pref TEXT NOT NULL CHECK (pref IN ('mute', 'follow')),"
	"  PRIMARY KEY (member_id, thread)"
	") WITHOUT ROWID;"
	"CREATE INDEX thread_prefs_thread ON thread_prefs (thread, member_id);"
	"ALTER TABLE posts ADD COLUMN thread TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE jobs ADD COLUMN thread TEXT NOT NULL DEFAULT '';",

	/* 3: moderation: published rules, the hash-chained log, moderated
	 * members. */
	"CREATE TABLE rules ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"		/* 1, 2, ...: first match wins */
	"  name TEXT NOT NULL,"
	"  text TEXT NOT NULL DEFAULT '',"	/* what members read */
	"  cond TEXT NOT NULL,"			/* sender|size|mime|header|links|all */
	"  arg TEXT NOT NULL DEFAULT '',"
	"  action TEXT NOT NULL"
	"    CHECK (action IN ('accept', 'hold', 'reject', 'discard')),"
	"  UNIQUE (list_id, name)"
	");"
	"CREATE INDEX rules_order ON rules (list_id, position);"
	"CREATE TABLE modlog ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL,"		/* kept when the list goes */
	"  seq INTEGER NOT NULL,"		/* 1, 2, ... per list */
	"  time INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"
	"  post_id INTEGER NOT NULL DEFAULT 0,"
	"  msgid TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  rule TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  moderator TEXT NOT NULL DEFAULT '',"
	"  prev BLOB NOT NULL,"			/* hash of the entry before */
	"  hash BLOB NOT NULL,"
	"  UNIQUE (list_id, seq)"
	");"
	"ALTER TABLE members ADD COLUMN moderated INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE posts ADD COLUMN rule TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE posts ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';"
	/* Holds end: a reminder at half time, then hold_default. */
	"ALTER TABLE posts ADD COLUMN deadline INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE posts ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE posts ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;"
	/* '' none, 'pending', 'upheld', 'overturned': final once decided. */
	"ALTER TABLE posts ADD COLUMN appeal TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX posts_deadline ON posts (state, deadline);",

	/* 4: digests.  An accepted post waits with digest_id 0 until a
	 * digest takes it (the posts accepted before this migration were
	 * delivered already: -1).  A digest fan-out job reaches the digest
	 * members of one format (audience). */
	"CREATE TABLE digests ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
	"  volume INTEGER NOT NULL,"
	"  issue INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  posts INTEGER NOT NULL,"
	"  UNIQUE (list_id, volume, issue)"
	");"
	"CREATE TABLE digest_state ("
	"  list_id INTEGER PRIMARY KEY REFERENCES lists(id) ON DELETE CASCADE,"
	"  volume INTEGER NOT NULL DEFAULT 1,"
	"  issue INTEGER NOT NULL DEFAULT 0,"	/* last issue sent */
	"  year INTEGER NOT NULL DEFAULT 0,"	/* local year of that issue */
	"  next_due INTEGER NOT NULL DEFAULT 0,"/* 0: not computed yet */
	"  due_for TEXT NOT NULL DEFAULT '',"	/* schedule and zone of it */
	/* YYYYMM of the last digest that carried the log's summary */
	"  log_month INTEGER NOT NULL DEFAULT 0"
	");"
	"ALTER TABLE posts ADD COLUMN digest_id INTEGER NOT NULL DEFAULT 0;"
	"UPDATE posts SET digest_id = -1 WHERE state = 'accepted';"
	"CREATE INDEX posts_digest ON posts (list_id, digest_id, id);"
	"ALTER TABLE members ADD COLUMN digest_format TEXT NOT NULL"
	"  DEFAULT 'mime' CHECK (digest_format IN ('mime', 'plain'));"
	"ALTER TABLE jobs ADD COLUMN digest_id INTEGER NOT NULL DEFAULT 0;"
	/* '': a post's readers; 'mime' or 'plain': digest members. */
	"ALTER TABLE jobs ADD COLUMN audience TEXT NOT NULL DEFAULT '';",
	/* A released quarantine row goes to the members it would have. */
	"ALTER TABLE quarantine ADD max_member INTEGER NOT NULL DEFAULT 0;",
	/* Bans (store_ban.c): list_id 0 holds the site's. */
	"CREATE TABLE bans ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL,"
	"  glob TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (list_id, glob)"
	");"
	"CREATE TRIGGER bans_list_gone AFTER DELETE ON lists BEGIN"
	"  DELETE FROM bans WHERE list_id = old.id; END;",
	/* Bounce processing.  A member with disabled != 0 (the time he
	 * was disabled) gets no mail; bounce_state holds his score (Mailman's
	 * model) and the warnings sent since he was disabled. */
	"ALTER TABLE members ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE bounce_state ("
	"  member_id INTEGER PRIMARY KEY REFERENCES members(id)"
	"    ON DELETE CASCADE,"
	"  list_id INTEGER NOT NULL,"
	"  score REAL NOT NULL DEFAULT 0,"
	"  last_bounce INTEGER NOT NULL DEFAULT 0,"
	"  last_day INTEGER NOT NULL DEFAULT 0,"	/* day last counted */
	"  last_diag TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '',"		/* why disabled */
	"  warnings INTEGER NOT NULL DEFAULT 0,"
	"  next_action INTEGER NOT NULL DEFAULT 0"	/* warn or remove */
	");"
	"CREATE INDEX bounce_state_list ON bounce_state (list_id);"
	/* Each row of bounces (the relay's 5xx, a DSN) is scored once by
	 * the scheduler; those from before bounce processing are not. */
	"ALTER TABLE bounces ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;"
	"UPDATE bounces SET scored = 1;"
	"CREATE INDEX bounces_unscored ON bounces (scored, id);",
	/* DMARC policies by From domain, kept for their DNS TTL. */
	"CREATE TABLE dmarc_cache ("
	"  domain TEXT PRIMARY KEY,"		/* lower case */
	"  policy TEXT NOT NULL,"		/* reject quarantine none fail */
	"  expires INTEGER NOT NULL"
	") WITHOUT ROWID;",
	/* Signed checkpoints of the moderation log, each one as published
	 * (modlog_checkpoint.c); kept when the list goes, as the log is. */
	"CREATE TABLE modlog_checkpoints ("
	"  id INTEGER PRIMARY KEY,"
	"  list_id INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  head BLOB NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  sig BLOB NOT NULL"
	");"
	"CREATE INDEX modlog_checkpoints_list ON modlog_checkpoints"
	"  (list_id, id);"
	/* form 2: the hash covers modid (the moderator's pseudonym, which
	 * members may see) instead of the address (modlog.c). */
	"ALTER TABLE modlog ADD COLUMN form INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE modlog ADD COLUMN modid TEXT NOT NULL DEFAULT '';",
	/* A member's display name ('' when none): clean one-line UTF-8,
	 * at most 200 bytes (addr_mailbox.c), for member ls and the To:
	 * of the mails written to him. */
	"ALTER TABLE members ADD COLUMN name TEXT NOT NULL DEFAULT '';",
	/* A held post that waits for its own sender's confirmation (an
	 * owner's or moderator's post accepted by role: rules.h): the
	 * address it waits for, '' for a moderator's hold. */
	"ALTER TABLE posts ADD COLUMN confirm TEXT NOT NULL DEFAULT '';",
	/* Several nodes on one database (PostgreSQL): the node that claimed
	 * an inbox row, a fan-out range or a retry, and until when its claim
	 * lives unrenewed (store_cluster.h); '' and 0: nobody's. */
	"ALTER TABLE inbox ADD COLUMN node TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE inbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE inflight ADD COLUMN node TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE inflight ADD COLUMN lease_until INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE retries ADD COLUMN node TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE retries ADD COLUMN lease_until INTEGER NOT NULL"
	"  DEFAULT 0;",
	/* The fan-out of a post with no thread preferences (store_queue.c's
	 * range_members) reads its recipients from this index alone, in
	 * member order, without a look-up of each member's row. */
	"CREATE INDEX members_each ON members (list_id, id, addr, mode,"
	"  disabled)"
	"  WHERE mode = 'each' AND disabled = 0;",
};

/* The engine's list of migrations and its length. */
static const char *const *
store_migrations(struct store *st, size_t *n_r)
{
#ifdef HAVE_PGSQL
	if (db_engine(st->db) == DB_PGSQL) {
		*n_r = store_migrations_pgsql_count;
		return store_migrations_pgsql;
	}
#endif
	(void)st;
	*n_r = sizeof(store_migrations_sqlite) /
	    sizeof(store_migrations_sqlite[0]);
	return store_migrations_sqlite;
}

int
store_migrate(struct store *st, const char **error_r)
{
	const char *const *migrations;
	size_t n;
	int v;

	migrations = store_migrations(st, &n);
	if (db_schema_version(st->db, &v) < 0) {
		*error_r = "cannot read the schema version";
		return -1;
	}
	if ((size_t)v == n)
		return 0;
	if ((size_t)v > n) {
		*error_r = "database written by a newer postino";
		return -1;
	}
	if (store_begin(st) < 0) {
		*error_r = "cannot lock the database to migrate it";
		return -1;
	}
	/* Re-read under the lock: another process may have migrated. */
	if (db_schema_version(st->db, &v) < 0)
		goto fail;
	for (; (size_t)v < n; v++) {
		if (db_exec(st->db, migrations[v]) < 0) {
			log_warnx("store: migration %d failed", v + 1);
			goto fail;
		}
		if (db_set_schema_version(st->db, v + 1) < 0)
			goto fail;
	}
	if (store_commit(st) < 0)
		goto fail;
	if (v > 0)
		log_debug("store: schema at version %d", v);
	return 0;
fail:
	store_rollback(st);
	*error_r = "schema migration failed";
	return -1;
}
