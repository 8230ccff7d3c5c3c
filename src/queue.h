/* asyncio's Queue, LifoQueue and PriorityQueue in C (queue.c). */
#ifndef ASYNCLOCKS_QUEUE_H
#define ASYNCLOCKS_QUEUE_H

#include "state.h"

/* module.c's type creation (add_type), handed to al_queue_exec with the
 * flags the primitives get. */
typedef int (*AlAddTypeFunc)(PyObject *module, PyType_Spec *spec, PyObject *bases,
                             PyTypeObject **slot, int how);

/* Create Queue, LifoQueue and PriorityQueue (subclasses of asyncio's), fill
 * the state's queue fields and add the classes to module. 0, or -1 with an
 * exception set. */
int al_queue_exec(PyObject *module, AlState *st, AlAddTypeFunc add_type, int how);

#endif
