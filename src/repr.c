/* Reprs and type names. */
#include "repr.h"

/* ------------------------------------------------------------------ */
/* Repr. */

PyObject *
al_repr(PyObject *self, PyObject *extra)
{
    if (extra == NULL) {
        return NULL;
    }
    PyObject *base = PyBaseObject_Type.tp_repr(self);
    if (base == NULL) {
        Py_DECREF(extra);
        return NULL;
    }
    PyObject *inner = PyUnicode_Substring(base, 1, PyUnicode_GET_LENGTH(base) - 1);
    Py_DECREF(base);
    if (inner == NULL) {
        Py_DECREF(extra);
        return NULL;
    }
    PyObject *r = PyUnicode_FromFormat("<%U [%U]>", inner, extra);
    Py_DECREF(inner);
    Py_DECREF(extra);
    return r;
}

PyObject *
al_state_repr(PyObject *self, const char *state, Py_ssize_t nwaiters)
{
    return al_repr(self, nwaiters ? PyUnicode_FromFormat("%s, waiters:%zd", state, nwaiters)
                                  : PyUnicode_FromString(state));
}

const char *
al_short_name(PyTypeObject *tp)
{
    const char *dot = strrchr(tp->tp_name, '.');
    return dot != NULL ? dot + 1 : tp->tp_name;
}
