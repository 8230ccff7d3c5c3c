/* ThreadSafeFlag: each set() releases one waiting task of any loop, or
 * leaves the flag set for the next wait() to take; set() from any thread
 * or a signal handler. The protocol is tswait.c's. */
#include "tsflag.h"

#include "args.h"
#include "awaitable.h"
#include "tswait.h"

/* Body of ThreadSafeFlag.wait(): takes (clears) the flag. */
static AwStep
tsf_wait_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    if (aw->state == 0) {
        return tsw_wait_begin(aw, 1, result);
    }
    return tsw_wait_end(aw, 1, value, result);
}

static PyObject *
tsf_wait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeFlag.wait", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(((TsObject *)self)->st, self, tsf_wait_step, "ThreadSafeFlag.wait", Py_None);
}

static PyObject *
tsf_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("ThreadSafeFlag.set", nargs, kwnames) < 0) {
        return NULL;
    }
    if (tsw_set_one((TsObject *)self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
tsf_clear(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return tsw_clear(self, "ThreadSafeFlag.clear", nargs, kwnames);
}

static PyObject *
tsf_is_set(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return tsw_is_set(self, "ThreadSafeFlag.is_set", nargs, kwnames);
}

static PyMethodDef tsf_methods[] = {
    { "wait", CMETH(tsf_wait), METH_CM,
      PyDoc_STR("wait($self)\n--\n\nWait until the flag is set, then clear it (a coroutine); "
                "return None.") },
    { "set", CMETH(tsf_set), METH_CM,
      PyDoc_STR("set($self)\n--\n\nRelease the longest-waiting task, or set the flag when none "
                "waits. Callable from any thread and from signal handlers.") },
    { "clear", CMETH(tsf_clear), METH_CM, PyDoc_STR("clear($self)\n--\n\nReset the flag.") },
    { "is_set", CMETH(tsf_is_set), METH_CM,
      PyDoc_STR("is_set($self)\n--\n\nReturn True if the flag is set.") },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot tsf_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR(
                   "ThreadSafeFlag()\n--\n\nA flag that threads and signal handlers set and "
                   "asyncio tasks of any loop wait for.\n\nEach set() releases one waiting task "
                   "(the longest-waiting); with no waiter the flag stays set until a wait() "
                   "takes it.") },
    { Py_tp_new, tsw_new },
    { Py_tp_init, tsw_init },
    { Py_tp_dealloc, tsw_dealloc },
    { Py_tp_traverse, tsw_traverse },
    { Py_tp_repr, tsw_repr },
    { Py_tp_methods, tsf_methods },
    { Py_tp_members, tsw_members },
    { 0, NULL },
};

PyType_Spec al_tsflag_spec = {
    .name = "asynclocks._core.ThreadSafeFlag",
    .basicsize = sizeof(TsObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = tsf_slots,
};
