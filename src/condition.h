/* asyncio.Condition in C (condition.c): layout, type spec and the internals
 * Barrier calls on an exact Condition. */
#ifndef ASYNCLOCKS_CONDITION_H
#define ASYNCLOCKS_CONDITION_H

#include "waitbase.h"

typedef struct {
    AL_WAITBASE_HEAD
    PyObject *lock;
} ConditionObject;

extern PyType_Spec al_condition_spec;

/* New awaitable of Condition.wait() on cond (exact Condition). New
 * reference or NULL. */
PyObject *cond_wait_aw(AlState *st, PyObject *cond);
/* The lock's locked(): 1, 0 or -1. */
int cond_locked(AlState *st, ConditionObject *self);
/* The lock's release(): 0 or -1. */
int cond_release(AlState *st, ConditionObject *self);
/* Condition._notify(n): wake up to n waiters. 0 or -1. */
int cond_notify_n(AlState *st, ConditionObject *self, Py_ssize_t n);
/* RuntimeError unless the condition's lock is held (what notify() checks
 * first). 0 or -1. */
int cond_check_locked(AlState *st, ConditionObject *self);
/* A new Condition with its own new Lock (Barrier's). New reference or NULL. */
PyObject *cond_new_internal(AlState *st);

#endif
