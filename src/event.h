/* asyncio.Event in C (event.c): layout and type spec. */
#ifndef ASYNCLOCKS_EVENT_H
#define ASYNCLOCKS_EVENT_H

#include "waitbase.h"

typedef struct {
    AL_WAITBASE_HEAD
    char value;
} EventObject;

extern PyType_Spec al_event_spec;

#endif
