/* ThreadSafeEvent: set() from any thread or a signal handler sets the flag
 * and wakes every waiting task of any loop and every thread blocked in
 * wait_sync(). The protocol is tswait.c's. */
#include "tsevent.h"

#include "args.h"
#include "awaitable.h"
#include "repr.h"
#include "tswait.h"

/* Body of ThreadSafeEvent.wait(): the flag stays set. */
static AwStep
tse_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    if (aw->state == 0) {
        return tsw_wait_begin(aw, 0, result);
    }
    return tsw_wait_end(aw, 0, value, result);
}

static PyObject *
tse_wait_sync(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    TsObject *self = (TsObject *)op;
    PyObject *timeout;
    if (al_parse_one_arg("ThreadSafeEvent.wait_sync", "timeout", 0, args, nargs, kwnames,
                         &timeout) < 0) {
        return NULL;
    }
    int blocking = 1;
    double secs = -1.0;
    if (timeout != NULL && timeout != Py_None) {
        /* As threading.Condition.wait: a positive timeout blocks, others
         * poll. NaN is neither: it polls where threading tests
         * `timeout > 0`, and is rejected where it tests `timeout <= 0`
         * (3.14+; probed at import, see ts_probe_nan). */
        PyObject *zero = PyLong_FromLong(0);
        if (zero == NULL) {
            return NULL;
        }
        int nonpos = PyObject_RichCompareBool(timeout, zero, Py_LE);
        blocking = nonpos < 0 ? -1 : PyObject_RichCompareBool(timeout, zero, Py_GT);
        Py_DECREF(zero);
        if (blocking < 0) {
            return NULL;
        }
        if (!nonpos && !blocking && self->st->ts_nan_raises) {
            PyErr_SetString(PyExc_ValueError, "Invalid value NaN (not a number)");
            return NULL;
        }
        if (blocking) {
            secs = PyFloat_AsDouble(timeout);
            if (secs == -1.0 && PyErr_Occurred()) {
                return NULL;
            }
            if (!(secs * 1e6 < (double)PY_TIMEOUT_MAX)) {
                PyErr_SetString(PyExc_OverflowError, "timeout value is too large");
                return NULL;
            }
        }
    }
    if (blocking) {
        PyObject *loop = PyObject_CallNoArgs(self->st->get_running_loop);
        if (loop == NULL) {
            return NULL;
        }
        int running = loop != Py_None;
        Py_DECREF(loop);
        if (running) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s.wait_sync() would block the event loop running in this thread; "
                         "use 'await ev.wait()' in a coroutine (or wait_sync(timeout=0) to poll)",
                         al_short_name(Py_TYPE(op)));
            return NULL;
        }
    }
    TS_LOCK(self);
    int flag = self->flag;
    TS_UNLOCK(self);
    if (flag || !blocking) {
        return PyBool_FromLong(flag);
    }
    int r = tsw_block(self, secs);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

static PyObject *
tse_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeEvent.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(((TsObject *)self)->st, self, tse_wait_step, "ThreadSafeEvent.wait", Py_True);
}

static PyObject *
tse_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeEvent.set", nargs, kwnames) < 0) {
        return NULL;
    }
    if (tsw_set_all((TsObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
tse_clear(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return tsw_clear(self, "ThreadSafeEvent.clear", nargs, kwnames);
}

static PyObject *
tse_is_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return tsw_is_set(self, "ThreadSafeEvent.is_set", nargs, kwnames);
}

static PyMethodDef tse_methods[] = {
    { "wait", CMETH(tse_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nWait until the flag is set (a coroutine); return True.") },
    { "wait_sync", CMETH(tse_wait_sync), METH_CM,
      PyDoc_STR(
        "wait_sync($self, timeout=None)\n--\n\nBlock the calling thread until the flag is set "
        "or the timeout (seconds) passes; return the flag, as threading.Event.wait.") },
    { "set", CMETH(tse_set), METH_CM,
      PyDoc_STR("set($self)\n--\n\nSet the flag and wake every waiting task and thread. Callable "
                "from any thread and from signal handlers.") },
    { "clear", CMETH(tse_clear), METH_CM, PyDoc_STR("clear($self)\n--\n\nReset the flag.") },
    { "is_set", CMETH(tse_is_set), METH_CM,
      PyDoc_STR("is_set($self)\n--\n\nReturn True if the flag is set.") },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot tse_slots[] = {
    { Py_tp_doc,
      (void *)PyDoc_STR("ThreadSafeEvent()\n--\n\nAn event that threads and signal handlers set, "
                        "waking asyncio tasks of any loop (await wait()) and threads "
                        "(wait_sync()).") },
    { Py_tp_new, tsw_new },
    { Py_tp_init, tsw_init },
    { Py_tp_dealloc, tsw_dealloc },
    { Py_tp_traverse, tsw_traverse },
    { Py_tp_repr, tsw_repr },
    { Py_tp_methods, tse_methods },
    { Py_tp_members, tsw_members },
    { 0, NULL },
};

PyType_Spec al_tsevent_spec = {
    .name = "asynclocks._core.ThreadSafeEvent",
    .basicsize = sizeof(TsObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = tse_slots,
};
