/* asyncio's Queue, LifoQueue and PriorityQueue (queue.c): what the module
 * state keeps for them. Included by asynclocks.h before the state struct. */
#ifndef ASYNCLOCKS_QUEUE_H
#define ASYNCLOCKS_QUEUE_H

/* The three classes, in the order of the AlQueueState arrays. */
enum { AL_Q_FIFO = 0, AL_Q_LIFO = 1, AL_Q_PRIO = 2, AL_Q_NKINDS = 3 };

/* Module-state fields of the queue family (AlState.qs). */
#define AL_QUEUE_STATE_OBJECTS(X)                                                                  \
    X(PyTypeObject *, Queue_Type)                                                                  \
    X(PyTypeObject *, LifoQueue_Type)                                                              \
    X(PyTypeObject *, PriorityQueue_Type)                                                          \
    X(PyObject *, QueueEmpty) /* asyncio's own exception classes */                                \
    X(PyObject *, QueueFull)                                                                       \
    X(PyObject *, QueueShutDown) /* NULL before 3.13 (the stdlib has no shutdown()) */             \
    X(PyObject *, deque_append)  /* collections.deque.append (a method descriptor) */              \
    X(PyObject *, deque_popleft) /* collections.deque.popleft */                                   \
    X(PyObject *, list_pop)      /* list.pop */                                                    \
    X(PyObject *, heappush)      /* heapq.heappush, as the stdlib's _put binds it */               \
    X(PyObject *, heappop)       /* heapq.heappop */                                               \
    X(PyObject *, zero)          /* the int 0 */                                                   \
    X(PyObject *, newobj)        /* copyreg.__newobj__ (pickling) */                               \
    X(PyObject *, str_cancel)                                                                      \
    X(PyObject *, str_popleft)                                                                     \
    X(PyObject *, str_pop)                                                                         \
    X(PyObject *, str_clear)                                                                       \
    X(PyObject *, str_set)                                                                         \
    X(PyObject *, str_full)                                                                        \
    X(PyObject *, str_empty)                                                                       \
    X(PyObject *, str_qsize)                                                                       \
    X(PyObject *, str_put_nowait)                                                                  \
    X(PyObject *, str_get_nowait)                                                                  \
    X(PyObject *, str__init)                                                                       \
    X(PyObject *, str__put)                                                                        \
    X(PyObject *, str__get)                                                                        \
    X(PyObject *, str__wakeup_next)

#define AL_QUEUE_STATE_FIELD(type, name) type name;

/* A C function of the stdlib (a method descriptor such as deque.append, or a
 * builtin such as heapq.heappush) called without the vectorcall machinery:
 * its PyMethodDef function with the flags it declares. fn is NULL (call
 * obj through vectorcall) unless the flags are METH_O, METH_NOARGS or
 * METH_FASTCALL. */
typedef struct {
    PyObject *obj;  /* borrowed from AlQueueState's object field */
    PyCFunction fn; /* or NULL */
    PyObject *self; /* a builtin's bound self (borrowed: obj holds it); unused for descriptors */
    int flags;
    int is_descr; /* a method descriptor: args[0] is self */
} AlCFunc;

typedef struct {
    AL_QUEUE_STATE_OBJECTS(AL_QUEUE_STATE_FIELD)
    /* Our methods as found in our types' dicts (borrowed: the types hold
     * them): a class whose lookup gives these has not overridden them. */
    PyObject *meth_init[AL_Q_NKINDS];
    PyObject *meth_put[AL_Q_NKINDS];
    PyObject *meth_get[AL_Q_NKINDS];
    PyObject *meth_full, *meth_qsize, *meth_empty, *meth_put_nowait, *meth_get_nowait,
      *meth_wakeup_next;
    AlCFunc f_deque_append, f_deque_popleft, f_list_pop, f_heappush, f_heappop;
} AlQueueState;

#undef AL_QUEUE_STATE_FIELD

/* module.c's type creation (add_type), handed to al_queue_exec. */
typedef int (*AlAddTypeFunc)(PyObject *module, PyType_Spec *spec, PyObject *bases,
                             PyTypeObject **slot);

struct AlState_;
/* Create Queue, LifoQueue and PriorityQueue (subclasses of asyncio's), fill
 * st->qs and add the classes to module. 0, or -1 with an exception set. */
int al_queue_exec(PyObject *module, struct AlState_ *st, AlAddTypeFunc add_type);
/* Visit / clear the object fields of st->qs (module traverse and clear). */
int al_queue_state_traverse(AlQueueState *qs, visitproc visit, void *arg);
void al_queue_state_clear(AlQueueState *qs);

#endif
