/* Unit tests for fw_cfg: signature and feature bits through the ports,
 * the sorted file directory, reading items by selector, and the DMA
 * interface (read, skip, select, errors) into a RAM slot. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/fw_cfg.h"
#include "hw/machine.h"
#include "test_util.h"

#define RAM_SIZE 0x10000

struct fixture {
    struct machine m;
    struct fw_cfg *f;
    uint8_t *ram;
};

static struct fixture *fx_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    machine_init_core(&fx->m, true);
    fx->ram = calloc(1, RAM_SIZE);
    ck_assert_int_ge(physmem_map(&fx->m.mem, 0, RAM_SIZE, fx->ram, false, NULL, "ram"), 0);
    fx->f = fw_cfg_create(&fx->m);
    ck_assert_ptr_nonnull(fx->f);
    return fx;
}

static void fx_free(struct fixture *fx)
{
    fw_cfg_destroy(fx->f);
    machine_destroy_core(&fx->m);
    free(fx->ram);
    free(fx);
}

static void sel(struct machine *m, uint16_t key)
{
    uint8_t d[2];
    io_data_put(d, 2, key);
    iomap_access(&m->io, FW_CFG_PORT_SEL, d, 2, true);
}

static void read_data(struct machine *m, void *buf, size_t len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        iomap_access(&m->io, FW_CFG_PORT_DATA, &p[i], 1, false);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes an FWCfgDmaAccess at desc and starts it the way SeaBIOS does:
 * one 32-bit OUT of the byte-swapped address to 0x518. */
static void dma(struct fixture *fx, uint32_t desc, uint32_t control, uint32_t len,
                uint64_t addr)
{
    uint8_t *a = fx->ram + desc;
    put_be32(a, control);
    put_be32(a + 4, len);
    put_be32(a + 8, (uint32_t)(addr >> 32));
    put_be32(a + 12, (uint32_t)addr);
    uint8_t d[4];
    put_be32(d, desc);
    iomap_access(&fx->m.io, FW_CFG_PORT_DMA + 4, d, 4, true);
}

START_TEST(signature_and_id_through_ports)
{
    struct fixture *fx = fx_new();
    struct machine *m = &fx->m;
    char sig[5] = { 0 };
    sel(m, FW_CFG_SIGNATURE);
    read_data(m, sig, 4);
    ck_assert_str_eq(sig, "QEMU");
    /* Past the end, reads return zero. */
    uint8_t extra;
    read_data(m, &extra, 1);
    ck_assert_uint_eq(extra, 0);
    /* Selecting again restarts at offset 0. */
    sel(m, FW_CFG_SIGNATURE);
    read_data(m, sig, 1);
    ck_assert_int_eq(sig[0], 'Q');
    uint8_t id[4];
    sel(m, FW_CFG_ID);
    read_data(m, id, 4);
    ck_assert_uint_eq(id[0], FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    ck_assert_uint_eq(id[1] | id[2] | id[3], 0);
    /* The DMA register reads "QEMU CFG" in big-endian order. */
    uint8_t d[8];
    iomap_access(&m->io, FW_CFG_PORT_DMA, d, 4, false);
    iomap_access(&m->io, FW_CFG_PORT_DMA + 4, d + 4, 4, false);
    ck_assert_int_eq(memcmp(d, "QEMU CFG", 8), 0);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | d[i];
    ck_assert_uint_eq(v, FW_CFG_DMA_SIGNATURE);
    /* An unknown key reads as zeros. */
    sel(m, 0x1f);
    read_data(m, d, 2);
    ck_assert_uint_eq(d[0] | d[1], 0);
    fx_free(fx);
}
END_TEST

START_TEST(integers_are_little_endian)
{
    struct fixture *fx = fx_new();
    struct machine *m = &fx->m;
    ck_assert_int_eq(fw_cfg_add_i64(fx->f, FW_CFG_RAM_SIZE, 0x0000000123456789ull), 0);
    ck_assert_int_eq(fw_cfg_add_i16(fx->f, FW_CFG_NB_CPUS, 2), 0);
    ck_assert_int_eq(fw_cfg_add_i16(fx->f, FW_CFG_MAX_CPUS, 4), 0);
    ck_assert_int_eq(fw_cfg_add_i32(fx->f, FW_CFG_IRQ0_OVERRIDE, 1), 0);
    uint8_t b[8];
    sel(m, FW_CFG_RAM_SIZE);
    read_data(m, b, 8);
    const uint8_t ram[8] = { 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0 };
    ck_assert_int_eq(memcmp(b, ram, 8), 0);
    sel(m, FW_CFG_MAX_CPUS);
    read_data(m, b, 2);
    ck_assert_uint_eq(b[0], 4);
    ck_assert_uint_eq(b[1], 0);
    sel(m, FW_CFG_IRQ0_OVERRIDE);
    read_data(m, b, 4);
    ck_assert_uint_eq(b[0], 1);
    /* The write-channel bit does not change which item is read. */
    sel(m, FW_CFG_NB_CPUS | FW_CFG_WRITE_CHANNEL);
    read_data(m, b, 2);
    ck_assert_uint_eq(b[0], 2);
    /* Keys outside the fixed ranges, and the directory, are refused. */
    ck_assert_int_eq(fw_cfg_add_i16(fx->f, 0x20, 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_i16(fx->f, FW_CFG_FILE_DIR, 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_i16(fx->f, 0x4005, 1), -EINVAL);
    ck_assert_int_eq(fw_cfg_add_i16(fx->f, 0x8020, 1), -EINVAL);
    fx_free(fx);
}
END_TEST

START_TEST(file_directory_is_sorted)
{
    struct fixture *fx = fx_new();
    struct machine *m = &fx->m;
    uint8_t hdr[4];
    sel(m, FW_CFG_FILE_DIR);
    read_data(m, hdr, 4);
    ck_assert_uint_eq(be32(hdr), 0);

    const uint16_t port = 0x3f8;
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "etc/sercon-port", &port, 2), 0);
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "bootorder", "/pci@i0cf8/*@1,1\n", 17), 0);
    uint8_t e820[20] = { 0 };
    e820[8] = 0x00; e820[9] = 0x00; e820[10] = 0x0a; /* len 0xa0000 */
    e820[16] = 1;
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "etc/e820", e820, sizeof(e820)), 0);
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "", "x", 1), -EINVAL);
    char longname[80];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[79] = 0;
    ck_assert_int_eq(fw_cfg_add_file(fx->f, longname, "x", 1), -EINVAL);

    uint8_t dir[4 + 3 * 64];
    sel(m, FW_CFG_FILE_DIR);
    read_data(m, dir, sizeof(dir));
    ck_assert_uint_eq(be32(dir), 3);
    const char *names[3] = { "bootorder", "etc/e820", "etc/sercon-port" };
    const uint32_t sizes[3] = { 17, 20, 2 };
    for (int i = 0; i < 3; i++) {
        const uint8_t *e = dir + 4 + 64 * i;
        ck_assert_uint_eq(be32(e), sizes[i]);
        ck_assert_uint_eq((unsigned)(e[4] << 8 | e[5]), FW_CFG_FILE_FIRST + i);
        ck_assert_uint_eq(e[6] | e[7], 0);
        ck_assert_str_eq((const char *)e + 8, names[i]);
        /* Names are NUL-padded to 56 bytes. */
        for (size_t k = strlen(names[i]); k < 56; k++)
            ck_assert_uint_eq(e[8 + k], 0);
    }
    ck_assert_int_eq(fw_cfg_file_select(fx->f, "etc/sercon-port"), 0x22);
    ck_assert_int_eq(fw_cfg_file_select(fx->f, "nope"), -1);

    /* Read a file by the selector the directory gave. */
    uint8_t b[2];
    sel(m, 0x22);
    read_data(m, b, 2);
    ck_assert_uint_eq(b[0] | b[1] << 8, 0x3f8);
    char bo[18] = { 0 };
    sel(m, 0x20);
    read_data(m, bo, 17);
    ck_assert_str_eq(bo, "/pci@i0cf8/*@1,1\n");

    /* Replacing a file keeps the count and updates the size. */
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "bootorder", "x", 1), 0);
    sel(m, FW_CFG_FILE_DIR);
    read_data(m, dir, 4 + 64);
    ck_assert_uint_eq(be32(dir), 3);
    ck_assert_uint_eq(be32(dir + 4), 1);
    /* A name sorting first shifts the others' selectors. */
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "aaa", "y", 1), 0);
    ck_assert_int_eq(fw_cfg_file_select(fx->f, "aaa"), 0x20);
    ck_assert_int_eq(fw_cfg_file_select(fx->f, "bootorder"), 0x21);
    sel(m, 0x21);
    read_data(m, b, 1);
    ck_assert_uint_eq(b[0], 'x');
    fx_free(fx);
}
END_TEST

START_TEST(dma_read_of_a_file)
{
    struct fixture *fx = fx_new();
    uint8_t blob[300];
    for (unsigned i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "etc/blob", blob, sizeof(blob)), 0);
    int key = fw_cfg_file_select(fx->f, "etc/blob");
    memset(fx->ram + 0x2000, 0xaa, 0x400);
    dma(fx, 0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
        sizeof(blob), 0x2000);
    ck_assert_uint_eq(be32(fx->ram + 0x1000), 0);
    ck_assert_int_eq(memcmp(fx->ram + 0x2000, blob, sizeof(blob)), 0);
    ck_assert_uint_eq(fx->ram[0x2000 + sizeof(blob)], 0xaa);
    /* The address register is cleared after the operation. */
    ck_assert_uint_eq(fx->f->dma_addr[7] | fx->f->dma_addr[6], 0);

    /* Reading past the end fills with zeros. */
    memset(fx->ram + 0x2000, 0xaa, 0x400);
    dma(fx, 0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
        0x200, 0x2000);
    ck_assert_uint_eq(be32(fx->ram + 0x1000), 0);
    ck_assert_int_eq(memcmp(fx->ram + 0x2000, blob, sizeof(blob)), 0);
    for (unsigned i = sizeof(blob); i < 0x200; i++)
        ck_assert_uint_eq(fx->ram[0x2000 + i], 0);
    ck_assert_uint_eq(fx->ram[0x2200], 0xaa);

    /* A 64-bit address written as two halves, high first. */
    uint8_t hi[4] = { 0, 0, 0, 0 };
    put_be32(fx->ram + 0x1800, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT |
                                   FW_CFG_DMA_CTL_READ);
    put_be32(fx->ram + 0x1804, 4);
    put_be32(fx->ram + 0x1808, 0);
    put_be32(fx->ram + 0x180c, 0x3000);
    iomap_access(&fx->m.io, FW_CFG_PORT_DMA, hi, 4, true);
    ck_assert_uint_eq(fx->ram[0x3000], 0); /* not started by the high half */
    uint8_t lo[4];
    put_be32(lo, 0x1800);
    iomap_access(&fx->m.io, FW_CFG_PORT_DMA + 4, lo, 4, true);
    ck_assert_int_eq(memcmp(fx->ram + 0x3000, blob, 4), 0);
    ck_assert_uint_eq(be32(fx->ram + 0x1800), 0);
    fx_free(fx);
}
END_TEST

START_TEST(dma_skip_and_select)
{
    struct fixture *fx = fx_new();
    struct machine *m = &fx->m;
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "f", "0123456789", 10), 0);
    int key = fw_cfg_file_select(fx->f, "f");
    /* Select + skip in one operation, then a plain read continues. */
    dma(fx, 0x100, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP,
        3, 0);
    ck_assert_uint_eq(be32(fx->ram + 0x100), 0);
    dma(fx, 0x100, FW_CFG_DMA_CTL_READ, 4, 0x400);
    ck_assert_uint_eq(be32(fx->ram + 0x100), 0);
    ck_assert_int_eq(memcmp(fx->ram + 0x400, "3456", 4), 0);
    /* DMA and the data port share the offset. */
    char c;
    read_data(m, &c, 1);
    ck_assert_int_eq(c, '7');
    /* Port selection followed by a DMA skip and a DMA read. */
    sel(m, (uint16_t)key);
    dma(fx, 0x100, FW_CFG_DMA_CTL_SKIP, 8, 0);
    dma(fx, 0x100, FW_CFG_DMA_CTL_READ, 2, 0x500);
    ck_assert_int_eq(memcmp(fx->ram + 0x500, "89", 2), 0);
    /* Skipping beyond the end stops at the end. */
    sel(m, (uint16_t)key);
    dma(fx, 0x100, FW_CFG_DMA_CTL_SKIP, 100, 0);
    ck_assert_uint_eq(fx->f->cur_offset, 10);
    /* Select alone just selects. */
    dma(fx, 0x100, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0);
    ck_assert_uint_eq(be32(fx->ram + 0x100), 0);
    char sig[4];
    read_data(m, sig, 4);
    ck_assert_int_eq(memcmp(sig, "QEMU", 4), 0);
    fx_free(fx);
}
END_TEST

START_TEST(dma_errors_and_absent_items)
{
    struct fixture *fx = fx_new();
    ck_assert_int_eq(fw_cfg_add_file(fx->f, "f", "abcd", 4), 0);
    int key = fw_cfg_file_select(fx->f, "f");
    /* Writing is refused (nothing is guest-writable), for a bad selector
     * as for a real one, and the item is left alone. */
    memcpy(fx->ram + 0x600, "WXYZ", 4);
    dma(fx, 0x100, 0x1234u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x600);
    ck_assert_uint_eq(be32(fx->ram + 0x100), FW_CFG_DMA_CTL_ERROR);
    dma(fx, 0x100, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
        4, 0x600);
    ck_assert_uint_eq(be32(fx->ram + 0x100), FW_CFG_DMA_CTL_ERROR);
    dma(fx, 0x100, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
        4, 0x700);
    ck_assert_uint_eq(be32(fx->ram + 0x100), 0);
    ck_assert_int_eq(memcmp(fx->ram + 0x700, "abcd", 4), 0);
    /* Reading an item the machine lacks yields zeros without an error,
     * which is how SeaBIOS probes optional legacy items. */
    memset(fx->ram + 0x800, 0x55, 16);
    dma(fx, 0x100, (uint32_t)FW_CFG_E820_TABLE << 16 | FW_CFG_DMA_CTL_SELECT |
                       FW_CFG_DMA_CTL_READ, 4, 0x800);
    ck_assert_uint_eq(be32(fx->ram + 0x100), 0);
    ck_assert_uint_eq(be32(fx->ram + 0x800), 0);
    ck_assert_uint_eq(fx->ram[0x804], 0x55);
    dma(fx, 0x100, 0x3000u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8, 0x800);
    ck_assert_uint_eq(be32(fx->ram + 0x804), 0);
    fx_free(fx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("fw_cfg");
    tcase_add_test(tc, signature_and_id_through_ports);
    tcase_add_test(tc, integers_are_little_endian);
    tcase_add_test(tc, file_directory_is_sorted);
    tcase_add_test(tc, dma_read_of_a_file);
    tcase_add_test(tc, dma_skip_and_select);
    tcase_add_test(tc, dma_errors_and_absent_items);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
