/* -accel selection: kvm when the host has hardware virtualization and
 * /dev/kvm works, bt otherwise; the reason is always said. */
#include "tools/vx86/accel.h"

#include <cpuid.h>
#include <stdio.h>

#include "cpu/engine.h"

bool accel_host_has_hw_virt(const char **which)
{
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5))) {
        *which = "VT-x";
        return true;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 2))) {
        *which = "AMD-V";
        return true;
    }
    *which = NULL;
    return false;
}

static const struct engine_ops *accel_bt(char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    return &bt_engine_ops;
}

const struct engine_ops *accel_select(enum vx86_accel requested, char *err, size_t err_len)
{
    char why[256];
    if (requested == ACCEL_KVM) {
        if (kvm_engine_ops.probe(why, sizeof(why)) < 0) {
            snprintf(err, err_len, "-accel kvm: KVM is not available: %s", why);
            return NULL;
        }
        return &kvm_engine_ops;
    }
    if (requested == ACCEL_BT)
        return accel_bt(err, err_len);

    const char *hw;
    if (!accel_host_has_hw_virt(&hw)) {
        fprintf(stderr, "vx86: accel auto: chose bt: the host CPU shows neither VT-x nor AMD-V "
                        "(a /dev/kvm here would be software-nested and too limited)\n");
        return accel_bt(err, err_len);
    }
    if (kvm_engine_ops.probe(why, sizeof(why)) < 0) {
        fprintf(stderr, "vx86: accel auto: chose bt: the host CPU has %s but %s\n", hw, why);
        return accel_bt(err, err_len);
    }
    fprintf(stderr, "vx86: accel auto: chose kvm: the host CPU has %s and /dev/kvm works\n", hw);
    return &kvm_engine_ops;
}
