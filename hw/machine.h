/* struct machine: the virtual PC that both engines run, holding its memory
 * map, port space, clock, CPU state, and the requests devices make of it. */
#ifndef VX86_HW_MACHINE_H
#define VX86_HW_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "hw/e820.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"
#include "softmmu/physmem.h"

struct engine_ops;
struct pc_board;

/* The CPU's own interrupt unit as the engines see it (on a PC, the local
 * APIC): maskable interrupts and NMIs waiting for the CPU, and the two
 * pieces of APIC state that live in CPU registers (CR8 and IA32_APIC_BASE),
 * which an engine that executes them itself must hand over. Any member may
 * be NULL. */
struct cpu_intc {
    bool (*intr_pending)(void *opaque);   /* deliverable, ignoring RFLAGS.IF */
    int (*intr_ack)(void *opaque);        /* INTA: the vector */
    bool (*nmi_pending)(void *opaque);
    void (*nmi_ack)(void *opaque);
    uint8_t (*get_cr8)(void *opaque);
    void (*set_cr8)(void *opaque, uint8_t cr8);
    uint64_t (*get_apic_base)(void *opaque);
    void (*set_apic_base)(void *opaque, uint64_t value);
    void *opaque;
};

#define MACHINE_MAX_RESET_HOOKS 64

struct machine {
    struct physmem mem;
    struct iomap io;          /* port I/O space, 0..0xffff */
    struct vclock clock;
    /* Held by whoever touches device state: the vCPU thread while it handles
     * an exit, the main loop while it runs timers and input. */
    pthread_mutex_t lock;
    /* Signalled (under lock) when an interrupt may have become pending or a
     * request was made, to wake a vCPU sleeping in HLT. */
    pthread_cond_t cpu_wakeup;

    struct x86_cpu cpu;
    uint8_t *ram;             /* one host allocation for all guest RAM */
    uint64_t ram_size;
    uint64_t ram_below_4g;    /* RAM mapped at 0 */
    uint64_t ram_above_4g;    /* RAM mapped at 4 GiB */
    struct e820_map e820;
    bool a20_enabled;

    struct cpu_intc intc;     /* supplied by the board: the local APIC */

    const struct engine_ops *engine;
    void *engine_state;

    atomic_int reset_requested;
    atomic_int shutdown_requested;
    atomic_int exit_status;

    struct {
        void (*fn)(void *opaque);
        void *opaque;
    } reset_hooks[MACHINE_MAX_RESET_HOOKS];
    unsigned reset_hook_count;

    struct pc_board *board;   /* devices and their wiring, owned by hw/pc.c */
};

/* Initialises memory map, port space, clock, lock and CPU state, with no
 * devices and no RAM. Device tests use it with manual_clock = true. */
void machine_init_core(struct machine *m, bool manual_clock);
void machine_destroy_core(struct machine *m);
/* Devices register what must happen on a system reset, in registration order. */
void machine_register_reset(struct machine *m, void (*fn)(void *opaque), void *opaque);
/* Runs every reset hook and puts the CPU in its power-on state. */
void machine_reset(struct machine *m);

/* Called by devices; safe from any thread. */
void machine_request_reset(struct machine *m);
void machine_request_shutdown(struct machine *m, int exit_status);
/* An interrupt may be deliverable now: wake or kick the vCPU. */
void machine_cpu_interrupt_changed(struct machine *m);
void machine_set_a20(struct machine *m, bool enabled);

static inline bool machine_intr_pending(struct machine *m)
{
    return m->intc.intr_pending && m->intc.intr_pending(m->intc.opaque);
}

static inline int machine_intr_ack(struct machine *m)
{
    return m->intc.intr_ack ? m->intc.intr_ack(m->intc.opaque) : -1;
}

static inline bool machine_nmi_pending(struct machine *m)
{
    return m->intc.nmi_pending && m->intc.nmi_pending(m->intc.opaque);
}

static inline void machine_nmi_ack(struct machine *m)
{
    if (m->intc.nmi_ack)
        m->intc.nmi_ack(m->intc.opaque);
}

/* Port I/O as the engines issue it (with the machine lock held). */
static inline void machine_port_io(struct machine *m, uint16_t port, uint8_t *data,
                                   unsigned len, bool is_write)
{
    iomap_access(&m->io, port, data, len, is_write);
}

#endif
