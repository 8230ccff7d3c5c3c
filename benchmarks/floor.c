/* The benchmark "floor": a lock-shaped object with no semantics.
 *
 * Floor().acquire(), .wait(), .__aenter__() and .__aexit__() return a fresh
 * awaitable (recycled through a small freelist) that completes the first
 * time it is driven, with True (acquire, wait) or None (the context
 * manager methods). No primitive with asyncio's semantics can do less per
 * operation. Built by benchmarks/floor.py at run time; not part of the
 * package.
 *
 * FloorEvent is the floor of an Event that has to wait: wait() on a set
 * event is Floor's wait(); on an unset one it makes a future on the running
 * loop and returns an awaitable that awaits it (through the future's own
 * iterator) and then returns True, the way Done does; set() completes those
 * futures in a C loop. No queue upkeep, no done() checks, no loop binding:
 * every Event that suspends tasks must at least make, complete and resume
 * one loop future per waiter.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* ---- the awaitable ---------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *result;   /* Py_True or Py_None; NULL once driven */
} DoneObject;

static PyTypeObject Done_Type;

#define FREELIST_MAX 16
static DoneObject *freelist[FREELIST_MAX];
static int numfree = 0;

/* Shared, preallocated StopIteration(True); reset before each raise. */
static PyObject *stop_true = NULL;

/* New reference to an awaitable that returns `result`; NULL on error. */
static PyObject *
done_new(PyObject *result)
{
    DoneObject *op;
    if (numfree > 0) {
        op = freelist[--numfree];
        PyObject_Init((PyObject *)op, &Done_Type);
    }
    else {
        op = PyObject_New(DoneObject, &Done_Type);
        if (op == NULL) {
            return NULL;
        }
    }
    op->result = result;  /* immortal-ish singleton, not counted */
    return (PyObject *)op;
}

static void
done_dealloc(PyObject *self)
{
    if (numfree < FREELIST_MAX) {
        freelist[numfree++] = (DoneObject *)self;
    }
    else {
        PyObject_Free(self);
    }
}

static PyObject *
done_await(PyObject *self)
{
    return Py_NewRef(self);
}

/* Raise StopIteration(True) from the shared instance; always NULL.
 * Code that drives an awaitable by hand can leave a traceback, context or
 * cause on the shared instance: drop them first (the fields are read
 * directly, the setters only run when something is there). */
static PyObject *
raise_stop_true(void)
{
    PyBaseExceptionObject *exc = (PyBaseExceptionObject *)stop_true;
    if (exc->traceback != NULL) {
        PyException_SetTraceback(stop_true, Py_None);
    }
    if (exc->context != NULL) {
        PyException_SetContext(stop_true, NULL);
    }
    if (exc->cause != NULL || exc->suppress_context) {
        PyException_SetCause(stop_true, NULL);
        exc->suppress_context = 0;
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(Py_NewRef(stop_true));
#else
    PyErr_Restore(Py_NewRef(PyExc_StopIteration), Py_NewRef(stop_true), NULL);
#endif
    return NULL;
}

/* tp_iternext: what 3.12+ calls for `await`. NULL without an exception
 * means "returned None". */
static PyObject *
done_iternext(PyObject *self)
{
    DoneObject *op = (DoneObject *)self;
    PyObject *result = op->result;
    if (result == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "awaitable already completed");
        return NULL;
    }
    op->result = NULL;
    if (result == Py_None) {
        return NULL;
    }
    return raise_stop_true();
}

/* am_send: what 3.10/3.11 call for `await`. */
static PySendResult
done_send(PyObject *self, PyObject *arg, PyObject **presult)
{
    DoneObject *op = (DoneObject *)self;
    (void)arg;
    if (op->result == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "awaitable already completed");
        *presult = NULL;
        return PYGEN_ERROR;
    }
    *presult = Py_NewRef(op->result);
    op->result = NULL;
    return PYGEN_RETURN;
}

static PyAsyncMethods done_as_async = {
    .am_await = done_await,
    .am_send = done_send,
};

static PyTypeObject Done_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclocks_floor.Done",
    .tp_basicsize = sizeof(DoneObject),
    .tp_dealloc = done_dealloc,
    .tp_as_async = &done_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = done_iternext,
};

/* ---- the lock-shaped object -------------------------------------------- */

static PyObject *
floor_true(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return done_new(Py_True);
}

static PyObject *
floor_none(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return done_new(Py_None);
}

static PyObject *
floor_aexit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return done_new(Py_None);
}

static PyObject *
floor_noop(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    Py_RETURN_NONE;
}

static PyMethodDef floor_methods[] = {
    {"acquire", floor_true, METH_NOARGS, "Awaitable returning True."},
    {"wait", floor_true, METH_NOARGS, "Awaitable returning True."},
    {"release", floor_noop, METH_NOARGS, "Does nothing."},
    {"set", floor_noop, METH_NOARGS, "Does nothing."},
    {"__aenter__", floor_none, METH_NOARGS, "Awaitable returning None."},
    {"__aexit__", (PyCFunction)(void (*)(void))floor_aexit, METH_FASTCALL,
     "Awaitable returning None."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Floor_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclocks_floor.Floor",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,  /* arguments accepted and ignored */
    .tp_methods = floor_methods,
};

/* ---- the waiting awaitable -------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *fut; /* the future to await (strong) */
    PyObject *it;  /* its iterator while suspended (strong) or NULL */
} WaiterObject;

static PyTypeObject Waiter_Type;

static PyObject *
waiter_new(PyObject *fut)
{
    WaiterObject *op = PyObject_New(WaiterObject, &Waiter_Type);
    if (op == NULL) {
        return NULL;
    }
    op->fut = Py_NewRef(fut);
    op->it = NULL;
    return (PyObject *)op;
}

static void
waiter_dealloc(PyObject *self)
{
    WaiterObject *op = (WaiterObject *)self;
    Py_XDECREF(op->fut);
    Py_XDECREF(op->it);
    PyObject_Free(self);
}

/* Drive the future's iterator: PYGEN_NEXT with the future to yield, or
 * PYGEN_RETURN once it is done (its result is dropped: True is returned). */
static PySendResult
waiter_step(WaiterObject *op, PyObject **presult)
{
    if (op->it == NULL) {
        if (op->fut == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "awaitable already completed");
            *presult = NULL;
            return PYGEN_ERROR;
        }
        op->it = Py_TYPE(op->fut)->tp_as_async->am_await(op->fut);
        if (op->it == NULL) {
            *presult = NULL;
            return PYGEN_ERROR;
        }
    }
    PyObject *res;
    PySendResult r = PyIter_Send(op->it, Py_None, &res);
    if (r == PYGEN_NEXT) {
        *presult = res;
        return r;
    }
    Py_CLEAR(op->it);
    Py_CLEAR(op->fut);
    if (r == PYGEN_RETURN) {
        Py_DECREF(res);
        *presult = Py_NewRef(Py_True);
        return r;
    }
    *presult = NULL;
    return r;
}

static PyObject *
waiter_iternext(PyObject *self)
{
    PyObject *res;
    PySendResult r = waiter_step((WaiterObject *)self, &res);
    if (r == PYGEN_NEXT) {
        return res;
    }
    if (r == PYGEN_RETURN) {
        Py_DECREF(res);
        return raise_stop_true();
    }
    return NULL;
}

static PySendResult
waiter_send(PyObject *self, PyObject *arg, PyObject **presult)
{
    (void)arg;
    return waiter_step((WaiterObject *)self, presult);
}

static PyAsyncMethods waiter_as_async = {
    .am_await = done_await,
    .am_send = waiter_send,
};

static PyTypeObject Waiter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclocks_floor.Waiter",
    .tp_basicsize = sizeof(WaiterObject),
    .tp_dealloc = waiter_dealloc,
    .tp_as_async = &waiter_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = waiter_iternext,
};

/* ---- the event-shaped object ------------------------------------------- */

static PyObject *get_running_loop = NULL; /* asyncio.get_running_loop */

typedef struct {
    PyObject_HEAD
    PyObject *waiters; /* list of futures */
    int value;
} FloorEventObject;

static PyObject *
fev_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    FloorEventObject *self = (FloorEventObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->waiters = PyList_New(0);
    if (self->waiters == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void
fev_dealloc(PyObject *self)
{
    Py_XDECREF(((FloorEventObject *)self)->waiters);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *
fev_wait(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    FloorEventObject *ev = (FloorEventObject *)self;
    if (ev->value) {
        return done_new(Py_True);
    }
    PyObject *loop = PyObject_CallNoArgs(get_running_loop);
    if (loop == NULL) {
        return NULL;
    }
    PyObject *fut = PyObject_CallMethod(loop, "create_future", NULL);
    Py_DECREF(loop);
    if (fut == NULL || PyList_Append(ev->waiters, fut) < 0) {
        Py_XDECREF(fut);
        return NULL;
    }
    PyObject *waiter = waiter_new(fut);
    Py_DECREF(fut);
    return waiter;
}

static PyObject *
fev_set(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    FloorEventObject *ev = (FloorEventObject *)self;
    ev->value = 1;
    PyObject *waiters = ev->waiters;
    ev->waiters = PyList_New(0);
    if (ev->waiters == NULL) {
        ev->waiters = waiters;
        return NULL;
    }
    PyObject *name = PyUnicode_InternFromString("set_result");
    for (Py_ssize_t i = 0; name != NULL && i < PyList_GET_SIZE(waiters); i++) {
        PyObject *args[2] = {PyList_GET_ITEM(waiters, i), Py_True};
        PyObject *r = PyObject_VectorcallMethod(name, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                                NULL);
        if (r == NULL) {
            Py_CLEAR(name);
            break;
        }
        Py_DECREF(r);
    }
    Py_DECREF(waiters);
    if (name == NULL) {
        return NULL;
    }
    Py_DECREF(name);
    Py_RETURN_NONE;
}

static PyMethodDef fev_methods[] = {
    {"wait", fev_wait, METH_NOARGS, "Awaitable: True at once if set, else after a loop future."},
    {"set", fev_set, METH_NOARGS, "Complete every waiting future with True."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FloorEvent_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclocks_floor.FloorEvent",
    .tp_basicsize = sizeof(FloorEventObject),
    .tp_dealloc = fev_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = fev_new,
    .tp_methods = fev_methods,
};

/* ---- module ------------------------------------------------------------ */

static struct PyModuleDef floor_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "asynclocks_floor",
    .m_doc = "Benchmark floor for asynclocks.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_asynclocks_floor(void)
{
    if (PyType_Ready(&Done_Type) < 0 || PyType_Ready(&Floor_Type) < 0 ||
        PyType_Ready(&FloorEvent_Type) < 0 || PyType_Ready(&Waiter_Type) < 0) {
        return NULL;
    }
    if (get_running_loop == NULL) {
        PyObject *asyncio = PyImport_ImportModule("asyncio");
        if (asyncio == NULL) {
            return NULL;
        }
        get_running_loop = PyObject_GetAttrString(asyncio, "get_running_loop");
        Py_DECREF(asyncio);
        if (get_running_loop == NULL) {
            return NULL;
        }
    }
    if (stop_true == NULL) {
        stop_true = PyObject_CallOneArg(PyExc_StopIteration, Py_True);
        if (stop_true == NULL) {
            return NULL;
        }
    }
    PyObject *m = PyModule_Create(&floor_module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&Floor_Type);
    if (PyModule_AddObject(m, "Floor", (PyObject *)&Floor_Type) < 0) {
        Py_DECREF(&Floor_Type);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FloorEvent_Type);
    if (PyModule_AddObject(m, "FloorEvent", (PyObject *)&FloorEvent_Type) < 0) {
        Py_DECREF(&FloorEvent_Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
