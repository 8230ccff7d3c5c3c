/* Object slots of the WaitBase types, pickling, and the context-manager helpers of subclass instances (waitbase.c). Included by asynclocks.h. */
#ifndef ASYNCLOCKS_WAITBASE_H
#define ASYNCLOCKS_WAITBASE_H

/* tp_new, tp_traverse, tp_clear and tp_dealloc for WaitBase objects. */
PyObject *wb_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
int wb_traverse(PyObject *self, visitproc visit, void *arg);
int wb_clear(PyObject *self);
void wb_dealloc(PyObject *self);
/* Shared slots of WaitBase types: weakref offset member. */
extern PyMemberDef wb_members[];
/* __reduce__ result (type(self), args, (state, __dict__ or None)); steals
 * args and state, which may be NULL on error. */
PyObject *al_reduce(PyObject *self, PyObject *args, PyObject *state);
/* __setstate__ helper: restores __dict__, returns the inner state (new
 * reference) or NULL. */
PyObject *al_setstate_dict(PyObject *self, PyObject *state);
/* __reduce__ and __setstate__ of a primitive whose state is one flag. */
PyObject *al_reduce_flag(PyObject *self, int flag);
PyObject *al_setstate_flag(PyObject *self, PyObject *state, char *flag);

/* __aexit__ of a subclass instance: an awaitable that calls
 * self.release() when driven (the stdlib's _ContextManagerMixin). */
PyObject *al_aexit_release(AlState *st, PyObject *self, const char *name);
/* __aenter__ of a subclass instance: awaits self.acquire(), returns None. */
PyObject *al_aenter_acquire(AlState *st, PyObject *self, const char *name);

#endif
