/* ThreadSafeEvent (tsevent.c): its type spec; the layout is tswait.h's. */
#ifndef ASYNCLOCKS_TSEVENT_H
#define ASYNCLOCKS_TSEVENT_H

#include "tswait.h"

extern PyType_Spec al_tsevent_spec;

#endif
