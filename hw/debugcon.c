/* Debug console port: write-through to a chardev, fixed readback value. */
#include "hw/debugcon.h"

#include <stdlib.h>

#include "hw/chardev.h"
#include "hw/machine.h"

/* QEMU answers reads with this value; SeaBIOS and test ROMs probe for it. */
#define DEBUGCON_READBACK 0xe9

struct debugcon {
    struct chardev *chr;
};

static void debugcon_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                        bool is_write)
{
    struct debugcon *d = opaque;
    (void)offset;
    if (!is_write) {
        for (unsigned i = 0; i < len; i++)
            data[i] = DEBUGCON_READBACK;
        return;
    }
    if (d->chr)
        chardev_write(d->chr, data, len);
}

struct debugcon *debugcon_create(struct machine *m, uint16_t port, struct chardev *chr)
{
    struct debugcon *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->chr = chr;
    if (iomap_add(&m->io, port, 1, debugcon_io, d, "debugcon") < 0) {
        free(d);
        return NULL;
    }
    return d;
}

void debugcon_destroy(struct debugcon *d)
{
    free(d);
}
