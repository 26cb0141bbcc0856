/*
 * fault.c — waiting out store faults with a growing, capped back-off.
 *
 * A full disk must not cost an acknowledged message anything: the work
 * in hand is kept and tried again, 1, 2, 4 ... FAULT_MAX_S seconds apart,
 * until the store takes it.  One line says the episode began (and what
 * failed), one that it ended; the attempts between are silent.
 */
#include "fault.h"
#include "log.h"

int
fault_is_passing(const struct store *st)
{
	enum store_fault f = store_fault(st);

	return f == STORE_F_TEMP || f == STORE_F_CORRUPT;
}

int
fault_wait_next(struct fault_wait *fw, struct store *st)
{
	int damaged = store_fault(st) == STORE_F_CORRUPT || store_damaged();

	if (fw->delay == 0) {
		fw->delay = FAULT_MIN_S;
		if (damaged)
			log_warnx("%s: the database is damaged: work stops,"
			    " tried again every %ds", fw->who, FAULT_DAMAGED_S);
		else
			log_warnx("%s: the database cannot take the work now"
			    " (%s): waiting for space, trying again with a"
			    " back-off of up to %ds; nothing is lost", fw->who,
			    store_fault_str(st), FAULT_MAX_S);
	} else if (fw->delay < FAULT_MAX_S)
		fw->delay *= 2;
	fw->attempts++;
	return damaged ? FAULT_DAMAGED_S : fw->delay;
}

void
fault_wait_done(struct fault_wait *fw)
{
	if (fw->delay == 0)
		return;
	log_info("%s: the database takes work again after %d failed"
	    " attempt(s): resumed", fw->who, fw->attempts);
	fw->delay = 0;
	fw->attempts = 0;
}
