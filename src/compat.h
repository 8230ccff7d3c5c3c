/* What every file of asynclocks._core includes first: Python.h, the
 * CPython version tests and the few compiler-specific constructs, each with
 * its GCC/clang and MSVC spelling. Depends on nothing of ours. */
#ifndef ASYNCLOCKS_COMPAT_H
#define ASYNCLOCKS_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* The running interpreter's API level (the one the module is built for). */
#define AL_PY311 (PY_VERSION_HEX >= 0x030B0000)
#define AL_PY312 (PY_VERSION_HEX >= 0x030C0000)
#define AL_PY313 (PY_VERSION_HEX >= 0x030D0000)
#define AL_PY314 (PY_VERSION_HEX >= 0x030E0000)

/* Keep a cold function out of line, so that its caller, inlined into the
 * hot path, stays small. */
#if defined(_MSC_VER)
#define AL_NOINLINE __declspec(noinline)
#elif defined(__GNUC__) || defined(__clang__)
#define AL_NOINLINE __attribute__((noinline))
#else
#define AL_NOINLINE
#endif

/* Compile-time check (C11 _Static_assert; MSVC spells it static_assert). */
#if defined(_MSC_VER) && !defined(__clang__)
#define AL_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define AL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* am_send exists from 3.10; only 3.10 needs the flag that says a type
 * fills it (from 3.11 the slot is always read). */
#ifdef Py_TPFLAGS_HAVE_AM_SEND
#define AL_TPFLAGS_HAVE_AM_SEND Py_TPFLAGS_HAVE_AM_SEND
#else
#define AL_TPFLAGS_HAVE_AM_SEND 0
#endif

#endif
