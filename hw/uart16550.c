/* 16550A UART: registers, RX FIFO with trigger levels and character timeout,
 * interrupt identification, modem lines and loopback. Transmission has no
 * timing: a byte written to THR reaches the chardev at once. */
#include "hw/uart16550.h"

#include <stdbool.h>
#include <stdlib.h>

#include "hw/chardev.h"
#include "hw/machine.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"

#define UART_FIFO_SIZE 16
#define UART_XTAL_HZ 1843200ull

#define REG_DATA 0 /* RBR / THR, DLL with DLAB */
#define REG_IER  1 /* DLM with DLAB */
#define REG_IIR  2 /* FCR on write */
#define REG_LCR  3
#define REG_MCR  4
#define REG_LSR  5
#define REG_MSR  6
#define REG_SCR  7

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI  0x04
#define IER_EDSSI 0x08

#define IIR_NONE    0x01
#define IIR_MSI     0x00
#define IIR_THRE    0x02
#define IIR_RDA     0x04
#define IIR_RLS     0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE   0x01
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04
#define FCR_DMA_MODE 0x08
#define FCR_TRIGGER  0xc0

#define LCR_STOP2  0x04
#define LCR_PARITY 0x08
#define LCR_DLAB   0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_DELTAS 0x0f

/* Outside loopback the port looks attached to a ready terminal. */
#define MSR_LINES_ATTACHED (MSR_CTS | MSR_DSR | MSR_DCD)

struct uart {
    struct machine *m;
    struct irq_line irq;
    struct chardev *chr;
    uint16_t base;

    uint16_t divisor;
    uint8_t ier, lcr, mcr, fcr, msr, scr;
    uint8_t lsr_errors;  /* OE/PE/FE/BI until LSR is read */
    uint8_t rbr;         /* last byte taken from the receiver */
    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;

    bool thre_pending;   /* THR emptied and IIR has not reported it yet */
    bool timeout_pending;
    bool irq_level;
    uint64_t rx_activity_ns; /* last byte in or out of the RX FIFO */
    struct vtimer timeout_timer;
};

static bool fifo_on(const struct uart *u)
{
    return u->fcr & FCR_ENABLE;
}

/* In 16450 mode RBR is a FIFO of one. */
static unsigned rx_capacity(const struct uart *u)
{
    return fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart *u)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };
    return fifo_on(u) ? levels[u->fcr >> 6] : 1;
}

/* Four character frames at the programmed rate, rounded up. A divisor of
 * zero counts as 65536, as the 16-bit counter wraps. */
static uint64_t char_timeout_ns(const struct uart *u)
{
    unsigned data_bits = 5 + (u->lcr & 3);
    unsigned half_bits = 2 * (1 + data_bits + (u->lcr & LCR_PARITY ? 1 : 0));
    if (u->lcr & LCR_STOP2)
        half_bits += data_bits == 5 ? 3 : 4;
    else
        half_bits += 2;
    uint64_t div = u->divisor ? u->divisor : 65536;
    /* 4 frames * (half_bits / 2) bits * 16 clocks per bit * div / clock */
    uint64_t num = (uint64_t)half_bits * 32 * div * NS_PER_SEC;
    return (num + UART_XTAL_HZ - 1) / UART_XTAL_HZ;
}

static uint8_t uart_pending_id(const struct uart *u)
{
    if (u->ier & IER_ELSI && u->lsr_errors)
        return IIR_RLS;
    if (u->ier & IER_ERBFI && u->rx_count) {
        if (u->rx_count >= rx_trigger(u))
            return IIR_RDA;
        if (u->timeout_pending)
            return IIR_TIMEOUT;
    }
    if (u->ier & IER_ETBEI && u->thre_pending)
        return IIR_THRE;
    if (u->ier & IER_EDSSI && u->msr & MSR_DELTAS)
        return IIR_MSI;
    return IIR_NONE;
}

/* On a PC, OUT2 enables the buffer that drives the IRQ line; in loopback
 * the OUT pins are forced inactive, so the line is not driven either. */
static void uart_update_irq(struct uart *u)
{
    bool level = uart_pending_id(u) != IIR_NONE &&
                 (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

/* The timeout counts from the last byte in or out of the RX FIFO; it only
 * needs a timer while it could raise an interrupt. */
static void uart_rearm_timeout(struct uart *u)
{
    if (!fifo_on(u) || !u->rx_count || !(u->ier & IER_ERBFI) || u->timeout_pending) {
        vtimer_cancel(&u->timeout_timer);
        return;
    }
    uint64_t deadline = u->rx_activity_ns + char_timeout_ns(u);
    if (deadline <= vclock_now(&u->m->clock)) {
        vtimer_cancel(&u->timeout_timer);
        u->timeout_pending = true;
    } else {
        vtimer_arm(&u->timeout_timer, deadline);
    }
}

static void uart_timeout_fired(void *opaque)
{
    struct uart *u = opaque;
    if (fifo_on(u) && u->rx_count)
        u->timeout_pending = true;
    uart_update_irq(u);
}

static void uart_rx_clear(struct uart *u)
{
    u->rx_head = u->rx_count = 0;
    u->timeout_pending = false;
}

/* A byte from the serial input (or the transmitter in loopback). Full: in
 * FIFO mode the new byte is lost, in 16450 mode it overwrites RBR. */
static void uart_rx_push(struct uart *u, uint8_t byte)
{
    if (u->rx_count == rx_capacity(u)) {
        u->lsr_errors |= LSR_OE;
        if (!fifo_on(u))
            u->rx[u->rx_head] = byte;
    } else {
        u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
        u->rx_count++;
    }
    u->rx_activity_ns = vclock_now(&u->m->clock);
    u->timeout_pending = false;
    uart_rearm_timeout(u);
    uart_update_irq(u);
}

static uint8_t uart_rx_pop(struct uart *u)
{
    if (u->rx_count) {
        u->rbr = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
        u->rx_count--;
        u->rx_activity_ns = vclock_now(&u->m->clock);
    }
    u->timeout_pending = false;
    uart_rearm_timeout(u);
    uart_update_irq(u);
    return u->rbr;
}

static void uart_push_input(struct uart *u)
{
    if (u->chr)
        chardev_push_pending(u->chr);
}

static uint8_t modem_lines(const struct uart *u)
{
    if (!(u->mcr & MCR_LOOP))
        return MSR_LINES_ATTACHED;
    uint8_t l = 0;
    if (u->mcr & MCR_RTS)
        l |= MSR_CTS;
    if (u->mcr & MCR_DTR)
        l |= MSR_DSR;
    if (u->mcr & MCR_OUT1)
        l |= MSR_RI;
    if (u->mcr & MCR_OUT2)
        l |= MSR_DCD;
    return l;
}

static void uart_update_msr(struct uart *u)
{
    uint8_t old = u->msr & ~MSR_DELTAS, now = modem_lines(u), changed = old ^ now;
    uint8_t delta = 0;
    if (changed & MSR_CTS)
        delta |= MSR_DCTS;
    if (changed & MSR_DSR)
        delta |= MSR_DDSR;
    if (changed & MSR_DCD)
        delta |= MSR_DDCD;
    if (old & MSR_RI && !(now & MSR_RI))
        delta |= MSR_TERI;
    u->msr = now | (u->msr & MSR_DELTAS) | delta;
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        uart_rx_push(u, byte);
    else if (u->chr)
        chardev_write(u->chr, &byte, 1);
    /* Drained at once: THR is empty again, which is itself an event. */
    u->thre_pending = true;
    uart_update_irq(u);
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
    if ((v ^ u->fcr) & FCR_ENABLE)
        uart_rx_clear(u); /* switching mode empties both FIFOs */
    if (v & FCR_ENABLE) {
        if (v & FCR_RX_RESET)
            uart_rx_clear(u);
        /* the TX FIFO is always empty, so FCR_TX_RESET has nothing to do */
        u->fcr = v & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER);
    } else {
        u->fcr = 0; /* the other bits are only taken with FCR0 set */
    }
    uart_rearm_timeout(u);
    uart_update_irq(u);
    uart_push_input(u);
}

/* A new frame length moves a pending character-timeout deadline. */
static void uart_timing_changed(struct uart *u)
{
    uart_rearm_timeout(u);
    uart_update_irq(u);
}

static void uart_write(struct uart *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case REG_DATA:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0xff00) | v);
            uart_timing_changed(u);
        } else {
            uart_transmit(u, v);
        }
        break;
    case REG_IER:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0x00ff) | v << 8);
            uart_timing_changed(u);
        } else {
            v &= 0x0f;
            /* Enabling ETBEI while THR is empty interrupts at once. */
            if (v & IER_ETBEI && !(u->ier & IER_ETBEI))
                u->thre_pending = true;
            u->ier = v;
            uart_rearm_timeout(u);
            uart_update_irq(u);
        }
        break;
    case REG_IIR:
        uart_write_fcr(u, v);
        break;
    case REG_LCR:
        u->lcr = v;
        uart_timing_changed(u);
        break;
    case REG_MCR: {
        bool was_loop = u->mcr & MCR_LOOP;
        u->mcr = v & 0x1f;
        uart_update_msr(u);
        uart_update_irq(u);
        if (was_loop && !(u->mcr & MCR_LOOP))
            uart_push_input(u);
        break;
    }
    case REG_SCR:
        u->scr = v;
        break;
    default:
        break; /* LSR and MSR writes are factory test on real parts */
    }
}

static uint8_t uart_read(struct uart *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case REG_DATA: {
        if (dlab)
            return (uint8_t)u->divisor;
        uint8_t v = uart_rx_pop(u);
        uart_push_input(u); /* room again: let queued input flow */
        return v;
    }
    case REG_IER:
        return dlab ? (uint8_t)(u->divisor >> 8) : u->ier;
    case REG_IIR: {
        uint8_t id = uart_pending_id(u);
        if (id == IIR_THRE) {
            u->thre_pending = false;
            uart_update_irq(u);
        }
        return (uint8_t)(id | (fifo_on(u) ? IIR_FIFO_ON : 0));
    }
    case REG_LCR:
        return u->lcr;
    case REG_MCR:
        return u->mcr;
    case REG_LSR: {
        uint8_t v = (uint8_t)(u->lsr_errors | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0));
        u->lsr_errors = 0;
        uart_update_irq(u);
        return v;
    }
    case REG_MSR: {
        uint8_t v = u->msr;
        u->msr &= ~MSR_DELTAS;
        uart_update_irq(u);
        return v;
    }
    default:
        return u->scr;
    }
}

static void uart_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct uart *u = opaque;
    for (unsigned k = 0; k < len; k++) {
        unsigned reg = (unsigned)(offset + k) & 7;
        if (is_write)
            uart_write(u, reg, data[k]);
        else
            data[k] = uart_read(u, reg);
    }
}

static bool uart_can_receive(void *opaque)
{
    struct uart *u = opaque;
    return !(u->mcr & MCR_LOOP) && u->rx_count < rx_capacity(u);
}

static void uart_receive(void *opaque, uint8_t byte)
{
    struct uart *u = opaque;
    if (!(u->mcr & MCR_LOOP)) /* in loopback SIN is disconnected */
        uart_rx_push(u, byte);
}

/* Master reset: the divisor latch and scratch register are left alone. */
static void uart_reset(void *opaque)
{
    struct uart *u = opaque;
    u->ier = u->lcr = u->mcr = u->fcr = 0;
    u->lsr_errors = 0;
    uart_rx_clear(u);
    u->thre_pending = false;
    u->msr = modem_lines(u);
    vtimer_cancel(&u->timeout_timer);
    uart_update_irq(u);
    uart_push_input(u);
}

struct uart *uart_create(struct machine *m, uint16_t base, struct irq_line irq,
                         struct chardev *chr)
{
    struct uart *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->m = m;
    u->irq = irq;
    u->chr = chr;
    u->base = base;
    u->divisor = 12; /* 9600 baud until the guest programs it */
    vtimer_init(&u->timeout_timer, &m->clock, uart_timeout_fired, u);
    u->msr = modem_lines(u);
    if (iomap_add(&m->io, base, 8, uart_io, u, "uart16550") < 0) {
        free(u);
        return NULL;
    }
    if (chr)
        chardev_set_frontend(chr, uart_can_receive, uart_receive, u);
    machine_register_reset(m, uart_reset, u);
    return u;
}

void uart_destroy(struct uart *u)
{
    if (!u)
        return;
    vtimer_cancel(&u->timeout_timer);
    if (u->chr)
        chardev_set_frontend(u->chr, NULL, NULL, NULL);
    iomap_remove(&u->m->io, u->base);
    free(u);
}
