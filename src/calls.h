/* Generic method calls (calls.c). */
#ifndef ASYNCLOCKS_CALLS_H
#define ASYNCLOCKS_CALLS_H

#include "compat.h"

/* Call obj.name() with no argument: new reference or NULL. */
PyObject *al_call_method0(PyObject *obj, PyObject *name);
/* bool(obj.name()): 1, 0 or -1 on error. */
int al_call_bool(PyObject *obj, PyObject *name);
/* bool(r) for a call's result r (stolen, may be NULL: -1): 1, 0 or -1. */
int al_take_bool(PyObject *r);

#endif
