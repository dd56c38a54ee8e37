/* Runs a built machine: the vCPU thread drives the engine, the main thread
 * runs timers and console input, until the machine shuts down. */
#ifndef VX86_TOOLS_RUNLOOP_H
#define VX86_TOOLS_RUNLOOP_H

#include <stdbool.h>

struct machine;
struct chardev;
struct engine_ops;

struct runloop_config {
    const struct engine_ops *engine;
    struct chardev *console;  /* input source when it reads stdin, else NULL */
    bool no_reboot;
};

/* Returns the process exit status. */
int runloop_run(struct machine *m, const struct runloop_config *cfg);

#endif
