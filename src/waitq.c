/* The waiter queue: a collections.deque of the waiting futures (the
 * stdlib's `_waiters`), the loop its owner is bound to, and the waiter
 * futures themselves, made by that loop's create_future(). */
#include "waitq.h"

#include "exceptions.h"
#include "future.h"

PyObject *
wq_item(WaitQ *q, Py_ssize_t i)
{
    if (q == NULL || q->deque == NULL) {
        PyErr_SetString(PyExc_IndexError, "deque index out of range");
        return NULL;
    }
    return PySequence_GetItem(q->deque, i);
}

PyObject *
wq_iter(WaitQ *q)
{
    if (q == NULL || q->deque == NULL) {
        return NULL;
    }
    return PyObject_GetIter(q->deque);
}

int
wq_reserve(AlState *st, WaitQ **qp)
{
    if (*qp != NULL) {
        return 0;
    }
    WaitQ *q = PyMem_Malloc(sizeof(WaitQ));
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    q->deque = NULL;
    q->loop = NULL;
    q->st = st;
    *qp = q;
    return 0;
}

int
wq_ensure_deque(AlState *st, WaitQ **qp)
{
    if (wq_reserve(st, qp) < 0) {
        return -1;
    }
    if ((*qp)->deque == NULL) {
        PyObject *d = PyObject_CallNoArgs(st->deque_type);
        if (d == NULL) {
            return -1;
        }
        /* Beware: creating the deque cannot run code that clears *qp. */
        (*qp)->deque = d;
    }
    return 0;
}

int
wq_append(WaitQ **qp, PyObject *fut)
{
    assert(*qp != NULL && fut != NULL); /* reserved by the caller */
    AlState *st = (*qp)->st;
    if (wq_ensure_deque(st, qp) < 0) {
        return -1;
    }
    PyObject *d = Py_NewRef((*qp)->deque);
    PyObject *args[2] = { d, fut };
    PyObject *r =
      PyObject_VectorcallMethod(st->str_append, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(d);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

int
wq_remove(WaitQ *q, PyObject *fut)
{
    if (q == NULL || q->deque == NULL) {
        return 0;
    }
    /* Called from a step resumed with an exception: keep it. */
    PyObject *exc = PyErr_Occurred() ? al_fetch_exc() : NULL;
    PyObject *d = Py_NewRef(q->deque);
    PyObject *args[2] = { d, fut };
    PyObject *r =
      PyObject_VectorcallMethod(q->st->str_remove, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(d);
    int found = r != NULL;
    if (r != NULL) {
        Py_DECREF(r);
    }
    else if (PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
    }
    else {
        PyErr_WriteUnraisable(fut);
    }
    al_restore_exc(exc);
    return found;
}

void
wq_clear(WaitQ **qp)
{
    WaitQ *q = *qp;
    if (q == NULL) {
        return;
    }
    *qp = NULL;
    Py_XDECREF(q->deque);
    Py_XDECREF(q->loop);
    PyMem_Free(q);
}

int
wq_traverse(WaitQ *q, visitproc visit, void *arg)
{
    if (q == NULL) {
        return 0;
    }
    Py_VISIT(q->deque);
    Py_VISIT(q->loop);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Loop binding and waiters. */

/* The running loop, bound to the owner as _LoopBoundMixin._get_loop does:
 * new reference (None when no loop runs and none is bound), or NULL. */
static PyObject *
wq_bind_loop(AlState *st, PyObject *owner, WaitQ **qp)
{
    if (wq_reserve(st, qp) < 0) {
        return NULL;
    }
    PyObject *loop = PyObject_CallNoArgs(st->get_running_loop);
    if (loop == NULL) {
        return NULL;
    }
    /* Beware: *qp cannot have been cleared by the call above (no Python
     * code can reach the owner's queue from _get_running_loop). */
    assert(*qp != NULL);
    PyObject **loop_slot = &(*qp)->loop;
    if (*loop_slot == NULL && loop != Py_None) {
        *loop_slot = Py_NewRef(loop);
    }
    if (loop != (*loop_slot ? *loop_slot : Py_None)) {
        Py_DECREF(loop);
        PyObject *r = PyObject_Repr(owner);
        if (r != NULL) {
            PyErr_Format(PyExc_RuntimeError, "%U is bound to a different event loop", r);
            Py_DECREF(r);
        }
        return NULL;
    }
    return loop;
}

PyObject *
wq_new_future(AlState *st, PyObject *owner, WaitQ **qp)
{
    PyObject *loop = wq_bind_loop(st, owner, qp);
    if (loop == NULL) {
        return NULL;
    }
    PyObject *fut = PyObject_VectorcallMethod(st->str_create_future, &loop,
                                              1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(loop);
    return fut;
}

PyObject *
wq_new_waiter(AlState *st, PyObject *owner, WaitQ **qp)
{
    PyObject *fut = wq_new_future(st, owner, qp);
    if (fut == NULL) {
        return NULL;
    }
    if (wq_append(qp, fut) < 0) {
        Py_DECREF(fut);
        return NULL;
    }
    return fut;
}

int
wq_all_cancelled(AlState *st, WaitQ *q)
{
    /* Beware: cancelled() of a foreign future can run Python code that
     * changes the queue; re-read it on each step. */
    for (Py_ssize_t i = 0; i < wq_len(q); i++) {
        PyObject *fut = wq_item(q, i);
        if (fut == NULL) {
            return -1;
        }
        int c = al_fut_cancelled(st, fut);
        Py_DECREF(fut);
        if (c <= 0) {
            return c;
        }
    }
    return 1;
}
