/* State shared by the KVM engine's files (VM and run loop, register
 * transfer, CPUID); nothing outside hwaccel/ includes it. */
#ifndef VX86_HWACCEL_KVM_INTERNAL_H
#define VX86_HWACCEL_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct x86_cpu;

struct kvm_engine {
    struct machine *m;
    int kvm_fd;
    int vm_fd;
    int vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t vcpu_thread;
    atomic_bool thread_known;
    atomic_bool kick_pending;
    bool has_readonly_mem;
    bool has_xcrs;
    bool has_xsave;
    uint64_t cr8_entered;    /* CR8 handed to KVM before the last entry */
    uint64_t apic_base_seen; /* IA32_APIC_BASE as KVM last reported it */
    uint32_t msr_list[64];
    unsigned msr_count;
};

int kvm_cpuid_setup(struct kvm_engine *k);
int kvm_state_get(struct kvm_engine *k, struct x86_cpu *cpu);
int kvm_state_put(struct kvm_engine *k, const struct x86_cpu *cpu);
int kvm_state_init_msr_list(struct kvm_engine *k);

#endif
