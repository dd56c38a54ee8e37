/* Unit tests for the 16550A UART: output, divisor latch, LSR/IIR/MSR,
 * interrupt priorities and OUT2 gating, FIFO trigger levels, character
 * timeout on the virtual clock, loopback, overrun and input flow control. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/chardev.h"
#include "hw/irq.h"
#include "hw/machine.h"
#include "hw/uart16550.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"
#include "test_util.h"

#define COM1 0x3f8

#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct machine m;
static struct chardev chr;
static struct uart *uart;
static int irq_level, irq_edges;

static void irq_cb(void *opaque, int pin, int level)
{
    (void)opaque;
    ck_assert_int_eq(pin, 4);
    if (level && !irq_level)
        irq_edges++;
    irq_level = level;
}

static void setup(void)
{
    machine_init_core(&m, true);
    chardev_init_capture(&chr);
    irq_level = irq_edges = 0;
    uart = uart_create(&m, COM1, irq_line_make(irq_cb, NULL, 4), &chr);
    ck_assert_ptr_nonnull(uart);
}

static void teardown(void)
{
    uart_destroy(uart);
    chardev_close(&chr);
    machine_destroy_core(&m);
}

static void outb(unsigned reg, uint8_t v)
{
    iomap_access(&m.io, COM1 + reg, &v, 1, true);
}

static uint8_t inb(unsigned reg)
{
    uint8_t v = 0;
    iomap_access(&m.io, COM1 + reg, &v, 1, false);
    return v;
}

static void feed(const char *s)
{
    chardev_feed(&chr, (const uint8_t *)s, strlen(s));
}

START_TEST(power_on_state_and_output)
{
    ck_assert_uint_eq(inb(IER), 0x00);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(LCR), 0x00);
    ck_assert_uint_eq(inb(MCR), 0x00);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(MSR), 0xb0);
    outb(THR, 'H');
    outb(THR, 'i');
    outb(THR, '\n');
    ck_assert_uint_eq(chr.capture_len, 3);
    ck_assert_str_eq((const char *)chr.capture, "Hi\n");
    /* Transmission drains at once: THR and the shifter are empty again. */
    ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
    outb(SCR, 0x5a);
    ck_assert_uint_eq(inb(SCR), 0x5a);
    ck_assert_int_eq(irq_edges, 0);
}
END_TEST

START_TEST(divisor_latch_behind_dlab)
{
    outb(LCR, 0x83);
    outb(0, 0x01);
    outb(1, 0x02);
    ck_assert_uint_eq(inb(0), 0x01);
    ck_assert_uint_eq(inb(1), 0x02);
    ck_assert_uint_eq(chr.capture_len, 0); /* DLL writes do not transmit */
    outb(LCR, 0x03);
    ck_assert_uint_eq(inb(LCR), 0x03);
    ck_assert_uint_eq(inb(IER), 0x00);
    outb(IER, 0xff);
    ck_assert_uint_eq(inb(IER), 0x0f);
    outb(IER, 0);
    outb(THR, 'x');
    ck_assert_uint_eq(chr.capture_len, 1);
    outb(LCR, 0x80);
    ck_assert_uint_eq(inb(0), 0x01);
    ck_assert_uint_eq(inb(1), 0x02);
}
END_TEST

START_TEST(thre_interrupt_on_ier_write_and_iir_read)
{
    outb(MCR, 0x08);
    ck_assert_int_eq(irq_level, 0);
    outb(IER, 0x02);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(inb(IIR), 0x02);
    /* Reading IIR while THRE is the source clears it. */
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(inb(IIR), 0x01);
    outb(THR, 'a');
    ck_assert_int_eq(irq_level, 1);
    outb(IER, 0x00);
    ck_assert_int_eq(irq_level, 0);
    outb(IER, 0x02);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_int_eq(irq_edges, 3);
}
END_TEST

START_TEST(out2_gates_the_irq_line)
{
    outb(IER, 0x02);
    ck_assert_int_eq(irq_level, 0);
    outb(MCR, 0x03);
    ck_assert_int_eq(irq_level, 0);
    outb(MCR, 0x0b);
    ck_assert_int_eq(irq_level, 1);
    outb(MCR, 0x03);
    ck_assert_int_eq(irq_level, 0);
    /* Loopback forces the OUT pins inactive, so the PC line stays low. */
    outb(MCR, 0x18);
    ck_assert_int_eq(irq_level, 0);
    outb(MCR, 0x08);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(inb(IIR), 0x02); /* still pending all along */
    ck_assert_int_eq(irq_level, 0);
}
END_TEST

START_TEST(rx_interrupt_and_fifo_trigger_levels)
{
    outb(MCR, 0x08);
    outb(IER, 0x01);
    /* 16450 mode: one byte is enough. */
    feed("A");
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_uint_eq(inb(LSR), 0x61);
    ck_assert_uint_eq(inb(THR), 'A');
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(IIR), 0x01);

    static const struct {
        uint8_t fcr;
        unsigned level;
    } cases[] = { { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 } };
    for (unsigned c = 0; c < 4; c++) {
        outb(FCR, cases[c].fcr | 0x06);
        ck_assert_uint_eq(inb(IIR), 0xc1);
        for (unsigned i = 1; i < cases[c].level; i++)
            feed("x");
        ck_assert_int_eq(irq_level, 0);
        ck_assert_uint_eq(inb(LSR) & 0x01, cases[c].level > 1 ? 1 : 0);
        feed("y");
        ck_assert_int_eq(irq_level, 1);
        ck_assert_uint_eq(inb(IIR), 0xc4);
        inb(THR); /* one below the trigger: no longer RDA */
        ck_assert_int_eq(irq_level, 0);
        ck_assert_uint_eq(inb(IIR), 0xc1);
        outb(FCR, 0x03); /* clear for the next level */
        ck_assert_uint_eq(inb(LSR), 0x60);
    }
    /* Clearing FCR0 goes back to 16450 mode. */
    outb(FCR, 0x00);
    ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(character_timeout_after_four_frames)
{
    /* 8N1 at 9600 baud: 4 * 10 bits * 16 * 12 / 1.8432 MHz = 4166666.7 ns. */
    const uint64_t timeout = 4166667;
    outb(LCR, 0x83);
    outb(0, 12);
    outb(1, 0);
    outb(LCR, 0x03);
    outb(FCR, 0xc7); /* trigger 14 */
    outb(MCR, 0x08);
    outb(IER, 0x01);
    feed("ab");
    vclock_advance(&m.clock, timeout - 1);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(inb(IIR), 0xc1);
    vclock_advance(&m.clock, 1);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(inb(IIR), 0xcc);
    /* A read clears it and restarts the count for the byte left. */
    ck_assert_uint_eq(inb(THR), 'a');
    ck_assert_int_eq(irq_level, 0);
    vclock_advance(&m.clock, timeout - 1);
    ck_assert_int_eq(irq_level, 0);
    vclock_advance(&m.clock, 1);
    ck_assert_uint_eq(inb(IIR), 0xcc);
    ck_assert_uint_eq(inb(THR), 'b');
    ck_assert_uint_eq(inb(IIR), 0xc1);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);

    /* Each arriving byte restarts the count too. */
    feed("c");
    vclock_advance(&m.clock, 3000000);
    feed("d");
    vclock_advance(&m.clock, 3000000);
    ck_assert_int_eq(irq_level, 0);
    vclock_advance(&m.clock, timeout - 3000000);
    ck_assert_int_eq(irq_level, 1);
    inb(THR);
    inb(THR);
    ck_assert_int_eq(irq_level, 0);

    /* 115200 baud, 7 data bits, parity, 2 stop bits: 11 bits a frame,
     * 4 * 11 * 16 / 1.8432 MHz = 381944.4 ns. */
    outb(LCR, 0x80 | 0x0e);
    outb(0, 1);
    outb(LCR, 0x0e);
    feed("e");
    vclock_advance(&m.clock, 381944);
    ck_assert_int_eq(irq_level, 0);
    vclock_advance(&m.clock, 1);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(inb(IIR), 0xcc);
}
END_TEST

START_TEST(interrupt_priorities_and_identification)
{
    outb(MCR, 0x10);      /* loopback: the modem inputs now follow MCR */
    ck_assert_uint_eq(inb(MSR), 0x0b); /* CTS, DSR, DCD fell */
    outb(IER, 0x0f);      /* THRE becomes pending */
    outb(MCR, 0x11);      /* DTR -> DSR: modem status change */
    outb(THR, 'x');       /* received back */
    outb(THR, 'y');       /* overruns the 16450 holding register */
    ck_assert_uint_eq(inb(IIR), 0x06);
    ck_assert_uint_eq(inb(IIR), 0x06); /* reading IIR does not clear RLS */
    ck_assert_uint_eq(inb(LSR), 0x63);
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_uint_eq(inb(THR), 'y');
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_uint_eq(inb(IIR), 0x00);
    ck_assert_uint_eq(inb(MSR), 0x22); /* DSR with its delta */
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(MSR), 0x20);
    ck_assert_uint_eq(chr.capture_len, 0);
}
END_TEST

START_TEST(loopback_keeps_bytes_and_mirrors_modem_lines)
{
    outb(FCR, 0x07);
    outb(MCR, 0x1f);
    ck_assert_uint_eq(inb(MSR) & 0xf0, 0xf0);
    const char *msg = "loop";
    for (const char *p = msg; *p; p++)
        outb(THR, (uint8_t)*p);
    ck_assert_uint_eq(chr.capture_len, 0);
    for (const char *p = msg; *p; p++) {
        ck_assert_uint_eq(inb(LSR) & 0x01, 1);
        ck_assert_uint_eq(inb(THR), (uint8_t)*p);
    }
    ck_assert_uint_eq(inb(LSR) & 0x01, 0);

    /* Dropping OUT1 ends a ring: trailing-edge RI. */
    outb(MCR, 0x1b);
    ck_assert_uint_eq(inb(MSR), 0xb4);
    outb(MCR, 0x10);
    ck_assert_uint_eq(inb(MSR), 0x0b);

    /* Input from outside waits while the receiver listens to itself. */
    feed("z");
    ck_assert_uint_eq(inb(LSR) & 0x01, 0);
    ck_assert_uint_eq(chr.pending_len, 1);
    outb(MCR, 0x00);
    ck_assert_uint_eq(chr.pending_len, 0);
    ck_assert_uint_eq(inb(THR), 'z');
    outb(THR, '!');
    ck_assert_uint_eq(chr.capture_len, 1);
}
END_TEST

START_TEST(overrun_when_input_exceeds_fifo)
{
    outb(FCR, 0x07);
    outb(MCR, 0x18);
    outb(IER, 0x04);
    for (int i = 0; i < 17; i++)
        outb(THR, (uint8_t)('A' + i));
    ck_assert_uint_eq(inb(IIR), 0xc6);
    ck_assert_uint_eq(inb(LSR), 0x63);
    ck_assert_uint_eq(inb(LSR), 0x61); /* OE clears on read */
    ck_assert_uint_eq(inb(IIR), 0xc1);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(inb(THR), (uint8_t)('A' + i));
    ck_assert_uint_eq(inb(LSR), 0x60); /* the 17th byte was lost */

    /* A sender ignoring flow control overruns the same way. */
    outb(MCR, 0x08);
    for (int i = 0; i < 16; i++)
        chr.receive(chr.frontend, (uint8_t)i);
    ck_assert(!chr.can_receive(chr.frontend));
    ck_assert_int_eq(irq_level, 0);
    chr.receive(chr.frontend, 0xee);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(inb(LSR), 0x63);
    ck_assert_int_eq(irq_level, 0);

    /* 16450 mode: the new byte replaces the unread one. */
    outb(FCR, 0x00);
    chr.receive(chr.frontend, 1);
    chr.receive(chr.frontend, 2);
    ck_assert_uint_eq(inb(LSR), 0x63);
    ck_assert_uint_eq(inb(THR), 2);
}
END_TEST

START_TEST(input_flows_as_the_guest_makes_room)
{
    outb(FCR, 0x07);
    feed("0123456789abcdefghij");
    ck_assert_uint_eq(chr.pending_len, 4);
    ck_assert_uint_eq(inb(THR), '0');
    ck_assert_uint_eq(chr.pending_len, 3);
    char got[21] = "0";
    for (int i = 1; i < 20; i++) {
        ck_assert_uint_eq(inb(LSR) & 0x01, 1);
        got[i] = (char)inb(THR);
    }
    ck_assert_str_eq(got, "0123456789abcdefghij");
    ck_assert_uint_eq(chr.pending_len, 0);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(LSR) & 0x02, 0); /* flow control: never an overrun */

    outb(FCR, 0x00);
    feed("xyz");
    ck_assert_uint_eq(chr.pending_len, 2);
    ck_assert_uint_eq(inb(THR), 'x');
    ck_assert_uint_eq(inb(THR), 'y');
    ck_assert_uint_eq(inb(THR), 'z');
    ck_assert_uint_eq(inb(LSR), 0x60);
}
END_TEST

START_TEST(reset_returns_to_power_on_state)
{
    outb(LCR, 0x80);
    outb(0, 3);
    outb(LCR, 0x03);
    outb(FCR, 0xc1);
    outb(MCR, 0x0b);
    outb(IER, 0x03);
    feed("q");
    ck_assert_int_eq(irq_level, 1);
    machine_reset(&m);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(inb(IER), 0);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(LCR), 0);
    ck_assert_uint_eq(inb(MCR), 0);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(MSR), 0xb0);
    outb(LCR, 0x80);
    ck_assert_uint_eq(inb(0), 3); /* the divisor latch survives */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uart16550");
    TCase *tc = tcase_create("uart");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, power_on_state_and_output);
    tcase_add_test(tc, divisor_latch_behind_dlab);
    tcase_add_test(tc, thre_interrupt_on_ier_write_and_iir_read);
    tcase_add_test(tc, out2_gates_the_irq_line);
    tcase_add_test(tc, rx_interrupt_and_fifo_trigger_levels);
    tcase_add_test(tc, character_timeout_after_four_frames);
    tcase_add_test(tc, interrupt_priorities_and_identification);
    tcase_add_test(tc, loopback_keeps_bytes_and_mirrors_modem_lines);
    tcase_add_test(tc, overrun_when_input_exceeds_fifo);
    tcase_add_test(tc, input_flows_as_the_guest_makes_room);
    tcase_add_test(tc, reset_returns_to_power_on_state);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
