/*
 * admit.c — session admission per listener: the limit, the per-client
 * cap and stress mode.  See admit.h.
 *
 * Stress mode has hysteresis (on at 80%, off below 60% of the limit) so
 * that a listener hovering around one threshold does not flood the log.
 * Owns nothing; cannot fail.
 */
#include "admit.h"
#include "log.h"

enum admit_verdict
admit_check(const struct admit *a, int nclient)
{
	if (a->n >= a->max)
		return ADMIT_BUSY;
	if (a->per_client > 0 && nclient >= a->per_client)
		return ADMIT_CLIENT;
	return ADMIT_OK;
}

void
admit_count(struct admit *a, int delta)
{
	long on = (long)a->max * ADMIT_STRESS_ON_PCT;
	long off = (long)a->max * ADMIT_STRESS_OFF_PCT;

	a->n += delta;
	if (a->n < 0)
		a->n = 0;
	if (!a->stress && (long)a->n * 100 >= on) {
		a->stress = 1;
		log_warnx("%s: stress mode on: %d of %d sessions, idle "
		    "timeout now %d s", a->name, a->n, a->max,
		    a->stress_ms / 1000);
	} else if (a->stress && (long)a->n * 100 < off) {
		a->stress = 0;
		log_info("%s: stress mode off: %d of %d sessions", a->name,
		    a->n, a->max);
	}
}

int
admit_idle_ms(const struct admit *a, int idle_ms)
{
	if (a->stress && a->stress_ms < idle_ms)
		return a->stress_ms;
	return idle_ms;
}
