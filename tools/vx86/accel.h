/* Chooses the CPU engine for -accel auto|kvm|bt and explains the choice. */
#ifndef VX86_TOOLS_ACCEL_H
#define VX86_TOOLS_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/vx86/options.h"

struct engine_ops;

/* True when the host CPU advertises VT-x (CPUID.1:ECX.VMX) or AMD-V
 * (CPUID.80000001h:ECX.SVM). */
bool accel_host_has_hw_virt(const char **which);
/* Returns the engine to use, or NULL with a one-line reason in err. For
 * ACCEL_AUTO the choice and its reason are written to stderr. */
const struct engine_ops *accel_select(enum vx86_accel requested, char *err, size_t err_len);

#endif
