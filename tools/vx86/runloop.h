/* Runs a built machine: the vCPU thread drives the engine, the main thread
 * runs timers, console input and the display, until the machine shuts down. */
#ifndef VX86_TOOLS_RUNLOOP_H
#define VX86_TOOLS_RUNLOOP_H

#include <stdbool.h>

struct machine;
struct chardev;
struct engine_ops;

/* How often the display hook runs: about 60 frames a second. */
#define RUNLOOP_DISPLAY_PERIOD_MS 16

struct runloop_display {
    /* Called on the main thread every RUNLOOP_DISPLAY_PERIOD_MS, without
     * the machine lock: handle window events, show a frame. */
    void (*refresh)(void *opaque);
    void *opaque;
};

struct runloop_config {
    const struct engine_ops *engine;
    struct chardev *console;  /* input source when it reads stdin, else NULL */
    bool no_reboot;
    const struct runloop_display *display; /* NULL without a display */
};

/* Returns the process exit status. */
int runloop_run(struct machine *m, const struct runloop_config *cfg);

#endif
