/* asyncio.Queue, LifoQueue and PriorityQueue in C.
 *
 * Each class subclasses the running interpreter's asyncio class and keeps
 * the stdlib's state as the stdlib does, in the attributes it names:
 * `_queue` is the very collections.deque (LifoQueue, PriorityQueue: list)
 * the C code appends to and pops from; `_getters` and `_putters` are the
 * deques of waiting futures (created on first wait or first read); `_finished`
 * is an Event of ours; `_maxsize`, `_unfinished_tasks` and `_is_shutdown`
 * (3.13+) read and write as plain attributes. __repr__, __str__, _format,
 * maxsize, __class_getitem__ and _get_loop are asyncio's own, inherited.
 *
 * The stdlib's methods call each other through `self` (put_nowait() calls
 * self.full(), self._put(item), self._wakeup_next(...)); a subclass that
 * overrides one of them changes what the others do. Which of them a class
 * overrides is decided when an instance is created (q_classify; nothing to
 * decide for our three classes themselves): each such call then goes
 * through the method, the others stay in C. An instance attribute that
 * shadows a method (`mock.patch.object(q, "_put")`) makes every call go
 * through the methods. */
#include "queue.h"

#include "args.h"
#include "calls.h"
#include "coromethod.h"
#include "event.h"
#include "exceptions.h"
#include "future.h"
#include "waitbase.h"

/* What a class overrides (QueueObject.ovr): the call goes through self. */
enum {
    OV_INIT = 1 << 0,
    OV_PUT = 1 << 1,
    OV_GET = 1 << 2,
    OV_FULL = 1 << 3,
    OV_QSIZE = 1 << 4,
    OV_EMPTY = 1 << 5,
    OV_PUT_NOWAIT = 1 << 6,
    OV_GET_NOWAIT = 1 << 7,
    OV_WAKEUP = 1 << 8,
    OV_ALL = (1 << 9) - 1,
    /* Not a method: some private attribute is absent (see `present`), so
     * the fast paths, which do not check, stay off. */
    OV_ABSENT = 1 << 9,
};

/* Attributes the stdlib's __init__ sets and user code may delete, which the
 * object has no NULL to stand for (QueueObject.present). */
enum {
    P_GETTERS = 1,
    P_PUTTERS = 2,
    P_UNFINISHED = 4,
    P_ALL = 7,
    /* `_getters` / `_putters` were set to None (the WaitQ has no deque then,
     * and none is made): falsy, as the stdlib's loops see it. */
    P_GETTERS_NONE = 8,
    P_PUTTERS_NONE = 16,
};

/* What `_maxsize` holds (QueueObject.max_kind). */
enum {
    MK_UNSET = 0,     /* no `_maxsize` (before __init__, or deleted) */
    MK_UNBOUNDED = 1, /* an exact int <= 0 */
    MK_INT = 2,       /* an exact int > 0, in maxsize_c (PY_SSIZE_T_MAX if larger) */
    MK_OBJ = 3,       /* anything else: Python comparisons */
};

typedef struct {
    AL_WAITBASE_HEAD          /* waiters: `_getters` and the loop the queue is bound to */
    WaitQ *putters;           /* `_putters` (its loop unused: the getters' is the queue's) */
    PyObject *queue;          /* `_queue`, or NULL */
    PyObject *maxsize;        /* `_maxsize`, or NULL */
    PyObject *unfinished_obj; /* `_unfinished_tasks` when it is not a C integer, else NULL */
    PyObject *finished;       /* `_finished`, or NULL */
    Py_ssize_t maxsize_c;     /* see MK_INT */
    Py_ssize_t unfinished;    /* `_unfinished_tasks` when unfinished_obj is NULL */
    unsigned short ovr;       /* OV_* bits */
    unsigned int type_tag;    /* tp_version_tag of the type when ovr was decided */
    char max_kind;            /* MK_* */
    char init_kind;           /* AL_Q_FIFO ... : which of our _init/_put/_get applies */
    char put_kind;
    char get_kind;
    char is_shutdown;      /* `_is_shutdown`: -1 before __init__ sets it (3.13+) */
    unsigned char present; /* P_* bits: `_getters` ... exist (set by __init__, deletable) */
} QueueObject;

#define Q_SELF(q) ((PyObject *)(q))

static void q_classify(AlState *st, PyTypeObject *type, QueueObject *q);
static inline void q_check_type(AlState *st, QueueObject *q);

/* ------------------------------------------------------------------ */
/* Small helpers. */

/* AttributeError for the missing attribute `name` of self; NULL. */
static PyObject *
q_no_attr(PyObject *self, const char *name)
{
    PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '%s'",
                 Py_TYPE(self)->tp_name, name);
    return NULL;
}

/* self.<name>(*args) for the nargs arguments in args (args[-1] is
 * writable scratch space, see PY_VECTORCALL_ARGUMENTS_OFFSET). New
 * reference or NULL. */
static PyObject *
q_call(QueueObject *q, PyObject *name, PyObject *arg)
{
    PyObject *args[2] = { Q_SELF(q), arg };
    return PyObject_VectorcallMethod(name, args, (arg ? 2 : 1) | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                     NULL);
}

/* Like q_call, discarding the result: 0 or -1. */
static int
q_call_void(QueueObject *q, PyObject *name, PyObject *arg)
{
    PyObject *r = q_call(q, name, arg);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* obj.<name>(arg) (arg may be NULL for none): new reference or NULL. */
static PyObject *
call_method(PyObject *obj, PyObject *name, PyObject *arg)
{
    PyObject *args[2] = { obj, arg };
    return PyObject_VectorcallMethod(name, args, (arg ? 2 : 1) | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                     NULL);
}

static inline int
is_exact_deque(AlState *st, PyObject *o)
{
    return (PyObject *)Py_TYPE(o) == st->deque_type;
}

/* Call f with the n arguments in args (for a method descriptor args[0] is
 * the instance, of the exact type the descriptor is for): new reference or
 * NULL. */
static inline PyObject *
cf_call(const AlCFunc *f, PyObject *const *args, Py_ssize_t n)
{
    PyObject *self = f->self;
    PyObject *const *rest = args;
    Py_ssize_t nrest = n;
    if (f->is_descr) {
        self = args[0];
        rest = args + 1;
        nrest = n - 1;
    }
    switch (f->fn != NULL ? f->flags : 0) {
    case METH_O:
        return f->fn(self, rest[0]);
    case METH_NOARGS:
        return f->fn(self, NULL);
    case METH_FASTCALL:
        return ((PyObject * (*)(PyObject *, PyObject *const *, Py_ssize_t))(void (*)(void))f->fn)(
          self, rest, nrest);
    default:
        return PyObject_Vectorcall(f->obj, args, (size_t)n, NULL);
    }
}

/* Fill *f for obj (borrowed, kept alive by the state). */
static void
cf_init(AlCFunc *f, PyObject *obj)
{
    PyMethodDef *def = NULL;
    f->obj = obj;
    f->fn = NULL;
    f->self = NULL;
    f->flags = 0;
    f->is_descr = 0;
    if (Py_IS_TYPE(obj, &PyMethodDescr_Type)) {
        def = ((PyMethodDescrObject *)obj)->d_method;
        f->is_descr = 1;
    }
    else if (PyCFunction_CheckExact(obj)) {
        def = ((PyCFunctionObject *)obj)->m_ml;
        f->self = PyCFunction_GET_SELF(obj);
    }
    if (def != NULL && (def->ml_flags == METH_O || def->ml_flags == METH_NOARGS ||
                        def->ml_flags == METH_FASTCALL)) {
        f->fn = def->ml_meth;
        f->flags = def->ml_flags;
    }
}

/* 0 if self has the attribute `bit` stands for, else -1 with the
 * AttributeError reading it raises. */
static inline int
q_has(QueueObject *q, unsigned char bit)
{
    if (q->present & bit) {
        return 0;
    }
    q_no_attr(Q_SELF(q), bit == P_GETTERS   ? "_getters"
                         : bit == P_PUTTERS ? "_putters"
                                            : "_unfinished_tasks");
    return -1;
}

/* 0 if `_getters` (bit P_GETTERS) or `_putters` is a deque, else -1 with
 * the AttributeError that calling `method` on None raises. */
static int
q_waitq_usable(QueueObject *q, unsigned char bit, const char *method)
{
    if (q_has(q, bit) < 0) {
        return -1;
    }
    if (q->present & (bit << 3)) {
        PyErr_Format(PyExc_AttributeError, "'NoneType' object has no attribute '%s'", method);
        return -1;
    }
    return 0;
}

/* Mark the attribute `bit` stands for present or absent. */
static void
q_set_present(QueueObject *q, unsigned char bit, int on)
{
    q->present = (unsigned char)(on ? q->present | bit : q->present & ~bit);
    if ((q->present & P_ALL) == P_ALL) {
        q->ovr &= (unsigned short)~OV_ABSENT;
    }
    else {
        q->ovr |= OV_ABSENT;
    }
}

/* ------------------------------------------------------------------ */
/* `_unfinished_tasks`: a C integer, or any object the user stored. */

/* New reference to `_unfinished_tasks`. */
static PyObject *
unf_get(QueueObject *q)
{
    if (q->unfinished_obj != NULL) {
        return Py_NewRef(q->unfinished_obj);
    }
    return PyLong_FromSsize_t(q->unfinished);
}

/* Store v (stolen; NULL is an error): 0 or -1. */
static int
unf_set(QueueObject *q, PyObject *v)
{
    if (v == NULL) {
        return -1;
    }
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (!overflow && n > -PY_SSIZE_T_MAX / 2 && n < PY_SSIZE_T_MAX / 2) {
            Py_DECREF(v);
            q->unfinished = (Py_ssize_t)n;
            Py_CLEAR(q->unfinished_obj);
            return 0;
        }
        PyErr_Clear();
    }
    Py_XSETREF(q->unfinished_obj, v);
    return 0;
}

/* `self._unfinished_tasks += delta` (delta is 1 or -1): 0 or -1. */
static int
unf_add(QueueObject *q, int delta)
{
    if (q_has(q, P_UNFINISHED) < 0) {
        return -1;
    }
    if (q->unfinished_obj == NULL) {
        q->unfinished += delta; /* bounded by unf_set's range and memory */
        return 0;
    }
    PyObject *v = Py_NewRef(q->unfinished_obj);
    PyObject *one = PyLong_FromLong(1);
    PyObject *r = NULL;
    if (one != NULL) {
        r = delta > 0 ? PyNumber_InPlaceAdd(v, one) : PyNumber_InPlaceSubtract(v, one);
    }
    Py_XDECREF(one);
    Py_DECREF(v);
    return unf_set(q, r);
}

/* `self._unfinished_tasks <op> 0` as a truth value: 1, 0 or -1. */
static int
unf_cmp0(AlState *st, QueueObject *q, int op)
{
    if (q_has(q, P_UNFINISHED) < 0) {
        return -1;
    }
    if (q->unfinished_obj == NULL) {
        Py_ssize_t n = q->unfinished;
        switch (op) {
        case Py_GT:
            return n > 0;
        case Py_LE:
            return n <= 0;
        default:
            return n == 0;
        }
    }
    PyObject *v = Py_NewRef(q->unfinished_obj);
    int r = PyObject_RichCompareBool(v, st->zero, op);
    Py_DECREF(v);
    return r;
}

/* ------------------------------------------------------------------ */
/* `_maxsize`, `_queue` and the storage operations. */

/* Store `_maxsize` (borrowed value, NULL to delete) and classify it. */
static void
q_set_maxsize(QueueObject *q, PyObject *v)
{
    Py_XINCREF(v);
    Py_XSETREF(q->maxsize, v);
    if (v == NULL) {
        q->max_kind = MK_UNSET;
        return;
    }
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow < 0 || (!overflow && n <= 0)) {
            q->max_kind = MK_UNBOUNDED;
            return;
        }
        q->max_kind = MK_INT;
        q->maxsize_c = (overflow || n > PY_SSIZE_T_MAX) ? PY_SSIZE_T_MAX : (Py_ssize_t)n;
        return;
    }
    q->max_kind = MK_OBJ;
}

/* len(self._queue): >= 0, or -1 with an exception. */
static Py_ssize_t
q_len(AlState *st, QueueObject *q)
{
    PyObject *d = q->queue;
    if (d == NULL) {
        q_no_attr(Q_SELF(q), "_queue");
        return -1;
    }
    if (is_exact_deque(st, d) || PyList_CheckExact(d)) {
        return Py_SIZE(d);
    }
    Py_INCREF(d);
    Py_ssize_t n = PyObject_Size(d);
    Py_DECREF(d);
    return n;
}

/* `not self._queue`: 1, 0 or -1. */
static int
q_not_queue(AlState *st, QueueObject *q)
{
    PyObject *d = q->queue;
    if (d == NULL) {
        q_no_attr(Q_SELF(q), "_queue");
        return -1;
    }
    if (is_exact_deque(st, d) || PyList_CheckExact(d)) {
        return Py_SIZE(d) == 0;
    }
    Py_INCREF(d);
    int r = PyObject_Not(d);
    Py_DECREF(d);
    return r;
}

/* Our _init for `kind`: self._queue = deque() or []. 0 or -1. */
static int
storage_init(AlState *st, QueueObject *q, int kind)
{
    PyObject *d = kind == AL_Q_FIFO ? PyObject_CallNoArgs(st->deque_type) : PyList_New(0);
    if (d == NULL) {
        return -1;
    }
    Py_XSETREF(q->queue, d);
    return 0;
}

/* Our _put for `kind`: self._queue.append(item) or heappush(self._queue,
 * item), through the C methods fetched at import for the exact types.
 * With heappush non-NULL (PriorityQueue._put's second parameter), that is
 * called instead. 0 or -1. */
static int
storage_put(AlState *st, QueueObject *q, int kind, PyObject *item, PyObject *heappush)
{
    PyObject *d = q->queue;
    PyObject *r;
    if (d == NULL) {
        q_no_attr(Q_SELF(q), "_queue");
        return -1;
    }
    /* Beware: the item's comparisons (heappush) or a subclass's append can
     * replace self._queue meanwhile: hold the one being worked on. */
    Py_INCREF(d);
    PyObject *args[2] = { d, item };
    if (kind == AL_Q_FIFO && is_exact_deque(st, d)) {
        r = cf_call(&st->qcache.f_deque_append, args, 2);
    }
    else if (kind == AL_Q_LIFO && PyList_CheckExact(d)) {
        int rc = PyList_Append(d, item);
        Py_DECREF(d);
        return rc;
    }
    else if (kind == AL_Q_PRIO) {
        r = heappush ? PyObject_Vectorcall(heappush, args, 2, NULL)
                     : cf_call(&st->qcache.f_heappush, args, 2);
    }
    else {
        r = call_method(d, st->str_append, item);
    }
    Py_DECREF(d);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* Our _get for `kind`: self._queue.popleft(), .pop() or
 * heappop(self._queue) (or heappop(self._queue) with the given heappop).
 * New reference or NULL. */
static PyObject *
storage_get(AlState *st, QueueObject *q, int kind, PyObject *heappop)
{
    PyObject *d = q->queue;
    PyObject *r;
    if (d == NULL) {
        return q_no_attr(Q_SELF(q), "_queue");
    }
    Py_INCREF(d);
    if (kind == AL_Q_FIFO) {
        r = is_exact_deque(st, d) ? cf_call(&st->qcache.f_deque_popleft, &d, 1)
                                  : call_method(d, st->str_popleft, NULL);
    }
    else if (kind == AL_Q_LIFO) {
        r = PyList_CheckExact(d) ? cf_call(&st->qcache.f_list_pop, &d, 1)
                                 : call_method(d, st->str_pop, NULL);
    }
    else {
        r = heappop ? PyObject_Vectorcall(heappop, &d, 1, NULL)
                    : cf_call(&st->qcache.f_heappop, &d, 1);
    }
    Py_DECREF(d);
    return r;
}

/* self._put(item): 0 or -1. */
static inline int
q_put_item(AlState *st, QueueObject *q, PyObject *item)
{
    if (q->ovr & OV_PUT) {
        return q_call_void(q, st->str__put, item);
    }
    return storage_put(st, q, q->put_kind, item, NULL);
}

/* self._get(): new reference or NULL. */
static inline PyObject *
q_get_item(AlState *st, QueueObject *q)
{
    if (q->ovr & OV_GET) {
        return q_call(q, st->str__get, NULL);
    }
    return storage_get(st, q, q->get_kind, NULL);
}

/* ------------------------------------------------------------------ */
/* qsize(), empty(), full(), as the stdlib's and as called through self. */

/* self.qsize(): new reference or NULL. */
static PyObject *
q_qsize_obj(AlState *st, QueueObject *q)
{
    if (q->ovr & OV_QSIZE) {
        return q_call(q, st->str_qsize, NULL);
    }
    Py_ssize_t n = q_len(st, q);
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

/* bool(self.empty()): 1, 0 or -1. */
static inline int
q_is_empty(AlState *st, QueueObject *q)
{
    if (q->ovr & OV_EMPTY) {
        return al_call_bool(Q_SELF(q), st->str_empty);
    }
    return q_not_queue(st, q);
}

/* The body of Queue.full(): what it returns (new reference) or NULL.
 *     if self._maxsize <= 0: return False
 *     else: return self.qsize() >= self._maxsize */
static PyObject *
q_full_impl(AlState *st, QueueObject *q)
{
    if (q->max_kind == MK_UNBOUNDED) {
        Py_RETURN_FALSE;
    }
    if (q->max_kind == MK_INT && !(q->ovr & OV_QSIZE)) {
        Py_ssize_t n = q_len(st, q);
        return n < 0 ? NULL : PyBool_FromLong(n >= q->maxsize_c);
    }
    if (q->maxsize == NULL) {
        return q_no_attr(Q_SELF(q), "_maxsize");
    }
    PyObject *m = Py_NewRef(q->maxsize);
    int le = PyObject_RichCompareBool(m, st->zero, Py_LE);
    Py_DECREF(m);
    if (le != 0) {
        return le < 0 ? NULL : Py_NewRef(Py_False);
    }
    PyObject *n = q_qsize_obj(st, q);
    if (n == NULL) {
        return NULL;
    }
    if (q->maxsize == NULL) {
        Py_DECREF(n);
        return q_no_attr(Q_SELF(q), "_maxsize");
    }
    m = Py_NewRef(q->maxsize);
    PyObject *r = PyObject_RichCompare(n, m, Py_GE);
    Py_DECREF(m);
    Py_DECREF(n);
    return r;
}

/* bool(self.full()): 1, 0 or -1. */
static inline int
q_is_full(AlState *st, QueueObject *q)
{
    if (q->ovr & OV_FULL) {
        return al_call_bool(Q_SELF(q), st->str_full);
    }
    if (q->max_kind == MK_UNBOUNDED) {
        return 0;
    }
    if (q->max_kind == MK_INT && !(q->ovr & OV_QSIZE)) {
        Py_ssize_t n = q_len(st, q);
        return n < 0 ? -1 : n >= q->maxsize_c;
    }
    PyObject *r = q_full_impl(st, q);
    if (r == NULL) {
        return -1;
    }
    int b = PyObject_IsTrue(r);
    Py_DECREF(r);
    return b;
}

/* `self._is_shutdown` where the stdlib reads it (3.13+; 0 before): 1, 0,
 * or -1 with AttributeError before __init__ set it. */
static inline int
q_shutdown_flag(AlState *st, QueueObject *q)
{
    if (st->QueueShutDown == NULL) {
        return 0;
    }
    if (q->is_shutdown < 0) {
        q_no_attr(Q_SELF(q), "_is_shutdown");
        return -1;
    }
    return q->is_shutdown;
}

/* ------------------------------------------------------------------ */
/* Waking waiters. */

/* The body of Queue._wakeup_next(waiters): pop futures from the left of
 * `waiters` (borrowed; any object with the deque's methods) until one that
 * is not done, and set its result to None. 0 or -1. */
static int
wakeup_next(AlState *st, PyObject *waiters)
{
    int rc = 0;
    Py_INCREF(waiters);
    for (;;) {
        int exact = is_exact_deque(st, waiters);
        int nonempty = exact ? Py_SIZE(waiters) > 0 : PyObject_IsTrue(waiters);
        if (nonempty <= 0) {
            rc = nonempty;
            break;
        }
        PyObject *fut = exact ? cf_call(&st->qcache.f_deque_popleft, &waiters, 1)
                              : call_method(waiters, st->str_popleft, NULL);
        if (fut == NULL) {
            rc = -1;
            break;
        }
        int r = al_fut_set_result_if_pending(st, fut, Py_None);
        Py_DECREF(fut);
        if (r != 0) {
            rc = r < 0 ? -1 : 0;
            break;
        }
    }
    Py_DECREF(waiters);
    return rc;
}

/* self._wakeup_next(self._getters) (qp is &q->waiters) or
 * self._wakeup_next(self._putters) (&q->putters). 0 or -1. */
static inline int
q_wakeup(AlState *st, QueueObject *q, WaitQ **qp)
{
    if (q_has(q, qp == &q->waiters ? P_GETTERS : P_PUTTERS) < 0) {
        return -1;
    }
    if (!(q->ovr & OV_WAKEUP)) {
        return wq_len(*qp) == 0 ? 0 : wakeup_next(st, (*qp)->deque);
    }
    PyObject *d;
    if (q->present & ((qp == &q->waiters ? P_GETTERS : P_PUTTERS) << 3)) {
        d = Py_NewRef(Py_None);
    }
    else if (wq_ensure_deque(st, qp) < 0) {
        return -1;
    }
    else {
        d = Py_NewRef((*qp)->deque);
    }
    int rc = q_call_void(q, st->str__wakeup_next, d);
    Py_DECREF(d);
    return rc;
}

/* self._finished.clear(): 0 or -1. */
static inline int
q_finished_clear(AlState *st, QueueObject *q)
{
    PyObject *f = q->finished;
    if (f != NULL && Py_IS_TYPE(f, st->Event_Type) && !((EventObject *)f)->shadowed) {
        ((EventObject *)f)->value = 0;
        return 0;
    }
    if (f == NULL) {
        q_no_attr(Q_SELF(q), "_finished");
        return -1;
    }
    Py_INCREF(f);
    PyObject *r = call_method(f, st->str_clear, NULL);
    Py_DECREF(f);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* self._finished.set(): 0 or -1. */
static int
q_finished_set(AlState *st, QueueObject *q)
{
    PyObject *f = q->finished;
    if (f != NULL && Py_IS_TYPE(f, st->Event_Type) && !((EventObject *)f)->shadowed &&
        (((EventObject *)f)->value || wq_len(((EventObject *)f)->waiters) == 0)) {
        ((EventObject *)f)->value = 1;
        return 0;
    }
    if (f == NULL) {
        q_no_attr(Q_SELF(q), "_finished");
        return -1;
    }
    Py_INCREF(f);
    PyObject *r = call_method(f, st->str_set, NULL);
    Py_DECREF(f);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* ------------------------------------------------------------------ */
/* put_nowait() and get_nowait(). */

/* put_nowait(item) when nothing is overridden or replaced: the class
 * overrides none of the methods, `_queue` is an exact deque (list), the
 * queue is not full, not shut down, `_unfinished_tasks` is a C integer and
 * `_finished` is our Event. 1 if done, 0 if not applicable (nothing done:
 * take the general path), -1 on error. */
static inline int
q_put_fast(AlState *st, QueueObject *q, PyObject *item)
{
    PyObject *d = q->queue;
    PyObject *f = q->finished;
    if (q->ovr != 0 || q->is_shutdown != 0 || q->unfinished_obj != NULL || d == NULL || f == NULL ||
        !Py_IS_TYPE(f, st->Event_Type) || ((EventObject *)f)->shadowed) {
        return 0;
    }
    int kind = q->put_kind;
    if (kind == AL_Q_FIFO ? !is_exact_deque(st, d) : !PyList_CheckExact(d)) {
        return 0;
    }
    if (q->max_kind != MK_UNBOUNDED && (q->max_kind != MK_INT || Py_SIZE(d) >= q->maxsize_c)) {
        return 0;
    }
    if (kind == AL_Q_LIFO || (kind == AL_Q_PRIO && Py_SIZE(d) == 0)) {
        /* heappush() onto an empty heap appends and compares nothing. */
        if (PyList_Append(d, item) < 0) {
            return -1;
        }
    }
    else {
        /* Beware: heappush runs the items' comparisons, which can replace
         * self._queue: hold the list. */
        Py_INCREF(d);
        PyObject *args[2] = { d, item };
        PyObject *r =
          cf_call(kind == AL_Q_FIFO ? &st->qcache.f_deque_append : &st->qcache.f_heappush, args, 2);
        Py_DECREF(d);
        if (r == NULL) {
            return -1;
        }
        Py_DECREF(r);
    }
    q->unfinished++;
    f = q->finished; /* re-read: a comparison may have replaced it */
    if (f != NULL && Py_IS_TYPE(f, st->Event_Type) && !((EventObject *)f)->shadowed) {
        ((EventObject *)f)->value = 0;
    }
    else if (q_finished_clear(st, q) < 0) {
        return -1;
    }
    if (wq_len(q->waiters) > 0 && q_wakeup(st, q, &q->waiters) < 0) {
        return -1;
    }
    return 1;
}

/* get_nowait() when nothing is overridden or replaced and the queue holds
 * an item: 1 with the item in *item, 0 if not applicable (nothing done),
 * -1 on error. */
static inline int
q_get_fast(AlState *st, QueueObject *q, PyObject **item)
{
    PyObject *d = q->queue;
    if (q->ovr != 0 || d == NULL) {
        return 0;
    }
    int kind = q->get_kind;
    if ((kind == AL_Q_FIFO ? !is_exact_deque(st, d) : !PyList_CheckExact(d)) || Py_SIZE(d) == 0) {
        return 0;
    }
    if (kind != AL_Q_FIFO && Py_SIZE(d) == 1) {
        /* list.pop() and heappop() of the only item (heappop compares
         * nothing then), without freeing the list's storage as list.pop()
         * does when it empties a list: the next put() would allocate it
         * again. The list's reference to the item becomes ours. */
        *item = PyList_GET_ITEM(d, 0);
        Py_SET_SIZE(d, 0);
    }
    else {
        const AlCFunc *f = kind == AL_Q_FIFO   ? &st->qcache.f_deque_popleft
                           : kind == AL_Q_LIFO ? &st->qcache.f_list_pop
                                               : &st->qcache.f_heappop;
        Py_INCREF(d);
        *item = cf_call(f, &d, 1);
        Py_DECREF(d);
        if (*item == NULL) {
            return -1;
        }
    }
    if (wq_len(q->putters) > 0 && q_wakeup(st, q, &q->putters) < 0) {
        Py_CLEAR(*item);
        return -1;
    }
    return 1;
}

/* The body of Queue.put_nowait(item). 0 or -1. */
static int
q_put_nowait_impl(AlState *st, QueueObject *q, PyObject *item)
{
    int sd = q_shutdown_flag(st, q);
    if (sd != 0) {
        if (sd > 0) {
            PyErr_SetNone(st->QueueShutDown);
        }
        return -1;
    }
    int full = q_is_full(st, q);
    if (full != 0) {
        if (full > 0) {
            PyErr_SetNone(st->QueueFull);
        }
        return -1;
    }
    if (q_put_item(st, q, item) < 0 || unf_add(q, 1) < 0 || q_finished_clear(st, q) < 0) {
        return -1;
    }
    return q_wakeup(st, q, &q->waiters);
}

/* The body of Queue.get_nowait(): the item (new reference) or NULL. */
static PyObject *
q_get_nowait_impl(AlState *st, QueueObject *q)
{
    int empty = q_is_empty(st, q);
    if (empty != 0) {
        if (empty > 0) {
            int sd = q_shutdown_flag(st, q);
            if (sd >= 0) {
                PyErr_SetNone(sd ? st->QueueShutDown : st->QueueEmpty);
            }
        }
        return NULL;
    }
    PyObject *item = q_get_item(st, q);
    if (item == NULL) {
        return NULL;
    }
    if (q_wakeup(st, q, &q->putters) < 0) {
        Py_DECREF(item);
        return NULL;
    }
    return item;
}

/* ------------------------------------------------------------------ */
/* put(), get() and join(): the coroutines, as step functions. */

/* The `except:` clause of put() (putters) and get() (getters), entered with
 * the exception that `await waiter` raised set:
 *     waiter.cancel()
 *     try: waiters.remove(waiter)
 *     except ValueError: pass
 *     if not self.full() [self.empty()] and not waiter.cancelled():
 *         self._wakeup_next(waiters)
 *     raise
 * Returns AW_ERROR. */
static AwStep
q_waiter_failed(AlAwaitable *aw, WaitQ **qp, int putter)
{
    AlState *st = aw->st;
    QueueObject *q = (QueueObject *)aw->owner;
    PyObject *fut = aw->fut;
    PyObject *exc = al_fetch_exc();
    PyObject *r = call_method(fut, st->str_cancel, NULL);
    if (r == NULL) {
        goto chained;
    }
    Py_DECREF(r);
    if (q_waitq_usable(q, putter ? P_PUTTERS : P_GETTERS, "remove") < 0) {
        goto chained;
    }
    (void)wq_remove(*qp, fut);
    int busy = putter ? q_is_full(st, q) : q_is_empty(st, q);
    if (busy < 0) {
        goto chained;
    }
    if (!busy) {
        int cancelled = al_fut_cancelled(st, fut);
        if (cancelled < 0 || (cancelled == 0 && q_wakeup(st, q, qp) < 0)) {
            goto chained;
        }
    }
    al_restore_exc(exc);
    return AW_ERROR;
chained:
    al_chain_context(exc);
    return AW_ERROR;
}

/* Body of Queue.put(item); aw->arg is the item. */
static AwStep
q_put_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    QueueObject *q = (QueueObject *)aw->owner;
    AlState *st = aw->st;
    if (aw->state == 1) {
        if (value == NULL) {
            return q_waiter_failed(aw, &q->putters, 1);
        }
        aw->state = 0;
    }
    q_check_type(st, q);
    /* Not full, nothing overridden: what the rest would do. */
    int done = q_put_fast(st, q, aw->arg);
    if (done != 0) {
        if (done < 0) {
            return AW_ERROR;
        }
        Py_CLEAR(aw->arg); /* nothing held but the owner: aw_start's short path */
        Py_CLEAR(aw->fut);
        *result = Py_NewRef(Py_None);
        return AW_RETURN;
    }
    /* while self.full(): ... */
    int full = q_is_full(st, q);
    if (full < 0) {
        return AW_ERROR;
    }
    if (!full) {
        /* return self.put_nowait(item) */
        PyObject *item = aw->arg;
        PyObject *r;
        aw->arg = NULL; /* nothing held but the owner: aw_start's short path */
        Py_CLEAR(aw->fut);
        if (q->ovr & OV_PUT_NOWAIT) {
            r = q_call(q, st->str_put_nowait, item);
        }
        else {
            r = q_put_nowait_impl(st, q, item) < 0 ? NULL : Py_NewRef(Py_None);
        }
        Py_DECREF(item);
        if (r == NULL) {
            return AW_ERROR;
        }
        *result = r;
        return AW_RETURN;
    }
    int sd = q_shutdown_flag(st, q);
    if (sd != 0) {
        if (sd > 0) {
            PyErr_SetNone(st->QueueShutDown);
        }
        return AW_ERROR;
    }
    /* putter = self._get_loop().create_future(); self._putters.append(putter) */
    /* The getters' wait queue holds the loop binding of the queue. */
    PyObject *fut = wq_new_future(st, aw->owner, &q->waiters);
    if (fut == NULL) {
        return AW_ERROR;
    }
    Py_XSETREF(aw->fut, fut);
    if (q_waitq_usable(q, P_PUTTERS, "append") < 0 || wq_reserve(st, &q->putters) < 0 ||
        wq_append(&q->putters, fut) < 0) {
        return AW_ERROR;
    }
    aw->state = 1;
    return AW_AWAIT_FUT;
}

/* Body of Queue.get(). */
static AwStep
q_get_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    QueueObject *q = (QueueObject *)aw->owner;
    AlState *st = aw->st;
    if (aw->state == 1) {
        if (value == NULL) {
            return q_waiter_failed(aw, &q->waiters, 0);
        }
        aw->state = 0;
    }
    q_check_type(st, q);
    PyObject *item;
    int done = q_get_fast(st, q, &item);
    if (done != 0) {
        if (done < 0) {
            return AW_ERROR;
        }
        Py_CLEAR(aw->fut);
        *result = item;
        return AW_RETURN;
    }
    /* while self.empty(): ... */
    int empty = q_is_empty(st, q);
    if (empty < 0) {
        return AW_ERROR;
    }
    if (!empty) {
        /* return self.get_nowait() */
        Py_CLEAR(aw->fut);
        PyObject *r =
          (q->ovr & OV_GET_NOWAIT) ? q_call(q, st->str_get_nowait, NULL) : q_get_nowait_impl(st, q);
        if (r == NULL) {
            return AW_ERROR;
        }
        *result = r;
        return AW_RETURN;
    }
    /* if self._is_shutdown and self.empty(): raise QueueShutDown */
    int sd = q_shutdown_flag(st, q);
    if (sd > 0) {
        sd = q_is_empty(st, q);
        if (sd > 0) {
            PyErr_SetNone(st->QueueShutDown);
        }
    }
    if (sd != 0) {
        return AW_ERROR;
    }
    PyObject *fut = wq_new_future(st, aw->owner, &q->waiters);
    if (fut == NULL) {
        return AW_ERROR;
    }
    Py_XSETREF(aw->fut, fut);
    if (q_waitq_usable(q, P_GETTERS, "append") < 0 || wq_append(&q->waiters, fut) < 0) {
        return AW_ERROR;
    }
    aw->state = 1;
    return AW_AWAIT_FUT;
}

/* Body of Queue.join(): if self._unfinished_tasks > 0: await
 * self._finished.wait() */
static AwStep
q_join_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    QueueObject *q = (QueueObject *)aw->owner;
    AlState *st = aw->st;
    if (aw->state == 0) {
        int gt = unf_cmp0(st, q, Py_GT);
        if (gt < 0) {
            return AW_ERROR;
        }
        if (gt) {
            if (q->finished == NULL) {
                q_no_attr(aw->owner, "_finished");
                return AW_ERROR;
            }
            aw->state = 1;
            return aw_await_method(aw, q->finished, st->str_wait);
        }
    }
    else if (value == NULL) {
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

/* ------------------------------------------------------------------ */
/* Methods. */

#define Q(o) ((QueueObject *)(o))

static PyObject *
q_put(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *item;
    if (nargs == 1 && kwnames == NULL) {
        item = args[0];
    }
    else if (al_parse_one_arg("Queue.put", "item", 1, args, nargs, kwnames, &item) < 0) {
        return NULL;
    }
    PyObject *aw = aw_new(WB_STATE(self), self, q_put_step, "Queue.put", Py_None);
    if (aw != NULL) {
        ((AlAwaitable *)aw)->arg = Py_NewRef(item);
    }
    return aw;
}

static PyObject *
q_get(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Queue.get", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(WB_STATE(self), self, q_get_step, "Queue.get", Py_None);
}

static PyObject *
q_join(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Queue.join", nargs, kwnames) < 0) {
        return NULL;
    }
    return aw_new(WB_STATE(self), self, q_join_step, "Queue.join", Py_None);
}

static PyObject *
q_put_nowait(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *item;
    if (nargs == 1 && kwnames == NULL) {
        item = args[0];
    }
    else if (al_parse_one_arg("Queue.put_nowait", "item", 1, args, nargs, kwnames, &item) < 0) {
        return NULL;
    }
    AlState *st = WB_STATE(self);
    q_check_type(st, Q(self));
    int done = q_put_fast(st, Q(self), item);
    if (done == 0) {
        done = q_put_nowait_impl(st, Q(self), item) < 0 ? -1 : 1;
    }
    if (done < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
q_get_nowait(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Queue.get_nowait", nargs, kwnames) < 0) {
        return NULL;
    }
    AlState *st = WB_STATE(self);
    PyObject *item;
    q_check_type(st, Q(self));
    int done = q_get_fast(st, Q(self), &item);
    if (done != 0) {
        return done > 0 ? item : NULL;
    }
    return q_get_nowait_impl(st, Q(self));
}

static PyObject *
q_task_done(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    QueueObject *q = Q(self);
    if (al_no_args("Queue.task_done", nargs, kwnames) < 0) {
        return NULL;
    }
    int le = unf_cmp0(st, q, Py_LE);
    if (le != 0) {
        if (le > 0) {
            PyErr_SetString(PyExc_ValueError, "task_done() called too many times");
        }
        return NULL;
    }
    if (unf_add(q, -1) < 0) {
        return NULL;
    }
    int zero = unf_cmp0(st, q, Py_EQ);
    if (zero < 0 || (zero && q_finished_set(st, q) < 0)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
q_qsize(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Queue.qsize", nargs, kwnames) < 0) {
        return NULL;
    }
    Py_ssize_t n = q_len(WB_STATE(self), Q(self));
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *
q_empty(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Queue.empty", nargs, kwnames) < 0) {
        return NULL;
    }
    int r = q_not_queue(WB_STATE(self), Q(self));
    return r < 0 ? NULL : PyBool_FromLong(r);
}

static PyObject *
q_full(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (al_no_args("Queue.full", nargs, kwnames) < 0) {
        return NULL;
    }
    q_check_type(WB_STATE(self), Q(self));
    return q_full_impl(WB_STATE(self), Q(self));
}

#if AL_PY313
/* `while self._getters: getter = self._getters.popleft(); if not
 * getter.done(): getter.set_result(None)` (shutdown()). 0 or -1. */
static int
q_release_all(AlState *st, WaitQ **qp)
{
    while (wq_len(*qp) > 0) {
        PyObject *d = Py_NewRef((*qp)->deque);
        PyObject *fut = is_exact_deque(st, d) ? cf_call(&st->qcache.f_deque_popleft, &d, 1)
                                              : call_method(d, st->str_popleft, NULL);
        Py_DECREF(d);
        if (fut == NULL) {
            return -1;
        }
        int rc = al_fut_set_result_if_pending(st, fut, Py_None);
        Py_DECREF(fut);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

static PyObject *
q_shutdown(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    AlState *st = WB_STATE(self);
    QueueObject *q = Q(self);
    PyObject *immediate;
    if (al_parse_one_arg("Queue.shutdown", "immediate", 0, args, nargs, kwnames, &immediate) < 0) {
        return NULL;
    }
    q_check_type(st, q);
    q->is_shutdown = 1;
    int imm = immediate != NULL ? PyObject_IsTrue(immediate) : 0;
    if (imm < 0) {
        return NULL;
    }
    if (imm) {
        for (;;) {
            int empty = q_is_empty(st, q);
            if (empty < 0) {
                return NULL;
            }
            if (empty) {
                break;
            }
            PyObject *item = q_get_item(st, q);
            if (item == NULL) {
                return NULL;
            }
            Py_DECREF(item);
            int gt = unf_cmp0(st, q, Py_GT);
            if (gt < 0 || (gt && unf_add(q, -1) < 0)) {
                return NULL;
            }
        }
        int zero = unf_cmp0(st, q, Py_EQ);
        if (zero < 0 || (zero && q_finished_set(st, q) < 0)) {
            return NULL;
        }
    }
    if (q_has(q, P_GETTERS) < 0 || q_release_all(st, &q->waiters) < 0 || q_has(q, P_PUTTERS) < 0 ||
        q_release_all(st, &q->putters) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

#endif

static PyObject *
q_wakeup_next_meth(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *waiters;
    if (al_parse_one_arg("Queue._wakeup_next", "waiters", 1, args, nargs, kwnames, &waiters) < 0 ||
        wakeup_next(WB_STATE(self), waiters) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* _init(maxsize) of each class. */
static PyObject *
q_init_kind(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, int kind,
            const char *qualname)
{
    PyObject *maxsize;
    if (al_parse_one_arg(qualname, "maxsize", 1, args, nargs, kwnames, &maxsize) < 0 ||
        storage_init(WB_STATE(self), Q(self), kind) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
q_init_fifo(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return q_init_kind(self, args, nargs, kwnames, AL_Q_FIFO, "Queue._init");
}

static PyObject *
q_init_lifo(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return q_init_kind(self, args, nargs, kwnames, AL_Q_LIFO, "LifoQueue._init");
}

static PyObject *
q_init_prio(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return q_init_kind(self, args, nargs, kwnames, AL_Q_PRIO, "PriorityQueue._init");
}

static PyObject *
q_put_kind(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, int kind,
           const char *qualname)
{
    PyObject *item;
    if (nargs == 1 && kwnames == NULL) {
        item = args[0];
    }
    else if (al_parse_one_arg(qualname, "item", 1, args, nargs, kwnames, &item) < 0) {
        return NULL;
    }
    if (storage_put(WB_STATE(self), Q(self), kind, item, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
q_put_fifo(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return q_put_kind(self, args, nargs, kwnames, AL_Q_FIFO, "Queue._put");
}

static PyObject *
q_put_lifo(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return q_put_kind(self, args, nargs, kwnames, AL_Q_LIFO, "LifoQueue._put");
}

static PyObject *
q_get_kind(PyObject *self, Py_ssize_t nargs, PyObject *kwnames, int kind, const char *qualname)
{
    if (al_no_args(qualname, nargs, kwnames) < 0) {
        return NULL;
    }
    return storage_get(WB_STATE(self), Q(self), kind, NULL);
}

static PyObject *
q_get_fifo(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return q_get_kind(self, nargs, kwnames, AL_Q_FIFO, "Queue._get");
}

static PyObject *
q_get_lifo(PyObject *self, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    return q_get_kind(self, nargs, kwnames, AL_Q_LIFO, "LifoQueue._get");
}

/* PriorityQueue._put(self, item, heappush=heapq.heappush) and _get(self,
 * heappop=heapq.heappop): the optional function is called in place of
 * heapq's, as the stdlib's default argument allows. */
static int
parse_two(const char *qualname, const char *p0, const char *p1, int required, PyObject *const *args,
          Py_ssize_t nargs, PyObject *kwnames, PyObject **o0, PyObject **o1)
{
    const char *names[2] = { p0, p1 };
    PyObject **outs[2] = { o0, o1 };
    int n = p0 != NULL ? 2 : 1;
    const char *const *nm = p0 != NULL ? names : names + 1;
    PyObject **const *out = p0 != NULL ? outs : outs + 1;
    *o0 = NULL;
    *o1 = NULL;
    if (nargs > n) {
        PyErr_Format(PyExc_TypeError,
                     required ? "%s() takes from 2 to 3 positional arguments but %zd were given"
                              : "%s() takes from 1 to 2 positional arguments but %zd were given",
                     qualname, nargs + 1);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        *out[i] = args[i];
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int i = 0;
        while (i < n && PyUnicode_CompareWithASCIIString(key, nm[i]) != 0) {
            i++;
        }
        if (i == n) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", qualname,
                         key);
            return -1;
        }
        if (*out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", qualname,
                         nm[i]);
            return -1;
        }
        *out[i] = args[nargs + k];
    }
    if (required && *o0 == NULL) {
        PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: '%s'", qualname,
                     p0);
        return -1;
    }
    return 0;
}

static PyObject *
q_put_prio(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *item, *heappush;
    if (nargs == 1 && kwnames == NULL) {
        item = args[0];
        heappush = NULL;
    }
    else if (parse_two("PriorityQueue._put", "item", "heappush", 1, args, nargs, kwnames, &item,
                       &heappush) < 0) {
        return NULL;
    }
    if (heappush == WB_STATE(self)->heappush) {
        heappush = NULL; /* the default: the direct call */
    }
    if (storage_put(WB_STATE(self), Q(self), AL_Q_PRIO, item, heappush) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
q_get_prio(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *unused, *heappop;
    if (parse_two("PriorityQueue._get", NULL, "heappop", 0, args, nargs, kwnames, &unused,
                  &heappop) < 0) {
        return NULL;
    }
    if (heappop == WB_STATE(self)->heappop) {
        heappop = NULL;
    }
    return storage_get(WB_STATE(self), Q(self), AL_Q_PRIO, heappop);
}

/* ------------------------------------------------------------------ */
/* Object lifecycle. */

/* Which of the stdlib's internal calls a class overrides (see the file
 * comment): fills ovr and the storage kinds of a new instance. Our three
 * classes need no lookup; a subclass gets one per method. */
static void
q_classify(AlState *st, PyTypeObject *type, QueueObject *q)
{
    AlQueueCache *qc = &st->qcache;
    PyTypeObject *ours[AL_Q_NKINDS] = { st->Queue_Type, st->LifoQueue_Type,
                                        st->PriorityQueue_Type };
    /* Kept: an absent attribute, a shadowing instance attribute. */
    unsigned short keep = (unsigned short)((q->ovr & OV_ABSENT) | (q->shadowed ? OV_ALL : 0));
    for (int k = 0; k < AL_Q_NKINDS; k++) {
        if (type == ours[k] && type->tp_version_tag != 0 && type->tp_version_tag == qc->tag[k]) {
            /* One of ours, unmodified since import. */
            q->ovr = keep;
            q->init_kind = q->put_kind = q->get_kind = (char)k;
            q->type_tag = type->tp_version_tag;
            return;
        }
    }
    struct {
        PyObject *name;
        PyObject **ours; /* AL_Q_NKINDS entries */
        char *kind;
        unsigned short bit;
    } storage[3] = {
        { st->str__init, qc->meth_init, &q->init_kind, OV_INIT },
        { st->str__put, qc->meth_put, &q->put_kind, OV_PUT },
        { st->str__get, qc->meth_get, &q->get_kind, OV_GET },
    };
    struct {
        PyObject *name;
        PyObject *ours;
        unsigned short bit;
    } calls[6] = {
        { st->str_full, qc->meth_full, OV_FULL },
        { st->str_qsize, qc->meth_qsize, OV_QSIZE },
        { st->str_empty, qc->meth_empty, OV_EMPTY },
        { st->str_put_nowait, qc->meth_put_nowait, OV_PUT_NOWAIT },
        { st->str_get_nowait, qc->meth_get_nowait, OV_GET_NOWAIT },
        { st->str__wakeup_next, qc->meth_wakeup_next, OV_WAKEUP },
    };
    unsigned short ovr = 0;
    for (int i = 0; i < 3; i++) {
        PyObject *found = _PyType_Lookup(type, storage[i].name); /* borrowed */
        int k = 0;
        while (k < AL_Q_NKINDS && (found == NULL || found != storage[i].ours[k])) {
            k++;
        }
        if (k == AL_Q_NKINDS) {
            ovr |= storage[i].bit;
            k = AL_Q_FIFO;
        }
        *storage[i].kind = (char)k;
    }
    for (int i = 0; i < 6; i++) {
        PyObject *found = _PyType_Lookup(type, calls[i].name);
        if (found == NULL || found != calls[i].ours) {
            ovr |= calls[i].bit;
        }
    }
    q->ovr = (unsigned short)(ovr | keep);
    /* Valid after the lookups (they assign one), unless the interpreter ran
     * out of tags: then 0, and every operation decides again. */
    q->type_tag = type->tp_version_tag;
}

/* Decide again what the class overrides if it (or a base) was modified
 * since (`Queue._put = f`, `mock.patch.object(MyQueue, "full")`): a class
 * attribute assignment changes the type's version tag. */
static inline void
q_check_type(AlState *st, QueueObject *q)
{
    PyTypeObject *tp = Py_TYPE(q);
    if (tp->tp_version_tag != q->type_tag || q->type_tag == 0) {
        q_classify(st, tp, q);
    }
}

static PyObject *
q_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    AlState *st = al_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    QueueObject *q = (QueueObject *)type->tp_alloc(type, 0);
    if (q == NULL) {
        return NULL;
    }
    q->st = st;
    q->is_shutdown = st->QueueShutDown != NULL ? -1 : 0;
    q->max_kind = MK_UNSET;
    q_classify(st, type, q);
    q_set_present(q, P_ALL, 0);
    return (PyObject *)q;
}

/* Queue.__init__(self, maxsize=0): the stdlib's order of assignments. */
static int
q_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    AlState *st = WB_STATE(self);
    QueueObject *q = Q(self);
    PyObject *maxsize;
    if (al_parse_init(self, "Queue", args, kwds, "maxsize", 0, &maxsize) < 0) {
        return -1;
    }
    q_check_type(st, q);
    q_set_maxsize(q, maxsize != NULL ? maxsize : st->zero);
    /* self._getters = deque(); self._putters = deque(): fresh ones, made
     * when first needed. The bound loop stays, as the stdlib's `_loop`. */
    if (q->waiters != NULL) {
        Py_CLEAR(q->waiters->deque);
    }
    wq_clear(&q->putters);
    q->present &= (unsigned char)~(P_GETTERS_NONE | P_PUTTERS_NONE);
    q_set_present(q, P_ALL, 1);
    if (unf_set(q, PyLong_FromLong(0)) < 0) {
        return -1;
    }
    /* self._finished = locks.Event(); self._finished.set() */
    PyObject *ev = PyObject_CallNoArgs((PyObject *)st->Event_Type);
    if (ev == NULL) {
        return -1;
    }
    ((EventObject *)ev)->value = 1;
    Py_XSETREF(q->finished, ev);
    /* self._init(maxsize) */
    int rc = (q->ovr & OV_INIT) ? q_call_void(q, st->str__init, q->maxsize)
                                : storage_init(st, q, q->init_kind);
    if (rc < 0) {
        return -1;
    }
    if (st->QueueShutDown != NULL) {
        q->is_shutdown = 0;
    }
    return 0;
}

static int
q_traverse(PyObject *self, visitproc visit, void *arg)
{
    QueueObject *q = Q(self);
    int rc = wb_traverse(self, visit, arg);
    if (rc != 0) {
        return rc;
    }
    rc = wq_traverse(q->putters, visit, arg);
    if (rc != 0) {
        return rc;
    }
    Py_VISIT(q->queue);
    Py_VISIT(q->maxsize);
    Py_VISIT(q->unfinished_obj);
    Py_VISIT(q->finished);
    return 0;
}

static int
q_clear(PyObject *self)
{
    QueueObject *q = Q(self);
    wq_clear(&q->putters);
    Py_CLEAR(q->queue);
    Py_CLEAR(q->maxsize);
    q->max_kind = MK_UNSET;
    Py_CLEAR(q->unfinished_obj);
    Py_CLEAR(q->finished);
    return wb_clear(self);
}

/* ------------------------------------------------------------------ */
/* Attributes. */

/* Any instance attribute that shadows a class attribute (or access to
 * __dict__) sends every internal call through self. */
static int
q_setattro(PyObject *self, PyObject *name, PyObject *value)
{
    QueueObject *q = Q(self);
    int rc = al_setattro_flag(self, name, value, &q->shadowed);
    if (q->shadowed) {
        q->ovr |= OV_ALL;
    }
    return rc;
}

static PyObject *
q_get_dict(PyObject *self, void *Py_UNUSED(closure))
{
    Q(self)->ovr |= OV_ALL;
    return al_get_dict_flag(self, &Q(self)->shadowed);
}

static int
q_set_dict(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    Q(self)->ovr |= OV_ALL;
    return al_set_dict_flag(self, value, &Q(self)->shadowed);
}

/* Getter/setter of an object field that may be absent (deleting it makes
 * it absent, as for an instance attribute). The closure is the offset of
 * the field. */
#define Q_FIELD(self, closure) ((PyObject **)((char *)(self) + (Py_ssize_t)(closure)))

static PyObject *
q_get_queue(PyObject *self, void *Py_UNUSED(closure))
{
    PyObject *d = Q(self)->queue;
    return d != NULL ? Py_NewRef(d) : q_no_attr(self, "_queue");
}

static int
q_set_queue(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL && Q(self)->queue == NULL) {
        q_no_attr(self, "_queue");
        return -1;
    }
    Py_XINCREF(value);
    Py_XSETREF(Q(self)->queue, value);
    return 0;
}

static PyObject *
q_get_finished(PyObject *self, void *Py_UNUSED(closure))
{
    PyObject *f = Q(self)->finished;
    return f != NULL ? Py_NewRef(f) : q_no_attr(self, "_finished");
}

static int
q_set_finished(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL && Q(self)->finished == NULL) {
        q_no_attr(self, "_finished");
        return -1;
    }
    Py_XINCREF(value);
    Py_XSETREF(Q(self)->finished, value);
    return 0;
}

static PyObject *
q_get_maxsize_attr(PyObject *self, void *Py_UNUSED(closure))
{
    PyObject *m = Q(self)->maxsize;
    return m != NULL ? Py_NewRef(m) : q_no_attr(self, "_maxsize");
}

static int
q_set_maxsize_attr(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL && Q(self)->maxsize == NULL) {
        q_no_attr(self, "_maxsize");
        return -1;
    }
    q_set_maxsize(Q(self), value);
    return 0;
}

static PyObject *
q_get_unfinished(PyObject *self, void *Py_UNUSED(closure))
{
    if (q_has(Q(self), P_UNFINISHED) < 0) {
        return NULL;
    }
    return unf_get(Q(self));
}

static int
q_set_unfinished(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    QueueObject *q = Q(self);
    if (value == NULL) {
        if (q_has(q, P_UNFINISHED) < 0) {
            return -1;
        }
        Py_CLEAR(q->unfinished_obj);
        q->unfinished = 0;
        q_set_present(q, P_UNFINISHED, 0);
        return 0;
    }
    if (unf_set(q, Py_NewRef(value)) < 0) {
        return -1;
    }
    q_set_present(q, P_UNFINISHED, 1);
    return 0;
}

/* `_getters` / `_putters`: the deque itself, created on first read. */
static PyObject *
q_get_waitq(PyObject *self, WaitQ **qp, unsigned char bit)
{
    if (q_has(Q(self), bit) < 0) {
        return NULL;
    }
    if (Q(self)->present & (bit << 3)) {
        Py_RETURN_NONE;
    }
    if (wq_ensure_deque(WB_STATE(self), qp) < 0) {
        return NULL;
    }
    return Py_NewRef((*qp)->deque);
}

static int
q_set_waitq(PyObject *self, PyObject *value, WaitQ **qp, unsigned char bit, const char *name)
{
    AlState *st = WB_STATE(self);
    if (value == NULL) {
        if (q_has(Q(self), bit) < 0) {
            return -1;
        }
        if (*qp != NULL) {
            Py_CLEAR((*qp)->deque);
        }
        q_set_present(Q(self), bit, 0);
        Q(self)->present &= (unsigned char)~(bit << 3);
        return 0;
    }
    if (value == Py_None) {
        if (*qp != NULL) {
            Py_CLEAR((*qp)->deque);
        }
        q_set_present(Q(self), bit, 1);
        Q(self)->present |= (unsigned char)(bit << 3);
        return 0;
    }
    if (!PyObject_TypeCheck(value, (PyTypeObject *)st->deque_type)) {
        PyErr_Format(PyExc_TypeError,
                     "asynclocks: %s must be a collections.deque or None, not %.100s", name,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (wq_reserve(st, qp) < 0) {
        return -1;
    }
    Py_XSETREF((*qp)->deque, Py_NewRef(value));
    q_set_present(Q(self), bit, 1);
    Q(self)->present &= (unsigned char)~(bit << 3);
    return 0;
}

static PyObject *
q_get_getters(PyObject *self, void *Py_UNUSED(closure))
{
    return q_get_waitq(self, &Q(self)->waiters, P_GETTERS);
}

static int
q_set_getters(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    return q_set_waitq(self, value, &Q(self)->waiters, P_GETTERS, "_getters");
}

static PyObject *
q_get_putters(PyObject *self, void *Py_UNUSED(closure))
{
    return q_get_waitq(self, &Q(self)->putters, P_PUTTERS);
}

static int
q_set_putters(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    return q_set_waitq(self, value, &Q(self)->putters, P_PUTTERS, "_putters");
}

#if AL_PY313
static PyObject *
q_get_is_shutdown(PyObject *self, void *Py_UNUSED(closure))
{
    char v = Q(self)->is_shutdown;
    return v < 0 ? q_no_attr(self, "_is_shutdown") : PyBool_FromLong(v);
}

static int
q_set_is_shutdown(PyObject *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        if (Q(self)->is_shutdown < 0) {
            q_no_attr(self, "_is_shutdown");
            return -1;
        }
        Q(self)->is_shutdown = -1;
        return 0;
    }
    return al_set_flag_attr(value, "_is_shutdown", &Q(self)->is_shutdown);
}
#endif

static PyGetSetDef q_getset[] = {
    { "__dict__", q_get_dict, q_set_dict, NULL, NULL },
    WB_GETSET_LOOP,
    { "_queue", q_get_queue, q_set_queue, NULL, NULL },
    { "_maxsize", q_get_maxsize_attr, q_set_maxsize_attr, NULL, NULL },
    { "_getters", q_get_getters, q_set_getters, NULL, NULL },
    { "_putters", q_get_putters, q_set_putters, NULL, NULL },
    { "_unfinished_tasks", q_get_unfinished, q_set_unfinished, NULL, NULL },
    { "_finished", q_get_finished, q_set_finished, NULL, NULL },
#if AL_PY313
    { "_is_shutdown", q_get_is_shutdown, q_set_is_shutdown, NULL, NULL },
#endif
    WB_GETSET_END,
};

/* ------------------------------------------------------------------ */
/* Pickling and copying, as the stdlib's instances (whose state is their
 * __dict__): (copyreg.__newobj__, (type(self),), state), state being the
 * attributes in the order the stdlib's __init__ sets them, then the instance
 * __dict__, then `_loop` once bound. */

/* state[name] = getattr(self, name) when self has it. 0 or -1. */
static int
state_add(PyObject *state, PyObject *self, const char *name)
{
    PyObject *v = PyObject_GetAttrString(self, name);
    if (v == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            return -1;
        }
        PyErr_Clear();
        return 0;
    }
    int rc = PyDict_SetItemString(state, name, v);
    Py_DECREF(v);
    return rc;
}

static PyObject *
q_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    static const char *const names[] = { "_maxsize",          "_getters",  "_putters",
                                         "_unfinished_tasks", "_finished", "_queue",
#if AL_PY313
                                         "_is_shutdown"
#endif
    };
    QueueObject *q = Q(self);
    PyObject *state = PyDict_New();
    if (state == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (state_add(state, self, names[i]) < 0) {
            goto error;
        }
    }
    PyObject *dict = al_dict_peek(self);
    if (dict != NULL && PyDict_Update(state, dict) < 0) {
        goto error;
    }
    if (q->waiters != NULL && q->waiters->loop != NULL &&
        PyDict_SetItemString(state, "_loop", q->waiters->loop) < 0) {
        goto error;
    }
    return Py_BuildValue("O(O)N", q->st->newobj, (PyObject *)Py_TYPE(self), state);
error:
    Py_DECREF(state);
    return NULL;
}

/* __setstate__(state): setattr(self, name, value) for each entry. */
static PyObject *
q_setstate(PyObject *self, PyObject *state)
{
    if (!PyDict_Check(state)) {
        PyErr_SetString(PyExc_TypeError, "__setstate__ expects a dict");
        return NULL;
    }
    PyObject *items = PyDict_Items(state);
    if (items == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (PyObject_SetAttr(self, PyTuple_GET_ITEM(kv, 0), PyTuple_GET_ITEM(kv, 1)) < 0) {
            Py_DECREF(items);
            return NULL;
        }
    }
    Py_DECREF(items);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Types. */

static PyMethodDef q_methods[] = {
    { "put", CMETH(q_put), METH_CM,
      PyDoc_STR("put($self, item)\n--\n\nPut an item into the queue (a coroutine).\n\nIf the queue "
                "is full, wait until a free slot is available before adding item.") },
    { "get", CMETH(q_get), METH_CM,
      PyDoc_STR("get($self)\n--\n\nRemove and return an item from the queue (a coroutine).\n\nIf "
                "queue is empty, wait until an item is available.") },
    { "join", CMETH(q_join), METH_CM,
      PyDoc_STR("join($self)\n--\n\nBlock until all items in the queue have been gotten and "
                "processed (a coroutine).") },
    { "put_nowait", CMETH(q_put_nowait), METH_CM,
      PyDoc_STR("put_nowait($self, item)\n--\n\nPut an item into the queue without "
                "blocking.\n\nIf no free slot is immediately available, raise QueueFull.") },
    { "get_nowait", CMETH(q_get_nowait), METH_CM,
      PyDoc_STR("get_nowait($self)\n--\n\nRemove and return an item from the queue.\n\nReturn an "
                "item if one is immediately available, else raise QueueEmpty.") },
    { "task_done", CMETH(q_task_done), METH_CM,
      PyDoc_STR("task_done($self)\n--\n\nIndicate that a formerly enqueued task is complete.") },
    { "qsize", CMETH(q_qsize), METH_CM,
      PyDoc_STR("qsize($self)\n--\n\nNumber of items in the queue.") },
    { "empty", CMETH(q_empty), METH_CM,
      PyDoc_STR("empty($self)\n--\n\nReturn True if the queue is empty, False otherwise.") },
    { "full", CMETH(q_full), METH_CM,
      PyDoc_STR("full($self)\n--\n\nReturn True if there are maxsize items in the queue.") },
#if AL_PY313
    { "shutdown", CMETH(q_shutdown), METH_CM,
      PyDoc_STR("shutdown($self, immediate=False)\n--\n\nShut-down the queue, making queue gets "
                "and puts raise QueueShutDown.") },
#endif
    { "_wakeup_next", CMETH(q_wakeup_next_meth), METH_CM,
      PyDoc_STR("_wakeup_next($self, waiters)\n--\n\n") },
    { "_init", CMETH(q_init_fifo), METH_CM, PyDoc_STR("_init($self, maxsize)\n--\n\n") },
    { "_put", CMETH(q_put_fifo), METH_CM, PyDoc_STR("_put($self, item)\n--\n\n") },
    { "_get", CMETH(q_get_fifo), METH_CM, PyDoc_STR("_get($self)\n--\n\n") },
    { "__reduce__", q_reduce, METH_NOARGS, NULL },
    { "__setstate__", q_setstate, METH_O, NULL },
    { NULL, NULL, 0, NULL },
};

static PyMethodDef lifo_methods[] = {
    { "_init", CMETH(q_init_lifo), METH_CM, PyDoc_STR("_init($self, maxsize)\n--\n\n") },
    { "_put", CMETH(q_put_lifo), METH_CM, PyDoc_STR("_put($self, item)\n--\n\n") },
    { "_get", CMETH(q_get_lifo), METH_CM, PyDoc_STR("_get($self)\n--\n\n") },
    { NULL, NULL, 0, NULL },
};

/* PriorityQueue's _put and _get have defaults (heapq's functions) that a
 * text signature cannot spell: None here, replaced at import (al_queue_exec). */
static PyMethodDef prio_methods[] = {
    { "_init", CMETH(q_init_prio), METH_CM, PyDoc_STR("_init($self, maxsize)\n--\n\n") },
    { "_put", CMETH(q_put_prio), METH_CM, PyDoc_STR("_put($self, item, heappush=None)\n--\n\n") },
    { "_get", CMETH(q_get_prio), METH_CM, PyDoc_STR("_get($self, heappop=None)\n--\n\n") },
    { NULL, NULL, 0, NULL },
};

#define QUEUE_DOC                                                                                  \
    "Queue(maxsize=0)\n--\n\nA queue for coordinating producer and consumer tasks, behaving as "   \
    "asyncio.Queue.\n\nIf maxsize is less than or equal to zero, the queue size is infinite; "     \
    "otherwise put() waits while the queue holds maxsize items."

static PyType_Slot q_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR(QUEUE_DOC) },
    { Py_tp_new, q_new },
    { Py_tp_init, q_init },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, q_traverse },
    { Py_tp_clear, q_clear },
    { Py_tp_methods, q_methods },
    { Py_tp_getset, q_getset },
    { Py_tp_setattro, q_setattro },
    { 0, NULL },
};

static PyType_Slot lifo_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("LifoQueue(maxsize=0)\n--\n\nA Queue that retrieves most "
                                   "recently added entries first, behaving as "
                                   "asyncio.LifoQueue.") },
    { Py_tp_methods, lifo_methods },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, q_traverse },
    { Py_tp_clear, q_clear },
    { 0, NULL },
};

static PyType_Slot prio_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("PriorityQueue(maxsize=0)\n--\n\nA Queue that retrieves "
                                   "entries in priority order (lowest first), behaving as "
                                   "asyncio.PriorityQueue.") },
    { Py_tp_methods, prio_methods },
    { Py_tp_dealloc, wb_dealloc },
    { Py_tp_traverse, q_traverse },
    { Py_tp_clear, q_clear },
    { 0, NULL },
};

static PyType_Spec queue_spec = {
    .name = "asynclocks.Queue",
    .basicsize = sizeof(QueueObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = q_slots,
};

static PyType_Spec lifo_spec = {
    .name = "asynclocks.LifoQueue",
    .basicsize = sizeof(QueueObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = lifo_slots,
};

static PyType_Spec prio_spec = {
    .name = "asynclocks.PriorityQueue",
    .basicsize = sizeof(QueueObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = prio_slots,
};

/* ------------------------------------------------------------------ */
/* Module state. */

/* New reference to getattr(module `modname`, attr), or NULL. */
static PyObject *
import_attr(const char *modname, const char *attr)
{
    PyObject *m = PyImport_ImportModule(modname);
    if (m == NULL) {
        return NULL;
    }
    PyObject *r = PyObject_GetAttrString(m, attr);
    Py_DECREF(m);
    return r;
}

/* Borrowed: the entry `name` of type's own dict, or NULL with an error. */
static PyObject *
own_method(PyTypeObject *type, PyObject *name)
{
    PyObject *m = PyDict_GetItemWithError(type->tp_dict, name);
    if (m == NULL && !PyErr_Occurred()) {
        PyErr_Format(PyExc_SystemError, "asynclocks: %R has no %U", type, name);
    }
    return m;
}

int
al_queue_exec(PyObject *module, AlState *st, AlAddTypeFunc add_type, int how)
{
    AlQueueCache *qc = &st->qcache;
    st->zero = PyLong_FromLong(0);
    st->deque_append = PyObject_GetAttrString(st->deque_type, "append");
    st->deque_popleft = PyObject_GetAttrString(st->deque_type, "popleft");
    st->list_pop = PyObject_GetAttrString((PyObject *)&PyList_Type, "pop");
    st->heappush = import_attr("heapq", "heappush");
    st->heappop = import_attr("heapq", "heappop");
    st->newobj = import_attr("copyreg", "__newobj__");
    if (st->zero == NULL || st->deque_append == NULL || st->deque_popleft == NULL ||
        st->list_pop == NULL || st->heappush == NULL || st->heappop == NULL || st->newobj == NULL) {
        return -1;
    }
    cf_init(&qc->f_deque_append, st->deque_append);
    cf_init(&qc->f_deque_popleft, st->deque_popleft);
    cf_init(&qc->f_list_pop, st->list_pop);
    cf_init(&qc->f_heappush, st->heappush);
    cf_init(&qc->f_heappop, st->heappop);
    PyObject *queues = PyImport_ImportModule("asyncio.queues");
    if (queues == NULL) {
        return -1;
    }
    int rc = -1;
    PyObject *bases[3] = { NULL, NULL, NULL };
    PyObject *lifo_bases = NULL, *prio_bases = NULL;
    st->QueueEmpty = PyObject_GetAttrString(queues, "QueueEmpty");
    st->QueueFull = PyObject_GetAttrString(queues, "QueueFull");
    if (st->QueueEmpty == NULL || st->QueueFull == NULL) {
        goto done;
    }
    /* 3.13+: shutdown() and QueueShutDown, where the running stdlib has them. */
    st->QueueShutDown = PyObject_GetAttrString(queues, "QueueShutDown");
    if (st->QueueShutDown == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            goto done;
        }
        PyErr_Clear();
    }
    static const char *const names[3] = { "Queue", "LifoQueue", "PriorityQueue" };
    for (int i = 0; i < 3; i++) {
        if ((bases[i] = PyObject_GetAttrString(queues, names[i])) == NULL) {
            goto done;
        }
    }
    if (add_type(module, &queue_spec, bases[0], &st->Queue_Type, how) < 0) {
        goto done;
    }
    /* LifoQueue(Queue, asyncio.LifoQueue): MRO LifoQueue, Queue,
     * asyncio.LifoQueue, asyncio.Queue, ...: our methods come first. */
    lifo_bases = PyTuple_Pack(2, (PyObject *)st->Queue_Type, bases[1]);
    prio_bases = PyTuple_Pack(2, (PyObject *)st->Queue_Type, bases[2]);
    if (lifo_bases == NULL || prio_bases == NULL ||
        add_type(module, &lifo_spec, lifo_bases, &st->LifoQueue_Type, how) < 0 ||
        add_type(module, &prio_spec, prio_bases, &st->PriorityQueue_Type, how) < 0) {
        goto done;
    }
    PyTypeObject *types[AL_Q_NKINDS] = { st->Queue_Type, st->LifoQueue_Type,
                                         st->PriorityQueue_Type };
    for (int k = 0; k < AL_Q_NKINDS; k++) {
        if ((qc->meth_init[k] = own_method(types[k], st->str__init)) == NULL ||
            (qc->meth_put[k] = own_method(types[k], st->str__put)) == NULL ||
            (qc->meth_get[k] = own_method(types[k], st->str__get)) == NULL) {
            goto done;
        }
    }
    /* PriorityQueue._put(self, item, heappush=heapq.heappush), _get(self,
     * heappop=heapq.heappop): the stdlib's defaults, for inspect.signature. */
    PyObject *d_push = PyTuple_Pack(1, st->heappush);
    PyObject *d_pop = PyTuple_Pack(1, st->heappop);
    int drc = (d_push == NULL || d_pop == NULL ||
               al_coromethod_set_defaults(qc->meth_put[AL_Q_PRIO], d_push) < 0 ||
               al_coromethod_set_defaults(qc->meth_get[AL_Q_PRIO], d_pop) < 0)
                ? -1
                : 0;
    Py_XDECREF(d_push);
    Py_XDECREF(d_pop);
    if (drc < 0) {
        goto done;
    }
    PyTypeObject *t = st->Queue_Type;
    if ((qc->meth_full = own_method(t, st->str_full)) == NULL ||
        (qc->meth_qsize = own_method(t, st->str_qsize)) == NULL ||
        (qc->meth_empty = own_method(t, st->str_empty)) == NULL ||
        (qc->meth_put_nowait = own_method(t, st->str_put_nowait)) == NULL ||
        (qc->meth_get_nowait = own_method(t, st->str_get_nowait)) == NULL ||
        (qc->meth_wakeup_next = own_method(t, st->str__wakeup_next)) == NULL) {
        goto done;
    }
    /* Hold them: replacing a class attribute drops the type's reference, and
     * a lookup is compared with these pointers. */
    st->queue_methods =
      PyTuple_Pack(15, qc->meth_init[0], qc->meth_init[1], qc->meth_init[2], qc->meth_put[0],
                   qc->meth_put[1], qc->meth_put[2], qc->meth_get[0], qc->meth_get[1],
                   qc->meth_get[2], qc->meth_full, qc->meth_qsize, qc->meth_empty,
                   qc->meth_put_nowait, qc->meth_get_nowait, qc->meth_wakeup_next);
    if (st->queue_methods == NULL) {
        goto done;
    }
    /* The version tags of our types as created: an instance of one whose tag
     * is still this needs no lookup (q_classify). A lookup assigns the tag. */
    for (int k = 0; k < AL_Q_NKINDS; k++) {
        (void)_PyType_Lookup(types[k], st->str__put);
        qc->tag[k] = types[k]->tp_version_tag;
    }
    rc = 0;
done:
    for (int i = 0; i < 3; i++) {
        Py_XDECREF(bases[i]);
    }
    Py_XDECREF(lifo_bases);
    Py_XDECREF(prio_bases);
    Py_DECREF(queues);
    return rc;
}
