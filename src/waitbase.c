/* Object slots shared by the WaitBase types (lifecycle, pickling) and the
 * stdlib's _ContextManagerMixin for subclass instances. */
#include "asynclocks.h"

/* ------------------------------------------------------------------ */
/* Module state lookup. */

AlState *
al_state_from_type(PyTypeObject *tp)
{
    PyObject *mro = tp->tp_mro;
    if (mro != NULL) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
            PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
            if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
                continue;
            }
            PyObject *m = ((PyHeapTypeObject *)t)->ht_module;
            if (m != NULL && PyModule_GetDef(m) == &al_module_def) {
                return PyModule_GetState(m);
            }
        }
    }
    PyErr_SetString(PyExc_TypeError, "asynclocks: module state not found");
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Object lifecycle of the WaitBase types. */

PyMemberDef wb_members[] = {
    { "__weaklistoffset__", T_PYSSIZET, offsetof(WaitBase, weakreflist), READONLY, NULL },
    { NULL, 0, 0, 0, NULL },
};

PyObject *
wb_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    AlState *st = al_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    PyObject *self = type->tp_alloc(type, 0);
    if (self != NULL) {
        ((WaitBase *)self)->st = st;
    }
    return self;
}

int
wb_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return wq_traverse(((WaitBase *)self)->waiters, visit, arg);
}

int
wb_clear(PyObject *self)
{
    wq_clear(&((WaitBase *)self)->waiters);
    return 0;
}

void
wb_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (((WaitBase *)self)->weakreflist != NULL) {
        PyObject_ClearWeakRefs(self);
    }
    (void)tp->tp_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* ------------------------------------------------------------------ */
/* Pickling and copying: (type(self), args, (state, __dict__ or None)). */

PyObject *
al_reduce(PyObject *self, PyObject *args, PyObject *state)
{
    PyObject *dict = NULL;
    if (args == NULL || state == NULL) {
        goto error;
    }
    PyObject *name = PyUnicode_InternFromString("__dict__");
    if (name == NULL) {
        goto error;
    }
    int rc = PyObject_GetOptionalAttr_compat(self, name, &dict);
    Py_DECREF(name);
    if (rc < 0) {
        goto error;
    }
    if (dict == NULL) {
        dict = Py_NewRef(Py_None);
    }
    return Py_BuildValue("(ON(NN))", (PyObject *)Py_TYPE(self), args, state, dict);
error:
    Py_XDECREF(args);
    Py_XDECREF(state);
    return NULL;
}

PyObject *
al_setstate_dict(PyObject *self, PyObject *state)
{
    if (!PyTuple_Check(state) || PyTuple_GET_SIZE(state) != 2) {
        PyErr_SetString(PyExc_TypeError, "__setstate__ expects a (state, dict) tuple");
        return NULL;
    }
    PyObject *dict = PyTuple_GET_ITEM(state, 1);
    if (dict != Py_None) {
        PyObject *own = PyObject_GetAttrString(self, "__dict__");
        if (own == NULL) {
            return NULL;
        }
        int rc = PyDict_Check(own) ? PyDict_Update(own, dict) : 0;
        Py_DECREF(own);
        if (rc < 0) {
            return NULL;
        }
    }
    return Py_NewRef(PyTuple_GET_ITEM(state, 0));
}

PyObject *
al_reduce_flag(PyObject *self, int flag)
{
    return al_reduce(self, PyTuple_New(0), PyBool_FromLong(flag));
}

PyObject *
al_setstate_flag(PyObject *self, PyObject *state, char *flag)
{
    PyObject *inner = al_setstate_dict(self, state);
    if (inner == NULL) {
        return NULL;
    }
    int b = PyObject_IsTrue(inner);
    Py_DECREF(inner);
    if (b < 0) {
        return NULL;
    }
    *flag = (char)b;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* The stdlib's _ContextManagerMixin, for subclass instances. */

static AwStep
aexit_step(AlAwaitable *aw, PyObject *Py_UNUSED(value), PyObject **result)
{
    AlState *st = aw->st;
    PyObject *r = al_call_method0(aw->owner, st->str_release);
    if (r == NULL) {
        return AW_ERROR;
    }
    Py_DECREF(r);
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

PyObject *
al_aexit_release(AlState *st, PyObject *self, const char *name)
{
    return aw_new(st, self, aexit_step, name, Py_None);
}

PyObject *
al_aenter_acquire(AlState *st, PyObject *self, const char *name)
{
    PyObject *aw = aw_new(st, self, aw_step_passthrough, name, Py_None);
    if (aw != NULL) {
        ((AlAwaitable *)aw)->arg = Py_NewRef(st->str_acquire);
    }
    return aw;
}
