/* Helpers shared by the primitives: the waiter queue, loop binding, future
 * calls, exceptions, reprs and argument checking. */
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
/* Loop and futures. */

PyObject *
al_get_loop(AlState *st, PyObject *self, WaitQ **qp)
{
    if (wq_reserve(qp) < 0) {
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

PyObject *
al_call_method0(PyObject *obj, PyObject *name)
{
    return PyObject_VectorcallMethod(name, &obj, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* bool(r) for a call's result r (stolen, may be NULL): 1, 0 or -1. */
static int
take_bool(PyObject *r)
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
    return take_bool(al_call_method0(obj, name));
}

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
    return take_bool(fut_call(st, cached, name, &fut, 1));
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

int
al_all_cancelled(AlState *st, WaitQ **qp)
{
    /* Beware: cancelled() of a foreign future can run Python code that
     * changes the queue; re-read it on each step. */
    for (Py_ssize_t i = 0; i < wq_len(*qp); i++) {
        PyObject *fut = Py_NewRef(wq_get(*qp, i));
        int c = al_fut_cancelled(st, fut);
        Py_DECREF(fut);
        if (c <= 0) {
            return c;
        }
    }
    return 1;
}

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

/* ------------------------------------------------------------------ */
/* Repr and arguments. */

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

int
al_no_args_error(const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", qualname,
                     PyTuple_GET_ITEM(kwnames, 0));
        return -1;
    }
    if (nargs != 0) {
        PyErr_Format(PyExc_TypeError, "%s() takes 1 positional argument but %zd were given",
                     qualname, nargs + 1);
        return -1;
    }
    return 0;
}

const char *
al_short_name(PyTypeObject *tp)
{
    const char *dot = strrchr(tp->tp_name, '.');
    return dot != NULL ? dot + 1 : tp->tp_name;
}

int
al_parse_init(PyObject *self, const char *cls, PyObject *args, PyObject *kwds, const char *pname,
              int min_pos, PyObject **out)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    Py_ssize_t maxpos = pname != NULL ? 1 : 0;
    int has_loop = 0;
    *out = NULL;
    if (nargs > maxpos) {
        if (maxpos == 0) {
            PyErr_Format(PyExc_TypeError,
                         "%s.__init__() takes 1 positional argument but %zd were given", cls,
                         nargs + 1);
        }
        else if (min_pos) {
            PyErr_Format(PyExc_TypeError,
                         "%s.__init__() takes 2 positional arguments but %zd were given", cls,
                         nargs + 1);
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "%s.__init__() takes from 1 to 2 positional arguments but %zd were "
                         "given",
                         cls, nargs + 1);
        }
        return -1;
    }
    if (nargs == 1) {
        *out = PyTuple_GET_ITEM(args, 0);
    }
    if (kwds != NULL) {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kwds, &pos, &key, &value)) {
            if (pname != NULL && PyUnicode_Check(key) &&
                PyUnicode_CompareWithASCIIString(key, pname) == 0) {
                if (*out != NULL) {
                    PyErr_Format(PyExc_TypeError,
                                 "%s.__init__() got multiple values for argument '%s'", cls, pname);
                    return -1;
                }
                *out = value;
                continue;
            }
#if !AL_PY311
            if (PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, "loop") == 0) {
                has_loop = 1;
                continue;
            }
#endif
            PyErr_Format(PyExc_TypeError, "%s.__init__() got an unexpected keyword argument '%S'",
                         cls, key);
            return -1;
        }
    }
    if (min_pos && *out == NULL) {
        PyErr_Format(PyExc_TypeError, "%s.__init__() missing 1 required positional argument: '%s'",
                     cls, pname);
        return -1;
    }
    if (has_loop) {
        PyErr_Format(PyExc_TypeError,
                     "As of 3.10, the *loop* parameter was removed from %s() since it is no "
                     "longer necessary",
                     al_short_name(Py_TYPE(self)));
        return -1;
    }
    return 0;
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

/* ------------------------------------------------------------------ */
/* Arguments of _ContextManagerMixin.__aexit__(self, exc_type, exc, tb),
 * checked in the order and with the messages of a Python function. */

int
al_check_aexit(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[3] = { "exc_type", "exc", "tb" };
    static const char *const q = "_ContextManagerMixin.__aexit__";
    int filled[3] = { nargs > 0, nargs > 1, nargs > 2 };
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    (void)args;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int i = 0;
        while (i < 3 && PyUnicode_CompareWithASCIIString(key, names[i]) != 0) {
            i++;
        }
        if (i == 3) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", q, key);
            return -1;
        }
        if (filled[i]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", q,
                         names[i]);
            return -1;
        }
        filled[i] = 1;
    }
    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError, "%s() takes 4 positional arguments but %zd were given", q,
                     nargs + 1);
        return -1;
    }
    const char *missing[3];
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (!filled[i]) {
            missing[n++] = names[i];
        }
    }
    if (n == 1) {
        PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: '%s'", q,
                     missing[0]);
        return -1;
    }
    if (n == 2) {
        PyErr_Format(PyExc_TypeError, "%s() missing 2 required positional arguments: '%s' and '%s'",
                     q, missing[0], missing[1]);
        return -1;
    }
    if (n == 3) {
        PyErr_Format(PyExc_TypeError,
                     "%s() missing 3 required positional arguments: '%s', '%s', and '%s'", q,
                     missing[0], missing[1], missing[2]);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Shared pieces of the primitives' methods. */

PyObject *
al_state_repr(PyObject *self, const char *state, WaitQ *waiters)
{
    Py_ssize_t n = wq_len(waiters);
    return al_repr(self, n ? PyUnicode_FromFormat("%s, waiters:%zd", state, n)
                           : PyUnicode_FromString(state));
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

int
al_parse_one_arg(const char *qualname, const char *pname, int required, PyObject *const *args,
                 Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    *out = NULL;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     required ? "%s() takes 2 positional arguments but %zd were given"
                              : "%s() takes from 1 to 2 positional arguments but %zd were given",
                     qualname, nargs + 1);
        return -1;
    }
    if (nargs == 1) {
        *out = args[0];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(key, pname) != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", qualname,
                         key);
            return -1;
        }
        if (*out != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", qualname,
                         pname);
            return -1;
        }
        *out = args[nargs + i];
    }
    if (required && *out == NULL) {
        PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: '%s'", qualname,
                     pname);
        return -1;
    }
    return 0;
}
