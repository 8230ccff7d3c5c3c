/* The waiter queue (waitq.c): the stdlib's `_waiters` and `_loop`, and the
 * making of waiter futures. */
#ifndef ASYNCLOCKS_WAITQ_H
#define ASYNCLOCKS_WAITQ_H

#include "state.h"

/* What a primitive keeps once it first has to wait (the object holds a
 * pointer to it, NULL before): the stdlib's `_waiters` and `_loop`. The
 * queue is an actual collections.deque, created on first use as the
 * stdlib's Lock and Semaphore do, and handed out as `_waiters`: what user
 * code reads or does to it is what the C code sees. Beware: user code can
 * put anything in it or empty it at any time; every access goes through
 * the deque's own methods and checks the length again. */
typedef struct {
    PyObject *deque; /* collections.deque of waiter futures, or NULL */
    PyObject *loop;  /* the loop the owner is bound to, or NULL */
    AlState *st;
} WaitQ;

/* Number of entries; q may be NULL. */
static inline Py_ssize_t
wq_len(const WaitQ *q)
{
    /* A deque keeps its length in ob_size (`_waiters` only ever holds a
     * collections.deque or a subclass of it). */
    return q != NULL && q->deque != NULL ? Py_SIZE(q->deque) : 0;
}

/* New reference to entry i (0 <= i < wq_len(q)), or NULL with an error. */
PyObject *wq_item(WaitQ *q, Py_ssize_t i);
/* New reference to an iterator over the waiting futures, as the stdlib's
 * `for fut in self._waiters` (O(1) a step, where wq_item is O(i) on a
 * deque; mutating the deque meanwhile raises RuntimeError, as there). NULL
 * without an exception when there is no deque, with one on error. */
PyObject *wq_iter(WaitQ *q);
/* Create the WaitQ (without its deque) if it does not exist yet. 0, or -1
 * with MemoryError. */
int wq_reserve(AlState *st, WaitQ **qp);
/* Create the deque if it does not exist yet (reserving *qp first). 0/-1. */
int wq_ensure_deque(AlState *st, WaitQ **qp);
/* deque.append(fut), creating the deque on first use (*qp is reserved).
 * Returns 0, or -1 with an exception set. */
int wq_append(WaitQ **qp, PyObject *fut);
/* deque.remove(fut), keeping any exception already set: 1 if found, 0 if not (user code may have taken it out;
 * any other error is reported as unraisable). Never fails. Beware: runs
 * the entries' __eq__ (identity for futures). */
int wq_remove(WaitQ *q, PyObject *fut);
/* Free the WaitQ and drop its references; *qp becomes NULL. */
void wq_clear(WaitQ **qp);
/* Visit the deque and the loop (tp_traverse helper). */
int wq_traverse(WaitQ *q, visitproc visit, void *arg);

/* Waiters. A step function that must wait asks the queue for its future in
 * one call. The owner's loop is bound (or checked) first, as
 * asyncio.mixins._LoopBoundMixin._get_loop: the running loop becomes the
 * bound one; a different running loop raises RuntimeError('<repr(owner)> is
 * bound to a different event loop'). The bound loop is kept in the queue
 * (*qp, created here), since only waiting needs a loop. */

/* loop.create_future() on the owner's loop, appended to the queue: new
 * reference to the future, or NULL. */
PyObject *wq_new_waiter(AlState *st, PyObject *owner, WaitQ **qp);
/* The same without appending (Condition.wait creates, releases the lock,
 * then appends with wq_append). New reference or NULL. */
PyObject *wq_new_future(AlState *st, PyObject *owner, WaitQ **qp);
/* 1 if every future in q is cancelled (or q is empty or NULL), 0 if not,
 * -1 on error. Beware: a foreign future's cancelled() can run Python code
 * that changes the queue. */
int wq_all_cancelled(AlState *st, WaitQ *q);

#endif
