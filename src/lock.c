/* asyncio.Lock in C. */
#include "lock.h"

#include "args.h"
#include "awaitable.h"
#include "exceptions.h"
#include "future.h"
#include "repr.h"
#include "waitbase.h"
#include "waitq.h"

/* Ensure the first waiter will wake up (stdlib Lock._wake_up_first).
 * 0 or -1. Beware: set_result() schedules callbacks through the loop, which
 * can run Python code. */
static int
lock_wake_up_first(AlState *st, LockObject *self)
{
    if (wq_len(self->waiters) == 0) {
        return 0;
    }
    PyObject *fut = wq_item(self->waiters, 0);
    if (fut == NULL) {
        return -1;
    }
    int rc = al_fut_set_result_if_pending(st, fut, Py_True);
    Py_DECREF(fut);
    return rc < 0 ? -1 : 0;
}

int
lock_release_impl(AlState *st, LockObject *self)
{
    if (!self->locked) {
        PyErr_SetString(PyExc_RuntimeError, "Lock is not acquired.");
        return -1;
    }
    self->locked = 0;
    return lock_wake_up_first(st, self);
}

/* Body of Lock.acquire(); aw->ret is what it returns (True, or None for
 * __aenter__). */
static AwStep
lock_acquire_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    LockObject *self = (LockObject *)aw->owner;
    AlState *st = aw->st;

    if (aw->state == 0) {
        if (!self->locked) {
            int free = 1;
            if (wq_len(self->waiters) > 0) {
                free = wq_all_cancelled(st, self->waiters);
                if (free < 0) {
                    return AW_ERROR;
                }
            }
            if (free) {
                self->locked = 1;
                *result = Py_NewRef(aw->ret);
                return AW_RETURN;
            }
        }
        PyObject *fut = wq_new_waiter(st, aw->owner, &self->waiters);
        if (fut == NULL) {
            return AW_ERROR;
        }
        Py_XSETREF(aw->fut, fut);
        aw->state = 1;
        return AW_AWAIT_FUT;
    }

    /* Resumed from `await fut`: the finally clause, then the except. */
    assert(aw->state == 1 && aw->fut != NULL);
    (void)wq_remove(self->waiters, aw->fut);
    if (value == NULL) {
        if (PyErr_ExceptionMatches(st->CancelledError) && !self->locked) {
            PyObject *exc = al_fetch_exc();
            if (lock_wake_up_first(st, self) < 0) {
                al_chain_context(exc);
                return AW_ERROR;
            }
            al_restore_exc(exc);
        }
        return AW_ERROR;
    }
    self->locked = 1;
    *result = Py_NewRef(aw->ret);
    return AW_RETURN;
}

PyObject *
lock_acquire_aw(AlState *st, PyObject *lock, PyObject *ret)
{
    return aw_new(st, lock, lock_acquire_step, "Lock.acquire", ret);
}

static AwStep
lock_aexit_step(AlAwaitable *aw, PyObject *Py_UNUSED(value), PyObject **result)
{
    if (lock_release_impl(aw->st, (LockObject *)aw->owner) < 0) {
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

/* ------------------------------------------------------------------ */
/* Methods. */

static PyObject *
lock_acquire(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Lock.acquire", nargs, kwnames) < 0) {
        return NULL;
    }
    return lock_acquire_aw(WB_STATE(self), self, Py_True);
}

static PyObject *
lock_release(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    LockObject *lk = (LockObject *)self;
    if (nargs == 0 && kwnames == NULL && lk->locked && wq_len(lk->waiters) == 0) {
        /* Nobody waits: lock_release_impl's whole effect. */
        lk->locked = 0;
        Py_RETURN_NONE;
    }
    if (al_no_args("Lock.release", nargs, kwnames) < 0 ||
        lock_release_impl(WB_STATE(self), (LockObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
lock_locked(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Lock.locked", nargs, kwnames) < 0) {
        return NULL;
    }
    return PyBool_FromLong(((LockObject *)self)->locked);
}

static PyObject *
lock_aenter(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    if (al_no_args("_ContextManagerMixin.__aenter__", nargs, kwnames) < 0) {
        return NULL;
    }
    if (WB_PLAIN(self, st->Lock_Type)) {
        return lock_acquire_aw(st, self, Py_None);
    }
    return al_aenter_acquire(st, self, "_ContextManagerMixin.__aenter__");
}

static PyObject *
lock_aexit(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    if (al_check_aexit_args(args, nargs, kwnames) < 0) {
        return NULL;
    }
    if (WB_PLAIN(self, st->Lock_Type)) {
        return aw_new(st, self, lock_aexit_step, "_ContextManagerMixin.__aexit__", Py_None);
    }
    return al_aexit_release(st, self, "_ContextManagerMixin.__aexit__");
}

static PyObject *
lock_repr(PyObject *self)
{
    LockObject *lk = (LockObject *)self;
    return al_state_repr(self, lk->locked ? "locked" : "unlocked", wq_len(lk->waiters));
}

static PyObject *
lock_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return al_reduce_flag(self, ((LockObject *)self)->locked);
}

static PyObject *
lock_setstate(PyObject *self, PyObject *state)
{
    return al_setstate_flag(self, state, &((LockObject *)self)->locked);
}

static int
lock_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *unused;
    if (al_parse_init(self, "Lock", args, kwds, NULL, 0, &unused) < 0) {
        return -1;
    }
    ((LockObject *)self)->locked = 0;
    return 0;
}

static PyObject *
lock_get_locked(PyObject *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(((LockObject *)self)->locked);
}

/* `lock._locked = x` stores bool(x), what every later step reads. */
static int
lock_set_locked(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    return al_set_flag_attr(value, "_locked", &((LockObject *)self)->locked);
}

static PyGetSetDef lock_getset[] = {
    WB_GETSET_DICT,          WB_GETSET_LOOP,
    WB_GETSET_WAITERS(lazy), { "_locked", lock_get_locked, lock_set_locked, NULL, NULL },
    WB_GETSET_END,
};

static PyMethodDef lock_methods[] = {
    { "acquire", CMETH(lock_acquire), METH_CM,
      PyDoc_STR("acquire($self)\n--\n\nAcquire the lock (a coroutine).\n\nWaits until the lock is "
                "unlocked, sets it to locked and returns True.") },
    { "release", CMETH(lock_release), METH_CM,
      PyDoc_STR("release($self)\n--\n\nRelease the lock and let the first waiter, if any, proceed."
                "\n\nRaises RuntimeError if the lock is not locked.") },
    { "locked", CMETH(lock_locked), METH_CM,
      PyDoc_STR("locked($self)\n--\n\nReturn True if the lock is acquired.") },
    { "__aenter__", CMETH(lock_aenter), METH_CM,
      PyDoc_STR("__aenter__($self)\n--\n\nAwait acquire(); return None.") },
    { "__aexit__", CMETH(lock_aexit), METH_CM,
      PyDoc_STR("__aexit__($self, exc_type, exc, tb)\n--\n\nCall release().") },
    { "__reduce__", lock_reduce, METH_NOARGS, NULL },
    { "__setstate__", lock_setstate, METH_O, NULL },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot lock_slots[] = {
    { Py_tp_doc,
      (void *)PyDoc_STR("Lock()\n--\n\nA mutual-exclusion lock for asyncio tasks, behaving as "
                        "asyncio.Lock.\n\nacquire() is a coroutine; `async with lock:` acquires "
                        "and releases it. Waiters are served in FIFO order.") },
    { Py_tp_new, wb_new },
    { Py_tp_init, lock_init },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, wb_traverse },
    { Py_tp_clear, wb_clear },
    { Py_tp_repr, lock_repr },
    { Py_tp_methods, lock_methods },
    { Py_tp_getset, lock_getset },
    { Py_tp_setattro, wb_setattro },
    { 0, NULL },
};

PyType_Spec al_lock_spec = {
    .name = "asynclocks.Lock",
    .basicsize = sizeof(LockObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = lock_slots,
};
