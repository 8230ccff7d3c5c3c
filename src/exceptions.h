/* Exception helpers (exceptions.c). */
#ifndef ASYNCLOCKS_EXCEPTIONS_H
#define ASYNCLOCKS_EXCEPTIONS_H

#include "compat.h"

/* Take the current exception (normalized, new reference); clears it. */
PyObject *al_fetch_exc(void);
/* Set exc (stolen) as the current exception. */
void al_restore_exc(PyObject *exc);
/* Set the context of the current exception to ctx (stolen), as Python does
 * for an exception raised while ctx was being handled. */
void al_chain_context(PyObject *ctx);
/* getattr(o, name) that treats AttributeError as absence: 1 and a new
 * reference in *res, 0 and NULL if absent, -1 on other errors. */
int PyObject_GetOptionalAttr_compat(PyObject *o, PyObject *name, PyObject **res);

#endif
