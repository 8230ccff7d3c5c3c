/* asyncio.Barrier in C (barrier.c, 3.11+): layout and type spec. */
#ifndef ASYNCLOCKS_BARRIER_H
#define ASYNCLOCKS_BARRIER_H

#include "waitbase.h"

typedef struct {
    AL_OBJECT_HEAD
    PyObject *cond;    /* internal Condition (exact type) */
    PyObject *parties; /* any object the stdlib accepts, usually an int */
    int count;         /* tasks inside wait(); bounded by memory long before INT_MAX */
    int state;
    char shadowed; /* as WaitBase's */
} BarrierObject;

extern PyType_Spec al_barrier_spec;

#endif
