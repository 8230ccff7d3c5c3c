/* Calls on futures (future.c). */
#ifndef ASYNCLOCKS_FUTURE_H
#define ASYNCLOCKS_FUTURE_H

#include "state.h"

/* fut.done() / fut.cancelled(): 1, 0, or -1 on error. */
int al_fut_done(AlState *st, PyObject *fut);
int al_fut_cancelled(AlState *st, PyObject *fut);
/* fut.set_result(value): 0 or -1. */
int al_fut_set_result(AlState *st, PyObject *fut, PyObject *value);
/* `if not fut.done(): fut.set_result(value)`: 1 if it was set, 0 if the
 * future was done already, -1 on error. For a C Future this is one call,
 * but a done one costs an InvalidStateError raised and cleared: use it where
 * waiters are rarely done already (Event.set, Lock's wake-up), not where
 * woken waiters pile up at the front (Condition, Semaphore). */
int al_fut_set_result_if_pending(AlState *st, PyObject *fut, PyObject *value);

#endif
