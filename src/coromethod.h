/* Function-like methods (coromethod.c). */
#ifndef ASYNCLOCKS_COROMETHOD_H
#define ASYNCLOCKS_COROMETHOD_H

#include "state.h"

/* The descriptor type; module.c creates it into st->CoroMethod_Type. */
extern PyType_Spec al_coromethod_spec;

/* Replace, in `type`'s dict, each method of spec's Py_tp_methods whose doc
 * starts with a text signature "name($self...)" with a function-like
 * descriptor, coroutine for the names the stdlib writes as `async def`
 * (inspect.iscoroutinefunction and inspect.signature give the stdlib's
 * answers). 0 or -1. */
int al_install_coroutine_methods(AlState *st, PyTypeObject *type, PyType_Spec *spec);

#endif
