/* What queue.c keeps in the module state besides objects (state.h): the
 * stdlib C functions it calls directly and our methods it compares a class's
 * lookups with. Depends on nothing of ours. */
#ifndef ASYNCLOCKS_QUEUE_CACHE_H
#define ASYNCLOCKS_QUEUE_CACHE_H

#include "compat.h"

/* The three classes, in the order of the AlQueueCache arrays. */
enum { AL_Q_FIFO = 0, AL_Q_LIFO = 1, AL_Q_PRIO = 2, AL_Q_NKINDS = 3 };

/* A C function of the stdlib (a method descriptor such as deque.append, or a
 * builtin such as heapq.heappush) called without the vectorcall machinery:
 * its PyMethodDef function with the flags it declares. fn is NULL (call
 * obj through vectorcall) unless the flags are METH_O, METH_NOARGS or
 * METH_FASTCALL. */
typedef struct {
    PyObject *obj;  /* borrowed from the state's object field */
    PyCFunction fn; /* or NULL */
    PyObject *self; /* a builtin's bound self (borrowed: obj holds it); unused for descriptors */
    int flags;
    int is_descr; /* a method descriptor: args[0] is self */
} AlCFunc;

typedef struct {
    /* Our methods as found in our types' dicts (borrowed: the state's
     * queue_methods tuple holds them): a class whose lookup gives these has
     * not overridden them. */
    PyObject *meth_init[AL_Q_NKINDS];
    PyObject *meth_put[AL_Q_NKINDS];
    PyObject *meth_get[AL_Q_NKINDS];
    PyObject *meth_full, *meth_qsize, *meth_empty, *meth_put_nowait, *meth_get_nowait,
      *meth_wakeup_next;
    AlCFunc f_deque_append, f_deque_popleft, f_list_pop, f_heappush, f_heappop;
    /* tp_version_tag of Queue, LifoQueue, PriorityQueue when created (0 if
     * none could be assigned): while a type keeps it, its methods are ours. */
    unsigned int tag[AL_Q_NKINDS];
} AlQueueCache;

#endif
