/* Generic method calls. */
#include "calls.h"

PyObject *
al_call_method0(PyObject *obj, PyObject *name)
{
    return PyObject_VectorcallMethod(name, &obj, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

int
al_take_bool(PyObject *r)
{
    if (r == NULL) {
        return -1;
    }
    int b = r == Py_True ? 1 : r == Py_False ? 0 : PyObject_IsTrue(r);
    Py_DECREF(r);
    return b;
}

int
al_call_bool(PyObject *obj, PyObject *name)
{
    return al_take_bool(al_call_method0(obj, name));
}
