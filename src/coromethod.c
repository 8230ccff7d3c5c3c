/* Function-like methods: the descriptor that stands for each of the
 * stdlib's methods, `async def` ones (acquire, wait, wait_for, __aenter__
 * ...) and plain ones (release, locked, notify ...).
 *
 * It calls the C function directly (vectorcall; Py_TPFLAGS_METHOD_DESCRIPTOR
 * keeps the interpreter's unbound-method call path), and looks like a
 * Python function to introspection, as Cython's functions do: __name__,
 * __qualname__, __code__ (the code object of `[async] def name(params):
 * pass`, compiled once, so its flags say CO_COROUTINE where the stdlib's
 * do and its parameters are the stdlib's), __defaults__, __kwdefaults__, __annotations__. So
 * inspect.iscoroutinefunction() is True, inspect.signature() is the
 * stdlib's, and unittest.mock's autospec makes AsyncMocks. __get__ on an
 * instance returns a types.MethodType, as a function's does. */
#include "coromethod.h"

#include "args.h"

typedef PyObject *(*AlFastKw)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    AlFastKw meth;
    PyTypeObject *objclass; /* the class defining it (strong) */
    PyObject *name;         /* str */
    PyObject *qualname;     /* str: "Lock.acquire" */
    PyObject *doc;          /* str or None */
    PyObject *code;         /* code object of the matching `[async] def` */
    PyObject *defaults;     /* its __defaults__: None or a tuple */
    PyObject *annotations;  /* dict, created on first read, or NULL */
} CoroMethod;

static PyObject *
cm_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    CoroMethod *m = (CoroMethod *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1) {
        PyErr_Format(PyExc_TypeError, "%U() missing 1 required positional argument: 'self'",
                     m->qualname);
        return NULL;
    }
    if (!PyObject_TypeCheck(args[0], m->objclass)) {
        PyErr_Format(PyExc_TypeError,
                     "descriptor '%U' for '%s' objects doesn't apply to a '%s' object", m->name,
                     m->objclass->tp_name, Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    return m->meth(args[0], args + 1, nargs - 1, kwnames);
}

/* A function's __get__: itself from the class, a bound method from an
 * instance. New reference. */
static PyObject *
cm_descr_get(PyObject *self, PyObject *obj, PyObject *Py_UNUSED(type))
{
    if (obj == NULL || obj == Py_None) {
        return Py_NewRef(self);
    }
    return PyMethod_New(self, obj);
}

static PyObject *
cm_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<function %U at %p>", ((CoroMethod *)self)->qualname, self);
}

static int
cm_traverse(PyObject *self, visitproc visit, void *arg)
{
    CoroMethod *m = (CoroMethod *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(m->objclass);
    Py_VISIT(m->annotations);
    Py_VISIT(m->defaults);
    return 0;
}

static int
cm_clear(PyObject *self)
{
    CoroMethod *m = (CoroMethod *)self;
    Py_CLEAR(m->objclass);
    Py_CLEAR(m->annotations);
    return 0;
}

static void
cm_dealloc(PyObject *self)
{
    CoroMethod *m = (CoroMethod *)self;
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    (void)cm_clear(self);
    Py_CLEAR(m->name);
    Py_CLEAR(m->qualname);
    Py_CLEAR(m->doc);
    Py_CLEAR(m->code);
    Py_CLEAR(m->defaults);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
cm_get_annotations(PyObject *self, void *Py_UNUSED(closure))
{
    CoroMethod *m = (CoroMethod *)self;
    if (m->annotations == NULL && (m->annotations = PyDict_New()) == NULL) {
        return NULL;
    }
    return Py_NewRef(m->annotations);
}

static PyObject *
cm_get_none(PyObject *Py_UNUSED(self), void *Py_UNUSED(closure))
{
    Py_RETURN_NONE;
}

static PyObject *
cm_get_module(PyObject *Py_UNUSED(self), void *Py_UNUSED(closure))
{
    return PyUnicode_FromString("asynclocks");
}

static PyObject *
cm_get_objclass(PyObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef((PyObject *)((CoroMethod *)self)->objclass);
}

static PyMemberDef cm_members[] = {
    { "__name__", T_OBJECT, offsetof(CoroMethod, name), READONLY, NULL },
    { "__qualname__", T_OBJECT, offsetof(CoroMethod, qualname), READONLY, NULL },
    { "__doc__", T_OBJECT, offsetof(CoroMethod, doc), READONLY, NULL },
    { "__code__", T_OBJECT, offsetof(CoroMethod, code), READONLY, NULL },
    { "__defaults__", T_OBJECT, offsetof(CoroMethod, defaults), READONLY, NULL },
    { "__vectorcalloffset__", T_PYSSIZET, offsetof(CoroMethod, vectorcall), READONLY, NULL },
    { NULL, 0, 0, 0, NULL },
};

static PyGetSetDef cm_getset[] = {
    { "__annotations__", cm_get_annotations, NULL, NULL, NULL },
    { "__kwdefaults__", cm_get_none, NULL, NULL, NULL },
    { "__module__", cm_get_module, NULL, NULL, NULL },
    { "__objclass__", cm_get_objclass, NULL, NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot cm_slots[] = {
    { Py_tp_call, PyVectorcall_Call },
    { Py_tp_descr_get, cm_descr_get },
    { Py_tp_repr, cm_repr },
    { Py_tp_traverse, cm_traverse },
    { Py_tp_clear, cm_clear },
    { Py_tp_dealloc, cm_dealloc },
    { Py_tp_members, cm_members },
    { Py_tp_getset, cm_getset },
    { 0, NULL },
};

PyType_Spec al_coromethod_spec = {
    .name = "asynclocks._core.coroutine_method",
    .basicsize = sizeof(CoroMethod),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
             Py_TPFLAGS_METHOD_DESCRIPTOR | Py_TPFLAGS_DISALLOW_INSTANTIATION |
             Py_TPFLAGS_IMMUTABLETYPE, /* the specializer caches only those */
    .slots = cm_slots,
};

/* The function `[async] def <name>(<params>): pass`, where params is the
 * text signature's parameter list with `$self` as `self`: its __code__ and
 * __defaults__ are ours. New reference or NULL. */
static PyObject *
make_function(const char *name, const char *params, size_t plen, int coro)
{
    PyObject *plist = PyUnicode_FromStringAndSize(params, (Py_ssize_t)plen);
    if (plist == NULL) {
        return NULL;
    }
    PyObject *src =
      PyUnicode_FromFormat("%sdef %s(%U):\n    pass\n", coro ? "async " : "", name, plist);
    Py_DECREF(plist);
    if (src == NULL) {
        return NULL;
    }
    const char *utf8 = PyUnicode_AsUTF8(src);
    PyObject *mod = utf8 ? Py_CompileString(utf8, "<asynclocks>", Py_file_input) : NULL;
    Py_DECREF(src);
    if (mod == NULL) {
        return NULL;
    }
    PyObject *fn = NULL;
    PyObject *globals = PyDict_New();
    if (globals != NULL &&
        PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0) {
        PyObject *r = PyEval_EvalCode(mod, globals, globals);
        if (r != NULL) {
            Py_DECREF(r);
            fn = PyDict_GetItemString(globals, name); /* borrowed */
            if (fn == NULL) {
                PyErr_SetString(PyExc_SystemError, "asynclocks: no function compiled");
            }
            Py_XINCREF(fn);
        }
    }
    Py_XDECREF(globals);
    Py_DECREF(mod);
    return fn;
}

/* A function-like method of `type` for the METH_FASTCALL|METH_KEYWORDS entry
 * `def`, whose doc starts with a text signature "name($self, ...)\n--\n\n".
 * New reference or NULL. */
static PyObject *
cm_new(AlState *st, PyTypeObject *type, PyMethodDef *def, int coro)
{
    const char *doc = def->ml_doc;
    const char *open = doc ? strchr(doc, '(') : NULL;
    const char *close = open ? strstr(open, ")\n--\n\n") : NULL;
    if (close == NULL || strncmp(open + 1, "$self", 5) != 0) {
        PyErr_Format(PyExc_SystemError, "asynclocks: %s needs a text signature", def->ml_name);
        return NULL;
    }
    CoroMethod *m = PyObject_GC_New(CoroMethod, (PyTypeObject *)st->CoroMethod_Type);
    if (m == NULL) {
        return NULL;
    }
    m->vectorcall = cm_vectorcall;
    m->meth = (AlFastKw)(void (*)(void))def->ml_meth;
    m->objclass = (PyTypeObject *)Py_NewRef((PyObject *)type);
    m->annotations = NULL;
    m->name = PyUnicode_FromString(def->ml_name);
    m->qualname = PyUnicode_FromFormat("%s.%s", type->tp_name, def->ml_name);
    m->doc = PyUnicode_FromString(close + 6);
    m->code = NULL;
    m->defaults = NULL;
    PyObject *fn = make_function(def->ml_name, open + 2, (size_t)(close - open - 2), coro);
    if (fn != NULL) {
        m->code = PyObject_GetAttrString(fn, "__code__");
        m->defaults = PyObject_GetAttrString(fn, "__defaults__");
        Py_DECREF(fn);
    }
    PyObject_GC_Track(m);
    if (m->name == NULL || m->qualname == NULL || m->doc == NULL || m->code == NULL ||
        m->defaults == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    return (PyObject *)m;
}

/* ------------------------------------------------------------------ */
/* CPython 3.11: the interpreter's specialized method loads and calls.
 *
 * 3.11 specializes `obj.meth(...)` (LOAD_METHOD, then PRECALL) only when
 * (_Py_Specialize_LoadMethod) the instance has no dict slot, a managed dict,
 * or a dict slot holding a dict: a NULL dict pointer, what our objects have
 * until their first attribute, is a specialization failure (3.12+ have a
 * lazy-dict form). And (_Py_Specialize_Precall) it calls inline only
 * builtin functions, builtin method descriptors (PyMethodDescr_Type exactly),
 * Python functions, bound methods and classes with a vectorcall. So on 3.11:
 *
 * - each new primitive's __dict__ is one empty dict shared by all of them
 *   (waitbase.c; copy on write: al_unshare_dict drops it before an attribute is set or
 *   the dict is handed out, and a dict of its own is made then); method
 *   loads are then specialized (LOAD_METHOD_WITH_DICT, keyed on the shared
 *   keys of empty dicts);
 * - what the type's dict holds for each method is a class (a "method
 *   class"), whose metaclass is a method descriptor type: the interpreter
 *   loads it as a method (LOAD_METHOD_WITH_DICT, the metaclass has
 *   Py_TPFLAGS_METHOD_DESCRIPTOR and Py_TPFLAGS_IMMUTABLETYPE) and calls it
 *   inline as a class with a vectorcall (PRECALL_BUILTIN_CLASS: immutable,
 *   tp_new not object's, tp_vectorcall set), straight into cm_vectorcall.
 *   Its __get__ (the metaclass's) gives what a lookup through the class or
 *   an instance sees: the function-like CoroMethod, or a method bound to
 *   it, so introspection answers as on the other versions.
 *
 * Not on 3.12-3.14, though they call a CoroMethod through the generic path
 * (CALL_NON_PY_GENERAL: about 75 instructions per call more than a builtin
 * method descriptor, callgrind 3.13.0) and would call a method class
 * inline (CALL_BUILTIN_CLASS; q.put_nowait(i); q.get_nowait() 944 -> 799):
 * their LOAD_ATTR_CLASS caches what a class's dict holds for a method
 * descriptor and returns it without calling __get__, so a repeated
 * `Lock.acquire` (inspect.iscoroutinefunction(Lock.acquire) in a loop)
 * would give the method class instead of the function-like method. */

#ifdef AL_ONLY_311

/* A method class: an instance of a per-primitive metaclass (spec below)
 * standing in the type's dict for the CoroMethod `cm`. */
typedef struct {
    PyHeapTypeObject ht;
    PyObject *cm;           /* the CoroMethod (strong), also its __wrapped__ */
    AlFastKw meth;          /* cm's, copied for the call */
    PyTypeObject *objclass; /* cm's (strong) */
} MethodClass;

/* mc_vectorcall's other cases (subclasses, errors), kept out of line so
 * that the common case needs no stack frame. New reference or NULL. */
static Py_NO_INLINE PyObject *
mc_vectorcall_other(PyObject *cls, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PyObject *cm = ((MethodClass *)cls)->cm;
    if (cm == NULL) {
        PyErr_SetString(PyExc_TypeError, "asynclocks: incomplete method class");
        return NULL;
    }
    return cm_vectorcall(cm, args, nargsf, kwnames);
}

/* The call: straight to the method for a `self` of exactly the defining
 * class. New reference or NULL. */
static PyObject *
mc_vectorcall(PyObject *cls, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    MethodClass *mc = (MethodClass *)cls;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs >= 1 && Py_IS_TYPE(args[0], mc->objclass)) {
        return mc->meth(args[0], args + 1, nargs - 1, kwnames);
    }
    return mc_vectorcall_other(cls, args, nargsf, kwnames);
}

/* tp_new of a method class: calling it with a tuple calls the method (the
 * result is not an instance, so type_call returns it). New reference. */
static PyObject *
mc_new(PyTypeObject *cls, PyObject *args, PyObject *kwds)
{
    PyObject *cm = ((MethodClass *)cls)->cm;
    if (cm == NULL) {
        PyErr_SetString(PyExc_TypeError, "asynclocks: incomplete method class");
        return NULL;
    }
    return PyObject_Call(cm, args, kwds);
}

/* The metaclass's __get__: the CoroMethod from the class, a method bound
 * to it from an instance. New reference. */
static PyObject *
mc_descr_get(PyObject *cls, PyObject *obj, PyObject *type)
{
    PyObject *cm = ((MethodClass *)cls)->cm;
    if (cm == NULL) {
        return Py_NewRef(cls);
    }
    return cm_descr_get(cm, obj, type);
}

static PyObject *
mc_repr(PyObject *cls)
{
    PyObject *cm = ((MethodClass *)cls)->cm;
    return cm != NULL ? cm_repr(cm) : PyType_Type.tp_repr(cls);
}

static int
mc_traverse(PyObject *cls, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(cls));
    Py_VISIT(((MethodClass *)cls)->cm);
    Py_VISIT(((MethodClass *)cls)->objclass);
    return PyType_Type.tp_traverse(cls, visit, arg);
}

/* `cm` and `objclass` are kept until dealloc (a call through a class being collected
 * stays valid); the type's own clear breaks the cycles (its dict). */
static void
mc_dealloc(PyObject *cls)
{
    PyTypeObject *meta = Py_TYPE(cls);
    Py_CLEAR(((MethodClass *)cls)->cm);
    Py_CLEAR(((MethodClass *)cls)->objclass);
    PyType_Type.tp_dealloc(cls);
    Py_DECREF(meta);
}

static PyType_Slot mc_meta_slots[] = {
    { Py_tp_descr_get, mc_descr_get },
    { Py_tp_repr, mc_repr },
    { Py_tp_traverse, mc_traverse },
    { Py_tp_dealloc, mc_dealloc },
    { 0, NULL },
};

static PyType_Spec mc_meta_spec = {
    .name = "asynclocks._core.method_class",
    .basicsize = sizeof(MethodClass),
    .itemsize = 0, /* type's */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_METHOD_DESCRIPTOR |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = mc_meta_slots,
};

/* tp_new of the metaclass once its method classes are made (NULL would be
 * called as is by type_new for a class deriving from a method class). */
static PyObject *
mc_meta_closed_new(PyTypeObject *meta, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    PyErr_Format(PyExc_TypeError, "cannot create '%s' instances", meta->tp_name);
    return NULL;
}

/* The method class of metaclass `meta` standing for the CoroMethod `cm`
 * (named and documented as it). New reference or NULL. */
static PyObject *
mc_new_class(PyTypeObject *meta, CoroMethod *cm)
{
    PyObject *ns = Py_BuildValue("{sssOsOsO}", "__module__", "asynclocks", "__qualname__",
                                 cm->qualname, "__doc__", cm->doc, "__wrapped__", (PyObject *)cm);
    if (ns == NULL) {
        return NULL;
    }
    PyObject *cls = PyObject_CallFunction((PyObject *)meta, "O(O)O", cm->name,
                                          (PyObject *)&PyBaseObject_Type, ns);
    Py_DECREF(ns);
    if (cls == NULL) {
        return NULL;
    }
    if (!PyObject_TypeCheck(cls, meta)) {
        PyErr_SetString(PyExc_SystemError, "asynclocks: method class of the wrong type");
        Py_DECREF(cls);
        return NULL;
    }
    PyTypeObject *t = (PyTypeObject *)cls;
    ((MethodClass *)cls)->cm = Py_NewRef((PyObject *)cm);
    ((MethodClass *)cls)->meth = cm->meth;
    ((MethodClass *)cls)->objclass = (PyTypeObject *)Py_NewRef((PyObject *)cm->objclass);
    t->tp_new = mc_new;
    t->tp_vectorcall = mc_vectorcall;
    t->tp_flags |= Py_TPFLAGS_IMMUTABLETYPE;
    t->tp_flags &= ~Py_TPFLAGS_BASETYPE;
    PyType_Modified(t);
    return cls;
}
#endif

int
al_install_coroutine_methods(AlState *st, PyTypeObject *type, PyType_Spec *spec)
{
#ifdef AL_ONLY_311
    /* One metaclass per primitive type, closed to new instances once its
     * method classes are made. */
    PyTypeObject *meta =
      (PyTypeObject *)PyType_FromSpecWithBases(&mc_meta_spec, (PyObject *)&PyType_Type);
    if (meta == NULL) {
        return -1;
    }
    meta->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL; /* tp_vectorcall_offset is type's */
#endif
    static const char *const coro_names[] = { "acquire", "wait",       "wait_for",  "reset",
                                              "abort",   "__aenter__", "__aexit__", "put",
                                              "get",     "join" };
    PyMethodDef *defs = NULL;
    for (PyType_Slot *slot = spec->slots; slot->slot != 0; slot++) {
        if (slot->slot == Py_tp_methods) {
            defs = slot->pfunc;
        }
    }
    for (; defs != NULL && defs->ml_name != NULL; defs++) {
        int coro = 0;
        for (size_t i = 0; i < sizeof(coro_names) / sizeof(coro_names[0]); i++) {
            coro |= strcmp(defs->ml_name, coro_names[i]) == 0;
        }
        /* Only the methods with a text signature (the stdlib's methods;
         * not __reduce__ and __setstate__). */
        if (defs->ml_doc == NULL || strstr(defs->ml_doc, "($self") == NULL ||
            defs->ml_flags != METH_CM) {
            continue;
        }
        PyObject *m = cm_new(st, type, defs, coro);
#ifdef AL_ONLY_311
        /* Not __aenter__/__aexit__: `async with` looks them up as special
         * methods (their __get__ is then one step shorter), not with
         * LOAD_METHOD. */
        if (m != NULL && strncmp(defs->ml_name, "__", 2) != 0) {
            Py_SETREF(m, mc_new_class(meta, (CoroMethod *)m));
        }
#endif
        int rc = m != NULL ? PyObject_SetAttrString((PyObject *)type, defs->ml_name, m) : -1;
        Py_XDECREF(m);
        if (rc < 0) {
            goto error;
        }
    }
#ifdef AL_ONLY_311
    meta->tp_new = mc_meta_closed_new;
    PyType_Modified(meta);
    Py_DECREF(meta);
#endif
    return 0;
error:
#ifdef AL_ONLY_311
    Py_DECREF(meta);
#endif
    return -1;
}

int
al_coromethod_set_defaults(PyObject *method, PyObject *defaults)
{
    if (!PyTuple_Check(defaults)) {
        PyErr_SetString(PyExc_TypeError, "asynclocks: __defaults__ must be a tuple");
        return -1;
    }
#ifdef AL_ONLY_311
    /* A type's dict holds method classes on 3.11 (see above): their CoroMethod. */
    if (PyType_Check(method)) {
        method = ((MethodClass *)method)->cm;
    }
#endif
    Py_XSETREF(((CoroMethod *)method)->defaults, Py_NewRef(defaults));
    return 0;
}
