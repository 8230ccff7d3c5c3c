/* Loop binding, as asyncio.mixins._LoopBoundMixin. */
#include "asynclocks.h"

/* ------------------------------------------------------------------ */
/* Loop and futures. */

PyObject *
al_get_loop(AlState *st, PyObject *self, WaitQ **qp)
{
    if (wq_reserve(st, qp) < 0) {
        return NULL;
    }
    PyObject *loop = PyObject_CallNoArgs(st->get_running_loop);
    if (loop == NULL) {
        return NULL;
    }
    PyObject **loop_slot = &(*qp)->loop;
    if (*loop_slot == NULL && loop != Py_None) {
        *loop_slot = Py_NewRef(loop);
    }
    if (loop != (*loop_slot ? *loop_slot : Py_None)) {
        Py_DECREF(loop);
        PyObject *r = PyObject_Repr(self);
        if (r != NULL) {
            PyErr_Format(PyExc_RuntimeError, "%U is bound to a different event loop", r);
            Py_DECREF(r);
        }
        return NULL;
    }
    return loop;
}
