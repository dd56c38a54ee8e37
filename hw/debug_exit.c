/* isa-debug-exit: turns a guest port write into the emulator's exit status. */
#include "hw/debug_exit.h"

#include <stdlib.h>

#include "hw/machine.h"

struct debug_exit {
    struct machine *m;
};

static void debug_exit_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                          bool is_write)
{
    struct debug_exit *d = opaque;
    (void)offset;
    if (!is_write) {
        io_data_put(data, len, 0);
        return;
    }
    /* Computed unsigned and wrapped to int, as QEMU's exit((v << 1) | 1)
     * does; the host only keeps the low 8 bits of a process status anyway. */
    uint32_t status = ((uint32_t)io_data_get(data, len) << 1) | 1;
    machine_request_shutdown(d->m, (int)status);
}

struct debug_exit *debug_exit_create(struct machine *m, uint16_t port, unsigned size)
{
    if (size == 0 || size > 8)
        return NULL;
    struct debug_exit *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->m = m;
    if (iomap_add(&m->io, port, size, debug_exit_io, d, "debug-exit") < 0) {
        free(d);
        return NULL;
    }
    return d;
}

void debug_exit_destroy(struct debug_exit *d)
{
    free(d);
}
