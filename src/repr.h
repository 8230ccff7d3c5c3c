/* Reprs and type names (repr.c). */
#ifndef ASYNCLOCKS_REPR_H
#define ASYNCLOCKS_REPR_H

#include "compat.h"

/* `<` + object.__repr__(self)[1:-1] + ` [extra]>`; steals extra. */
PyObject *al_repr(PyObject *self, PyObject *extra);
/* The repr of a primitive whose state is `state`, with the waiter count
 * appended when nwaiters > 0: "<... [locked, waiters:2]>". */
PyObject *al_state_repr(PyObject *self, const char *state, Py_ssize_t nwaiters);
/* The type's name without its module. */
const char *al_short_name(PyTypeObject *tp);

#endif
