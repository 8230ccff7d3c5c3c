/* ThreadSafeFlag and ThreadSafeEvent: primitives that any thread and Python
 * signal handlers can set, waking asyncio tasks of any loop (threadsafe.c). */
#ifndef ASYNCLOCKS_THREADSAFE_H
#define ASYNCLOCKS_THREADSAFE_H

#include "asynclocks.h"

/* Create the two types and the wake-up callback, store them in st and add
 * the types to module. 0, or -1 with an exception set. */
int al_threadsafe_exec(PyObject *module, AlState *st);

#endif
