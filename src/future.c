/* Calls on futures: done(), cancelled(), set_result(), without a method
 * lookup on asyncio's own C Future. */
#include "future.h"

#include "calls.h"

#if AL_PY313
/* visitproc that records that it was called. */
static int
note_visit(PyObject *Py_UNUSED(o), void *arg)
{
    *(int *)arg = 1;
    return 0;
}
#endif

/* 1 if fut is exactly asyncio's C Future with no instance attribute that
 * could shadow its methods (none named `name`, or none at all when name is
 * NULL or on 3.13), so that its methods may be called without lookup; 0 if
 * not; -1 on error. */
static inline int
fut_plain(AlState *st, PyObject *fut, PyObject *name)
{
    if (st->CFuture_Type == NULL || (PyObject *)Py_TYPE(fut) != st->CFuture_Type) {
        return 0;
    }
    int shadowed = 0;
    if (st->fut_dictoffset > 0) {
        PyObject *dict = *(PyObject **)((char *)fut + st->fut_dictoffset);
        if (dict != NULL) {
            shadowed = name != NULL ? PyDict_Contains(dict, name) : PyDict_GET_SIZE(dict) > 0;
        }
    }
#if AL_PY313
    else {
        (void)PyObject_VisitManagedDict(fut, note_visit, &shadowed);
    }
#endif
    return shadowed < 0 ? -1 : !shadowed;
}

/* fut.<name>(*args[1:]) where args[0] is fut: through the cached method
 * when fut_plain(), else by name. New reference or NULL. */
static inline PyObject *
fut_call(AlState *st, PyObject *cached, PyObject *name, PyObject *const *args, size_t nargs)
{
    int plain = fut_plain(st, args[0], name);
    if (plain > 0) {
        return PyObject_Vectorcall(cached, args, nargs, NULL);
    }
    if (plain < 0) {
        return NULL;
    }
    return PyObject_VectorcallMethod(name, (PyObject **)args,
                                     nargs | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* bool(fut.<name>()): 1, 0 or -1. */
static int
fut_bool(AlState *st, PyObject *fut, PyObject *cached, PyObject *name)
{
    return al_take_bool(fut_call(st, cached, name, &fut, 1));
}

int
al_fut_done(AlState *st, PyObject *fut)
{
    return fut_bool(st, fut, st->fut_done, st->str_done);
}

int
al_fut_cancelled(AlState *st, PyObject *fut)
{
    return fut_bool(st, fut, st->fut_cancelled, st->str_cancelled);
}

int
al_fut_set_result(AlState *st, PyObject *fut, PyObject *value)
{
    PyObject *args[2] = { fut, value };
    PyObject *r = fut_call(st, st->fut_set_result, st->str_set_result, args, 2);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

int
al_fut_set_result_if_pending(AlState *st, PyObject *fut, PyObject *value)
{
    int plain = fut_plain(st, fut, NULL);
    if (plain < 0) {
        return -1;
    }
    if (plain) {
        /* C Future: set_result() raises InvalidStateError exactly when
         * done() is true, and neither has side effects; one call instead of
         * two in the common case. */
        PyObject *args[2] = { fut, value };
        PyObject *r = PyObject_Vectorcall(st->fut_set_result, args, 2, NULL);
        if (r != NULL) {
            Py_DECREF(r);
            return 1;
        }
        if (PyErr_ExceptionMatches(st->InvalidStateError)) {
            PyErr_Clear();
            return 0;
        }
        return -1;
    }
    int done = al_fut_done(st, fut);
    if (done != 0) {
        return done < 0 ? -1 : 0;
    }
    return al_fut_set_result(st, fut, value) < 0 ? -1 : 1;
}
