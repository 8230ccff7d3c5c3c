/* The coroutine-like awaitable returned by acquire(), wait(), wait_for(),
 * __aenter__() and __aexit__().
 *
 * Each primitive method that is a coroutine in asyncio returns one of these.
 * Nothing happens until it is driven (send/__next__/am_send); then its step
 * function runs like the body of the stdlib coroutine, written as a state
 * machine: it returns a value, raises, suspends on a waiter future (what
 * `await fut` does) or delegates to another awaitable (what `await x` does).
 * throw() delivers an exception at the suspension point, so the step runs
 * the same clean-up as the stdlib's `except`/`finally` blocks; close() and
 * finalization throw GeneratorExit, as for a coroutine. */
#include "awaitable.h"

#include "calls.h"
#include "exceptions.h"

#if AL_PY312
/* Clear what code that got hold of a shared StopIteration may have attached
 * to it (see set_stop). */
static AL_NOINLINE void
reset_stop_shared(PyBaseExceptionObject *e)
{
    Py_CLEAR(e->traceback);
    Py_CLEAR(e->context);
    Py_CLEAR(e->cause);
    e->suppress_context = 0;
}

/* Raise the shared StopIteration e, reset first if needed. */
static inline void
raise_stop_shared(PyObject *e)
{
    PyBaseExceptionObject *b = (PyBaseExceptionObject *)e;
    assert(e != NULL);
    if (b->traceback != NULL || b->context != NULL || b->cause != NULL || b->suppress_context) {
        /* The interpreter attaches nothing on the shared path; a C caller
         * that let the instance go further may have. */
        reset_stop_shared(b);
    }
    PyErr_SetRaisedException(Py_NewRef(e));
}

/* Raise the module's one StopIteration(True). */
static inline void
raise_stop_true(AlState *st)
{
    raise_stop_shared(st->stop_true);
}

/* Raise value (stolen) through the module's shared StopIteration(value):
 * its value field takes the reference, and aw_dealloc drops it once the
 * interpreter has taken the value out (the awaitable dies right after, at
 * the end of the `await`). If whoever last saw that instance kept it (a
 * monitoring callback), it stays theirs, with its value, and a new one is
 * made. 0, or -1 with nothing raised and value still the caller's (no
 * memory for a new instance). */
static inline int
raise_stop_value(AlState *st, PyObject *value)
{
    if (Py_REFCNT(st->stop_value) != 1) {
        PyObject *fresh = PyObject_CallNoArgs(PyExc_StopIteration);
        if (fresh == NULL) {
            PyErr_Clear();
            return -1;
        }
        Py_SETREF(st->stop_value, fresh);
    }
    Py_XSETREF(((PyStopIterationObject *)st->stop_value)->value, value);
    raise_stop_shared(st->stop_value);
    return 0;
}

/* The value the last raise_stop_value left in the shared instance, taken out
 * of it (new reference), or NULL: none left, or that instance is still being
 * raised or was kept. */
static inline PyObject *
take_stop_value(AlState *st)
{
    PyObject *e = st->stop_value;
    if (e == NULL || ((PyStopIterationObject *)e)->value == NULL || Py_REFCNT(e) != 1) {
        return NULL;
    }
    PyObject *v = ((PyStopIterationObject *)e)->value;
    ((PyStopIterationObject *)e)->value = NULL;
    return v;
}
#endif

/* Set StopIteration carrying value (stolen). With silent_none, None is
 * returned by leaving no exception set (the tp_iternext convention). With
 * shared (only for the first drive by an `await` expression on 3.12-3.14,
 * which calls tp_iternext and takes the value out of the exception at once),
 * True is the module's one preallocated StopIteration(True): building one per
 * await costs more than the whole stdlib coroutine. Anywhere else (send(),
 * throw(), next() by hand) the exception reaches Python code, which attaches
 * a traceback to it: a shared instance would then keep that frame and its
 * locals alive, so those get a new one each time. */
static void
set_stop(AlState *st, PyObject *value, int silent_none, int shared)
{
    if (value == Py_None) {
        Py_DECREF(value);
        if (!silent_none) {
            PyErr_SetNone(PyExc_StopIteration);
        }
        return;
    }
#if AL_PY312
    if (shared && value == Py_True && st->stop_true != NULL) {
        Py_DECREF(value);
        raise_stop_true(st);
        return;
    }
#else
    (void)st;
    (void)shared;
#endif
    PyObject *exc = PyObject_CallOneArg(PyExc_StopIteration, value);
    Py_DECREF(value);
    if (exc != NULL) {
        PyErr_SetObject(PyExc_StopIteration, exc);
        Py_DECREF(exc);
    }
}

static PySendResult aw_run(AlAwaitable *aw, PyObject *value, PyObject **result);

/* Take the StopIteration being raised and return its value (new
 * reference; None if it has none). */
static PyObject *
stop_value(void)
{
    PyObject *stop = al_fetch_exc();
    PyObject *v = ((PyStopIterationObject *)stop)->value;
    v = Py_NewRef(v ? v : Py_None);
    Py_DECREF(stop);
    return v;
}

/* Forward value (or, when NULL, the current exception) to aw->sub, as the
 * interpreter does for `await sub`. *out: yielded or returned value. */
static PySendResult
send_to_sub(AlState *st, AlAwaitable *aw, PyObject *value, PyObject **out)
{
    PyObject *sub = aw->sub;
    assert(sub != NULL && aw->running);
    *out = NULL;
    if (Py_IS_TYPE(sub, st->Awaitable_Type)) {
        return aw_run((AlAwaitable *)sub, value, out);
    }
    if (value != NULL) {
        return PyIter_Send(sub, value, out);
    }
    PyObject *exc = al_fetch_exc();
    PyObject *meth;
    if (PyObject_GetOptionalAttr_compat(sub, st->str_throw, &meth) < 0) {
        Py_DECREF(exc);
        return PYGEN_ERROR;
    }
    if (meth == NULL) {
        /* No throw(): the exception is raised at the await. */
        al_restore_exc(exc);
        return PYGEN_ERROR;
    }
    PyObject *r = PyObject_CallOneArg(meth, exc);
    Py_DECREF(meth);
    Py_DECREF(exc);
    if (r != NULL) {
        *out = r;
        return PYGEN_NEXT;
    }
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
        *out = stop_value();
        return PYGEN_RETURN;
    }
    return PYGEN_ERROR;
}

/* The delegate aw->sub has finished with r: PYGEN_RETURN with its value in
 * out (stolen), or PYGEN_ERROR with the exception set. Drop it and resume
 * the step with that outcome. */
static AwStep
resume_after_sub(AlAwaitable *aw, PySendResult r, PyObject *out, PyObject **result)
{
    assert(aw->sub != NULL && r != PYGEN_NEXT && (r != PYGEN_RETURN || out != NULL));
    Py_CLEAR(aw->sub);
    if (r != PYGEN_RETURN) {
        return aw->step(aw, NULL, result);
    }
    AwStep s = aw->step(aw, out, result);
    Py_DECREF(out);
    return s;
}

/* Mark aw finished and drop what it holds, as a finished coroutine drops
 * its frame. Beware: the drops can run arbitrary code. */
static void
aw_finish(AlAwaitable *aw)
{
    aw->running = 0;
    aw->status = AW_DONE;
    Py_CLEAR(aw->owner);
    Py_CLEAR(aw->fut);
    Py_CLEAR(aw->sub);
    Py_CLEAR(aw->arg);
    Py_CLEAR(aw->err);
}

/* Carry on after a step returned s: suspend on a future, delegate to a
 * sub-awaitable, or finish. The caller holds a reference to aw. */
static PySendResult
aw_continue(AlAwaitable *aw, AwStep s, PyObject **result)
{
    AlState *st = aw->st;
    for (;;) {
        assert(s >= AW_ERROR && s <= AW_AWAIT_SUB);
        assert(aw->status == AW_ACTIVE && aw->running);
        if (s == AW_AWAIT_FUT) {
            assert(aw->fut != NULL && aw->sub == NULL);
            /* `await fut`: delegate to fut.__await__(), as the interpreter
             * does. For asyncio's C Future its iterator marks the future
             * blocking and yields it, then returns its result or raises, all
             * in C. If that fails, the step cleans up as for any error. */
            s = aw_await(aw, Py_NewRef(aw->fut));
            if (s == AW_ERROR) {
                s = aw->step(aw, NULL, result);
            }
            continue;
        }
        if (s == AW_AWAIT_SUB) {
            assert(aw->sub != NULL);
            PyObject *out;
            PySendResult r = send_to_sub(st, aw, Py_None, &out);
            if (r == PYGEN_NEXT) {
                *result = out;
                aw->running = 0;
                return PYGEN_NEXT;
            }
            s = resume_after_sub(aw, r, out, result);
            continue;
        }
        break;
    }
    aw_finish(aw);
    if (s == AW_RETURN) {
        assert(*result != NULL);
        return PYGEN_RETURN;
    }
    assert(PyErr_Occurred());
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
        /* As PEP 479 does for a coroutine body. */
        PyObject *exc = al_fetch_exc();
        PyErr_SetString(PyExc_RuntimeError, "coroutine raised StopIteration");
        PyObject *rt = al_fetch_exc();
        PyException_SetCause(rt, Py_NewRef(exc));
        PyException_SetContext(rt, exc);
        al_restore_exc(rt);
    }
    return PYGEN_ERROR;
}

/* The rest of aw_start() when the first step did more than return. */
static AL_NOINLINE PySendResult
aw_start_rest(AlAwaitable *aw, AwStep s, PyObject **result)
{
    if (s == AW_RETURN) {
        aw_finish(aw);
        return PYGEN_RETURN;
    }
    return aw_continue(aw, s, result);
}

/* First drive of a fresh awaitable (the caller checked status and that the
 * value sent is None): run the first step. Uncontended operations end here,
 * having held nothing but the owner. */
static inline PySendResult
aw_start(AlAwaitable *aw, PyObject **result)
{
    assert(aw->status == AW_FRESH && !aw->running && aw->owner != NULL);
    aw->status = AW_ACTIVE;
    aw->running = 1;
    AwStep s = aw->step(aw, Py_None, result);
    if (s == AW_RETURN &&
        ((uintptr_t)aw->arg | (uintptr_t)aw->fut | (uintptr_t)aw->sub | (uintptr_t)aw->err) == 0) {
        /* Only the owner is held: drop it, as aw_finish would. */
        PyObject *owner = aw->owner;
        aw->owner = NULL;
        aw->running = 0;
        aw->status = AW_DONE;
        Py_DECREF(owner);
        return PYGEN_RETURN;
    }
    return aw_start_rest(aw, s, result);
}

/* Resume aw with value (borrowed), or with the current exception when value
 * is NULL. Returns what am_send returns; *result is a new reference. The
 * caller (the interpreter, a Task, a delegating awaitable) holds a reference
 * to aw for the duration of the call. */
static PySendResult
aw_run(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    AwStep s;
    *result = NULL;

    if (aw->status == AW_FRESH && value == Py_None) {
        return aw_start(aw, result);
    }
    if (aw->running) {
        PyErr_SetString(PyExc_ValueError, "coroutine already executing");
        return PYGEN_ERROR;
    }
    if (aw->status == AW_DONE) {
        /* Also for throw(): the thrown exception is replaced. */
        PyErr_SetString(PyExc_RuntimeError, "cannot reuse already awaited coroutine");
        return PYGEN_ERROR;
    }
    if (aw->owner == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "awaitable was cleared");
        return PYGEN_ERROR;
    }
    if (aw->status == AW_FRESH) {
        if (value == NULL) {
            /* throw() into an unstarted coroutine: raised as is. */
            aw_finish(aw);
            return PYGEN_ERROR;
        }
        PyErr_SetString(PyExc_TypeError, "can't send non-None value to a just-started coroutine");
        return PYGEN_ERROR;
    }

    aw->running = 1;
    if (aw->sub != NULL) {
        PyObject *out;
        PySendResult r = send_to_sub(aw->st, aw, value, &out);
        if (r == PYGEN_NEXT) {
            *result = out;
            aw->running = 0;
            return PYGEN_NEXT;
        }
        s = resume_after_sub(aw, r, out, result);
    }
    else if (value == NULL) {
        /* Every suspension delegates (to the waiter future's iterator or to
         * another awaitable), so with no delegate left this is close(): it
         * closed the delegate, and GeneratorExit (or what the delegate's
         * close() raised) arrives where it was awaited. */
        s = aw->step(aw, NULL, result);
    }
    else {
        PyErr_SetString(PyExc_RuntimeError, "awaitable has nothing to resume");
        s = AW_ERROR;
    }
    return aw_continue(aw, s, result);
}

/* ------------------------------------------------------------------ */
/* Creation, recycling and the parts of the coroutine protocol. */

PyObject *
aw_new_alloc(AlState *st, PyObject *owner, AwStepFunc step, const char *name, PyObject *ret)
{
    AlAwaitable *aw = st->freelist;
    if (aw != NULL) {
        /* Shared with someone else, or finalized (see aw_new): no longer
         * the list's. */
        st->freelist = aw->next;
        st->numfree--;
        aw->next = NULL;
        Py_DECREF(aw);
    }
    aw_set_recycling(st);
    aw = PyObject_GC_New(AlAwaitable, st->Awaitable_Type);
    if (aw == NULL) {
        return NULL;
    }
    aw->st = st;
    aw->step = step;
    aw->name = name;
    aw->owner = Py_NewRef(owner);
    aw->fut = NULL;
    aw->sub = NULL;
    aw->arg = NULL;
    aw->err = NULL;
    aw->ret = ret;
    aw->next = NULL;
    aw->u.word = 0;
    aw->state = 0;
    aw->status = AW_FRESH;
    aw->running = 0;
    aw->finalized = 0;
    aw->awaited = 0;
    PyObject_GC_Track(aw);
    return (PyObject *)aw;
}

/* 1 if o is a coroutine `await` takes as its own iterator: a native one, or
 * a generator of a types.coroutine function (CO_ITERABLE_COROUTINE); 0 if
 * not; -1 on error. */
static int
is_coroutine(PyObject *o)
{
    if (PyCoro_CheckExact(o)) {
        return 1;
    }
    if (!PyGen_CheckExact(o)) {
        return 0;
    }
    PyObject *code = PyObject_GetAttrString(o, "gi_code");
    if (code == NULL) {
        return -1;
    }
    int r = PyCode_Check(code) && (((PyCodeObject *)code)->co_flags & CO_ITERABLE_COROUTINE);
    Py_DECREF(code);
    return r;
}

/* Set the TypeError `await` raises for obj (and, for the __await__() ones,
 * the bad iterator it returned): the running interpreter's message, from
 * the template the import-time probe made (module.c), else the 3.10-3.13
 * wording `fallback` (formatted with the type names). */
static void
await_error(AlState *st, int which, PyObject *obj, PyObject *ret, const char *fallback)
{
    PyObject *tmpl = st->await_msg[which];
    if (tmpl != NULL && st->await_fmt != NULL) {
        PyObject *n0 = PyUnicode_FromString(Py_TYPE(obj)->tp_name);
        PyObject *n1 = ret ? PyUnicode_FromString(Py_TYPE(ret)->tp_name) : Py_NewRef(Py_None);
        PyObject *msg = NULL;
        if (n0 != NULL && n1 != NULL) {
            PyObject *args[5] = { tmpl, (PyObject *)Py_TYPE(obj), n0,
                                  ret ? (PyObject *)Py_TYPE(ret) : Py_None, n1 };
            msg = PyObject_Vectorcall(st->await_fmt, args, 5, NULL);
        }
        Py_XDECREF(n0);
        Py_XDECREF(n1);
        if (msg != NULL) {
            PyErr_SetObject(PyExc_TypeError, msg);
            Py_DECREF(msg);
        }
        return;
    }
    PyErr_Format(PyExc_TypeError, fallback, Py_TYPE(ret ? ret : obj)->tp_name);
}

AwStep
aw_await(AlAwaitable *aw, PyObject *o)
{
    AlState *st = aw->st;
    PyObject *it;
    if (o == NULL) {
        return AW_ERROR;
    }
    int coro = Py_IS_TYPE(o, st->Awaitable_Type) ? 1 : is_coroutine(o);
    if (coro < 0) {
        Py_DECREF(o);
        return AW_ERROR;
    }
    if (coro) {
        it = o;
    }
    else {
        /* As the interpreter's `await o` (_PyCoro_GetAwaitableIter). */
        unaryfunc getter = Py_TYPE(o)->tp_as_async ? Py_TYPE(o)->tp_as_async->am_await : NULL;
        if (getter == NULL) {
            await_error(st, AL_AWMSG_NOT_AWAITABLE, o, NULL,
                        "object %.100s can't be used in 'await' expression");
            Py_DECREF(o);
            return AW_ERROR;
        }
        it = getter(o);
        if (it == NULL) {
            Py_DECREF(o);
            return AW_ERROR;
        }
        int bad = is_coroutine(it);
        if (bad > 0) {
            await_error(st, AL_AWMSG_COROUTINE, o, it, "__await__() returned a coroutine");
        }
        else if (bad == 0 && !PyIter_Check(it)) {
            await_error(st, AL_AWMSG_NON_ITERATOR, o, it,
                        "__await__() returned non-iterator of type '%.100s'");
            bad = 1;
        }
        Py_DECREF(o);
        if (bad) {
            Py_DECREF(it);
            return AW_ERROR;
        }
    }
    Py_XSETREF(aw->sub, it);
    return AW_AWAIT_SUB;
}

AwStep
aw_await_method(AlAwaitable *aw, PyObject *obj, PyObject *name)
{
    return aw_await(aw, al_call_method0(obj, name));
}

AwStep
aw_step_passthrough(AlAwaitable *aw, PyObject *value, PyObject **result)
{
    if (aw->state == 0) {
        /* aw->arg holds the method name to await on the owner. */
        aw->state = 1;
        return aw_await_method(aw, aw->owner, aw->arg);
    }
    if (value == NULL) {
        return AW_ERROR;
    }
    *result = Py_NewRef(aw->ret != NULL ? aw->ret : value);
    return AW_RETURN;
}

/* close(): throw GeneratorExit in if suspended. New reference or NULL. */
static PyObject *
aw_close_impl(AlAwaitable *aw)
{
    AlState *st = aw->st;
    PyObject *res;
    if (aw->status != AW_ACTIVE) {
        aw_finish(aw);
        Py_RETURN_NONE;
    }
    if (aw->running) {
        PyErr_SetString(PyExc_ValueError, "coroutine already executing");
        return NULL;
    }
    if (aw->sub != NULL) {
        /* As gen_close(): close the delegate first; an error it raises is
         * thrown in instead of GeneratorExit. */
        PyObject *sub = aw->sub;
        PyObject *r;
        aw->sub = NULL;
        if (Py_IS_TYPE(sub, st->Awaitable_Type)) {
            r = aw_close_impl((AlAwaitable *)sub);
        }
        else {
            PyObject *meth;
            if (PyObject_GetOptionalAttr_compat(sub, st->str_close, &meth) < 0) {
                r = NULL;
            }
            else if (meth == NULL) {
                r = Py_NewRef(Py_None);
            }
            else {
                r = PyObject_CallNoArgs(meth);
                Py_DECREF(meth);
            }
        }
        Py_DECREF(sub);
        if (r != NULL) {
            Py_DECREF(r);
            PyErr_SetNone(PyExc_GeneratorExit);
        }
    }
    else {
        PyErr_SetNone(PyExc_GeneratorExit);
    }
    PySendResult r = aw_run(aw, NULL, &res);
    if (r == PYGEN_NEXT) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_RuntimeError, "coroutine ignored GeneratorExit");
        return NULL;
    }
    if (r == PYGEN_RETURN) {
        Py_DECREF(res);
        Py_RETURN_NONE;
    }
    if (PyErr_ExceptionMatches(PyExc_GeneratorExit) ||
        PyErr_ExceptionMatches(PyExc_StopIteration)) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return NULL;
}

static PySendResult
aw_am_send(PyObject *self, PyObject *arg, PyObject **result)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    if (aw->status == AW_FRESH && arg == Py_None) {
        return aw_start(aw, result);
    }
    return aw_run(aw, arg, result);
}

static PyObject *
aw_iternext(PyObject *self)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    PyObject *res;
    PySendResult r;
    int shared = 0;
    if (aw->status == AW_FRESH) {
        /* First drive: by the `await` expression that called am_await (the
         * interpreter's SEND on 3.12-3.14), or by hand. */
        shared = aw->awaited;
        r = aw_start(aw, &res);
#if AL_PY312
        /* The uncontended await, inline: None and True are immortal from
         * 3.12, so their references need no release. */
        if (r == PYGEN_RETURN) {
            if (res == Py_None) {
                return NULL;
            }
            if (shared) {
                if (res == Py_True) {
                    raise_stop_true(aw->st);
                    return NULL;
                }
                /* Only the `await` holds this awaitable (no one can drive
                 * it by hand later): its end releases the shared value. */
                if (Py_REFCNT(self) == 1 && raise_stop_value(aw->st, res) == 0) {
                    return NULL;
                }
            }
        }
#endif
    }
    else {
        r = aw_run(aw, Py_None, &res);
    }
    if (r == PYGEN_NEXT) {
        return res;
    }
    if (r == PYGEN_RETURN) {
        set_stop(aw->st, res, 1, shared);
    }
    return NULL;
}

static PyObject *send_result(AlAwaitable *aw, PySendResult r, PyObject *res);

static PyObject *
aw_send(PyObject *self, PyObject *arg)
{
    PyObject *res;
    PySendResult r = aw_run((AlAwaitable *)self, arg, &res);
    return send_result((AlAwaitable *)self, r, res);
}

/* The exception for throw(typ[, val[, tb]]) (new reference), or NULL with
 * TypeError set, with a coroutine's messages. (A suspended awaitable passes
 * throw() on to its delegate, which validates the arguments itself, as the
 * waiter future's iterator does for a stdlib coroutine.) */
static PyObject *
make_exception(PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *typ = args[0];
    PyObject *val = nargs > 1 ? args[1] : Py_None;
    PyObject *tb = nargs > 2 ? args[2] : Py_None;
    PyObject *exc;
    if (tb != Py_None && !PyTraceBack_Check(tb)) {
        PyErr_SetString(PyExc_TypeError, "throw() third argument must be a traceback object");
        return NULL;
    }
    if (PyExceptionClass_Check(typ)) {
        PyErr_SetObject(typ, val);
        exc = al_fetch_exc();
        if (exc == NULL) {
            return NULL;
        }
    }
    else if (PyExceptionInstance_Check(typ)) {
        if (val != Py_None) {
            PyErr_SetString(PyExc_TypeError, "instance exception may not have a separate value");
            return NULL;
        }
        exc = Py_NewRef(typ);
    }
    else {
        PyErr_Format(PyExc_TypeError,
                     "exceptions must be classes or instances deriving from "
                     "BaseException, not %s",
                     Py_TYPE(typ)->tp_name);
        return NULL;
    }
    if (tb != Py_None) {
        PyException_SetTraceback(exc, tb);
    }
    return exc;
}

/* What send()/throw() return for a PySendResult: the yielded value, or
 * NULL with StopIteration(value) or the error set. */
static PyObject *
send_result(AlAwaitable *aw, PySendResult r, PyObject *res)
{
    if (r == PYGEN_NEXT) {
        return res;
    }
    if (r == PYGEN_RETURN) {
        set_stop(aw->st, res, 0, 0);
    }
    return NULL;
}

static PyObject *aw_throw(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* throw() while delegating to aw->sub: the arguments go to the delegate as
 * they are (as the interpreter does for `await`); if it finishes, its
 * return value or exception resumes aw. */
static PyObject *
throw_into_sub(AlAwaitable *aw, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *sub = Py_NewRef(aw->sub);
    PyObject *r = NULL;
    aw->running = 1;
    if (Py_IS_TYPE(sub, aw->st->Awaitable_Type)) {
        r = aw_throw(sub, args, nargs);
    }
    else {
        PyObject *meth;
        int rc = PyObject_GetOptionalAttr_compat(sub, aw->st->str_throw, &meth);
        if (rc > 0) {
            r = PyObject_Vectorcall(meth, args, (size_t)nargs, NULL);
            Py_DECREF(meth);
        }
        else if (rc == 0) {
            /* No throw(): raised at the await itself. */
            PyObject *exc = make_exception(args, nargs);
            if (exc != NULL) {
                al_restore_exc(exc);
            }
        }
    }
    aw->running = 0;
    Py_DECREF(sub);
    if (r != NULL) {
        return r; /* the delegate yielded */
    }
    PyObject *val = NULL;
    PySendResult fin = PYGEN_ERROR;
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
        val = stop_value();
        fin = PYGEN_RETURN;
    }
    aw->running = 1;
    PyObject *res = NULL;
    AwStep s = resume_after_sub(aw, fin, val, &res);
    PySendResult pr = aw_continue(aw, s, &res);
    return send_result(aw, pr, res);
}

static PyObject *
aw_throw(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    PyObject *res;
    if (nargs < 1 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "throw expected at %s %d argument%s, got %zd",
                     nargs < 1 ? "least" : "most", nargs < 1 ? 1 : 3, nargs < 1 ? "" : "s", nargs);
        return NULL;
    }
    if (aw->status == AW_ACTIVE && aw->sub != NULL && !aw->running) {
        return throw_into_sub(aw, args, nargs);
    }
    /* 3.15 reports these states before it looks at the argument (learnt at
     * import time from the interpreter's own coroutines). */
    if (aw->running && aw->st->throw_running_first) {
        PyErr_SetString(PyExc_ValueError, "coroutine already executing");
        return NULL;
    }
    if (aw->status == AW_DONE && aw->st->throw_done_first) {
        PyErr_SetString(PyExc_RuntimeError, "cannot reuse already awaited coroutine");
        return NULL;
    }
    PyObject *exc = make_exception(args, nargs);
    if (exc == NULL) {
        return NULL;
    }
    al_restore_exc(exc);
    PySendResult r = aw_run(aw, NULL, &res);
    return send_result(aw, r, res);
}

static PyObject *
aw_close(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return aw_close_impl((AlAwaitable *)self);
}

/* am_await: what an `await` expression calls (GET_AWAITABLE). */
static PyObject *
aw_await_self(PyObject *self)
{
    ((AlAwaitable *)self)->awaited = 1;
    return Py_NewRef(self);
}

/* __await__() called from Python: the iterator it returns may be driven by
 * hand, so it does not mark the awaitable (see set_stop). */
static PyObject *
aw_dunder_await(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self);
}

/* warnings.warn("coroutine '<name>' was never awaited", RuntimeWarning,
 * source=aw), as the interpreter warns for a coroutine: with -X
 * tracemalloc the warning shows where the awaitable was created (see
 * AlState.recycle_max). 0 or -1. */
static int
warn_unawaited(AlAwaitable *aw)
{
    PyObject *warnings = PyImport_ImportModule("warnings");
    if (warnings == NULL) {
        return -1;
    }
    PyObject *warn = PyObject_GetAttrString(warnings, "warn");
    Py_DECREF(warnings);
    if (warn == NULL) {
        return -1;
    }
    PyObject *msg = PyUnicode_FromFormat("coroutine '%s' was never awaited", aw->name);
    PyObject *kwnames = PyTuple_Pack(1, aw->st->str_source);
    PyObject *r = NULL;
    if (msg != NULL && kwnames != NULL) {
        PyObject *args[3] = { msg, PyExc_RuntimeWarning, (PyObject *)aw };
        r = PyObject_Vectorcall(warn, args, 2, kwnames);
    }
    Py_XDECREF(msg);
    Py_XDECREF(kwnames);
    Py_DECREF(warn);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

static void
aw_finalize(PyObject *self)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    aw->finalized = 1;
    if (aw->status == AW_DONE) {
        return;
    }
    PyObject *saved = al_fetch_exc();
    if (aw->status == AW_FRESH) {
        aw_finish(aw);
        if (warn_unawaited(aw) < 0) {
            PyErr_WriteUnraisable(self);
        }
    }
    else {
        PyObject *r = aw_close_impl(aw);
        if (r == NULL) {
            PyErr_WriteUnraisable(self);
        }
        else {
            Py_DECREF(r);
        }
    }
    al_restore_exc(saved);
}

static int
aw_traverse(PyObject *self, visitproc visit, void *arg)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(aw->owner);
    Py_VISIT(aw->fut);
    Py_VISIT(aw->sub);
    Py_VISIT(aw->arg);
    Py_VISIT(aw->err);
    return 0;
}

static int
aw_clear(PyObject *self)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    Py_CLEAR(aw->owner);
    Py_CLEAR(aw->fut);
    Py_CLEAR(aw->sub);
    Py_CLEAR(aw->arg);
    Py_CLEAR(aw->err);
    return 0;
}

/* Free aw for real (not recycled). */
static AL_NOINLINE void
aw_dealloc_slow(PyObject *self)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    PyTypeObject *tp = Py_TYPE(self);
    if (aw->status != AW_DONE) {
        if (PyObject_CallFinalizerFromDealloc(self) < 0) {
            return; /* resurrected */
        }
    }
    PyObject_GC_UnTrack(self);
    if (aw->status != AW_DONE) {
        aw_clear(self); /* every way to AW_DONE goes through aw_finish */
    }
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

static void
aw_dealloc(PyObject *self)
{
    AlAwaitable *aw = (AlAwaitable *)self;
    AlState *st = aw->st;
#if AL_PY312
    /* What an `await` just returned through the shared StopIteration: the
     * interpreter holds its own reference now. Released last (it may run
     * code). */
    PyObject *stop_value = take_stop_value(st);
#endif
    /* A finalized object keeps the GC's "finalized" mark: never recycle it,
     * or its finalizer would not run the next time. */
    if (aw->status == AW_DONE && !aw->finalized && st->numfree < st->recycle_max) {
        /* Recycle: the list takes the object over with one reference; it
         * stays tracked (its fields are all cleared, its type is kept). */
        assert(Py_REFCNT(self) == 0 && aw->owner == NULL && aw->fut == NULL && aw->sub == NULL &&
               aw->arg == NULL && aw->err == NULL && aw->next == NULL);
        Py_SET_REFCNT(self, 1);
        aw->next = st->freelist;
        st->freelist = aw;
        st->numfree++;
    }
    else {
        aw_dealloc_slow(self);
    }
#if AL_PY312
    Py_XDECREF(stop_value);
#endif
}

static PyObject *
aw_get_name(PyObject *self, void *qual)
{
    const char *name = ((AlAwaitable *)self)->name;
    if (!qual) {
        const char *dot = strrchr(name, '.');
        if (dot != NULL) {
            name = dot + 1;
        }
    }
    return PyUnicode_FromString(name);
}

static PyObject *
aw_get_running(PyObject *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(((AlAwaitable *)self)->running);
}

static PyObject *
aw_get_await(PyObject *self, void *Py_UNUSED(closure))
{
    AlAwaitable *aw = (AlAwaitable *)self;
    PyObject *o = aw->sub ? aw->sub : aw->fut;
    return Py_NewRef(o ? o : Py_None);
}

/* cr_frame: None, as for a finished coroutine (there is no Python frame).
 * asyncio's call-graph functions (3.14+) read it on every awaitable they walk
 * through. */
static PyObject *
aw_get_frame(PyObject *Py_UNUSED(self), void *Py_UNUSED(closure))
{
    Py_RETURN_NONE;
}

#if AL_PY311
static PyObject *
aw_get_suspended(PyObject *self, void *Py_UNUSED(closure))
{
    AlAwaitable *aw = (AlAwaitable *)self;
    return PyBool_FromLong(aw->status == AW_ACTIVE && !aw->running);
}
#endif

static PyObject *
aw_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<coroutine-like %s object at %p>", ((AlAwaitable *)self)->name,
                                self);
}

static PyMethodDef aw_methods[] = {
    { "send", aw_send, METH_O,
      PyDoc_STR("send(arg) -> send 'arg' into the awaitable,\n"
                "return next yielded value or raise StopIteration.") },
    { "throw", (PyCFunction)(void (*)(void))aw_throw, METH_FASTCALL,
      PyDoc_STR("throw(value)\nthrow(type[,value[,traceback]])\n\nRaise exception in the "
                "awaitable, return next yielded value or raise StopIteration.") },
    { "close", aw_close, METH_NOARGS, PyDoc_STR("close() -> raise GeneratorExit inside.") },
    /* Replaces the am_await slot wrapper in the type's dict (METH_COEXIST). */
    { "__await__", aw_dunder_await, METH_NOARGS | METH_COEXIST,
      PyDoc_STR("Return an iterator to be used in await expression.") },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef aw_getset[] = {
    { "__name__", aw_get_name, NULL, NULL, NULL },
    { "__qualname__", aw_get_name, NULL, NULL, (void *)1 },
    { "cr_running", aw_get_running, NULL, NULL, NULL },
    { "cr_await", aw_get_await, NULL, NULL, NULL },
    { "cr_frame", aw_get_frame, NULL, NULL, NULL },
#if AL_PY311 /* coroutines have cr_suspended from 3.11 */
    { "cr_suspended", aw_get_suspended, NULL, NULL, NULL },
#endif
    { NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot aw_slots[] = {
    { Py_tp_doc, (void *)PyDoc_STR("Awaitable returned by the asynclocks coroutine methods.\n\n"
                                   "Behaves as a coroutine object: await it, run it as a task, "
                                   "or drive it with send(), throw() and close().") },
    { Py_tp_dealloc, aw_dealloc },
    { Py_tp_traverse, aw_traverse },
    { Py_tp_clear, aw_clear },
    { Py_tp_finalize, aw_finalize },
    { Py_tp_iternext, aw_iternext },
    { Py_tp_methods, aw_methods },
    { Py_tp_getset, aw_getset },
    { Py_tp_repr, aw_repr },
    { Py_am_await, aw_await_self },
    { Py_am_send, aw_am_send },
    { 0, NULL },
};

PyType_Spec al_awaitable_spec = {
    .name = "asynclocks._core.Awaitable",
    .basicsize = sizeof(AlAwaitable),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | AL_TPFLAGS_HAVE_AM_SEND |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = aw_slots,
};

/* ------------------------------------------------------------------ */
/* The module's freelist. */

int
aw_freelist_traverse(AlState *st, visitproc visit, void *arg)
{
    for (AlAwaitable *aw = st->freelist; aw != NULL; aw = aw->next) {
        Py_VISIT(aw); /* the list owns one reference to each */
    }
    return 0;
}

void
aw_freelist_clear(AlState *st)
{
    st->closing = 1;
    st->recycle_max = 0;
    while (st->freelist != NULL) {
        AlAwaitable *aw = st->freelist;
        st->freelist = aw->next;
        st->numfree--;
        aw->next = NULL;
        Py_DECREF(aw);
    }
    assert(st->numfree == 0);
}
