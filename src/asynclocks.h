/* Shared declarations of asynclocks._core: module state, the waiter queue,
 * the coroutine-like awaitable and the primitives' object layouts. */
#ifndef ASYNCLOCKS_H
#define ASYNCLOCKS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define AL_PY312 (PY_VERSION_HEX >= 0x030C0000)
#define AL_PY311 (PY_VERSION_HEX >= 0x030B0000)
#define AL_PY313 (PY_VERSION_HEX >= 0x030D0000)

#if defined(__GNUC__) || defined(__clang__)
#define AL_NOINLINE __attribute__((noinline))
#else
#define AL_NOINLINE
#endif

/* ------------------------------------------------------------------ */
/* Waiter queue: a growable ring of strong references to futures.      */

typedef struct {
    PyObject *loop; /* the loop the owner is bound to (strong) or NULL */
    Py_ssize_t head;
    Py_ssize_t len;
    Py_ssize_t cap;
    PyObject *items[1];
} WaitQ;

/* Number of entries; q may be NULL. */
static inline Py_ssize_t
wq_len(const WaitQ *q)
{
    return q ? q->len : 0;
}

/* Borrowed reference to entry i (0 <= i < len). */
static inline PyObject *
wq_get(const WaitQ *q, Py_ssize_t i)
{
    return q->items[(q->head + i) % q->cap];
}

/* Create the queue if it does not exist yet. 0, or -1 with MemoryError. */
int wq_reserve(WaitQ **qp);
/* Append a new strong reference to fut, creating the queue on first use.
 * Returns 0, or -1 with MemoryError set. */
int wq_append(WaitQ **qp, PyObject *fut);
/* Remove the first entry that is fut (by identity) and drop its reference.
 * Returns 1 if found, 0 if not. Never fails. Beware: the decref can run
 * arbitrary code only if fut was the last reference (never the case for a
 * waiter whose awaitable still holds it). */
int wq_remove(WaitQ *q, PyObject *fut);
/* Free the queue and drop every reference (the loop's too); *qp becomes
 * NULL. */
void wq_clear(WaitQ **qp);
/* Visit every entry (tp_traverse helper). */
int wq_traverse(WaitQ *q, visitproc visit, void *arg);

/* ------------------------------------------------------------------ */
/* Module state. */

typedef struct AlAwaitable AlAwaitable;

#define AL_FREELIST_MAX 64

typedef struct {
    PyTypeObject *Lock_Type;
    PyTypeObject *Event_Type;
    PyTypeObject *Condition_Type;
    PyTypeObject *Semaphore_Type;
    PyTypeObject *BoundedSemaphore_Type;
    PyTypeObject *Barrier_Type;
    PyTypeObject *Awaitable_Type;
    PyObject *get_running_loop; /* asyncio.events._get_running_loop */
    PyObject *CancelledError;
    PyObject *InvalidStateError;
    PyObject *BrokenBarrierError; /* NULL before 3.11 */
    PyObject *stop_true;          /* shared StopIteration(True) */
    /* What the running interpreter and stdlib do, found at import time by
     * running them (module.c, run_probe), not from a table of versions. */
    PyObject *barrier_msg;    /* str: what asyncio's Barrier(0) says; NULL before 3.11 */
    PyObject *await_fmt;      /* callable: fmt(template, t0, tp_name0, t1, tp_name1) -> str */
    PyObject *await_msg[3];   /* templates of the `await x` TypeErrors (AL_AWMSG_*) or NULL */
    char throw_done_first;    /* throw() into a finished coroutine: "cannot reuse" first */
    char throw_running_first; /* throw() into a running one: "already executing" first */
    /* asyncio's C Future type and its done/cancelled/set_result methods,
     * called directly (no method lookup) on futures of exactly that type
     * whose instance __dict__ is absent or does not shadow the name; NULL
     * unless the type is immutable and keeps its __dict__ at a fixed offset
     * (fut_dictoffset > 0, 3.10-3.12) or in the interpreter's managed slot
     * (fut_dictoffset -1, 3.13: any instance attribute means lookup). */
    PyObject *CFuture_Type;
    Py_ssize_t fut_dictoffset;
    PyObject *fut_done;
    PyObject *fut_cancelled;
    PyObject *fut_set_result;
    PyObject *str_create_future;
    PyObject *str_done;
    PyObject *str_cancelled;
    PyObject *str_set_result;
    PyObject *str_acquire;
    PyObject *str_release;
    PyObject *str_locked;
    PyObject *str_wait;
    PyObject *str_notify;
    PyObject *str_throw;
    PyObject *str_close;
    /* Recycled awaitables: finished, still GC-tracked, each holding a
     * reference to Awaitable_Type and owned (refcount 1) by this list, linked
     * through `next`. Taking one costs no allocation, no PyObject_Init and no
     * GC (un)tracking. m_traverse visits them, m_clear frees them. */
    AlAwaitable *freelist;
    int numfree;
    int closing; /* m_clear has run: free awaitables instead of recycling them */
    /* threadsafe.c */
    PyTypeObject *ThreadSafeFlag_Type;
    PyTypeObject *ThreadSafeEvent_Type;
    PyObject *ts_wake; /* the wake-up callback given to call_soon_threadsafe */
    PyObject *str_call_soon_threadsafe;
    PyObject *current_task; /* asyncio.current_task */
    int ts_nan_raises;      /* threading.Event().wait(nan) raises ValueError (3.14+) */
} AlState;

extern struct PyModuleDef al_module_def;

/* Indexes of AlState.await_msg: `await x` where x is not awaitable, where
 * x.__await__() returned a non-iterator, and where it returned a coroutine. */
enum { AL_AWMSG_NOT_AWAITABLE = 0, AL_AWMSG_NON_ITERATOR = 1, AL_AWMSG_COROUTINE = 2 };

/* Module state of an object whose type (or a base of it) was made by this
 * module. Borrowed; NULL with TypeError set when not found. */
AlState *al_state_from_type(PyTypeObject *tp);

/* Module state of one of our objects (borrowed; NULL with TypeError set if
 * not found): direct for our own types, through the MRO for subclasses. */
static inline AlState *
al_state_fast(PyObject *self)
{
    PyObject *m = ((PyHeapTypeObject *)Py_TYPE(self))->ht_module;
    if (m != NULL && PyModule_GetDef(m) == &al_module_def) {
        return (AlState *)PyModule_GetState(m);
    }
    return al_state_from_type(Py_TYPE(self));
}

/* ------------------------------------------------------------------ */
/* The awaitable returned by acquire(), wait(), __aenter__() ...        */

/* What a step function asks the driver to do next. */
typedef enum {
    AW_ERROR = -1, /* an exception is set */
    AW_RETURN = 0, /* *result holds the return value (new reference) */
    AW_YIELD = 1,  /* aw->fut is set: suspend on it */
    AW_AWAIT = 2,  /* aw->sub is set: delegate to it ("await sub") */
} AwStep;

/* A step is resumed with value (borrowed) or, when value is NULL, with the
 * exception that is set: what the awaited future or sub-awaitable raised. */
typedef AwStep (*AwStepFunc)(AlAwaitable *aw, PyObject *value, PyObject **result);

enum { AW_FRESH = 0, AW_ACTIVE = 1, AW_DONE = 2 };

struct AlAwaitable {
    PyObject_HEAD
    AlState *st; /* module state (the type keeps the module alive) */
    AwStepFunc step;
    const char *name;  /* qualified name for messages, e.g. "Lock.acquire" */
    PyObject *owner;   /* the primitive (strong) */
    PyObject *fut;     /* future suspended on (strong) or NULL */
    PyObject *sub;     /* awaitable delegated to (strong) or NULL */
    PyObject *arg;     /* step-specific object (strong) or NULL */
    PyObject *err;     /* step-specific saved exception (strong) or NULL */
    PyObject *ret;     /* value returned on the fast path (borrowed: None/True) */
    AlAwaitable *next; /* next entry while in the module's freelist */
    Py_ssize_t index;  /* step-specific integer */
    int state;         /* step-specific state number */
    char status;       /* AW_FRESH, AW_ACTIVE, AW_DONE */
    char running;      /* a step is executing */
    char finalized;    /* tp_finalize has run (the GC marked it) */
    char awaited;      /* am_await was called: an `await` expression drives it */
};

/* aw_new() when the freelist cannot serve: allocate. */
PyObject *aw_new_alloc(AlState *st, PyObject *owner, AwStepFunc step, const char *name,
                       PyObject *ret);

/* New awaitable for owner (new reference), NULL on error. ret is a borrowed
 * immortal-ish singleton (None or True) or NULL. */
static inline PyObject *
aw_new(AlState *st, PyObject *owner, AwStepFunc step, const char *name, PyObject *ret)
{
    AlAwaitable *aw = st->freelist;
    /* An entry someone else also holds (found through gc.get_objects(), say)
     * is not ours to reuse, nor one the GC finalized (it was part of an
     * unreachable module): aw_new_alloc() drops it from the list. */
    if (aw == NULL || Py_REFCNT(aw) != 1 || aw->finalized) {
        return aw_new_alloc(st, owner, step, name, ret);
    }
    /* The list's reference becomes the caller's; the entry is tracked and
     * holds its type already. Everything else was cleared when it finished. */
    st->freelist = aw->next;
    st->numfree--;
    aw->next = NULL;
    /* Tell a PyRefTracer (3.13+) that the object lives again.
     * _Py_NewReference (cpython/object.h, 3.13-3.15) does only that and sets
     * the refcount to 1, as it is: cheaper than PyObject_Init, which also
     * takes a type reference that the entry holds already (measured on
     * 3.13.0: 30 instructions per operation; 3.14.10: see README). */
#if AL_PY313
    _Py_NewReference((PyObject *)aw);
#endif
    aw->step = step;
    aw->name = name;
    aw->owner = Py_NewRef(owner);
    aw->ret = ret;
    aw->index = 0;
    aw->state = 0;
    aw->status = AW_FRESH;
    aw->awaited = 0;
    return (PyObject *)aw;
}
/* Create a waiter future on the running loop the owner is bound to (see
 * al_get_loop), store it in aw->fut and append it to *qp. 0 or -1. */
int aw_make_waiter(AlAwaitable *aw, WaitQ **qp);
/* The first half of aw_make_waiter: create the future and store it in
 * aw->fut, without queueing it. 0 or -1. */
int aw_create_waiter(AlAwaitable *aw, WaitQ **qp);
/* Start awaiting awaitable `o` (stolen): stores its iterator in aw->sub.
 * Returns AW_AWAIT, or AW_ERROR. */
AwStep aw_await(AlAwaitable *aw, PyObject *o);
/* Start awaiting the awaitable returned by calling owner.<name>() (or
 * obj.<name>()). Returns AW_AWAIT or AW_ERROR. */
AwStep aw_await_method(AlAwaitable *aw, PyObject *obj, PyObject *name);

/* Step function shared by __aenter__ of subclasses and Barrier's: the
 * result of the sub-awaitable, replaced by aw->ret if that is non-NULL. */
AwStep aw_step_passthrough(AlAwaitable *aw, PyObject *value, PyObject **result);

extern PyType_Spec al_awaitable_spec;

/* ------------------------------------------------------------------ */
/* Helpers shared by the primitives. */

/* Loop binding, as asyncio.mixins._LoopBoundMixin._get_loop: the bound
 * loop is kept in the waiter queue (*qp, created here), since only waiting
 * needs a loop. Returns a new reference to the running loop (may be None),
 * or NULL. */
PyObject *al_get_loop(AlState *st, PyObject *self, WaitQ **qp);
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
/* Call obj.name() with no argument: new reference or NULL. */
PyObject *al_call_method0(PyObject *obj, PyObject *name);
/* bool(obj.name()): 1, 0 or -1 on error. */
int al_call_bool(PyObject *obj, PyObject *name);
/* 1 if every future in q is cancelled (or q is empty), 0 if not, -1 error. */
int al_all_cancelled(AlState *st, WaitQ **qp);
/* `<` + object.__repr__(self)[1:-1] + ` [extra]>`; steals extra. */
PyObject *al_repr(PyObject *self, PyObject *extra);
/* Take the current exception (normalized, new reference); clears it. */
PyObject *al_fetch_exc(void);
/* Set exc (stolen) as the current exception. */
void al_restore_exc(PyObject *exc);
/* Set the context of the current exception to ctx (stolen), as Python does
 * for an exception raised while ctx was being handled. */
void al_chain_context(PyObject *ctx);
/* getattr(o, name) that treats AttributeError as absence: 1 and a new
 * reference in *res, 0 and NULL if absent, -1 on other errors. */
int PyObject_GetOptionalAttr_compat(PyObject *o, PyObject *name, PyObject **res);
/* __reduce__ result (type(self), args, (state, __dict__ or None)); steals
 * args and state, which may be NULL on error. */
PyObject *al_reduce(PyObject *self, PyObject *args, PyObject *state);
/* __setstate__ helper: restores __dict__, returns the inner state (new
 * reference) or NULL. */
PyObject *al_setstate_dict(PyObject *self, PyObject *state);
/* Check the arguments of __aexit__(exc_type, exc, tb) as Python would.
 * 0 or -1 with TypeError. */
int al_check_aexit(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
/* al_check_aexit with the usual call, three positional arguments, inline. */
static inline int
al_check_aexit_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs == 3 && kwnames == NULL) {
        return 0;
    }
    return al_check_aexit(args, nargs, kwnames);
}
/* The repr of a primitive whose state is `state`, with the waiter count
 * appended when there are waiters: "<... [locked, waiters:2]>". */
PyObject *al_state_repr(PyObject *self, const char *state, WaitQ *waiters);
/* __reduce__ and __setstate__ of a primitive whose state is one flag. */
PyObject *al_reduce_flag(PyObject *self, int flag);
PyObject *al_setstate_flag(PyObject *self, PyObject *state, char *flag);
/* Parse the one argument `pname` (required or optional) of method
 * `qualname`, given by position or keyword; *out is a borrowed value, or
 * NULL when an optional one is absent. 0 or -1. */
int al_parse_one_arg(const char *qualname, const char *pname, int required, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames, PyObject **out);
/* The type's name without its module. */
const char *al_short_name(PyTypeObject *tp);
/* Reject arguments for a method taking none: 0 or -1 with TypeError. */
int al_no_args_error(const char *qualname, Py_ssize_t nargs, PyObject *kwnames);
static inline int
al_no_args(const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs == 0 && kwnames == NULL) {
        return 0;
    }
    return al_no_args_error(qualname, nargs, kwnames);
}
/* Check constructor arguments against a signature of up to one optional
 * positional-or-keyword parameter `pname` (NULL for none); 3.10's `loop=`
 * keyword is rejected as the stdlib does. *out gets a borrowed value or
 * NULL. min_pos is 1 when the parameter is required. 0 or -1. */
int al_parse_init(PyObject *self, const char *cls, PyObject *args, PyObject *kwds,
                  const char *pname, int min_pos, PyObject **out);

/* Method flags of the methods with arguments parsed by hand. */
#define METH_CM (METH_FASTCALL | METH_KEYWORDS)
#define CMETH(f) ((PyCFunction)(void (*)(void))(f))

/* ------------------------------------------------------------------ */
/* Primitive layouts. */

/* Every primitive but Barrier starts with these fields. */
#define AL_WAITBASE_HEAD                                                                           \
    PyObject_HEAD                                                                                  \
    WaitQ *waiters; /* waiter futures and bound loop, created on first wait */                     \
    AlState *st;    /* module state (the type keeps the module alive) */                           \
    PyObject *weakreflist;

typedef struct {
    AL_WAITBASE_HEAD
} WaitBase;

/* Module state of a WaitBase object (borrowed, never NULL). */
#define WB_STATE(o) (((WaitBase *)(o))->st)

/* tp_new, tp_traverse, tp_clear and tp_dealloc for WaitBase objects. */
PyObject *wb_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
int wb_traverse(PyObject *self, visitproc visit, void *arg);
int wb_clear(PyObject *self);
void wb_dealloc(PyObject *self);
/* Shared slots of WaitBase types: weakref offset member. */
extern PyMemberDef wb_members[];

typedef struct {
    AL_WAITBASE_HEAD
    char locked;
} LockObject;

typedef struct {
    AL_WAITBASE_HEAD
    char value;
} EventObject;

typedef struct {
    AL_WAITBASE_HEAD
    PyObject *lock;
} ConditionObject;

/* A semaphore counter: a C integer n stored as 2n+1 (odd) in the common
 * case, else a strong reference to the Python object the stdlib would hold
 * (a float, an int beyond the C range, True): pointers are even. */
typedef intptr_t SemValue;

typedef struct {
    AL_WAITBASE_HEAD
    SemValue value;
} SemaphoreObject;

typedef struct {
    SemaphoreObject base;
    SemValue bound;
} BoundedSemaphoreObject;

typedef struct {
    PyObject_HEAD
    PyObject *cond; /* internal Condition (exact type) */
    PyObject *weakreflist;
    PyObject *parties; /* any object the stdlib accepts, usually an int */
    int count;         /* tasks inside wait(); bounded by memory long before INT_MAX */
    int state;
} BarrierObject;

extern PyType_Spec al_lock_spec;
extern PyType_Spec al_event_spec;
extern PyType_Spec al_condition_spec;
extern PyType_Spec al_semaphore_spec;
extern PyType_Spec al_bounded_semaphore_spec;
extern PyType_Spec al_barrier_spec;

/* Lock internals used by Condition and Barrier (exact Lock only). */
PyObject *lock_acquire_aw(AlState *st, PyObject *lock, PyObject *ret);
int lock_release_impl(AlState *st, LockObject *self);

/* Condition internals used by Barrier (exact Condition only). */
PyObject *cond_wait_aw(AlState *st, PyObject *cond);
int cond_locked(AlState *st, ConditionObject *self);
int cond_release(AlState *st, ConditionObject *self);
int cond_notify_n(AlState *st, ConditionObject *self, Py_ssize_t n);
/* RuntimeError unless the condition's lock is held (what notify() checks
 * first). 0 or -1. */
int cond_check_locked(AlState *st, ConditionObject *self);
PyObject *cond_new_internal(AlState *st);

/* __aexit__ of a subclass instance: an awaitable that calls
 * self.release() when driven (the stdlib's _ContextManagerMixin). */
PyObject *al_aexit_release(AlState *st, PyObject *self, const char *name);
/* __aenter__ of a subclass instance: awaits self.acquire(), returns None. */
PyObject *al_aenter_acquire(AlState *st, PyObject *self, const char *name);

#endif
