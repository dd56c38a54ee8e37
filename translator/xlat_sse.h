/* Private to the SSE translation files (xlat_sse.c, xlat_sse_inline.c). */
#ifndef VX86_TRANSLATOR_XLAT_SSE_H
#define VX86_TRANSLATOR_XLAT_SSE_H

#include "translator/xlat.h"

/* The current MMX/SSE instruction as a call to helper_sse. */
void xlat_sse_generic(struct xlat_ctx *x);
/* The hot SSE2 forms inline, with helper_sse as their slow path; false when
 * the instruction is not one of them (nothing emitted). */
bool xlat_sse_inline(struct xlat_ctx *x);

#endif
