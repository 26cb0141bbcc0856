/*
 * cmd_queue.c — `postino queue`: what the delivery engine has to do.
 *
 * Lists active jobs (kind, list, cursor over the members, sent, failed,
 * deferred and in-flight counts), the recipients waiting for a retry
 * with their next attempt time and last error, and the received messages
 * in quarantine (they failed processing PROCESS_MAX_ATTEMPTS times).
 * `queue --all` includes finished jobs.  --json prints one object
 * {jobs: [...], retries: [...], quarantine: [...]}.
 * `queue release ID` puts a quarantined message back to be processed
 * (exit 67 when there is no such ID, 65 when ID is not a number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "store.h"

struct qprint {
	struct cmd_ctx	*ctx;
	int		 first;
	int		 count;
};

static void
fmt_time(time_t t, char *out, size_t len)
{
	char iso[CMD_TIME_MAX];

	if (t == 0) {
		snprintf(out, len, "now");
		return;
	}
	cmd_time(t, iso);
	snprintf(out, len, "%s", iso);
}

static int
print_job(const struct store_job *j, void *arg)
{
	struct qprint *qp = arg;
	char created[32];

	fmt_time(j->created, created, sizeof(created));
	if (qp->ctx->json) {
		printf("%s\n    {\"id\": %lld, \"kind\": ", qp->first ? "" : ",",
		    (long long)j->id);
		json_str(stdout, j->kind);
		printf(", \"list_id\": %lld, \"post_id\": %lld, \"state\": ",
		    (long long)j->list_id, (long long)j->post_id);
		json_str(stdout, j->state);
		printf(", \"cursor\": %lld, \"max_member\": %lld, \"sent\": %lld,"
		    " \"failed\": %lld, \"deferred\": %lld, \"inflight\": %lld,"
		    " \"size\": %zu, \"created\": \"%s\"}", (long long)j->cursor,
		    (long long)j->max_member, (long long)j->sent,
		    (long long)j->failed, (long long)j->deferred,
		    (long long)j->inflight, j->len, created);
	} else {
		printf("job %lld  %-6s list %lld post %lld  %s  cursor %lld/%lld"
		    "  sent %lld failed %lld deferred %lld in-flight %lld"
		    "  %zu bytes  created %s\n", (long long)j->id, j->kind,
		    (long long)j->list_id, (long long)j->post_id, j->state,
		    (long long)j->cursor, (long long)j->max_member,
		    (long long)j->sent, (long long)j->failed,
		    (long long)j->deferred, (long long)j->inflight, j->len,
		    created);
	}
	qp->first = 0;
	qp->count++;
	return 0;
}

static int
print_retry(const struct store_retry *r, void *arg)
{
	struct qprint *qp = arg;
	char next[32];

	fmt_time(r->next_attempt, next, sizeof(next));
	if (qp->ctx->json) {
		printf("%s\n    {\"job\": %lld, \"addr\": ", qp->first ? "" : ",",
		    (long long)r->job_id);
		json_str(stdout, r->addr);
		printf(", \"attempts\": %d, \"next_attempt\": \"%s\","
		    " \"last_error\": ", r->attempts, next);
		json_str(stdout, r->last_error);
		printf("}");
	} else
		printf("retry job %lld  <%s>  attempts %d  next %s  %s\n",
		    (long long)r->job_id, r->addr, r->attempts, next,
		    r->last_error);
	qp->first = 0;
	qp->count++;
	return 0;
}

static int
print_quarantine(const struct store_quarantine *r, void *arg)
{
	struct qprint *qp = arg;
	char created[32];

	fmt_time(r->created, created, sizeof(created));
	if (qp->ctx->json) {
		printf("%s\n    {\"id\": %lld, \"list_id\": %lld, \"rcpt\": ",
		    qp->first ? "" : ",", (long long)r->id,
		    (long long)r->list_id);
		json_str(stdout, r->rcpt);
		printf(", \"sender\": ");
		json_str(stdout, r->sender);
		printf(", \"attempts\": %d, \"received\": \"%s\"}",
		    r->attempts, created);
	} else
		printf("quarantine %lld  list %lld  <%s>  from <%s>  attempts %d"
		    "  received %s  (postino queue release %lld)\n",
		    (long long)r->id, (long long)r->list_id, r->rcpt, r->sender,
		    r->attempts, created, (long long)r->id);
	qp->first = 0;
	qp->count++;
	return 0;
}

/* `queue release ID`: a quarantined message goes back to processing. */
static int
queue_release(struct cmd_ctx *ctx, const char *arg)
{
	struct store *st;
	char *end;
	long long id = strtoll(arg, &end, 10);
	int rc;

	if (*arg == '\0' || *end != '\0' || id < 1) {
		fprintf(stderr, "postino: queue release: '%s' is not a"
		    " quarantine ID\n", arg);
		return EX_DATAERR_;
	}
	st = ctx->st;
	if ((rc = store_quarantine_release(st, id)) < 0)
		return cmd_store_error(st, "queue release");
	if (rc == 0) {
		fprintf(stderr, "postino: queue release: no quarantined message"
		    " %lld (see postino queue)\n", id);
		return EX_NOUSER_;
	}
	printf("quarantined message %lld released: it is processed again\n",
	    id);
	return 0;
}

int
cmd_queue(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct qprint qp = { ctx, 1, 0 };
	struct store *st;
	int all = 0;

	if (argc == 3 && strcmp(argv[1], "release") == 0)
		return cmd_json_refused(ctx, 0, "queue release") != EX_OK_ ?
		    EX_USAGE_ : queue_release(ctx, argv[2]);
	if (argc == 2 && strcmp(argv[1], "--all") == 0)
		all = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: postino queue [--all] [--json]\n"
		    "       postino queue release ID\n");
		return EX_USAGE_;
	}
	st = ctx->st;
	if (ctx->json)
		printf("{\n  \"jobs\": [");
	if (store_job_each(st, !all, print_job, &qp) < 0)
		return EX_TEMPFAIL_;
	if (ctx->json)
		printf("%s],\n  \"retries\": [", qp.first ? "" : "\n  ");
	else if (qp.count == 0)
		printf("no %sjobs\n", all ? "" : "active ");
	qp.first = 1;
	qp.count = 0;
	if (store_retry_each(st, print_retry, &qp) < 0)
		return EX_TEMPFAIL_;
	if (ctx->json)
		printf("%s],\n  \"quarantine\": [", qp.first ? "" : "\n  ");
	qp.first = 1;
	if (store_quarantine_each(st, print_quarantine, &qp) < 0)
		return EX_TEMPFAIL_;
	if (ctx->json)
		printf("%s]\n}\n", qp.first ? "" : "\n  ");
	return 0;
}
