/* The waiting protocol of ThreadSafeFlag and ThreadSafeEvent (the types
 * are in tsflag.c and tsevent.c): set() from any thread, any loop or a
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
#include "tswait.h"

#include "args.h"
#include "exceptions.h"
#include "future.h"
#include "repr.h"
#include "state.h"

#include <math.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#endif

/* ------------------------------------------------------------------ */
/* Nodes and the list (the caller holds the mutex, except for new/free). */

/* New node for an async waiter (new references to loop and fut) or for a
 * thread (loop and fut NULL). NULL with MemoryError. */
static TsNode *
tsn_new(PyObject *loop, PyObject *fut)
{
    TsNode *n = PyMem_RawCalloc(1, sizeof(TsNode));
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
tsn_free(TsNode *n)
{
    Py_XDECREF(n->loop);
    Py_XDECREF(n->fut);
    if (n->sync != NULL) {
        PyThread_free_lock(n->sync);
    }
    PyMem_RawFree(n);
}

static void
tsn_link(TsObject *self, TsNode *n)
{
    TS_ASSERT_HELD(self);
    n->next = &self->head;
    n->prev = self->head.prev;
    self->head.prev->next = n;
    self->head.prev = n;
    n->state = TS_LINKED;
    self->nwaiters++;
}

static void
tsn_unlink(TsObject *self, TsNode *n)
{
    TS_ASSERT_HELD(self);
    assert(self->nwaiters > 0 && n != &self->head && n->prev != NULL && n->next != NULL);
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
tsw_wake_futs(AlState *st, PyObject *futs, PyObject *value)
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
tsw_wake_callback(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "_ts_wake() takes 2 arguments");
        return NULL;
    }
    if (tsw_wake_futs(PyModule_GetState(module), args[0], args[1]) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyMethodDef tsw_wake_def = {
    "_ts_wake",
    CMETH(tsw_wake_callback),
    METH_FASTCALL,
    PyDoc_STR("_ts_wake(futs, value)\n--\n\nWake-up callback of ThreadSafeFlag and "
              "ThreadSafeEvent, run by the waiters' loop."),
};

/* loop.call_soon_threadsafe(_ts_wake, futs, value). 1 if scheduled, 0 if
 * the loop refused with RuntimeError (closed; the error is cleared), -1 on
 * another error. */
static int
tsw_call_soon_threadsafe(AlState *st, PyObject *loop, PyObject *futs, PyObject *value)
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
int
tsw_in_loop_task(AlState *st, PyObject *loop)
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
 * directly when tsw_in_loop_task(), else through tsw_call_soon_threadsafe(). 1, 0 or -1
 * as tsw_call_soon_threadsafe(). */
static int
tsw_wake_loop(AlState *st, PyObject *loop, PyObject *futs, PyObject *value)
{
    if (tsw_in_loop_task(st, loop)) {
        return tsw_wake_futs(st, futs, value) < 0 ? -1 : 1;
    }
    return tsw_call_soon_threadsafe(st, loop, futs, value);
}

/* Keep the first error in *err (new reference), drop later ones. */
static void
tsw_keep_first_error(PyObject **err)
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
int
tsw_set_one(TsObject *self)
{
    AlState *st = self->st;
    PyObject *err = NULL;
    for (;;) {
        TS_LOCK(self);
        if (self->flag) {
            TS_UNLOCK(self);
            break;
        }
        TsNode *n = self->head.next;
        if (n == &self->head) {
            self->flag = 1;
            TS_UNLOCK(self);
            break;
        }
        tsn_unlink(self, n);
        n->state = TS_HANDING;
        PyObject *loop = n->loop, *fut = n->fut; /* stolen */
        n->loop = n->fut = NULL;
        TS_UNLOCK(self);
        int rc = tsw_wake_loop(st, loop, fut, Py_None);
        if (rc < 0) {
            tsw_keep_first_error(&err);
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
            tsn_free(n);
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
int
tsw_set_all(TsObject *self)
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
        TsNode *n = self->head.next;
        tsn_unlink(self, n);
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
                tsw_keep_first_error(&err);
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
        if (tsw_wake_loop(st, loop, futs, Py_True) < 0) {
            tsw_keep_first_error(&err);
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
AwStep
tsw_wait_begin(AlAwaitable *aw, int is_flag, PyObject **result)
{
    TsObject *self = (TsObject *)aw->owner;
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
    TsNode *n = tsn_new(loop, fut);
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
        tsn_link(self, n);
    }
    TS_UNLOCK(self);
    if (got) {
        tsn_free(n);
        Py_DECREF(fut);
        *result = Py_NewRef(aw->ret);
        return AW_RETURN;
    }
    Py_XSETREF(aw->fut, fut);
    aw->u.node = n;
    aw->state = 1;
    return AW_AWAIT_FUT;
}

/* Resumption of wait() with value, or with the exception set (value NULL):
 * leave the queue; a flag waiter granted the flag but not resuming passes
 * it on. */
AwStep
tsw_wait_end(AlAwaitable *aw, int is_flag, PyObject *value, PyObject **result)
{
    TsObject *self = (TsObject *)aw->owner;
    TsNode *n = aw->u.node;
    assert(n != NULL && aw->state == 1);
    int granted = 0, ours = 1;
    aw->u.node = NULL;
    TS_LOCK(self);
    switch (n->state) {
    case TS_LINKED:
        tsn_unlink(self, n); /* tsn_free() below drops its references */
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
        tsn_free(n);
    }
    if (value == NULL) {
        if (is_flag && granted) {
            PyObject *exc = al_fetch_exc();
            if (tsw_set_one(self) < 0) {
                PyErr_WriteUnraisable(aw->owner);
            }
            al_restore_exc(exc);
        }
        return AW_ERROR;
    }
    *result = Py_NewRef(aw->ret);
    return AW_RETURN;
}

/* ------------------------------------------------------------------ */
/* wait_sync() */

/* Monotonic time in seconds. */
static double
tsw_monotonic(void)
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
int
tsw_block(TsObject *self, double secs)
{
    TsNode *n = tsn_new(NULL, NULL);
    if (n == NULL) {
        return -1;
    }
    n->sync = PyThread_allocate_lock();
    if (n->sync == NULL) {
        tsn_free(n);
        PyErr_NoMemory();
        return -1;
    }
    (void)PyThread_acquire_lock(n->sync, NOWAIT_LOCK);
    TS_LOCK(self);
    if (self->flag) {
        TS_UNLOCK(self);
        tsn_free(n);
        return 1;
    }
    tsn_link(self, n);
    TS_UNLOCK(self);

    double deadline = secs >= 0 ? tsw_monotonic() + secs : 0.0;
    int failed = 0;
    for (;;) {
        PY_TIMEOUT_T us = -1;
        if (secs >= 0) {
            double left = deadline - tsw_monotonic();
            us = left > 0 ? (PY_TIMEOUT_T)ceil(left * 1e6) : 0;
        }
        PyLockStatus r;
        Py_BEGIN_ALLOW_THREADS
        r = PyThread_acquire_lock_timed(n->sync, us, 1);
        Py_END_ALLOW_THREADS
        if (r != PY_LOCK_INTR) {
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
        tsn_unlink(self, n);
    }
    TS_UNLOCK(self);
    tsn_free(n);
    return failed ? -1 : granted;
}

/* ------------------------------------------------------------------ */
/* Methods shared by both types. */

PyObject *
tsw_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    AlState *st = al_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    TsObject *self = (TsObject *)type->tp_alloc(type, 0);
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

int
tsw_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != NULL && PyDict_GET_SIZE(kwds) != 0)) {
        PyErr_Format(PyExc_TypeError, "%s() takes no arguments", al_short_name(Py_TYPE(self)));
        return -1;
    }
    return 0;
}

int
tsw_traverse(PyObject *op, visitproc visit, void *arg)
{
    TsObject *self = (TsObject *)op;
    Py_VISIT(Py_TYPE(op));
    /* The GC runs with every other thread stopped or outside Python: no
     * setter or waiter is between its lock and unlock. */
    for (TsNode *n = self->head.next; n != &self->head; n = n->next) {
        Py_VISIT(n->loop);
        Py_VISIT(n->fut);
    }
    return 0;
}

void
tsw_dealloc(PyObject *op)
{
    TsObject *self = (TsObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    /* Every waiter holds a reference to the object (an awaitable its owner,
     * wait_sync() its self): a node still linked belongs to an awaitable
     * that was cleared without finishing; nobody else will free it. */
    while (self->head.next != &self->head) {
        TsNode *n = self->head.next;
        tsn_unlink(self, n);
        tsn_free(n);
    }
#if !AL_PY313
    if (self->mutex != NULL) {
        PyThread_free_lock(self->mutex);
    }
#endif
    tp->tp_free(op);
    Py_DECREF(tp);
}

PyObject *
tsw_repr(PyObject *op)
{
    TsObject *self = (TsObject *)op;
    TS_LOCK(self);
    int flag = self->flag;
    Py_ssize_t n = self->nwaiters;
    TS_UNLOCK(self);
    const char *state = flag ? "set" : "unset";
    return al_repr(op, n ? PyUnicode_FromFormat("%s, waiters:%zd", state, n)
                         : PyUnicode_FromString(state));
}

PyObject *
tsw_is_set(PyObject *op, const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    TsObject *self = (TsObject *)op;
    if (al_no_args(qualname, nargs, kwnames) < 0) {
        return NULL;
    }
    TS_LOCK(self);
    int flag = self->flag;
    TS_UNLOCK(self);
    return PyBool_FromLong(flag);
}

PyObject *
tsw_clear(PyObject *op, const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    TsObject *self = (TsObject *)op;
    if (al_no_args(qualname, nargs, kwnames) < 0) {
        return NULL;
    }
    TS_LOCK(self);
    self->flag = 0;
    TS_UNLOCK(self);
    Py_RETURN_NONE;
}

/* __weakref__ support of both types. */
PyMemberDef tsw_members[] = {
    { "__weaklistoffset__", T_PYSSIZET, offsetof(TsObject, weakreflist), READONLY, NULL },
    { NULL, 0, 0, 0, NULL },
};
