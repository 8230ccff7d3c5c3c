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

#include "waitq.h"
#include "queue.h"

/* ------------------------------------------------------------------ */
/* Module state. */

typedef struct AlAwaitable AlAwaitable;

#define AL_FREELIST_MAX 64

typedef struct AlState_ {
    PyTypeObject *Lock_Type;
    PyTypeObject *Event_Type;
    PyTypeObject *Condition_Type;
    PyTypeObject *Semaphore_Type;
    PyTypeObject *BoundedSemaphore_Type;
    PyTypeObject *Barrier_Type;
    PyTypeObject *Awaitable_Type;
    PyObject *CoroMethod_Type;
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
    PyObject *deque_type;     /* collections.deque */
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
    PyObject *str_append;
    PyObject *str_source;
    PyObject *str_remove;
    /* Recycled awaitables: finished, still GC-tracked, each holding a
     * reference to Awaitable_Type and owned (refcount 1) by this list, linked
     * through `next`. Taking one costs no allocation, no PyObject_Init and no
     * GC (un)tracking. m_traverse visits them, m_clear frees them. */
    AlAwaitable *freelist;
    int numfree;
    int closing; /* m_clear has run: free awaitables instead of recycling them */
    /* tracemalloc was tracing when the module was imported or when the
     * freelist last ran empty: finished awaitables are freed, not recycled,
     * so that each one's traceback is where it was created. */
    int no_recycle;
    /* threadsafe.c */
    PyTypeObject *ThreadSafeFlag_Type;
    PyTypeObject *ThreadSafeEvent_Type;
    PyObject *ts_wake; /* the wake-up callback given to call_soon_threadsafe */
    PyObject *str_call_soon_threadsafe;
    PyObject *current_task; /* asyncio.current_task */
    int ts_nan_raises;      /* threading.Event().wait(nan) raises ValueError (3.14+) */
    AlQueueState qs;        /* queue.c */
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

/* Whether tracemalloc traces allocations (Untrack in a domain no allocator
 * uses changes nothing; it returns -2 when tracemalloc is off). */
#define AL_TRACE_DOMAIN 0x616c6b73u
static inline int
al_tracemalloc_tracing(void)
{
    return PyTraceMalloc_Untrack(AL_TRACE_DOMAIN, 0) != -2;
}

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

/* Function-like methods (coromethod.c): replace, in `type`'s dict, each
 * method of spec's Py_tp_methods whose doc starts with a text signature
 * "name($self...)" with a function-like descriptor, coroutine for the names
 * the stdlib writes as `async def` (inspect.iscoroutinefunction and
 * inspect.signature give the stdlib's answers). 0 or -1. */
extern PyType_Spec al_coromethod_spec;
int al_install_coroutine_methods(AlState *st, PyTypeObject *type, PyType_Spec *spec);
/* Replace the __defaults__ of a function-like method made by
 * al_install_coroutine_methods (a text signature can only spell literal
 * defaults). 0 or -1. */
int al_coromethod_set_defaults(PyObject *method, PyObject *defaults);

/* ------------------------------------------------------------------ */
/* Helpers shared by the primitives, one header per concern. */

#include "loop.h"
#include "future.h"
#include "exceptions.h"
#include "repr.h"
#include "args.h"

/* ------------------------------------------------------------------ */
/* Primitive layouts. */

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
 * once an instance attribute may shadow a method (see al_setattro): the C
 * shortcuts that skip a method lookup are taken only while it is 0. */
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

#include "waitbase.h"

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
    AL_OBJECT_HEAD
    PyObject *cond;    /* internal Condition (exact type) */
    PyObject *parties; /* any object the stdlib accepts, usually an int */
    int count;         /* tasks inside wait(); bounded by memory long before INT_MAX */
    int state;
    char shadowed; /* as WaitBase's */
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

#endif
