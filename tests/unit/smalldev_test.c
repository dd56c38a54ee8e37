/* Unit tests for the small PC ports: System Control Port A (0x92), the POST
 * code latch (0x80), isa-debug-exit and the 0xe9 debug console. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/chardev.h"
#include "hw/debug_exit.h"
#include "hw/debugcon.h"
#include "hw/machine.h"
#include "hw/port92.h"
#include "hw/postcode.h"
#include "test_util.h"

static uint64_t port_in(struct machine *m, uint16_t port, unsigned len)
{
    uint8_t d[8] = { 0 };
    machine_port_io(m, port, d, len, false);
    return io_data_get(d, len);
}

static void port_out(struct machine *m, uint16_t port, unsigned len, uint64_t v)
{
    uint8_t d[8];
    io_data_put(d, len, v);
    machine_port_io(m, port, d, len, true);
}

START_TEST(port92_gates_a20_and_resets_on_rising_bit0)
{
    struct machine m;
    machine_init_core(&m, true);
    struct port92 *p = port92_create(&m);
    ck_assert_ptr_nonnull(p);
    ck_assert(m.a20_enabled);
    ck_assert_uint_eq(port_in(&m, 0x92, 1), 0x02);

    port_out(&m, 0x92, 1, 0x00);
    ck_assert(!m.a20_enabled);
    ck_assert_uint_eq(port_in(&m, 0x92, 1), 0x00);
    port_out(&m, 0x92, 1, 0x02);
    ck_assert(m.a20_enabled);
    ck_assert_uint_eq(port_in(&m, 0x92, 1), 0x02);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 0);

    /* reads follow the real gate when another device (the 8042) moves it */
    machine_set_a20(&m, false);
    ck_assert_uint_eq(port_in(&m, 0x92, 1), 0x00);
    machine_set_a20(&m, true);

    port_out(&m, 0x92, 1, 0x03);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 1);
    ck_assert_uint_eq(port_in(&m, 0x92, 1), 0x03);
    /* writing bit 0 again while it is still 1 is not a new reset */
    atomic_store(&m.reset_requested, 0);
    port_out(&m, 0x92, 1, 0x03);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 0);
    /* the reset clears the latch, so the next 1 resets again */
    machine_reset(&m);
    ck_assert_uint_eq(port_in(&m, 0x92, 1), 0x02);
    port_out(&m, 0x92, 1, 0x01);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 1);
    ck_assert(!m.a20_enabled);

    machine_destroy_core(&m);
    port92_destroy(p);
}
END_TEST

START_TEST(postcode_latches_last_byte)
{
    struct machine m;
    machine_init_core(&m, true);
    struct postcode *p = postcode_create(&m);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(postcode_create(&m)); /* port already taken */
    ck_assert_uint_eq(postcode_last(p), 0);
    port_out(&m, 0x80, 1, 0x12);
    port_out(&m, 0x80, 1, 0xa5);
    ck_assert_uint_eq(postcode_last(p), 0xa5);
    ck_assert_uint_eq(port_in(&m, 0x80, 1), 0xa5);
    machine_reset(&m);
    ck_assert_uint_eq(postcode_last(p), 0);
    machine_destroy_core(&m);
    postcode_destroy(p);
}
END_TEST

struct exit_case {
    unsigned offset, len;
    uint64_t value;
    int status;
};

START_TEST(debug_exit_status_is_value_shifted_or_one)
{
    static const struct exit_case cases[] = {
        { 0, 1, 0x00, 0x01 },
        { 0, 1, 0x10, 0x21 },
        { 0, 1, 0x31, 0x63 },
        { 0, 1, 0xff, 0x1ff },
        { 0, 2, 0x1234, 0x2469 },
        { 0, 4, 0x00010000, 0x00020001 },
        { 0, 4, 0x7fffffff, -1 },
        { 2, 2, 0x0003, 0x07 },
        { 3, 1, 0x40, 0x81 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct machine m;
        machine_init_core(&m, true);
        struct debug_exit *d = debug_exit_create(&m, 0xf4, 4);
        ck_assert_ptr_nonnull(d);
        ck_assert_uint_eq(port_in(&m, 0xf4, 4), 0);
        ck_assert_int_eq(atomic_load(&m.shutdown_requested), 0);
        port_out(&m, (uint16_t)(0xf4 + cases[i].offset), cases[i].len, cases[i].value);
        ck_assert_int_eq(atomic_load(&m.shutdown_requested), 1);
        ck_assert_int_eq(atomic_load(&m.exit_status), cases[i].status);
        machine_destroy_core(&m);
        debug_exit_destroy(d);
    }
}
END_TEST

START_TEST(debug_exit_port_and_size_are_configurable)
{
    struct machine m;
    machine_init_core(&m, true);
    ck_assert_ptr_null(debug_exit_create(&m, 0x501, 0));
    struct debug_exit *d = debug_exit_create(&m, 0x501, 2);
    ck_assert_ptr_nonnull(d);
    /* outside the mapped range nothing happens */
    port_out(&m, 0x503, 1, 5);
    ck_assert_int_eq(atomic_load(&m.shutdown_requested), 0);
    port_out(&m, 0x502, 1, 5);
    ck_assert_int_eq(atomic_load(&m.exit_status), 11);
    machine_destroy_core(&m);
    debug_exit_destroy(d);
}
END_TEST

START_TEST(debugcon_writes_through_and_reads_e9)
{
    struct machine m;
    struct chardev chr;
    machine_init_core(&m, true);
    chardev_init_capture(&chr);
    struct debugcon *d = debugcon_create(&m, 0xe9, &chr);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(port_in(&m, 0xe9, 1), 0xe9);
    const char *msg = "SeaBIOS\n";
    for (const char *c = msg; *c; c++)
        port_out(&m, 0xe9, 1, (uint8_t)*c);
    ck_assert_uint_eq(chr.capture_len, strlen(msg));
    ck_assert_mem_eq(chr.capture, msg, strlen(msg));
    /* a word write only reaches the console with its low byte */
    port_out(&m, 0xe9, 2, 0x4241);
    ck_assert_uint_eq(chr.capture_len, strlen(msg) + 1);
    ck_assert_int_eq(chr.capture[strlen(msg)], 'A');
    machine_destroy_core(&m);
    debugcon_destroy(d);
    chardev_close(&chr);
}
END_TEST

START_TEST(debugcon_without_backend_discards)
{
    struct machine m;
    machine_init_core(&m, true);
    struct debugcon *d = debugcon_create(&m, 0x402, NULL);
    ck_assert_ptr_nonnull(d);
    port_out(&m, 0x402, 1, 'x');
    ck_assert_uint_eq(port_in(&m, 0x402, 1), 0xe9);
    ck_assert_uint_eq(port_in(&m, 0x403, 1), 0xff);
    machine_destroy_core(&m);
    debugcon_destroy(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("smalldev");
    TCase *tc = tcase_create("smalldev");
    tcase_add_test(tc, port92_gates_a20_and_resets_on_rising_bit0);
    tcase_add_test(tc, postcode_latches_last_byte);
    tcase_add_test(tc, debug_exit_status_is_value_shifted_or_one);
    tcase_add_test(tc, debug_exit_port_and_size_are_configurable);
    tcase_add_test(tc, debugcon_writes_through_and_reads_e9);
    tcase_add_test(tc, debugcon_without_backend_discards);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
