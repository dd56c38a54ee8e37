/* Unit tests for the machine core: port/MMIO dispatch, physical memory
 * slots, the virtual clock and its timers, e820 building. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/e820.h"
#include "hw/machine.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"
#include "softmmu/physmem.h"
#include "test_util.h"

struct recorder {
    uint64_t last_offset;
    unsigned last_len;
    bool last_write;
    uint64_t last_value;
    int calls;
};

static void record_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct recorder *r = opaque;
    r->calls++;
    r->last_offset = offset;
    r->last_len = len;
    r->last_write = is_write;
    if (is_write)
        r->last_value = io_data_get(data, len);
    else
        io_data_put(data, len, 0x1000 + offset);
}

START_TEST(iomap_dispatches_by_range)
{
    struct iomap map;
    struct recorder a = { 0 }, b = { 0 };
    iomap_init(&map);
    ck_assert_int_eq(iomap_add(&map, 0x3f8, 8, record_io, &a, "a"), 0);
    ck_assert_int_eq(iomap_add(&map, 0x60, 1, record_io, &b, "b"), 0);
    ck_assert_int_eq(iomap_add(&map, 0x3fc, 2, record_io, &b, "overlap"), -EEXIST);
    ck_assert_int_eq(iomap_add(&map, 0x3f0, 9, record_io, &b, "overlap2"), -EEXIST);
    uint8_t d[4] = { 0x5a };
    ck_assert(iomap_access(&map, 0x3fb, d, 1, true));
    ck_assert_int_eq(a.last_offset, 3);
    ck_assert_int_eq(a.last_value, 0x5a);
    ck_assert(iomap_access(&map, 0x3f9, d, 2, false));
    ck_assert_int_eq(io_data_get(d, 2), 0x1001);
    /* unmapped reads float high */
    ck_assert(!iomap_access(&map, 0x80, d, 2, false));
    ck_assert_int_eq(io_data_get(d, 2), 0xffff);
    /* an access straddling the end of a region is split into bytes */
    a.calls = 0;
    ck_assert(iomap_access(&map, 0x3ff, d, 2, false));
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(d[0], 0x07);
    ck_assert_int_eq(d[1], 0xff);
    ck_assert_int_eq(iomap_remove(&map, 0x3f8), 0);
    ck_assert_int_eq(iomap_remove(&map, 0x3f8), -ENOENT);
    ck_assert_ptr_null(iomap_find(&map, 0x3f8));
    ck_assert_ptr_nonnull(iomap_find(&map, 0x60));
    iomap_destroy(&map);
}
END_TEST

START_TEST(physmem_reads_ram_rom_and_mmio)
{
    struct physmem pm;
    struct recorder r = { 0 };
    uint8_t *ram = calloc(1, 0x2000), *rom = calloc(1, 0x1000), *shadow = calloc(1, 0x1000);
    physmem_init(&pm);
    ck_assert_int_ge(physmem_map(&pm, 0, 0x2000, ram, false, NULL, "ram"), 0);
    ck_assert_int_ge(physmem_map(&pm, 0x3000, 0x1000, rom, true, shadow, "rom"), 0);
    ck_assert_int_eq(physmem_map(&pm, 0x1000, 0x1000, rom, true, NULL, "x"), -EEXIST);
    ck_assert_int_eq(iomap_add(&pm.mmio, 0x2000, 0x1000, record_io, &r, "mmio"), 0);
    memset(rom, 0xab, 0x1000);
    uint8_t buf[0x20];
    memset(buf, 0x11, sizeof(buf));
    /* one write spanning RAM into MMIO */
    physmem_write(&pm, 0x1ff0, buf, sizeof(buf));
    ck_assert_int_eq(ram[0x1fff], 0x11);
    ck_assert(r.last_write);
    ck_assert_int_eq(r.last_offset, 0xf);
    /* ROM ignores writes to itself but forwards them to the shadow */
    physmem_write(&pm, 0x3004, buf, 4);
    ck_assert_int_eq(rom[4], 0xab);
    ck_assert_int_eq(shadow[4], 0x11);
    physmem_read(&pm, 0x3000, buf, 4);
    ck_assert_int_eq(buf[0], 0xab);
    /* unmapped space */
    physmem_read(&pm, 0x9000, buf, 2);
    ck_assert_int_eq(buf[0], 0xff);
    ck_assert_ptr_eq(physmem_host_ptr(&pm, 0x10, 16), ram + 0x10);
    ck_assert_ptr_null(physmem_host_ptr(&pm, 0x1ff8, 16));
    ck_assert_ptr_eq(physmem_host_ptr_write(&pm, 0x3000, 1), shadow);
    ck_assert_int_eq(physmem_unmap(&pm, 0x3000), 0);
    ck_assert_ptr_null(physmem_find_slot(&pm, 0x3000));
    physmem_destroy(&pm);
    free(ram);
    free(rom);
    free(shadow);
}
END_TEST

static int fired_order[8];
static uint64_t fired_at[8];
static int fired_count;
static struct vclock *test_clock;

static void on_timer(void *opaque)
{
    fired_at[fired_count] = vclock_now(test_clock);
    fired_order[fired_count++] = (int)(intptr_t)opaque;
}

START_TEST(vclock_fires_timers_in_order)
{
    struct vclock c;
    struct vtimer t1, t2, t3;
    vclock_init(&c, true);
    test_clock = &c;
    fired_count = 0;
    vtimer_init(&t1, &c, on_timer, (void *)1);
    vtimer_init(&t2, &c, on_timer, (void *)2);
    vtimer_init(&t3, &c, on_timer, (void *)3);
    vtimer_arm(&t2, 2000);
    vtimer_arm(&t1, 1000);
    vtimer_arm(&t3, 5000);
    ck_assert_uint_eq(vclock_next_deadline(&c), 1000);
    vtimer_cancel(&t3);
    vclock_advance(&c, 1500);
    ck_assert_int_eq(fired_count, 1);
    ck_assert_uint_eq(fired_at[0], 1000);
    ck_assert_uint_eq(vclock_now(&c), 1500);
    vclock_advance(&c, 10000);
    ck_assert_int_eq(fired_count, 2);
    ck_assert_int_eq(fired_order[1], 2);
    ck_assert_uint_eq(fired_at[1], 2000);
    ck_assert_uint_eq(vclock_next_deadline(&c), VCLOCK_NEVER);
    ck_assert_uint_eq(vclock_ticks_to_ns(1193182, 1193182), NS_PER_SEC);
    ck_assert_uint_eq(vclock_ns_to_ticks(NS_PER_SEC / 2, 1000), 500);
}
END_TEST

START_TEST(e820_merges_adjacent_ranges)
{
    struct e820_map map;
    e820_init(&map);
    ck_assert_int_eq(e820_add(&map, 0, 0x9fc00, E820_RAM), 0);
    ck_assert_int_eq(e820_add(&map, 0x9fc00, 0x400, E820_RESERVED), 0);
    ck_assert_int_eq(e820_add(&map, 0x100000, 0x100000, E820_RAM), 0);
    ck_assert_int_eq(e820_add(&map, 0x200000, 0x100000, E820_RAM), 0);
    ck_assert_uint_eq(map.count, 3);
    ck_assert_uint_eq(map.entries[2].size, 0x200000);
}
END_TEST

START_TEST(machine_requests_are_recorded)
{
    struct machine m;
    machine_init_core(&m, true);
    ck_assert_uint_eq(m.cpu.rip, 0xfff0);
    ck_assert_uint_eq(m.cpu.seg[S_CS].base, 0xffff0000ull);
    machine_request_shutdown(&m, 7);
    machine_request_shutdown(&m, 9);
    ck_assert_int_eq(atomic_load(&m.shutdown_requested), 1);
    ck_assert_int_eq(atomic_load(&m.exit_status), 7);
    machine_request_reset(&m);
    ck_assert_int_eq(atomic_load(&m.reset_requested), 1);
    machine_destroy_core(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, iomap_dispatches_by_range);
    tcase_add_test(tc, physmem_reads_ram_rom_and_mmio);
    tcase_add_test(tc, vclock_fires_timers_in_order);
    tcase_add_test(tc, e820_merges_adjacent_ranges);
    tcase_add_test(tc, machine_requests_are_recorded);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
