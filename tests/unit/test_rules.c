/*
 * test_rules.c — a list's published rules (rules.c, store_rules.c,
 * msg_rules.c): the rules_check accept/reject table, dense positions
 * through add, rm and mv (also inside a caller's transaction), and
 * rules_eval on real parsed messages: sender classes, size, MIME types,
 * header globs, links, all, first-match order and the defaults; address
 * globs (sender GLOB) and bans of a list and of the site (ban.c).
 *
 * Each test opens a fresh database in its own temporary directory and
 * removes it afterwards.
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

#include "ban.h"
#include "buf.h"
#include "log.h"
#include "msg.h"
#include "rules.h"
#include "store.h"

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct store	*st;
	int64_t		 list;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error = NULL;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/postino-test-rules-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_int_equal(store_open(f->path, STORE_DURABLE, &f->st, &error), 0);
	assert_int_equal(store_list_create(f->st, "team@example.org",
	    &f->list), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	store_close(&f->st);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- rules_check ------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*cond, *arg, *action;
	int		 ok;
} check_cases[] = {
	{ "nonmember discard", "sender", "nonmember", "discard", 1 },
	{ "member hold", "sender", "member", "hold", 1 },
	{ "moderated hold", "sender", "moderated", "hold", 1 },
	{ "new:1", "sender", "new:1", "hold", 1 },
	{ "new:1000", "sender", "new:1000", "hold", 1 },
	{ "new:0", "sender", "new:0", "hold", 0 },
	{ "new:1001", "sender", "new:1001", "hold", 0 },
	{ "new:", "sender", "new:", "hold", 0 },
	{ "new:x", "sender", "new:5x", "hold", 0 },
	{ "sender other", "sender", "owners", "hold", 0 },
	{ "sender owner", "sender", "owner", "accept", 1 },
	{ "sender moderator", "sender", "moderator", "accept", 1 },
	{ "sender Owner", "sender", "Owner", "accept", 0 },
	{ "discard sender owner", "sender", "owner", "discard", 0 },
	{ "discard sender moderator", "sender", "moderator", "discard", 0 },
	{ "sender no arg", "sender", "", "hold", 0 },
	{ "sender NULL arg", "sender", NULL, "hold", 0 },
	{ "sender glob", "sender", "*@partner.example", "accept", 1 },
	{ "sender address", "sender", "bob+x@x.org", "hold", 1 },
	{ "sender glob two @", "sender", "a@b@c", "hold", 0 },
	{ "sender glob no local", "sender", "@x.org", "hold", 0 },
	{ "sender glob no domain", "sender", "x@", "hold", 0 },
	{ "sender glob space", "sender", "a b@x.org", "hold", 0 },
	{ "discard sender glob", "sender", "*@spam.example", "discard", 0 },
	{ "size bytes", "size", "100000", "reject", 1 },
	{ "size K", "size", "512K", "hold", 1 },
	{ "size m", "size", "10m", "hold", 1 },
	{ "size 2047M", "size", "2047M", "hold", 1 },
	{ "size 2048M", "size", "2048M", "hold", 0 },
	{ "size 0", "size", "0", "hold", 0 },
	{ "size G", "size", "1G", "hold", 0 },
	{ "size K only", "size", "K", "hold", 0 },
	{ "size negative", "size", "-1", "hold", 0 },
	{ "size huge", "size", "99999999999", "hold", 0 },
	{ "mime", "mime", "application/pdf", "hold", 1 },
	{ "mime star", "mime", "image/*", "hold", 1 },
	{ "mime upper", "mime", "Image/PNG", "hold", 1 },
	{ "mime star type", "mime", "*/*", "hold", 0 },
	{ "mime no subtype", "mime", "image/", "hold", 0 },
	{ "mime no slash", "mime", "image", "hold", 0 },
	{ "mime trailing", "mime", "image/png;x", "hold", 0 },
	{ "mime partial star", "mime", "image/pn*", "hold", 0 },
	{ "header", "header", "X-Spam-Flag:yes", "reject", 1 },
	{ "header glob", "header", "Subject:*[ad]*", "hold", 1 },
	{ "header colon in pattern", "header", "List-Id:*:*", "hold", 1 },
	{ "header no name", "header", ":x", "hold", 0 },
	{ "header no colon", "header", "X-Spam", "hold", 0 },
	{ "header space name", "header", "X Spam:yes", "hold", 0 },
	{ "header empty pattern", "header", "X-Spam:", "hold", 0 },
	{ "header control", "header", "X-Spam:a\tb", "hold", 0 },
	{ "links", "links", "3", "hold", 1 },
	{ "links 0", "links", "0", "hold", 1 },
	{ "links 10001", "links", "10001", "hold", 0 },
	{ "links word", "links", "many", "hold", 0 },
	{ "all", "all", "", "hold", 1 },
	{ "all NULL", "all", NULL, "accept", 1 },
	{ "all with arg", "all", "x", "hold", 0 },
	{ "unknown cond", "from", "x", "hold", 0 },
	{ "cond case", "Sender", "member", "hold", 0 },
	{ "unknown action", "all", "", "drop", 0 },
	{ "discard member", "sender", "member", "discard", 0 },
	{ "discard moderated", "sender", "moderated", "discard", 0 },
	{ "discard new", "sender", "new:3", "discard", 0 },
	{ "discard size", "size", "1M", "discard", 0 },
	{ "discard header", "header", "X-Spam-Flag:yes", "discard", 0 },
	{ "discard all", "all", "", "discard", 0 },
};

static void
test_check(void **state)
{
	const char *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		error = NULL;
		rc = rules_check(check_cases[i].cond, check_cases[i].arg,
		    check_cases[i].action, &error);
		if ((rc == 0) != check_cases[i].ok)
			fail_msg("%s: rc %d (%s)", check_cases[i].label, rc,
			    error != NULL ? error : "");
		if (rc < 0)
			assert_non_null(error);
	}
	assert_int_equal(rules_check("all", "", "discard", &error), -1);
	assert_string_equal(error, "discard may only drop non-members' posts"
	    " (sender nonmember)");
}

/* ---- bans ----------------------------------------------------------- */

static void
test_bans(void **state)
{
	struct fixture *f = *state;
	char glob[BAN_GLOB_MAX + 1];
	const char *error;
	int64_t other;

	assert_int_equal(store_list_create(f->st, "other@example.org",
	    &other), 0);
	assert_int_equal(ban_glob("Bob+*@Spam.Example", glob, &error), 0);
	assert_string_equal(glob, "bob+*@spam.example");
	assert_int_equal(ban_glob("spam.example", glob, &error), -1);
	assert_int_equal(ban_add(f->st, f->list, "bob+*@spam.example"), 0);
	assert_int_equal(ban_add(f->st, f->list, "bob+*@spam.example"), 1);
	assert_int_equal(ban_find(f->st, f->list, "BOB+news@SPAM.example",
	    NULL, glob), 1);
	assert_string_equal(glob, "bob+*@spam.example");
	assert_int_equal(ban_find(f->st, f->list, NULL, "bob@spam.example",
	    NULL), 0);
	assert_int_equal(ban_find(f->st, other, "bob+news@spam.example", NULL,
	    NULL), 0);
	/* A site ban holds on every list. */
	assert_int_equal(ban_add(f->st, BAN_SITE, "*@junk.example"), 0);
	assert_int_equal(ban_find(f->st, other, "", "x@junk.example", glob), 1);
	assert_string_equal(glob, "*@junk.example");
	assert_int_equal(ban_rm(f->st, BAN_SITE, "*@junk.example"), 0);
	assert_int_equal(ban_rm(f->st, BAN_SITE, "*@junk.example"), 1);
	assert_int_equal(ban_find(f->st, other, "x@junk.example", NULL, NULL),
	    0);
	/* Its list gone, a list's bans go too. */
	assert_int_equal(store_list_delete(f->st, f->list), 0);
	assert_int_equal(ban_find(f->st, f->list, "bob+a@spam.example", NULL,
	    NULL), 0);
}

/* ---- positions ----------------------------------------------------- */

struct order {
	char	 names[256];
	int	 n;
};

static int
order_one(const struct rule *r, void *arg)
{
	struct order *o = arg;

	o->n++;
	assert_int_equal(r->position, o->n);	/* dense, 1..n */
	if (o->n > 1)
		strcat(o->names, ",");
	strcat(o->names, r->name);
	return 0;
}

/* The names of the list's rules in order, "a,b,c". */
static const char *
order(struct fixture *f)
{
	static struct order o;

	memset(&o, 0, sizeof(o));
	assert_int_equal(rules_each(f->st, f->list, order_one, &o), 0);
	return o.names;
}

static void
add(struct fixture *f, const char *name, int position)
{
	assert_int_equal(rules_add(f->st, f->list, name, "all", "", "hold",
	    "", position), 0);
}

static void
test_positions(void **state)
{
	struct fixture *f = *state;
	int64_t other;

	assert_string_equal(order(f), "");
	add(f, "a", 0);
	add(f, "b", 0);
	add(f, "c", 1);
	add(f, "d", 3);
	add(f, "e", 99);		/* past the end: last */
	assert_string_equal(order(f), "c,a,d,b,e");
	assert_int_equal(rules_add(f->st, f->list, "a", "all", "", "hold",
	    "", 0), 1);
	assert_int_equal(rules_add(f->st, f->list, "x", "all", "",
	    "discard", "", 0), -1);
	assert_string_equal(order(f), "c,a,d,b,e");

	assert_int_equal(rules_mv(f->st, f->list, "c", 4), 1);
	assert_string_equal(order(f), "a,d,b,c,e");
	assert_int_equal(rules_mv(f->st, f->list, "e", 1), 1);
	assert_string_equal(order(f), "e,a,d,b,c");
	assert_int_equal(rules_mv(f->st, f->list, "a", 50), 1);
	assert_string_equal(order(f), "e,d,b,c,a");
	assert_int_equal(rules_mv(f->st, f->list, "b", 3), 1);
	assert_string_equal(order(f), "e,d,b,c,a");
	assert_int_equal(rules_mv(f->st, f->list, "zz", 1), 0);

	assert_int_equal(rules_rm(f->st, f->list, "d"), 1);
	assert_string_equal(order(f), "e,b,c,a");
	assert_int_equal(rules_rm(f->st, f->list, "d"), 0);
	assert_int_equal(rules_rm(f->st, f->list, "a"), 1);
	assert_int_equal(rules_rm(f->st, f->list, "e"), 1);
	assert_string_equal(order(f), "b,c");

	/* Names are per list; another list's rules are apart. */
	assert_int_equal(store_list_create(f->st, "other@example.org",
	    &other), 0);
	assert_int_equal(rules_add(f->st, other, "b", "all", "", "hold", "",
	    0), 0);
	assert_int_equal(rules_rm(f->st, other, "c"), 0);
	assert_string_equal(order(f), "b,c");
}

/* In the caller's transaction: a rollback undoes the whole change. */
static void
test_caller_txn(void **state)
{
	struct fixture *f = *state;

	add(f, "a", 0);
	add(f, "b", 0);
	assert_int_equal(store_begin(f->st), 0);
	add(f, "c", 1);
	assert_int_equal(rules_mv(f->st, f->list, "a", 3), 1);
	assert_int_equal(rules_rm(f->st, f->list, "b"), 1);
	assert_string_equal(order(f), "c,a");
	store_rollback(f->st);
	assert_string_equal(order(f), "a,b");
	assert_int_equal(store_begin(f->st), 0);
	add(f, "c", 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_string_equal(order(f), "c,a,b");
}

/* ---- rules_eval ---------------------------------------------------- */

#define FROM	"From: Alice <alice@example.net>\r\n"

static const char plain_msg[] = FROM
    "Subject: [ad] cheap pills\r\n"
    "X-Tag: first\r\n"
    "X-Tag: second\r\n"
    " folded\r\n"
    "\r\n"
    "See https://a.example/x, http://b.example and HTTPS://c.example.\r\n"
    "Not a link: http:/d.example, ftp://e.example\r\n";

static const char pdf_msg[] = FROM
    "Subject: report\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "The report, as promised.\r\n"
    "--b1\r\n"
    "Content-Type: Application/PDF; name=\"r.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--b1--\r\n";

static const char image_msg[] = FROM
    "Subject: photo\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/related; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>look at https://x.example/p</p>\r\n"
    "--inner\r\n"
    "Content-Type: image/png\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--inner--\r\n"
    "--outer--\r\n";

/* The image type appears only in the text, not as a part. */
static const char fake_msg[] = FROM
    "Subject: no image\r\n"
    "\r\n"
    "Content-Type: image/png\r\n";

static const struct rule_sender nonmember = { 0, 0, 0, NULL, NULL, 0, 0 };
static const struct rule_sender partner = { 0, 0, 0, "Pat@Partner.Example",
	"bounce@mailer.example", 0, 0 };
static const struct rule_sender bounced = { 1, 0, 0, "ann@example.org",
	"ann+bob=x@Partner.example", 0, 0 };
static const struct rule_sender member = { 1, 0, 50, NULL, NULL, 0, 0 };
static const struct rule_sender moderated = { 1, 1, 50, NULL, NULL, 0, 0 };
static const struct rule_sender newbie = { 1, 0, 2, NULL, NULL, 0, 0 };
static const struct rule_sender owner = { 0, 0, 0, "boss@example.org", NULL,
	1, 0 };
static const struct rule_sender modr = { 1, 0, 9, "mod@example.org", NULL,
	0, 1 };

static const struct {
	const char			*label;
	const char			*cond, *arg;
	const char			*msg;
	size_t				 size;
	const struct rule_sender	*who;
	int				 hit;
} eval_cases[] = {
	{ "nonmember: nonmember", "sender", "nonmember", plain_msg, 0,
	    &nonmember, 1 },
	{ "nonmember: member", "sender", "nonmember", plain_msg, 0, &member,
	    0 },
	{ "member: member", "sender", "member", plain_msg, 0, &member, 1 },
	{ "member: moderated", "sender", "member", plain_msg, 0, &moderated,
	    1 },
	{ "member: nonmember", "sender", "member", plain_msg, 0, &nonmember,
	    0 },
	{ "moderated: moderated", "sender", "moderated", plain_msg, 0,
	    &moderated, 1 },
	{ "moderated: member", "sender", "moderated", plain_msg, 0, &member,
	    0 },
	{ "new:3: 2 posts", "sender", "new:3", plain_msg, 0, &newbie, 1 },
	{ "new:2: 2 posts", "sender", "new:2", plain_msg, 0, &newbie, 0 },
	{ "new:3: 50 posts", "sender", "new:3", plain_msg, 0, &member, 0 },
	{ "new:3: nonmember", "sender", "new:3", plain_msg, 0, &nonmember,
	    0 },
	{ "size over", "size", "1K", plain_msg, 1025, &member, 1 },
	{ "size equal", "size", "1K", plain_msg, 1024, &member, 0 },
	{ "size M", "size", "1M", plain_msg, 1048577, &member, 1 },
	{ "size M under", "size", "1M", plain_msg, 1048576, &member, 0 },
	{ "mime pdf", "mime", "application/pdf", pdf_msg, 0, &member, 1 },
	{ "mime application/*", "mime", "application/*", pdf_msg, 0, &member,
	    1 },
	{ "mime text/plain part", "mime", "text/plain", pdf_msg, 0, &member,
	    1 },
	{ "mime multipart", "mime", "multipart/mixed", pdf_msg, 0, &member,
	    1 },
	{ "mime no image in pdf", "mime", "image/*", pdf_msg, 0, &member,
	    0 },
	{ "mime nested image/*", "mime", "image/*", image_msg, 0, &member,
	    1 },
	{ "mime nested IMAGE/PNG", "mime", "IMAGE/PNG", image_msg, 0,
	    &member, 1 },
	{ "mime image/jpeg", "mime", "image/jpeg", image_msg, 0, &member,
	    0 },
	{ "mime default text/plain", "mime", "text/plain", plain_msg, 0,
	    &member, 1 },
	{ "mime in text only", "mime", "image/*", fake_msg, 0, &member, 0 },
	{ "header glob", "header", "subject:*[AD]*", plain_msg, 0, &member,
	    1 },
	{ "header exact", "header", "Subject:[ad] cheap pills", plain_msg, 0,
	    &member, 1 },
	{ "header no match", "header", "Subject:*viagra*", plain_msg, 0,
	    &member, 0 },
	{ "header ?", "header", "X-Tag:fir?t", plain_msg, 0, &member, 1 },
	{ "header second, unfolded", "header", "X-Tag:second folded",
	    plain_msg, 0, &member, 1 },
	{ "header prefix only", "header", "X-Tag:sec", plain_msg, 0, &member,
	    0 },
	{ "header absent", "header", "X-Spam:*", plain_msg, 0, &member, 0 },
	{ "header any value", "header", "X-Tag:*", plain_msg, 0, &member, 1 },
	{ "links 2", "links", "2", plain_msg, 0, &member, 1 },
	{ "links 3", "links", "3", plain_msg, 0, &member, 0 },
	{ "links 0 none", "links", "0", pdf_msg, 0, &member, 0 },
	{ "links in html", "links", "0", image_msg, 0, &member, 1 },
	{ "glob From", "sender", "*@partner.example", plain_msg, 0, &partner,
	    1 },
	{ "glob envelope", "sender", "ann+*@partner.EXAMPLE", plain_msg, 0,
	    &bounced, 1 },
	{ "glob no address", "sender", "*@partner.example", plain_msg, 0,
	    &nonmember, 0 },
	{ "glob other", "sender", "pat@partner.example.net", plain_msg, 0,
	    &partner, 0 },
	{ "glob ?", "sender", "p?t@*", plain_msg, 0, &partner, 1 },
	{ "owner: owner", "sender", "owner", plain_msg, 0, &owner, 1 },
	{ "owner: moderator", "sender", "owner", plain_msg, 0, &modr, 0 },
	{ "owner: member", "sender", "owner", plain_msg, 0, &member, 0 },
	{ "owner: nonmember", "sender", "owner", plain_msg, 0, &nonmember,
	    0 },
	{ "moderator: moderator", "sender", "moderator", plain_msg, 0, &modr,
	    1 },
	{ "moderator: owner", "sender", "moderator", plain_msg, 0, &owner,
	    0 },
	{ "moderator: member", "sender", "moderator", plain_msg, 0, &member,
	    0 },
	{ "member: owner not member", "sender", "member", plain_msg, 0,
	    &owner, 0 },
	{ "all member", "all", "", plain_msg, 0, &member, 1 },
	{ "all nonmember", "all", "", plain_msg, 0, &nonmember, 1 },
};

static struct msg *
parse_ok(const char *s)
{
	struct msg *m = NULL;
	const char *err = NULL;

	if (msg_parse(s, strlen(s), &m, &err) < 0)
		fail_msg("parse failed: %s", err);
	return m;
}

/* One rule "r" with action reject; what rules_eval says. */
static void
test_eval_table(void **state)
{
	struct fixture *f = *state;
	struct rule r;
	struct msg *m;
	size_t i;
	int got, dflt;

	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		assert_int_equal(rules_add(f->st, f->list, "r",
		    eval_cases[i].cond, eval_cases[i].arg, "reject", "", 0), 0);
		m = parse_ok(eval_cases[i].msg);
		got = rules_eval(f->st, f->list, m, eval_cases[i].size,
		    eval_cases[i].who, &r);
		dflt = eval_cases[i].who->member ? RULE_ACCEPT : RULE_HOLD;
		if (got != (eval_cases[i].hit ? RULE_REJECT : dflt) ||
		    (r.name != NULL) != eval_cases[i].hit)
			fail_msg("%s: got %d, rule %s", eval_cases[i].label, got,
			    r.name != NULL ? r.name : "(default)");
		if (r.name != NULL) {
			assert_string_equal(r.name, "r");
			assert_string_equal(r.cond, eval_cases[i].cond);
			assert_int_equal(r.position, 1);
		}
		rule_clear(&r);
		msg_free(&m);
		assert_int_equal(rules_rm(f->st, f->list, "r"), 1);
	}
}

static void
test_eval_order(void **state)
{
	struct fixture *f = *state;
	struct rule r;
	struct msg *m = parse_ok(pdf_msg);

	/* No rules: members accepted, others held; no rule named. */
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &member, &r),
	    RULE_ACCEPT);
	assert_null(r.name);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &nonmember, &r),
	    RULE_HOLD);
	assert_null(r.name);

	assert_int_equal(rules_add(f->st, f->list, "spam", "sender",
	    "nonmember", "discard", "Non-members' mail is dropped.", 0), 0);
	assert_int_equal(rules_add(f->st, f->list, "pdf", "mime",
	    "application/pdf", "hold", "Attachments wait for a moderator.",
	    0), 0);
	assert_int_equal(rules_add(f->st, f->list, "big", "size", "1K",
	    "reject", "", 0), 0);
	assert_int_equal(rules_eval(f->st, f->list, m, 5000, &nonmember, &r),
	    RULE_DISCARD);
	assert_string_equal(r.name, "spam");
	rule_clear(&r);
	assert_int_equal(rules_eval(f->st, f->list, m, 5000, &member, &r),
	    RULE_HOLD);
	assert_string_equal(r.name, "pdf");
	assert_string_equal(r.text, "Attachments wait for a moderator.");
	assert_int_equal(r.position, 2);
	rule_clear(&r);

	/* Moved first, the size rule decides; the emergency switch on top
	 * holds everything, owners' posts included. */
	assert_int_equal(rules_mv(f->st, f->list, "big", 1), 1);
	assert_int_equal(rules_eval(f->st, f->list, m, 5000, &member, &r),
	    RULE_REJECT);
	assert_string_equal(r.name, "big");
	rule_clear(&r);
	assert_int_equal(rules_add(f->st, f->list, "emergency", "all", "",
	    "hold", "", 1), 0);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &moderated, &r),
	    RULE_HOLD);
	assert_string_equal(r.name, "emergency");
	rule_clear(&r);
	assert_int_equal(rules_rm(f->st, f->list, "emergency"), 1);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &nonmember, &r),
	    RULE_DISCARD);
	rule_clear(&r);
	msg_free(&m);
}

/* The announce rules: owners and moderators accepted by role (and so
 * confirmed first, rules_by_role), members rejected, others default. */
static void
test_eval_roles(void **state)
{
	struct fixture *f = *state;
	struct rule r;
	struct msg *m = parse_ok(plain_msg);

	assert_int_equal(rules_add(f->st, f->list, "owners", "sender",
	    "owner", "accept", "", 0), 0);
	assert_int_equal(rules_add(f->st, f->list, "moderators", "sender",
	    "moderator", "accept", "", 0), 0);
	assert_int_equal(rules_add(f->st, f->list, "announce-only", "sender",
	    "member", "reject", "", 0), 0);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &owner, &r),
	    RULE_ACCEPT);
	assert_string_equal(r.name, "owners");
	assert_int_equal(rules_by_role(&r), 1);
	rule_clear(&r);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &modr, &r),
	    RULE_ACCEPT);
	assert_string_equal(r.name, "moderators");
	assert_int_equal(rules_by_role(&r), 1);
	rule_clear(&r);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &member, &r),
	    RULE_REJECT);
	assert_string_equal(r.name, "announce-only");
	assert_int_equal(rules_by_role(&r), 0);
	rule_clear(&r);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &nonmember, &r),
	    RULE_HOLD);
	assert_null(r.name);
	assert_int_equal(rules_by_role(&r), 0);
	/* A role rule that holds is no confirmation. */
	assert_int_equal(rules_rm(f->st, f->list, "owners"), 1);
	assert_int_equal(rules_add(f->st, f->list, "owners", "sender",
	    "owner", "hold", "", 1), 0);
	assert_int_equal(rules_eval(f->st, f->list, m, 10, &owner, &r),
	    RULE_HOLD);
	assert_int_equal(rules_by_role(&r), 0);
	rule_clear(&r);
	msg_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_bans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_caller_txn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eval_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eval_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eval_roles, setup,
		    teardown),
	};

	log_init("test_rules", LOG_L_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
