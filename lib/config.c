/* placeholder: being written */
#include "autoconf.h"
typedef int sw_placeholder_t;
