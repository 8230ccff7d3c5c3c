/* The coroutine-like awaitable returned by acquire(), wait(), __aenter__()
 * ... (awaitable.c): its layout, the step protocol and its creation from
 * the module's freelist. The awaitable only drives the coroutine protocol;
 * what a step does (waiting included) is its primitive's business. */
#ifndef ASYNCLOCKS_AWAITABLE_H
#define ASYNCLOCKS_AWAITABLE_H

#include "state.h"

/* What a step function asks the driver to do next. */
typedef enum {
    AW_ERROR = -1,    /* an exception is set */
    AW_RETURN = 0,    /* *result holds the return value (new reference) */
    AW_AWAIT_FUT = 1, /* aw->fut is set: `await aw->fut` */
    AW_AWAIT_SUB = 2, /* aw->sub is set: delegate to it (`await sub`) */
} AwStep;

/* A step is resumed with value (borrowed) or, when value is NULL, with the
 * exception that is set: what the awaited future or sub-awaitable raised. */
typedef AwStep (*AwStepFunc)(AlAwaitable *aw, PyObject *value, PyObject **result);

enum { AW_FRESH = 0, AW_ACTIVE = 1, AW_DONE = 2 };

struct TsNode;

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
    /* Step-specific scalar, zeroed (through `word`) by aw_new. */
    union {
        Py_ssize_t word;          /* the whole union, to zero it */
        Py_ssize_t barrier_index; /* Barrier.wait: this task's arrival index */
        int barrier_target;       /* Barrier.reset/abort: the state to enter */
        int cancelled;            /* Condition.wait (before 3.13): a cancellation was seen */
        struct TsNode *node;      /* ThreadSafe*.wait: this waiter's node (tswait.c) */
    } u;
    int state;      /* step-specific state number */
    char status;    /* AW_FRESH, AW_ACTIVE, AW_DONE */
    char running;   /* a step is executing */
    char finalized; /* tp_finalize has run (the GC marked it) */
    char awaited;   /* am_await was called: an `await` expression drives it */
};

AL_STATIC_ASSERT(sizeof(((AlAwaitable *)0)->u) == sizeof(Py_ssize_t),
                 "aw_new zeroes the union through its Py_ssize_t member");

extern PyType_Spec al_awaitable_spec;

/* aw_new() when the freelist cannot serve: allocate. New reference or NULL. */
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

/* Decide AlState.recycle_max from closing and tracemalloc's state now. */
static inline void
aw_set_recycling(AlState *st)
{
    st->recycle_max = st->closing || al_tracemalloc_tracing() ? 0 : AL_FREELIST_MAX;
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
    assert(aw->status == AW_DONE && aw->owner == NULL && aw->fut == NULL && aw->sub == NULL &&
           aw->arg == NULL && aw->err == NULL && Py_IS_TYPE(aw, st->Awaitable_Type));
    st->freelist = aw->next;
    st->numfree--;
    aw->next = NULL;
    /* Tell a PyRefTracer (3.13+) that the object lives again.
     * _Py_NewReference (cpython/object.h, 3.13-3.15) does only that and sets
     * the refcount to 1, as it is: cheaper than PyObject_Init, which also
     * takes a type reference that the entry holds already, and than the
     * public PyRefTracer_GetTracer route. The one private CPython call of
     * the module: see CONTRIBUTING.md, "Private CPython API". */
#if AL_PY313
    _Py_NewReference((PyObject *)aw);
#endif
    aw->step = step;
    aw->name = name;
    aw->owner = Py_NewRef(owner);
    aw->ret = ret;
    aw->u.word = 0;
    aw->state = 0;
    aw->status = AW_FRESH;
    aw->awaited = 0;
    return (PyObject *)aw;
}

/* Start awaiting awaitable `o` (stolen; NULL means an error is set): stores
 * its iterator in aw->sub. Returns AW_AWAIT_SUB, or AW_ERROR. */
AwStep aw_await(AlAwaitable *aw, PyObject *o);
/* Start awaiting the awaitable returned by calling obj.<name>(). Returns
 * AW_AWAIT_SUB or AW_ERROR. */
AwStep aw_await_method(AlAwaitable *aw, PyObject *obj, PyObject *name);

/* Step function shared by __aenter__ of subclasses and Barrier's: the
 * result of the sub-awaitable, replaced by aw->ret if that is non-NULL. */
AwStep aw_step_passthrough(AlAwaitable *aw, PyObject *value, PyObject **result);

/* The module's freelist: visit its entries (m_traverse) / free them and
 * stop recycling (m_clear). */
int aw_freelist_traverse(AlState *st, visitproc visit, void *arg);
void aw_freelist_clear(AlState *st);

#endif
