/* asyncio.Lock in C (lock.c): layout, type spec and the internals Condition
 * and Barrier call on an exact Lock. */
#ifndef ASYNCLOCKS_LOCK_H
#define ASYNCLOCKS_LOCK_H

#include "waitbase.h"

typedef struct {
    AL_WAITBASE_HEAD
    char locked;
} LockObject;

extern PyType_Spec al_lock_spec;

/* New awaitable of Lock.acquire() on lock (exact Lock) returning ret (a
 * borrowed True or None). New reference or NULL. */
PyObject *lock_acquire_aw(AlState *st, PyObject *lock, PyObject *ret);
/* Lock.release(): 0, or -1 (RuntimeError if not locked). */
int lock_release_impl(AlState *st, LockObject *self);

#endif
