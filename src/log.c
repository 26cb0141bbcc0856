/*
 * log.c — stderr logging, one line per event.
 *
 * The daemon runs in the foreground under a supervisor (systemd, runit),
 * which timestamps and stores stderr; so we add no timestamp of our own.
 * Lines are formatted into a stack buffer and written with one write(2),
 * so lines from threads never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "postino";
static enum log_level	 log_min = LOG_L_INFO;

void
log_init(const char *progname, enum log_level min)
{
	log_prog = progname;
	log_min = min;
}

void
log_set_level(enum log_level min)
{
	log_min = min;
}

static void
log_emit(const char *level, int with_errno, int saved, const char *fmt,
    va_list ap)
{
	char line[2048];
	int n, m;

	n = snprintf(line, sizeof(line), "%s[%d]: %s: ", log_prog,
	    (int)getpid(), level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 64)
		n = (int)sizeof(line) - 64;
	if (with_errno)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(saved));
	line[n++] = '\n';
	/* Best effort: there is nowhere to report a failed log write. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

#define LOG_FN(name, lvl, label, with_errno)				\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	int saved = errno;						\
									\
	if (lvl < log_min)						\
		return;							\
	va_start(ap, fmt);						\
	log_emit(label, with_errno, saved, fmt, ap);			\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_debug, LOG_L_DEBUG, "debug", 0)
LOG_FN(log_info, LOG_L_INFO, "info", 0)
LOG_FN(log_warn, LOG_L_WARN, "warning", 1)
LOG_FN(log_warnx, LOG_L_WARN, "warning", 0)
LOG_FN(log_errorx, LOG_L_ERROR, "error", 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit("fatal", 1, saved, fmt, ap);
	va_end(ap);
	exit(75);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal", 0, 0, fmt, ap);
	va_end(ap);
	exit(75);
}
