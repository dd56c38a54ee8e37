/* System Control Port A. Bit 1 drives the A20 gate; a 0-to-1 transition of
 * bit 0 resets the CPU. Triggering on the transition, as chipsets do, keeps a
 * read-modify-write of the A20 bit from rebooting if bit 0 reads back as 1. */
#include "hw/port92.h"

#include <stdlib.h>

#include "hw/machine.h"

#define PORT92_PORT 0x92
#define PORT92_RESET 0x01
#define PORT92_A20 0x02

struct port92 {
    struct machine *m;
    uint8_t value;
};

static void port92_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                      bool is_write)
{
    struct port92 *p = opaque;
    (void)offset;
    if (!is_write) {
        /* The 8042 can move the gate too; report the gate as it really is. */
        uint8_t v = (uint8_t)(p->value & ~PORT92_A20);
        if (p->m->a20_enabled)
            v |= PORT92_A20;
        io_data_put(data, len, v);
        return;
    }
    uint8_t old = p->value, v = data[0];
    p->value = v;
    machine_set_a20(p->m, v & PORT92_A20);
    if ((v & PORT92_RESET) && !(old & PORT92_RESET))
        machine_request_reset(p->m);
}

static void port92_reset(void *opaque)
{
    struct port92 *p = opaque;
    p->value = 0;
}

struct port92 *port92_create(struct machine *m)
{
    struct port92 *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->m = m;
    if (iomap_add(&m->io, PORT92_PORT, 1, port92_io, p, "port92") < 0) {
        free(p);
        return NULL;
    }
    machine_register_reset(m, port92_reset, p);
    return p;
}

void port92_destroy(struct port92 *p)
{
    free(p);
}
