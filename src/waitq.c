/* The waiter queue: a growable ring of strong references to futures, which
 * also keeps the loop its owner is bound to. */
#include "asynclocks.h"

/* ------------------------------------------------------------------ */
/* Waiter queue. */

int
wq_reserve(WaitQ **qp)
{
    if (*qp != NULL) {
        return 0;
    }
    WaitQ *q = PyMem_Malloc(sizeof(WaitQ) + 3 * sizeof(PyObject *));
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    q->loop = NULL;
    q->head = 0;
    q->len = 0;
    q->cap = 4;
    *qp = q;
    return 0;
}

int
wq_append(WaitQ **qp, PyObject *fut)
{
    if (wq_reserve(qp) < 0) {
        return -1;
    }
    WaitQ *q = *qp;
    if (q->len == q->cap) {
        Py_ssize_t cap = q->cap * 2;
        if (cap > (PY_SSIZE_T_MAX - (Py_ssize_t)sizeof(WaitQ)) / (Py_ssize_t)sizeof(PyObject *)) {
            PyErr_NoMemory();
            return -1;
        }
        WaitQ *n = PyMem_Malloc(sizeof(WaitQ) + (size_t)(cap - 1) * sizeof(PyObject *));
        if (n == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        n->loop = q->loop;
        n->head = 0;
        n->cap = cap;
        for (Py_ssize_t i = 0; i < q->len; i++) {
            n->items[i] = wq_get(q, i);
        }
        n->len = q->len;
        PyMem_Free(q);
        *qp = q = n;
    }
    q->items[(q->head + q->len) % q->cap] = Py_NewRef(fut);
    q->len++;
    return 0;
}

int
wq_remove(WaitQ *q, PyObject *fut)
{
    if (q == NULL) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < q->len; i++) {
        if (wq_get(q, i) != fut) {
            continue;
        }
        if (i == 0) {
            q->head = (q->head + 1) % q->cap;
        }
        else {
            for (Py_ssize_t j = i; j + 1 < q->len; j++) {
                q->items[(q->head + j) % q->cap] = q->items[(q->head + j + 1) % q->cap];
            }
        }
        q->len--;
        if (q->len == 0) {
            q->head = 0;
        }
        Py_DECREF(fut);
        return 1;
    }
    return 0;
}

void
wq_clear(WaitQ **qp)
{
    WaitQ *q = *qp;
    if (q == NULL) {
        return;
    }
    *qp = NULL;
    for (Py_ssize_t i = 0; i < q->len; i++) {
        Py_DECREF(wq_get(q, i));
    }
    Py_XDECREF(q->loop);
    PyMem_Free(q);
}

int
wq_traverse(WaitQ *q, visitproc visit, void *arg)
{
    if (q == NULL) {
        return 0;
    }
    Py_VISIT(q->loop);
    for (Py_ssize_t i = 0; i < q->len; i++) {
        Py_VISIT(wq_get(q, i));
    }
    return 0;
}
