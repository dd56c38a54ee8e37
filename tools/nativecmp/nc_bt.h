/* nativecmp: the bt engine as a runner. Each case runs at CPL 3 under a
 * small hand-built ring-0 environment (legacy protected mode with PAE for
 * 32-bit cases, long mode for 64-bit ones) inside one vx86 machine. */
#ifndef VX86_NATIVECMP_NC_BT_H
#define VX86_NATIVECMP_NC_BT_H

#include <stddef.h>

#include "tools/nativecmp/nc_case.h"

/* The bt engine with its IR interpreter backend. Returns 0, or -1 with
 * why filled. */
int nc_bt_interp_create(struct nc_runner *r, char *why, size_t why_len);
/* The bt engine with its x86-64 code generator (x86-64 hosts only). */
int nc_bt_jit_create(struct nc_runner *r, char *why, size_t why_len);

#endif
