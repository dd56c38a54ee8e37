/* The kvm engine: one VM backed by the machine's guest memory, one vCPU run
 * on the calling thread, port/MMIO exits handed to the machine's devices and
 * interrupts injected from its userspace interrupt controllers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/engine.h"
#include "hw/log.h"
#include "hw/machine.h"
#include "hwaccel/kvm_internal.h"

/* Real-mode support pages Intel hosts need without unrestricted guest; kept
 * clear of RAM and of the BIOS at the top of 4 GiB. */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull
#define KVM_TSS_ADDR 0xfeffd000ull
#define KVM_KICK_SIGNAL SIGUSR1

static int kvm_open_checked(char *why, size_t why_len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_len, "/dev/kvm: %s", strerror(errno));
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        snprintf(why, why_len, "/dev/kvm speaks API version %d, not %d", version, KVM_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

static int kvm_probe(char *why, size_t why_len)
{
    int fd = kvm_open_checked(why, why_len);
    if (fd < 0)
        return -1;
    int vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        snprintf(why, why_len, "KVM_CREATE_VM failed: %s", strerror(errno));
        close(fd);
        return -1;
    }
    close(vm);
    close(fd);
    return 0;
}

static void kvm_slot_listener(void *opaque, unsigned index, const struct phys_slot *slot,
                              bool added)
{
    struct kvm_engine *k = opaque;
    struct kvm_userspace_memory_region r = {
        .slot = index,
        .guest_phys_addr = slot->gpa,
        .memory_size = added ? slot->size : 0,
        .userspace_addr = (uint64_t)(uintptr_t)slot->host,
        .flags = (added && slot->readonly && k->has_readonly_mem) ? KVM_MEM_READONLY : 0,
    };
    if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        fprintf(stderr, "vx86: kvm: cannot %s memory slot %s at %#llx: %s\n",
                added ? "map" : "unmap", slot->name ? slot->name : "?",
                (unsigned long long)slot->gpa, strerror(errno));
}

static void kvm_kick_handler(int sig)
{
    (void)sig; /* only there to interrupt KVM_RUN */
}

static void kvm_destroy(void *state)
{
    struct kvm_engine *k = state;
    if (!k)
        return;
    if (k->m)
        physmem_set_listener(&k->m->mem, NULL, NULL);
    if (k->run)
        munmap(k->run, k->run_size);
    if (k->vcpu_fd >= 0)
        close(k->vcpu_fd);
    if (k->vm_fd >= 0)
        close(k->vm_fd);
    if (k->kvm_fd >= 0)
        close(k->kvm_fd);
    free(k);
}

static int kvm_create(struct machine *m, void **state)
{
    char why[256];
    struct kvm_engine *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->m = m;
    k->vm_fd = k->vcpu_fd = -1;
    int err = 0;
    k->kvm_fd = kvm_open_checked(why, sizeof(why));
    if (k->kvm_fd < 0) {
        fprintf(stderr, "vx86: kvm: %s\n", why);
        err = -ENODEV;
        goto fail;
    }
    k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
    if (k->vm_fd < 0) {
        err = -errno;
        fprintf(stderr, "vx86: kvm: KVM_CREATE_VM: %s\n", strerror(errno));
        goto fail;
    }
    k->has_readonly_mem = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
    k->has_xcrs = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
    k->has_xsave = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
    if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
        fprintf(stderr, "vx86: kvm: the host KVM lacks KVM_CAP_IMMEDIATE_EXIT\n");
        err = -ENOTSUP;
        goto fail;
    }
    uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
    if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 ||
        ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        err = -errno;
        fprintf(stderr, "vx86: kvm: cannot place real-mode support pages: %s\n", strerror(errno));
        goto fail;
    }
    k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
    if (k->vcpu_fd < 0) {
        err = -errno;
        fprintf(stderr, "vx86: kvm: KVM_CREATE_VCPU: %s\n", strerror(errno));
        goto fail;
    }
    int run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) {
        err = -EINVAL;
        goto fail;
    }
    k->run_size = (size_t)run_size;
    k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
    if (k->run == MAP_FAILED) {
        k->run = NULL;
        err = -errno;
        goto fail;
    }
    err = kvm_cpuid_setup(k);
    if (err) {
        fprintf(stderr, "vx86: kvm: cannot set CPUID: %s\n", strerror(-err));
        goto fail;
    }
    err = kvm_state_init_msr_list(k);
    if (err)
        goto fail;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    physmem_set_listener(&m->mem, kvm_slot_listener, k);
    *state = k;
    return 0;
fail:
    kvm_destroy(k);
    return err ? err : -EIO;
}

static void kvm_kick(void *state)
{
    struct kvm_engine *k = state;
    atomic_store(&k->kick_pending, true);
    k->run->immediate_exit = 1;
    if (atomic_load(&k->thread_known) && !pthread_equal(pthread_self(), k->vcpu_thread))
        pthread_kill(k->vcpu_thread, KVM_KICK_SIGNAL);
}

static bool kvm_machine_has_request(struct machine *m)
{
    return atomic_load(&m->shutdown_requested) || atomic_load(&m->reset_requested);
}


static void kvm_handle_io(struct kvm_engine *k)
{
    struct kvm_run *run = k->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
    if (log_enabled(LOG_EXITS))
        log_printf("kvm: io %s port %#x size %u count %u\n", is_write ? "out" : "in",
                   run->io.port, run->io.size, run->io.count);
    for (uint32_t i = 0; i < run->io.count; i++) {
        machine_port_io(k->m, run->io.port, data, run->io.size, is_write);
        data += run->io.size;
    }
}

static void kvm_handle_mmio(struct kvm_engine *k)
{
    struct kvm_run *run = k->run;
    struct machine *m = k->m;
    uint64_t gpa = run->mmio.phys_addr;
    if (physmem_find_slot(&m->mem, gpa)) {
        /* A write to a read-only slot: shadowed ROM or plain ROM. */
        if (run->mmio.is_write)
            physmem_write(&m->mem, gpa, run->mmio.data, run->mmio.len);
        else
            physmem_read(&m->mem, gpa, run->mmio.data, run->mmio.len);
        return;
    }
    bool mapped = physmem_mmio_access(&m->mem, gpa, run->mmio.data, run->mmio.len,
                                      run->mmio.is_write);
    if (!mapped && log_enabled(LOG_IOPORT))
        log_printf("mmio: unassigned %s of %u bytes at %#llx\n",
                   run->mmio.is_write ? "write" : "read", run->mmio.len,
                   (unsigned long long)gpa);
}

/* HLT with userspace interrupt controllers: sleep until something could wake
 * the CPU. Called and returns with the machine lock held. */
static void kvm_wait_halted(struct kvm_engine *k)
{
    struct machine *m = k->m;
    bool if_set = k->run->if_flag;
    while (!kvm_machine_has_request(m) && !atomic_load(&k->kick_pending) &&
           !(if_set && machine_intr_pending(m)) && !machine_nmi_pending(m))
        pthread_cond_wait(&m->cpu_wakeup, &m->lock);
}

static void kvm_inject_interrupts(struct kvm_engine *k)
{
    struct kvm_run *run = k->run;
    struct machine *m = k->m;
    run->request_interrupt_window = 0;
    if (machine_nmi_pending(m)) {
        /* KVM queues the NMI and delivers it when NMI blocking allows. */
        machine_nmi_ack(m);
        if (ioctl(k->vcpu_fd, KVM_NMI) < 0)
            fprintf(stderr, "vx86: kvm: KVM_NMI: %s\n", strerror(errno));
        else if (log_enabled(LOG_INT))
            log_printf("int: inject NMI\n");
    }
    if (!machine_intr_pending(m))
        return;
    if (run->ready_for_interrupt_injection && run->if_flag) {
        int vector = machine_intr_ack(m);
        if (vector >= 0) {
            struct kvm_interrupt irq = { .irq = (uint32_t)vector };
            if (ioctl(k->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
                fprintf(stderr, "vx86: kvm: KVM_INTERRUPT %d: %s\n", vector, strerror(errno));
            else if (log_enabled(LOG_INT))
                log_printf("int: inject vector %#x\n", vector);
        }
    } else {
        run->request_interrupt_window = 1;
    }
}

/* Without an in-kernel irqchip KVM executes MOV CR8 and WRMSR APIC_BASE
 * itself; kvm_run carries both across every exit, and the userspace LAPIC
 * must see the guest's values (and the guest the LAPIC's TPR). */
static void kvm_sync_apic_in(struct kvm_engine *k)
{
    struct machine *m = k->m;
    if (m->intc.get_cr8)
        k->run->cr8 = m->intc.get_cr8(m->intc.opaque);
    k->cr8_entered = k->run->cr8;
}

static void kvm_sync_apic_out(struct kvm_engine *k)
{
    struct machine *m = k->m;
    struct kvm_run *run = k->run;
    if (run->cr8 != k->cr8_entered && m->intc.set_cr8)
        m->intc.set_cr8(m->intc.opaque, (uint8_t)run->cr8);
    if (run->apic_base != k->apic_base_seen) {
        k->apic_base_seen = run->apic_base;
        if (m->intc.set_apic_base && m->intc.get_apic_base &&
            m->intc.get_apic_base(m->intc.opaque) != run->apic_base)
            m->intc.set_apic_base(m->intc.opaque, run->apic_base);
    }
}

static enum engine_exit kvm_run_vcpu(void *state)
{
    struct kvm_engine *k = state;
    struct machine *m = k->m;
    struct kvm_run *run = k->run;
    if (!atomic_load(&k->thread_known)) {
        k->vcpu_thread = pthread_self();
        atomic_store(&k->thread_known, true);
    }
    for (;;) {
        atomic_store(&k->kick_pending, false);
        run->immediate_exit = 0;
        if (atomic_load(&m->shutdown_requested))
            return ENGINE_EXIT_SHUTDOWN;
        if (atomic_load(&m->reset_requested))
            return ENGINE_EXIT_RESET;
        kvm_inject_interrupts(k);
        kvm_sync_apic_in(k);

        pthread_mutex_unlock(&m->lock);
        int r = ioctl(k->vcpu_fd, KVM_RUN, 0);
        int run_errno = errno;
        pthread_mutex_lock(&m->lock);
        kvm_sync_apic_out(k);

        if (r < 0) {
            if (run_errno == EINTR || run_errno == EAGAIN)
                continue;
            fprintf(stderr, "vx86: kvm: KVM_RUN: %s\n", strerror(run_errno));
            return ENGINE_EXIT_ERROR;
        }
        if (log_enabled(LOG_EXITS))
            log_printf("kvm: exit %u\n", run->exit_reason);
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            kvm_handle_io(k);
            break;
        case KVM_EXIT_MMIO:
            kvm_handle_mmio(k);
            break;
        case KVM_EXIT_HLT:
            kvm_wait_halted(k);
            break;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
        case KVM_EXIT_INTR:
            break;
        case KVM_EXIT_SHUTDOWN:
            if (log_enabled(LOG_INT))
                log_printf("int: triple fault\n");
            return ENGINE_EXIT_RESET;
        case KVM_EXIT_FAIL_ENTRY:
            fprintf(stderr, "vx86: kvm: VM entry failed, hardware reason %#llx\n",
                    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return ENGINE_EXIT_ERROR;
        case KVM_EXIT_INTERNAL_ERROR: {
            struct kvm_regs regs;
            ioctl(k->vcpu_fd, KVM_GET_REGS, &regs);
            fprintf(stderr, "vx86: kvm: internal error (suberror %u) at rip %#llx; "
                    "the host KVM could not run this guest code\n",
                    run->internal.suberror, (unsigned long long)regs.rip);
            return ENGINE_EXIT_ERROR;
        }
        case KVM_EXIT_SYSTEM_EVENT:
            return run->system_event.type == KVM_SYSTEM_EVENT_RESET ? ENGINE_EXIT_RESET
                                                                     : ENGINE_EXIT_SHUTDOWN;
        default:
            fprintf(stderr, "vx86: kvm: unexpected exit reason %u\n", run->exit_reason);
            return ENGINE_EXIT_ERROR;
        }
        if (atomic_load(&k->kick_pending) && !kvm_machine_has_request(m)) {
            /* A kick only asks us to look at interrupts again, which the loop does. */
            continue;
        }
    }
}

static int kvm_get_cpu(void *state, struct x86_cpu *out)
{
    return kvm_state_get(state, out);
}

static int kvm_put_cpu(void *state, const struct x86_cpu *in)
{
    return kvm_state_put(state, in);
}

const struct engine_ops kvm_engine_ops = {
    .name = "kvm",
    .probe = kvm_probe,
    .create = kvm_create,
    .run = kvm_run_vcpu,
    .kick = kvm_kick,
    .get_cpu = kvm_get_cpu,
    .put_cpu = kvm_put_cpu,
    .destroy = kvm_destroy,
};
