/*
 * process_copy.c — the copy of a post that a list sends out: the footer
 * from the list's template (personal links as markers on personalized
 * lists, filled in per recipient by the delivery engine), the list
 * headers and subject prefix (msg_decorate), and Archived-At.  Also the
 * footer alone, for digests.
 *
 * Owns nothing past one call.  Fails: -1, logged; a broken footer
 * template is a broken copy, never a copy without its footer.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "archive.h"
#include "buf.h"
#include "listconf.h"
#include "log.h"
#include "msg.h"
#include "personal.h"
#include "process.h"
#include "process_int.h"
#include "subscription.h"
#include "template.h"

char *
pc_setting(struct post_ctx *pc, const char *key)
{
	return listconf_get(pc->st, pc->list.id, pc->list.addr, key);
}

/* "team+what@example.org" */
void
pc_ext_addr(const struct post_ctx *pc, const char *what, struct buf *out)
{
	buf_printf(out, "%s%s%s@%s", pc->local, pc->cfg->recipient_delimiter,
	    what, pc->domain);
}

/* Marker addresses of the personal links (personal.h), or "" each. */
static void
personal_markers(struct post_ctx *pc, struct buf *leave, struct buf *digest,
    struct buf *mute)
{
	const char *d = pc->cfg->recipient_delimiter;

	if (personal_marker(pc->list.addr, d, PERSONAL_LEAVE, leave) < 0 ||
	    personal_marker(pc->list.addr, d, PERSONAL_DIGEST, digest) < 0 ||
	    personal_marker(pc->list.addr, d, PERSONAL_MUTE, mute) < 0) {
		log_warnx("list %s: name too long for personal links",
		    pc->list.addr);
		buf_reset(leave);
		buf_reset(digest);
		buf_reset(mute);
	}
}

/*
 * Render the list's footer template into out.  A personalized list gets
 * footer_personal, whose links are markers that the delivery engine
 * fills in for each recipient.
 */
static int
render_footer(struct post_ctx *pc, int personal, struct buf *out)
{
	struct buf help = BUF_INIT, unsub = BUF_INIT, owner = BUF_INIT;
	struct buf leave = BUF_INIT, digest = BUF_INIT, mute = BUF_INIT;
	char *lang = pc_setting(pc, "language");
	char *descr = pc_setting(pc, "description");
	char *archive = pc_setting(pc, "archive_url");
	struct template t = { NULL, NULL };
	char *override = subscription_override_dir(pc->cfg, pc->list.addr);
	char *error = NULL;
	int rc = -1;

	pc_ext_addr(pc, "help", &help);
	pc_ext_addr(pc, "unsubscribe", &unsub);
	pc_ext_addr(pc, "owner", &owner);
	if (personal)
		personal_markers(pc, &leave, &digest, &mute);
	if (lang == NULL || descr == NULL || archive == NULL)
		goto out;
	if (template_load(pc->cfg->templates, override, lang, personal ?
	    "footer_personal" : "footer", &t, &error) < 0)
		goto out;
	{
		const struct tvar vars[] = {
			{ "list_addr", pc->list.addr },
			{ "list_name", pc->local },
			{ "description", descr },
			{ "help_addr", help.data },
			{ "unsubscribe_addr", unsub.data },
			{ "owner_addr", owner.data },
			{ "archive_url", archive },
			{ "leave_link", leave.len ? leave.data : unsub.data },
			{ "digest_link", digest.len ? digest.data : "" },
			{ "mute_link", mute.len ? mute.data : "" },
		};

		rc = template_render(t.body, vars, personal ? 10 : 7, out,
		    &error);
	}
out:
	if (error != NULL)
		log_warnx("list %s: footer: %s", pc->list.addr, error);
	free(error);
	template_clear(&t);
	buf_free(&help);
	buf_free(&unsub);
	buf_free(&owner);
	buf_free(&leave);
	buf_free(&digest);
	buf_free(&mute);
	free(lang);
	free(descr);
	free(archive);
	free(override);
	return rc;
}

/* Build the outgoing copy of an accepted post. */
int
pc_decorate(struct post_ctx *pc, const struct msg *m, struct buf *out)
{
	struct buf footer = BUF_INIT, list_id = BUF_INIT;
	char *prefix = pc_setting(pc, "subject_prefix");
	char *descr = pc_setting(pc, "description");
	char *archive = pc_setting(pc, "archive_url");
	struct decorate d;
	const char *error;
	int rc = -1;

	if (prefix == NULL || descr == NULL || archive == NULL)
		goto out;
	if (listconf_get_bool(pc->st, pc->list.id, pc->list.addr, "footer") &&
	    render_footer(pc, listconf_get_bool(pc->st, pc->list.id,
	    pc->list.addr, "personalize") == 1, &footer) < 0)
		goto out;
	buf_printf(&list_id, "%s.%s", pc->local, pc->domain);
	memset(&d, 0, sizeof(d));
	d.list_addr = pc->list.addr;
	d.list_id = list_id.data;
	d.list_name = *descr != '\0' ? descr : NULL;
	d.delim = pc->cfg->recipient_delimiter;
	d.subject_prefix = prefix;
	d.footer = footer.data;
	d.archive_url = *archive != '\0' ? archive : NULL;
	if ((rc = msg_decorate(m, &d, out, &error)) < 0)
		log_warnx("list %s: cannot decorate post: %s", pc->list.addr,
		    error);
out:
	buf_free(&footer);
	buf_free(&list_id);
	free(prefix);
	free(descr);
	free(archive);
	return rc;
}

void
process_archived_at(const char *archive_url, int64_t post_id,
    time_t created, struct buf *body)
{
	struct buf page = BUF_INIT, out = BUF_INIT;
	size_t n;

	if (archive_url == NULL || *archive_url == '\0')
		return;
	n = strlen(archive_url);
	archive_page_path(post_id, created, &page);
	buf_printf(&out, "Archived-At: <%.*s/%s>\r\n", (int)(n > 0 &&
	    archive_url[n - 1] == '/' ? n - 1 : n), archive_url, page.data);
	buf_append(&out, body->data, body->len);
	buf_free(body);
	*body = out;
	buf_free(&page);
}

/* A context for list outside of the processing of a row. */
static void
post_ctx_list(struct post_ctx *pc, struct store *st,
    const struct config *cfg, const struct store_list *list)
{
	size_t llen;

	memset(pc, 0, sizeof(*pc));
	pc->cfg = cfg;
	pc->st = st;
	pc->list = *list;	/* borrowed: not cleared here */
	pc->domain = addr_domain(list->addr, &llen);
	if (llen > ADDR_LOCAL_MAX)
		llen = ADDR_LOCAL_MAX;
	memcpy(pc->local, list->addr, llen);
	pc->local[llen] = '\0';
}

int
process_decorate(struct store *st, const struct config *cfg,
    const struct store_list *list, const struct msg *m, struct buf *out,
    int *per_rcpt_r)
{
	struct post_ctx pc;

	post_ctx_list(&pc, st, cfg, list);
	*per_rcpt_r = listconf_get_bool(st, list->id, list->addr,
	    "personalize") == 1;
	return pc_decorate(&pc, m, out);
}

int
process_footer(struct store *st, const struct config *cfg,
    const struct store_list *list, struct buf *out)
{
	struct post_ctx pc;

	post_ctx_list(&pc, st, cfg, list);
	if (listconf_get_bool(st, list->id, list->addr, "footer") != 1)
		return 0;
	return render_footer(&pc, 0, out);
}
