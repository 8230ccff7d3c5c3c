/* Argument checking, with the messages of the stdlib's Python signatures. */
#include "args.h"

#include "repr.h"

/* ------------------------------------------------------------------ */
/* Methods. */

int
al_no_args_error(const char *qualname, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", qualname,
                     PyTuple_GET_ITEM(kwnames, 0));
        return -1;
    }
    if (nargs != 0) {
        PyErr_Format(PyExc_TypeError, "%s() takes 1 positional argument but %zd were given",
                     qualname, nargs + 1);
        return -1;
    }
    return 0;
}

int
al_parse_one_arg(const char *qualname, const char *pname, int required, PyObject *const *args,
                 Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    *out = NULL;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     required ? "%s() takes 2 positional arguments but %zd were given"
                              : "%s() takes from 1 to 2 positional arguments but %zd were given",
                     qualname, nargs + 1);
        return -1;
    }
    if (nargs == 1) {
        *out = args[0];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(key, pname) != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", qualname,
                         key);
            return -1;
        }
        if (*out != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", qualname,
                         pname);
            return -1;
        }
        *out = args[nargs + i];
    }
    if (required && *out == NULL) {
        PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: '%s'", qualname,
                     pname);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Constructors. */

int
al_parse_init(PyObject *self, const char *cls, PyObject *args, PyObject *kwds, const char *pname,
              int min_pos, PyObject **out)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    Py_ssize_t maxpos = pname != NULL ? 1 : 0;
    int has_loop = 0;
    *out = NULL;
    if (nargs > maxpos) {
        if (maxpos == 0) {
            PyErr_Format(PyExc_TypeError,
                         "%s.__init__() takes 1 positional argument but %zd were given", cls,
                         nargs + 1);
        }
        else if (min_pos) {
            PyErr_Format(PyExc_TypeError,
                         "%s.__init__() takes 2 positional arguments but %zd were given", cls,
                         nargs + 1);
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "%s.__init__() takes from 1 to 2 positional arguments but %zd were "
                         "given",
                         cls, nargs + 1);
        }
        return -1;
    }
    if (nargs == 1) {
        *out = PyTuple_GET_ITEM(args, 0);
    }
    if (kwds != NULL) {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kwds, &pos, &key, &value)) {
            if (pname != NULL && PyUnicode_Check(key) &&
                PyUnicode_CompareWithASCIIString(key, pname) == 0) {
                if (*out != NULL) {
                    PyErr_Format(PyExc_TypeError,
                                 "%s.__init__() got multiple values for argument '%s'", cls, pname);
                    return -1;
                }
                *out = value;
                continue;
            }
#if !AL_PY311
            if (PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, "loop") == 0) {
                has_loop = 1;
                continue;
            }
#endif
            PyErr_Format(PyExc_TypeError, "%s.__init__() got an unexpected keyword argument '%S'",
                         cls, key);
            return -1;
        }
    }
    if (min_pos && *out == NULL) {
        PyErr_Format(PyExc_TypeError, "%s.__init__() missing 1 required positional argument: '%s'",
                     cls, pname);
        return -1;
    }
    if (has_loop) {
        PyErr_Format(PyExc_TypeError,
                     "As of 3.10, the *loop* parameter was removed from %s() since it is no "
                     "longer necessary",
                     al_short_name(Py_TYPE(self)));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Arguments of _ContextManagerMixin.__aexit__(self, exc_type, exc, tb),
 * checked in the order and with the messages of a Python function. */

int
al_check_aexit(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[3] = { "exc_type", "exc", "tb" };
    static const char *const q = "_ContextManagerMixin.__aexit__";
    int filled[3] = { nargs > 0, nargs > 1, nargs > 2 };
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    (void)args;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int i = 0;
        while (i < 3 && PyUnicode_CompareWithASCIIString(key, names[i]) != 0) {
            i++;
        }
        if (i == 3) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", q, key);
            return -1;
        }
        if (filled[i]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", q,
                         names[i]);
            return -1;
        }
        filled[i] = 1;
    }
    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError, "%s() takes 4 positional arguments but %zd were given", q,
                     nargs + 1);
        return -1;
    }
    const char *missing[3];
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (!filled[i]) {
            missing[n++] = names[i];
        }
    }
    if (n == 1) {
        PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: '%s'", q,
                     missing[0]);
        return -1;
    }
    if (n == 2) {
        PyErr_Format(PyExc_TypeError, "%s() missing 2 required positional arguments: '%s' and '%s'",
                     q, missing[0], missing[1]);
        return -1;
    }
    if (n == 3) {
        PyErr_Format(PyExc_TypeError,
                     "%s() missing 3 required positional arguments: '%s', '%s', and '%s'", q,
                     missing[0], missing[1], missing[2]);
        return -1;
    }
    return 0;
}
