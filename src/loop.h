/* Loop binding (loop.c). Included by asynclocks.h. */
#ifndef ASYNCLOCKS_LOOP_H
#define ASYNCLOCKS_LOOP_H

/* Loop binding, as asyncio.mixins._LoopBoundMixin._get_loop: the bound
 * loop is kept in the waiter queue (*qp, created here), since only waiting
 * needs a loop. Returns a new reference to the running loop (may be None),
 * or NULL. */
PyObject *al_get_loop(AlState *st, PyObject *self, WaitQ **qp);

#endif
