/*
 * personal.h — per-recipient parts of a personalized post: the VERP
 * envelope sender and the one-reply links of the footer (leave, switch to
 * digest, mute this thread).
 *
 * Nothing is stored per recipient: each address carries the member id
 * (and for "mute" the post id) and a MAC over (list, member, action,
 * thread) made with token_mac, so a link works only for the member it
 * was sent to and cannot be made for anyone else.
 *
 * The decorated copy of a post holds fixed-length markers where the
 * links go; each copy puts a link of the same length in a marker's
 * place, so line lengths and any quoted-printable encoding around them
 * stay valid.
 */
#ifndef POSTINO_PERSONAL_H
#define POSTINO_PERSONAL_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Link actions, as they appear in the address: LIST+u-..., +d-..., +m-... */
#define PERSONAL_LEAVE	'u'
#define PERSONAL_DIGEST	'd'
#define PERSONAL_MUTE	'm'
#define PERSONAL_WEB	'w'	/* the web page's token: no address */

#include "token.h"		/* TOKEN_MAC_LEN */

/*
 * The marker address for action in a decorated body (LIST+u-###...@DOM),
 * appended to out.  0, or -1 when the address would exceed the RFC 5321
 * local-part limit (the list name is too long for personal links).
 */
int	 personal_marker(const char *list_addr, const char *delim, char action,
	    struct buf *out);

/*
 * Copy body into out with every marker of list_addr replaced for this
 * member (post_id and thread are used by the mute link), and its
 * List-Unsubscribe header made the member's own (his +u- leave address,
 * and his web link when a public URL is set).
 */
void	 personal_render(const char *body, size_t len, const char *list_addr,
	    const char *delim, int64_t member_id, int64_t post_id,
	    const char *thread, struct buf *out);

/*
 * The same for many members, with the body scanned once: personal_plan
 * finds where the markers and the List-Unsubscribe line of body are (it
 * keeps pointers to body, list_addr and delim, which must outlive it);
 * personal_plan_render writes one member's copy, making only the links
 * the body holds.  personal_render is the three in a row.
 */
#define PERSONAL_NACTIONS	3	/* leave, digest, mute */

struct personal_spot {
	size_t	 off;		/* where a marker starts in the body */
	int	 action;	/* index in leave, digest, mute */
};

struct personal_plan {
	const char		*body, *list_addr, *delim;
	size_t			 len;
	size_t			 mark_len[PERSONAL_NACTIONS];
	struct personal_spot	*spots;		/* in body order */
	size_t			 nspots, capspots;
	size_t			 unsub_off, unsub_end;	/* the line without its
							 * CRLF; 0, 0: none */
};

void	 personal_plan(const char *body, size_t len, const char *list_addr,
	    const char *delim, struct personal_plan *);
void	 personal_plan_render(const struct personal_plan *, int64_t member_id,
	    int64_t post_id, const char *thread, struct buf *out);
void	 personal_plan_free(struct personal_plan *);

/*
 * Where the HTTP listener is reached ("https://lists.example.org/postino",
 * a trailing '/' dropped), or "" for none: set once, before the delivery
 * threads start.  With a URL, personal_render gives each copy the member's
 * own List-Unsubscribe web link and List-Unsubscribe-Post (RFC 8058).
 */
void	 personal_set_public_url(const char *url);

/* Append the member's web token "ID-MAC" (MAC over list, member, "web"). */
void	 personal_web_token(const char *list_addr, int64_t member_id,
	    struct buf *out);
/* Read a web token of len bytes: 0 with the member id and the MAC
 * (verify with personal_verify, action PERSONAL_WEB), or -1. */
int	 personal_web_parse(const char *tok, size_t len, int64_t *member_r,
	    char mac_r[TOKEN_MAC_LEN + 1]);

/* The VERP envelope sender LIST+bounces-ID-MAC@DOM for a member. */
void	 personal_verp(const char *list_addr, const char *delim,
	    int64_t member_id, struct buf *out);

/*
 * Read what follows the action's word in a link or VERP extension
 * (cmdaddr.c has the words: "u-", "d-", "m-", "bounces-"): "ID-MAC", or
 * "ID-POST-MAC" for PERSONAL_MUTE.  0 and the parts, or -1 when it is
 * not of that shape.  *mac_r points into s.
 */
int	 personal_parse(char action, const char *s, int64_t *member_r,
	    int64_t *post_r, const char **mac_r);

/* 0 when mac is right for (list, member, action, thread), else -1.
 * For VERP addresses action is 'b' and thread "". */
int	 personal_verify(const char *list_addr, char action, int64_t member_id,
	    const char *thread, const char *mac);

#endif
