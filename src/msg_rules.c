/*
 * msg_rules.c — the message reads that list rules need (rules.c): every
 * occurrence of a header, and whether some MIME part has a given type.
 *
 * Uses the field index built at parse time and the bounded MIME walker of
 * msg_mime.c, so a hostile message can neither recurse nor allocate its
 * way through a rule: the walk stops at MSG_MAX_MIME_DEPTH levels and
 * MSG_MAX_MIME_PARTS parts (msg_parse already refused messages past
 * them).  Owns only the walk state of one call; the msg is borrowed.
 * Cannot fail: what cannot be read does not match.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "msg.h"
#include "msg_int.h"

int
msg_header_each(const struct msg *m, const char *name,
    int (*fn)(const char *, void *), void *arg)
{
	char *v;
	size_t i;
	int rc;

	for (i = 0; i < m->nfields; i++) {
		if (!msg_field_is(m, &m->fields[i], name))
			continue;
		v = msg_field_value(m, &m->fields[i]);
		rc = fn(v, arg);
		free(v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Whether part header ph is type/subtype (subtype "*": any). */
static int
part_is(const struct mime_part *ph, const char *type, const char *subtype)
{
	const char *t = ph->ct.type, *s = ph->ct.subtype;

	if (*t == '\0') {	/* RFC 2045 §5.2: the default */
		t = "text";
		s = "plain";
	}
	return strcasecmp(t, type) == 0 &&
	    (strcmp(subtype, "*") == 0 || strcasecmp(s, subtype) == 0);
}

/* The walk of mime_check(), asking part_is() of each part on the way. */
int
msg_has_type(const struct msg *m, const char *type, const char *subtype)
{
	struct mime_walk *w = xcalloc(1, sizeof(*w));
	struct mime_part ph;
	const char *error;
	size_t p = m->body;
	int found = 0;

	w->d = m->data;
	w->len = m->len;
	mime_top_headers(m, &ph);
	while (!found && ++w->parts <= MSG_MAX_MIME_PARTS) {
		if (part_is(&ph, type, subtype)) {
			found = 1;
			break;
		}
		if (strcmp(ph.ct.type, "multipart") == 0 && ph.ct.boundary[0]) {
			if (mime_walk_push(w, ph.ct.boundary, &error) < 0)
				break;
		} else if (strcmp(ph.ct.type, "message") == 0 &&
		    strcmp(ph.ct.subtype, "rfc822") == 0) {
			if (mime_walk_push(w, "", &error) < 0)
				break;
			mime_walk_headers(w, &p, &ph);
			continue;
		}
		if (mime_walk_next(w, &p) != 0)
			break;
		mime_walk_headers(w, &p, &ph);
	}
	free(w);
	return found;
}
