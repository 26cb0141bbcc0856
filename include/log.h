/*
 * log.h — one line per event on stderr: "postino[pid]: level: text".
 *
 * Callers put their session or job id first in the text
 * ("lmtp 3f2a: ...", "job 17: ...").  Thread-safe: each line is written
 * with a single write(2).
 */
#ifndef POSTINO_LOG_H
#define POSTINO_LOG_H

#include <stdarg.h>

enum log_level { LOG_L_DEBUG, LOG_L_INFO, LOG_L_WARN, LOG_L_ERROR };

void	log_init(const char *progname, enum log_level min);
void	log_set_level(enum log_level min);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));	/* appends strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* What stops the daemon from starting; never filtered by log_level. */
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));	/* with errno */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
