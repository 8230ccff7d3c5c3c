/* The waiter queue (waitq.c). Included by asynclocks.h. */
#ifndef ASYNCLOCKS_WAITQ_H
#define ASYNCLOCKS_WAITQ_H

/* ------------------------------------------------------------------ */
/* Waiter queue: a growable ring of strong references to futures.      */

typedef struct {
    PyObject *loop; /* the loop the owner is bound to (strong) or NULL */
    Py_ssize_t head;
    Py_ssize_t len;
    Py_ssize_t cap;
    PyObject *items[1];
} WaitQ;

/* Number of entries; q may be NULL. */
static inline Py_ssize_t
wq_len(const WaitQ *q)
{
    return q ? q->len : 0;
}

/* Borrowed reference to entry i (0 <= i < len). */
static inline PyObject *
wq_get(const WaitQ *q, Py_ssize_t i)
{
    return q->items[(q->head + i) % q->cap];
}

/* Create the queue if it does not exist yet. 0, or -1 with MemoryError. */
int wq_reserve(WaitQ **qp);
/* Append a new strong reference to fut, creating the queue on first use.
 * Returns 0, or -1 with MemoryError set. */
int wq_append(WaitQ **qp, PyObject *fut);
/* Remove the first entry that is fut (by identity) and drop its reference.
 * Returns 1 if found, 0 if not. Never fails. Beware: the decref can run
 * arbitrary code only if fut was the last reference (never the case for a
 * waiter whose awaitable still holds it). */
int wq_remove(WaitQ *q, PyObject *fut);
/* Free the queue and drop every reference (the loop's too); *qp becomes
 * NULL. */
void wq_clear(WaitQ **qp);
/* Visit every entry (tp_traverse helper). */
int wq_traverse(WaitQ *q, visitproc visit, void *arg);

#endif
