/* The head every primitive's layout starts with, the object slots of the
 * WaitBase types, pickling, and the context-manager helpers of subclass
 * instances (waitbase.c). */
#ifndef ASYNCLOCKS_WAITBASE_H
#define ASYNCLOCKS_WAITBASE_H

#include "awaitable.h"
#include "waitq.h"

/* The head of every primitive: __dict__ and __weakref__ kept in the object
 * on every version. Our bases, asyncio's Python classes, manage them before
 * the object from 3.11 (__dict__) and 3.12 (__weakref__); module.c gives
 * our types this plain layout instead (tp_dictoffset > 0 with a NULL dict
 * until the first attribute keeps the interpreter's specialized method
 * loads; a managed dict without inline values does not), and checks at
 * import that the bases' layout leaves room for it. */
#define AL_OBJECT_HEAD                                                                             \
    PyObject_HEAD                                                                                  \
    PyObject *dict;                                                                                \
    PyObject *weakreflist;

typedef struct {
    AL_OBJECT_HEAD
} AlObjectHead;

/* Every primitive but Barrier starts with these fields. `shadowed` is set
 * once an instance attribute may shadow a method (see al_setattro_flag):
 * the C shortcuts that skip a method lookup are taken only while it is 0. */
#define AL_WAITBASE_HEAD                                                                           \
    AL_OBJECT_HEAD                                                                                 \
    WaitQ *waiters; /* waiter futures and bound loop, created on first wait */                     \
    AlState *st;    /* module state (the type keeps the module alive) */                           \
    char shadowed;

typedef struct {
    AL_WAITBASE_HEAD
} WaitBase;

/* Module state of a WaitBase object (borrowed, never NULL). */
#define WB_STATE(o) (((WaitBase *)(o))->st)

/* True when self is exactly of type tp and no instance attribute shadows a
 * method: the C shortcuts may skip method lookups. */
#define WB_PLAIN(self, tp) (Py_IS_TYPE((self), (tp)) && !((WaitBase *)(self))->shadowed)

/* tp_new, tp_traverse, tp_clear and tp_dealloc for WaitBase objects. */
PyObject *wb_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
int wb_traverse(PyObject *self, visitproc visit, void *arg);
int wb_clear(PyObject *self);
void wb_dealloc(PyObject *self);
/* __dict__ of WaitBase types (sets `shadowed`, see al_setattro_flag). */
PyObject *wb_get_dict(PyObject *self, void *closure);
int wb_set_dict(PyObject *self, PyObject *value, void *closure);
/* The stdlib's `_loop`: the bound loop or None (new reference). */
PyObject *wb_get_loop(PyObject *self, void *closure);
/* `obj._loop = loop` binds (None unbinds), as the stdlib's attribute. */
int wb_set_loop(PyObject *self, PyObject *value, void *closure);
/* The stdlib's `_waiters`: the deque itself (see WaitQ). The lazy getter
 * gives None before the first wait, as Lock's and Semaphore's are; the
 * eager one creates it on first read, as Event's and Condition's exist from
 * the start. The setter takes a deque or None. */
PyObject *wb_get_waiters_lazy(PyObject *self, void *closure);
PyObject *wb_get_waiters_eager(PyObject *self, void *closure);
int wb_set_waiters(PyObject *self, PyObject *value, void *closure);
#define WB_GETSET_DICT { "__dict__", wb_get_dict, wb_set_dict, NULL, NULL }
#define WB_GETSET_LOOP { "_loop", wb_get_loop, wb_set_loop, NULL, NULL }
#define WB_GETSET_WAITERS(kind) { "_waiters", wb_get_waiters_##kind, wb_set_waiters, NULL, NULL }
#define WB_GETSET_END { NULL, NULL, NULL, NULL, NULL }
/* tp_setattro of every primitive: PyObject_GenericSetAttr that first sets
 * *flag when `name` names a class attribute that is not a data descriptor
 * (a method an instance attribute now shadows). 0 or -1. */
int al_setattro_flag(PyObject *self, PyObject *name, PyObject *value, char *flag);
int wb_setattro(PyObject *self, PyObject *name, PyObject *value);
/* __dict__ getter and setter that set *flag (the dict can then hold
 * anything). */
PyObject *al_get_dict_flag(PyObject *self, char *flag);
int al_set_dict_flag(PyObject *self, PyObject *value, char *flag);
/* Visit / clear the instance __dict__ (AL_OBJECT_HEAD's). */
int al_dict_traverse(PyObject *self, visitproc visit, void *arg);
void al_dict_clear(PyObject *self);
/* The instance __dict__ without creating it or setting the shadow flag:
 * borrowed reference or NULL (no error). */
PyObject *al_dict_peek(PyObject *self);
/* 3.11: before the instance __dict__ of `self` is written or handed out,
 * replace the empty dict new instances share by NULL (a dict of its own is
 * then made on demand). No-op on other versions. */
void al_unshare_dict(PyObject *self);
/* 3.11: make new instances of `type` start with the shared empty __dict__
 * that lets the interpreter specialize their method loads (see
 * coromethod.c). For a type with AL_OBJECT_HEAD whose attribute assignment
 * goes through al_setattro_flag and whose __dict__ getter through
 * al_get_dict_flag (so through al_unshare_dict): the primitives and the
 * queues. No-op on other versions. 0 or -1. */
int wb_share_empty_dict(AlState *st, PyTypeObject *type);
/* __reduce__ result (type(self), args, (state, __dict__ or None)); steals
 * args and state, which may be NULL on error. */
PyObject *al_reduce(PyObject *self, PyObject *args, PyObject *state);
/* __setstate__ helper: restores __dict__, returns the inner state (new
 * reference) or NULL. */
PyObject *al_setstate_dict(PyObject *self, PyObject *state);
/* __reduce__ and __setstate__ of a primitive whose state is one flag. */
PyObject *al_reduce_flag(PyObject *self, int flag);
PyObject *al_setstate_flag(PyObject *self, PyObject *state, char *flag);
/* Setter of a private flag attribute (`lock._locked`, `ev._value`): stores
 * bool(value) in *flag; deleting raises AttributeError naming `name`.
 * 0 or -1. */
int al_set_flag_attr(PyObject *value, const char *name, char *flag);

/* __aexit__ of a subclass instance: an awaitable that calls
 * self.release() when driven (the stdlib's _ContextManagerMixin). */
PyObject *al_aexit_release(AlState *st, PyObject *self, const char *name);
/* __aenter__ of a subclass instance: awaits self.acquire(), returns None. */
PyObject *al_aenter_acquire(AlState *st, PyObject *self, const char *name);

#endif
