/* POST code port: a one-byte latch. Linux writes here as an I/O delay, so a
 * write must stay a single store. */
#include "hw/postcode.h"

#include <stdlib.h>

#include "hw/machine.h"

#define POSTCODE_PORT 0x80

struct postcode {
    uint8_t value;
};

static void postcode_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                        bool is_write)
{
    struct postcode *p = opaque;
    (void)offset;
    if (is_write)
        p->value = data[0];
    else
        io_data_put(data, len, p->value);
}

static void postcode_reset(void *opaque)
{
    struct postcode *p = opaque;
    p->value = 0;
}

struct postcode *postcode_create(struct machine *m)
{
    struct postcode *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (iomap_add(&m->io, POSTCODE_PORT, 1, postcode_io, p, "postcode") < 0) {
        free(p);
        return NULL;
    }
    machine_register_reset(m, postcode_reset, p);
    return p;
}

void postcode_destroy(struct postcode *p)
{
    free(p);
}

uint8_t postcode_last(struct postcode *p)
{
    return p->value;
}
