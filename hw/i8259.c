/* 8259A master/slave pair (Intel 8259A datasheet) and the PIIX3 ELCR: ICWs,
 * OCWs, rotation, cascade, poll, special mask and fully nested modes, AEOI. */
#include "hw/i8259.h"

#include <stdlib.h>

#include "hw/machine.h"

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xa0
#define PIC_ELCR_PORT 0x4d0
#define PIC_CASCADE_IR 2

/* PIIX3: IRQ0, 1, 2 (master) and IRQ8, 13 (slave) are always edge-triggered. */
#define ELCR_MASTER_WRITABLE 0xf8
#define ELCR_SLAVE_WRITABLE 0xde

struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t pins;        /* current level of each IR input */
    uint8_t elcr;
    uint8_t vector_base; /* ICW2 T7-T3 */
    uint8_t icw3;
    uint8_t lowest;      /* lowest-priority level; lowest+1 is served first */
    uint8_t init_step;   /* 0 when operational, else the ICW expected next */
    bool single, need_icw4, ltim;
    bool auto_eoi, rotate_on_aeoi, sfnm;
    bool read_isr, poll, special_mask;
    bool int_out;
};

struct pic {
    struct machine *m;
    struct pic_chip chip[2]; /* [0] master, [1] slave */
    struct irq_line intr_out;
    bool intr_level;
};

static uint8_t chip_level_mask(const struct pic_chip *c)
{
    /* ICW1 LTIM puts the whole chip in level mode, ELCR does it per input. */
    return c->ltim ? 0xff : c->elcr;
}

static unsigned chip_rank(const struct pic_chip *c, int irq)
{
    return (unsigned)(irq - c->lowest - 1) & 7; /* 0 = highest priority */
}

/* Highest-priority level among bits, or -1. */
static int chip_highest(const struct pic_chip *c, uint8_t bits)
{
    for (int i = 1; i <= 8; i++) {
        int irq = (c->lowest + i) & 7;
        if (bits & (1u << irq))
            return irq;
    }
    return -1;
}

/* The level the chip would present on an INTA now, or -1 when its INT output
 * is inactive. */
static int chip_pending_irq(const struct pic_chip *c, bool is_master)
{
    int irq = chip_highest(c, c->irr & ~c->imr);
    if (irq < 0)
        return -1;
    uint8_t blocking = c->isr;
    if (c->special_mask)
        blocking &= ~c->imr; /* masked in-service levels stop blocking */
    int cur = chip_highest(c, blocking);
    if (cur < 0 || chip_rank(c, irq) < chip_rank(c, cur))
        return irq;
    /* Special fully nested mode: a slave in service may still interrupt
     * through the master with a higher-priority request of its own. */
    if (is_master && c->sfnm && irq == cur && !c->single && (c->icw3 & (1u << irq)))
        return irq;
    return -1;
}

static void chip_set_pin(struct pic_chip *c, int irq, bool level)
{
    uint8_t bit = (uint8_t)(1u << irq);
    bool was = c->pins & bit;
    if (level)
        c->pins |= bit;
    else
        c->pins &= (uint8_t)~bit;
    if (chip_level_mask(c) & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    } else if (level && !was) {
        /* Edge mode keeps the request latched after the line drops again, so
         * a device that pulses its line is not lost. */
        c->irr |= bit;
    }
}

/* The chip's side of an acknowledge (INTA or poll) of level irq. */
static void chip_ack(struct pic_chip *c, int irq)
{
    uint8_t bit = (uint8_t)(1u << irq);
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->lowest = (uint8_t)irq;
    } else {
        c->isr |= bit;
    }
    if (!(chip_level_mask(c) & bit))
        c->irr &= (uint8_t)~bit;
}

static void pic_update(struct pic *p)
{
    struct pic_chip *master = &p->chip[0], *slave = &p->chip[1];
    bool slave_int = chip_pending_irq(slave, false) >= 0;
    /* The cascade input follows the slave's INT as a level: an edge-only
     * view loses the slave for good when its INT is already high while the
     * master is reinitialised (ICW1 clears the edge latches) and no slave
     * acknowledge ever drops it again. */
    slave->int_out = slave_int;
    uint8_t cas = (uint8_t)(1u << PIC_CASCADE_IR);
    if (slave_int) {
        master->pins |= cas;
        master->irr |= cas;
    } else {
        master->pins &= (uint8_t)~cas;
        master->irr &= (uint8_t)~cas;
    }
    master->int_out = chip_pending_irq(master, true) >= 0;
    if (master->int_out != p->intr_level) {
        p->intr_level = master->int_out;
        irq_set(&p->intr_out, p->intr_level);
    }
}

/* The slave drops INT during its INTA; if it still has a request that is not
 * blocked, the rising edge that follows reaches the edge-triggered master. */
static void pic_slave_acked(struct pic *p)
{
    p->chip[1].int_out = false;
    chip_set_pin(&p->chip[0], PIC_CASCADE_IR, false);
}

static bool pic_cascade_on(const struct pic_chip *master, int irq)
{
    return irq == PIC_CASCADE_IR && !master->single && (master->icw3 & (1u << irq));
}

int pic_intr_ack(struct pic *p)
{
    struct pic_chip *master = &p->chip[0], *slave = &p->chip[1];
    int vector;
    int irq = chip_pending_irq(master, true);
    if (irq < 0) {
        vector = master->vector_base | 7;
    } else {
        chip_ack(master, irq);
        if (pic_cascade_on(master, irq)) {
            int sirq = chip_pending_irq(slave, false);
            if (sirq < 0) {
                vector = slave->vector_base | 7;
            } else {
                chip_ack(slave, sirq);
                vector = slave->vector_base | sirq;
            }
            pic_slave_acked(p);
        } else {
            vector = master->vector_base | irq;
        }
    }
    pic_update(p);
    return vector;
}

bool pic_intr_pending(struct pic *p)
{
    return p->intr_level;
}

void pic_set_irq(void *opaque, int irq, int level)
{
    struct pic *p = opaque;
    if (irq < 0 || irq > 15 || irq == PIC_CASCADE_IR)
        return;
    chip_set_pin(&p->chip[irq >> 3], irq & 7, level != 0);
    pic_update(p);
}

struct irq_line pic_irq_line(struct pic *p, int irq)
{
    return irq_line_make(pic_set_irq, p, irq);
}

/* Poll mode: the read is the acknowledge; bit 7 says whether there was a
 * request and bits 2-0 give its level. */
static uint8_t pic_poll_read(struct pic *p, int which)
{
    struct pic_chip *c = &p->chip[which];
    int irq = chip_pending_irq(c, which == 0);
    c->poll = false;
    if (irq < 0)
        return 0;
    chip_ack(c, irq);
    if (which == 1) {
        /* The master's cascade request was for this slave request. */
        pic_slave_acked(p);
        p->chip[0].irr &= (uint8_t)~(1u << PIC_CASCADE_IR);
    }
    pic_update(p);
    return (uint8_t)(0x80 | irq);
}

static void chip_write_icw1(struct pic_chip *c, uint8_t v)
{
    c->ltim = v & 0x08;
    c->single = v & 0x02;
    c->need_icw4 = v & 0x01;
    c->imr = 0;
    c->isr = 0;
    c->lowest = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_on_aeoi = false;
    if (!c->need_icw4) {
        c->auto_eoi = false;
        c->sfnm = false;
    }
    /* The edge sense latches are reset: an input already high must go low
     * and high again to request. Level inputs simply follow their pins. */
    c->irr = c->pins & chip_level_mask(c);
    c->init_step = 2;
}

static void chip_write_ocw2(struct pic_chip *c, uint8_t v)
{
    int level = v & 7;
    switch (v >> 5) {
    case 1: /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        int irq = chip_highest(c, c->isr);
        if (irq >= 0) {
            c->isr &= (uint8_t)~(1u << irq);
            if (v >> 5 == 5)
                c->lowest = (uint8_t)irq;
        }
        break;
    }
    case 3: /* specific EOI */
        c->isr &= (uint8_t)~(1u << level);
        break;
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << level);
        c->lowest = (uint8_t)level;
        break;
    case 6: /* set priority */
        c->lowest = (uint8_t)level;
        break;
    case 4:
        c->rotate_on_aeoi = true;
        break;
    case 0:
        c->rotate_on_aeoi = false;
        break;
    default: /* 2: no operation */
        break;
    }
}

static void chip_write_ocw3(struct pic_chip *c, uint8_t v)
{
    if (v & 0x40)
        c->special_mask = v & 0x20;
    if (v & 0x04)
        c->poll = true;
    if (v & 0x02)
        c->read_isr = v & 0x01;
}

static void chip_write_data(struct pic_chip *c, uint8_t v)
{
    switch (c->init_step) {
    case 2:
        c->vector_base = v & 0xf8;
        c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
        break;
    case 3:
        c->icw3 = v;
        c->init_step = c->need_icw4 ? 4 : 0;
        break;
    case 4:
        /* Bit 0 (8086 mode) is assumed; bits 2-3 (buffering) do not matter
         * without a bus to buffer. */
        c->auto_eoi = v & 0x02;
        c->sfnm = v & 0x10;
        c->init_step = 0;
        break;
    default:
        c->imr = v;
        break;
    }
}

static uint8_t pic_read(struct pic *p, int which, unsigned reg)
{
    struct pic_chip *c = &p->chip[which];
    if (c->poll)
        return pic_poll_read(p, which);
    if (reg == 1)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void pic_write(struct pic *p, int which, unsigned reg, uint8_t v)
{
    struct pic_chip *c = &p->chip[which];
    if (reg == 1)
        chip_write_data(c, v);
    else if (v & 0x10)
        chip_write_icw1(c, v);
    else if (v & 0x08)
        chip_write_ocw3(c, v);
    else
        chip_write_ocw2(c, v);
    pic_update(p);
}

static void pic_io(struct pic *p, int which, uint64_t offset, uint8_t *data, unsigned len,
                   bool is_write)
{
    for (unsigned i = 0; i < len; i++) {
        unsigned reg = (unsigned)offset + i;
        if (reg > 1) {
            if (!is_write)
                data[i] = 0xff;
        } else if (is_write) {
            pic_write(p, which, reg, data[i]);
        } else {
            data[i] = pic_read(p, which, reg);
        }
    }
}

static void pic_master_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                          bool is_write)
{
    pic_io(opaque, 0, offset, data, len, is_write);
}

static void pic_slave_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                         bool is_write)
{
    pic_io(opaque, 1, offset, data, len, is_write);
}

static void pic_elcr_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                        bool is_write)
{
    struct pic *p = opaque;
    for (unsigned i = 0; i < len; i++) {
        unsigned which = (unsigned)offset + i;
        if (which > 1) {
            if (!is_write)
                data[i] = 0xff;
            continue;
        }
        struct pic_chip *c = &p->chip[which];
        if (!is_write) {
            data[i] = c->elcr;
            continue;
        }
        c->elcr = data[i] & (which ? ELCR_SLAVE_WRITABLE : ELCR_MASTER_WRITABLE);
        /* Inputs that became level-triggered now follow their pins. */
        uint8_t level = chip_level_mask(c);
        c->irr = (uint8_t)((c->irr & ~level) | (c->pins & level));
    }
    if (is_write)
        pic_update(p);
}

static void pic_reset(void *opaque)
{
    struct pic *p = opaque;
    for (int i = 0; i < 2; i++) {
        struct pic_chip *c = &p->chip[i];
        uint8_t pins = c->pins;
        *c = (struct pic_chip){ 0 };
        /* Pin levels belong to the devices driving them, not to this chip. */
        c->pins = pins;
        c->lowest = 7;
        /* Undefined until ICW3; PC wiring makes these the only sane values. */
        c->icw3 = i ? PIC_CASCADE_IR : (1u << PIC_CASCADE_IR);
    }
    /* The slave's INT restarts low, and so does the master input it drives. */
    p->chip[0].pins &= (uint8_t)~(1u << PIC_CASCADE_IR);
    pic_update(p);
}

void pic_set_intr_out(struct pic *p, struct irq_line intr_out)
{
    p->intr_out = intr_out;
    irq_set(&p->intr_out, p->intr_level);
}

struct pic *pic_create(struct machine *m, struct irq_line intr_out)
{
    struct pic *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->m = m;
    p->intr_out = intr_out;
    if (iomap_add(&m->io, PIC_MASTER_PORT, 2, pic_master_io, p, "pic-master") < 0)
        goto fail;
    if (iomap_add(&m->io, PIC_SLAVE_PORT, 2, pic_slave_io, p, "pic-slave") < 0)
        goto fail_master;
    if (iomap_add(&m->io, PIC_ELCR_PORT, 2, pic_elcr_io, p, "elcr") < 0)
        goto fail_slave;
    machine_register_reset(m, pic_reset, p);
    pic_reset(p);
    return p;

fail_slave:
    iomap_remove(&m->io, PIC_SLAVE_PORT);
fail_master:
    iomap_remove(&m->io, PIC_MASTER_PORT);
fail:
    free(p);
    return NULL;
}

void pic_destroy(struct pic *p)
{
    if (!p)
        return;
    iomap_remove(&p->m->io, PIC_MASTER_PORT);
    iomap_remove(&p->m->io, PIC_SLAVE_PORT);
    iomap_remove(&p->m->io, PIC_ELCR_PORT);
    free(p);
}
