/*
 * test_notice.c — every notice in every language, built and parsed back
 * with libetpan: headers present once, the Subject and the body decode
 * to the rendered UTF-8 text, lines within their limits, nothing left
 * unexpanded; result lines; the attachment variant; quoted-printable
 * edge cases; hostile values; errors instead of mails; queueing.  Run
 * from the repository root (it reads templates/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "buf.h"
#include "config.h"
#include "notice.h"
#include "store.h"
#include "template.h"

#define LIST		"team@example.org"
#define DESCR		"Società Ciclistica — Año"
#define HOST		"lists.example.net"
#define MEMBER		"Ann.Member@example.com"
#define PARENT		"orig.42@example.net"
#define NOWN		12
#define NCOMMON		16
#define NLANGS		2

static struct config cfg;
static char root[64];
static char over[96];

static const char *const langs[NLANGS] = { "en", "it" };

/* What the common placeholders must hold for LIST with "+". */
static const struct tvar common[NCOMMON] = {
	{ "list_addr", LIST },
	{ "list_name", "team" },
	{ "description", DESCR },
	{ "hostname", HOST },
	{ "request_addr", "team-request@example.org" },
	{ "help_addr", "team+help@example.org" },
	{ "owner_addr", "team+owner@example.org" },
	{ "subscribe_addr", "team+subscribe@example.org" },
	{ "unsubscribe_addr", "team+unsubscribe@example.org" },
	{ "digest_addr", "team+digest@example.org" },
	{ "nomail_addr", "team+nomail@example.org" },
	{ "each_addr", "team+each@example.org" },
	{ "follow_addr", "team+follow@example.org" },
	{ "mute_addr", "team+mute@example.org" },
	{ "rules_addr", "team+rules@example.org" },
	{ "log_addr", "team+log@example.org" },
};

/* Sample values, non-ASCII ones among them. */
static const struct tvar samples[] = {
	{ "token", "k7q2xmd4rt5vbn3wz6yhc8fjpa" },
	{ "confirm_addr", "team+confirm-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "approve_addr", "team+approve-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "moderate_addr",
	    "team+moderate-m7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "line", "Looks fine to me" },
	{ "decline_addr", "team+decline-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "reenable_addr", "team+reenable-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "warnings_left", "2" },
	{ "score", "5.0" },
	{ "member_addr", MEMBER },
	{ "expires", "2030-01-02 03:04 UTC" },
	{ "mode", "digest" },
	{ "rules", "Be kind. Siate gentili — niente pubblicità." },
	{ "results", "Ann.Member@example.com è ora iscritto.\n"
	    "Unknown command, ignored: frobnicate ☃" },
	{ "thread", "abc.123@example.net" },
	{ "command", "frobnicate ☃ ñ" },
	{ "subject", "Vendo bici — quasi nuova" },
	{ "reason", "Niente pubblicità: ¡gracias!" },
	{ "rule", "no-ads" },
	{ "moderator", "moderator-ab3k7q" },
	{ "deadline", "2030-01-05 03:04 UTC" },
	{ "appeal_addr", "team+appeal-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "author", "Öle@example.net" },
	{ "reject_addr", "team+reject-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "discard_addr", "team+discard-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "post_id", "42" },
	{ "uphold_addr", "team+uphold-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "overturn_addr",
	    "team+overturn-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org" },
	{ "appeal", "È in tema: vedi lo statuto." },
	{ "state", "rejected" },
	{ "by", "mia@example.org" },
	{ "when", "2030-01-03 10:00 UTC" },
	{ "outcome", "overturned" },
	{ "entries", "1. 2030-01-03 held \"Vendo bici\" (no-ads)" },
	{ "summary", "held 1, approved 0, rejected 1" },
	{ "head_hash", "3f1c0a9e" },
	{ "head_seq", "7" },
	{ "checkpoint", "postino-checkpoint v1 team@example.org 7 3f1c0a9e"
	    " 2030-01-03T10:00:00Z c2ln" },
	{ "chain", "postino-log-entry {\"seq\": 7}" },
	{ "hash", "3f1c0a9e" },
	{ "since", "2029-12-04" },
	{ "emergency", "" },
	{ "position", "1" },
	{ "name", "no-ads" },
	{ "text", "Niente pubblicità, per favore" },
	{ "action", "hold" },
	{ "seq", "7" },
	{ "time", "2030-01-03T10:00:00Z" },
	{ "msgid", "abc.123@example.net" },
	{ "detail", "Auto-Submitted header" },
	{ "owner_addr", "team+owner@example.org" },
	/* the HTML archive: values arrive escaped or as markup */
	{ "list_addr", LIST },
	{ "month", "2030-01" },
	{ "months", "<tr><td>2030-01</td><td>4</td></tr>" },
	{ "posts", "<ul class=\"posts\"><li><a href=\"42.html\">Vendo bici"
	    "</a></li></ul>" },
	{ "threads", "<ul class=\"thread\"><li><a href=\"42.html\">Vendo "
	    "bici</a></li></ul>" },
	{ "prev_date", "href=\"../2030-01/41.html\" rel=\"prev\"" },
	{ "next_date", "aria-disabled=\"true\"" },
	{ "prev_thread", "href=\"../2029-12/7.html\" rel=\"prev\"" },
	{ "next_thread", "href=\"../2030-01/43.html\" rel=\"next\"" },
	{ "content", "<pre class=\"body\">Ciao &lt;tutti&gt; — è così</pre>" },
	{ "items", "<li><span class=\"name\">bici.jpg</span></li>" },
	{ "feed_id", "tag:team@example.org,2029-12-01:archive" },
	{ "updated", "2030-01-03T10:00:00Z" },
	{ "entries", "<entry><title>Vendo bici</title></entry>" },
	{ "code", "413" },
	{ "volume", "3" },
	{ "issue", "12" },
	{ "count", "4" },
	{ "date", "2030-01-03" },
	{ "contents", "  Thread: Vendo bici — quasi nuova (2)\n"
	    "    1. Vendo bici — quasi nuova (Öle@example.net)" },
	{ "messages", "Message: 1\nFrom: Öle <ole@example.net>\n\nCiao!\n"
	    "\n------------------------------" },
	{ "number", "1" },
	{ "filename", "preventivo-bici.pdf" },
	{ "type", "application/pdf" },
	{ "size", "12 KB" },
	{ "moderation", "Moderation since 2029-12-04: held 1, rejected 1" },
	{ "from", "Öle <ole@example.net>" },
};

/* Every template notices use, with its own placeholders. */
static const struct tcase {
	const char	*name;
	int		 mail;		/* 1 full mail, 0 result line */
	const char	*role;		/* from_role */
	const char	*reply_to;	/* sample holding Reply-To, or NULL */
	int		 answers;	/* In-Reply-To given */
	const char	*vars[NOWN];
} tcases[] = {
	{ "confirm_subscribe", 1, "request", "confirm_addr", 1,
	    { "token", "confirm_addr", "member_addr", "expires", NULL } },
	{ "confirm_unsubscribe", 1, NULL, "confirm_addr", 1,
	    { "token", "confirm_addr", "member_addr", "expires", NULL } },
	{ "approve_subscribe", 1, "owner", "approve_addr", 0,
	    { "member_addr", "token", "approve_addr", "expires",
	    "decline_addr", NULL } },
	{ "request_declined", 1, NULL, NULL, 0, { "member_addr", NULL } },
	{ "subscribe_pending", 1, NULL, NULL, 1, { "member_addr", NULL } },
	{ "welcome", 1, NULL, NULL, 0, { "member_addr", "mode", "rules",
	    NULL } },
	{ "goodbye", 1, NULL, NULL, 0, { "member_addr", NULL } },
	{ "help", 1, NULL, NULL, 1, { NULL } },
	{ "reply", 1, NULL, NULL, 1, { "results", "member_addr", NULL } },
	{ "owner_join", 1, "owner", NULL, 0, { "member_addr", "mode", NULL } },
	{ "owner_leave", 1, "owner", NULL, 0, { "member_addr", NULL } },
	{ "bounce_disabled", 1, NULL, NULL, 0, { "member_addr", "reason",
	    "reenable_addr", "warnings_left", NULL } },
	{ "bounce_owner_disabled", 1, "owner", NULL, 0, { "member_addr",
	    "reason", "score", NULL } },
	{ "bounce_owner_removed", 1, "owner", NULL, 0, { "member_addr",
	    "reason", NULL } },
	{ "r_reenabled", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_subscribed", 0, NULL, NULL, 0, { "member_addr", "mode", NULL } },
	{ "r_confirm_subscribe_sent", 0, NULL, NULL, 0, { "member_addr",
	    NULL } },
	{ "r_confirm_unsubscribe_sent", 0, NULL, NULL, 0, { "member_addr",
	    NULL } },
	{ "r_already_member", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_not_member", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_log_members_only", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_unsubscribed", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_pending_approval", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_approved", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_declined", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "r_mode_set", 0, NULL, NULL, 0, { "member_addr", "mode", NULL } },
	{ "r_thread_muted", 0, NULL, NULL, 0, { "thread", NULL } },
	{ "r_thread_followed", 0, NULL, NULL, 0, { "thread", NULL } },
	{ "r_thread_unknown", 0, NULL, NULL, 0, { NULL } },
	{ "r_unknown_command", 0, NULL, NULL, 0, { "command", NULL } },
	{ "r_token_unknown", 0, NULL, NULL, 0, { "token", NULL } },
	{ "r_token_used", 0, NULL, NULL, 0, { "token", NULL } },
	{ "r_token_expired", 0, NULL, NULL, 0, { "token", NULL } },
	{ "r_no_commands", 0, NULL, NULL, 0, { NULL } },
	/* moderation (issue 4) */
	{ "held_author", 1, NULL, NULL, 1, { "subject", "reason", "rule",
	    "moderator", "deadline", "checkpoint", NULL } },
	{ "rejected_author", 1, NULL, NULL, 1, { "subject", "reason", "rule",
	    "moderator", "deadline", "appeal_addr", "checkpoint", NULL } },
	{ "held_moderator", 1, NULL, "moderate_addr", 0, { "subject",
	    "author", "reason", "rule", "approve_addr", "reject_addr",
	    "post_id", "deadline", "discard_addr", "checkpoint",
	    "moderate_addr", NULL } },
	{ "reminder_moderator", 1, NULL, "moderate_addr", 0, { "subject",
	    "author", "reason", "rule", "approve_addr", "reject_addr",
	    "post_id", "deadline", "discard_addr", "checkpoint",
	    "moderate_addr", NULL } },
	{ "appeal_moderator", 1, NULL, NULL, 0, { "subject", "author",
	    "reason", "appeal", "uphold_addr", "overturn_addr", "post_id",
	    "checkpoint", NULL } },
	{ "appeal_upheld", 1, NULL, NULL, 0, { "subject", "reason",
	    "moderator", "checkpoint", NULL } },
	{ "appeal_overturned", 1, NULL, NULL, 0, { "subject", "moderator",
	    "checkpoint", NULL } },
	{ "log_report", 1, NULL, NULL, 1, { "entries", "summary",
	    "head_hash", "head_seq", "since", "checkpoint", "chain", NULL } },
	{ "rules_report", 1, NULL, NULL, 1, { "rules", "emergency", NULL } },
	{ "log_line", 0, NULL, NULL, 0, { "seq", "time", "action", "subject",
	    "msgid", "rule", "reason", "moderator", "hash", NULL } },
	{ "rule_line", 0, NULL, NULL, 0, { "position", "name", "text",
	    "action", NULL } },
	{ "rules_default", 0, NULL, NULL, 0, { NULL } },
	{ "reason_nonmember", 0, NULL, NULL, 0, { NULL } },
	{ "reason_token", 0, NULL, NULL, 0, { NULL } },
	{ "reason_token_unknown", 0, NULL, NULL, 0, { NULL } },
	{ "reason_token_used", 0, NULL, NULL, 0, { NULL } },
	{ "reason_token_expired", 0, NULL, NULL, 0, { NULL } },
	{ "reason_moderated_list", 0, NULL, NULL, 0, { NULL } },
	{ "reason_moderated_member", 0, NULL, NULL, 0, { NULL } },
	{ "reason_expired", 0, NULL, NULL, 0, { NULL } },
	{ "reason_null_sender", 0, NULL, NULL, 0, { NULL } },
	{ "reason_automatic", 0, NULL, NULL, 0, { "detail", NULL } },
	{ "reason_loop", 0, NULL, NULL, 0, { NULL } },
	{ "r_mod_approved", 0, NULL, NULL, 0, { "post_id", "subject", NULL } },
	{ "r_mod_rejected", 0, NULL, NULL, 0, { "post_id", "subject",
	    "reason", NULL } },
	{ "r_mod_too_late", 0, NULL, NULL, 0, { "post_id", "state", "by",
	    "when", NULL } },
	{ "r_mod_need_reason", 0, NULL, NULL, 0, { "post_id", NULL } },
	{ "r_mod_choices", 0, NULL, NULL, 0, { "post_id", "line", NULL } },
	{ "r_mod_own_post", 0, NULL, NULL, 0, { "post_id", NULL } },
	{ "r_mod_discarded", 0, NULL, NULL, 0, { "post_id", "subject", NULL } },
	{ "r_mod_member_post", 0, NULL, NULL, 0, { "post_id", NULL } },
	{ "r_subscribe_refused", 0, NULL, NULL, 0, { "member_addr", NULL } },
	{ "reason_banned", 0, NULL, NULL, 0, { "detail", NULL } },
	{ "r_appeal_sent", 0, NULL, NULL, 0, { "post_id", NULL } },
	/* announce lists: an owner's post confirmed by its sender */
	{ "post_confirm", 1, NULL, "confirm_addr", 1, { "subject", "post_id",
	    "rule", "confirm_addr", "deadline", "checkpoint", NULL } },
	{ "reason_confirm", 0, NULL, NULL, 0, { NULL } },
	{ "reason_confirm_expired", 0, NULL, NULL, 0, { NULL } },
	{ "reason_announce_only", 0, NULL, NULL, 0, { "owner_addr",
	    "list_addr", NULL } },
	{ "r_post_released", 0, NULL, NULL, 0, { "post_id", "subject",
	    NULL } },
	{ "r_post_used", 0, NULL, NULL, 0, { "post_id", "subject", "state",
	    "when", NULL } },
	{ "r_post_expired", 0, NULL, NULL, 0, { "post_id", "subject", NULL } },
	{ "r_post_no_role", 0, NULL, NULL, 0, { "post_id", "subject", NULL } },
	{ "r_appeal_decided", 0, NULL, NULL, 0, { "post_id", "outcome",
	    NULL } },
	/* digests (issue 5) */
	{ "digest_mime", 1, NULL, NULL, 0, { "volume", "issue", "count",
	    "date", "contents", "moderation", "checkpoint", NULL } },
	{ "digest_plain", 1, NULL, NULL, 0, { "volume", "issue", "count",
	    "date", "contents", "moderation", "checkpoint", "messages",
	    NULL } },
	{ "digest_modlog", 0, NULL, NULL, 0, { "summary", "since",
	    "head_hash", "head_seq", NULL } },
	{ "digest_plain_message", 0, NULL, NULL, 0, { "number", "date",
	    "from", "subject", "msgid", "text", NULL } },
	{ "digest_toc_thread", 0, NULL, NULL, 0, { "subject", "count",
	    NULL } },
	{ "digest_toc_entry", 0, NULL, NULL, 0, { "number", "subject",
	    "author", NULL } },
	{ "digest_attachment", 0, NULL, NULL, 0, { "filename", "type", "size",
	    NULL } },
	/* the HTML archive (issue 5): pages and pieces of pages */
	{ "archive_index", 0, NULL, NULL, 0, { "list_addr", "months", "count",
	    NULL } },
	{ "archive_month_row", 0, NULL, NULL, 0, { "month", "count", NULL } },
	{ "archive_by_date", 0, NULL, NULL, 0, { "list_addr", "month",
	    "count", "posts", NULL } },
	{ "archive_by_thread", 0, NULL, NULL, 0, { "list_addr", "month",
	    "count", "threads", NULL } },
	{ "archive_message", 0, NULL, NULL, 0, { "list_addr", "subject",
	    "author", "date", "prev_date", "next_date", "prev_thread",
	    "next_thread", "content" } },
	{ "archive_attachments", 0, NULL, NULL, 0, { "items", NULL } },
	{ "archive_broken", 0, NULL, NULL, 0, { NULL } },
	{ "archive_no_subject", 0, NULL, NULL, 0, { NULL } },
	{ "archive_feed", 0, NULL, NULL, 0, { "list_addr", "feed_id",
	    "updated", "entries", NULL } },
	{ "http_unsubscribe", 0, NULL, NULL, 0, { "list_addr",
	    "member_addr", "action", NULL } },
	{ "http_unsubscribed", 0, NULL, NULL, 0, { "list_addr",
	    "member_addr", NULL } },
	{ "http_mode_set", 0, NULL, NULL, 0, { "list_addr", "member_addr",
	    "mode", NULL } },
	{ "http_invalid", 0, NULL, NULL, 0, { NULL } },
	{ "http_error", 0, NULL, NULL, 0, { "code", "reason", NULL } },
};

#define NCASES	(sizeof(tcases) / sizeof(tcases[0]))

static const char *
sample(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (strcmp(samples[i].name, name) == 0)
			return samples[i].value;
	fail_msg("no sample for %s", name);
	return NULL;
}

/* The case's own placeholders; with_common puts the common ones first. */
static size_t
case_vars(const struct tcase *tc, int with_common, struct tvar *vars)
{
	size_t n = 0, i;

	for (i = 0; with_common && i < NCOMMON; i++)
		vars[n++] = common[i];
	for (i = 0; i < NOWN && tc->vars[i] != NULL; i++) {
		vars[n].name = tc->vars[i];
		vars[n++].value = sample(tc->vars[i]);
	}
	return n;
}

static void
put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	free(cfg.templates);
	cfg.templates = xstrdup("templates");
	free(cfg.hostname);
	cfg.hostname = xstrdup(HOST);
	free(cfg.recipient_delimiter);
	cfg.recipient_delimiter = xstrdup("+");
	snprintf(root, sizeof(root), "/tmp/postino-notice-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(over, sizeof(over), "%s/over", root);
	return mkdir(over, 0700);
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- parsing a notice back -------------------------------------------- */

struct want {
	const char	*subject;	/* decoded */
	const char	*body;		/* decoded text part, LF */
	const char	*from;		/* address */
	const char	*display;	/* decoded display name, or NULL */
	const char	*reply_to;
	int		 answers;
	int		 attach;
};

/* CRLF only; lines <= 998 octets, header lines <= 78. */
static void
check_lines(const char *m, size_t len, size_t hdr_end)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (m[i] == '\r')
			assert_true(i + 1 < len && m[i + 1] == '\n');
		if (m[i] != '\n')
			continue;
		assert_true(i > 0 && m[i - 1] == '\r');
		if (i - 1 - start > (start < hdr_end ? 78u : 998u))
			fail_msg("line too long (%zu): %.60s", i - 1 - start,
			    m + start);
		start = i + 1;
	}
	assert_int_equal(start, len);	/* ends with CRLF */
}

/* Fields named name in the header block (continuation lines skipped). */
static int
count_field(const char *m, size_t hdr_end, const char *name)
{
	size_t i, n = strlen(name);
	int count = 0;

	for (i = 0; i < hdr_end; i = (size_t)(strchr(m + i, '\n') - m) + 1)
		if (strncasecmp(m + i, name, n) == 0 && m[i + n] == ':')
			count++;
	return count;
}

/* Runs of blanks as one space: libetpan's phrase decoder joins words
 * with single spaces. */
static void
squash(char *s)
{
	char *start = s, *o = s;

	for (; *s != '\0'; s++)
		if (*s != ' ' || o == start || o[-1] != ' ')
			*o++ = *s;
	*o = '\0';
}

static void
assert_phrase(char *got, const char *want)
{
	char *w = xstrdup(want);

	squash(got);
	squash(w);
	assert_string_equal(got, w);
	free(w);
}

/* Unfold, then decode RFC 2047; malloc'd. */
static char *
decode_phrase(const char *raw)
{
	struct buf u = BUF_INIT;
	char *out = NULL;
	size_t idx = 0;

	for (; *raw != '\0'; raw++)
		if (*raw != '\r' && *raw != '\n')
			buf_putc(&u, *raw);
	buf_puts(&u, "");
	assert_int_equal(mailmime_encoded_phrase_parse("us-ascii", u.data,
	    u.len, &idx, "utf-8", &out), MAILIMF_NO_ERROR);
	buf_free(&u);
	return out;
}

static const char *
first_mid(clist *l)
{
	assert_non_null(l);
	assert_int_equal(clist_count(l), 1);
	return clist_content(clist_begin(l));
}

static void
check_fields(const char *m, size_t len, const struct want *w)
{
	struct mailimf_fields *f = NULL;
	struct mailimf_single_fields sf;
	struct mailimf_mailbox *mb;
	const char *e = strstr(m, "\r\n\r\n");
	size_t idx = 0, hdr_end;
	char *s;

	assert_non_null(e);
	hdr_end = (size_t)(e - m) + 2;
	assert_int_equal(mailimf_fields_parse(m, len, &idx, &f),
	    MAILIMF_NO_ERROR);
	assert_int_equal(idx, hdr_end);		/* the whole header */
	mailimf_single_fields_init(&sf, f);
	assert_non_null(sf.fld_orig_date);
	assert_non_null(sf.fld_message_id);
	assert_non_null(strstr(sf.fld_message_id->mid_value, ".postino@" HOST));
	mb = clist_content(clist_begin(sf.fld_from->frm_mb_list->mb_list));
	assert_string_equal(mb->mb_addr_spec, w->from);
	if (w->display != NULL) {
		assert_non_null(mb->mb_display_name);
		s = decode_phrase(mb->mb_display_name);
		assert_phrase(s, w->display);
		free(s);
	}
	s = decode_phrase(sf.fld_subject->sbj_value);
	assert_phrase(s, w->subject);
	free(s);
	if (w->answers) {
		assert_string_equal(first_mid(sf.fld_in_reply_to->mid_list),
		    PARENT);
		assert_string_equal(first_mid(sf.fld_references->mid_list),
		    PARENT);
	} else
		assert_null(sf.fld_in_reply_to);
	assert_true((sf.fld_reply_to != NULL) == (w->reply_to != NULL));
	mailimf_fields_free(f);
	check_lines(m, len, hdr_end);
}

static void
check_counts(const char *m, const struct want *w)
{
	static const char *const once[] = { "From", "To", "Subject", "Date",
	    "Message-ID", "MIME-Version", "Content-Type", "List-Id",
	    "Auto-Submitted", "X-Loop", NULL };
	size_t hdr_end = (size_t)(strstr(m, "\r\n\r\n") - m) + 2, i;

	for (i = 0; once[i] != NULL; i++)
		if (count_field(m, hdr_end, once[i]) != 1)
			fail_msg("%s: not exactly once", once[i]);
	assert_int_equal(count_field(m, hdr_end, "Content-Transfer-Encoding"),
	    w->attach ? 0 : 1);
	assert_int_equal(count_field(m, hdr_end, "Reply-To"),
	    w->reply_to != NULL);
	assert_int_equal(count_field(m, hdr_end, "Precedence"), 0);
	assert_int_equal(count_field(m, hdr_end, "Bcc"), 0);
	assert_non_null(strstr(m, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(m, "\r\nList-Id: <team.example.org>\r\n"));
	assert_non_null(strstr(m, "\r\nX-Loop: " LIST "\r\n"));
	if (w->reply_to != NULL) {
		struct buf rt = BUF_INIT;

		buf_printf(&rt, "\r\nReply-To: %s\r\n", w->reply_to);
		assert_non_null(strstr(m, rt.data));
		buf_free(&rt);
	}
}

static int
is_type(const struct mailmime *p, int discrete, const char *sub)
{
	const struct mailmime_type *t = p->mm_content_type->ct_type;

	if (discrete)
		return t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
		    t->tp_data.tp_discrete_type->dt_type ==
		    MAILMIME_DISCRETE_TYPE_TEXT &&
		    strcasecmp(p->mm_content_type->ct_subtype, sub) == 0;
	return t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	    t->tp_data.tp_composite_type->ct_type ==
	    MAILMIME_COMPOSITE_TYPE_MESSAGE &&
	    strcasecmp(p->mm_content_type->ct_subtype, sub) == 0;
}

/* Transfer-decode a text/plain part, convert from its charset, LF. */
static char *
part_text(struct mailmime *p)
{
	const struct mailmime_data *d = p->mm_data.mm_single;
	char *charset, *dec = NULL, *conv = NULL;
	size_t idx = 0, dlen, clen, i;
	struct buf b = BUF_INIT;

	assert_true(is_type(p, 1, "plain"));
	charset = mailmime_content_param_get(p->mm_content_type, "charset");
	assert_non_null(charset);
	assert_string_equal(charset, "utf-8");
	assert_int_equal(mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx,
	    mailmime_transfer_encoding_get(p->mm_mime_fields), &dec, &dlen),
	    MAILIMF_NO_ERROR);
	assert_int_equal(charconv_buffer("utf-8", charset, dec, dlen, &conv,
	    &clen), MAIL_CHARCONV_NO_ERROR);
	for (i = 0; i < clen; i++)
		if (conv[i] != '\r')
			buf_putc(&b, conv[i]);
	buf_puts(&b, "");
	charconv_buffer_free(conv);
	mmap_string_unref(dec);
	return buf_steal(&b, NULL);
}

static void
check_mime(const char *m, size_t len, const struct want *w)
{
	struct mailmime *mime = NULL, *top, *text;
	size_t idx = 0;
	char *s;
	clist *parts;

	assert_int_equal(mailmime_parse(m, len, &idx, &mime), MAILIMF_NO_ERROR);
	assert_int_equal(mime->mm_type, MAILMIME_MESSAGE);
	top = text = mime->mm_data.mm_message.mm_msg_mime;
	if (w->attach) {
		assert_int_equal(top->mm_type, MAILMIME_MULTIPLE);
		assert_string_equal(top->mm_content_type->ct_subtype, "mixed");
		parts = top->mm_data.mm_multipart.mm_mp_list;
		assert_int_equal(clist_count(parts), 2);
		text = clist_content(clist_begin(parts));
		assert_true(is_type(clist_content(clist_end(parts)), 0,
		    "rfc822"));
		assert_int_equal(((struct mailmime *)clist_content(
		    clist_end(parts)))->mm_type, MAILMIME_MESSAGE);
	}
	assert_int_equal(text->mm_type, MAILMIME_SINGLE);
	s = part_text(text);
	assert_string_equal(s, w->body);
	free(s);
	mailmime_free(mime);
}

static void
check_notice(const struct buf *out, const struct want *w)
{
	assert_int_equal(strlen(out->data), out->len);
	assert_null(strstr(out->data, "{{"));
	check_fields(out->data, out->len, w);
	check_counts(out->data, w);
	check_mime(out->data, out->len, w);
}

/* ---- every template ------------------------------------------------- */

/* The Subject and body a notice must decode to, rendered independently. */
static void
expected(const struct tcase *tc, const char *lang, char **subj_r,
    char **body_r)
{
	struct tvar vars[NCOMMON + NOWN];
	size_t n = case_vars(tc, 1, vars);
	struct template t;
	struct buf s = BUF_INIT, b = BUF_INIT;
	char *err = NULL;

	assert_int_equal(template_load("templates", NULL, lang, tc->name, &t,
	    &err), 0);
	assert_int_equal(template_render(t.subject, vars, n, &s, &err), 0);
	buf_puts(&s, "");
	assert_int_equal(notice_line(&cfg, lang, NULL, tc->name, vars, n, &b,
	    &err), 0);
	buf_puts(&b, "\n");
	template_clear(&t);
	*subj_r = buf_steal(&s, NULL);
	*body_r = buf_steal(&b, NULL);
}

static void
one_mail(const struct tcase *tc, const char *lang, int attach)
{
	static const char msg[] = "From: x@example.com\r\nSubject: hi\r\n"
	    "Message-ID: <" PARENT ">\r\n\r\nciao ü\r\n";
	struct tvar vars[NOWN];
	struct notice n;
	struct want w;
	struct buf out = BUF_INIT;
	char *err = NULL, *subj, *body;

	memset(&n, 0, sizeof(n));
	n.list_addr = LIST;
	n.list_descr = DESCR;
	n.lang = lang;
	n.template_name = tc->name;
	n.vars = vars;
	n.nvars = case_vars(tc, 0, vars);
	n.to = MEMBER;
	n.from_role = tc->role;
	n.reply_to = tc->reply_to != NULL ? sample(tc->reply_to) : NULL;
	n.in_reply_to = tc->answers ? PARENT : NULL;
	n.attach = attach ? msg : NULL;
	n.attach_len = attach ? sizeof(msg) - 1 : 0;
	if (notice_build(&cfg, &n, &out, &err) != 0)
		fail_msg("%s/%s: %s", lang, tc->name, err);
	expected(tc, lang, &subj, &body);
	memset(&w, 0, sizeof(w));
	w.subject = subj;
	w.body = body;
	w.from = tc->role != NULL && strcmp(tc->role, "owner") == 0 ?
	    "team-owner@example.org" : "team-request@example.org";
	w.display = strcmp(w.from, "team-request@example.org") == 0 ? DESCR :
	    NULL;
	w.reply_to = n.reply_to;
	w.answers = tc->answers;
	w.attach = attach;
	check_notice(&out, &w);
	free(subj);
	free(body);
	buf_free(&out);
}

static void
test_every_mail(void **state)
{
	size_t i, l;

	(void)state;
	for (l = 0; l < NLANGS; l++)
		for (i = 0; i < NCASES; i++)
			if (tcases[i].mail)
				one_mail(&tcases[i], langs[l], 0);
}

/* Every template file of templates/en is one of the cases above (the
 * footers are pieces of posts, tested with decoration), so a new notice
 * cannot go untested. */
static void
test_all_templates_covered(void **state)
{
	struct dirent *de;
	DIR *d = opendir("templates/en");
	char name[128];
	size_t i, n;
	int found;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0 ||
		    strncmp(de->d_name, "footer", 6) == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 4), de->d_name);
		for (i = 0, found = 0; i < NCASES && !found; i++)
			found = strcmp(tcases[i].name, name) == 0;
		if (!found)
			fail_msg("template %s has no test case", name);
	}
	closedir(d);
}

static void
test_attach(void **state)
{
	size_t l;

	(void)state;
	for (l = 0; l < NLANGS; l++)
		one_mail(&tcases[2], langs[l], 1);
}

/* Result lines: one or two lines, values in, no newline at the end. */
static void
test_every_line(void **state)
{
	struct tvar vars[NOWN];
	struct buf out = BUF_INIT;
	char *err = NULL;
	size_t i, l, n, k;

	(void)state;
	for (l = 0; l < NLANGS; l++) {
		for (i = 0; i < NCASES; i++) {
			if (tcases[i].mail)
				continue;
			n = case_vars(&tcases[i], 0, vars);
			buf_reset(&out);
			if (notice_line(&cfg, langs[l], NULL, tcases[i].name,
			    vars, n, &out, &err) != 0)
				fail_msg("%s/%s: %s", langs[l], tcases[i].name,
				    err);
			assert_true(out.len > 0);
			assert_true(out.data[out.len - 1] != '\n');
			assert_null(strstr(out.data, "{{"));
			assert_null(strchr(out.data, '\r'));
			for (k = 0; k < n; k++)
				assert_non_null(strstr(out.data,
				    vars[k].value));
		}
	}
	buf_free(&out);
}

/* ---- encodings and hostile values ----------------------------------- */

/* A notice from an override template "name" with results = value. */
static int
build_over(const char *name, const char *descr, const struct tvar *vars,
    size_t nvars, struct buf *out, char **err)
{
	struct notice n;

	memset(&n, 0, sizeof(n));
	n.list_addr = LIST;
	n.list_descr = descr;
	n.lang = "it";
	n.override_dir = over;
	n.template_name = name;
	n.vars = vars;
	n.nvars = nvars;
	n.to = MEMBER;
	return notice_build(&cfg, &n, out, err);
}

static void
want_request(struct want *w, const char *subject, const char *body)
{
	memset(w, 0, sizeof(*w));
	w->subject = subject;
	w->body = body;
	w->from = "team-request@example.org";
	w->display = DESCR;
}

/* Encoded body lines: <= 76, no blank before a hard line end. */
static void
check_qp_lines(const char *m)
{
	const char *p = strstr(m, "\r\n\r\n") + 4, *e;

	for (; *p != '\0'; p = e + 2) {
		e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_true(e - p <= 76);
		assert_true(e == p || (e[-1] != ' ' && e[-1] != '\t'));
	}
}

static const struct {
	const char	*label;
	const char	*results;
	const char	*cte;
} qp_cases[] = {
	{ "ascii", "plain text, short lines = fine", "7bit" },
	{ "trailing blanks", "caffè   \nend\t\nx ", "quoted-printable" },
	{ "equals signs", "a=b == c =\n=3D=\n= ü", "quoted-printable" },
	{ "8-bit", "ñandú è già lì — “quotes” ☃ 𝄞", "quoted-printable" },
	{ "exactly 76", "0123456789012345678901234567890123456789"
	    "012345678901234567890123456789012345", "7bit" },
	{ "long ascii", NULL, "quoted-printable" },
	{ "long mixed", NULL, "quoted-printable" },
};

static void
test_qp(void **state)
{
	struct buf out = BUF_INIT, body = BUF_INIT, val = BUF_INIT, cte = BUF_INIT;
	struct tvar var = { "results", NULL };
	struct want w;
	char *err = NULL;
	size_t i, k;

	(void)state;
	put("over/qp.txt", "Subject: QP\n\nstart\n{{results}}\nend\n");
	for (i = 0; i < sizeof(qp_cases) / sizeof(qp_cases[0]); i++) {
		buf_reset(&val);
		for (k = 0; qp_cases[i].results == NULL && k < 300; k++)
			buf_puts(&val, i == 5 ? "xxxx" : "è = à  \t");
		buf_puts(&val, qp_cases[i].results != NULL ?
		    qp_cases[i].results : "");
		var.value = val.data;
		buf_reset(&out);
		if (build_over("qp", DESCR, &var, 1, &out, &err) != 0)
			fail_msg("%s: %s", qp_cases[i].label, err);
		buf_reset(&body);
		buf_printf(&body, "start\n%s\nend\n", val.data);
		want_request(&w, "QP", body.data);
		check_notice(&out, &w);
		buf_reset(&cte);
		buf_printf(&cte, "\r\nContent-Transfer-Encoding: %s\r\n",
		    qp_cases[i].cte);
		if (strstr(out.data, cte.data) == NULL)
			fail_msg("%s: not %s", qp_cases[i].label, qp_cases[i].cte);
		if (strcmp(qp_cases[i].cte, "quoted-printable") == 0)
			check_qp_lines(out.data);
	}
	buf_free(&out);
	buf_free(&body);
	buf_free(&val);
	buf_free(&cte);
}

/* A list's own mail (a digest): List-Owner and List-Archive, its text
 * 8bit as it is, quoted-printable only for a line over 998 octets. */
static void
test_list_mail(void **state)
{
	static const char *const archives[] = {
	    "https://lists.example.org/team/", "https://x/<y>", NULL };
	struct buf out = BUF_INIT, val = BUF_INIT;
	struct tvar var = { "results", "caffè è già lì" };
	struct notice n;
	char *err = NULL;
	size_t i, k;

	(void)state;
	put("over/lm.txt", "Subject: Digest\n\n{{results}}\n");
	for (i = 0; i < 4; i++) {
		memset(&n, 0, sizeof(n));
		n.list_addr = LIST;
		n.lang = "it";
		n.override_dir = over;
		n.template_name = "lm";
		n.vars = &var;
		n.nvars = 1;
		n.to = LIST;
		n.list_mail = 1;
		n.archive_url = i < 3 ? archives[i] : NULL;
		if (i == 3) {
			for (k = 0; k < 1000; k++)
				buf_puts(&val, "x");
			var.value = val.data;
		}
		buf_reset(&out);
		if (notice_build(&cfg, &n, &out, &err) != 0)
			fail_msg("%s", err);
		assert_non_null(strstr(out.data,
		    "\r\nList-Owner: <mailto:team+owner@example.org>\r\n"));
		assert_true((strstr(out.data, "\r\nList-Archive: <https://"
		    "lists.example.org/team/>\r\n") != NULL) == (i == 0));
		assert_true((strstr(out.data, "List-Archive") != NULL) ==
		    (i == 0));
		if (i < 3) {
			assert_non_null(strstr(out.data, "\r\nContent-Transfer-"
			    "Encoding: 8bit\r\n\r\ncaffè è già lì\r\n"));
		} else {
			assert_non_null(strstr(out.data, "\r\nContent-Transfer-"
			    "Encoding: quoted-printable\r\n"));
			check_qp_lines(out.data);
		}
	}
	buf_free(&out);
	buf_free(&val);
}

/* Values written by strangers never make a header line of their own. */
static void
test_hostile(void **state)
{
	static const struct tvar vars[] = {
		{ "command", "x\r\nBcc: evil@example.com\x1b\xff" },
	};
	struct buf out = BUF_INIT;
	struct want w;
	char *err = NULL;

	(void)state;
	put("over/hostile.txt", "Subject: Re {{command}}\n\n{{command}}\n");
	assert_int_equal(build_over("hostile", DESCR, vars, 1, &out, &err), 0);
	want_request(&w, "Re x  Bcc: evil@example.com ?",
	    "x\nBcc: evil@example.com ?\n");
	check_notice(&out, &w);
	buf_free(&out);
}

#define LONG_NAME	"The Rome, Italy (Lazio) \"cycling\" club: routes, " \
			"rides and rest stops for everyone who loves bikes"

/* The From display name: long ASCII with specials, quotes; none.  The
 * To: display name of a member: quoted ASCII, encoded UTF-8, none. */
static void
test_display_name(void **state)
{
	static const char *const names[] = {
		LONG_NAME,
		"Gruppo di lettura: libri, film; e altro",
		"",
	};
	static const struct {
		const char	*name;
		const char	*want;
	} tos[] = {
		{ "Ann \"Nan\" Member", "\r\nTo: \"Ann \\\"Nan\\\" Member\" <"
		    MEMBER ">\r\n" },
		{ "Jos\xc3\xa9", "\r\nTo: =?utf-8?q?Jos=C3=A9?= <" MEMBER ">\r\n" },
		{ "", "\r\nTo: " MEMBER "\r\n" },
	};
	struct buf out = BUF_INIT;
	struct notice n;
	struct want w;
	char *err = NULL;
	size_t i;

	(void)state;
	put("over/plain.txt", "Subject: Hello\n\nHello\n");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		buf_reset(&out);
		assert_int_equal(build_over("plain", names[i], NULL, 0, &out,
		    &err), 0);
		want_request(&w, "Hello", "Hello\n");
		w.display = names[i][0] != '\0' ? names[i] : "team";
		check_notice(&out, &w);
	}
	for (i = 0; i < sizeof(tos) / sizeof(tos[0]); i++) {
		memset(&n, 0, sizeof(n));
		n.list_addr = LIST;
		n.lang = "it";
		n.override_dir = over;
		n.template_name = "plain";
		n.to = MEMBER;
		n.to_name = tos[i].name;
		buf_reset(&out);
		assert_int_equal(notice_build(&cfg, &n, &out, &err), 0);
		buf_putc(&out, '\0');
		if (strstr(out.data, tos[i].want) == NULL)
			fail_msg("%s: no '%s' in\n%s", tos[i].name,
			    tos[i].want, out.data);
	}
	buf_free(&out);
}

/* ---- errors, never a mail ------------------------------------------- */

static void
expect_error(int r, const struct buf *out, char **err, const char *want)
{
	assert_int_equal(r, -1);
	assert_int_equal(out->len, 0);
	assert_non_null(*err);
	if (strstr(*err, want) == NULL)
		fail_msg("want '%s', got '%s'", want, *err);
	free(*err);
	*err = NULL;
}

static void
test_errors(void **state)
{
	struct buf out = BUF_INIT;
	struct notice n;
	char *err = NULL;

	(void)state;
	put("over/unknown.txt", "Subject: Hi {{list_addr}}\n\n{{nope}}\n");
	expect_error(build_over("unknown", DESCR, NULL, 0, &out, &err), &out,
	    &err, "unknown placeholder {{nope}}");
	expect_error(build_over("nothere", DESCR, NULL, 0, &out, &err), &out,
	    &err, "template 'nothere' not found");
	/* The caller forgot a value the template needs. */
	expect_error(build_over("confirm_subscribe", DESCR, NULL, 0, &out,
	    &err), &out, &err, "unknown placeholder {{");
	expect_error(notice_line(&cfg, "en", NULL, "r_nothere", NULL, 0, &out,
	    &err), &out, &err, "not found");
	memset(&n, 0, sizeof(n));
	n.list_addr = LIST;
	n.list_descr = "";
	n.template_name = "help";
	n.to = "a@example.org\r\nBcc: b@example.org";
	expect_error(notice_build(&cfg, &n, &out, &err), &out, &err,
	    "recipient");
	n.to = MEMBER;
	n.reply_to = "<x>@example.org";
	expect_error(notice_build(&cfg, &n, &out, &err), &out, &err,
	    "Reply-To");
	n.reply_to = NULL;
	n.from_role = "boss";
	expect_error(notice_build(&cfg, &n, &out, &err), &out, &err,
	    "from_role");
	n.from_role = NULL;
	n.list_addr = "no-at-sign";
	expect_error(notice_build(&cfg, &n, &out, &err), &out, &err,
	    "list address");
	buf_free(&out);
}

/* A notice that expects a reply: From and Reply-To are the token's
 * address (also for an owner notice), the token ends the Subject, in
 * every language; nothing in the token can add a header line. */
static void
test_token_reply(void **state)
{
	static const char *const addr =
	    "team+confirm-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org";
	const char *const roles[] = { NULL, "owner" };
	struct buf out = BUF_INIT;
	struct notice n;
	char *err = NULL;
	size_t l, r;

	(void)state;
	for (l = 0; l < NLANGS; l++)
		for (r = 0; r < 2; r++) {
			memset(&n, 0, sizeof(n));
			n.list_addr = LIST;
			n.list_descr = "Team";
			n.lang = langs[l];
			n.template_name = "help";
			n.to = MEMBER;
			n.from_role = roles[r];
			n.reply_to = addr;
			n.from_addr = addr;
			n.subject_token = "k7q2xmd4rt5vbn3wz6yhc8fjpa";
			buf_reset(&out);
			if (notice_build(&cfg, &n, &out, &err) != 0)
				fail_msg("%s: %s", langs[l], err);
			assert_non_null(strstr(out.data, "\r\nReply-To: "
			    "team+confirm-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org"
			    "\r\n"));
			assert_non_null(strstr(out.data, "From: \"Team\" <"
			    "team+confirm-k7q2xmd4rt5vbn3wz6yhc8fjpa@example.org"
			    ">\r\n"));
			assert_non_null(strstr(out.data,
			    " [postino:k7q2xmd4rt5vbn3wz6yhc8fjpa]\r\n"));
		}
	/* The Subject is encoded like any other: no header line added. */
	n.subject_token = "x]\r\nBcc: b@example.org";
	buf_reset(&out);
	assert_int_equal(notice_build(&cfg, &n, &out, &err), 0);
	assert_null(strstr(out.data, "\r\nBcc:"));
	n.from_addr = "<x>@example.org";
	buf_reset(&out);
	expect_error(notice_build(&cfg, &n, &out, &err), &out, &err,
	    "From");
	buf_free(&out);
}

/* ---- queueing -------------------------------------------------------- */

static void
test_queue(void **state)
{
	char path[128], *err = NULL;
	const char *why = NULL;
	struct store *st = NULL;
	struct store_job j;
	struct notice n;

	(void)state;
	snprintf(path, sizeof(path), "%s/q.db", root);
	if (store_open(path, STORE_DURABLE, &st, &why) < 0)
		fail_msg("store_open: %s", why);
	memset(&n, 0, sizeof(n));
	n.list_addr = LIST;
	n.list_descr = DESCR;
	n.lang = "it";
	n.template_name = "help";
	n.to = MEMBER;
	assert_int_equal(store_begin(st), 0);
	if (notice_queue(st, &cfg, &n, &err) != 0)
		fail_msg("notice_queue: %s", err);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_job_get(st, 1, &j), 1);
	assert_string_equal(j.kind, "direct");
	assert_string_equal(j.env_from, "team+bounces@example.org");
	assert_non_null(strstr(j.body, "\r\nTo: " MEMBER "\r\n"));
	store_job_clear(&j);
	store_close(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_mail),
		cmocka_unit_test(test_all_templates_covered),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_every_line),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_list_mail),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_display_name),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_token_reply),
		cmocka_unit_test(test_queue),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
