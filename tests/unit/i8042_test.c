/* Unit tests for the 8042 keyboard controller and its PS/2 keyboard and
 * mouse, driven through ports 0x60/0x64 with IRQ 1 and 12 observed. */
#include <check.h>
#include <stdlib.h>

#include "hw/i8042.h"
#include "hw/machine.h"
#include "test_util.h"

#define DATA 0x60
#define CMD  0x64

#define ST_OBF    0x01
#define ST_SYS    0x04
#define ST_CMD    0x08
#define ST_AUXOBF 0x20

struct irq_probe {
    int level[2];
    int rises[2];
};

static void probe_set(void *opaque, int pin, int level)
{
    struct irq_probe *p = opaque;
    if (level && !p->level[pin])
        p->rises[pin]++;
    p->level[pin] = level;
}

static struct machine m;
static struct irq_probe probe;
static struct i8042 *kbc;

static void setup(void)
{
    machine_init_core(&m, true);
    probe = (struct irq_probe){ { 0 }, { 0 } };
    kbc = i8042_create(&m, irq_line_make(probe_set, &probe, 0),
                       irq_line_make(probe_set, &probe, 1));
    ck_assert_ptr_nonnull(kbc);
}

static void teardown(void)
{
    machine_destroy_core(&m);
    i8042_destroy(kbc);
}

static uint8_t inb(uint16_t port)
{
    uint8_t d = 0;
    machine_port_io(&m, port, &d, 1, false);
    return d;
}

static void outb(uint16_t port, uint8_t v)
{
    machine_port_io(&m, port, &v, 1, true);
}

static void write_ctr(uint8_t v)
{
    outb(CMD, 0x60);
    outb(DATA, v);
}

static uint8_t read_ctr(void)
{
    outb(CMD, 0x20);
    ck_assert_uint_eq(inb(CMD) & (ST_OBF | ST_AUXOBF), ST_OBF);
    return inb(DATA);
}

/* Reads one byte, checking it is there and from the expected port. */
static uint8_t read_from(bool aux)
{
    uint8_t st = inb(CMD);
    ck_assert_msg(st & ST_OBF, "output buffer empty (status %02x)", st);
    ck_assert_uint_eq(!!(st & ST_AUXOBF), aux);
    return inb(DATA);
}

static void expect_bytes(bool aux, const uint8_t *want, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t got = read_from(aux);
        ck_assert_msg(got == want[i], "byte %u: got %02x want %02x", i, got, want[i]);
    }
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
}

static void mouse_cmd(uint8_t v)
{
    outb(CMD, 0xd4);
    outb(DATA, v);
}

START_TEST(self_test_answers_55_and_sets_system_flag)
{
    ck_assert_uint_eq(inb(CMD) & (ST_OBF | ST_SYS), 0);
    outb(CMD, 0xaa);
    uint8_t st = inb(CMD);
    ck_assert_uint_eq(st & (ST_OBF | ST_SYS | ST_CMD | ST_AUXOBF), ST_OBF | ST_SYS | ST_CMD);
    ck_assert_uint_eq(inb(DATA), 0x55);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
    /* interface tests report no error */
    outb(CMD, 0xab);
    ck_assert_uint_eq(read_from(false), 0x00);
    outb(CMD, 0xa9);
    ck_assert_uint_eq(read_from(false), 0x00);
    /* a write to the data port clears the command/data status bit */
    write_ctr(0x04);
    ck_assert_uint_eq(inb(CMD) & ST_CMD, 0);
}
END_TEST

START_TEST(command_byte_reads_back_and_port_disables_show_in_it)
{
    ck_assert_uint_eq(read_ctr(), 0x43);
    write_ctr(0x47);
    ck_assert_uint_eq(read_ctr(), 0x47);
    ck_assert_uint_eq(inb(CMD) & ST_SYS, ST_SYS);
    write_ctr(0x43);
    ck_assert_uint_eq(inb(CMD) & ST_SYS, 0);
    outb(CMD, 0xa7);
    ck_assert_uint_eq(read_ctr(), 0x63);
    outb(CMD, 0xa8);
    ck_assert_uint_eq(read_ctr(), 0x43);
    outb(CMD, 0xad);
    ck_assert_uint_eq(read_ctr(), 0x53);
    outb(CMD, 0xae);
    ck_assert_uint_eq(read_ctr(), 0x43);
    /* controller RAM beyond the command byte */
    outb(CMD, 0x65);
    outb(DATA, 0x5a);
    outb(CMD, 0x25);
    ck_assert_uint_eq(read_from(false), 0x5a);
    /* each controller reply interrupts while IRQ 1 is enabled */
    ck_assert_int_eq(probe.rises[0], 7);
    ck_assert_int_eq(probe.rises[1], 0);
}
END_TEST

START_TEST(keyboard_reset_interrupts_only_when_enabled)
{
    write_ctr(0x00);
    outb(DATA, 0xff);
    ck_assert_int_eq(probe.rises[0], 0);
    static const uint8_t bat[] = { 0xfa, 0xaa };
    expect_bytes(false, bat, 2);
    ck_assert_int_eq(probe.rises[0], 0);

    write_ctr(0x01);
    outb(DATA, 0xff);
    ck_assert_int_eq(probe.rises[0], 1);
    ck_assert_int_eq(probe.level[0], 1);
    ck_assert_uint_eq(read_from(false), 0xfa);
    /* one edge per byte: the read lowered the line, the next byte raised it */
    ck_assert_int_eq(probe.rises[0], 2);
    ck_assert_uint_eq(read_from(false), 0xaa);
    ck_assert_int_eq(probe.level[0], 0);
    ck_assert_int_eq(probe.rises[0], 2);
    ck_assert_int_eq(probe.rises[1], 0);

    /* enabling the interrupt with a byte already waiting raises the line */
    write_ctr(0x00);
    outb(DATA, 0xee);
    ck_assert_int_eq(probe.level[0], 0);
    write_ctr(0x01);
    ck_assert_int_eq(probe.level[0], 1);
    ck_assert_uint_eq(inb(DATA), 0xee);
    ck_assert_int_eq(probe.level[0], 0);
}
END_TEST

START_TEST(identify_bytes_are_not_translated)
{
    write_ctr(0x41);
    outb(DATA, 0xf2);
    static const uint8_t id[] = { 0xfa, 0xab, 0x83 };
    expect_bytes(false, id, 3);
    write_ctr(0x01);
    outb(DATA, 0xf2);
    expect_bytes(false, id, 3);
}
END_TEST

START_TEST(set2_is_translated_to_set1_when_bit6_set)
{
    write_ctr(0x41);
    static const uint8_t a_make[] = { 0x1c }, a_break[] = { 0xf0, 0x1c };
    i8042_keyboard_event(kbc, a_make, 1);
    ck_assert_uint_eq(read_from(false), 0x1e);
    i8042_keyboard_event(kbc, a_break, 2);
    ck_assert_uint_eq(read_from(false), 0x9e);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
    /* extended key: cursor up, press and release */
    static const uint8_t up[] = { 0xe0, 0x75, 0xe0, 0xf0, 0x75 };
    i8042_keyboard_event(kbc, up, 5);
    static const uint8_t up1[] = { 0xe0, 0x48, 0xe0, 0xc8 };
    expect_bytes(false, up1, 4);
    /* F7 is the one code above 0x7f */
    static const uint8_t f7[] = { 0x83, 0xf0, 0x83 };
    i8042_keyboard_event(kbc, f7, 3);
    static const uint8_t f7_1[] = { 0x41, 0xc1 };
    expect_bytes(false, f7_1, 2);
    ck_assert_int_eq(probe.rises[0], 1 + 1 + 4 + 2);

    /* without translation the guest sees set 2 as sent */
    write_ctr(0x01);
    i8042_keyboard_event(kbc, a_break, 2);
    expect_bytes(false, a_break, 2);
}
END_TEST

START_TEST(keyboard_can_send_set1_itself)
{
    write_ctr(0x01);
    outb(DATA, 0xf0);
    outb(DATA, 0x00);
    static const uint8_t set2[] = { 0xfa, 0xfa, 0x02 };
    expect_bytes(false, set2, 3);
    outb(DATA, 0xf0);
    outb(DATA, 0x01);
    static const uint8_t acks[] = { 0xfa, 0xfa };
    expect_bytes(false, acks, 2);
    static const uint8_t enter[] = { 0x5a, 0xf0, 0x5a };
    i8042_keyboard_event(kbc, enter, 3);
    static const uint8_t enter1[] = { 0x1c, 0x9c };
    expect_bytes(false, enter1, 2);
    /* set 3 is refused by staying in the current set */
    outb(DATA, 0xf0);
    outb(DATA, 0x03);
    outb(DATA, 0xf0);
    outb(DATA, 0x00);
    static const uint8_t still1[] = { 0xfa, 0xfa, 0xfa, 0xfa, 0x01 };
    expect_bytes(false, still1, 5);
}
END_TEST

START_TEST(keyboard_commands_ack_and_take_arguments)
{
    write_ctr(0x00);
    outb(DATA, 0xed);
    outb(DATA, 0x05);
    static const uint8_t acks[] = { 0xfa, 0xfa };
    expect_bytes(false, acks, 2);
    ck_assert_uint_eq(i8042_keyboard_leds(kbc), 0x05);
    outb(DATA, 0xf3);
    outb(DATA, 0x20);
    expect_bytes(false, acks, 2);
    outb(DATA, 0xee);
    ck_assert_uint_eq(read_from(false), 0xee);
    outb(DATA, 0x42); /* not a command */
    ck_assert_uint_eq(read_from(false), 0xfe);
    /* a command where an argument was due is obeyed as a command */
    outb(DATA, 0xed);
    outb(DATA, 0xee);
    static const uint8_t abandoned[] = { 0xfa, 0xee };
    expect_bytes(false, abandoned, 2);
    ck_assert_uint_eq(i8042_keyboard_leds(kbc), 0x05);
    /* resend repeats the last byte */
    outb(DATA, 0xfe);
    ck_assert_uint_eq(read_from(false), 0xee);
}
END_TEST

START_TEST(keyboard_scanning_and_port_disable)
{
    static const uint8_t key[] = { 0x1c };
    write_ctr(0x01);
    outb(DATA, 0xf5);
    ck_assert_uint_eq(read_from(false), 0xfa);
    i8042_keyboard_event(kbc, key, 1);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
    outb(DATA, 0xf4);
    ck_assert_uint_eq(read_from(false), 0xfa);
    /* with the interface disabled the keyboard holds its data */
    outb(CMD, 0xad);
    i8042_keyboard_event(kbc, key, 1);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
    ck_assert_int_eq(probe.level[0], 0);
    outb(CMD, 0xae);
    ck_assert_int_eq(probe.level[0], 1);
    ck_assert_uint_eq(read_from(false), 0x1c);
    /* sending to the keyboard re-enables its interface */
    outb(CMD, 0xad);
    outb(DATA, 0xee);
    ck_assert_uint_eq(read_from(false), 0xee);
    ck_assert_uint_eq(read_ctr() & 0x10, 0);
}
END_TEST

START_TEST(keyboard_buffer_overrun_reports_error_code)
{
    write_ctr(0x00);
    static const uint8_t key[] = { 0x1c };
    for (int i = 0; i < 40; i++)
        i8042_keyboard_event(kbc, key, 1);
    unsigned count = 0, overruns = 0;
    while (inb(CMD) & ST_OBF) {
        uint8_t b = inb(DATA);
        count++;
        if (b == 0x00)
            overruns++;
        else
            ck_assert_uint_eq(b, 0x1c);
    }
    /* never more than the 16 bytes a driver's flush will read */
    ck_assert_uint_le(count, 16);
    ck_assert_uint_ge(count, 8);
    ck_assert_uint_eq(overruns, 1);
}
END_TEST

START_TEST(reset_commands_request_system_reset)
{
    outb(CMD, 0xff); /* pulse nothing */
    ck_assert_int_eq(atomic_load(&m.reset_requested), 0);
    outb(CMD, 0xfd); /* pulse bit 1 only */
    ck_assert_int_eq(atomic_load(&m.reset_requested), 0);
    outb(CMD, 0xfe);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 1);
    atomic_store(&m.reset_requested, 0);
    outb(CMD, 0xd1);
    outb(DATA, 0x02);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 1);
}
END_TEST

START_TEST(output_port_drives_a20)
{
    ck_assert(m.a20_enabled);
    outb(CMD, 0xd1);
    outb(DATA, 0x01);
    ck_assert(!m.a20_enabled);
    outb(CMD, 0xd0);
    ck_assert_uint_eq(read_from(false) & 0x03, 0x01);
    outb(CMD, 0xd1);
    outb(DATA, 0x03);
    ck_assert(m.a20_enabled);
    outb(CMD, 0xd0);
    ck_assert_uint_eq(read_from(false) & 0x03, 0x03);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 0);
    outb(CMD, 0xdd);
    ck_assert(!m.a20_enabled);
    outb(CMD, 0xdf);
    ck_assert(m.a20_enabled);
}
END_TEST

START_TEST(mouse_commands_answer_as_aux_data_on_irq12)
{
    write_ctr(0x03);
    mouse_cmd(0xff);
    ck_assert_int_eq(probe.rises[1], 1);
    ck_assert_int_eq(probe.level[0], 0);
    static const uint8_t bat[] = { 0xfa, 0xaa, 0x00 };
    expect_bytes(true, bat, 3);
    ck_assert_int_eq(probe.rises[1], 3);
    ck_assert_int_eq(probe.level[1], 0);
    ck_assert_int_eq(probe.rises[0], 0);

    mouse_cmd(0xf2);
    static const uint8_t id0[] = { 0xfa, 0x00 };
    expect_bytes(true, id0, 2);

    mouse_cmd(0xe8);
    mouse_cmd(0x03);
    mouse_cmd(0xf3);
    mouse_cmd(40);
    mouse_cmd(0xe7);
    mouse_cmd(0xe9);
    static const uint8_t status[] = { 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x10, 0x03, 40 };
    expect_bytes(true, status, 9);

    /* with AUX interrupts off the data is still flagged as mouse data */
    write_ctr(0x01);
    mouse_cmd(0xf6);
    int before = probe.rises[1];
    ck_assert_uint_eq(read_from(true), 0xfa);
    ck_assert_int_eq(probe.rises[1], before);
    ck_assert_int_eq(probe.rises[0], 0);
    mouse_cmd(0x12); /* unknown */
    ck_assert_uint_eq(read_from(true), 0xfe);
}
END_TEST

START_TEST(mouse_streams_packets_when_enabled)
{
    write_ctr(0x03);
    i8042_mouse_event(kbc, 5, 5, 0, I8042_BUTTON_LEFT);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0); /* reporting still off */
    mouse_cmd(0xf4);
    ck_assert_uint_eq(read_from(true), 0xfa);
    i8042_mouse_event(kbc, 5, 3, 0, I8042_BUTTON_LEFT);
    /* left held, y up is positive so screen-down 3 is -3 */
    static const uint8_t p1[] = { 0x29, 0x05, 0xfd };
    expect_bytes(true, p1, 3);
    i8042_mouse_event(kbc, -300, 0, 0, I8042_BUTTON_RIGHT | I8042_BUTTON_MIDDLE);
    /* -300 does not fit in 9 bits: split into -256 and -44 */
    static const uint8_t p2[] = { 0x1e, 0x00, 0x00, 0x1e, 0xd4, 0x00 };
    expect_bytes(true, p2, 6);
    /* a button change alone is reported */
    i8042_mouse_event(kbc, 0, 0, 0, 0);
    static const uint8_t p3[] = { 0x08, 0x00, 0x00 };
    expect_bytes(true, p3, 3);
    /* motion that arrives while the guest is not reading is kept, not lost */
    for (int i = 0; i < 20; i++)
        i8042_mouse_event(kbc, 100, 0, 0, 0);
    int total = 0;
    unsigned bytes = 0;
    while (inb(CMD) & ST_OBF) {
        uint8_t b0 = read_from(true);
        uint8_t dx = read_from(true);
        uint8_t dy = read_from(true);
        ck_assert_uint_eq(b0 & 0xcf, 0x08);
        ck_assert_uint_eq(dy, 0);
        total += (b0 & 0x10) ? (int)dx - 256 : dx;
        bytes += 3;
    }
    ck_assert_int_eq(total, 2000);
    ck_assert_uint_gt(bytes, 16);

    mouse_cmd(0xf5);
    ck_assert_uint_eq(read_from(true), 0xfa);
    i8042_mouse_event(kbc, 1, 1, 0, 0);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
}
END_TEST

START_TEST(mouse_wheel_after_intellimouse_knock)
{
    write_ctr(0x02);
    static const uint8_t rates[] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        mouse_cmd(0xf3);
        mouse_cmd(rates[i]);
    }
    mouse_cmd(0xf2);
    static const uint8_t id3[] = { 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03 };
    expect_bytes(true, id3, 8);
    mouse_cmd(0xf4);
    ck_assert_uint_eq(read_from(true), 0xfa);
    i8042_mouse_event(kbc, 0, 0, -1, 0);
    static const uint8_t p[] = { 0x08, 0x00, 0x00, 0xff };
    expect_bytes(true, p, 4);
    /* reset returns it to a plain mouse */
    mouse_cmd(0xff);
    mouse_cmd(0xf2);
    static const uint8_t id0[] = { 0xfa, 0xaa, 0x00, 0xfa, 0x00 };
    expect_bytes(true, id0, 5);
}
END_TEST

START_TEST(mouse_remote_mode_reads_on_request)
{
    write_ctr(0x02);
    mouse_cmd(0xf0);
    ck_assert_uint_eq(read_from(true), 0xfa);
    i8042_mouse_event(kbc, -2, 0, 0, I8042_BUTTON_LEFT);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
    mouse_cmd(0xeb);
    static const uint8_t p[] = { 0xfa, 0x19, 0xfe, 0x00 };
    expect_bytes(true, p, 4);
    mouse_cmd(0xeb);
    static const uint8_t still[] = { 0xfa, 0x09, 0x00, 0x00 };
    expect_bytes(true, still, 4);
}
END_TEST

START_TEST(loopback_commands_fake_device_data)
{
    write_ctr(0x03);
    outb(CMD, 0xd3);
    outb(DATA, 0x5a);
    ck_assert_int_eq(probe.level[1], 1);
    ck_assert_uint_eq(read_from(true), 0x5a);
    ck_assert_int_eq(probe.level[1], 0);
    /* with the port disabled too, as Linux's AUX probe does it */
    outb(CMD, 0xa7);
    outb(CMD, 0xd3);
    outb(DATA, 0xa5);
    ck_assert_uint_eq(read_from(true), 0xa5);
    outb(CMD, 0xd2);
    outb(DATA, 0x1c);
    ck_assert_int_eq(probe.level[0], 1);
    ck_assert_uint_eq(read_from(false), 0x1c);
    ck_assert_int_eq(probe.rises[0], 1);
    ck_assert_int_eq(probe.rises[1], 2);
}
END_TEST

START_TEST(machine_reset_restores_power_on_state)
{
    write_ctr(0x03);
    outb(CMD, 0xaa);
    mouse_cmd(0xf4);
    outb(DATA, 0xed);
    ck_assert_int_eq(probe.level[0], 1);
    machine_reset(&m);
    ck_assert_int_eq(probe.level[0], 0);
    ck_assert_int_eq(probe.level[1], 0);
    ck_assert_uint_eq(inb(CMD), 0x10);
    ck_assert_uint_eq(read_ctr(), 0x43);
    /* the mouse is back to reporting disabled */
    i8042_mouse_event(kbc, 3, 3, 0, 0);
    ck_assert_uint_eq(inb(CMD) & ST_OBF, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("i8042");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, self_test_answers_55_and_sets_system_flag);
    tcase_add_test(tc, command_byte_reads_back_and_port_disables_show_in_it);
    tcase_add_test(tc, keyboard_reset_interrupts_only_when_enabled);
    tcase_add_test(tc, identify_bytes_are_not_translated);
    tcase_add_test(tc, set2_is_translated_to_set1_when_bit6_set);
    tcase_add_test(tc, keyboard_can_send_set1_itself);
    tcase_add_test(tc, keyboard_commands_ack_and_take_arguments);
    tcase_add_test(tc, keyboard_scanning_and_port_disable);
    tcase_add_test(tc, keyboard_buffer_overrun_reports_error_code);
    tcase_add_test(tc, reset_commands_request_system_reset);
    tcase_add_test(tc, output_port_drives_a20);
    tcase_add_test(tc, mouse_commands_answer_as_aux_data_on_irq12);
    tcase_add_test(tc, mouse_streams_packets_when_enabled);
    tcase_add_test(tc, mouse_wheel_after_intellimouse_knock);
    tcase_add_test(tc, mouse_remote_mode_reads_on_request);
    tcase_add_test(tc, loopback_commands_fake_device_data);
    tcase_add_test(tc, machine_reset_restores_power_on_state);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
