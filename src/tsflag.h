/* ThreadSafeFlag (tsflag.c): its type spec; the layout is tswait.h's. */
#ifndef ASYNCLOCKS_TSFLAG_H
#define ASYNCLOCKS_TSFLAG_H

#include "tswait.h"

extern PyType_Spec al_tsflag_spec;

#endif
