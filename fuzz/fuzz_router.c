/*
 * fuzz_router.c — libFuzzer target for what anyone who can send mail
 * reaches: a recipient address through router_rcpt, and, when it names a
 * command extension of a list, the message through subscription_handle
 * (the command dispatch: -request lines, +confirm-TOKEN, +bounces-...).
 *
 * Input: the first line is the local part after "team" (so "+subscribe"
 * or "-request" or "+bounces-x-y"); the rest is the message.  One list
 * with a member, an owner and a moderator lives in a private database
 * made once; every input runs in a transaction that is rolled back, so
 * each run starts from the same state.  Invariants besides the
 * sanitizers: an address the router takes names that list, its
 * extension is a row of the command address table, and the handler
 * always leaves a log note.
 *
 * Build: `make build/fuzz/fuzz_router` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "listctx.h"
#include "log.h"
#include "router.h"
#include "store.h"
#include "subscription.h"
#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LIST	"team@example.org"

static struct store *st;
static struct config cfg;
static struct list_ctx lc;	/* the list, loaded once */
static int64_t list_id;
static char dir[] = "/tmp/postino-fuzz-router-XXXXXX";

static void
fuzz_cleanup(void)
{
	char path[128];

	list_ctx_clear(&lc);
	store_close(&st);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "fuzz_router: could not remove %s\n", dir);
}

static void
fuzz_init(void)
{
	char db[96], key[96], *error = NULL;
	const char *err;

	if (st != NULL)
		return;
	log_init("fuzz_router", LOG_L_WARN);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(db, sizeof(db), "%s/fuzz.db", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	config_defaults(&cfg);
	if (store_open(db, STORE_RELAXED, &st, &err) < 0 ||
	    token_init(key, &error) < 0) {
		fprintf(stderr, "fuzz_router: %s\n", error ? error : err);
		abort();
	}
	if (store_list_create(st, LIST, &list_id) != 0 ||
	    store_member_add(st, list_id, "amy@example.com", MODE_EACH,
	    NULL) < 0 ||
	    store_role_add(st, list_id, "owner", "olga@example.com") < 0 ||
	    store_role_add(st, list_id, "moderator", "mo@example.com") < 0 ||
	    list_ctx_load(st, &cfg, list_id, &lc) != 1)
		abort();
	atexit(fuzz_cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct buf addr = BUF_INIT, note = BUF_INIT, body = BUF_INIT;
	struct store_inbox in;
	struct ingest_rcpt r;
	struct cmdaddr ca;
	size_t elen = nl ? (size_t)(nl - (const char *)data) : size;

	fuzz_init();
	buf_printf(&addr, "team%.*s@example.org", (int)elen, (const char *)data);
	if (router_rcpt_cmd(st, cfg.recipient_delimiter, addr.data, &r,
	    &ca) != 1)
		goto out;
	if (r.list_id != list_id || (r.ext[0] != '\0') != (ca.row != NULL))
		abort();
	if (r.ext[0] == '\0')
		goto out;	/* a post: process.c's job, not a command */
	if (nl != NULL)
		buf_append(&body, nl + 1, size - elen - 1);
	buf_puts(&body, "");
	memset(&in, 0, sizeof(in));
	in.list_id = list_id;
	in.rcpt = r.addr;
	in.ext = r.ext;
	in.sender = "amy@example.com";
	in.body = body.data;
	in.len = body.len;
	if (store_begin(st) < 0)
		abort();
	(void)subscription_handle(&lc, &in, &note);
	store_rollback(st);
	if (note.len == 0)
		abort();
out:
	buf_free(&addr);
	buf_free(&note);
	buf_free(&body);
	return 0;
}
