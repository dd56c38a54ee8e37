/* nativecmp: helpers shared by every runner (batching over run(), the
 * exception-to-signal mapping of Linux on x86-64). */
#include <signal.h>
#include <string.h>

#include "tools/nativecmp/nc_case.h"

int nc_runner_run_batch(const struct nc_runner *r, const struct nc_case *cases,
                        struct nc_state *out, size_t n)
{
    if (r->run_batch)
        return r->run_batch(r->opaque, cases, out, n);
    for (size_t i = 0; i < n; i++)
        if (r->run(r->opaque, &cases[i], &out[i]) < 0)
            return -1;
    return 0;
}

void nc_runner_destroy(struct nc_runner *r)
{
    if (r->destroy)
        r->destroy(r->opaque);
    r->opaque = NULL;
}

void nc_fx_reset(uint8_t fx[NC_FX_SIZE])
{
    memset(fx, 0, NC_FX_SIZE);
    fx[NC_FX_FCW] = 0x7f;
    fx[NC_FX_FCW + 1] = 0x03;
    uint32_t mxcsr = 0x1f80;
    memcpy(fx + NC_FX_MXCSR, &mxcsr, 4);
}

int nc_signal_for_vector(int vector)
{
    switch (vector) {
    case 0:  return SIGFPE;   /* #DE */
    case 1:                   /* #DB */
    case 3:  return SIGTRAP;  /* #BP */
    case 4:                   /* #OF */
    case 5:                   /* #BR */
    case 13:                  /* #GP */
    case 14: return SIGSEGV;  /* #PF */
    case 6:  return SIGILL;   /* #UD */
    case 11:                  /* #NP */
    case 12:                  /* #SS */
    case 17: return SIGBUS;   /* #AC */
    case 16:
    case 19: return SIGFPE;
    default: return 0;
    }
}
