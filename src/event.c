/* asyncio.Event in C. */
#include "event.h"

#include "args.h"
#include "awaitable.h"
#include "future.h"
#include "repr.h"
#include "waitbase.h"
#include "waitq.h"

/* Body of Event.wait(). */
static AwStep
event_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    EventObject *self = (EventObject *)aw->owner;
    AlState *st = aw->st;
    if (aw->state == 0) {
        if (self->value) {
            *result = Py_NewRef(Py_True);
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
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_True);
    return AW_RETURN;
}

static PyObject *
event_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Event.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(WB_STATE(self), self, event_wait_step, "Event.wait", Py_True);
}

static PyObject *
event_set(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    EventObject *self = (EventObject *)op;
    AlState *st = WB_STATE(op);
    if (al_no_args("Event.set", nargs, kwnames) < 0) {
        return NULL;
    }
    if (self->value) {
        Py_RETURN_NONE;
    }
    self->value = 1;
    /* `for fut in self._waiters`, as the stdlib: if done()/set_result() run
     * Python code that adds or removes waiters, the deque's iterator raises
     * RuntimeError, as the stdlib's loop does. */
    PyObject *it = wq_iter(self->waiters);
    if (it == NULL) {
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    PyObject *fut;
    while ((fut = PyIter_Next(it)) != NULL) {
        int rc = al_fut_set_result_if_pending(st, fut, Py_True);
        Py_DECREF(fut);
        if (rc < 0) {
            Py_DECREF(it);
            return NULL;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
}

static PyObject *
event_clear(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Event.clear", nargs, kwnames) < 0) {
        return NULL;
    }
    ((EventObject *)self)->value = 0;
    Py_RETURN_NONE;
}

static PyObject *
event_is_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Event.is_set", nargs, kwnames) < 0) {
        return NULL;
    }
    return PyBool_FromLong(((EventObject *)self)->value);
}

static PyObject *
event_repr(PyObject *self)
{
    EventObject *ev = (EventObject *)self;
    return al_state_repr(self, ev->value ? "set" : "unset", wq_len(ev->waiters));
}

static PyObject *
event_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return al_reduce_flag(self, ((EventObject *)self)->value);
}

static PyObject *
event_setstate(PyObject *self, PyObject *state)
{
    return al_setstate_flag(self, state, &((EventObject *)self)->value);
}

static int
event_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *unused;
    if (al_parse_init(self, "Event", args, kwds, NULL, 0, &unused) < 0) {
        return -1;
    }
    ((EventObject *)self)->value = 0;
    return 0;
}

static PyObject *
event_get_value(PyObject *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(((EventObject *)self)->value);
}

/* `ev._value = x` stores bool(x). */
static int
event_set_value(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    return al_set_flag_attr(value, "_value", &((EventObject *)self)->value);
}

static PyGetSetDef event_getset[] = {
    WB_GETSET_DICT,
    WB_GETSET_LOOP,
    WB_GETSET_WAITERS(eager),
    { "_value", event_get_value, event_set_value, NULL, NULL },
    WB_GETSET_END,
};

static PyMethodDef event_methods[] = {
    { "wait", CMETH(event_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nWait until the flag is true (a coroutine); return True.") },
    { "set", CMETH(event_set), METH_CM,
      PyDoc_STR("set($self)\n--\n\nSet the flag and wake every waiter.") },
    { "clear", CMETH(event_clear), METH_CM,
      PyDoc_STR("clear($self)\n--\n\nReset the flag to false.") },
    { "is_set", CMETH(event_is_set), METH_CM,
      PyDoc_STR("is_set($self)\n--\n\nReturn True if the flag is true.") },
    { "__reduce__", event_reduce, METH_NOARGS, NULL },
    { "__setstate__", event_setstate, METH_O, NULL },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot event_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("Event()\n--\n\nAn event flag for asyncio tasks, behaving as "
                                   "asyncio.Event.\n\nwait() blocks until set() makes the flag "
                                   "true; clear() resets it.") },
    { Py_tp_new, wb_new },
    { Py_tp_init, event_init },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, wb_traverse },
    { Py_tp_clear, wb_clear },
    { Py_tp_repr, event_repr },
    { Py_tp_methods, event_methods },
    { Py_tp_getset, event_getset },
    { Py_tp_setattro, wb_setattro },
    { 0, NULL },
};

PyType_Spec al_event_spec = {
    .name = "asynclocks.Event",
    .basicsize = sizeof(EventObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = event_slots,
};
