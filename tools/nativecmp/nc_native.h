/* nativecmp: the native runner, which executes cases on the host CPU in a
 * forked child process (64-bit mode, and 32-bit compatibility mode through
 * the __USER32_CS selector). */
#ifndef VX86_NATIVECMP_NC_NATIVE_H
#define VX86_NATIVECMP_NC_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/nativecmp/nc_case.h"

/* Starts a child process and fills *r. Returns 0, or -1 with why filled
 * (not an x86-64 Linux host, or the fixed addresses cannot be mapped). */
int nc_native_create(struct nc_runner *r, char *why, size_t why_len);

/* Runs a small 32-bit case to learn whether the kernel lets a 64-bit
 * process run compatibility-mode code (no IA32 emulation: it cannot). */
bool nc_native_probe_compat32(const struct nc_runner *r, char *why, size_t why_len);

/* Child processes started so far by this runner (1 + restarts after a case
 * killed the child); for tests and statistics. */
unsigned nc_native_child_starts(const struct nc_runner *r);

#endif
