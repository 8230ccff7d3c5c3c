/* Exception helpers: fetch, restore, context chaining, optional getattr. */
#include "exceptions.h"

/* ------------------------------------------------------------------ */
/* Exceptions. */

PyObject *
al_fetch_exc(void)
{
#if AL_PY312
    return PyErr_GetRaisedException();
#else
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (t == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(v, tb);
        Py_DECREF(tb);
    }
    Py_DECREF(t);
    return v;
#endif
}

void
al_restore_exc(PyObject *exc)
{
    if (exc == NULL) {
        return;
    }
#if AL_PY312
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
#endif
}

void
al_chain_context(PyObject *ctx)
{
    if (ctx == NULL) {
        return;
    }
    PyObject *exc = al_fetch_exc();
    if (exc == NULL || exc == ctx) {
        Py_DECREF(ctx);
        al_restore_exc(exc);
        return;
    }
    PyException_SetContext(exc, ctx);
    al_restore_exc(exc);
}

int
PyObject_GetOptionalAttr_compat(PyObject *o, PyObject *name, PyObject **res)
{
    *res = PyObject_GetAttr(o, name);
    if (*res != NULL) {
        return 1;
    }
    if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        return 0;
    }
    return -1;
}
