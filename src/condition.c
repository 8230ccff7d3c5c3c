/* asyncio.Condition in C.
 *
 * As in the stdlib, locked(), acquire() and release() are the lock's, and
 * __aenter__/__aexit__/wait() go through the lock's own methods; the C path
 * is taken only for our exact Lock, any other lock object is called through
 * its Python methods (an asyncio.Lock works). */
#include "condition.h"

#include "args.h"
#include "awaitable.h"
#include "calls.h"
#include "exceptions.h"
#include "future.h"
#include "lock.h"
#include "repr.h"
#include "waitbase.h"
#include "waitq.h"

static int
is_our_lock(AlState *st, PyObject *lock)
{
    return WB_PLAIN(lock, st->Lock_Type);
}

int
cond_locked(AlState *st, ConditionObject *self)
{
    if (is_our_lock(st, self->lock)) {
        return ((LockObject *)self->lock)->locked;
    }
    return al_call_bool(self->lock, st->str_locked);
}

int
cond_release(AlState *st, ConditionObject *self)
{
    if (is_our_lock(st, self->lock)) {
        return lock_release_impl(st, (LockObject *)self->lock);
    }
    PyObject *r = al_call_method0(self->lock, st->str_release);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* lock.acquire() (new reference; an awaitable) with the given return value
 * for our own Lock. */
static PyObject *
cond_lock_acquire(AlState *st, ConditionObject *self, PyObject *ret)
{
    if (is_our_lock(st, self->lock)) {
        return lock_acquire_aw(st, self->lock, ret);
    }
    return al_call_method0(self->lock, st->str_acquire);
}

/* Condition._notify(n) with n a C integer: wake up to n waiters that are
 * not done, in FIFO order. 0 or -1. */
int
cond_notify_n(AlState *st, ConditionObject *self, Py_ssize_t n)
{
    Py_ssize_t idx = 0;
    /* `for fut in self._waiters`, as the stdlib: Python code run by
     * done()/set_result() that changes the deque makes its iterator raise
     * RuntimeError, as there. */
    PyObject *it = wq_iter(self->waiters);
    if (it == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *fut;
    while (idx < n && (fut = PyIter_Next(it)) != NULL) {
        int done = al_fut_done(st, fut);
        if (done == 0) {
            idx++;
            done = al_fut_set_result(st, fut, Py_False);
        }
        Py_DECREF(fut);
        if (done < 0) {
            Py_DECREF(it);
            return -1;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

int
cond_check_locked(AlState *st, ConditionObject *self)
{
    int locked = cond_locked(st, self);
    if (locked == 0) {
        PyErr_SetString(PyExc_RuntimeError, "cannot notify on un-acquired lock");
    }
    return locked > 0 ? 0 : -1;
}

/* Condition._notify(n) for any object n, compared as the stdlib does
 * (`idx >= n`, only when there is a waiter to look at). 0 or -1. */
static int
cond_notify_obj(AlState *st, ConditionObject *self, PyObject *n)
{
    if (PyLong_CheckExact(n)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(n, &overflow);
        if (v == -1 && PyErr_Occurred()) {
            return -1;
        }
        Py_ssize_t c = overflow > 0         ? PY_SSIZE_T_MAX
                       : overflow < 0       ? 0
                       : v < 0              ? 0
                       : v > PY_SSIZE_T_MAX ? PY_SSIZE_T_MAX
                                            : (Py_ssize_t)v;
        return cond_notify_n(st, self, c);
    }
    Py_ssize_t idx = 0;
    for (Py_ssize_t i = 0; i < wq_len(self->waiters); i++) {
        PyObject *pidx = PyLong_FromSsize_t(idx);
        if (pidx == NULL) {
            return -1;
        }
        int stop = PyObject_RichCompareBool(pidx, n, Py_GE);
        Py_DECREF(pidx);
        if (stop < 0) {
            return -1;
        }
        if (stop || i >= wq_len(self->waiters)) {
            break;
        }
        PyObject *fut = wq_item(self->waiters, i);
        if (fut == NULL) {
            return -1;
        }
        int done = al_fut_done(st, fut);
        if (done == 0) {
            idx++;
            done = al_fut_set_result(st, fut, Py_False);
        }
        Py_DECREF(fut);
        if (done < 0) {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Condition.wait() as a state machine. */

enum { CW_START = 0, CW_WAIT = 1, CW_REACQUIRE = 2 };

/* Leave wait() with the current exception; 3.13 first passes a possibly
 * consumed notification on to another waiter (gh-112202). */
static AwStep
cond_wait_fail(AlAwaitable *aw)
{
#if AL_PY313
    AlState *st = aw->st;
    PyObject *exc = al_fetch_exc();
    if (cond_notify_n(st, (ConditionObject *)aw->owner, 1) < 0) {
        al_chain_context(exc);
    }
    else {
        al_restore_exc(exc);
    }
#else
    (void)aw;
#endif
    return AW_ERROR;
}

/* Start (another) `await self.acquire()` of the re-acquire loop. */
static AwStep
cond_wait_reacquire(AlAwaitable *aw)
{
    AlState *st = aw->st;
    aw->state = CW_REACQUIRE;
    AwStep s = aw_await(aw, cond_lock_acquire(st, (ConditionObject *)aw->owner, Py_True));
    if (s == AW_ERROR) {
        /* An error other than CancelledError leaves the loop and replaces
         * the exception in flight. */
        al_chain_context(aw->err);
        aw->err = NULL;
        return cond_wait_fail(aw);
    }
    return s;
}

static AwStep
cond_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    ConditionObject *self = (ConditionObject *)aw->owner;
    AlState *st = aw->st;

    switch (aw->state) {
    case CW_START: {
        int locked = cond_locked(st, self);
        if (locked < 0) {
            return AW_ERROR;
        }
        if (!locked) {
            PyErr_SetString(PyExc_RuntimeError, "cannot wait on un-acquired lock");
            return AW_ERROR;
        }
#if AL_PY313
        /* fut = self._get_loop().create_future(); self.release() */
        PyObject *fut = wq_new_future(st, aw->owner, &self->waiters);
        if (fut == NULL) {
            return AW_ERROR;
        }
        Py_XSETREF(aw->fut, fut);
        if (cond_release(st, self) < 0) {
            return AW_ERROR;
        }
        if (wq_append(&self->waiters, aw->fut) < 0) {
            aw->err = al_fetch_exc();
            return cond_wait_reacquire(aw);
        }
#else
        /* self.release(); then, inside the try: create and append. */
        if (cond_release(st, self) < 0) {
            return AW_ERROR;
        }
        PyObject *fut = wq_new_waiter(st, aw->owner, &self->waiters);
        if (fut == NULL) {
            aw->err = al_fetch_exc();
            return cond_wait_reacquire(aw);
        }
        Py_XSETREF(aw->fut, fut);
#endif
        aw->state = CW_WAIT;
        return AW_AWAIT_FUT;
    }
    case CW_WAIT:
        assert(aw->fut != NULL);
        (void)wq_remove(self->waiters, aw->fut);
        Py_CLEAR(aw->fut);
        if (value == NULL) {
            aw->err = al_fetch_exc();
        }
        return cond_wait_reacquire(aw);
    case CW_REACQUIRE:
        if (value == NULL) {
            if (!PyErr_ExceptionMatches(st->CancelledError)) {
                al_chain_context(aw->err);
                aw->err = NULL;
                return cond_wait_fail(aw);
            }
            /* Remember the cancellation (3.13 keeps the instance) and
             * try again: the lock must be re-acquired. */
            PyObject *exc = al_fetch_exc();
#if AL_PY313
            Py_XSETREF(aw->arg, exc);
#else
            Py_DECREF(exc);
            aw->u.cancelled = 1;
#endif
            return cond_wait_reacquire(aw);
        }
#if AL_PY313
        if (aw->arg != NULL) {
            PyObject *err = aw->arg;
            aw->arg = NULL;
            al_restore_exc(err);
            al_chain_context(aw->err);
            aw->err = NULL;
            return cond_wait_fail(aw);
        }
#else
        if (aw->u.cancelled) {
            PyErr_SetNone(st->CancelledError);
            al_chain_context(aw->err);
            aw->err = NULL;
            return AW_ERROR;
        }
#endif
        if (aw->err != NULL) {
            al_restore_exc(aw->err);
            aw->err = NULL;
            return cond_wait_fail(aw);
        }
        *result = Py_NewRef(Py_True);
        return AW_RETURN;
    }
    PyErr_SetString(PyExc_SystemError, "Condition.wait: bad state");
    return AW_ERROR;
}

PyObject *
cond_wait_aw(AlState *st, PyObject *cond)
{
    return aw_new(st, cond, cond_wait_step, "Condition.wait", Py_True);
}

/* Condition.wait_for(predicate); aw->arg is the predicate. */
static AwStep
cond_wait_for_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    AlState *st = aw->st;
    if (aw->state != 0 && value == NULL) {
        return AW_ERROR;
    }
    aw->state = 1;
    PyObject *r = PyObject_CallNoArgs(aw->arg);
    if (r == NULL) {
        return AW_ERROR;
    }
    int t = PyObject_IsTrue(r);
    if (t != 0) {
        if (t < 0) {
            Py_DECREF(r);
            return AW_ERROR;
        }
        *result = r;
        return AW_RETURN;
    }
    Py_DECREF(r);
    if (WB_PLAIN(aw->owner, st->Condition_Type)) {
        return aw_await(aw, cond_wait_aw(st, aw->owner));
    }
    return aw_await_method(aw, aw->owner, st->str_wait);
}

/* ------------------------------------------------------------------ */
/* Methods. */

static PyObject *
cond_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Condition.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return cond_wait_aw(WB_STATE(self), self);
}

static PyObject *
cond_wait_for(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *pred;
    if (al_parse_one_arg("Condition.wait_for", "predicate", 1, args, nargs, kwnames, &pred) < 0) {
        return NULL;
    }
    PyObject *aw = aw_new(WB_STATE(self), self, cond_wait_for_step, "Condition.wait_for", NULL);
    if (aw != NULL) {
        ((AlAwaitable *)aw)->arg = Py_NewRef(pred);
    }
    return aw;
}

static PyObject *
cond_notify(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    ConditionObject *self = (ConditionObject *)op;
    AlState *st = WB_STATE(op);
    PyObject *n;
    if (al_parse_one_arg("Condition.notify", "n", 0, args, nargs, kwnames, &n) < 0) {
        return NULL;
    }
    if (cond_check_locked(st, self) < 0) {
        return NULL;
    }
    if ((n == NULL ? cond_notify_n(st, self, 1) : cond_notify_obj(st, self, n)) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
cond_notify_all(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    ConditionObject *self = (ConditionObject *)op;
    AlState *st = WB_STATE(op);
    if (al_no_args("Condition.notify_all", nargs, kwnames) < 0) {
        return NULL;
    }
    if (WB_PLAIN(op, st->Condition_Type)) {
        if (cond_check_locked(st, self) < 0 || cond_notify_n(st, self, wq_len(self->waiters)) < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    /* self.notify(len(self._waiters)) through a possible override. */
    PyObject *n = PyLong_FromSsize_t(wq_len(self->waiters));
    if (n == NULL) {
        return NULL;
    }
    PyObject *call[2] = { op, n };
    PyObject *r =
      PyObject_VectorcallMethod(st->str_notify, call, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(n);
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static PyObject *
cond_locked_meth(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs,
                 PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    ConditionObject *c = (ConditionObject *)self;
    if (is_our_lock(st, c->lock)) {
        if (al_no_args("Lock.locked", nargs, kwnames) < 0) {
            return NULL;
        }
        return PyBool_FromLong(((LockObject *)c->lock)->locked);
    }
    return PyObject_VectorcallMethod(st->str_locked, (PyObject *const[]){ c->lock },
                                     1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* cond.acquire(*args) / cond.release(*args): the lock's methods. */
static PyObject *
forward_to_lock(PyObject *self, PyObject *name, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    PyObject *meth = PyObject_GetAttr(((ConditionObject *)self)->lock, name);
    if (meth == NULL) {
        return NULL;
    }
    PyObject *r = PyObject_Vectorcall(meth, args, (size_t)nargs, kwnames);
    Py_DECREF(meth);
    return r;
}

static PyObject *
cond_acquire(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    ConditionObject *c = (ConditionObject *)self;
    if (is_our_lock(st, c->lock)) {
        if (al_no_args("Lock.acquire", nargs, kwnames) < 0) {
            return NULL;
        }
        return lock_acquire_aw(st, c->lock, Py_True);
    }
    return forward_to_lock(self, st->str_acquire, args, nargs, kwnames);
}

static PyObject *
cond_release_meth(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    ConditionObject *c = (ConditionObject *)self;
    if (is_our_lock(st, c->lock)) {
        if (al_no_args("Lock.release", nargs, kwnames) < 0 ||
            lock_release_impl(st, (LockObject *)c->lock) < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    return forward_to_lock(self, st->str_release, args, nargs, kwnames);
}

static AwStep
cond_aexit_step(AlAwaitable *aw, PyObject *Py_UNUSED(value), PyObject **result)
{
    AlState *st = aw->st;
    if (cond_release(st, (ConditionObject *)aw->owner) < 0) {
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

static AwStep
cond_aenter_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    AlState *st = aw->st;
    if (aw->state == 0) {
        aw->state = 1;
        return aw_await(aw, cond_lock_acquire(st, (ConditionObject *)aw->owner, Py_True));
    }
    if (value == NULL) {
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

static PyObject *
cond_aenter(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    ConditionObject *c = (ConditionObject *)self;
    if (al_no_args("_ContextManagerMixin.__aenter__", nargs, kwnames) < 0) {
        return NULL;
    }
    if (is_our_lock(st, c->lock)) {
        return lock_acquire_aw(st, c->lock, Py_None);
    }
    return aw_new(st, self, cond_aenter_step, "_ContextManagerMixin.__aenter__", Py_None);
}

static PyObject *
cond_aexit(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_check_aexit_args(args, nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(WB_STATE(self), self, cond_aexit_step, "_ContextManagerMixin.__aexit__", Py_None);
}

static PyObject *
cond_repr(PyObject *op)
{
    ConditionObject *self = (ConditionObject *)op;
    int locked = cond_locked(WB_STATE(op), self);
    if (locked < 0) {
        return NULL;
    }
    return al_state_repr(op, locked ? "locked" : "unlocked", wq_len(self->waiters));
}

/* Install `lock` (None: a new Lock); foreign locks must have the three
 * methods the stdlib reads in __init__. 0 or -1. */
static int
cond_set_lock(AlState *st, ConditionObject *self, PyObject *lock)
{
    if (lock == NULL || lock == Py_None) {
        lock = PyObject_CallNoArgs((PyObject *)st->Lock_Type);
        if (lock == NULL) {
            return -1;
        }
    }
    else {
        if (!is_our_lock(st, lock)) {
            PyObject *names[3] = { st->str_locked, st->str_acquire, st->str_release };
            for (int i = 0; i < 3; i++) {
                PyObject *m = PyObject_GetAttr(lock, names[i]);
                if (m == NULL) {
                    return -1;
                }
                Py_DECREF(m);
            }
        }
        Py_INCREF(lock);
    }
    Py_XSETREF(self->lock, lock);
    return 0;
}

PyObject *
cond_new_internal(AlState *st)
{
    return PyObject_CallNoArgs((PyObject *)st->Condition_Type);
}

static PyObject *
cond_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *self = wb_new(type, args, kwds);
    if (self != NULL && cond_set_lock(WB_STATE(self), (ConditionObject *)self, NULL) < 0) {
        Py_CLEAR(self);
    }
    return self;
}

static int
cond_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *lock;
    AlState *st = WB_STATE(self);
    if (al_parse_init(self, "Condition", args, kwds, "lock", 0, &lock) < 0) {
        return -1;
    }
    if (lock == NULL || lock == Py_None) {
        /* tp_new made a Lock; keep it while nobody else can have seen it
         * (indistinguishable from the new Lock the stdlib makes here). */
        LockObject *cur = (LockObject *)((ConditionObject *)self)->lock;
        if (cur != NULL && Py_IS_TYPE(cur, st->Lock_Type) && Py_REFCNT(cur) == 1 && !cur->locked &&
            cur->waiters == NULL) {
            return 0;
        }
    }
    return cond_set_lock(st, (ConditionObject *)self, lock);
}

static int
cond_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((ConditionObject *)self)->lock);
    return wb_traverse(self, visit, arg);
}

/* tp_clear leaves the lock in place, so that no method ever sees a NULL
 * lock: the lock's own tp_clear (or its __dict__'s) breaks any cycle
 * through it. */
static int
cond_clear(PyObject *self)
{
    return wb_clear(self);
}

static void
cond_dealloc(PyObject *self)
{
    PyObject *lock = ((ConditionObject *)self)->lock;
    ((ConditionObject *)self)->lock = NULL;
    wb_dealloc(self);
    Py_XDECREF(lock);
}

static PyObject *
cond_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return al_reduce(self, Py_BuildValue("(O)", ((ConditionObject *)self)->lock),
                     Py_NewRef(Py_None));
}

static PyObject *
cond_setstate(PyObject *self, PyObject *state)
{
    PyObject *inner = al_setstate_dict(self, state);
    if (inner == NULL) {
        return NULL;
    }
    Py_DECREF(inner);
    Py_RETURN_NONE;
}

static PyObject *
cond_get_lock(PyObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(((ConditionObject *)self)->lock);
}

static PyMethodDef cond_methods[] = {
    { "wait", CMETH(cond_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nRelease the lock, wait until notified, re-acquire the lock "
                "(a coroutine); return True.\n\nRuntimeError if the lock is not held. May "
                "return spuriously: re-check the state after it.") },
    { "wait_for", CMETH(cond_wait_for), METH_CM,
      PyDoc_STR("wait_for($self, predicate)\n--\n\nwait() until predicate() is true (a coroutine); "
                "return the predicate's last value.") },
    { "notify", CMETH(cond_notify), METH_CM,
      PyDoc_STR("notify($self, n=1)\n--\n\nWake up to n waiters. RuntimeError if the lock is not "
                "held.") },
    { "notify_all", CMETH(cond_notify_all), METH_CM,
      PyDoc_STR("notify_all($self)\n--\n\nWake up every waiter. RuntimeError if the lock is not "
                "held.") },
    { "locked", CMETH(cond_locked_meth), METH_CM,
      PyDoc_STR("locked($self)\n--\n\nThe underlying lock's locked().") },
    { "acquire", CMETH(cond_acquire), METH_CM,
      PyDoc_STR("acquire($self)\n--\n\nThe underlying lock's acquire() (a coroutine).") },
    { "release", CMETH(cond_release_meth), METH_CM,
      PyDoc_STR("release($self)\n--\n\nThe underlying lock's release().") },
    { "__aenter__", CMETH(cond_aenter), METH_CM,
      PyDoc_STR("__aenter__($self)\n--\n\nAwait the lock's acquire(); return None.") },
    { "__aexit__", CMETH(cond_aexit), METH_CM,
      PyDoc_STR("__aexit__($self, exc_type, exc, tb)\n--\n\nCall the lock's release().") },
    { "__reduce__", cond_reduce, METH_NOARGS, NULL },
    { "__setstate__", cond_setstate, METH_O, NULL },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef cond_getset[] = {
    WB_GETSET_DICT,
    WB_GETSET_LOOP,
    WB_GETSET_WAITERS(eager),
    { "_lock", cond_get_lock, NULL, PyDoc_STR("The underlying lock."), NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot cond_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("Condition(lock=None)\n--\n\nA condition variable for asyncio "
                                   "tasks, behaving as asyncio.Condition.\n\nWith no lock, a "
                                   "new Lock is made; any lock with acquire(), release() and "
                                   "locked() is accepted.") },
    { Py_tp_new, cond_new },
    { Py_tp_init, cond_init },
    { Py_tp_dealloc, cond_dealloc },
    { Py_tp_traverse, cond_traverse },
    { Py_tp_clear, cond_clear },
    { Py_tp_repr, cond_repr },
    { Py_tp_methods, cond_methods },
    { Py_tp_getset, cond_getset },
    { Py_tp_setattro, wb_setattro },
    { 0, NULL },
};

PyType_Spec al_condition_spec = {
    .name = "asynclocks.Condition",
    .basicsize = sizeof(ConditionObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = cond_slots,
};
