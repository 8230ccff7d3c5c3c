/* ThreadSafeQueue, ThreadSafeLifoQueue, ThreadSafePriorityQueue and their
 * sync_q / async_q faces (tsqueue.c): janus's API, the design of the Python
 * implementation (python/asynclocks/_tsqueue.py, the specification) in C. */
#ifndef ASYNCLOCKS_TSQUEUE_H
#define ASYNCLOCKS_TSQUEUE_H

#include "awaitable.h"

/* Create the queue types and the wake-up callback, import the exceptions
 * the queues raise; add the public types to module. 0 or -1. */
int al_tsqueue_exec(PyObject *module, AlState *st);

#endif
