/* asyncio.Semaphore and BoundedSemaphore in C (semaphore.c): layouts and
 * type specs. */
#ifndef ASYNCLOCKS_SEMAPHORE_H
#define ASYNCLOCKS_SEMAPHORE_H

#include "waitbase.h"

/* A semaphore counter: a C integer n stored as 2n+1 (odd) in the common
 * case, else a strong reference to the Python object the stdlib would hold
 * (a float, an int beyond the C range, True): pointers are even. */
typedef intptr_t SemValue;

typedef struct {
    AL_WAITBASE_HEAD
    SemValue value;
} SemaphoreObject;

typedef struct {
    SemaphoreObject base;
    SemValue bound;
} BoundedSemaphoreObject;

extern PyType_Spec al_semaphore_spec;
extern PyType_Spec al_bounded_semaphore_spec;

#endif
