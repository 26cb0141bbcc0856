/*
 * relay_target.h — where outbound mail goes: the parsed `relay` setting.
 */
#ifndef POSTINO_RELAY_TARGET_H
#define POSTINO_RELAY_TARGET_H

enum relay_kind { RELAY_SMTP, RELAY_LMTP, RELAY_MAILDIR };

struct relay_target {
	enum relay_kind	 kind;
	char		*host;		/* NULL for unix sockets and maildir */
	char		*port;
	char		*path;		/* unix socket, or maildir directory */
};

/* Parse "smtp://HOST:PORT", "lmtp://HOST:PORT", "lmtp:unix:PATH" or
 * "maildir:DIR".  0, or -1 with a static *error_r. */
int	 relay_target_parse(const char *spec, struct relay_target *,
	    const char **error_r);
void	 relay_target_clear(struct relay_target *);

#endif
