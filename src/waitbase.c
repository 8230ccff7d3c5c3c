/* Object slots shared by the WaitBase types (lifecycle, pickling) and the
 * stdlib's _ContextManagerMixin for subclass instances. */
#include "waitbase.h"

#include "awaitable.h"
#include "calls.h"
#include "exceptions.h"
#include "state.h"
#include "waitq.h"

/* ------------------------------------------------------------------ */
/* Instance __dict__ and attribute assignment. */

PyObject *
al_dict_peek(PyObject *self)
{
    al_unshare_dict(self);
    return ((AlObjectHead *)self)->dict;
}

int
al_dict_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((AlObjectHead *)self)->dict);
    return 0;
}

void
al_dict_clear(PyObject *self)
{
    Py_CLEAR(((AlObjectHead *)self)->dict);
}

/* 1 if `name` (a str) is found in the __dict__ of a class of tp's MRO and
 * the first such value is not a data descriptor (an instance attribute of
 * that name shadows it), else 0: what the interpreter's own class lookup
 * (_PyType_Lookup, private) would let us decide, with public API only. An
 * error (a str subclass's __eq__) counts as "not found" and is cleared, as
 * that lookup does. Runs no Python code otherwise. */
static int
shadows_class_attr(PyTypeObject *tp, PyObject *name)
{
    PyObject *mro = tp->tp_mro; /* borrowed; set once the type is ready */
    assert(mro != NULL && PyTuple_Check(mro));
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
#if AL_PY312
        /* Static builtin types keep their dict outside tp_dict from 3.12. */
        PyObject *dict = PyType_GetDict(base);
#else
        PyObject *dict = Py_XNewRef(base->tp_dict);
#endif
        if (dict == NULL) {
            continue;
        }
        PyObject *v = PyDict_GetItemWithError(dict, name); /* borrowed */
        int shadows = v != NULL && Py_TYPE(v)->tp_descr_set == NULL;
        Py_DECREF(dict); /* the class still holds it, and so v */
        if (v != NULL) {
            return shadows;
        }
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
    }
    return 0;
}

int
al_setattro_flag(PyObject *self, PyObject *name, PyObject *value, char *flag)
{
    if (!*flag && PyUnicode_Check(name)) {
        if (shadows_class_attr(Py_TYPE(self), name)) {
            *flag = 1;
        }
    }
    al_unshare_dict(self);
    return PyObject_GenericSetAttr(self, name, value);
}

int
wb_setattro(PyObject *self, PyObject *name, PyObject *value)
{
    return al_setattro_flag(self, name, value, &((WaitBase *)self)->shadowed);
}

PyObject *
al_get_dict_flag(PyObject *self, char *flag)
{
    *flag = 1;
    al_unshare_dict(self);
    return PyObject_GenericGetDict(self, NULL);
}

int
al_set_dict_flag(PyObject *self, PyObject *value, char *flag)
{
    *flag = 1;
    return PyObject_GenericSetDict(self, value, NULL);
}

PyObject *
wb_get_dict(PyObject *self, void *Py_UNUSED(closure))
{
    return al_get_dict_flag(self, &((WaitBase *)self)->shadowed);
}

int
wb_set_dict(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    return al_set_dict_flag(self, value, &((WaitBase *)self)->shadowed);
}

/* ------------------------------------------------------------------ */
/* The stdlib's private attributes shared by the WaitBase types. */

PyObject *
wb_get_loop(PyObject *self, void *Py_UNUSED(closure))
{
    WaitQ *q = ((WaitBase *)self)->waiters;
    return Py_NewRef(q != NULL && q->loop != NULL ? q->loop : Py_None);
}

int
wb_set_loop(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    WaitQ **qp = &((WaitBase *)self)->waiters;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute '_loop'");
        return -1;
    }
    if (value == Py_None && *qp == NULL) {
        return 0;
    }
    if (wq_reserve(WB_STATE(self), qp) < 0) {
        return -1;
    }
    Py_XSETREF((*qp)->loop, value == Py_None ? NULL : Py_NewRef(value));
    return 0;
}

PyObject *
wb_get_waiters_lazy(PyObject *self, void *Py_UNUSED(closure))
{
    WaitQ *q = ((WaitBase *)self)->waiters;
    return Py_NewRef(q != NULL && q->deque != NULL ? q->deque : Py_None);
}

PyObject *
wb_get_waiters_eager(PyObject *self, void *Py_UNUSED(closure))
{
    WaitQ **qp = &((WaitBase *)self)->waiters;
    if (wq_ensure_deque(WB_STATE(self), qp) < 0) {
        return NULL;
    }
    return Py_NewRef((*qp)->deque);
}

int
wb_set_waiters(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    AlState *st = WB_STATE(self);
    WaitQ **qp = &((WaitBase *)self)->waiters;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute '_waiters'");
        return -1;
    }
    if (value != Py_None && !PyObject_TypeCheck(value, (PyTypeObject *)st->deque_type)) {
        PyErr_Format(PyExc_TypeError,
                     "asynclocks: _waiters must be a collections.deque or None, not %.100s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (value == Py_None && *qp == NULL) {
        return 0;
    }
    if (wq_reserve(st, qp) < 0) {
        return -1;
    }
    Py_XSETREF((*qp)->deque, value == Py_None ? NULL : Py_NewRef(value));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Object lifecycle of the WaitBase types. */

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
    int rc = al_dict_traverse(self, visit, arg);
    return rc ? rc : wq_traverse(((WaitBase *)self)->waiters, visit, arg);
}

int
wb_clear(PyObject *self)
{
    wq_clear(&((WaitBase *)self)->waiters);
    al_dict_clear(self);
    return 0;
}

void
wb_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    PyObject_ClearWeakRefs(self);
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
    dict = al_dict_peek(self);
    dict = Py_NewRef(dict != NULL ? dict : Py_None);
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

int
al_set_flag_attr(PyObject *value, const char *name, char *flag)
{
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "cannot delete attribute '%s'", name);
        return -1;
    }
    int b = PyObject_IsTrue(value);
    if (b < 0) {
        return -1;
    }
    *flag = (char)b;
    return 0;
}

/* ------------------------------------------------------------------ */
/* 3.11: the shared empty __dict__ (see coromethod.c for why). */

#ifdef AL_ONLY_311
/* tp_alloc of our primitives on 3.11: PyType_GenericAlloc with the shared
 * empty __dict__. New reference or NULL. */
static PyObject *
alloc_shared_dict(PyTypeObject *type, Py_ssize_t nitems)
{
    PyObject *self = PyType_GenericAlloc(type, nitems);
    PyObject *m = ((PyHeapTypeObject *)type)->ht_module;
    if (self != NULL && m != NULL && PyModule_GetDef(m) == &al_module_def) {
        AlState *st = (AlState *)PyModule_GetState(m);
        if (st != NULL && st->empty_dict != NULL) {
            ((AlObjectHead *)self)->dict = Py_NewRef(st->empty_dict);
        }
    }
    return self;
}
#endif

void
al_unshare_dict(PyObject *self)
{
#ifdef AL_ONLY_311
    PyObject **dictp = &((AlObjectHead *)self)->dict;
    if (*dictp == NULL || PyDict_GET_SIZE(*dictp) != 0) {
        return;
    }
    PyObject *m = PyType_GetModuleByDef(Py_TYPE(self), &al_module_def); /* borrowed */
    if (m == NULL) {
        PyErr_Clear(); /* not one of ours: nothing is shared */
        return;
    }
    AlState *st = (AlState *)PyModule_GetState(m);
    if (st != NULL && *dictp == st->empty_dict) {
        Py_CLEAR(*dictp);
    }
#else
    (void)self;
#endif
}

int
wb_share_empty_dict(AlState *st, PyTypeObject *type)
{
#ifdef AL_ONLY_311
    if (st->empty_dict == NULL && (st->empty_dict = PyDict_New()) == NULL) {
        return -1;
    }
    type->tp_alloc = alloc_shared_dict;
#else
    (void)st;
    (void)type;
#endif
    return 0;
}
