/* The thread-safe family's waiting protocol (tswait.c): the object layout
 * ThreadSafeFlag and ThreadSafeEvent share, its waiter nodes, the hand-off
 * of the flag and the wake-ups (see the comment at the top of tswait.c),
 * and the slots both types share. */
#ifndef ASYNCLOCKS_TSWAIT_H
#define ASYNCLOCKS_TSWAIT_H

#include "awaitable.h"

/* The object's mutex: PyMutex from 3.13, a PyThread lock before. Debug
 * builds also record that it is held (`held`, written only by its holder),
 * so that TS_ASSERT_HELD can check what the comments say. */
#if AL_PY313
#define TS_MUTEX_FIELD PyMutex mutex;
#define TS_MUTEX_LOCK(o) PyMutex_Lock(&(o)->mutex)
#define TS_MUTEX_UNLOCK(o) PyMutex_Unlock(&(o)->mutex)
#else
#define TS_MUTEX_FIELD PyThread_type_lock mutex;
#define TS_MUTEX_LOCK(o) (void)PyThread_acquire_lock((o)->mutex, WAIT_LOCK)
#define TS_MUTEX_UNLOCK(o) PyThread_release_lock((o)->mutex)
#endif
#ifdef NDEBUG
#define TS_HELD_FIELD
#define TS_LOCK(o) TS_MUTEX_LOCK(o)
#define TS_UNLOCK(o) TS_MUTEX_UNLOCK(o)
#define TS_ASSERT_HELD(o) ((void)0)
#else
#define TS_HELD_FIELD char held;
#define TS_LOCK(o)                                                                                 \
    do {                                                                                           \
        TS_MUTEX_LOCK(o);                                                                          \
        assert(!(o)->held);                                                                        \
        (o)->held = 1;                                                                             \
    } while (0)
#define TS_UNLOCK(o)                                                                               \
    do {                                                                                           \
        assert((o)->held);                                                                         \
        (o)->held = 0;                                                                             \
        TS_MUTEX_UNLOCK(o);                                                                        \
    } while (0)
#define TS_ASSERT_HELD(o) assert((o)->held)
#endif

/* Node states (under the mutex). */
enum { TS_LINKED, TS_HANDING, TS_GRANTED, TS_REVOKED };
/* What a waiter that finished while its node was HANDING left behind. */
enum { TS_PRESENT, TS_LEFT_CONSUMED, TS_LEFT_UNCONSUMED };

typedef struct TsNode {
    struct TsNode *prev;
    struct TsNode *next;
    PyObject *loop;          /* async waiter: its loop (strong); NULL for a thread */
    PyObject *fut;           /* async waiter: its future (strong); NULL for a thread */
    PyThread_type_lock sync; /* thread waiter: held; released to wake it */
    int state;
    int left;
} TsNode;

typedef struct {
    PyObject_HEAD
    AlState *st;
    PyObject *weakreflist;
    TS_MUTEX_FIELD
    TS_HELD_FIELD
    TsNode head;         /* sentinel of the circular list of linked nodes */
    Py_ssize_t nwaiters; /* linked nodes */
    char flag;
} TsObject;

/* The callback given to call_soon_threadsafe, _ts_wake(futs, value);
 * module.c makes it into st->ts_wake. */
extern PyMethodDef tsw_wake_def;

/* ThreadSafeFlag.set(): hand the flag to the longest-waiting task, or set
 * it when none waits. 0, or -1 with the first error a loop raised (the flag
 * was passed on all the same). */
int tsw_set_one(TsObject *self);
/* ThreadSafeEvent.set(): set the flag and wake every waiter. 0 or -1. */
int tsw_set_all(TsObject *self);

/* The two steps of wait() on aw->owner (a TsObject): take the flag
 * (consuming it when is_flag) or queue a waiter future of the running loop
 * (AW_AWAIT_FUT); then, resumed with value or an exception (value NULL),
 * leave the queue. Returns aw->ret on success. */
AwStep tsw_wait_begin(AlAwaitable *aw, int is_flag, PyObject **result);
AwStep tsw_wait_end(AlAwaitable *aw, int is_flag, PyObject *value, PyObject **result);

/* Block the calling thread (GIL released) until set() or until `secs`
 * seconds passed (secs < 0: no limit), running signal handlers when
 * interrupted as threading's locks do. 1 if woken by set(), 0 on timeout,
 * -1 if a signal handler raised. */
int tsw_block(TsObject *self, double secs);

/* Slots and methods both types share. */
PyObject *tsw_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
int tsw_init(PyObject *self, PyObject *args, PyObject *kwds);
int tsw_traverse(PyObject *op, visitproc visit, void *arg);
void tsw_dealloc(PyObject *op);
PyObject *tsw_repr(PyObject *op);
/* is_set() and clear(), with `qualname` for argument errors. */
PyObject *tsw_is_set(PyObject *op, const char *qualname, Py_ssize_t nargs, PyObject *kwnames);
PyObject *tsw_clear(PyObject *op, const char *qualname, Py_ssize_t nargs, PyObject *kwnames);
extern PyMemberDef tsw_members[];

/* 1 if the caller runs inside a task of `loop` (the running loop is `loop`
 * and asyncio.current_task() is not None): a waiter of that loop can be woken
 * directly. 0 otherwise, errors cleared. */
int tsw_in_loop_task(AlState *st, PyObject *loop);

#endif
