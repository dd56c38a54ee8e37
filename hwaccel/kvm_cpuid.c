/* The CPUID the guest sees under KVM: what KVM supports, minus what needs
 * an in-kernel irqchip (vx86's APICs live in userspace). */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "hwaccel/kvm_internal.h"

#define KVM_CPUID_MAX_ENTRIES 256

int kvm_cpuid_setup(struct kvm_engine *k)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + KVM_CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
    if (!c)
        return -ENOMEM;
    c->nent = KVM_CPUID_MAX_ENTRIES;
    if (ioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        int e = -errno;
        free(c);
        return e;
    }
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            e->ebx &= 0x00ffffffu;   /* APIC ID 0 */
            e->ebx = (e->ebx & 0xff00ffffu) | (1u << 16); /* one logical CPU */
            e->ecx &= ~(1u << 21);   /* x2APIC: our LAPIC is xAPIC only */
            e->ecx &= ~(1u << 24);   /* TSC-deadline needs the in-kernel LAPIC */
            e->edx &= ~(1u << 28);   /* HTT */
            break;
        case 0xb:
        case 0x1f:
            e->edx = 0;              /* x2APIC ID */
            break;
        case 0x40000001:
            /* No paravirtual features: they assume the in-kernel irqchip. */
            e->eax = 0;
            e->edx = 0;
            break;
        default:
            break;
        }
    }
    int r = ioctl(k->vcpu_fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
    free(c);
    return r;
}
