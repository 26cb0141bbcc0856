/*
 * admit.h — who gets a session: one listener's limit, a cap per client
 * address, and stress mode (Postfix's smtpd stress: shorter idle timeouts
 * while a listener is nearly full).
 *
 * Each listener keeps its own count, so idle connections to the SMTP port
 * can never take the places of the MTA's LMTP hand-off.  The logic is
 * pure apart from the log lines marking stress mode, so it is tested
 * without sockets (tests/unit/test_admit.c).
 */
#ifndef POSTINO_ADMIT_H
#define POSTINO_ADMIT_H

/* Stress mode starts at 80% of the limit and ends below 60%. */
#define ADMIT_STRESS_ON_PCT	80
#define ADMIT_STRESS_OFF_PCT	60

struct admit {
	const char	*name;		/* "smtp": log prefix, borrowed */
	int		 max;		/* sessions on this listener */
	int		 per_client;	/* from one address; 0: no cap */
	int		 stress_ms;	/* idle timeout under stress */
	int		 n;		/* sessions now */
	int		 stress;	/* in stress mode */
};

enum admit_verdict {
	ADMIT_OK,
	ADMIT_BUSY,		/* the listener is full: 421 4.3.2 */
	ADMIT_CLIENT,		/* that client has its share: 421 4.7.0 */
};

/* May one more session start, nclient of the open ones being from the
 * same client address? */
enum admit_verdict admit_check(const struct admit *, int nclient);

/* Count a session in (delta 1) or out (-1); enters or leaves stress mode
 * and logs it once when it does. */
void	 admit_count(struct admit *, int delta);

/* The idle timeout in force: idle_ms, or less under stress. */
int	 admit_idle_ms(const struct admit *, int idle_ms);

#endif
