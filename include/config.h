/*
 * config.h — the daemon's settings: "key = value" lines, '#' comments.
 *
 * Every setting has a name, a type, a default and bounds in one table
 * (config.c).  An unknown key or a bad value is an error naming the file,
 * the line and the key: "postino.conf:12: unknown setting 'relya'".
 */
#ifndef POSTINO_CONFIG_H
#define POSTINO_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct config {
	char	*path;			/* file read, or NULL for defaults */
	char	*database;		/* SQLite file */
	char	*lmtp_listen;		/* "HOST:PORT", "unix:PATH" or "off" */
	char	*smtp_listen;
	char	*socketmap_listen;	/* Postfix socketmap look-ups, or "off" */
	int	 lmtp_socket_mode;	/* of the LMTP and socketmap unix sockets */
	char	*lmtp_socket_group;	/* their group; "" = the process's */
	char	*http_listen;		/* one-click unsubscribe pages, or "off" */
	int	 http_socket_mode;	/* of its unix socket (the TLS proxy's) */
	char	*http_socket_group;
	int	 http_max_connections;	/* at once */
	int	 http_max_per_client;	/* at once, per address */
	int	 http_timeout;		/* seconds a connection may idle */
	char	*public_url;		/* where http_listen is reached, or "" */
	char	*http_tls_cert;		/* PEM files: HTTPS itself, or "" */
	char	*http_tls_key;
	char	*relay;			/* smtp://H:P lmtp://H:P lmtp:unix:P maildir:DIR */
	int	 relay_connections;	/* parallel outbound connections */
	int	 relay_batch;		/* recipients per transaction */
	int	 relay_pipeline;	/* transactions per claim */
	int	 relay_timeout;		/* seconds, per reply */
	char	*hostname;		/* our name in greetings and Message-IDs */
	char	*node_name;		/* this node's claims on a shared database */
	int	 node_lease;		/* seconds a claim lives unrenewed */
	size_t	 max_message_size;	/* bytes */
	int	 max_recipients;	/* per transaction, inbound */
	int	 max_sessions;		/* per listener, unless set below */
	int	 lmtp_max_sessions;	/* 0: max_sessions */
	int	 smtp_max_sessions;	/* 0: max_sessions */
	int	 max_sessions_per_client; /* per TCP listener and address */
	int	 stress_idle_timeout;	/* seconds, past 80% of a limit */
	int	 idle_timeout;		/* seconds without a command */
	int	 session_timeout;	/* seconds for a whole session */
	int	 data_timeout;		/* seconds for a whole DATA phase */
	int	 retry_min;		/* first back-off, seconds */
	int	 retry_max;		/* back-off cap, seconds */
	int	 retry_lifetime;	/* give up after, seconds */
	char	*templates;		/* directory holding <lang>/NAME.txt */
	char	*recipient_delimiter;	/* "+" */
	char	*demo_list;		/* list created at start-up, or "" */
	char	*log_level;		/* debug|info|warning */
	char	*secret_file;		/* master key for tokens and MACs */
	int	 token_lifetime;	/* seconds a confirmation token lives */
	int	 max_requests_per_day;	/* per address and list */
	char	*user;			/* account to run as when started as root */
	char	*resolver;		/* DNS for DMARC: "" resolv.conf, or
					 * "HOST:PORT[,...]" */
	int	 dmarc_timeout;		/* seconds a DMARC lookup may take */
};

/* Fill cfg with the embedded defaults.  Free with config_free(). */
void	config_defaults(struct config *cfg);

/*
 * Load path over the defaults.  When path is NULL, try ./postino.conf, then
 * /etc/postino/postino.conf, and keep the defaults if neither exists.
 * Returns 0, or -1 with a malloc'd message in *error_r (caller frees).
 */
int	config_load(struct config *cfg, const char *path, char **error_r);
/* Apply "NAME=VALUE" (the -o option) over what was loaded; 0, or -1
 * with a malloc'd *error_r. */
int	config_set(struct config *cfg, const char *assignment, char **error_r);
void	config_free(struct config *cfg);

/* Print the effective settings as "key = value" lines. */
void	config_dump(const struct config *cfg, FILE *fp);
/* Call fn with each setting's name and value, as config_dump shows them
 * (the value is borrowed for the call). */
void	config_each(const struct config *cfg,
	    void (*fn)(const char *name, const char *value, void *),
	    void *arg);

#endif
