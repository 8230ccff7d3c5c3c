/* ThreadSafeQueue, ThreadSafeLifoQueue, ThreadSafePriorityQueue: janus's
 * API (sync_q with queue.Queue's, async_q with asyncio.Queue's), the design
 * of python/asynclocks/_tsqueue.py, which is the specification (read its
 * docstring first): one mutex per queue, three FIFO lists of waiters
 * (getters, putters, joiners) shared by threads and tasks of any loop, a
 * loop woken only when one of its tasks waits.
 *
 * Locking. The items, counters and lists are protected by the queue's mutex
 * (PyMutex from 3.13, a PyThread lock before). In a queue of a stock class
 * the code under it calls no Python code and frees no Python object: it
 * moves references (decrefs happen after the unlock) and releases sleeping
 * threads' locks. The priority queue compares items under it and a subclass
 * that overrides _qsize/_put/_get has them called under it, as
 * queue.Queue does; so the mutex is taken without holding the GIL while
 * waiting for it (PyMutex does so itself; before 3.13, TQ_LOCK tries
 * without blocking first, then blocks with the GIL released).
 *
 * Waiters. A waiter is a TqNode object: a thread's holds a PyThread lock it
 * sleeps on, a task's its loop and a future of that loop. A list holds one
 * reference to each linked node; the waiter holds another. States as in the
 * Python implementation: LINKED, PENDING (taken off the list by a waker,
 * wake-up on its way), WOKEN, SKIPPED (the wake-up went to the next waiter).
 * A task's node is woken directly (fut.set_result) when the waker runs in a
 * task of the node's loop, else through loop.call_soon_threadsafe(
 * _tsq_deliver, queue, node, list), which completes the future or, if the
 * task left or was cancelled meanwhile, passes the wake-up on. */
#include "tsqueue.h"
#include "tswait.h"

#include "args.h"
#include "exceptions.h"
#include "future.h"
#include "repr.h"

#include <math.h>
#include <time.h>

#if AL_PY313
#define TQ_MUTEX_FIELD PyMutex mutex;
#define TQ_LOCK(o) PyMutex_Lock(&(o)->mutex)
#define TQ_UNLOCK(o) PyMutex_Unlock(&(o)->mutex)
#else
#define TQ_MUTEX_FIELD PyThread_type_lock mutex;
#define TQ_LOCK(o) tq_lock_slow((o)->mutex)
#define TQ_UNLOCK(o) PyThread_release_lock((o)->mutex)
/* Take the lock; wait for it with the GIL released (its holder may be
 * running Python code: a comparison, an overridden _put). */
static void
tq_lock_slow(PyThread_type_lock m)
{
    if (PyThread_acquire_lock(m, NOWAIT_LOCK)) {
        return;
    }
    Py_BEGIN_ALLOW_THREADS(void)
    PyThread_acquire_lock(m, WAIT_LOCK);
    Py_END_ALLOW_THREADS
}
#endif

enum { TQ_LINKED, TQ_PENDING, TQ_WOKEN, TQ_SKIPPED };
enum { TQ_GETTERS, TQ_PUTTERS, TQ_JOINERS };
enum { TQ_FIFO, TQ_LIFO, TQ_PRIO };

typedef struct TqNode {
    PyObject_HEAD
    struct TqNode *prev;
    struct TqNode *next;
    PyObject *loop;          /* a task's loop (strong), NULL for a thread */
    PyObject *fut;           /* a task's future (strong), NULL for a thread */
    PyThread_type_lock sync; /* a thread's lock: held; released to wake it */
    int state;
    int left; /* the task stopped waiting while PENDING: _tsq_deliver passes on */
} TqNode;

typedef struct {
    TqNode *first;
    TqNode *last;
    Py_ssize_t n;
} TqList;

typedef struct {
    PyObject_HEAD
    AlState *st;
    PyObject *weakreflist;
    TQ_MUTEX_FIELD
    int kind;
    int hooks;        /* a subclass overrides _qsize/_put/_get: call them */
    PyObject **items; /* ring buffer (FIFO/LIFO) or heap (priority, head 0) */
    Py_ssize_t cap;
    Py_ssize_t head;
    Py_ssize_t len;
    PyObject *maxsize; /* as given */
    double maxsize_d;
    Py_ssize_t unfinished;
    char shutdown;
    TqList lists[3];
    PyObject *sync_q;
    PyObject *async_q;
} TqObject;

typedef struct {
    PyObject_HEAD
    TqObject *q;
} TqFace;

#define TQ(o) ((TqObject *)(o))
#define FACEQ(o) (((TqFace *)(o))->q)

/* ------------------------------------------------------------------ */
/* Nodes */

static int
tqn_traverse(PyObject *op, visitproc visit, void *arg)
{
    TqNode *n = (TqNode *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(n->loop);
    Py_VISIT(n->fut);
    return 0;
}

static int
tqn_clear(PyObject *op)
{
    TqNode *n = (TqNode *)op;
    Py_CLEAR(n->loop);
    Py_CLEAR(n->fut);
    return 0;
}

static void
tqn_dealloc(PyObject *op)
{
    TqNode *n = (TqNode *)op;
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    (void)tqn_clear(op);
    if (n->sync != NULL) {
        PyThread_free_lock(n->sync);
    }
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyType_Slot tqn_slots[] = {
    { Py_tp_traverse, tqn_traverse },
    { Py_tp_clear, tqn_clear },
    { Py_tp_dealloc, tqn_dealloc },
    { 0, NULL },
};

static PyType_Spec tqn_spec = {
    .name = "asynclocks._core._TsqWaiter",
    .basicsize = sizeof(TqNode),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = tqn_slots,
};

/* New node: a task's (loop and fut, new references taken) or, with both
 * NULL, a thread's (its lock allocated and held). New reference or NULL. */
static TqNode *
tqn_new(AlState *st, PyObject *loop, PyObject *fut)
{
    TqNode *n = PyObject_GC_New(TqNode, st->TsqNode_Type);
    if (n == NULL) {
        return NULL;
    }
    n->prev = n->next = NULL;
    n->loop = Py_XNewRef(loop);
    n->fut = Py_XNewRef(fut);
    n->sync = NULL;
    n->state = TQ_LINKED;
    n->left = 0;
    if (loop == NULL) {
        n->sync = PyThread_allocate_lock();
        if (n->sync == NULL) {
            Py_DECREF(n);
            PyErr_NoMemory();
            return NULL;
        }
        (void)PyThread_acquire_lock(n->sync, NOWAIT_LOCK);
    }
    PyObject_GC_Track(n);
    return n;
}

/* List operations (mutex held). The list holds a reference to each node:
 * append takes one, remove/popleft hand it to the caller, who drops it
 * after the unlock. */
static void
tql_append(TqList *l, TqNode *n)
{
    Py_INCREF(n);
    n->state = TQ_LINKED;
    n->next = NULL;
    n->prev = l->last;
    if (l->last != NULL) {
        l->last->next = n;
    }
    else {
        l->first = n;
    }
    l->last = n;
    l->n++;
}

static void
tql_remove(TqList *l, TqNode *n)
{
    if (n->prev != NULL) {
        n->prev->next = n->next;
    }
    else {
        l->first = n->next;
    }
    if (n->next != NULL) {
        n->next->prev = n->prev;
    }
    else {
        l->last = n->prev;
    }
    n->prev = n->next = NULL;
    l->n--;
}

/* Take the first waiter off l (mutex held): a thread is released at once
 * (WOKEN), a task's node becomes PENDING. The list's reference, or NULL. */
static TqNode *
tq_take_next(TqList *l)
{
    TqNode *n = l->first;
    if (n == NULL) {
        return NULL;
    }
    tql_remove(l, n);
    if (n->sync != NULL) {
        n->state = TQ_WOKEN;
        PyThread_release_lock(n->sync);
    }
    else {
        n->state = TQ_PENDING;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* The container (mutex held). */

/* Size of the queue, or -1 with an exception (an overridden _qsize). */
static Py_ssize_t
tq_size(TqObject *q)
{
    AlState *st = q->st;
    if (!q->hooks) {
        return q->len;
    }
    PyObject *r = PyObject_CallMethodNoArgs((PyObject *)q, st->str__qsize);
    if (r == NULL) {
        return -1;
    }
    Py_ssize_t n = PyLong_AsSsize_t(r);
    Py_DECREF(r);
    return n;
}

/* 1 if the queue is full (size >= maxsize > 0), 0 if not, -1 on error. */
static int
tq_full(TqObject *q)
{
    if (!(q->maxsize_d > 0)) {
        return 0;
    }
    Py_ssize_t n = tq_size(q);
    if (n < 0) {
        return -1;
    }
    return (double)n >= q->maxsize_d;
}

static int
tq_grow(TqObject *q)
{
    Py_ssize_t cap = q->cap ? q->cap * 2 : 8;
    PyObject **items = PyMem_Malloc((size_t)cap * sizeof(PyObject *));
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < q->len; i++) {
        items[i] = q->items[(q->head + i) % (q->cap ? q->cap : 1)];
    }
    PyMem_Free(q->items);
    q->items = items;
    q->cap = cap;
    q->head = 0;
    return 0;
}

#define AT(q, i) ((q)->items[((q)->head + (i)) % (q)->cap])

/* heapq's _siftdown(heap, 0, pos). 0 or -1 (a comparison failed). */
static int
tq_siftdown(TqObject *q, Py_ssize_t startpos, Py_ssize_t pos)
{
    PyObject **a = q->items;
    PyObject *newitem = a[pos];
    while (pos > startpos) {
        Py_ssize_t parentpos = (pos - 1) >> 1;
        PyObject *parent = a[parentpos];
        Py_INCREF(newitem);
        Py_INCREF(parent);
        int lt = PyObject_RichCompareBool(newitem, parent, Py_LT);
        Py_DECREF(parent);
        Py_DECREF(newitem);
        if (lt < 0) {
            return -1;
        }
        a = q->items;
        if (!lt) {
            break;
        }
        a[pos] = a[parentpos];
        a[parentpos] = newitem;
        pos = parentpos;
    }
    return 0;
}

/* heapq's _siftup(heap, pos). 0 or -1. */
static int
tq_siftup(TqObject *q, Py_ssize_t pos)
{
    Py_ssize_t endpos = q->len, startpos = pos;
    Py_ssize_t limit = endpos >> 1;
    while (pos < limit) {
        Py_ssize_t childpos = 2 * pos + 1;
        if (childpos + 1 < endpos) {
            PyObject *a = q->items[childpos], *b = q->items[childpos + 1];
            Py_INCREF(a);
            Py_INCREF(b);
            int lt = PyObject_RichCompareBool(a, b, Py_LT);
            Py_DECREF(a);
            Py_DECREF(b);
            if (lt < 0) {
                return -1;
            }
            childpos += ((unsigned)lt ^ 1);
        }
        PyObject *tmp = q->items[childpos];
        q->items[childpos] = q->items[pos];
        q->items[pos] = tmp;
        pos = childpos;
    }
    return tq_siftdown(q, startpos, pos);
}

/* Append item (new reference taken). 0 or -1 (on a comparison error the
 * item stays in the heap, as heapq.heappush leaves it in the list). */
static int
tq_push_stock(TqObject *q, PyObject *item)
{
    if (q->len == q->cap && tq_grow(q) < 0) {
        return -1;
    }
    if (q->kind == TQ_PRIO) {
        q->items[q->len++] = Py_NewRef(item);
        return tq_siftdown(q, 0, q->len - 1);
    }
    AT(q, q->len) = Py_NewRef(item);
    q->len++;
    return 0;
}

/* Remove and return an item (new reference); the queue is not empty. NULL
 * on error. */
static PyObject *
tq_pop_stock(TqObject *q)
{
    assert(q->len > 0);
    if (q->kind == TQ_FIFO) {
        PyObject *item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
        return item;
    }
    if (q->kind == TQ_LIFO) {
        q->len--;
        return AT(q, q->len);
    }
    PyObject *last = q->items[--q->len];
    if (q->len == 0) {
        return last;
    }
    PyObject *ret = q->items[0];
    q->items[0] = last;
    if (tq_siftup(q, 0) < 0) {
        Py_DECREF(ret);
        return NULL;
    }
    return ret;
}

static int
tq_push(TqObject *q, PyObject *item)
{
    AlState *st = q->st;
    if (!q->hooks) {
        return tq_push_stock(q, item);
    }
    PyObject *r = PyObject_CallMethodOneArg((PyObject *)q, st->str__put, item);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

static PyObject *
tq_pop(TqObject *q)
{
    AlState *st = q->st;
    if (!q->hooks) {
        return tq_pop_stock(q);
    }
    return PyObject_CallMethodNoArgs((PyObject *)q, st->str__get);
}

/* ------------------------------------------------------------------ */
/* Wake-ups (mutex not held). */

/* Whether a waiter of list `kind` woken now could proceed (mutex held). */
static int
tq_can_use(TqObject *q, int kind)
{
    if (kind == TQ_GETTERS) {
        Py_ssize_t n = tq_size(q);
        if (n < 0) {
            PyErr_Clear();
            return 0;
        }
        return n > 0;
    }
    int full = tq_full(q);
    if (full < 0) {
        PyErr_Clear();
        return 0;
    }
    return !full;
}

static int tq_wake(TqObject *q, TqNode *n, int kind);

/* Wake the next waiter of list kind if it could proceed. 0 or -1. */
static int
tq_pass_on(TqObject *q, int kind)
{
    TQ_LOCK(q);
    TqNode *n = tq_can_use(q, kind) ? tq_take_next(&q->lists[kind]) : NULL;
    TQ_UNLOCK(q);
    if (n == NULL) {
        return 0;
    }
    return tq_wake(q, n, kind);
}

/* Keep the first error in *err (new reference), drop later ones. */
static void
tq_keep_error(PyObject **err)
{
    PyObject *e = al_fetch_exc();
    if (*err == NULL) {
        *err = e;
    }
    else {
        Py_XDECREF(e);
    }
}

/* Wake node n, taken off list kind (its reference stolen): a thread was
 * released already; a task's future is completed now or through its loop;
 * a task that cannot take the wake-up hands it to the next waiter. 0 or -1
 * (a loop's call_soon_threadsafe or set_result failed). */
static int
tq_wake(TqObject *q, TqNode *n, int kind)
{
    AlState *st = q->st;
    PyObject *err = NULL;
    while (n != NULL) {
        if (n->sync != NULL) {
            Py_DECREF(n);
            break;
        }
        if (tsw_in_loop_task(st, n->loop)) {
            int done = al_fut_done(st, n->fut);
            if (done == 0) {
                n->state = TQ_WOKEN;
                if (al_fut_set_result(st, n->fut, Py_None) < 0) {
                    tq_keep_error(&err);
                }
                Py_DECREF(n);
                break;
            }
            if (done < 0) {
                tq_keep_error(&err);
            }
        }
        else {
            PyObject *kindobj = PyLong_FromLong(kind);
            if (kindobj == NULL) {
                tq_keep_error(&err);
            }
            else {
                PyObject *args[5] = { n->loop, st->tsq_deliver, (PyObject *)q, (PyObject *)n,
                                      kindobj };
                PyObject *r = PyObject_VectorcallMethod(st->str_call_soon_threadsafe, args,
                                                        5 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
                Py_DECREF(kindobj);
                if (r != NULL) {
                    Py_DECREF(r);
                    Py_DECREF(n);
                    break;
                }
                if (PyErr_ExceptionMatches(PyExc_RuntimeError)) {
                    PyErr_Clear(); /* the loop is closed: its task never resumes */
                }
                else {
                    tq_keep_error(&err);
                }
            }
        }
        n->state = TQ_SKIPPED;
        Py_DECREF(n);
        if (kind == TQ_JOINERS) {
            break;
        }
        TQ_LOCK(q);
        n = tq_take_next(&q->lists[kind]);
        TQ_UNLOCK(q);
    }
    if (err != NULL) {
        al_restore_exc(err);
        return -1;
    }
    return 0;
}

/* Take every waiter off list kind (mutex held); threads are released, the
 * tasks' nodes are appended to *out (a Python list: allocation under the
 * mutex is avoided by sizing it before). */
static void
tq_take_all(TqObject *q, int kind, PyObject *out, Py_ssize_t *k)
{
    TqNode *n;
    while ((n = tq_take_next(&q->lists[kind])) != NULL) {
        PyList_SET_ITEM(out, *k, (PyObject *)n); /* steals the list's reference */
        (*k)++;
    }
}

/* Wake the nodes of `woken` (every waiter of a list: no pass-on). 0/-1. */
static int
tq_wake_all(TqObject *q, PyObject *woken, Py_ssize_t k)
{
    int rc = 0;
    PyObject *err = NULL;
    for (Py_ssize_t i = 0; i < k; i++) {
        TqNode *n = (TqNode *)PyList_GET_ITEM(woken, i);
        PyList_SET_ITEM(woken, i, Py_NewRef(Py_None));
        if (tq_wake(q, n, TQ_JOINERS) < 0) {
            rc = -1;
            tq_keep_error(&err);
        }
    }
    if (err != NULL) {
        al_restore_exc(err);
    }
    return rc;
}

/* _tsq_deliver(queue, node, kind): run by the node's loop. */
static PyObject *
tq_deliver(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    AlState *st = PyModule_GetState(module);
    if (nargs != 3 || !PyObject_TypeCheck(args[0], st->TsQueue_Type) ||
        !Py_IS_TYPE(args[1], st->TsqNode_Type) || !PyLong_Check(args[2]) ||
        ((TqNode *)args[1])->loop == NULL) {
        PyErr_SetString(PyExc_TypeError, "_tsq_deliver(queue, node, kind)");
        return NULL;
    }
    TqObject *q = TQ(args[0]);
    TqNode *n = (TqNode *)args[1];
    int kind = (int)PyLong_AsLong(args[2]);
    int done = n->left ? 1 : al_fut_done(st, n->fut);
    if (done < 0) {
        return NULL;
    }
    if (!done) {
        n->state = TQ_WOKEN;
        if (al_fut_set_result(st, n->fut, Py_None) < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    n->state = TQ_SKIPPED;
    if (kind != TQ_JOINERS && tq_pass_on(q, kind) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef tq_deliver_def = {
    "_tsq_deliver",
    CMETH(tq_deliver),
    METH_FASTCALL,
    PyDoc_STR("_tsq_deliver(queue, node, kind)\n--\n\nWake-up callback of the thread-safe "
              "queues, run by the waiter's loop."),
};

/* A task or thread stops waiting on n with an exception set: leave the
 * list, pass on a wake-up received and not used. Keeps the exception. */
static void
tq_abandon(TqObject *q, TqNode *n, int kind)
{
    PyObject *exc = al_fetch_exc();
    int drop = 0;
    TQ_LOCK(q);
    int state = n->state;
    if (state == TQ_LINKED) {
        tql_remove(&q->lists[kind], n);
        drop = 1;
    }
    else if (state == TQ_PENDING) {
        n->left = 1;
    }
    TQ_UNLOCK(q);
    if (drop) {
        Py_DECREF(n);
    }
    if (state == TQ_WOKEN && kind != TQ_JOINERS) {
        int cancelled = n->fut != NULL ? al_fut_cancelled(q->st, n->fut) : 0;
        if (cancelled < 0) {
            PyErr_Clear();
        }
        if (cancelled == 0 && tq_pass_on(q, kind) < 0) {
            PyErr_WriteUnraisable((PyObject *)q);
        }
    }
    al_restore_exc(exc);
}

/* ------------------------------------------------------------------ */
/* Operations shared by both faces. */

/* Put item (borrowed) into q, which has room (mutex held, released here):
 * one more unfinished task, the first getter woken. 0 or -1. */
static int
tq_put_unlock(TqObject *q, PyObject *item)
{
    if (tq_push(q, item) < 0) {
        TQ_UNLOCK(q);
        return -1;
    }
    q->unfinished++;
    TqNode *g = tq_take_next(&q->lists[TQ_GETTERS]);
    TQ_UNLOCK(q);
    return g != NULL ? tq_wake(q, g, TQ_GETTERS) : 0;
}

/* Take an item from q, which is not empty (mutex held, released here), and
 * wake the first putter. New reference, or NULL on error. */
static PyObject *
tq_get_unlock(TqObject *q)
{
    PyObject *item = tq_pop(q);
    if (item == NULL) {
        TQ_UNLOCK(q);
        return NULL;
    }
    TqNode *w = tq_take_next(&q->lists[TQ_PUTTERS]);
    TQ_UNLOCK(q);
    if (w != NULL && tq_wake(q, w, TQ_PUTTERS) < 0) {
        Py_DECREF(item);
        return NULL;
    }
    return item;
}

/* Whether a caller about to wait in list kind still must (mutex held): 1,
 * 0 (the queue changed meanwhile: check again; a joiner returns), or -1 on
 * error. A putter looks at the shutdown flag where its face's first check
 * does: the sync face before calling _qsize (queue.Queue's order), the
 * async face after it (asyncio.Queue's). */
static int
tq_must_wait(TqObject *q, int kind, int sync)
{
    if (kind == TQ_GETTERS) {
        Py_ssize_t n = tq_size(q);
        return n < 0 ? -1 : n == 0 && !q->shutdown;
    }
    if (kind == TQ_JOINERS) {
        return q->unfinished != 0;
    }
    if (sync && q->shutdown) {
        return 0;
    }
    int f = tq_full(q);
    return f <= 0 ? f : !q->shutdown;
}

/* Link n (a new waiter, borrowed: the list takes its own reference) to list
 * kind if the caller still must wait (mutex taken and released). As
 * tq_must_wait: 1 linked, 0 or -1 not linked. */
static int
tq_link(TqObject *q, TqNode *n, int kind, int sync)
{
    TQ_LOCK(q);
    int wait = tq_must_wait(q, kind, sync);
    if (wait > 0) {
        tql_append(&q->lists[kind], n);
    }
    TQ_UNLOCK(q);
    return wait;
}

static PyObject *
tq_task_done(TqObject *q)
{
    PyObject *woken = NULL;
    TQ_LOCK(q);
    Py_ssize_t nj = q->lists[TQ_JOINERS].n;
    TQ_UNLOCK(q);
    if (nj > 0) {
        woken = PyList_New(nj + 8);
        if (woken == NULL) {
            return NULL;
        }
    }
    Py_ssize_t k = 0;
    TQ_LOCK(q);
    if (q->unfinished <= 0) {
        TQ_UNLOCK(q);
        Py_XDECREF(woken);
        PyErr_SetString(PyExc_ValueError, "task_done() called too many times");
        return NULL;
    }
    q->unfinished--;
    if (q->unfinished == 0 && q->lists[TQ_JOINERS].n > 0) {
        if (woken == NULL || q->lists[TQ_JOINERS].n > nj + 8) {
            /* more joiners than room: rare; make room and retry */
            q->unfinished++;
            TQ_UNLOCK(q);
            Py_XDECREF(woken);
            return tq_task_done(q);
        }
        tq_take_all(q, TQ_JOINERS, woken, &k);
    }
    TQ_UNLOCK(q);
    int rc = woken != NULL ? tq_wake_all(q, woken, k) : 0;
    Py_XDECREF(woken);
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
tq_shutdown_impl(TqObject *q, int immediate)
{
    for (;;) {
        TQ_LOCK(q);
        Py_ssize_t total = q->lists[0].n + q->lists[1].n + q->lists[2].n;
        TQ_UNLOCK(q);
        PyObject *woken = PyList_New(total + 8);
        PyObject *dropped = PyList_New(0);
        if (woken == NULL || dropped == NULL) {
            Py_XDECREF(woken);
            Py_XDECREF(dropped);
            return NULL;
        }
        Py_ssize_t k = 0;
        int err = 0;
        TQ_LOCK(q);
        if (q->lists[0].n + q->lists[1].n + q->lists[2].n > total + 8) {
            TQ_UNLOCK(q);
            Py_DECREF(woken);
            Py_DECREF(dropped);
            continue;
        }
        q->shutdown = 1;
        if (immediate) {
            for (;;) {
                Py_ssize_t n = tq_size(q);
                if (n <= 0) {
                    err = n < 0;
                    break;
                }
                PyObject *item = tq_pop(q);
                if (item == NULL) {
                    err = 1;
                    break;
                }
                /* a list append may allocate: the item is a plain reference
                 * kept until the unlock (no finalizer runs under the mutex) */
                if (PyList_Append(dropped, item) < 0) {
                    Py_DECREF(item);
                    err = 1;
                    break;
                }
                Py_DECREF(item);
                if (q->unfinished > 0) {
                    q->unfinished--;
                }
            }
            if (q->unfinished == 0) {
                tq_take_all(q, TQ_JOINERS, woken, &k);
            }
        }
        tq_take_all(q, TQ_GETTERS, woken, &k);
        tq_take_all(q, TQ_PUTTERS, woken, &k);
        TQ_UNLOCK(q);
        int rc = tq_wake_all(q, woken, k);
        Py_DECREF(woken);
        Py_DECREF(dropped);
        if (err || rc < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
}

/* Parse shutdown(immediate=False). */
static PyObject *
tq_shutdown_args(TqObject *q, const char *qualname, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    PyObject *imm;
    if (al_parse_one_arg(qualname, "immediate", 0, args, nargs, kwnames, &imm) < 0) {
        return NULL;
    }
    int immediate = 0;
    if (imm != NULL) {
        immediate = PyObject_IsTrue(imm);
        if (immediate < 0) {
            return NULL;
        }
    }
    return tq_shutdown_impl(q, immediate);
}

/* ------------------------------------------------------------------ */
/* Blocking sync calls. */

static double
tq_monotonic(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* RuntimeError if a loop runs in this thread (the call would freeze it). */
static int
tq_check_may_block(TqObject *q, const char *what, const char *instead)
{
    PyObject *loop = PyObject_CallNoArgs(q->st->get_running_loop);
    if (loop == NULL) {
        return -1;
    }
    int running = loop != Py_None;
    Py_DECREF(loop);
    if (running) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s.sync_q.%s() would block the event loop running in this thread; use "
                     "'%s' in a coroutine",
                     al_short_name(Py_TYPE(q)), what, instead);
        return -1;
    }
    return 0;
}

/* Sleep on n's lock (linked on list kind) until woken or `secs` (< 0: no
 * limit), running signal handlers; leave the list. 0, or -1 if a handler
 * raised (a wake-up received is passed on). */
static int
tq_block(TqObject *q, TqNode *n, int kind, double secs)
{
    double deadline = secs >= 0 ? tq_monotonic() + secs : 0.0;
    for (;;) {
        PY_TIMEOUT_T us = -1;
        if (secs >= 0) {
            double left = deadline - tq_monotonic();
            us = left > 0 ? (PY_TIMEOUT_T)ceil(left * 1e6) : 0;
            if ((double)us > (double)PY_TIMEOUT_MAX) {
                us = PY_TIMEOUT_MAX;
            }
        }
        PyLockStatus r;
        Py_BEGIN_ALLOW_THREADS
        r = PyThread_acquire_lock_timed(n->sync, us, 1);
        Py_END_ALLOW_THREADS
        if (r != PY_LOCK_INTR) {
            break;
        }
        if (PyErr_CheckSignals() < 0) {
            tq_abandon(q, n, kind);
            return -1;
        }
    }
    int drop = 0;
    TQ_LOCK(q);
    if (n->state == TQ_LINKED) {
        tql_remove(&q->lists[kind], n);
        drop = 1;
    }
    TQ_UNLOCK(q);
    if (drop) {
        Py_DECREF(n);
    }
    return 0;
}

/* Wait in list kind as a thread (mutex held, released here): until woken,
 * the queue changed or endtime (< 0: none; timeout_exc once it passed).
 * what and instead name the call in the RuntimeError of a thread that
 * runs a loop. 1 waited, 0 not (the queue changed meanwhile: check again;
 * a joiner returns), -1 on error. */
static int
tq_sync_wait(TqObject *q, int kind, double endtime, PyObject *timeout_exc, const char *what,
             const char *instead)
{
    double remaining = -1.0;
    if (endtime >= 0) {
        remaining = endtime - tq_monotonic();
        if (remaining <= 0.0) {
            TQ_UNLOCK(q);
            PyErr_SetNone(timeout_exc);
            return -1;
        }
    }
    TQ_UNLOCK(q);
    if (tq_check_may_block(q, what, instead) < 0) {
        return -1;
    }
    TqNode *w = tqn_new(q->st, NULL, NULL);
    if (w == NULL) {
        return -1;
    }
    int r = tq_link(q, w, kind, 1);
    if (r > 0 && tq_block(q, w, kind, remaining) < 0) {
        r = -1;
    }
    Py_DECREF(w);
    return r;
}

/* Parse (item, block=True, timeout=None), or (block=True, timeout=None) if
 * item is NULL. */
static int
tq_parse_block_timeout(PyObject *args, PyObject *kwds, const char *fmt, char **kwlist,
                       PyObject **item, int *block, PyObject **timeout)
{
    PyObject *blockobj = Py_True;
    *timeout = Py_None;
    int ok = item != NULL
               ? PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, item, &blockobj, timeout)
               : PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, &blockobj, timeout);
    if (!ok) {
        return -1;
    }
    *block = PyObject_IsTrue(blockobj);
    return *block < 0 ? -1 : 0;
}

/* The timeout as seconds (converted before the mutex is taken: __float__
 * can run Python code); 0 or -1. */
static int
tq_timeout_secs(PyObject *timeout, double *secs)
{
    *secs = 0.0;
    if (timeout == Py_None) {
        return 0;
    }
    *secs = PyFloat_AsDouble(timeout);
    return *secs == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* The deadline of a timeout of secs seconds, checked at queue.Queue's
 * point (when the call has to wait), with the mutex held: 0, or -1 for a
 * negative timeout, with nothing raised (nothing may allocate under the
 * mutex): the caller unlocks, then calls tq_negative_timeout. */
static int
tq_deadline(double secs, double *endtime)
{
    if (secs < 0) {
        return -1;
    }
    *endtime = tq_monotonic() + secs;
    return 0;
}

/* queue.Queue's ValueError for a negative timeout. NULL. */
static PyObject *
tq_negative_timeout(void)
{
    PyErr_SetString(PyExc_ValueError, "'timeout' must be a non-negative number");
    return NULL;
}

static PyObject *
sync_put(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "item", "block", "timeout", NULL };
    TqObject *q = FACEQ(self);
    AlState *st = q->st;
    PyObject *item, *timeout;
    int block;
    double secs;
    if (tq_parse_block_timeout(args, kwds, "O|OO:put", kwlist, &item, &block, &timeout) < 0 ||
        tq_timeout_secs(block && q->maxsize_d > 0 ? timeout : Py_None, &secs) < 0) {
        return NULL;
    }
    double endtime = -1.0;
    int first = 1;
    for (;;) {
        TQ_LOCK(q);
        if (q->shutdown) {
            TQ_UNLOCK(q);
            PyErr_SetNone(st->tsq_ShutDown);
            return NULL;
        }
        int f = tq_full(q);
        if (f < 0) {
            TQ_UNLOCK(q);
            return NULL;
        }
        if (first) {
            first = 0;
            if (q->maxsize_d > 0) {
                if (!block) {
                    if (f) {
                        TQ_UNLOCK(q);
                        PyErr_SetNone(st->tsq_Full);
                        return NULL;
                    }
                }
                else if (timeout != Py_None && tq_deadline(secs, &endtime) < 0) {
                    TQ_UNLOCK(q);
                    return tq_negative_timeout();
                }
            }
        }
        if (!f) {
            if (tq_put_unlock(q, item) < 0) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
        int r =
          tq_sync_wait(q, TQ_PUTTERS, endtime, st->tsq_Full, "put", "await q.async_q.put(item)");
        if (r < 0) {
            return NULL;
        }
    }
}

static PyObject *
sync_get(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "block", "timeout", NULL };
    TqObject *q = FACEQ(self);
    AlState *st = q->st;
    PyObject *timeout;
    int block;
    double secs;
    if (tq_parse_block_timeout(args, kwds, "|OO:get", kwlist, NULL, &block, &timeout) < 0 ||
        tq_timeout_secs(block ? timeout : Py_None, &secs) < 0) {
        return NULL;
    }
    double endtime = -1.0;
    int first = 1;
    for (;;) {
        TQ_LOCK(q);
        Py_ssize_t size = tq_size(q);
        if (size < 0) {
            TQ_UNLOCK(q);
            return NULL;
        }
        if (q->shutdown && !size) {
            TQ_UNLOCK(q);
            PyErr_SetNone(st->tsq_ShutDown);
            return NULL;
        }
        if (first) {
            first = 0;
            if (!block) {
                if (!size) {
                    TQ_UNLOCK(q);
                    PyErr_SetNone(st->tsq_Empty);
                    return NULL;
                }
            }
            else if (timeout != Py_None && tq_deadline(secs, &endtime) < 0) {
                TQ_UNLOCK(q);
                return tq_negative_timeout();
            }
        }
        if (size) {
            return tq_get_unlock(q);
        }
        int r = tq_sync_wait(q, TQ_GETTERS, endtime, st->tsq_Empty, "get", "await q.async_q.get()");
        if (r < 0) {
            return NULL;
        }
    }
}

static PyObject *
sync_join(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = FACEQ(self);
    for (;;) {
        TQ_LOCK(q);
        if (!q->unfinished) {
            TQ_UNLOCK(q);
            Py_RETURN_NONE;
        }
        int r = tq_sync_wait(q, TQ_JOINERS, -1.0, NULL, "join", "await q.async_q.join()");
        if (r <= 0) {
            return r < 0 ? NULL : Py_NewRef(Py_None);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Async face: awaitables. */

/* Make a future of the running loop and a node for it. 0 or -1. */
static int
tq_new_waiter(AlAwaitable *aw, TqNode **out)
{
    AlState *st = aw->st;
    PyObject *loop = PyObject_CallNoArgs(st->get_running_loop);
    if (loop == NULL) {
        return -1;
    }
    if (loop == Py_None) {
        Py_DECREF(loop);
        PyErr_SetString(PyExc_RuntimeError, "no running event loop");
        return -1;
    }
    PyObject *fut = PyObject_VectorcallMethod(st->str_create_future, &loop,
                                              1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (fut == NULL) {
        Py_DECREF(loop);
        return -1;
    }
    *out = tqn_new(st, loop, fut);
    Py_DECREF(loop);
    Py_DECREF(fut);
    return *out == NULL ? -1 : 0;
}

/* Wait in list kind as aw's task (mutex not held): a node of the running
 * loop, linked if the caller still must wait, then aw suspended on its
 * future (aw keeps the node). 1 suspended, 0 not (the queue changed
 * meanwhile: check again; a joiner returns), -1 on error. */
static int
tq_async_wait(AlAwaitable *aw, int kind)
{
    TqNode *n;
    if (tq_new_waiter(aw, &n) < 0) {
        return -1;
    }
    int r = tq_link(TQ(aw->owner), n, kind, 0);
    if (r <= 0) {
        Py_DECREF(n);
        return r;
    }
    Py_XSETREF(aw->fut, Py_NewRef(n->fut));
    Py_XSETREF(aw->arg, (PyObject *)n);
    aw->state = 1;
    return 1;
}

/* Resumption: with an exception, abandon (AW_ERROR); else drop the node
 * (0: go on). */
static int
tq_resumed(AlAwaitable *aw, PyObject *value, int kind)
{
    TqNode *n = (TqNode *)aw->arg;
    aw->state = 0;
    if (value == NULL) {
        tq_abandon(TQ(aw->owner), n, kind);
        Py_CLEAR(aw->arg);
        return -1;
    }
    Py_CLEAR(aw->arg);
    return 0;
}

static AwStep
async_get_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    TqObject *q = TQ(aw->owner);
    AlState *st = q->st;
    if (aw->state == 1 && tq_resumed(aw, value, TQ_GETTERS) < 0) {
        return AW_ERROR;
    }
    for (;;) {
        TQ_LOCK(q);
        Py_ssize_t size = tq_size(q);
        if (size < 0) {
            TQ_UNLOCK(q);
            return AW_ERROR;
        }
        if (size) {
            PyObject *item = tq_get_unlock(q);
            if (item == NULL) {
                return AW_ERROR;
            }
            *result = item;
            return AW_RETURN;
        }
        if (q->shutdown) {
            TQ_UNLOCK(q);
            PyErr_SetNone(st->tsq_QueueShutDown);
            return AW_ERROR;
        }
        TQ_UNLOCK(q);
        int r = tq_async_wait(aw, TQ_GETTERS);
        if (r != 0) {
            return r > 0 ? AW_AWAIT_FUT : AW_ERROR;
        }
    }
}

static AwStep
async_put_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    TqObject *q = TQ(aw->owner);
    AlState *st = q->st;
    if (aw->state == 1 && tq_resumed(aw, value, TQ_PUTTERS) < 0) {
        return AW_ERROR;
    }
    PyObject *item = aw->err; /* the item to put (kept in aw->err) */
    for (;;) {
        TQ_LOCK(q);
        int f = tq_full(q);
        if (f < 0) {
            TQ_UNLOCK(q);
            return AW_ERROR;
        }
        if (q->shutdown) {
            TQ_UNLOCK(q);
            PyErr_SetNone(st->tsq_QueueShutDown);
            return AW_ERROR;
        }
        if (!f) {
            if (tq_put_unlock(q, item) < 0) {
                return AW_ERROR;
            }
            *result = Py_NewRef(Py_None);
            return AW_RETURN;
        }
        TQ_UNLOCK(q);
        int r = tq_async_wait(aw, TQ_PUTTERS);
        if (r != 0) {
            return r > 0 ? AW_AWAIT_FUT : AW_ERROR;
        }
    }
}

static AwStep
async_join_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    TqObject *q = TQ(aw->owner);
    if (aw->state == 1) {
        if (tq_resumed(aw, value, TQ_JOINERS) < 0) {
            return AW_ERROR;
        }
        *result = Py_NewRef(Py_None);
        return AW_RETURN;
    }
    TQ_LOCK(q);
    Py_ssize_t u = q->unfinished;
    TQ_UNLOCK(q);
    int r = u ? tq_async_wait(aw, TQ_JOINERS) : 0;
    if (r != 0) {
        return r > 0 ? AW_AWAIT_FUT : AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

/* wait_closed(): RuntimeError unless shut down; returns None at once. */
static AwStep
wait_closed_step(AlAwaitable *aw, PyObject *Py_UNUSED(value), PyObject **result)
{
    if (!TQ(aw->owner)->shutdown) {
        PyErr_SetString(PyExc_RuntimeError, "Waiting for non-closed queue");
        return AW_ERROR;
    }
    *result = Py_NewRef(Py_None);
    return AW_RETURN;
}

static AwStep
aclose_step(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    PyObject *r = tq_shutdown_impl(TQ(aw->owner), 1);
    if (r == NULL) {
        return AW_ERROR;
    }
    Py_DECREF(r);
    return wait_closed_step(aw, value, result);
}

static PyObject *
async_get(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = FACEQ(self);
    return aw_new(q->st, (PyObject *)q, async_get_step, "AsyncQueue.get", NULL);
}

static PyObject *
async_put(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *item;
    if (al_parse_one_arg("put", "item", 1, args, nargs, kwnames, &item) < 0) {
        return NULL;
    }
    TqObject *q = FACEQ(self);
    PyObject *aw = aw_new(q->st, (PyObject *)q, async_put_step, "AsyncQueue.put", NULL);
    if (aw != NULL) {
        ((AlAwaitable *)aw)->err = Py_NewRef(item);
    }
    return aw;
}

static PyObject *
async_join(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = FACEQ(self);
    return aw_new(q->st, (PyObject *)q, async_join_step, "AsyncQueue.join", NULL);
}

/* ------------------------------------------------------------------ */
/* Both faces: one method each, raising the face's exceptions. */

/* The exception classes a face raises, borrowed from the module state:
 * queue's for sync_q, asyncio's for async_q (chosen by the face's type). */
typedef struct {
    PyObject *shut;
    PyObject *empty;
    PyObject *full;
} TqExc;

static TqExc
face_exc(PyObject *self)
{
    AlState *st = FACEQ(self)->st;
    if (Py_IS_TYPE(self, st->TsqAsync_Type)) {
        return (TqExc){ st->tsq_QueueShutDown, st->tsq_QueueEmpty, st->tsq_QueueFull };
    }
    return (TqExc){ st->tsq_ShutDown, st->tsq_Empty, st->tsq_Full };
}

static PyObject *
face_put_nowait(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *item;
    if (al_parse_one_arg("put_nowait", "item", 1, args, nargs, kwnames, &item) < 0) {
        return NULL;
    }
    TqObject *q = FACEQ(self);
    TqExc exc = face_exc(self);
    TQ_LOCK(q);
    if (q->shutdown) {
        TQ_UNLOCK(q);
        PyErr_SetNone(exc.shut);
        return NULL;
    }
    int f = tq_full(q);
    if (f != 0) {
        TQ_UNLOCK(q);
        if (f > 0) {
            PyErr_SetNone(exc.full);
        }
        return NULL;
    }
    if (tq_put_unlock(q, item) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
face_get_nowait(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = FACEQ(self);
    TqExc exc = face_exc(self);
    TQ_LOCK(q);
    Py_ssize_t n = tq_size(q);
    if (n <= 0) {
        int s = q->shutdown;
        TQ_UNLOCK(q);
        if (n == 0) {
            PyErr_SetNone(s ? exc.shut : exc.empty);
        }
        return NULL;
    }
    return tq_get_unlock(q);
}

/* ------------------------------------------------------------------ */
/* Methods and properties shared by the queue and its faces. */

static void face_dealloc(PyObject *op);

static TqObject *
as_queue(PyObject *self)
{
    return PyType_GetSlot(Py_TYPE(self), Py_tp_dealloc) == (void *)face_dealloc ? FACEQ(self)
                                                                                : TQ(self);
}

static PyObject *
m_qsize(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = as_queue(self);
    TQ_LOCK(q);
    Py_ssize_t n = tq_size(q);
    TQ_UNLOCK(q);
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *
m_empty(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = as_queue(self);
    TQ_LOCK(q);
    Py_ssize_t n = tq_size(q);
    TQ_UNLOCK(q);
    return n < 0 ? NULL : PyBool_FromLong(n == 0);
}

static PyObject *
m_full(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = as_queue(self);
    TQ_LOCK(q);
    int f = tq_full(q);
    TQ_UNLOCK(q);
    return f < 0 ? NULL : PyBool_FromLong(f);
}

static PyObject *
m_task_done(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return tq_task_done(as_queue(self));
}

static PyObject *
m_shutdown(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return tq_shutdown_args(as_queue(self), "shutdown", args, nargs, kwnames);
}

static PyObject *
g_maxsize(PyObject *self, void *Py_UNUSED(c))
{
    return Py_NewRef(as_queue(self)->maxsize);
}

static PyObject *
g_closed(PyObject *self, void *Py_UNUSED(c))
{
    return PyBool_FromLong(as_queue(self)->shutdown);
}

static PyObject *
g_unfinished(PyObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromSsize_t(as_queue(self)->unfinished);
}

#define SHARED_METHODS                                                                             \
    { "qsize", m_qsize, METH_NOARGS, PyDoc_STR("qsize($self)\n--\n\nNumber of items.") },          \
      { "empty", m_empty, METH_NOARGS,                                                             \
        PyDoc_STR("empty($self)\n--\n\nReturn True if the queue is empty.") },                     \
      { "full", m_full, METH_NOARGS,                                                               \
        PyDoc_STR("full($self)\n--\n\nReturn True if there are maxsize items in the queue.") },    \
      { "shutdown", CMETH(m_shutdown), METH_CM,                                                    \
        PyDoc_STR("shutdown($self, immediate=False)\n--\n\nShut the queue down.") },

#define SHARED_GETSET                                                                              \
    { "maxsize", g_maxsize, NULL, PyDoc_STR("Number of items allowed (0 or less: no limit)."),     \
      NULL },                                                                                      \
      { "closed", g_closed, NULL, PyDoc_STR("True once the queue was shut down."), NULL },         \
      { "unfinished_tasks", g_unfinished, NULL,                                                    \
        PyDoc_STR("Items put and not yet marked done with task_done()."), NULL },

/* ------------------------------------------------------------------ */
/* Faces */

static PyMethodDef sync_methods[] = {
    SHARED_METHODS{ "put", CMETH(sync_put), METH_VARARGS | METH_KEYWORDS,
                    PyDoc_STR("put($self, item, block=True, timeout=None)\n--\n\nPut an item, "
                              "as queue.Queue.put.") },
    { "get", CMETH(sync_get), METH_VARARGS | METH_KEYWORDS,
      PyDoc_STR("get($self, block=True, timeout=None)\n--\n\nRemove and return an item, as "
                "queue.Queue.get.") },
    { "put_nowait", CMETH(face_put_nowait), METH_CM,
      PyDoc_STR("put_nowait($self, item)\n--\n\nput(item, block=False).") },
    { "get_nowait", face_get_nowait, METH_NOARGS,
      PyDoc_STR("get_nowait($self)\n--\n\nget(block=False).") },
    { "task_done", m_task_done, METH_NOARGS,
      PyDoc_STR("task_done($self)\n--\n\nMark a formerly enqueued task as complete.") },
    { "join", sync_join, METH_NOARGS,
      PyDoc_STR("join($self)\n--\n\nBlock until every item put was marked done.") },
    { NULL, NULL, 0, NULL },
};

static PyMethodDef async_methods[] = {
    SHARED_METHODS{ "put", CMETH(async_put), METH_CM,
                    PyDoc_STR("put($self, item)\n--\n\nPut an item, waiting while the queue is "
                              "full (a coroutine).") },
    { "get", async_get, METH_NOARGS,
      PyDoc_STR("get($self)\n--\n\nRemove and return an item, waiting while the queue is empty "
                "(a coroutine).") },
    { "put_nowait", CMETH(face_put_nowait), METH_CM,
      PyDoc_STR("put_nowait($self, item)\n--\n\nPut an item without blocking.") },
    { "get_nowait", face_get_nowait, METH_NOARGS,
      PyDoc_STR("get_nowait($self)\n--\n\nRemove and return an item if one is available.") },
    { "task_done", m_task_done, METH_NOARGS,
      PyDoc_STR("task_done($self)\n--\n\nMark a formerly enqueued task as complete.") },
    { "join", async_join, METH_NOARGS,
      PyDoc_STR("join($self)\n--\n\nWait until every item put was marked done (a "
                "coroutine).") },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef face_getset[] = { SHARED_GETSET{ NULL, NULL, NULL, NULL, NULL } };

static int
face_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((TqFace *)op)->q);
    return 0;
}

static int
face_clear(PyObject *op)
{
    Py_CLEAR(((TqFace *)op)->q);
    return 0;
}

static void
face_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    (void)face_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *
face_repr(PyObject *op)
{
    TqFace *f = (TqFace *)op;
    if (f->q == NULL) {
        return PyUnicode_FromFormat("<%s>", al_short_name(Py_TYPE(op)));
    }
    return PyUnicode_FromFormat("<%s of %R>", al_short_name(Py_TYPE(op)), (PyObject *)f->q);
}

/* The slots of both face types after their doc and methods. */
#define FACE_SLOTS                                                                                 \
    { Py_tp_getset, face_getset }, { Py_tp_traverse, face_traverse }, { Py_tp_clear, face_clear }, \
      { Py_tp_dealloc, face_dealloc }, { Py_tp_repr, face_repr },

static PyType_Slot sync_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("The face of a thread-safe queue with queue.Queue's API.") },
    { Py_tp_methods, sync_methods },
    FACE_SLOTS{ 0, NULL },
};

static PyType_Slot async_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("The face of a thread-safe queue with asyncio.Queue's API.") },
    { Py_tp_methods, async_methods },
    FACE_SLOTS{ 0, NULL },
};

static PyType_Spec sync_spec = {
    .name = "asynclocks._core.SyncQueue",
    .basicsize = sizeof(TqFace),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = sync_slots,
};

static PyType_Spec async_spec = {
    .name = "asynclocks._core.AsyncQueue",
    .basicsize = sizeof(TqFace),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = async_slots,
};

static PyObject *
face_new(PyTypeObject *tp, TqObject *q)
{
    TqFace *f = PyObject_GC_New(TqFace, tp);
    if (f == NULL) {
        return NULL;
    }
    f->q = (TqObject *)Py_NewRef(q);
    PyObject_GC_Track(f);
    return (PyObject *)f;
}

/* ------------------------------------------------------------------ */
/* The queue types */

static PyObject *
tq_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    AlState *st = al_state_from_type(type);
    if (st == NULL) {
        return NULL;
    }
    TqObject *q = (TqObject *)type->tp_alloc(type, 0);
    if (q == NULL) {
        return NULL;
    }
    q->st = st;
    q->kind = PyType_IsSubtype(type, st->TsPriorityQueue_Type) ? TQ_PRIO
              : PyType_IsSubtype(type, st->TsLifoQueue_Type)   ? TQ_LIFO
                                                               : TQ_FIFO;
    q->maxsize = Py_NewRef(Py_None);
#if !AL_PY313
    q->mutex = PyThread_allocate_lock();
    if (q->mutex == NULL) {
        Py_DECREF(q);
        PyErr_NoMemory();
        return NULL;
    }
#endif
    q->sync_q = face_new(st->TsqSync_Type, q);
    q->async_q = face_new(st->TsqAsync_Type, q);
    if (q->sync_q == NULL || q->async_q == NULL) {
        Py_DECREF(q);
        return NULL;
    }
    return (PyObject *)q;
}

/* Whether type overrides the method `name` of our base type. -1 on error. */
static int
overrides(AlState *st, PyTypeObject *type, PyObject *name)
{
    PyObject *mine = PyDict_GetItemWithError(st->TsQueue_Type->tp_dict, name);
    if (mine == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *got = PyObject_GetAttr((PyObject *)type, name);
    if (got == NULL) {
        return -1;
    }
    int r = got != mine;
    Py_DECREF(got);
    return r;
}

static int
tq_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "maxsize", NULL };
    TqObject *q = TQ(self);
    AlState *st = q->st;
    PyObject *maxsize = NULL, *zero = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:ThreadSafeQueue", kwlist, &maxsize)) {
        return -1;
    }
    if (maxsize == NULL) {
        maxsize = zero = PyLong_FromLong(0);
        if (zero == NULL) {
            return -1;
        }
    }
    double d = PyFloat_AsDouble(maxsize);
    if (d == -1.0 && PyErr_Occurred()) {
        Py_XDECREF(zero);
        return -1;
    }
    Py_XSETREF(q->maxsize, Py_NewRef(maxsize));
    Py_XDECREF(zero);
    q->maxsize_d = d;
    PyTypeObject *tp = Py_TYPE(self);
    if (tp != st->TsQueue_Type && tp != st->TsLifoQueue_Type && tp != st->TsPriorityQueue_Type) {
        int hooks = 0;
        PyObject *names[4] = { st->str__qsize, st->str__put, st->str__get, st->str__init };
        for (int i = 0; i < 4; i++) {
            int o = overrides(st, tp, names[i]);
            if (o < 0) {
                return -1;
            }
            hooks |= o;
        }
        q->hooks = hooks;
        if (hooks) {
            PyObject *r = PyObject_CallMethodOneArg(self, st->str__init, maxsize);
            if (r == NULL) {
                return -1;
            }
            Py_DECREF(r);
        }
    }
    return 0;
}

static int
tq_traverse(PyObject *op, visitproc visit, void *arg)
{
    TqObject *q = TQ(op);
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(q->maxsize);
    Py_VISIT(q->sync_q);
    Py_VISIT(q->async_q);
    for (Py_ssize_t i = 0; i < q->len; i++) {
        Py_VISIT(q->kind == TQ_PRIO ? q->items[i] : AT(q, i));
    }
    for (int k = 0; k < 3; k++) {
        for (TqNode *n = q->lists[k].first; n != NULL; n = n->next) {
            Py_VISIT((PyObject *)n);
        }
    }
    return 0;
}

static void
tq_clear_items(TqObject *q)
{
    Py_ssize_t len = q->len;
    PyObject **items = q->items;
    Py_ssize_t head = q->head, cap = q->cap;
    int prio = q->kind == TQ_PRIO;
    q->items = NULL;
    q->len = q->cap = q->head = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_DECREF(prio ? items[i] : items[(head + i) % cap]);
    }
    PyMem_Free(items);
}

static int
tq_clear(PyObject *op)
{
    TqObject *q = TQ(op);
    Py_CLEAR(q->sync_q);
    Py_CLEAR(q->async_q);
    tq_clear_items(q);
    for (int k = 0; k < 3; k++) {
        TqNode *n;
        while ((n = q->lists[k].first) != NULL) {
            tql_remove(&q->lists[k], n);
            Py_DECREF(n);
        }
    }
    return 0;
}

static void
tq_dealloc(PyObject *op)
{
    TqObject *q = TQ(op);
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (q->weakreflist != NULL) {
        PyObject_ClearWeakRefs(op);
    }
    (void)tq_clear(op);
    Py_CLEAR(q->maxsize);
#if !AL_PY313
    if (q->mutex != NULL) {
        PyThread_free_lock(q->mutex);
    }
#endif
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *
tq_repr(PyObject *op)
{
    TqObject *q = TQ(op);
    TQ_LOCK(q);
    Py_ssize_t size = q->hooks ? -1 : q->len;
    Py_ssize_t g = q->lists[0].n, p = q->lists[1].n, j = q->lists[2].n;
    Py_ssize_t tasks = q->unfinished;
    int shut = q->shutdown;
    TQ_UNLOCK(q);
    if (size < 0) {
        TQ_LOCK(q);
        size = tq_size(q);
        TQ_UNLOCK(q);
        if (size < 0) {
            return NULL;
        }
    }
    PyObject *s = PyUnicode_FromFormat("<%s at %p maxsize=%R qsize=%zd", al_short_name(Py_TYPE(op)),
                                       op, q->maxsize, size);
    if (s == NULL) {
        return NULL;
    }
    const char *names[3] = { "getters", "putters", "joiners" };
    Py_ssize_t counts[3] = { g, p, j };
    for (int k = 0; k < 3; k++) {
        if (counts[k]) {
            PyObject *t = PyUnicode_FromFormat("%U %s[%zd]", s, names[k], counts[k]);
            Py_SETREF(s, t);
            if (s == NULL) {
                return NULL;
            }
        }
    }
    if (tasks) {
        Py_SETREF(s, PyUnicode_FromFormat("%U tasks=%zd", s, tasks));
    }
    if (s != NULL && shut) {
        Py_SETREF(s, PyUnicode_FromFormat("%U shutdown", s));
    }
    if (s != NULL) {
        Py_SETREF(s, PyUnicode_FromFormat("%U>", s));
    }
    return s;
}

static PyObject *
g_sync_q(PyObject *self, void *Py_UNUSED(c))
{
    return Py_NewRef(TQ(self)->sync_q);
}

static PyObject *
g_async_q(PyObject *self, void *Py_UNUSED(c))
{
    return Py_NewRef(TQ(self)->async_q);
}

static PyObject *
q_close(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return tq_shutdown_impl(TQ(self), 1);
}

static PyObject *
q_wait_closed(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return aw_new(TQ(self)->st, self, wait_closed_step, "ThreadSafeQueue.wait_closed", NULL);
}

static PyObject *
q_aclose(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return aw_new(TQ(self)->st, self, aclose_step, "ThreadSafeQueue.aclose", NULL);
}

/* _qsize/_put/_get/_init on the container of the stock class (for
 * subclasses' overrides that call super(); called with the lock held). */
static PyObject *
q__qsize(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(TQ(self)->len);
}

static PyObject *
q__put(PyObject *self, PyObject *item)
{
    if (tq_push_stock(TQ(self), item) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
q__get(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    TqObject *q = TQ(self);
    if (q->len == 0) {
        PyErr_SetString(PyExc_IndexError, "pop from an empty queue");
        return NULL;
    }
    return tq_pop_stock(q);
}

static PyObject *
q__init(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(maxsize))
{
    Py_RETURN_NONE;
}

static PyMethodDef q_methods[] = {
    SHARED_METHODS{ "close", q_close, METH_NOARGS,
                    PyDoc_STR("close($self)\n--\n\nShut the queue down immediately "
                              "(shutdown(immediate=True)).") },
    { "wait_closed", q_wait_closed, METH_NOARGS,
      PyDoc_STR("wait_closed($self)\n--\n\nReturn once the queue is closed (a coroutine); "
                "RuntimeError if it was not closed.") },
    { "aclose", q_aclose, METH_NOARGS,
      PyDoc_STR("aclose($self)\n--\n\nclose(), then wait_closed() (a coroutine).") },
    { "_qsize", q__qsize, METH_NOARGS, NULL },
    { "_put", q__put, METH_O, NULL },
    { "_get", q__get, METH_NOARGS, NULL },
    { "_init", q__init, METH_O, NULL },
    { "__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, PyDoc_STR("See PEP 585") },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef q_getset[] = {
    SHARED_GETSET{ "sync_q", g_sync_q, NULL, PyDoc_STR("The face with queue.Queue's API."), NULL },
    { "async_q", g_async_q, NULL, PyDoc_STR("The face with asyncio.Queue's API."), NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyMemberDef q_members[] = {
    { "__weaklistoffset__", T_PYSSIZET, offsetof(TqObject, weakreflist), READONLY, NULL },
    { NULL, 0, 0, 0, NULL },
};

static PyType_Slot q_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR(
                   "ThreadSafeQueue(maxsize=0)\n--\n\nA FIFO queue between threads and asyncio "
                   "tasks of any event loops: sync_q has queue.Queue's API, async_q "
                   "asyncio.Queue's.") },
    { Py_tp_new, tq_new },
    { Py_tp_init, tq_init },
    { Py_tp_dealloc, tq_dealloc },
    { Py_tp_traverse, tq_traverse },
    { Py_tp_clear, tq_clear },
    { Py_tp_repr, tq_repr },
    { Py_tp_methods, q_methods },
    { Py_tp_getset, q_getset },
    { Py_tp_members, q_members },
    { 0, NULL },
};

static PyType_Slot lifo_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("ThreadSafeLifoQueue(maxsize=0)\n--\n\nA thread-safe LIFO "
                                   "queue (most recently added entries first).") },
    { Py_tp_traverse, tq_traverse },
    { Py_tp_clear, tq_clear },
    { 0, NULL },
};

static PyType_Slot prio_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("ThreadSafePriorityQueue(maxsize=0)\n--\n\nA thread-safe "
                                   "priority queue (lowest first).") },
    { Py_tp_traverse, tq_traverse },
    { Py_tp_clear, tq_clear },
    { 0, NULL },
};

static PyType_Spec q_spec = {
    .name = "asynclocks.ThreadSafeQueue",
    .basicsize = sizeof(TqObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = q_slots,
};

static PyType_Spec lifo_spec = {
    .name = "asynclocks.ThreadSafeLifoQueue",
    .basicsize = sizeof(TqObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = lifo_slots,
};

static PyType_Spec prio_spec = {
    .name = "asynclocks.ThreadSafePriorityQueue",
    .basicsize = sizeof(TqObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = prio_slots,
};

static int
make_type(PyObject *module, PyType_Spec *spec, PyObject *base, PyTypeObject **slot, int add)
{
    PyObject *tp = PyType_FromModuleAndSpec(module, spec, base);
    if (tp == NULL) {
        return -1;
    }
    *slot = (PyTypeObject *)tp;
    if (!add) {
        return 0;
    }
    return PyModule_AddObjectRef(module, strrchr(spec->name, '.') + 1, tp);
}

static int
import_attr(const char *module, const char *name, PyObject **slot)
{
    PyObject *mod = PyImport_ImportModule(module);
    if (mod == NULL) {
        return -1;
    }
    *slot = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return *slot == NULL ? -1 : 0;
}

int
al_tsqueue_exec(PyObject *module, AlState *st)
{
    if (import_attr("queue", "Empty", &st->tsq_Empty) < 0 ||
        import_attr("queue", "Full", &st->tsq_Full) < 0 ||
        import_attr("asyncio", "QueueEmpty", &st->tsq_QueueEmpty) < 0 ||
        import_attr("asyncio", "QueueFull", &st->tsq_QueueFull) < 0 ||
        import_attr("asynclocks._tsqueue", "SyncQueueShutDown", &st->tsq_ShutDown) < 0 ||
        import_attr("asynclocks._tsqueue", "AsyncQueueShutDown", &st->tsq_QueueShutDown) < 0) {
        return -1;
    }
    PyObject *modname = PyModule_GetNameObject(module);
    if (modname == NULL) {
        return -1;
    }
    st->tsq_deliver = PyCFunction_NewEx(&tq_deliver_def, module, modname);
    Py_DECREF(modname);
    if (st->tsq_deliver == NULL) {
        return -1;
    }
    if (make_type(module, &tqn_spec, NULL, &st->TsqNode_Type, 0) < 0 ||
        make_type(module, &sync_spec, NULL, &st->TsqSync_Type, 1) < 0 ||
        make_type(module, &async_spec, NULL, &st->TsqAsync_Type, 1) < 0 ||
        make_type(module, &q_spec, NULL, &st->TsQueue_Type, 1) < 0 ||
        make_type(module, &lifo_spec, (PyObject *)st->TsQueue_Type, &st->TsLifoQueue_Type, 1) < 0 ||
        make_type(module, &prio_spec, (PyObject *)st->TsQueue_Type, &st->TsPriorityQueue_Type, 1) <
          0) {
        return -1;
    }
    return 0;
}
