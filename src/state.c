/* The module state's lookup, and the walks over its object fields. */
#include "state.h"

AlState *
al_state_from_type(PyTypeObject *tp)
{
    PyObject *mro = tp->tp_mro;
    if (mro != NULL) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
            PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
            if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
                continue;
            }
            PyObject *m = ((PyHeapTypeObject *)t)->ht_module;
            if (m != NULL && PyModule_GetDef(m) == &al_module_def) {
                return PyModule_GetState(m);
            }
        }
    }
    PyErr_SetString(PyExc_TypeError, "asynclocks: module state not found");
    return NULL;
}

int
al_state_intern_strings(AlState *st)
{
#define AL_INTERN(name)                                                                            \
    if ((st->str_##name = PyUnicode_InternFromString(#name)) == NULL) {                            \
        return -1;                                                                                 \
    }
    AL_STATE_STRINGS(AL_INTERN)
#undef AL_INTERN
    return 0;
}

int
al_state_traverse(AlState *st, visitproc visit, void *arg)
{
#define AL_VISIT(type, name) Py_VISIT(st->name);
#define AL_VISIT_STR(name) Py_VISIT(st->str_##name);
    AL_STATE_TYPES(AL_VISIT)
    AL_STATE_STDLIB(AL_VISIT)
    AL_STATE_PROBE(AL_VISIT)
    AL_STATE_OWN(AL_VISIT)
    AL_STATE_STRINGS(AL_VISIT_STR)
#undef AL_VISIT
#undef AL_VISIT_STR
    for (int i = 0; i < AL_AWMSG_N; i++) {
        Py_VISIT(st->await_msg[i]);
    }
    return 0;
}

void
al_state_clear(AlState *st)
{
#define AL_CLEAR(type, name) Py_CLEAR(st->name);
#define AL_CLEAR_STR(name) Py_CLEAR(st->str_##name);
    AL_STATE_TYPES(AL_CLEAR)
    AL_STATE_STDLIB(AL_CLEAR)
    AL_STATE_PROBE(AL_CLEAR)
    AL_STATE_OWN(AL_CLEAR)
    AL_STATE_STRINGS(AL_CLEAR_STR)
#undef AL_CLEAR
#undef AL_CLEAR_STR
    for (int i = 0; i < AL_AWMSG_N; i++) {
        Py_CLEAR(st->await_msg[i]);
    }
}
