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
 *
 * FloorQueue is the floor of a queue that does not have to wait: the items
 * live in a growable C ring buffer of strong references (no deque, no order
 * beyond FIFO, no maxsize, no waiters, no unfinished-task count, no loop).
 * put_nowait() stores, get_nowait() takes (IndexError when empty), put()
 * stores and returns Floor's awaitable for None, get() takes and returns an
 * awaitable for the item from its own 16-entry freelist. Through am_send
 * (3.10, 3.11, 3.15) the item comes back with PYGEN_RETURN; on 3.12-3.14
 * `await` calls tp_iternext, and an item other than None is returned as a
 * shared, preallocated StopIteration whose value field is swapped for the
 * item: no exception is built per get(). Any queue with asyncio's methods
 * stores, takes and returns the item at least this way.
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
raise_stop_shared(PyObject *stop)
{
    PyBaseExceptionObject *exc = (PyBaseExceptionObject *)stop;
    if (exc->traceback != NULL) {
        PyException_SetTraceback(stop, Py_None);
    }
    if (exc->context != NULL) {
        PyException_SetContext(stop, NULL);
    }
    if (exc->cause != NULL || exc->suppress_context) {
        PyException_SetCause(stop, NULL);
        exc->suppress_context = 0;
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(Py_NewRef(stop));
#else
    PyErr_Restore(Py_NewRef(PyExc_StopIteration), Py_NewRef(stop), NULL);
#endif
    return NULL;
}

/* Raise the shared StopIteration(True); always NULL. */
static PyObject *
raise_stop_true(void)
{
    return raise_stop_shared(stop_true);
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

/* ---- the queue-shaped object ------------------------------------------- */

/* An awaitable returning `item` (strong; NULL once driven) the first time it
 * is driven; recycled through its own freelist. */
typedef struct {
    PyObject_HEAD
    PyObject *item;
} ItemObject;

static PyTypeObject Item_Type;

static ItemObject *item_freelist[FREELIST_MAX];
static int item_numfree = 0;

/* Shared, preallocated StopIteration; its value field is set to the item
 * before each raise (3.12-3.14 read the returned value from that field). */
static PyObject *stop_item = NULL;

/* New reference to an awaitable returning `item` (stolen); NULL on error. */
static PyObject *
item_new(PyObject *item)
{
    ItemObject *op;
    if (item_numfree > 0) {
        op = item_freelist[--item_numfree];
        PyObject_Init((PyObject *)op, &Item_Type);
    }
    else {
        op = PyObject_New(ItemObject, &Item_Type);
        if (op == NULL) {
            Py_DECREF(item);
            return NULL;
        }
    }
    op->item = item;
    return (PyObject *)op;
}

static void
item_dealloc(PyObject *self)
{
    Py_CLEAR(((ItemObject *)self)->item);
    if (item_numfree < FREELIST_MAX) {
        item_freelist[item_numfree++] = (ItemObject *)self;
    }
    else {
        PyObject_Free(self);
    }
}

/* tp_iternext: None as NULL without an exception, anything else through the
 * shared StopIteration, whose value field takes the item's reference. */
static PyObject *
item_iternext(PyObject *self)
{
    ItemObject *op = (ItemObject *)self;
    PyObject *item = op->item;
    if (item == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "awaitable already completed");
        return NULL;
    }
    op->item = NULL;
    if (item == Py_None) {
        Py_DECREF(item);
        return NULL;
    }
    PyStopIterationObject *stop = (PyStopIterationObject *)stop_item;
    Py_XSETREF(stop->value, item);
    return raise_stop_shared(stop_item);
}

/* am_send: the item itself with PYGEN_RETURN (reference passed on). */
static PySendResult
item_send(PyObject *self, PyObject *arg, PyObject **presult)
{
    ItemObject *op = (ItemObject *)self;
    (void)arg;
    if (op->item == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "awaitable already completed");
        *presult = NULL;
        return PYGEN_ERROR;
    }
    *presult = op->item;
    op->item = NULL;
    return PYGEN_RETURN;
}

static PyAsyncMethods item_as_async = {
    .am_await = done_await,
    .am_send = item_send,
};

static PyTypeObject Item_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclocks_floor.Item",
    .tp_basicsize = sizeof(ItemObject),
    .tp_dealloc = item_dealloc,
    .tp_as_async = &item_as_async,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = item_iternext,
};

typedef struct {
    PyObject_HEAD
    PyObject **items; /* ring buffer of strong references */
    Py_ssize_t head;  /* index of the oldest item */
    Py_ssize_t size;  /* number of items */
    Py_ssize_t cap;   /* allocated slots, a power of two */
} FloorQueueObject;

#define FQ_INITIAL_CAP 8

static PyObject *
fq_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    /* arguments (maxsize) accepted and ignored */
    FloorQueueObject *self = (FloorQueueObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->items = PyMem_New(PyObject *, FQ_INITIAL_CAP);
    if (self->items == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->cap = FQ_INITIAL_CAP;
    return (PyObject *)self;
}

static void
fq_dealloc(PyObject *self)
{
    FloorQueueObject *q = (FloorQueueObject *)self;
    for (Py_ssize_t i = 0; i < q->size; i++) {
        Py_DECREF(q->items[(q->head + i) & (q->cap - 1)]);
    }
    PyMem_Free(q->items);
    Py_TYPE(self)->tp_free(self);
}

/* Store a new reference to `item` at the tail; -1 on error. */
static int
fq_push(FloorQueueObject *q, PyObject *item)
{
    if (q->size == q->cap) {
        Py_ssize_t cap = q->cap * 2;
        PyObject **items = PyMem_New(PyObject *, cap);
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < q->size; i++) {
            items[i] = q->items[(q->head + i) & (q->cap - 1)];
        }
        PyMem_Free(q->items);
        q->items = items;
        q->head = 0;
        q->cap = cap;
    }
    q->items[(q->head + q->size) & (q->cap - 1)] = Py_NewRef(item);
    q->size++;
    return 0;
}

/* New reference to the oldest item, removed; NULL with IndexError if empty. */
static PyObject *
fq_pop(FloorQueueObject *q)
{
    if (q->size == 0) {
        PyErr_SetString(PyExc_IndexError, "FloorQueue is empty");
        return NULL;
    }
    PyObject *item = q->items[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->size--;
    return item;
}

static PyObject *
fq_put_nowait(PyObject *self, PyObject *item)
{
    if (fq_push((FloorQueueObject *)self, item) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
fq_get_nowait(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return fq_pop((FloorQueueObject *)self);
}

static PyObject *
fq_put(PyObject *self, PyObject *item)
{
    if (fq_push((FloorQueueObject *)self, item) < 0) {
        return NULL;
    }
    return done_new(Py_None);
}

static PyObject *
fq_get(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *item = fq_pop((FloorQueueObject *)self);
    if (item == NULL) {
        return NULL;
    }
    return item_new(item);
}

static PyObject *
fq_qsize(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(((FloorQueueObject *)self)->size);
}

static PyMethodDef fq_methods[] = {
    {"put_nowait", fq_put_nowait, METH_O, "Store the item."},
    {"get_nowait", fq_get_nowait, METH_NOARGS, "Take the oldest item (IndexError if none)."},
    {"put", fq_put, METH_O, "Store the item; awaitable returning None."},
    {"get", fq_get, METH_NOARGS, "Take the oldest item; awaitable returning it."},
    {"qsize", fq_qsize, METH_NOARGS, "Number of items."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FloorQueue_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclocks_floor.FloorQueue",
    .tp_basicsize = sizeof(FloorQueueObject),
    .tp_dealloc = fq_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = fq_new,
    .tp_methods = fq_methods,
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
        PyType_Ready(&FloorEvent_Type) < 0 || PyType_Ready(&Waiter_Type) < 0 ||
        PyType_Ready(&Item_Type) < 0 || PyType_Ready(&FloorQueue_Type) < 0) {
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
    if (stop_item == NULL) {
        stop_item = PyObject_CallOneArg(PyExc_StopIteration, Py_None);
        if (stop_item == NULL) {
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
    Py_INCREF(&FloorQueue_Type);
    if (PyModule_AddObject(m, "FloorQueue", (PyObject *)&FloorQueue_Type) < 0) {
        Py_DECREF(&FloorQueue_Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
