/* asyncio.Barrier (3.11+) in C, over an internal Condition of ours. */
#include "barrier.h"

#include "args.h"
#include "awaitable.h"
#include "condition.h"
#include "exceptions.h"
#include "lock.h"
#include "repr.h"
#include "state.h"
#include "waitbase.h"
#include "waitq.h"

enum { B_FILLING = 0, B_DRAINING = 1, B_RESETTING = 2, B_BROKEN = 3 };

static const char *const state_names[] = { "filling", "draining", "resetting", "broken" };

enum { BW_START = 0, BW_LOCKED = 1, BW_BLOCKING = 2, BW_WAITING = 3 };

static ConditionObject *
cond_of(AlAwaitable *aw)
{
    return (ConditionObject *)((BarrierObject *)aw->owner)->cond;
}

/* self._cond.notify_all(). 0 or -1. */
static int
barrier_notify_all(AlState *st, BarrierObject *self)
{
    ConditionObject *cond = (ConditionObject *)self->cond;
    if (cond_check_locked(st, cond) < 0) {
        return -1;
    }
    return cond_notify_n(st, cond, wq_len(cond->waiters));
}

/* Leave `async with self._cond`: release the lock, then return the index
 * (ok) or raise the current exception. */
static AwStep
barrier_leave(AlAwaitable *aw, int ok, PyObject **result)
{
    AlState *st = aw->st;
    PyObject *exc = ok ? NULL : al_fetch_exc();
    if (cond_release(st, cond_of(aw)) < 0) {
        al_chain_context(exc);
        return AW_ERROR;
    }
    if (!ok) {
        al_restore_exc(exc);
        return AW_ERROR;
    }
    *result = PyLong_FromSsize_t(aw->u.barrier_index);
    return *result ? AW_RETURN : AW_ERROR;
}

/* The `finally:` of wait(): count -= 1; self._exit(). */
static AwStep
barrier_finally(AlAwaitable *aw, int ok, PyObject **result)
{
    AlState *st = aw->st;
    BarrierObject *self = (BarrierObject *)aw->owner;
    PyObject *exc = ok ? NULL : al_fetch_exc();
    self->count--;
    if (self->count == 0) {
        if (self->state == B_RESETTING || self->state == B_DRAINING) {
            self->state = B_FILLING;
        }
        if (barrier_notify_all(st, self) < 0) {
            al_chain_context(exc);
            return barrier_leave(aw, 0, result);
        }
    }
    al_restore_exc(exc);
    return barrier_leave(aw, ok, result);
}

/* index + 1 == self._parties: 1, 0 or -1. */
static int
is_last(BarrierObject *self, Py_ssize_t index)
{
    if (PyLong_CheckExact(self->parties)) {
        int overflow;
        long long p = PyLong_AsLongLongAndOverflow(self->parties, &overflow);
        if (!overflow && !(p == -1 && PyErr_Occurred())) {
            return (long long)index + 1 == p;
        }
        PyErr_Clear();
    }
    PyObject *n = PyLong_FromSsize_t(index + 1);
    if (n == NULL) {
        return -1;
    }
    int r = PyObject_RichCompareBool(n, self->parties, Py_EQ);
    Py_DECREF(n);
    return r;
}

static AwStep
barrier_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    AlState *st = aw->st;
    BarrierObject *self = (BarrierObject *)aw->owner;

    switch (aw->state) {
    case BW_START:
        aw->state = BW_LOCKED;
        return aw_await(aw, lock_acquire_aw(st, cond_of(aw)->lock, Py_None));
    case BW_LOCKED:
        if (value == NULL) {
            return AW_ERROR;
        }
        break;
    case BW_BLOCKING:
        if (value == NULL) {
            return barrier_leave(aw, 0, result);
        }
        break;
    case BW_WAITING:
        if (value == NULL) {
            return barrier_finally(aw, 0, result);
        }
        goto wait_phase;
    default:
        PyErr_SetString(PyExc_SystemError, "Barrier.wait: bad state");
        return AW_ERROR;
    }

    /* _block(): wait while draining or resetting, fail if broken. */
    if (self->state == B_DRAINING || self->state == B_RESETTING) {
        aw->state = BW_BLOCKING;
        return aw_await(aw, cond_wait_aw(st, self->cond));
    }
    if (self->state == B_BROKEN) {
        PyErr_SetString(st->BrokenBarrierError, "Barrier aborted");
        return barrier_leave(aw, 0, result);
    }
    if (self->count == INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many tasks waiting on the barrier");
        return barrier_leave(aw, 0, result);
    }
    aw->u.barrier_index = self->count;
    self->count++;
    int last = is_last(self, aw->u.barrier_index);
    if (last < 0) {
        return barrier_finally(aw, 0, result);
    }
    if (last) {
        /* _release(): the last one in trips the barrier. */
        self->state = B_DRAINING;
        if (barrier_notify_all(st, self) < 0) {
            return barrier_finally(aw, 0, result);
        }
        return barrier_finally(aw, 1, result);
    }

wait_phase:
    /* _wait(): wait for the end of filling. */
    if (self->state == B_FILLING) {
        aw->state = BW_WAITING;
        return aw_await(aw, cond_wait_aw(st, self->cond));
    }
    if (self->state == B_BROKEN || self->state == B_RESETTING) {
        PyErr_SetString(st->BrokenBarrierError, "Abort or reset of barrier");
        return barrier_finally(aw, 0, result);
    }
    return barrier_finally(aw, 1, result);
}

/* reset() and abort(): `async with self._cond:` around a state change;
 * aw->u.barrier_target is the target: B_RESETTING for reset, B_BROKEN for abort. */
static AwStep
barrier_change_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    AlState *st = aw->st;
    BarrierObject *self = (BarrierObject *)aw->owner;
    if (aw->state == 0) {
        aw->state = 1;
        return aw_await(aw, lock_acquire_aw(st, cond_of(aw)->lock, Py_None));
    }
    if (value == NULL) {
        return AW_ERROR;
    }
    if (aw->u.barrier_target == B_BROKEN) {
        self->state = B_BROKEN;
    }
    else if (self->count > 0) {
        self->state = B_RESETTING;
    }
    else {
        self->state = B_FILLING;
    }
    int ok = barrier_notify_all(st, self) == 0;
    PyObject *exc = ok ? NULL : al_fetch_exc();
    if (cond_release(st, cond_of(aw)) < 0) {
        al_chain_context(exc);
        return AW_ERROR;
    }
    if (!ok) {
        al_restore_exc(exc);
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

/* ------------------------------------------------------------------ */
/* Methods. */

static PyObject *
barrier_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Barrier.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(al_state_fast(self), self, barrier_wait_step, "Barrier.wait", NULL);
}

static PyObject *
barrier_change(PyObject *self, Py_ssize_t nargs, PyObject *kwnames, const char *name, int target)
{
    if (al_no_args(name, nargs, kwnames) < 0) {
        return NULL;
    }
    PyObject *aw = aw_new(al_state_fast(self), self, barrier_change_step, name, Py_None);
    if (aw != NULL) {
        ((AlAwaitable *)aw)->u.barrier_target = target;
    }
    return aw;
}

static PyObject *
barrier_reset(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return barrier_change(self, nargs, kwnames, "Barrier.reset", B_RESETTING);
}

static PyObject *
barrier_abort(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return barrier_change(self, nargs, kwnames, "Barrier.abort", B_BROKEN);
}

static AwStep
barrier_aexit_step(AlAwaitable *Py_UNUSED(aw), PyObject *Py_UNUSED(value), PyObject **result)
{
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

static PyObject *
barrier_aenter(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs,
               PyObject *kwnames)
{
    AlState *st = al_state_fast(self);
    if (al_no_args("Barrier.__aenter__", nargs, kwnames) < 0) {
        return NULL;
    }
    if (Py_IS_TYPE(self, st->Barrier_Type) && !((BarrierObject *)self)->shadowed) {
        return aw_new(st, self, barrier_wait_step, "Barrier.wait", NULL);
    }
    /* return await self.wait() */
    PyObject *aw = aw_new(st, self, aw_step_passthrough, "Barrier.__aenter__", NULL);
    if (aw != NULL) {
        ((AlAwaitable *)aw)->arg = Py_NewRef(st->str_wait);
    }
    return aw;
}

static PyObject *
barrier_aexit(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t Py_UNUSED(nargs),
              PyObject *kwnames)
{
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_Format(PyExc_TypeError, "Barrier.__aexit__() got an unexpected keyword argument '%U'",
                     PyTuple_GET_ITEM(kwnames, 0));
        return NULL;
    }
    return aw_new(al_state_fast(self), self, barrier_aexit_step, "Barrier.__aexit__", Py_None);
}

static PyObject *
barrier_get_parties(PyObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(((BarrierObject *)self)->parties);
}

static Py_ssize_t
n_waiting(BarrierObject *self)
{
    return self->state == B_FILLING ? self->count : 0;
}

static PyObject *
barrier_get_n_waiting(PyObject *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(n_waiting((BarrierObject *)self));
}

static PyObject *
barrier_get_broken(PyObject *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(((BarrierObject *)self)->state == B_BROKEN);
}

/* The stdlib's private attributes: _cond, _parties, _count, _state (an
 * asyncio.locks._BarrierState member). */
static PyObject *
barrier_get_cond(PyObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(((BarrierObject *)self)->cond);
}

static PyObject *
barrier_get_count(PyObject *self, void *Py_UNUSED(closure))
{
    return PyLong_FromLong(((BarrierObject *)self)->count);
}

static PyObject *
barrier_get_state(PyObject *self, void *Py_UNUSED(closure))
{
    PyObject *locks = PyImport_ImportModule("asyncio.locks");
    if (locks == NULL) {
        return NULL;
    }
    PyObject *enum_type = PyObject_GetAttrString(locks, "_BarrierState");
    Py_DECREF(locks);
    if (enum_type == NULL) {
        return NULL;
    }
    PyObject *value = PyUnicode_FromString(state_names[((BarrierObject *)self)->state]);
    PyObject *r = value ? PyObject_CallOneArg(enum_type, value) : NULL;
    Py_XDECREF(value);
    Py_DECREF(enum_type);
    return r;
}

static PyObject *
barrier_repr(PyObject *op)
{
    BarrierObject *self = (BarrierObject *)op;
    PyObject *extra;
    if (self->state == B_BROKEN) {
        extra = PyUnicode_FromString(state_names[self->state]);
    }
    else {
        extra = PyUnicode_FromFormat("%s, waiters:%zd/%S", state_names[self->state],
                                     n_waiting(self), self->parties);
    }
    return al_repr(op, extra);
}

static PyObject *
barrier_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    AlState *st = al_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    BarrierObject *self = (BarrierObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->parties = PyLong_FromLong(1);
    self->cond = cond_new_internal(st);
    if (self->cond == NULL || self->parties == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
barrier_init(PyObject *op, PyObject *args, PyObject *kwds)
{
    BarrierObject *self = (BarrierObject *)op;
    PyObject *obj;
    if (al_parse_init(op, "Barrier", args, kwds, "parties", 1, &obj) < 0) {
        return -1;
    }
    PyObject *one = PyLong_FromLong(1);
    if (one == NULL) {
        return -1;
    }
    int small = PyObject_RichCompareBool(obj, one, Py_LT);
    Py_DECREF(one);
    if (small < 0) {
        return -1;
    }
    if (small) {
        /* The running stdlib's message (3.13.0 says "> 0", 3.13.18 and 3.14+
         * ">= 1"), learnt at import time. */
        AlState *st = al_state_fast(op);
        if (st == NULL) {
            return -1;
        }
        if (st->barrier_msg != NULL) {
            PyErr_SetObject(PyExc_ValueError, st->barrier_msg);
        }
        else {
            PyErr_SetString(PyExc_ValueError, "parties must be > 0");
        }
        return -1;
    }
    Py_XSETREF(self->parties, Py_NewRef(obj));
    self->state = B_FILLING;
    self->count = 0;
    return 0;
}

static int
barrier_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((BarrierObject *)self)->cond);
    Py_VISIT(((BarrierObject *)self)->parties);
    return al_dict_traverse(self, visit, arg);
}

/* tp_clear keeps the condition and parties, so that no method ever sees
 * NULL: the internal Condition and Lock break cycles through them. */
static int
barrier_clear(PyObject *self)
{
    al_dict_clear(self);
    return 0;
}

static void
barrier_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    BarrierObject *b = (BarrierObject *)self;
    PyObject_GC_UnTrack(self);
    PyObject_ClearWeakRefs(self);
    (void)tp->tp_clear(self);
    Py_CLEAR(b->cond);
    Py_CLEAR(b->parties);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
barrier_reduce(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    BarrierObject *self = (BarrierObject *)op;
    return al_reduce(op, Py_BuildValue("(O)", self->parties),
                     Py_BuildValue("(ii)", self->state, self->count));
}

static PyObject *
barrier_setstate(PyObject *op, PyObject *state)
{
    BarrierObject *self = (BarrierObject *)op;
    PyObject *inner = al_setstate_dict(op, state);
    int st;
    int count;
    if (inner == NULL) {
        return NULL;
    }
    int ok = PyArg_ParseTuple(inner, "ii", &st, &count);
    Py_DECREF(inner);
    if (!ok) {
        return NULL;
    }
    if (st < B_FILLING || st > B_BROKEN || count < 0) {
        PyErr_SetString(PyExc_ValueError, "invalid Barrier state");
        return NULL;
    }
    self->state = st;
    self->count = count;
    Py_RETURN_NONE;
}

static PyMethodDef barrier_methods[] = {
    { "wait", CMETH(barrier_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nWait until `parties` tasks wait (a coroutine); return this "
                "task's index, 0 to parties-1.\n\nBrokenBarrierError if the barrier is broken "
                "or reset while waiting.") },
    { "reset", CMETH(barrier_reset), METH_CM,
      PyDoc_STR("reset($self)\n--\n\nReturn the barrier to its empty state (a coroutine); tasks "
                "waiting get BrokenBarrierError.") },
    { "abort", CMETH(barrier_abort), METH_CM,
      PyDoc_STR("abort($self)\n--\n\nPut the barrier into the broken state (a coroutine).") },
    { "__aenter__", CMETH(barrier_aenter), METH_CM,
      PyDoc_STR("__aenter__($self)\n--\n\nAwait wait(); return its index.") },
    { "__aexit__", CMETH(barrier_aexit), METH_CM,
      PyDoc_STR("__aexit__($self, *args)\n--\n\nDo nothing.") },
    { "__reduce__", barrier_reduce, METH_NOARGS, NULL },
    { "__setstate__", barrier_setstate, METH_O, NULL },
    { NULL, NULL, 0, NULL },
};

static PyObject *
barrier_get_dict(PyObject *self, void *Py_UNUSED(closure))
{
    return al_get_dict_flag(self, &((BarrierObject *)self)->shadowed);
}

static int
barrier_set_dict(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    return al_set_dict_flag(self, value, &((BarrierObject *)self)->shadowed);
}

static PyGetSetDef barrier_getset[] = {
    { "parties", barrier_get_parties, NULL,
      PyDoc_STR("Number of tasks required to trip the barrier."), NULL },
    { "n_waiting", barrier_get_n_waiting, NULL,
      PyDoc_STR("Number of tasks waiting while the barrier fills."), NULL },
    { "broken", barrier_get_broken, NULL, PyDoc_STR("True if the barrier is broken."), NULL },
    { "__dict__", barrier_get_dict, barrier_set_dict, NULL, NULL },
    { "_cond", barrier_get_cond, NULL, NULL, NULL },
    { "_parties", barrier_get_parties, NULL, NULL, NULL },
    { "_count", barrier_get_count, NULL, NULL, NULL },
    { "_state", barrier_get_state, NULL, NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static int
barrier_setattro(PyObject *self, PyObject *name, PyObject *value)
{
    return al_setattro_flag(self, name, value, &((BarrierObject *)self)->shadowed);
}

static PyType_Slot barrier_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("Barrier(parties)\n--\n\nA barrier for a fixed number of "
                                   "asyncio tasks, behaving as asyncio.Barrier.\n\nValueError if "
                                   "parties < 1.") },
    { Py_tp_new, barrier_new },
    { Py_tp_init, barrier_init },
    { Py_tp_dealloc, barrier_dealloc },
    { Py_tp_traverse, barrier_traverse },
    { Py_tp_clear, barrier_clear },
    { Py_tp_repr, barrier_repr },
    { Py_tp_methods, barrier_methods },
    { Py_tp_getset, barrier_getset },
    { Py_tp_setattro, barrier_setattro },
    { 0, NULL },
};

PyType_Spec al_barrier_spec = {
    .name = "asynclocks.Barrier",
    .basicsize = sizeof(BarrierObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = barrier_slots,
};
