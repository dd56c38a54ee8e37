/* I/O APIC: indirect register window, redirection table, edge and level
 * pin handling with Remote IRR, EOI by broadcast or the EOI register. */
#include "hw/ioapic.h"

#include <stdlib.h>

#include "hw/machine.h"
#include "softmmu/iomap.h"

#define IOAPIC_MMIO_SIZE 0x1000

/* Writable bits of an entry: vector, delivery mode, destination mode,
 * polarity, trigger mode, mask, destination. Delivery status and Remote IRR
 * are read-only; bits 55:17 are reserved. */
#define RTE_WRITABLE 0xff0000000001afffull

#define DM_NMI    4
#define DM_INIT   5
#define DM_SMI    2
#define DM_EXTINT 7

struct ioapic {
    struct machine *m;
    ioapic_deliver_fn deliver;
    void *opaque;
    uint32_t regsel;
    uint8_t id;
    uint8_t arb_id;
    uint32_t pin_level; /* electrical level of each input */
    uint64_t rte[IOAPIC_NUM_PINS];
};

static unsigned rte_dm(uint64_t e)
{
    return (unsigned)(e >> IOAPIC_RTE_DM_SHIFT) & 7u;
}

/* SMI, NMI, INIT and ExtINT are edge-sensitive whatever the trigger bit
 * says (82093AA datasheet, delivery mode field). */
static bool rte_level(uint64_t e)
{
    unsigned dm = rte_dm(e);
    if (dm == DM_SMI || dm == DM_NMI || dm == DM_INIT || dm == DM_EXTINT)
        return false;
    return (e & IOAPIC_RTE_LEVEL) != 0;
}

static bool pin_asserted(const struct ioapic *io, int pin)
{
    bool high = (io->pin_level >> pin) & 1;
    return high != ((io->rte[pin] & IOAPIC_RTE_POLARITY_LOW) != 0);
}

static void send(struct ioapic *io, int pin)
{
    uint64_t e = io->rte[pin];
    if (rte_level(e))
        io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    if (io->deliver)
        io->deliver(io->opaque, (uint8_t)(e >> IOAPIC_RTE_DEST_SHIFT),
                    (e & IOAPIC_RTE_DEST_LOGICAL) != 0, (uint8_t)(e & IOAPIC_RTE_VECTOR),
                    rte_dm(e), rte_level(e));
}

/* Level pins: send if asserted, unmasked and not awaiting EOI. */
static void service_level(struct ioapic *io, int pin)
{
    uint64_t e = io->rte[pin];
    if (!rte_level(e) || (e & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)))
        return;
    if (pin_asserted(io, pin))
        send(io, pin);
}

void ioapic_set_irq(void *opaque, int pin, int level)
{
    struct ioapic *io = opaque;
    if (pin < 0 || pin >= IOAPIC_NUM_PINS)
        return;
    bool was = pin_asserted(io, pin);
    if (level)
        io->pin_level |= 1u << pin;
    else
        io->pin_level &= ~(1u << pin);
    bool now = pin_asserted(io, pin);
    uint64_t e = io->rte[pin];
    if (rte_level(e)) {
        service_level(io, pin);
    } else if (now && !was && !(e & IOAPIC_RTE_MASKED)) {
        /* An edge on a masked pin is lost, not held. */
        send(io, pin);
    }
}

static void ioapic_set_irq_inverted(void *opaque, int pin, int level)
{
    ioapic_set_irq(opaque, pin, !level);
}

struct irq_line ioapic_irq_line(struct ioapic *io, int pin)
{
    return irq_line_make(ioapic_set_irq, io, pin);
}

struct irq_line ioapic_irq_line_active_low(struct ioapic *io, int pin)
{
    if (pin >= 0 && pin < IOAPIC_NUM_PINS)
        io->pin_level |= 1u << pin;
    return irq_line_make(ioapic_set_irq_inverted, io, pin);
}

void ioapic_eoi(void *opaque, uint8_t vector)
{
    struct ioapic *io = opaque;
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t e = io->rte[pin];
        if ((e & IOAPIC_RTE_REMOTE_IRR) && (uint8_t)(e & IOAPIC_RTE_VECTOR) == vector) {
            io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            service_level(io, pin);
        }
    }
}

static void write_rte(struct ioapic *io, int pin, bool high, uint32_t val)
{
    uint64_t e = io->rte[pin];
    uint64_t v = high ? ((uint64_t)val << 32) | (e & 0xffffffffull)
                      : (e & 0xffffffff00000000ull) | val;
    e = (e & ~RTE_WRITABLE) | (v & RTE_WRITABLE);
    /* Remote IRR only means something for level entries; switching to edge
     * clears it (OSes use this to recover a stuck entry). */
    if (!(e & IOAPIC_RTE_LEVEL))
        e &= ~IOAPIC_RTE_REMOTE_IRR;
    io->rte[pin] = e;
    /* Unmasking (or reprogramming) an asserted level pin sends it now. */
    service_level(io, pin);
}

static uint32_t read_reg(struct ioapic *io)
{
    uint32_t r = io->regsel;
    if (r == IOAPIC_REG_ID)
        return (uint32_t)io->id << 24;
    if (r == IOAPIC_REG_VER)
        return IOAPIC_VERSION_VALUE;
    if (r == IOAPIC_REG_ARB)
        return (uint32_t)io->arb_id << 24;
    if (r >= IOAPIC_REG_REDTBL && r < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        uint64_t e = io->rte[(r - IOAPIC_REG_REDTBL) >> 1];
        return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;
}

static void write_reg(struct ioapic *io, uint32_t val)
{
    uint32_t r = io->regsel;
    if (r == IOAPIC_REG_ID) {
        io->id = (uint8_t)((val >> 24) & 0x0f);
        /* The arbitration ID follows the ID register when it is written. */
        io->arb_id = io->id;
    } else if (r >= IOAPIC_REG_REDTBL && r < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        write_rte(io, (int)((r - IOAPIC_REG_REDTBL) >> 1), (r & 1) != 0, val);
    }
}

/* IOREGSEL, IOWIN and EOI are 32-bit registers; narrower accesses see or
 * change the bytes they cover (a narrow IOWIN write merges into the
 * selected register). Everything else in the page reads 0. */
static void ioapic_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                        bool is_write)
{
    struct ioapic *io = opaque;
    uint64_t slot = offset & ~3ull;
    unsigned shift = 8 * (unsigned)(offset & 3);
    unsigned n = len;
    if ((offset & 3) + n > 4)
        n = 4 - (unsigned)(offset & 3);
    uint32_t mask = n >= 4 ? 0xffffffffu : ((1u << (8 * n)) - 1) << shift;
    uint32_t in = is_write ? (uint32_t)(io_data_get(data, n) << shift) : 0;

    switch (slot) {
    case IOAPIC_IOREGSEL:
        if (is_write)
            io->regsel = ((io->regsel & ~mask) | (in & mask)) & 0xff;
        else
            io_data_put(data, len, (uint64_t)io->regsel >> shift);
        break;
    case IOAPIC_IOWIN:
        if (is_write)
            write_reg(io, (read_reg(io) & ~mask) | (in & mask));
        else
            io_data_put(data, len, (uint64_t)read_reg(io) >> shift);
        break;
    case IOAPIC_EOI:
        if (is_write && shift == 0)
            ioapic_eoi(io, (uint8_t)in);
        else if (!is_write)
            io_data_put(data, len, 0);
        break;
    default:
        if (!is_write)
            io_data_put(data, len, 0);
        break;
    }
}

static void ioapic_reset(void *opaque)
{
    struct ioapic *io = opaque;
    io->regsel = 0;
    io->id = 0;
    io->arb_id = 0;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++)
        io->rte[i] = IOAPIC_RTE_MASKED;
}

struct ioapic *ioapic_create(struct machine *m, ioapic_deliver_fn deliver, void *opaque)
{
    struct ioapic *io = calloc(1, sizeof(*io));
    if (!io)
        return NULL;
    io->m = m;
    io->deliver = deliver;
    io->opaque = opaque;
    ioapic_reset(io);
    if (iomap_add(&m->mem.mmio, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, ioapic_mmio, io,
                  "ioapic") != 0) {
        free(io);
        return NULL;
    }
    machine_register_reset(m, ioapic_reset, io);
    return io;
}

void ioapic_destroy(struct ioapic *io)
{
    if (!io)
        return;
    iomap_remove(&io->m->mem.mmio, IOAPIC_DEFAULT_BASE);
    free(io);
}
