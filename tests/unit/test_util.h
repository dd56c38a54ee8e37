/* Boilerplate shared by the check-based unit tests (header-only): running a
 * suite from main(), building a core machine with plain RAM at address 0, and
 * temporary files for the loaders. */
#ifndef VX86_TESTS_UNIT_TEST_UTIL_H
#define VX86_TESTS_UNIT_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hw/e820.h"
#include "hw/machine.h"

/* Runs and frees the suite; the result is main()'s exit status, so ctest
 * sees any failed test. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A core machine on the manual clock with ram_size bytes of zeroed RAM
 * mapped at guest address 0, all of it below 4 GiB. The e820 map is left
 * empty because the tests differ in the layout they report. Returns the
 * host buffer (also in m->ram); release with test_machine_free_ram(). */
static inline uint8_t *test_machine_with_ram(struct machine *m, uint64_t ram_size)
{
    machine_init_core(m, true);
    uint8_t *ram = calloc(1, ram_size);
    ck_assert_ptr_nonnull(ram);
    ck_assert_int_ge(physmem_map(&m->mem, 0, ram_size, ram, false, NULL, "ram"), 0);
    m->ram = ram;
    m->ram_size = ram_size;
    m->ram_below_4g = ram_size;
    return ram;
}

/* The low-memory entries a PC BIOS reports below 1 MiB: conventional RAM,
 * the 1 KiB EBDA under 640 KiB, and the BIOS area from 0xE0000. */
static inline void test_e820_add_pc_low_memory(struct machine *m)
{
    e820_add(&m->e820, 0, 0x9fc00, E820_RAM);
    e820_add(&m->e820, 0x9fc00, 0x400, E820_RESERVED);
    e820_add(&m->e820, 0xe0000, 0x20000, E820_RESERVED);
}

/* Undoes test_machine_with_ram(). */
static inline void test_machine_free_ram(struct machine *m)
{
    uint8_t *ram = m->ram;
    machine_destroy_core(m);
    free(ram);
    m->ram = NULL;
}

/* A new file in /tmp named after tag holding len bytes of data; returns
 * its path for test_remove_temp_file(). */
static inline char *test_write_temp_file(const char *tag, const void *data, size_t len)
{
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "/tmp/vx86_%s_XXXXXX", tag), 0);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static inline void test_remove_temp_file(char *path)
{
    unlink(path);
    free(path);
}

#endif
