/* asyncio.Semaphore and asyncio.BoundedSemaphore in C. */
#include "semaphore.h"

#include "args.h"
#include "awaitable.h"
#include "calls.h"
#include "exceptions.h"
#include "future.h"
#include "repr.h"
#include "waitbase.h"
#include "waitq.h"

/* ------------------------------------------------------------------ */
/* The counter (see SemValue): C arithmetic on the fast path, the stdlib's
 * Python arithmetic for any other value it accepts. */

#define SV_MAX ((intptr_t)(PY_SSIZE_T_MAX / 4))
#define SV_IS_INT(v) (((v) & 1) != 0)
#define SV_INT(v) (((v) - 1) / 2)
#define SV_FROM_INT(n) ((SemValue)(n) * 2 + 1)
#define SV_OBJ(v) ((PyObject *)(v))

/* New reference to the counter as a Python object, or NULL. */
static PyObject *
sv_object(SemValue v)
{
    return SV_IS_INT(v) ? PyLong_FromSsize_t(SV_INT(v)) : Py_NewRef(SV_OBJ(v));
}

/* Store obj (stolen; NULL is an error) in *slot, as a C integer when it is
 * an exact int in range. 0 or -1. */
static int
sv_set(SemValue *slot, PyObject *obj)
{
    SemValue old = *slot;
    if (obj == NULL) {
        return -1;
    }
    if (PyLong_CheckExact(obj)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (!overflow && n >= -SV_MAX && n <= SV_MAX) {
            Py_DECREF(obj);
            *slot = SV_FROM_INT(n);
            goto done;
        }
        PyErr_Clear();
    }
    *slot = (SemValue)obj;
done:
    if (!SV_IS_INT(old)) {
        Py_DECREF(SV_OBJ(old));
    }
    return 0;
}

/* sv_add() beyond the C integer range, or for another object. 0/-1. */
static AL_NOINLINE int
sv_add_slow(SemValue *slot, int delta)
{
    SemValue v = *slot;
    PyObject *cur = sv_object(v);
    PyObject *d = PyLong_FromLong(delta);
    PyObject *r = (cur != NULL && d != NULL) ? PyNumber_Add(cur, d) : NULL;
    Py_XDECREF(cur);
    Py_XDECREF(d);
    return sv_set(slot, r);
}

/* *slot += delta (delta is +1 or -1), as `self._value += 1` does. 0/-1. */
static inline int
sv_add(SemValue *slot, int delta)
{
    SemValue v = *slot;
    if (SV_IS_INT(v)) {
        Py_ssize_t n = SV_INT(v) + delta;
        if (n >= -SV_MAX && n <= SV_MAX) {
            *slot = SV_FROM_INT(n);
            return 0;
        }
    }
    return sv_add_slow(slot, delta);
}

/* Compare the counter with the C integer n (op is Py_EQ, Py_GT, ...), as
 * the stdlib's `self._value == 0` / `> 0`. 1, 0 or -1. */
static int
sv_cmp(SemValue v, long n, int op)
{
    if (SV_IS_INT(v)) {
        Py_ssize_t x = SV_INT(v);
        switch (op) {
        case Py_EQ:
            return x == n;
        case Py_GT:
            return x > n;
        default:
            break;
        }
    }
    PyObject *cur = sv_object(v);
    PyObject *other = PyLong_FromLong(n);
    int r = (cur != NULL && other != NULL) ? PyObject_RichCompareBool(cur, other, op) : -1;
    Py_XDECREF(cur);
    Py_XDECREF(other);
    return r;
}

/* `self._value >= self._bound_value`: 1, 0 or -1. */
static int
sv_ge(SemValue a, SemValue b)
{
    if (SV_IS_INT(a) && SV_IS_INT(b)) {
        return SV_INT(a) >= SV_INT(b);
    }
    PyObject *x = sv_object(a);
    PyObject *y = sv_object(b);
    int r = (x != NULL && y != NULL) ? PyObject_RichCompareBool(x, y, Py_GE) : -1;
    Py_XDECREF(x);
    Py_XDECREF(y);
    return r;
}

static void
sv_clear(SemValue *slot)
{
    SemValue v = *slot;
    *slot = SV_FROM_INT(0);
    if (!SV_IS_INT(v)) {
        Py_DECREF(SV_OBJ(v));
    }
}

/* Semaphore.locked(): value == 0 or a non-cancelled waiter queues.
 * 1, 0 or -1. */
static int
sem_locked_impl(AlState *st, SemaphoreObject *self)
{
    int zero = sv_cmp(self->value, 0, Py_EQ);
    if (zero != 0) {
        return zero;
    }
    /* Beware: cancelled() may run Python code; re-read the queue. */
    for (Py_ssize_t i = 0; i < wq_len(self->waiters); i++) {
        PyObject *fut = wq_item(self->waiters, i);
        if (fut == NULL) {
            return -1;
        }
        int c = al_fut_cancelled(st, fut);
        Py_DECREF(fut);
        if (c <= 0) {
            return c < 0 ? -1 : 1;
        }
    }
    return 0;
}

/* Wake up the first waiter that isn't done (Semaphore._wake_up_next).
 * 1 if one was woken, 0 if none, -1 on error. */
static int
sem_wake_up_next(AlState *st, SemaphoreObject *self)
{
    for (Py_ssize_t i = 0; i < wq_len(self->waiters); i++) {
        PyObject *fut = wq_item(self->waiters, i);
        if (fut == NULL) {
            return -1;
        }
        int done = al_fut_done(st, fut);
        if (done == 0) {
            done = sv_add(&self->value, -1);
            if (done == 0) {
                done = al_fut_set_result(st, fut, Py_True);
            }
            Py_DECREF(fut);
            return done < 0 ? -1 : 1;
        }
        Py_DECREF(fut);
        if (done < 0) {
            return -1;
        }
    }
    return 0;
}

#if AL_PY313
/* while value > 0: if not _wake_up_next(): break.  0 or -1. */
static int
sem_wake_up_all_allowed(AlState *st, SemaphoreObject *self)
{
    for (;;) {
        int positive = sv_cmp(self->value, 0, Py_GT);
        if (positive <= 0) {
            return positive;
        }
        int r = sem_wake_up_next(st, self);
        if (r <= 0) {
            return r;
        }
    }
}
#endif

static int
is_exact(AlState *st, PyObject *self)
{
    return (Py_IS_TYPE(self, st->Semaphore_Type) || Py_IS_TYPE(self, st->BoundedSemaphore_Type)) &&
           !((WaitBase *)self)->shadowed;
}

/* Body of Semaphore.acquire(); aw->ret is its return value. */
static AwStep
sem_acquire_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    SemaphoreObject *self = (SemaphoreObject *)aw->owner;
    AlState *st = aw->st;

    if (aw->state == 0) {
        /* self.locked(): a subclass may override it. */
        int locked = is_exact(st, aw->owner) ? sem_locked_impl(st, self)
                                             : al_call_bool(aw->owner, st->str_locked);
        if (locked < 0) {
            return AW_ERROR;
        }
        if (!locked) {
            if (sv_add(&self->value, -1) < 0) {
                return AW_ERROR;
            }
            *result = Py_NewRef(aw->ret);
            return AW_RETURN;
        }
        PyObject *fut = wq_new_waiter(st, aw->owner, &self->waiters);
        if (fut == NULL) {
            return AW_ERROR;
        }
        Py_XSETREF(aw->fut, fut);
        aw->state = 1;
        return AW_AWAIT_FUT;
    }

    assert(aw->state == 1 && aw->fut != NULL);
    (void)wq_remove(self->waiters, aw->fut);
    if (value == NULL) {
        PyObject *exc = al_fetch_exc();
        int rc = 0;
        if (PyErr_GivenExceptionMatches(exc, st->CancelledError)) {
#if AL_PY313
            int done = al_fut_done(st, aw->fut);
            int cancelled = done > 0 ? al_fut_cancelled(st, aw->fut) : 0;
            rc = (done < 0 || cancelled < 0) ? -1 : 0;
            if (done > 0 && cancelled == 0) {
                rc = sv_add(&self->value, 1);
            }
#else
            int cancelled = al_fut_cancelled(st, aw->fut);
            rc = cancelled < 0 ? -1 : 0;
            if (cancelled == 0) {
                rc = sv_add(&self->value, 1);
                if (rc == 0) {
                    rc = sem_wake_up_next(st, self) < 0 ? -1 : 0;
                }
            }
#endif
        }
#if AL_PY313
        if (rc == 0) {
            rc = sem_wake_up_all_allowed(st, self);
        }
#endif
        if (rc < 0) {
            al_chain_context(exc);
        }
        else {
            al_restore_exc(exc);
        }
        return AW_ERROR;
    }
#if AL_PY313
    if (sem_wake_up_all_allowed(st, self) < 0) {
        return AW_ERROR;
    }
#else
    int positive = sv_cmp(self->value, 0, Py_GT);
    if (positive < 0 || (positive && sem_wake_up_next(st, self) < 0)) {
        return AW_ERROR;
    }
#endif
    *result = Py_NewRef(aw->ret);
    return AW_RETURN;
}

static int
sem_release_impl(AlState *st, SemaphoreObject *self)
{
    if (sv_add(&self->value, 1) < 0) {
        return -1;
    }
    return sem_wake_up_next(st, self) < 0 ? -1 : 0;
}

static int
bsem_release_impl(AlState *st, SemaphoreObject *self)
{
    int over = sv_ge(self->value, ((BoundedSemaphoreObject *)self)->bound);
    if (over < 0) {
        return -1;
    }
    if (over) {
        PyErr_SetString(PyExc_ValueError, "BoundedSemaphore released too many times");
        return -1;
    }
    return sem_release_impl(st, self);
}

static AwStep
sem_aexit_step(AlAwaitable *aw, PyObject *Py_UNUSED(value), PyObject **result)
{
    AlState *st = aw->st;
    SemaphoreObject *self = (SemaphoreObject *)aw->owner;
    int rc = Py_IS_TYPE(aw->owner, st->BoundedSemaphore_Type) ? bsem_release_impl(st, self)
                                                              : sem_release_impl(st, self);
    if (rc < 0) {
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

/* ------------------------------------------------------------------ */
/* Methods. */

static PyObject *
sem_acquire(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Semaphore.acquire", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(WB_STATE(self), self, sem_acquire_step, "Semaphore.acquire", Py_True);
}

static PyObject *
sem_release(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Semaphore.release", nargs, kwnames) < 0 ||
        sem_release_impl(WB_STATE(self), (SemaphoreObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
bsem_release(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("BoundedSemaphore.release", nargs, kwnames) < 0 ||
        bsem_release_impl(WB_STATE(self), (SemaphoreObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
sem_locked(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Semaphore.locked", nargs, kwnames) < 0) {
        return NULL;
    }
    int r = sem_locked_impl(WB_STATE(self), (SemaphoreObject *)self);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

static PyObject *
sem_aenter(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    if (al_no_args("_ContextManagerMixin.__aenter__", nargs, kwnames) < 0) {
        return NULL;
    }
    if (is_exact(st, self)) {
        return aw_new(st, self, sem_acquire_step, "Semaphore.acquire", Py_None);
    }
    return al_aenter_acquire(st, self, "_ContextManagerMixin.__aenter__");
}

static PyObject *
sem_aexit(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    if (al_check_aexit_args(args, nargs, kwnames) < 0) {
        return NULL;
    }
    if (is_exact(st, self)) {
        return aw_new(st, self, sem_aexit_step, "_ContextManagerMixin.__aexit__", Py_None);
    }
    return al_aexit_release(st, self, "_ContextManagerMixin.__aexit__");
}

static PyObject *
sem_repr(PyObject *op)
{
    SemaphoreObject *self = (SemaphoreObject *)op;
    AlState *st = WB_STATE(op);
    int locked = is_exact(st, op) ? sem_locked_impl(st, self) : al_call_bool(op, st->str_locked);
    if (locked < 0) {
        return NULL;
    }
    PyObject *extra;
    if (locked) {
        extra = PyUnicode_FromString("locked");
    }
    else {
        PyObject *v = sv_object(self->value);
        extra = v ? PyUnicode_FromFormat("unlocked, value:%S", v) : NULL;
        Py_XDECREF(v);
    }
    if (extra != NULL && wq_len(self->waiters)) {
        Py_SETREF(extra, PyUnicode_FromFormat("%U, waiters:%zd", extra, wq_len(self->waiters)));
    }
    return al_repr(op, extra);
}

/* The stdlib's `if value < 0: raise ValueError(...)` (same TypeError for
 * objects that do not compare with 0). 0 or -1. */
static int
check_value(PyObject *obj)
{
    PyObject *zero = PyLong_FromLong(0);
    if (zero == NULL) {
        return -1;
    }
    int neg = PyObject_RichCompareBool(obj, zero, Py_LT);
    Py_DECREF(zero);
    if (neg > 0) {
        PyErr_SetString(PyExc_ValueError, "Semaphore initial value must be >= 0");
    }
    return neg == 0 ? 0 : -1;
}

static int
sem_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *obj;
    if (al_parse_init(self, "Semaphore", args, kwds, "value", 0, &obj) < 0) {
        return -1;
    }
    if (obj == NULL) {
        sv_clear(&((SemaphoreObject *)self)->value);
        ((SemaphoreObject *)self)->value = SV_FROM_INT(1);
        return 0;
    }
    if (check_value(obj) < 0) {
        return -1;
    }
    return sv_set(&((SemaphoreObject *)self)->value, Py_NewRef(obj));
}

static int
bsem_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *obj;
    if (al_parse_init(self, "BoundedSemaphore", args, kwds, "value", 0, &obj) < 0) {
        return -1;
    }
    if (obj == NULL) {
        obj = PyLong_FromLong(1);
    }
    else {
        Py_INCREF(obj);
    }
    /* self._bound_value = value, then Semaphore.__init__(value). */
    if (sv_set(&((BoundedSemaphoreObject *)self)->bound, Py_XNewRef(obj)) < 0) {
        Py_XDECREF(obj);
        return -1;
    }
    int rc = check_value(obj);
    if (rc == 0) {
        rc = sv_set(&((SemaphoreObject *)self)->value, Py_NewRef(obj));
    }
    Py_DECREF(obj);
    return rc;
}

static PyObject *
sem_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *self = wb_new(type, args, kwds);
    if (self != NULL) {
        ((SemaphoreObject *)self)->value = SV_FROM_INT(1);
    }
    return self;
}

static PyObject *
bsem_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *self = sem_new(type, args, kwds);
    if (self != NULL) {
        ((BoundedSemaphoreObject *)self)->bound = SV_FROM_INT(1);
    }
    return self;
}

static int
sem_traverse(PyObject *self, visitproc visit, void *arg)
{
    SemValue v = ((SemaphoreObject *)self)->value;
    if (!SV_IS_INT(v)) {
        Py_VISIT(SV_OBJ(v));
    }
    return wb_traverse(self, visit, arg);
}

static int
sem_clear(PyObject *self)
{
    sv_clear(&((SemaphoreObject *)self)->value);
    return wb_clear(self);
}

static int
bsem_traverse(PyObject *self, visitproc visit, void *arg)
{
    SemValue v = ((BoundedSemaphoreObject *)self)->bound;
    if (!SV_IS_INT(v)) {
        Py_VISIT(SV_OBJ(v));
    }
    return sem_traverse(self, visit, arg);
}

static int
bsem_clear(PyObject *self)
{
    sv_clear(&((BoundedSemaphoreObject *)self)->bound);
    return sem_clear(self);
}

static PyObject *
sem_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return al_reduce(self, PyTuple_New(0), sv_object(((SemaphoreObject *)self)->value));
}

static PyObject *
bsem_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *bound = sv_object(((BoundedSemaphoreObject *)self)->bound);
    PyObject *args = bound ? PyTuple_Pack(1, bound) : NULL;
    Py_XDECREF(bound);
    return al_reduce(self, args, sv_object(((SemaphoreObject *)self)->value));
}

static PyObject *
sem_setstate(PyObject *self, PyObject *state)
{
    PyObject *inner = al_setstate_dict(self, state);
    if (inner == NULL || sv_set(&((SemaphoreObject *)self)->value, inner) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
sem_get_value(PyObject *self, void *Py_UNUSED(closure))
{
    return sv_object(((SemaphoreObject *)self)->value);
}

/* `sem._value = n` stores n, as the stdlib's attribute does. */
static int
sem_set_value(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute '_value'");
        return -1;
    }
    return sv_set(&((SemaphoreObject *)self)->value, Py_NewRef(value));
}

static PyObject *
bsem_get_bound(PyObject *self, void *Py_UNUSED(closure))
{
    return sv_object(((BoundedSemaphoreObject *)self)->bound);
}

/* `bsem._bound_value = n` stores n. */
static int
bsem_set_bound(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute '_bound_value'");
        return -1;
    }
    return sv_set(&((BoundedSemaphoreObject *)self)->bound, Py_NewRef(value));
}

static PyGetSetDef sem_getset[] = {
    WB_GETSET_DICT,          WB_GETSET_LOOP,
    WB_GETSET_WAITERS(lazy), { "_value", sem_get_value, sem_set_value, NULL, NULL },
    WB_GETSET_END,
};

static PyGetSetDef bsem_getset[] = {
    { "_bound_value", bsem_get_bound, bsem_set_bound, NULL, NULL },
    WB_GETSET_END,
};

static PyMethodDef sem_methods[] = {
    { "acquire", CMETH(sem_acquire), METH_CM,
      PyDoc_STR("acquire($self)\n--\n\nAcquire the semaphore (a coroutine).\n\nDecrements the "
                "counter, waiting first while it is zero or earlier waiters queue; returns "
                "True.") },
    { "release", CMETH(sem_release), METH_CM,
      PyDoc_STR("release($self)\n--\n\nIncrement the counter and wake the first waiter, if any.") },
    { "locked", CMETH(sem_locked), METH_CM,
      PyDoc_STR("locked($self)\n--\n\nReturn True if acquire() would not return at once.") },
    { "__aenter__", CMETH(sem_aenter), METH_CM,
      PyDoc_STR("__aenter__($self)\n--\n\nAwait acquire(); return None.") },
    { "__aexit__", CMETH(sem_aexit), METH_CM,
      PyDoc_STR("__aexit__($self, exc_type, exc, tb)\n--\n\nCall release().") },
    { "__reduce__", sem_reduce, METH_NOARGS, NULL },
    { "__setstate__", sem_setstate, METH_O, NULL },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot sem_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("Semaphore(value=1)\n--\n\nA counting semaphore for asyncio "
                                   "tasks, behaving as asyncio.Semaphore.\n\nValueError if value "
                                   "is negative.") },
    { Py_tp_new, sem_new },
    { Py_tp_init, sem_init },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, sem_traverse },
    { Py_tp_clear, sem_clear },
    { Py_tp_repr, sem_repr },
    { Py_tp_methods, sem_methods },
    { Py_tp_getset, sem_getset },
    { Py_tp_setattro, wb_setattro },
    { 0, NULL },
};

PyType_Spec al_semaphore_spec = {
    .name = "asynclocks.Semaphore",
    .basicsize = sizeof(SemaphoreObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = sem_slots,
};

static PyMethodDef bsem_methods[] = {
    { "release", CMETH(bsem_release), METH_CM,
      PyDoc_STR("release($self)\n--\n\nIncrement the counter and wake the first waiter, if any."
                "\n\nValueError if that would raise the counter above its initial value.") },
    { "__reduce__", bsem_reduce, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot bsem_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("BoundedSemaphore(value=1)\n--\n\nA semaphore that refuses "
                                   "to be released above its initial value, behaving as "
                                   "asyncio.BoundedSemaphore.") },
    { Py_tp_new, bsem_new },
    { Py_tp_init, bsem_init },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, bsem_traverse },
    { Py_tp_clear, bsem_clear },
    { Py_tp_methods, bsem_methods },
    { Py_tp_getset, bsem_getset },
    { 0, NULL },
};

PyType_Spec al_bounded_semaphore_spec = {
    .name = "asynclocks.BoundedSemaphore",
    .basicsize = sizeof(BoundedSemaphoreObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = bsem_slots,
};
