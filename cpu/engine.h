/* The contract every CPU engine (bt, kvm) implements: create for a machine,
 * run until the machine needs its main loop, be kicked from another thread,
 * and hand its CPU state to and from struct x86_cpu. */
#ifndef VX86_CPU_ENGINE_H
#define VX86_CPU_ENGINE_H

#include <stddef.h>

struct machine;
struct x86_cpu;

enum engine_exit {
    ENGINE_EXIT_KICKED,    /* stop requested: the caller checks machine requests */
    ENGINE_EXIT_RESET,     /* guest asked for a reset (e.g. triple fault) */
    ENGINE_EXIT_SHUTDOWN,  /* guest or device ended the machine */
    ENGINE_EXIT_ERROR,     /* the engine cannot go on; the message was logged */
};

struct engine_ops {
    const char *name;
    /* 0 when the engine can run on this host; otherwise fills why. */
    int (*probe)(char *why, size_t why_len);
    int (*create)(struct machine *m, void **state);
    /* Runs the vCPU on the calling thread until an exit listed above. */
    enum engine_exit (*run)(void *state);
    /* Thread-safe: makes run() return ENGINE_EXIT_KICKED soon, or makes a
     * halted vCPU look for interrupts again. */
    void (*kick)(void *state);
    int (*get_cpu)(void *state, struct x86_cpu *out);
    int (*put_cpu)(void *state, const struct x86_cpu *in);
    void (*destroy)(void *state);
};

extern const struct engine_ops kvm_engine_ops;
extern const struct engine_ops bt_engine_ops;

#endif
