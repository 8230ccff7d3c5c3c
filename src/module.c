/* asynclocks._core: module definition, state and initialisation
 * (multi-phase init, one state per module object). */
#include "asynclocks.h"
#include "threadsafe.h"

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

/* Create the type of `spec` with `bases` (a type, a tuple or NULL), store
 * it in *slot and, unless it is the awaitable, export it. The spec's name is
 * "asynclocks.<Name>" (__module__ 'asynclocks'); tp_name is then trimmed to
 * the bare class name, as asyncio's classes' is, so that interpreter
 * messages say 'Lock' (it points into the same string). 0 or -1. */
static int
add_type(PyObject *module, PyType_Spec *spec, PyObject *bases, PyTypeObject **slot)
{
    PyObject *tp = PyType_FromModuleAndSpec(module, spec, bases);
    if (tp == NULL) {
        return -1;
    }
    *slot = (PyTypeObject *)tp;
    if (spec == &al_awaitable_spec) {
        return 0; /* not exported */
    }
    PyTypeObject *t = (PyTypeObject *)tp;
    if (t->tp_basicsize != spec->basicsize) {
        PyErr_Format(PyExc_ImportError, "asynclocks: %s did not get its instance size", spec->name);
        return -1;
    }
    const char *dot = strrchr(t->tp_name, '.');
    if (dot != NULL) {
        t->tp_name = dot + 1;
    }
    use_plain_layout(t);
    if (al_install_coroutine_methods(PyModule_GetState(module), t, spec) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, t->tp_name, tp);
}

static int
intern(PyObject **slot, const char *s)
{
    *slot = PyUnicode_InternFromString(s);
    return *slot == NULL ? -1 : 0;
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

/* Python run once at import time to learn what the running interpreter and
 * stdlib do where patch releases differ, rather than trusting a table of
 * versions: asyncio's Barrier(0) message; the TypeErrors of `await x` (turned
 * into templates: the probe types' names become markers, see fmt); and
 * whether throw() into a finished or running coroutine reports that state
 * before it checks its argument (3.15). */
static const char probe_src[] =
  "import asyncio.locks\n"
  "def _qual(t):\n"
  "    n = getattr(t, '__fully_qualified_name__', None)\n"
  "    if n is None:\n"
  "        m = t.__module__\n"
  "        n = t.__qualname__ if m in ('builtins', '__main__') else m + '.' + t.__qualname__\n"
  "    return n\n"
  "def _marks(types):\n"
  "    for i, t in enumerate(types):\n"
  "        yield _qual(t), '\\0F%d\\0' % i\n"
  "        yield t.__qualname__, '\\0Q%d\\0' % i\n"
  "        yield t.__name__, '\\0T%d\\0' % i\n"
  "def fmt(msg, t0, n0, t1, n1):\n"
  "    for i, (t, n) in enumerate(((t0, n0), (t1, n1))):\n"
  "        if t is not None:\n"
  "            msg = msg.replace('\\0F%d\\0' % i, _qual(t))\n"
  "            msg = msg.replace('\\0Q%d\\0' % i, t.__qualname__)\n"
  "            msg = msg.replace('\\0T%d\\0' % i, n)\n"
  "    return msg\n"
  "def _probe_type(name, ns):\n"
  "    t = type(name, (), ns)\n"
  "    t.__module__ = '_alprobe_m'\n"
  "    t.__qualname__ = '_alprobe_q.' + name\n"
  "    return t\n"
  "async def _await(x):\n"
  "    await x\n"
  "async def _empty():\n"
  "    pass\n"
  "def _await_msg(obj, types):\n"
  "    c = _await(obj)\n"
  "    try:\n"
  "        c.send(None)\n"
  "    except TypeError as e:\n"
  "        msg = str(e)\n"
  "    else:\n"
  "        return None\n"
  "    finally:\n"
  "        c.close()\n"
  "    for name, mark in _marks(types):\n"
  "        msg = msg.replace(name, mark)\n"
  "    return msg\n"
  "def _probe():\n"
  "    r = _probe_type('ALPROBER', {})\n"
  "    na = _probe_type('ALPROBEN', {})\n"
  "    ni = _probe_type('ALPROBEI', {'__await__': lambda self: r()})\n"
  "    co = _empty()\n"
  "    cc = _probe_type('ALPROBEC', {'__await__': lambda self: co})\n"
  "    msgs = (_await_msg(na(), [na]), _await_msg(ni(), [ni, r]), _await_msg(cc(), [cc]))\n"
  "    co.close()\n"
  "    done = _empty()\n"
  "    done.close()\n"
  "    try:\n"
  "        done.throw(1)\n"
  "    except RuntimeError:\n"
  "        done_first = True\n"
  "    except TypeError:\n"
  "        done_first = False\n"
  "    box = []\n"
  "    async def selfthrow():\n"
  "        try:\n"
  "            box[0].throw(1)\n"
  "        except ValueError:\n"
  "            return True\n"
  "        except TypeError:\n"
  "            return False\n"
  "    c = selfthrow()\n"
  "    box.append(c)\n"
  "    try:\n"
  "        c.send(None)\n"
  "    except StopIteration as e:\n"
  "        running_first = e.value\n"
  "    box.clear()\n"
  "    barrier = None\n"
  "    if hasattr(asyncio.locks, 'Barrier'):\n"
  "        try:\n"
  "            asyncio.locks.Barrier(0)\n"
  "        except ValueError as e:\n"
  "            barrier = str(e)\n"
  "    return (barrier, msgs, bool(done_first), bool(running_first))\n"
  "RESULT = _probe()\n";

/* Run probe_src and fill the AlState fields it decides. 0 or -1. */
static int
run_probe(AlState *st)
{
    PyObject *globals = NULL, *code = NULL, *r = NULL, *builtins = NULL;
    int rc = -1;
    globals = PyDict_New();
    builtins = PyImport_ImportModule("builtins");
    if (globals == NULL || builtins == NULL ||
        PyDict_SetItemString(globals, "__builtins__", builtins) < 0) {
        goto done;
    }
    PyObject *name = PyUnicode_FromString("asynclocks._core.probe");
    if (name == NULL || PyDict_SetItemString(globals, "__name__", name) < 0) {
        Py_XDECREF(name);
        goto done;
    }
    Py_DECREF(name);
    code = Py_CompileString(probe_src, "<asynclocks._core probe>", Py_file_input);
    if (code == NULL) {
        goto done;
    }
    r = PyEval_EvalCode(code, globals, globals);
    if (r == NULL) {
        goto done;
    }
    /* Borrowed from globals. */
    PyObject *res = PyDict_GetItemString(globals, "RESULT");
    PyObject *fmt = PyDict_GetItemString(globals, "fmt");
    PyObject *msgs;
    if (res == NULL || fmt == NULL || !PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 4 ||
        !PyTuple_Check(msgs = PyTuple_GET_ITEM(res, 1)) || PyTuple_GET_SIZE(msgs) != 3) {
        PyErr_SetString(PyExc_SystemError, "asynclocks: import-time probe failed");
        goto done;
    }
    PyObject *barrier = PyTuple_GET_ITEM(res, 0);
    if (PyUnicode_Check(barrier)) {
        st->barrier_msg = Py_NewRef(barrier);
    }
    for (int i = 0; i < 3; i++) {
        PyObject *m = PyTuple_GET_ITEM(msgs, i);
        if (PyUnicode_Check(m)) {
            st->await_msg[i] = Py_NewRef(m);
        }
    }
    st->await_fmt = Py_NewRef(fmt);
    st->throw_done_first = PyTuple_GET_ITEM(res, 2) == Py_True;
    st->throw_running_first = PyTuple_GET_ITEM(res, 3) == Py_True;
    rc = 0;
done:
    Py_XDECREF(r);
    Py_XDECREF(code);
    Py_XDECREF(builtins);
    Py_XDECREF(globals); /* fmt keeps it alive (its __globals__) */
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

static int
module_exec(PyObject *module)
{
    AlState *st = PyModule_GetState(module);
#ifdef Py_GIL_DISABLED
    if (require_gil() < 0) {
        return -1;
    }
#endif
    if (intern(&st->str_create_future, "create_future") < 0 || intern(&st->str_done, "done") < 0 ||
        intern(&st->str_cancelled, "cancelled") < 0 ||
        intern(&st->str_set_result, "set_result") < 0 || intern(&st->str_acquire, "acquire") < 0 ||
        intern(&st->str_release, "release") < 0 || intern(&st->str_locked, "locked") < 0 ||
        intern(&st->str_wait, "wait") < 0 || intern(&st->str_notify, "notify") < 0 ||
        intern(&st->str_throw, "throw") < 0 || intern(&st->str_close, "close") < 0 ||
        intern(&st->str_append, "append") < 0 || intern(&st->str_source, "source") < 0 ||
        intern(&st->str_remove, "remove") < 0) {
        return -1;
    }

    PyObject *events = PyImport_ImportModule("asyncio.events");
    if (events == NULL) {
        return -1;
    }
    st->get_running_loop = PyObject_GetAttrString(events, "_get_running_loop");
    Py_DECREF(events);
    if (st->get_running_loop == NULL) {
        return -1;
    }
    PyObject *exceptions = PyImport_ImportModule("asyncio.exceptions");
    if (exceptions == NULL) {
        return -1;
    }
    st->CancelledError = PyObject_GetAttrString(exceptions, "CancelledError");
    st->InvalidStateError = PyObject_GetAttrString(exceptions, "InvalidStateError");
#if AL_PY311
    st->BrokenBarrierError = PyObject_GetAttrString(exceptions, "BrokenBarrierError");
#endif
    Py_DECREF(exceptions);
    if (st->CancelledError == NULL || st->InvalidStateError == NULL) {
        return -1;
    }
#if AL_PY311
    if (st->BrokenBarrierError == NULL) {
        return -1;
    }
#endif
    if (cache_cfuture(st) < 0) {
        return -1;
    }
    PyObject *collections = PyImport_ImportModule("collections");
    if (collections == NULL) {
        return -1;
    }
    st->deque_type = PyObject_GetAttrString(collections, "deque");
    Py_DECREF(collections);
    if (st->deque_type == NULL) {
        return -1;
    }
    st->no_recycle = al_tracemalloc_tracing();
    st->stop_true = PyObject_CallOneArg(PyExc_StopIteration, Py_True);
    if (st->stop_true == NULL) {
        return -1;
    }
    if (run_probe(st) < 0) {
        return -1;
    }

    /* Our classes subclass the running interpreter's asyncio classes. */
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
    if (add_type(module, &al_awaitable_spec, NULL, &st->Awaitable_Type) < 0 ||
        add_type(module, &al_lock_spec, bases[0], &st->Lock_Type) < 0 ||
        add_type(module, &al_event_spec, bases[1], &st->Event_Type) < 0 ||
        add_type(module, &al_condition_spec, bases[2], &st->Condition_Type) < 0 ||
        add_type(module, &al_semaphore_spec, bases[3], &st->Semaphore_Type) < 0) {
        goto done;
    }
    /* BoundedSemaphore(Semaphore, asyncio.BoundedSemaphore): MRO
     * BoundedSemaphore, Semaphore, asyncio.BoundedSemaphore,
     * asyncio.Semaphore, ... so our Semaphore's methods come first. */
    PyObject *bs_bases = PyTuple_Pack(2, (PyObject *)st->Semaphore_Type, bases[4]);
    if (bs_bases == NULL) {
        goto done;
    }
    int bs_rc = add_type(module, &al_bounded_semaphore_spec, bs_bases, &st->BoundedSemaphore_Type);
    Py_DECREF(bs_bases);
    if (bs_rc < 0) {
        goto done;
    }
#if AL_PY311
    if (add_type(module, &al_barrier_spec, bases[5], &st->Barrier_Type) < 0) {
        goto done;
    }
#endif
    if (al_threadsafe_exec(module, st) < 0) {
        goto done;
    }
    if (al_queue_exec(module, st, add_type) < 0) {
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
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    AlState *st = PyModule_GetState(module);
    if (st == NULL) {
        return 0;
    }
    Py_VISIT(st->Lock_Type);
    Py_VISIT(st->Event_Type);
    Py_VISIT(st->Condition_Type);
    Py_VISIT(st->Semaphore_Type);
    Py_VISIT(st->BoundedSemaphore_Type);
    Py_VISIT(st->Barrier_Type);
    Py_VISIT(st->Awaitable_Type);
    Py_VISIT(st->CoroMethod_Type);
    Py_VISIT(st->get_running_loop);
    Py_VISIT(st->CancelledError);
    Py_VISIT(st->InvalidStateError);
    Py_VISIT(st->BrokenBarrierError);
    Py_VISIT(st->stop_true);
    Py_VISIT(st->barrier_msg);
    Py_VISIT(st->await_fmt);
    for (int i = 0; i < 3; i++) {
        Py_VISIT(st->await_msg[i]);
    }
    Py_VISIT(st->deque_type);
    Py_VISIT(st->CFuture_Type);
    Py_VISIT(st->fut_done);
    Py_VISIT(st->fut_cancelled);
    Py_VISIT(st->fut_set_result);
    Py_VISIT(st->ThreadSafeFlag_Type);
    Py_VISIT(st->ThreadSafeEvent_Type);
    Py_VISIT(st->ts_wake);
    Py_VISIT(st->current_task);
    for (AlAwaitable *aw = st->freelist; aw != NULL; aw = aw->next) {
        Py_VISIT(aw); /* the list owns one reference to each */
    }
    return al_queue_state_traverse(&st->qs, visit, arg);
}

/* Drop the recycled awaitables (each owned by the list with one reference).
 * Sets st->closing first, so that none goes back to the list. */
static void
free_freelist(AlState *st)
{
    st->closing = 1;
    while (st->freelist != NULL) {
        AlAwaitable *aw = st->freelist;
        st->freelist = aw->next;
        st->numfree--;
        aw->next = NULL;
        Py_DECREF(aw);
    }
}

static int
module_clear(PyObject *module)
{
    AlState *st = PyModule_GetState(module);
    if (st == NULL) {
        return 0;
    }
    free_freelist(st);
    Py_CLEAR(st->Lock_Type);
    Py_CLEAR(st->Event_Type);
    Py_CLEAR(st->Condition_Type);
    Py_CLEAR(st->Semaphore_Type);
    Py_CLEAR(st->BoundedSemaphore_Type);
    Py_CLEAR(st->Barrier_Type);
    Py_CLEAR(st->Awaitable_Type);
    Py_CLEAR(st->CoroMethod_Type);
    Py_CLEAR(st->get_running_loop);
    Py_CLEAR(st->CancelledError);
    Py_CLEAR(st->InvalidStateError);
    Py_CLEAR(st->BrokenBarrierError);
    Py_CLEAR(st->stop_true);
    Py_CLEAR(st->barrier_msg);
    Py_CLEAR(st->await_fmt);
    for (int i = 0; i < 3; i++) {
        Py_CLEAR(st->await_msg[i]);
    }
    Py_CLEAR(st->deque_type);
    Py_CLEAR(st->CFuture_Type);
    Py_CLEAR(st->fut_done);
    Py_CLEAR(st->fut_cancelled);
    Py_CLEAR(st->fut_set_result);
    Py_CLEAR(st->str_create_future);
    Py_CLEAR(st->str_done);
    Py_CLEAR(st->str_cancelled);
    Py_CLEAR(st->str_set_result);
    Py_CLEAR(st->str_acquire);
    Py_CLEAR(st->str_release);
    Py_CLEAR(st->str_locked);
    Py_CLEAR(st->str_wait);
    Py_CLEAR(st->str_notify);
    Py_CLEAR(st->str_throw);
    Py_CLEAR(st->str_close);
    Py_CLEAR(st->str_append);
    Py_CLEAR(st->str_source);
    Py_CLEAR(st->str_remove);
    Py_CLEAR(st->ThreadSafeFlag_Type);
    Py_CLEAR(st->ThreadSafeEvent_Type);
    Py_CLEAR(st->ts_wake);
    Py_CLEAR(st->str_call_soon_threadsafe);
    Py_CLEAR(st->current_task);
    al_queue_state_clear(&st->qs);
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
