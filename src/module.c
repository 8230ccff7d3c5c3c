/* asynclocks._core: module definition and initialisation (multi-phase
 * init, one AlState per module object). module_exec runs three steps:
 * intern the strings; import from the stdlib and probe the interpreter;
 * create the types. */
#include "state.h"

#include "awaitable.h"
#include "barrier.h"
#include "condition.h"
#include "coromethod.h"
#include "event.h"
#include "lock.h"
#include "queue.h"
#include "semaphore.h"
#include "tsevent.h"
#include "tsflag.h"
#include "tsqueue.h"
#include "tswait.h"
#include "waitbase.h"

/* Check that asyncio's class `base` has an instance layout our types can
 * extend with AL_OBJECT_HEAD: no items, and nothing in the object beyond
 * PyObject_HEAD but __dict__ and __weakref__ slots. 0, or -1 with
 * ImportError. */
static int
check_base_layout(PyObject *base)
{
    PyTypeObject *b = (PyTypeObject *)base;
    int ok = PyType_Check(base) && b->tp_itemsize == 0 &&
             b->tp_basicsize <= (Py_ssize_t)sizeof(AlObjectHead) &&
             b->tp_dictoffset < (Py_ssize_t)sizeof(AlObjectHead) &&
             b->tp_weaklistoffset < (Py_ssize_t)sizeof(AlObjectHead);
    if (!ok) {
        PyErr_Format(PyExc_ImportError,
                     "asynclocks: the instance layout of %R on this interpreter is not one this "
                     "build can extend (basicsize %zd, dictoffset %zd, weaklistoffset %zd)",
                     base, PyType_Check(base) ? b->tp_basicsize : -1,
                     PyType_Check(base) ? b->tp_dictoffset : -1,
                     PyType_Check(base) ? b->tp_weaklistoffset : -1);
        return -1;
    }
    return 0;
}

/* Give `t` (just created, no instance yet) the AL_OBJECT_HEAD layout: the
 * __dict__ and __weakref__ pointers in the object, not managed before it as
 * the Python base's are (3.11+), and no inline attribute values (3.13+). */
static void
use_plain_layout(PyTypeObject *t)
{
    unsigned long managed = 0;
#ifdef Py_TPFLAGS_MANAGED_DICT
    managed |= Py_TPFLAGS_MANAGED_DICT;
#endif
#ifdef Py_TPFLAGS_MANAGED_WEAKREF
    managed |= Py_TPFLAGS_MANAGED_WEAKREF;
#endif
#ifdef Py_TPFLAGS_INLINE_VALUES
    managed |= Py_TPFLAGS_INLINE_VALUES;
#endif
    t->tp_flags &= ~managed;
    t->tp_dictoffset = offsetof(AlObjectHead, dict);
    t->tp_weaklistoffset = offsetof(AlObjectHead, weakreflist);
    PyType_Modified(t);
}

/* How add_type() treats a type. */
enum {
    AL_TYPE_EXPORT = 1,       /* add it to the module under its bare name */
    AL_TYPE_PLAIN_LAYOUT = 2, /* instances start with AL_OBJECT_HEAD (use_plain_layout) */
    AL_TYPE_METHODS = 4,      /* function-like methods (al_install_coroutine_methods) */
    AL_TYPE_PUBLIC = AL_TYPE_EXPORT | AL_TYPE_METHODS,
};

/* Create the type of `spec` with `bases` (a type, a tuple or NULL) and store
 * it in *slot. A public type's spec name is "<module>.<Name>" (its
 * __module__); tp_name is then trimmed to the bare class name, as asyncio's
 * classes' is, so that interpreter messages say 'Lock' (it points into the
 * same string), its methods become function-like (coromethod.c) and it is
 * exported. 0 or -1. */
static int
add_type(PyObject *module, PyType_Spec *spec, PyObject *bases, PyTypeObject **slot, int how)
{
    PyObject *tp = PyType_FromModuleAndSpec(module, spec, bases);
    if (tp == NULL) {
        return -1;
    }
    *slot = (PyTypeObject *)tp;
    PyTypeObject *t = (PyTypeObject *)tp;
    if (t->tp_basicsize != spec->basicsize) {
        PyErr_Format(PyExc_ImportError, "asynclocks: %s did not get its instance size", spec->name);
        return -1;
    }
    if (!(how & AL_TYPE_EXPORT)) {
        return 0;
    }
    const char *dot = strrchr(t->tp_name, '.');
    if (dot != NULL) {
        t->tp_name = dot + 1;
    }
    if (how & AL_TYPE_PLAIN_LAYOUT) {
        use_plain_layout(t);
        if (wb_share_empty_dict(PyModule_GetState(module), t) < 0) {
            return -1;
        }
    }
    if ((how & AL_TYPE_METHODS) &&
        al_install_coroutine_methods(PyModule_GetState(module), t, spec) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, t->tp_name, tp);
}

/* Cache asyncio's C Future type and its methods (see AlState). 0 or -1; the
 * cache stays empty, without error, when _asyncio or its Future is not an
 * immutable C type whose instance __dict__ sits at a fixed offset (3.10-3.12)
 * or is managed by the interpreter (3.13, seen through
 * PyObject_VisitManagedDict). */
static int
cache_cfuture(AlState *st)
{
    PyObject *mod = PyImport_ImportModule("_asyncio");
    if (mod == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_ImportError)) {
            return -1;
        }
        PyErr_Clear();
        return 0;
    }
    PyObject *tp = PyObject_GetAttrString(mod, "Future");
    Py_DECREF(mod);
    if (tp == NULL) {
        return -1;
    }
    int fixed_dict = PyType_Check(tp) && ((PyTypeObject *)tp)->tp_dictoffset > 0;
#if AL_PY313
    int managed_dict =
      PyType_Check(tp) && PyType_HasFeature((PyTypeObject *)tp, Py_TPFLAGS_MANAGED_DICT);
#else
    int managed_dict = 0;
#endif
    if (!PyType_Check(tp) || !PyType_HasFeature((PyTypeObject *)tp, Py_TPFLAGS_IMMUTABLETYPE) ||
        !(fixed_dict || managed_dict)) {
        Py_DECREF(tp);
        return 0;
    }
    st->fut_done = PyObject_GetAttr(tp, st->str_done);
    st->fut_cancelled = PyObject_GetAttr(tp, st->str_cancelled);
    st->fut_set_result = PyObject_GetAttr(tp, st->str_set_result);
    if (st->fut_done == NULL || st->fut_cancelled == NULL || st->fut_set_result == NULL) {
        Py_CLEAR(st->fut_done);
        Py_CLEAR(st->fut_cancelled);
        Py_CLEAR(st->fut_set_result);
        Py_DECREF(tp);
        return -1;
    }
    st->fut_dictoffset = fixed_dict ? ((PyTypeObject *)tp)->tp_dictoffset : -1;
    st->CFuture_Type = tp;
    return 0;
}

/* Part of step 2: run asynclocks._probe (the package's Python module that asks the
 * running interpreter and stdlib what they do where patch releases differ)
 * and keep what it decided. 0 or -1. */
static int
read_probe(AlState *st)
{
    PyObject *probe = PyImport_ImportModule("asynclocks._probe");
    if (probe == NULL) {
        return -1;
    }
    int rc = -1;
    PyObject *barrier = PyObject_GetAttrString(probe, "BARRIER_MSG");
    PyObject *msgs = PyObject_GetAttrString(probe, "AWAIT_MSGS");
    PyObject *done_first = PyObject_GetAttrString(probe, "THROW_DONE_FIRST");
    PyObject *running_first = PyObject_GetAttrString(probe, "THROW_RUNNING_FIRST");
    PyObject *nan_raises = PyObject_GetAttrString(probe, "NAN_TIMEOUT_RAISES");
    PyObject *fmt = PyObject_GetAttrString(probe, "fmt");
    if (barrier == NULL || msgs == NULL || done_first == NULL || running_first == NULL ||
        nan_raises == NULL || fmt == NULL) {
        goto done;
    }
    if (!PyTuple_Check(msgs) || PyTuple_GET_SIZE(msgs) != AL_AWMSG_N || !PyCallable_Check(fmt)) {
        PyErr_SetString(PyExc_SystemError, "asynclocks: import-time probe failed");
        goto done;
    }
    if (PyUnicode_Check(barrier)) {
        st->barrier_msg = Py_NewRef(barrier);
    }
    for (int i = 0; i < AL_AWMSG_N; i++) {
        PyObject *m = PyTuple_GET_ITEM(msgs, i);
        if (PyUnicode_Check(m)) {
            st->await_msg[i] = Py_NewRef(m);
        }
    }
    st->await_fmt = Py_NewRef(fmt);
    st->throw_done_first = done_first == Py_True;
    st->throw_running_first = running_first == Py_True;
    st->ts_nan_raises = nan_raises == Py_True;
    rc = 0;
done:
    Py_XDECREF(barrier);
    Py_XDECREF(msgs);
    Py_XDECREF(done_first);
    Py_XDECREF(running_first);
    Py_XDECREF(nan_raises);
    Py_XDECREF(fmt);
    Py_DECREF(probe);
    return rc;
}

#ifdef Py_GIL_DISABLED
/* A free-threaded build loads this module only with the GIL enabled: the
 * Py_mod_gil slot says Py_MOD_GIL_USED, so the interpreter enables the GIL
 * (with a RuntimeWarning) before this runs. If the GIL was forced off
 * (PYTHON_GIL=0, -X gil=0) it stays off: refuse then, since nothing here is
 * thread-safe without it; the package falls back to asyncio's classes. 0 or
 * -1 with ImportError. */
static int
require_gil(void)
{
    PyObject *is_enabled = PySys_GetObject("_is_gil_enabled"); /* borrowed */
    if (is_enabled == NULL) {
        return 0;
    }
    PyObject *r = PyObject_CallNoArgs(is_enabled);
    if (r == NULL) {
        return -1;
    }
    int enabled = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (enabled < 0) {
        return -1;
    }
    if (!enabled) {
        PyErr_SetString(PyExc_ImportError,
                        "asynclocks._core needs the GIL, which is disabled (PYTHON_GIL=0 or "
                        "-X gil=0): it is not thread-safe without it");
        return -1;
    }
    return 0;
}
#endif

/* Step 2: import what the C code calls or raises from the stdlib, and
 * probe the running interpreter. 0 or -1. */
static int
import_stdlib(AlState *st)
{
    static const struct {
        const char *module, *name;
        size_t offset;
        int from; /* first version (PY_VERSION_HEX) that has it */
    } imports[] = {
        { "asyncio.events", "_get_running_loop", offsetof(AlState, get_running_loop), 0 },
        { "asyncio", "current_task", offsetof(AlState, current_task), 0 },
        { "asyncio.exceptions", "CancelledError", offsetof(AlState, CancelledError), 0 },
        { "asyncio.exceptions", "InvalidStateError", offsetof(AlState, InvalidStateError), 0 },
        { "asyncio.exceptions", "BrokenBarrierError", offsetof(AlState, BrokenBarrierError),
          0x030B0000 },
        { "collections", "deque", offsetof(AlState, deque_type), 0 },
    };
    for (size_t i = 0; i < sizeof(imports) / sizeof(imports[0]); i++) {
        if (PY_VERSION_HEX < imports[i].from) {
            continue;
        }
        PyObject *mod = PyImport_ImportModule(imports[i].module);
        if (mod == NULL) {
            return -1;
        }
        PyObject *obj = PyObject_GetAttrString(mod, imports[i].name);
        Py_DECREF(mod);
        if (obj == NULL) {
            return -1;
        }
        PyObject **slot = (PyObject **)((char *)st + imports[i].offset);
        assert(*slot == NULL);
        *slot = obj;
    }
    if (cache_cfuture(st) < 0) {
        return -1;
    }
    return read_probe(st);
}

/* Step 3: create our types (subclasses of the running interpreter's asyncio
 * classes, and the thread-safe family), their objects and the wake-up
 * callback. 0 or -1. */
static int
create_types(PyObject *module, AlState *st)
{
    aw_set_recycling(st);
    st->stop_true = PyObject_CallOneArg(PyExc_StopIteration, Py_True);
    if (st->stop_true == NULL) {
        return -1;
    }
    st->stop_value = PyObject_CallNoArgs(PyExc_StopIteration);
    if (st->stop_value == NULL) {
        return -1;
    }
    PyObject *modname = PyModule_GetNameObject(module);
    if (modname == NULL) {
        return -1;
    }
    st->ts_wake = PyCFunction_NewEx(&tsw_wake_def, module, modname);
    Py_DECREF(modname);
    if (st->ts_wake == NULL) {
        return -1;
    }

    PyObject *locks = PyImport_ImportModule("asyncio.locks");
    if (locks == NULL) {
        return -1;
    }
    static const char *const names[6] = {
        "Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"
    };
    PyObject *bases[6] = { NULL };
    int nbases = AL_PY311 ? 6 : 5;
    int rc = -1;
    const int prim = AL_TYPE_PUBLIC | AL_TYPE_PLAIN_LAYOUT;
    for (int i = 0; i < nbases; i++) {
        bases[i] = PyObject_GetAttrString(locks, names[i]);
        if (bases[i] == NULL || check_base_layout(bases[i]) < 0) {
            goto done;
        }
    }
    st->CoroMethod_Type = PyType_FromModuleAndSpec(module, &al_coromethod_spec, NULL);
    if (st->CoroMethod_Type == NULL) {
        goto done;
    }
    if (add_type(module, &al_awaitable_spec, NULL, &st->Awaitable_Type, 0) < 0 ||
        add_type(module, &al_lock_spec, bases[0], &st->Lock_Type, prim) < 0 ||
        add_type(module, &al_event_spec, bases[1], &st->Event_Type, prim) < 0 ||
        add_type(module, &al_condition_spec, bases[2], &st->Condition_Type, prim) < 0 ||
        add_type(module, &al_semaphore_spec, bases[3], &st->Semaphore_Type, prim) < 0) {
        goto done;
    }
    /* BoundedSemaphore(Semaphore, asyncio.BoundedSemaphore): MRO
     * BoundedSemaphore, Semaphore, asyncio.BoundedSemaphore,
     * asyncio.Semaphore, ... so our Semaphore's methods come first. */
    PyObject *bs_bases = PyTuple_Pack(2, (PyObject *)st->Semaphore_Type, bases[4]);
    if (bs_bases == NULL) {
        goto done;
    }
    int bs_rc =
      add_type(module, &al_bounded_semaphore_spec, bs_bases, &st->BoundedSemaphore_Type, prim);
    Py_DECREF(bs_bases);
    if (bs_rc < 0) {
        goto done;
    }
#if AL_PY311
    if (add_type(module, &al_barrier_spec, bases[5], &st->Barrier_Type, prim) < 0) {
        goto done;
    }
#endif
    /* No asyncio base: their own layout (TsObject), no instance __dict__. */
    if (add_type(module, &al_tsflag_spec, NULL, &st->ThreadSafeFlag_Type, AL_TYPE_PUBLIC) < 0 ||
        add_type(module, &al_tsevent_spec, NULL, &st->ThreadSafeEvent_Type, AL_TYPE_PUBLIC) < 0 ||
        al_tsqueue_exec(module, st) < 0) {
        goto done;
    }
    /* Queue, LifoQueue, PriorityQueue (their asyncio bases come from
     * asyncio.queues). */
    if (al_queue_exec(module, st, add_type, prim) < 0) {
        goto done;
    }
    rc = 0;
done:
    for (int i = 0; i < 6; i++) {
        Py_XDECREF(bases[i]);
    }
    Py_DECREF(locks);
    return rc;
}

static int
module_exec(PyObject *module)
{
    AlState *st = PyModule_GetState(module);
#ifdef Py_GIL_DISABLED
    if (require_gil() < 0) {
        return -1;
    }
#endif
    if (al_state_intern_strings(st) < 0 || import_stdlib(st) < 0 || create_types(module, st) < 0) {
        return -1;
    }
    return 0;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    AlState *st = PyModule_GetState(module);
    if (st == NULL) {
        return 0;
    }
    int rc = al_state_traverse(st, visit, arg);
    return rc ? rc : aw_freelist_traverse(st, visit, arg);
}

static int
module_clear(PyObject *module)
{
    AlState *st = PyModule_GetState(module);
    if (st == NULL) {
        return 0;
    }
    aw_freelist_clear(st);
    al_state_clear(st);
    return 0;
}

static void
module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

static PyObject *
recycled_count(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(((AlState *)PyModule_GetState(module))->numfree);
}

static PyMethodDef module_methods[] = {
    { "_recycled_count", recycled_count, METH_NOARGS,
      PyDoc_STR("_recycled_count()\n--\n\nNumber of finished awaitables kept for reuse (they "
                "stay visible to gc.get_objects()). For tests.") },
    { NULL, NULL, 0, NULL },
};

static PyModuleDef_Slot module_slots[] = {
    { Py_mod_exec, module_exec },
#if AL_PY312
    { Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED },
#endif
#if AL_PY313
    /* Not thread-safe without the GIL: a free-threaded interpreter enables
     * it to load this module (see require_gil). */
    { Py_mod_gil, Py_MOD_GIL_USED },
#endif
    { 0, NULL },
};

struct PyModuleDef al_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "asynclocks._core",
    .m_doc = PyDoc_STR("C implementations of asyncio's synchronization primitives."),
    .m_size = sizeof(AlState),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&al_module_def);
}
