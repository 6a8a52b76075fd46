/* To be written: see bigint.h. */
#include "bigint.h"
