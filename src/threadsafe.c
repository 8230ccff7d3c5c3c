/* ThreadSafeFlag and ThreadSafeEvent: set() from any thread, any loop or a
 * Python signal handler wakes asyncio tasks of any loop in any thread (and,
 * for the event, threads blocked in wait_sync()).
 *
 * State. Each object holds a flag and a FIFO list of waiter nodes. A node
 * is either an async waiter (strong references to its loop and to a future
 * made by that loop's create_future()) or a thread blocked in wait_sync()
 * (a PyThread lock it sleeps on). A node is allocated and freed by its
 * waiter, never by a setter, except in one case (see "Hand-off" below).
 * Only a linked node holds references (tp_traverse visits them): a setter
 * that unlinks a node takes its references away, so that a waiter whose
 * loop died (woken, never resumed) stays collectable.
 *
 * Locking. The flag, the list and every node's state are protected by a
 * mutex of the object (PyMutex on 3.13+, a PyThread lock before), not by
 * the GIL, so the design holds without a GIL. While the mutex is held the
 * code calls no Python code and allocates no Python object (no GC, no
 * finalizer, no signal handler can run there): it reads and writes the
 * state, moves references in and out of nodes (no decref), and releases a
 * sleeping thread's lock. Every Python call
 * (create_future, call_soon_threadsafe, set_result) and every decref that
 * could run a finalizer happens after the mutex is released: set() takes
 * what it must wake under the mutex, releases it, then wakes. In a GIL
 * build the mutex is never contended (its holder never releases the GIL),
 * so a signal handler that calls set() while the main thread is elsewhere
 * in this file cannot deadlock.
 *
 * Wake-ups. An async waiter is woken through
 * loop.call_soon_threadsafe(_ts_wake, fut, value) (one call per loop for
 * the futures of that loop), which wakes the loop's selector: this works
 * from another thread, from a signal handler that runs while the loop
 * sleeps in select() (PEP 475 would retry the select), and on uvloop. A
 * call that raises RuntimeError (the loop is closed) is ignored: the task
 * of a closed loop can never run again. Other errors are raised by set()
 * after every waiter was handled. One exception: when set() runs in the
 * thread that runs the waiter's loop, inside one of that loop's task steps
 * (asyncio.current_task() is a task), the loop is not asleep in its
 * selector and will run what call_soon() schedules before it polls again,
 * so _ts_wake's work is done directly: no self-pipe write, no extra loop
 * iteration. A signal handler that runs while the loop sleeps sees no
 * current task and takes the call_soon_threadsafe path.
 *
 * Hand-off (ThreadSafeFlag). set() unlinks the longest-waiting async node
 * and marks it HANDING, releases the mutex and calls the loop. Then, under
 * the mutex again, it marks the node GRANTED (the waiter owns the flag) or
 * REVOKED (the loop is closed: the flag goes to the next waiter, or stays
 * set). A waiter that finishes while its node is HANDING records whether it
 * consumed the flag and leaves the node to the setter, which passes the
 * flag on if it was not consumed. A GRANTED waiter that is cancelled (or
 * closed) before it resumed passes the flag on itself. So each set() wakes
 * exactly one waiter and no flag is lost. */
#include "threadsafe.h"

#include <math.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#endif

#if AL_PY313
#define TS_MUTEX_FIELD PyMutex mutex;
#define TS_LOCK(o) PyMutex_Lock(&(o)->mutex)
#define TS_UNLOCK(o) PyMutex_Unlock(&(o)->mutex)
#else
#define TS_MUTEX_FIELD PyThread_type_lock mutex;
#define TS_LOCK(o) (void)PyThread_acquire_lock((o)->mutex, WAIT_LOCK)
#define TS_UNLOCK(o) PyThread_release_lock((o)->mutex)
#endif

/* Node states (under the mutex). */
enum { TS_LINKED, TS_HANDING, TS_GRANTED, TS_REVOKED };
/* What a waiter that finished while its node was HANDING left behind. */
enum { TS_PRESENT, TS_LEFT_CONSUMED, TS_LEFT_UNCONSUMED };

typedef struct TSNode {
    struct TSNode *prev;
    struct TSNode *next;
    PyObject *loop;          /* async waiter: its loop (strong); NULL for a thread */
    PyObject *fut;           /* async waiter: its future (strong); NULL for a thread */
    PyThread_type_lock sync; /* thread waiter: held; released to wake it */
    int state;
    int left;
} TSNode;

typedef struct {
    PyObject_HEAD
    AlState *st;
    PyObject *weakreflist;
    TS_MUTEX_FIELD
    TSNode head;         /* sentinel of the circular list of linked nodes */
    Py_ssize_t nwaiters; /* linked nodes */
    char flag;
} TSObject;

/* ------------------------------------------------------------------ */
/* Nodes and the list (the caller holds the mutex, except for new/free). */

/* New node for an async waiter (new references to loop and fut) or for a
 * thread (loop and fut NULL). NULL with MemoryError. */
static TSNode *
node_new(PyObject *loop, PyObject *fut)
{
    TSNode *n = PyMem_RawCalloc(1, sizeof(TSNode));
    if (n == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    n->loop = Py_XNewRef(loop);
    n->fut = Py_XNewRef(fut);
    n->state = TS_LINKED;
    n->left = TS_PRESENT;
    return n;
}

/* Drop the node's references and free it. Mutex not held: the decrefs can
 * run arbitrary code. */
static void
node_free(TSNode *n)
{
    Py_XDECREF(n->loop);
    Py_XDECREF(n->fut);
    if (n->sync != NULL) {
        PyThread_free_lock(n->sync);
    }
    PyMem_RawFree(n);
}

static void
ts_link(TSObject *self, TSNode *n)
{
    n->next = &self->head;
    n->prev = self->head.prev;
    self->head.prev->next = n;
    self->head.prev = n;
    n->state = TS_LINKED;
    self->nwaiters++;
}

static void
ts_unlink(TSObject *self, TSNode *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = NULL;
    self->nwaiters--;
}

/* ------------------------------------------------------------------ */
/* Wake-ups. */

/* Give value to each of futs (one future or a tuple of futures) that is
 * still pending. 0, or -1 with the first error (the others are woken all
 * the same). */
static int
ts_wake_impl(AlState *st, PyObject *futs, PyObject *value)
{
    if (!PyTuple_CheckExact(futs)) {
        return al_fut_set_result_if_pending(st, futs, value) < 0 ? -1 : 0;
    }
    PyObject *err = NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(futs); i++) {
        if (al_fut_set_result_if_pending(st, PyTuple_GET_ITEM(futs, i), value) < 0) {
            PyObject *e = al_fetch_exc();
            if (err == NULL) {
                err = e;
            }
            else {
                Py_DECREF(e);
            }
        }
    }
    if (err != NULL) {
        al_restore_exc(err);
        return -1;
    }
    return 0;
}

/* _ts_wake(futs, value): the callback run by the waiters' loop. */
static PyObject *
ts_wake(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "_ts_wake() takes 2 arguments");
        return NULL;
    }
    if (ts_wake_impl(PyModule_GetState(module), args[0], args[1]) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef ts_wake_def = {
    "_ts_wake",
    CMETH(ts_wake),
    METH_FASTCALL,
    PyDoc_STR("_ts_wake(futs, value)\n--\n\nWake-up callback of ThreadSafeFlag and "
              "ThreadSafeEvent, run by the waiters' loop."),
};

/* loop.call_soon_threadsafe(_ts_wake, futs, value). 1 if scheduled, 0 if
 * the loop refused with RuntimeError (closed; the error is cleared), -1 on
 * another error. */
static int
ts_handoff(AlState *st, PyObject *loop, PyObject *futs, PyObject *value)
{
    PyObject *args[4] = { loop, st->ts_wake, futs, value };
    PyObject *r = PyObject_VectorcallMethod(st->str_call_soon_threadsafe, args,
                                            4 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (r != NULL) {
        Py_DECREF(r);
        return 1;
    }
    if (PyErr_ExceptionMatches(PyExc_RuntimeError)) {
        PyErr_Clear();
        return 0;
    }
    return -1;
}

/* 1 if the calling thread runs `loop` and is inside a step of one of its
 * tasks (so the loop is not asleep in its selector), else 0. Never fails:
 * an error means 0. */
static int
ts_in_loop_task(AlState *st, PyObject *loop)
{
    PyObject *running = PyObject_CallNoArgs(st->get_running_loop);
    if (running == NULL) {
        PyErr_Clear();
        return 0;
    }
    int same = running == loop;
    Py_DECREF(running);
    if (!same) {
        return 0;
    }
    PyObject *task = PyObject_CallOneArg(st->current_task, loop);
    if (task == NULL) {
        PyErr_Clear();
        return 0;
    }
    int in_task = task != Py_None;
    Py_DECREF(task);
    return in_task;
}

/* Wake the futures futs (one future or a tuple) of `loop` with value:
 * directly when ts_in_loop_task(), else through ts_handoff(). 1, 0 or -1
 * as ts_handoff(). */
static int
ts_wake_loop(AlState *st, PyObject *loop, PyObject *futs, PyObject *value)
{
    if (ts_in_loop_task(st, loop)) {
        return ts_wake_impl(st, futs, value) < 0 ? -1 : 1;
    }
    return ts_handoff(st, loop, futs, value);
}

/* Keep the first error in *err (new reference), drop later ones. */
static void
keep_first_error(PyObject **err)
{
    PyObject *e = al_fetch_exc();
    if (*err == NULL) {
        *err = e;
    }
    else {
        Py_XDECREF(e);
    }
}

/* The flag's set(): hand the flag to the longest-waiting task, or set it
 * when none waits. 0, or -1 with the first error a loop raised (the flag
 * was passed on all the same). A waiter whose loop refused the hand-off
 * (closed: RuntimeError; or any other error, which set() then raises) is
 * dropped from the queue: it can be woken only by its loop. */
static int
flag_release(TSObject *self)
{
    AlState *st = self->st;
    PyObject *err = NULL;
    for (;;) {
        TS_LOCK(self);
        if (self->flag) {
            TS_UNLOCK(self);
            break;
        }
        TSNode *n = self->head.next;
        if (n == &self->head) {
            self->flag = 1;
            TS_UNLOCK(self);
            break;
        }
        ts_unlink(self, n);
        n->state = TS_HANDING;
        PyObject *loop = n->loop, *fut = n->fut; /* stolen */
        n->loop = n->fut = NULL;
        TS_UNLOCK(self);
        int rc = ts_wake_loop(st, loop, fut, Py_None);
        if (rc < 0) {
            keep_first_error(&err);
        }
        Py_DECREF(loop);
        Py_DECREF(fut);
        TS_LOCK(self);
        int pass_on;
        int mine = n->left != TS_PRESENT;
        if (mine) {
            pass_on = n->left == TS_LEFT_UNCONSUMED;
        }
        else {
            n->state = rc > 0 ? TS_GRANTED : TS_REVOKED;
            pass_on = rc <= 0;
        }
        TS_UNLOCK(self);
        if (mine) {
            node_free(n);
        }
        if (!pass_on) {
            break;
        }
    }
    if (err != NULL) {
        al_restore_exc(err);
        return -1;
    }
    return 0;
}

/* The event's set(): set the flag and wake every waiter. 0 or -1. */
static int
event_release(TSObject *self)
{
    AlState *st = self->st;
    PyObject *stackbuf[16];
    PyObject **buf = stackbuf; /* pairs (loop, fut), new references */
    Py_ssize_t k = 0;

    TS_LOCK(self);
    if (self->flag) {
        TS_UNLOCK(self);
        return 0;
    }
    if (self->nwaiters > 8) {
        buf = PyMem_RawMalloc((size_t)self->nwaiters * 2 * sizeof(PyObject *));
        if (buf == NULL) {
            TS_UNLOCK(self);
            PyErr_NoMemory();
            return -1;
        }
    }
    self->flag = 1;
    while (self->head.next != &self->head) {
        TSNode *n = self->head.next;
        ts_unlink(self, n);
        n->state = TS_GRANTED;
        if (n->sync != NULL) {
            PyThread_release_lock(n->sync);
        }
        else {
            buf[2 * k] = n->loop; /* stolen: an unlinked node holds nothing */
            buf[2 * k + 1] = n->fut;
            n->loop = n->fut = NULL;
            k++;
        }
    }
    TS_UNLOCK(self);

    /* One call_soon_threadsafe per loop. */
    PyObject *err = NULL;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *loop = buf[2 * i];
        if (loop == NULL) {
            continue;
        }
        Py_ssize_t same = 1;
        for (Py_ssize_t j = i + 1; j < k; j++) {
            same += buf[2 * j] == loop;
        }
        PyObject *futs;
        if (same == 1) {
            futs = buf[2 * i + 1];
            buf[2 * i + 1] = NULL;
        }
        else {
            futs = PyTuple_New(same);
            if (futs == NULL) {
                keep_first_error(&err);
                continue; /* the references are dropped below */
            }
            Py_ssize_t m = 0;
            for (Py_ssize_t j = i; j < k; j++) {
                if (buf[2 * j] == loop) {
                    PyTuple_SET_ITEM(futs, m++, buf[2 * j + 1]);
                    buf[2 * j + 1] = NULL;
                    if (j > i) {
                        Py_CLEAR(buf[2 * j]);
                    }
                }
            }
        }
        if (ts_wake_loop(st, loop, futs, Py_True) < 0) {
            keep_first_error(&err);
        }
        Py_DECREF(futs);
        Py_CLEAR(buf[2 * i]);
    }
    for (Py_ssize_t i = 0; i < 2 * k; i++) {
        Py_XDECREF(buf[i]);
    }
    if (buf != stackbuf) {
        PyMem_RawFree(buf);
    }
    if (err != NULL) {
        al_restore_exc(err);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* await wait() */

/* First step of wait(): take the flag (consuming it when is_flag) or queue
 * a waiter future of the running loop. */
static AwStep
ts_wait_begin(AlAwaitable *aw, int is_flag, PyObject **result)
{
    TSObject *self = (TSObject *)aw->owner;
    AlState *st = aw->st;
    int got;
    TS_LOCK(self);
    got = self->flag;
    if (got && is_flag) {
        self->flag = 0;
    }
    TS_UNLOCK(self);
    if (got) {
        *result = Py_NewRef(aw->ret);
        return AW_RETURN;
    }
    PyObject *loop = PyObject_CallNoArgs(st->get_running_loop);
    if (loop == NULL) {
        return AW_ERROR;
    }
    if (loop == Py_None) {
        Py_DECREF(loop);
        PyErr_SetString(PyExc_RuntimeError, "no running event loop");
        return AW_ERROR;
    }
    PyObject *fut = PyObject_VectorcallMethod(st->str_create_future, &loop,
                                              1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (fut == NULL) {
        Py_DECREF(loop);
        return AW_ERROR;
    }
    TSNode *n = node_new(loop, fut);
    Py_DECREF(loop);
    if (n == NULL) {
        Py_DECREF(fut);
        return AW_ERROR;
    }
    TS_LOCK(self);
    got = self->flag; /* set while the future was made */
    if (got) {
        if (is_flag) {
            self->flag = 0;
        }
    }
    else {
        ts_link(self, n);
    }
    TS_UNLOCK(self);
    if (got) {
        node_free(n);
        Py_DECREF(fut);
        *result = Py_NewRef(aw->ret);
        return AW_RETURN;
    }
    Py_XSETREF(aw->fut, fut);
    aw->index = (Py_ssize_t)(intptr_t)n;
    aw->state = 1;
    return AW_YIELD;
}

/* Resumption of wait() with value, or with the exception set (value NULL):
 * leave the queue; a flag waiter granted the flag but not resuming passes
 * it on. */
static AwStep
ts_wait_end(AlAwaitable *aw, int is_flag, PyObject *value, PyObject **result)
{
    TSObject *self = (TSObject *)aw->owner;
    TSNode *n = (TSNode *)(intptr_t)aw->index;
    int granted = 0, ours = 1;
    aw->index = 0;
    TS_LOCK(self);
    switch (n->state) {
    case TS_LINKED:
        ts_unlink(self, n); /* node_free() below drops its references */
        break;
    case TS_GRANTED:
        granted = 1;
        break;
    case TS_HANDING:
        n->left = value != NULL ? TS_LEFT_CONSUMED : TS_LEFT_UNCONSUMED;
        ours = 0; /* the setter frees it and passes the flag on if needed */
        break;
    default:
        break;
    }
    TS_UNLOCK(self);
    if (ours) {
        node_free(n);
    }
    if (value == NULL) {
        if (is_flag && granted) {
            PyObject *exc = al_fetch_exc();
            if (flag_release(self) < 0) {
                PyErr_WriteUnraisable(aw->owner);
            }
            al_restore_exc(exc);
        }
        return AW_ERROR;
    }
    *result = Py_NewRef(aw->ret);
    return AW_RETURN;
}

static AwStep
flag_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    if (aw->state == 0) {
        return ts_wait_begin(aw, 1, result);
    }
    return ts_wait_end(aw, 1, value, result);
}

static AwStep
event_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    if (aw->state == 0) {
        return ts_wait_begin(aw, 0, result);
    }
    return ts_wait_end(aw, 0, value, result);
}

/* ------------------------------------------------------------------ */
/* wait_sync() */

/* Monotonic time in seconds. */
static double
ts_monotonic(void)
{
#ifdef _WIN32
    return (double)GetTickCount64() * 1e-3;
#else
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

/* Block the calling thread (GIL released) until set() or until `secs`
 * seconds passed (secs < 0: no limit), running signal handlers when
 * interrupted as threading's locks do. 1 if woken by set(), 0 on timeout,
 * -1 if a signal handler raised. */
static int
event_block(TSObject *self, double secs)
{
    TSNode *n = node_new(NULL, NULL);
    if (n == NULL) {
        return -1;
    }
    n->sync = PyThread_allocate_lock();
    if (n->sync == NULL) {
        node_free(n);
        PyErr_NoMemory();
        return -1;
    }
    (void)PyThread_acquire_lock(n->sync, NOWAIT_LOCK);
    TS_LOCK(self);
    if (self->flag) {
        TS_UNLOCK(self);
        node_free(n);
        return 1;
    }
    ts_link(self, n);
    TS_UNLOCK(self);

    double deadline = secs >= 0 ? ts_monotonic() + secs : 0.0;
    int failed = 0;
    for (;;) {
        PY_TIMEOUT_T us = -1;
        if (secs >= 0) {
            double left = deadline - ts_monotonic();
            us = left > 0 ? (PY_TIMEOUT_T)ceil(left * 1e6) : 0;
        }
        PyLockStatus r;
        Py_BEGIN_ALLOW_THREADS r = PyThread_acquire_lock_timed(n->sync, us, 1);
        Py_END_ALLOW_THREADS if (r != PY_LOCK_INTR)
        {
            break;
        }
        if (PyErr_CheckSignals() < 0) {
            failed = 1;
            break;
        }
    }
    TS_LOCK(self);
    int granted = n->state == TS_GRANTED;
    if (n->state == TS_LINKED) {
        ts_unlink(self, n);
    }
    TS_UNLOCK(self);
    node_free(n);
    return failed ? -1 : granted;
}

static PyObject *
event_wait_sync(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    TSObject *self = (TSObject *)op;
    PyObject *timeout;
    if (al_parse_one_arg("ThreadSafeEvent.wait_sync", "timeout", 0, args, nargs, kwnames,
                         &timeout) < 0) {
        return NULL;
    }
    int blocking = 1;
    double secs = -1.0;
    if (timeout != NULL && timeout != Py_None) {
        /* As threading.Condition.wait: a positive timeout blocks, others
         * poll. NaN is neither: it polls where threading tests
         * `timeout > 0`, and is rejected where it tests `timeout <= 0`
         * (3.14+; probed at import, see ts_probe_nan). */
        PyObject *zero = PyLong_FromLong(0);
        if (zero == NULL) {
            return NULL;
        }
        int nonpos = PyObject_RichCompareBool(timeout, zero, Py_LE);
        blocking = nonpos < 0 ? -1 : PyObject_RichCompareBool(timeout, zero, Py_GT);
        Py_DECREF(zero);
        if (blocking < 0) {
            return NULL;
        }
        if (!nonpos && !blocking && self->st->ts_nan_raises) {
            PyErr_SetString(PyExc_ValueError, "Invalid value NaN (not a number)");
            return NULL;
        }
        if (blocking) {
            secs = PyFloat_AsDouble(timeout);
            if (secs == -1.0 && PyErr_Occurred()) {
                return NULL;
            }
            if (!(secs * 1e6 < (double)PY_TIMEOUT_MAX)) {
                PyErr_SetString(PyExc_OverflowError, "timeout value is too large");
                return NULL;
            }
        }
    }
    if (blocking) {
        PyObject *loop = PyObject_CallNoArgs(self->st->get_running_loop);
        if (loop == NULL) {
            return NULL;
        }
        int running = loop != Py_None;
        Py_DECREF(loop);
        if (running) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s.wait_sync() would block the event loop running in this thread; "
                         "use 'await ev.wait()' in a coroutine (or wait_sync(timeout=0) to poll)",
                         al_short_name(Py_TYPE(op)));
            return NULL;
        }
    }
    TS_LOCK(self);
    int flag = self->flag;
    TS_UNLOCK(self);
    if (flag || !blocking) {
        return PyBool_FromLong(flag);
    }
    int r = event_block(self, secs);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

/* ------------------------------------------------------------------ */
/* Methods shared by both types. */

static PyObject *
ts_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    AlState *st = al_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    TSObject *self = (TSObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->st = st;
    self->weakreflist = NULL;
    self->head.next = self->head.prev = &self->head;
    self->nwaiters = 0;
    self->flag = 0;
#if !AL_PY313
    self->mutex = PyThread_allocate_lock();
    if (self->mutex == NULL) {
        Py_DECREF(self);
        PyErr_NoMemory();
        return NULL;
    }
#endif
    return (PyObject *)self;
}

static int
ts_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != NULL && PyDict_GET_SIZE(kwds) != 0)) {
        PyErr_Format(PyExc_TypeError, "%s() takes no arguments", al_short_name(Py_TYPE(self)));
        return -1;
    }
    return 0;
}

static int
ts_traverse(PyObject *op, visitproc visit, void *arg)
{
    TSObject *self = (TSObject *)op;
    Py_VISIT(Py_TYPE(op));
    /* The GC runs with every other thread stopped or outside Python: no
     * setter or waiter is between its lock and unlock. */
    for (TSNode *n = self->head.next; n != &self->head; n = n->next) {
        Py_VISIT(n->loop);
        Py_VISIT(n->fut);
    }
    return 0;
}

static void
ts_dealloc(PyObject *op)
{
    TSObject *self = (TSObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    /* Every waiter holds a reference to the object (an awaitable its owner,
     * wait_sync() its self): a node still linked belongs to an awaitable
     * that was cleared without finishing; nobody else will free it. */
    while (self->head.next != &self->head) {
        TSNode *n = self->head.next;
        ts_unlink(self, n);
        node_free(n);
    }
#if !AL_PY313
    if (self->mutex != NULL) {
        PyThread_free_lock(self->mutex);
    }
#endif
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *
ts_repr(PyObject *op)
{
    TSObject *self = (TSObject *)op;
    TS_LOCK(self);
    int flag = self->flag;
    Py_ssize_t n = self->nwaiters;
    TS_UNLOCK(self);
    const char *state = flag ? "set" : "unset";
    return al_repr(op, n ? PyUnicode_FromFormat("%s, waiters:%zd", state, n)
                         : PyUnicode_FromString(state));
}

static PyObject *
ts_is_set(PyObject *op, const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    TSObject *self = (TSObject *)op;
    if (al_no_args(qualname, nargs, kwnames) < 0) {
        return NULL;
    }
    TS_LOCK(self);
    int flag = self->flag;
    TS_UNLOCK(self);
    return PyBool_FromLong(flag);
}

static PyObject *
ts_clear(PyObject *op, const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    TSObject *self = (TSObject *)op;
    if (al_no_args(qualname, nargs, kwnames) < 0) {
        return NULL;
    }
    TS_LOCK(self);
    self->flag = 0;
    TS_UNLOCK(self);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* ThreadSafeFlag */

static PyObject *
flag_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeFlag.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(((TSObject *)self)->st, self, flag_wait_step, "ThreadSafeFlag.wait", Py_None);
}

static PyObject *
flag_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeFlag.set", nargs, kwnames) < 0) {
        return NULL;
    }
    if (flag_release((TSObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
flag_clear(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return ts_clear(self, "ThreadSafeFlag.clear", nargs, kwnames);
}

static PyObject *
flag_is_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return ts_is_set(self, "ThreadSafeFlag.is_set", nargs, kwnames);
}

static PyMethodDef flag_methods[] = {
    { "wait", CMETH(flag_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nWait until the flag is set, then clear it (a coroutine); "
                "return None.") },
    { "set", CMETH(flag_set), METH_CM,
      PyDoc_STR("set($self)\n--\n\nRelease the longest-waiting task, or set the flag when none "
                "waits. Callable from any thread and from signal handlers.") },
    { "clear", CMETH(flag_clear), METH_CM, PyDoc_STR("clear($self)\n--\n\nReset the flag.") },
    { "is_set", CMETH(flag_is_set), METH_CM,
      PyDoc_STR("is_set($self)\n--\n\nReturn True if the flag is set.") },
    { NULL, NULL, 0, NULL },
};

/* ------------------------------------------------------------------ */
/* ThreadSafeEvent */

static PyObject *
tsevent_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeEvent.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(((TSObject *)self)->st, self, event_wait_step, "ThreadSafeEvent.wait", Py_True);
}

static PyObject *
tsevent_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeEvent.set", nargs, kwnames) < 0) {
        return NULL;
    }
    if (event_release((TSObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
tsevent_clear(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return ts_clear(self, "ThreadSafeEvent.clear", nargs, kwnames);
}

static PyObject *
tsevent_is_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs,
               PyObject *kwnames)
{
    return ts_is_set(self, "ThreadSafeEvent.is_set", nargs, kwnames);
}

static PyMethodDef tsevent_methods[] = {
    { "wait", CMETH(tsevent_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nWait until the flag is set (a coroutine); return True.") },
    { "wait_sync", CMETH(event_wait_sync), METH_CM,
      PyDoc_STR(
        "wait_sync($self, timeout=None)\n--\n\nBlock the calling thread until the flag is set "
        "or the timeout (seconds) passes; return the flag, as threading.Event.wait.") },
    { "set", CMETH(tsevent_set), METH_CM,
      PyDoc_STR("set($self)\n--\n\nSet the flag and wake every waiting task and thread. Callable "
                "from any thread and from signal handlers.") },
    { "clear", CMETH(tsevent_clear), METH_CM, PyDoc_STR("clear($self)\n--\n\nReset the flag.") },
    { "is_set", CMETH(tsevent_is_set), METH_CM,
      PyDoc_STR("is_set($self)\n--\n\nReturn True if the flag is set.") },
    { NULL, NULL, 0, NULL },
};

/* ------------------------------------------------------------------ */
/* Types. */

static PyMemberDef ts_members[] = {
    { "__weaklistoffset__", T_PYSSIZET, offsetof(TSObject, weakreflist), READONLY, NULL },
    { NULL, 0, 0, 0, NULL },
};

static PyType_Slot flag_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR(
                   "ThreadSafeFlag()\n--\n\nA flag that threads and signal handlers set and "
                   "asyncio tasks of any loop wait for.\n\nEach set() releases one waiting task "
                   "(the longest-waiting); with no waiter the flag stays set until a wait() "
                   "takes it.") },
    { Py_tp_new, ts_new },
    { Py_tp_init, ts_init },
    { Py_tp_dealloc, ts_dealloc },
    { Py_tp_traverse, ts_traverse },
    { Py_tp_repr, ts_repr },
    { Py_tp_methods, flag_methods },
    { Py_tp_members, ts_members },
    { 0, NULL },
};

static PyType_Slot tsevent_slots[] = {
    { Py_tp_doc,
      (void *)PyDoc_STR("ThreadSafeEvent()\n--\n\nAn event that threads and signal handlers set, "
                        "waking asyncio tasks of any loop (await wait()) and threads "
                        "(wait_sync()).") },
    { Py_tp_new, ts_new },
    { Py_tp_init, ts_init },
    { Py_tp_dealloc, ts_dealloc },
    { Py_tp_traverse, ts_traverse },
    { Py_tp_repr, ts_repr },
    { Py_tp_methods, tsevent_methods },
    { Py_tp_members, ts_members },
    { 0, NULL },
};

static PyType_Spec flag_spec = {
    .name = "asynclocks._core.ThreadSafeFlag",
    .basicsize = sizeof(TSObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = flag_slots,
};

static PyType_Spec tsevent_spec = {
    .name = "asynclocks._core.ThreadSafeEvent",
    .basicsize = sizeof(TSObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = tsevent_slots,
};

/* Create a type from spec, store it in *slot and add it to module. */
static int
add_ts_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot)
{
    PyObject *tp = PyType_FromModuleAndSpec(module, spec, NULL);
    if (tp == NULL) {
        return -1;
    }
    *slot = (PyTypeObject *)tp;
    return PyModule_AddObjectRef(module, al_short_name((PyTypeObject *)tp), tp);
}

/* Whether threading.Event().wait(nan) raises ValueError (it returns False
 * where threading.Condition.wait tests `timeout > 0`). 0 or -1. */
static int
ts_probe_nan(AlState *st)
{
    PyObject *threading = PyImport_ImportModule("threading");
    if (threading == NULL) {
        return -1;
    }
    PyObject *ev = PyObject_CallMethod(threading, "Event", NULL);
    Py_DECREF(threading);
    if (ev == NULL) {
        return -1;
    }
    PyObject *r = PyObject_CallMethod(ev, "wait", "d", Py_NAN);
    Py_DECREF(ev);
    if (r != NULL) {
        Py_DECREF(r);
        st->ts_nan_raises = 0;
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
        return -1;
    }
    PyErr_Clear();
    st->ts_nan_raises = 1;
    return 0;
}

int
al_threadsafe_exec(PyObject *module, AlState *st)
{
    if (ts_probe_nan(st) < 0) {
        return -1;
    }
    PyObject *asyncio = PyImport_ImportModule("asyncio");
    if (asyncio == NULL) {
        return -1;
    }
    st->current_task = PyObject_GetAttrString(asyncio, "current_task");
    Py_DECREF(asyncio);
    if (st->current_task == NULL) {
        return -1;
    }
    st->str_call_soon_threadsafe = PyUnicode_InternFromString("call_soon_threadsafe");
    if (st->str_call_soon_threadsafe == NULL) {
        return -1;
    }
    PyObject *modname = PyModule_GetNameObject(module);
    if (modname == NULL) {
        return -1;
    }
    st->ts_wake = PyCFunction_NewEx(&ts_wake_def, module, modname);
    Py_DECREF(modname);
    if (st->ts_wake == NULL) {
        return -1;
    }
    if (add_ts_type(module, &flag_spec, &st->ThreadSafeFlag_Type) < 0 ||
        add_ts_type(module, &tsevent_spec, &st->ThreadSafeEvent_Type) < 0) {
        return -1;
    }
    return 0;
}
