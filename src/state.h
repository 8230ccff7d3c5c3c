/* The module state (PEP 573/630): one AlState per module object, grouped by
 * where each field comes from, as CPython's _asynciomodule.c groups its
 * asyncio_state. module.c fills it in three steps (interned strings; stdlib
 * imports and the probe; our types) and walks the object fields through the
 * lists below to traverse and clear them. */
#ifndef ASYNCLOCKS_STATE_H
#define ASYNCLOCKS_STATE_H

#include "compat.h"
#include "queue_cache.h"

typedef struct AlAwaitable AlAwaitable;

/* Object fields, one list per origin: X(type, name). The struct declares
 * them from these lists and module.c traverses and clears every entry, so a
 * field added to a list is never forgotten there. */

/* Our types, created by module.c. */
#define AL_STATE_TYPES(X)                                                                          \
    X(PyTypeObject *, Lock_Type)                                                                   \
    X(PyTypeObject *, Event_Type)                                                                  \
    X(PyTypeObject *, Condition_Type)                                                              \
    X(PyTypeObject *, Semaphore_Type)                                                              \
    X(PyTypeObject *, BoundedSemaphore_Type)                                                       \
    X(PyTypeObject *, Barrier_Type) /* NULL before 3.11 */                                         \
    X(PyTypeObject *, ThreadSafeFlag_Type)                                                         \
    X(PyTypeObject *, ThreadSafeEvent_Type)                                                        \
    X(PyTypeObject *, Awaitable_Type)                                                              \
    X(PyObject *, CoroMethod_Type)                                                                 \
    X(PyTypeObject *, Queue_Type)                                                                  \
    X(PyTypeObject *, LifoQueue_Type)                                                              \
    X(PyTypeObject *, PriorityQueue_Type)                                                          \
    X(PyTypeObject *, TsqNode_Type)                                                                \
    X(PyTypeObject *, TsQueue_Type)                                                                \
    X(PyTypeObject *, TsLifoQueue_Type)                                                            \
    X(PyTypeObject *, TsPriorityQueue_Type)                                                        \
    X(PyTypeObject *, TsqSync_Type)                                                                \
    X(PyTypeObject *, TsqAsync_Type)

/* Objects imported from the stdlib. asyncio's C Future type and its
 * done/cancelled/set_result methods are called directly (no method lookup)
 * on futures of exactly that type whose instance __dict__ is absent or does
 * not shadow the name; they are NULL unless the type is immutable and keeps
 * its __dict__ at a fixed offset (fut_dictoffset > 0, 3.10-3.12) or in the
 * interpreter's managed slot (fut_dictoffset -1, 3.13+: any instance
 * attribute means lookup). */
#define AL_STATE_STDLIB(X)                                                                         \
    X(PyObject *, get_running_loop)   /* asyncio.events._get_running_loop */                       \
    X(PyObject *, current_task)       /* asyncio.current_task */                                   \
    X(PyObject *, CancelledError)     /* asyncio.exceptions */                                     \
    X(PyObject *, InvalidStateError)  /* asyncio.exceptions */                                     \
    X(PyObject *, BrokenBarrierError) /* asyncio.exceptions; NULL before 3.11 */                   \
    X(PyObject *, deque_type)         /* collections.deque */                                      \
    X(PyObject *, CFuture_Type)       /* _asyncio.Future, or NULL (see above) */                   \
    X(PyObject *, fut_done)                                                                        \
    X(PyObject *, fut_cancelled)                                                                   \
    X(PyObject *, fut_set_result)                                                                  \
    X(PyObject *, QueueEmpty) /* asyncio.queues (the queues raise asyncio's own) */                \
    X(PyObject *, QueueFull)                                                                       \
    X(PyObject *, QueueShutDown) /* NULL before 3.13: no shutdown() in the stdlib */               \
    X(PyObject *, deque_append)  /* collections.deque.append (a method descriptor) */              \
    X(PyObject *, deque_popleft) /* collections.deque.popleft */                                   \
    X(PyObject *, list_pop)      /* list.pop */                                                    \
    X(PyObject *, heappush)      /* heapq.heappush, as PriorityQueue._put binds it */              \
    X(PyObject *, heappop)       /* heapq.heappop */                                               \
    X(PyObject *, newobj)        /* copyreg.__newobj__ (pickling the queues) */

/* What the running interpreter and stdlib do, decided at import time by
 * running them (asynclocks._probe), not from a table of versions. */
#define AL_STATE_PROBE(X)                                                                          \
    X(PyObject *, barrier_msg) /* str: what asyncio's Barrier(0) says; NULL before 3.11 */         \
    X(PyObject *, await_fmt)   /* callable: fmt(template, t0, tp_name0, t1, tp_name1) -> str */

/* Objects this module makes for itself. */
#define AL_STATE_OWN(X)                                                                            \
    X(PyObject *, stop_true)     /* the shared StopIteration(True) (awaitable.c) */                \
    X(PyObject *, stop_value)    /* the shared StopIteration(value) (awaitable.c) */               \
    X(PyObject *, ts_wake)       /* the thread-safe family's wake-up callback (tswait.c) */        \
    X(PyObject *, zero)          /* the int 0 (queue.c's comparisons) */                           \
    X(PyObject *, queue_methods) /* tuple holding AlQueueCache's meth_* (queue.c) */               \
    X(PyObject *, empty_dict)  /* 3.11: the __dict__ new primitives share (waitbase.c); or NULL */ \
    X(PyObject *, tsq_deliver) /* the thread-safe queues' wake-up callback (tsqueue.c) */          \
    X(PyObject *, tsq_Empty)   /* queue.Empty (tsqueue.c's own) */                                 \
    X(PyObject *, tsq_Full)    /* queue.Full */                                                    \
    X(PyObject *, tsq_ShutDown)      /* asynclocks.SyncQueueShutDown */                            \
    X(PyObject *, tsq_QueueEmpty)    /* asyncio.QueueEmpty */                                      \
    X(PyObject *, tsq_QueueFull)     /* asyncio.QueueFull */                                       \
    X(PyObject *, tsq_QueueShutDown) /* asynclocks.AsyncQueueShutDown */

/* Interned strings: the field str_<name> holds the str "<name>". */
#define AL_STATE_STRINGS(X)                                                                        \
    X(create_future)                                                                               \
    X(done)                                                                                        \
    X(cancelled)                                                                                   \
    X(set_result)                                                                                  \
    X(acquire)                                                                                     \
    X(release)                                                                                     \
    X(locked)                                                                                      \
    X(wait)                                                                                        \
    X(notify)                                                                                      \
    X(throw)                                                                                       \
    X(close)                                                                                       \
    X(append)                                                                                      \
    X(source)                                                                                      \
    X(remove)                                                                                      \
    X(call_soon_threadsafe)                                                                        \
    X(cancel)                                                                                      \
    X(popleft)                                                                                     \
    X(pop)                                                                                         \
    X(clear)                                                                                       \
    X(set)                                                                                         \
    X(full)                                                                                        \
    X(empty)                                                                                       \
    X(qsize)                                                                                       \
    X(put_nowait)                                                                                  \
    X(get_nowait)                                                                                  \
    X(_init)                                                                                       \
    X(_put)                                                                                        \
    X(_get)                                                                                        \
    X(_wakeup_next)                                                                                \
    X(_qsize)

/* Indexes of AlState.await_msg: `await x` where x is not awaitable, where
 * x.__await__() returned a non-iterator, and where it returned a coroutine. */
enum { AL_AWMSG_NOT_AWAITABLE = 0, AL_AWMSG_NON_ITERATOR = 1, AL_AWMSG_COROUTINE = 2, AL_AWMSG_N };

/* Most finished awaitables kept for reuse. */
#define AL_FREELIST_MAX 64

#define AL_STATE_FIELD(type, name) type name;
#define AL_STATE_STRING_FIELD(name) PyObject *str_##name;

typedef struct AlState {
    /* Our types. */
    AL_STATE_TYPES(AL_STATE_FIELD)

    /* Imported from the stdlib. */
    AL_STATE_STDLIB(AL_STATE_FIELD)
    Py_ssize_t fut_dictoffset; /* see AL_STATE_STDLIB */

    /* What the probe decided. */
    AL_STATE_PROBE(AL_STATE_FIELD)
    PyObject *await_msg[AL_AWMSG_N]; /* templates of the `await x` TypeErrors, or NULL */
    char throw_done_first;           /* throw() into a finished coroutine: "cannot reuse" first */
    char throw_running_first;        /* throw() into a running one: "already executing" first */
    char ts_nan_raises;              /* threading.Event().wait(nan) raises ValueError (3.14+) */

    /* Made by this module. */
    AL_STATE_OWN(AL_STATE_FIELD)

    /* Interned strings. */
    AL_STATE_STRINGS(AL_STATE_STRING_FIELD)

    /* The awaitable freelist (awaitable.c). Recycled awaitables: finished,
     * still GC-tracked, each holding a reference to Awaitable_Type and owned
     * (refcount 1) by this list, linked through `next`. Taking one costs no
     * allocation, no PyObject_Init and no GC (un)tracking. m_traverse visits
     * them, m_clear frees them. */
    AlAwaitable *freelist;
    int numfree;
    int closing; /* m_clear has run: free awaitables instead of recycling them */
    /* How many finished awaitables the freelist may hold (aw_dealloc's one
     * check): AL_FREELIST_MAX, or 0 once closing or when tracemalloc was
     * tracing at import or when the freelist last ran empty (finished
     * awaitables are then freed, so that each one's traceback is where it
     * was created). Set by aw_set_recycling. */
    int recycle_max;

    /* queue.c's lookups, made when its types are (borrowed pointers). */
    AlQueueCache qcache;
} AlState;

#undef AL_STATE_FIELD
#undef AL_STATE_STRING_FIELD

extern struct PyModuleDef al_module_def;

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

/* Intern every AL_STATE_STRINGS entry into st. 0 or -1. */
int al_state_intern_strings(AlState *st);
/* Visit / clear every object field of st (the freelist is awaitable.c's). */
int al_state_traverse(AlState *st, visitproc visit, void *arg);
void al_state_clear(AlState *st);

#endif
