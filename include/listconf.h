/*
 * listconf.h — the settings a list can have (`postino list set`), with
 * their type, default and check, in one table (listconf.c).
 *
 * Settings are stored as text in list_settings; unset keys read as their
 * default.  Later features add rows to the table, never ad-hoc lookups.
 */
#ifndef POSTINO_LISTCONF_H
#define POSTINO_LISTCONF_H

#include <stdint.h>
#include <stdio.h>

struct store;

struct listconf_key {
	const char	*name;
	const char	*def;		/* default; "%l" = list local part */
	const char	*help;
	/* 0 when value is acceptable, else -1 and *error_r set. */
	int		(*check)(const char *value, const char **error_r);
};

const struct listconf_key *listconf_find(const char *name);
const struct listconf_key *listconf_keys(size_t *n_r);

/* Check a value for a key.  0 ok, -1 with *error_r (static). */
int	 listconf_check(const char *key, const char *value,
	    const char **error_r);

/* Effective value (stored or default, "%l" expanded), malloc'd; NULL on
 * store error.  list_addr is needed for defaults that derive from it. */
char	*listconf_get(struct store *, int64_t list_id, const char *list_addr,
	    const char *key);
/* The default of key for list_addr ("%l" expanded; "" for an unknown
 * key), malloc'd. */
char	*listconf_default(const char *key, const char *list_addr);
int	 listconf_get_bool(struct store *, int64_t list_id,
	    const char *list_addr, const char *key);

/* "90s", "30m", "72h", "7d" or plain seconds: seconds, or -1. */
long long listconf_duration(const char *);
/* "30" (kilobytes), "512K", "2M": bytes; -1 not a size, -2 above
 * 1024M. */
long long listconf_kbytes(const char *);

#endif
