/*
 * cmd_serve.c — `postino serve`: the daemon.
 *
 * Wires the pieces together: the server (LMTP/SMTP sessions, group
 * commit) in the main thread, the processor thread (inbox -> posts ->
 * jobs) and the delivery threads (jobs -> relay).  SIGTERM/SIGINT finish
 * in-flight work and exit 0; SIGHUP reloads the config file.
 *
 * What accepting a message means is ingest.c's; the server's hooks only
 * hand over to it.  A damaged database stops the start (PRAGMA
 * quick_check, exit 78); one found while running makes ingest answer 4xx
 * to new mail.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "personal.h"
#include "priv.h"
#include "process.h"
#include "queue.h"
#include "server.h"
#include "store.h"
#include "store_cluster.h"
#include "template.h"
#include "token.h"

struct serve {
	struct config	*cfg;		/* the one in force */
	struct store	*st;		/* main thread: RCPT look-ups */
	struct store	*st_commit;	/* the server's committer thread */
	struct ingest_ctx ingest;	/* what the server's hooks use */
	struct process	*proc;
	struct queue	*queue;
	struct server	*server;
	struct http	*http;		/* one-click pages, or NULL */
};

static struct server *signal_server;

static void
on_signal(int sig)
{
	if (signal_server == NULL)
		return;
	if (sig == SIGHUP)
		server_reload(signal_server);
	else
		server_stop(signal_server);
}

/* The server's hooks: the ingest module, which knows what taking a
 * message means. */
static enum ingest_outcome
hook_rcpt(void *arg, const char *addr, struct ingest_rcpt *r)
{
	return ingest_rcpt_check(arg, addr, r);
}

static enum ingest_outcome
hook_validate(void *arg, const char *body, size_t len, const char **error_r)
{
	(void)arg;
	return ingest_validate(body, len, error_r);
}

static enum ingest_outcome
hook_commit(void *arg, struct ingest *const *items, size_t n)
{
	return ingest_commit(arg, items, n);
}

static void
process_kick_cb(void *arg)
{
	process_kick(arg);
}

static void
queue_kick_cb(void *arg)
{
	queue_kick(arg);
}

/* The demo list of the embedded defaults, so `make run` shows the flow. */
static int
demo_setup(struct serve *s)
{
	static const char *const members[] = {
		"alice@example.org", "bob@example.org", "carol@example.org",
	};
	const struct config *cfg = s->cfg;
	int64_t id;
	size_t i;

	if (cfg->demo_list == NULL || *cfg->demo_list == '\0')
		return 0;
	switch (store_list_create(s->st, cfg->demo_list, &id)) {
	case 0:
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (store_member_add(s->st, id, members[i], MODE_EACH,
			    NULL) < 0)
				return -1;
		break;
	case 1:
		break;		/* made by an earlier run: leave it as it is */
	default:
		return -1;
	}
	return 0;
}

/* How to post to the demo list, once everything runs. */
static void
demo_banner(const struct config *cfg)
{
	const char *listen, *proto;

	if (cfg->demo_list == NULL || *cfg->demo_list == '\0')
		return;
	listen = cfg->smtp_listen;
	proto = "";
	if (strcmp(listen, "off") == 0) {
		listen = cfg->lmtp_listen;
		proto = " --protocol LMTP";
	}
	/* stdout, so it stands apart from the log on stderr. */
	printf("postino: demo list %s ready; post to it with:  swaks%s"
	    " --server %s --from alice@example.org --to %s  (copies land"
	    " in %s)\n", cfg->demo_list, proto, listen, cfg->demo_list,
	    cfg->relay);
	fflush(stdout);
}

static int
serve_listen(struct serve *s)
{
	char *error = NULL;

	if (strcmp(s->cfg->lmtp_listen, "off") != 0 &&
	    server_listen(s->server, PROTO_LMTP, s->cfg->lmtp_listen,
	    &error) < 0)
		goto fail;
	if (strcmp(s->cfg->smtp_listen, "off") != 0 &&
	    server_listen(s->server, PROTO_SMTP, s->cfg->smtp_listen,
	    &error) < 0)
		goto fail;
	if (strcmp(s->cfg->socketmap_listen, "off") != 0 &&
	    server_listen(s->server, PROTO_SOCKETMAP,
	    s->cfg->socketmap_listen, &error) < 0)
		goto fail;
	if (strcmp(s->cfg->http_listen, "off") != 0 &&
	    http_new(s->cfg, &s->http, &error) < 0)
		goto fail;
	return 0;
fail:
	log_errorx("%s", error);
	free(error);
	return -1;
}

static enum log_level
level_of(const char *name)
{
	if (strcmp(name, "debug") == 0)
		return LOG_L_DEBUG;
	if (strcmp(name, "warning") == 0)
		return LOG_L_WARN;
	return LOG_L_INFO;
}

/* SIGHUP: read the file again; on error keep what runs. */
static struct config *
serve_reload(struct serve *s, const char *path)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	char *error = NULL;

	config_defaults(cfg);
	if (config_load(cfg, path, &error) < 0) {
		log_warnx("reload: %s; keeping the running configuration",
		    error);
		free(error);
		config_free(cfg);
		free(cfg);
		return NULL;
	}
	log_set_level(level_of(cfg->log_level));
	server_configure(s->server, cfg);
	queue_configure(s->queue, cfg);
	log_info("reload: configuration read from %s",
	    cfg->path ? cfg->path : "embedded defaults");
	return cfg;
}

/*
 * Open the database and read every page of it once: a damaged one must
 * not take mail it could not deliver.  0, or the exit code after saying
 * why on stderr.
 */
static int
serve_open(struct serve *s, const char *path)
{
	struct buf report = BUF_INIT;
	const char *error;
	int rc;

	if (store_open(path, STORE_DURABLE | STORE_NOCKPT, &s->st,
	    &error) < 0) {
		log_errorx("%s: %s", path, error);
		return store_damaged() ? EX_CONFIG_ : EX_TEMPFAIL_;
	}
	if ((rc = store_check(s->st, &report)) != 0)
		log_errorx("%s: %s: PRAGMA quick_check: %s%s", path,
		    rc > 0 ? "database is damaged, not starting" :
		    "cannot check the database", report.data,
		    rc > 0 ? "; restore it from a backup or repair it"
		    " (sqlite3 .recover)" : "");
	buf_free(&report);
	if (rc != 0)
		store_close(&s->st);
	return rc > 0 ? EX_CONFIG_ : rc < 0 ? EX_TEMPFAIL_ : 0;
}

/*
 * Bind the listeners while still root (a unix socket in a directory only
 * root may write, a port below 1024), then become `user` before opening
 * the database or reading any mail.  An exit code, 0 when all is well.
 */
static int
serve_bind(struct serve *s)
{
	static const struct server_hooks hooks = {
		hook_rcpt, hook_validate, hook_commit,
	};
	char *error = NULL;

	if (geteuid() == 0 && *s->cfg->user == '\0' &&
	    priv_drop(s->cfg->user, &error) < 0)
		goto config;	/* refuse before binding anything */
	if ((s->server = server_new(s->cfg, &hooks, &s->ingest)) == NULL ||
	    serve_listen(s) < 0)
		return EX_OSERR_;
	if (priv_drop(s->cfg->user, &error) < 0)
		goto config;
	return 0;
config:
	log_errorx("%s", error);
	free(error);
	return EX_CONFIG_;
}

/* As `user`: open and check the store, start the threads; an exit code,
 * 0 when all runs. */
static int
serve_start(struct serve *s, struct cmd_ctx *ctx)
{
	const char *error_c;
	char *error = NULL;
	int rc;

	if ((rc = serve_open(s, ctx->cfg.database)) != 0)
		return rc;
	/* Read by the delivery threads: set before they start, kept until
	 * exit (a reload does not change it). */
	if (s->http != NULL)
		personal_set_public_url(s->cfg->public_url);
	if ((s->http != NULL) != (*s->cfg->public_url != '\0'))
		log_warnx("%s is set without %s: copies carry no one-click"
		    " unsubscribe link", s->http ? "http_listen" : "public_url",
		    s->http ? "public_url" : "http_listen");
	ctx->st = s->st;	/* closed by main */
	/* This node's name in its claims: before any thread claims. */
	store_cluster_node(s->cfg->node_name, s->cfg->node_lease);
	if (store_cluster_recover(s->st) < 0 ||
	    store_queue_recover(s->st) < 0 || demo_setup(s) < 0)
		return EX_TEMPFAIL_;
	if (token_init(s->cfg->secret_file, &error) < 0 ||
	    template_check(ctx->cfg.templates, &error) < 0 ||
	    queue_start(s->cfg, &s->queue, &error) < 0 ||
	    process_start(s->cfg, queue_kick_cb, s->queue, &s->proc,
	    &error) < 0 || (s->http != NULL &&
	    http_start(s->http, queue_kick_cb, s->queue, &error) < 0)) {
		log_errorx("%s", error);
		free(error);
		return EX_TEMPFAIL_;
	}
	if (store_open(ctx->cfg.database, STORE_DURABLE | STORE_NOCKPT,
	    &s->st_commit, &error_c) < 0) {
		log_errorx("%s: %s", ctx->cfg.database, error_c);
		return EX_TEMPFAIL_;
	}
	s->ingest.st = s->st;
	s->ingest.st_commit = s->st_commit;
	s->ingest.cfg = s->cfg;
	s->ingest.stored = process_kick_cb;
	s->ingest.stored_arg = s->proc;
	return 0;
}

int
cmd_serve(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct serve s;
	struct config *reloaded[64];
	struct sigaction sa;
	sigset_t mask;
	size_t nreloaded = 0, i;
	int rc, status;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: postino serve\n");
		return EX_USAGE_;
	}
	memset(&s, 0, sizeof(s));
	s.cfg = &ctx->cfg;
	log_set_level(level_of(s.cfg->log_level));
	/* A signal that comes while we start (the ports answer before the
	 * database is checked) waits until the handlers are in place; the
	 * threads started meanwhile keep them blocked, so only this one
	 * handles them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	if ((status = serve_bind(&s)) != 0 ||
	    (status = serve_start(&s, ctx)) != 0)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_server = s.server;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
	log_info("postino %s ready: lmtp %s, smtp %s, relay %s",
	    POSTINO_VERSION, s.cfg->lmtp_listen, s.cfg->smtp_listen,
	    s.cfg->relay);
	demo_banner(s.cfg);

	while ((rc = server_run(s.server)) == 1) {
		struct config *c = serve_reload(&s, ctx->cfg.path);

		if (c != NULL && nreloaded < sizeof(reloaded) /
		    sizeof(reloaded[0])) {
			/* Threads may still read the previous strings: keep
			 * every configuration until exit. */
			reloaded[nreloaded++] = c;
			s.cfg = c;
			s.ingest.cfg = c;
		} else if (c != NULL) {
			config_free(c);
			free(c);
		}
	}
	status = rc == 0 ? 0 : EX_SOFTWARE_;
	log_info("stopping: finishing in-flight work");
out:
	signal_server = NULL;
	http_free(&s.http);
	server_free(&s.server);		/* joins the committer */
	store_close(&s.st_commit);
	process_stop(&s.proc);
	queue_stop(&s.queue);
	for (i = 0; i < nreloaded; i++) {
		config_free(reloaded[i]);
		free(reloaded[i]);
	}
	token_shutdown();
	if (status == 0)
		log_info("stopped");
	return status;
}
