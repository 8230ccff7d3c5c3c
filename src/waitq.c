/* The waiter queue: a collections.deque of the waiting futures (the
 * stdlib's `_waiters`), and the loop its owner is bound to. */
#include "asynclocks.h"

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
