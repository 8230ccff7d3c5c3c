/* Argument checking (args.c). */
#ifndef ASYNCLOCKS_ARGS_H
#define ASYNCLOCKS_ARGS_H

#include "compat.h"

/* Check the arguments of __aexit__(exc_type, exc, tb) as Python would.
 * 0 or -1 with TypeError. */
int al_check_aexit(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);
/* al_check_aexit with the usual call, three positional arguments, inline. */
static inline int
al_check_aexit_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs == 3 && kwnames == NULL) {
        return 0;
    }
    return al_check_aexit(args, nargs, kwnames);
}
/* Parse the one argument `pname` (required or optional) of method
 * `qualname`, given by position or keyword; *out is a borrowed value, or
 * NULL when an optional one is absent. 0 or -1. */
int al_parse_one_arg(const char *qualname, const char *pname, int required, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames, PyObject **out);
/* Reject arguments for a method taking none: 0 or -1 with TypeError. */
int al_no_args_error(const char *qualname, Py_ssize_t nargs, PyObject *kwnames);
static inline int
al_no_args(const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs == 0 && kwnames == NULL) {
        return 0;
    }
    return al_no_args_error(qualname, nargs, kwnames);
}
/* Check constructor arguments against a signature of up to one optional
 * positional-or-keyword parameter `pname` (NULL for none); 3.10's `loop=`
 * keyword is rejected as the stdlib does. *out gets a borrowed value or
 * NULL. min_pos is 1 when the parameter is required. 0 or -1. */
int al_parse_init(PyObject *self, const char *cls, PyObject *args, PyObject *kwds,
                  const char *pname, int min_pos, PyObject **out);

/* Method flags of the methods with arguments parsed by hand. */
#define METH_CM (METH_FASTCALL | METH_KEYWORDS)
#define CMETH(f) ((PyCFunction)(void (*)(void))(f))

#endif
