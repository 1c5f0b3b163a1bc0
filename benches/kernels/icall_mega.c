/* icall_mega: indirect calls through a function-pointer table from a single
 * call site with 32 target(s) (see icall.h). n = passes over a 4096-entry
 * selector array, so n*4096 indirect calls. */
#define NTARGETS 32
#define DEFAULT_N 3600
#define QUICK_N 720
#include "icall.h"
