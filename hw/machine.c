/* Core of struct machine: initialisation, reset hooks, and the requests
 * devices make (reset, shutdown, interrupt pending) turned into engine kicks. */
#include "hw/machine.h"

#include <string.h>

#include "cpu/engine.h"

void machine_init_core(struct machine *m, bool manual_clock)
{
    memset(m, 0, sizeof(*m));
    physmem_init(&m->mem);
    iomap_init(&m->io);
    vclock_init(&m->clock, manual_clock);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cpu_wakeup, NULL);
    cpu_reset(&m->cpu);
    e820_init(&m->e820);
    m->a20_enabled = true;
}

void machine_destroy_core(struct machine *m)
{
    physmem_destroy(&m->mem);
    iomap_destroy(&m->io);
    pthread_cond_destroy(&m->cpu_wakeup);
    pthread_mutex_destroy(&m->lock);
}

void machine_register_reset(struct machine *m, void (*fn)(void *opaque), void *opaque)
{
    if (m->reset_hook_count < MACHINE_MAX_RESET_HOOKS) {
        m->reset_hooks[m->reset_hook_count].fn = fn;
        m->reset_hooks[m->reset_hook_count].opaque = opaque;
        m->reset_hook_count++;
    }
}

void machine_reset(struct machine *m)
{
    cpu_reset(&m->cpu);
    m->a20_enabled = true;
    for (unsigned i = 0; i < m->reset_hook_count; i++)
        m->reset_hooks[i].fn(m->reset_hooks[i].opaque);
}

static void machine_kick(struct machine *m)
{
    pthread_cond_broadcast(&m->cpu_wakeup);
    if (m->engine && m->engine_state)
        m->engine->kick(m->engine_state);
}

void machine_request_reset(struct machine *m)
{
    atomic_store(&m->reset_requested, 1);
    machine_kick(m);
}

void machine_request_shutdown(struct machine *m, int exit_status)
{
    if (!atomic_exchange(&m->shutdown_requested, 1))
        atomic_store(&m->exit_status, exit_status);
    machine_kick(m);
}

void machine_cpu_interrupt_changed(struct machine *m)
{
    machine_kick(m);
}

void machine_set_a20(struct machine *m, bool enabled)
{
    m->a20_enabled = enabled;
}
