/* Unit tests for the bzImage direct loader: a synthetic kernel image loaded
 * into a 64 MiB machine, checked through guest memory and the CPU state. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/linux_boot.h"
#include "hw/machine.h"
#include "test_util.h"

#define RAM_SIZE (64ull << 20)
#define PAYLOAD_SIZE 8192
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)

static struct machine m;
static uint8_t *ram;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static void setup_machine(void)
{
    ram = test_machine_with_ram(&m, RAM_SIZE);
    test_e820_add_pc_low_memory(&m);
    e820_add(&m.e820, 0x100000, RAM_SIZE - 0x100000, E820_RAM);
}

struct image_opts {
    uint16_t version;
    uint32_t cmdline_size;
    uint32_t initrd_addr_max;
    uint8_t relocatable;
    uint64_t pref_address;
    uint32_t init_size;
};

static const struct image_opts default_opts = {
    .version = 0x020f,
    .cmdline_size = 2047,
    .initrd_addr_max = 0x7fffffff,
    .relocatable = 1,
    .pref_address = 0x1000000,
    .init_size = 0x400000,
};

static uint8_t payload_byte(size_t i) { return (uint8_t)(i * 7 + 3); }

/* A bzImage-shaped file: boot sector, setup header, 4 setup sectors, then a
 * patterned protected-mode payload. */
static size_t build_image(uint8_t *img, const struct image_opts *o)
{
    size_t len = SETUP_SIZE + PAYLOAD_SIZE;
    memset(img, 0, len);
    img[0x1f1] = SETUP_SECTS;
    wr16(img + 0x1f2, 1);                 /* root_flags */
    wr32(img + 0x1f4, PAYLOAD_SIZE / 16); /* syssize */
    wr16(img + 0x1fa, 0xfffd);            /* vid_mode "ask": the loader must override */
    wr16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;                    /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    wr16(img + 0x206, o->version);
    wr16(img + 0x20e, 0x1234);            /* kernel_version */
    img[0x211] = 0x01;                    /* LOADED_HIGH */
    wr32(img + 0x214, 0x100000);
    wr32(img + 0x22c, o->initrd_addr_max);
    wr32(img + 0x230, 0x200000);
    img[0x234] = o->relocatable;
    img[0x235] = 21;
    wr16(img + 0x236, 0x3);
    wr32(img + 0x238, o->cmdline_size);
    wr64(img + 0x258, o->pref_address);
    wr32(img + 0x260, o->init_size);
    wr32(img + 0x268, 0xabcd);            /* kernel_info_offset, last header field */
    wr32(img + 0x26c, 0xdeadbeef);        /* beyond the header: must not be copied */
    for (size_t i = 0; i < PAYLOAD_SIZE; i++)
        img[SETUP_SIZE + i] = payload_byte(i);
    return len;
}

static char *write_temp(const void *data, size_t len) { return test_write_temp_file("linux_boot", data, len); }

static char *write_image(const struct image_opts *o)
{
    static uint8_t img[SETUP_SIZE + PAYLOAD_SIZE];
    size_t len = build_image(img, o);
    return write_temp(img, len);
}

static void remove_temp(char *path) { test_remove_temp_file(path); }

/* Decodes a GDT descriptor into the cached-segment form of cpu.h. */
static void check_descriptor(uint64_t d, uint64_t base, uint32_t limit, uint16_t attr)
{
    uint64_t dbase = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
    uint32_t dlimit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
    uint16_t dattr = (uint16_t)((d >> 40) & 0xf0ff);
    if (dattr & SEG_ATTR_G)
        dlimit = (dlimit << 12) | 0xfff;
    ck_assert_uint_eq(dbase, base);
    ck_assert_uint_eq(dlimit, limit);
    ck_assert_uint_eq(dattr, attr);
}

START_TEST(loads_kernel_initrd_and_zero_page)
{
    setup_machine();
    char *kernel = write_image(&default_opts);
    size_t initrd_len = 100000;
    uint8_t *initrd_data = malloc(initrd_len);
    for (size_t i = 0; i < initrd_len; i++)
        initrd_data[i] = (uint8_t)(i ^ (i >> 8));
    char *initrd = write_temp(initrd_data, initrd_len);
    const char *cmdline = "console=ttyS0 root=/dev/vda";
    char err[256] = "";

    ck_assert_int_eq(linux_boot_load(&m, kernel, initrd, cmdline, err, sizeof(err)), 0);

    for (size_t i = 0; i < PAYLOAD_SIZE; i++)
        ck_assert_uint_eq(ram[0x100000 + i], payload_byte(i));

    const uint8_t *zp = ram + LINUX_BOOT_ZERO_PAGE;
    /* setup header copied, loader fields written */
    ck_assert_uint_eq(zp[0x1f1], SETUP_SECTS);
    ck_assert_uint_eq(rd16(zp + 0x1f2), 1);
    ck_assert_uint_eq(rd16(zp + 0x1fe), 0xaa55);
    ck_assert_mem_eq(zp + 0x202, "HdrS", 4);
    ck_assert_uint_eq(rd16(zp + 0x206), 0x020f);
    ck_assert_uint_eq(rd16(zp + 0x20e), 0x1234);
    ck_assert_uint_eq(rd32(zp + 0x238), 2047);
    ck_assert_uint_eq(rd32(zp + 0x268), 0xabcd);
    ck_assert_uint_eq(rd32(zp + 0x26c), 0);
    ck_assert_uint_eq(rd16(zp + 0x1fa), 0xffff);
    ck_assert_uint_eq(zp[0x210], 0xff);
    ck_assert_uint_eq(zp[0x211], 0x81); /* LOADED_HIGH | CAN_USE_HEAP */
    ck_assert_uint_eq(rd16(zp + 0x224), 0xde00);
    ck_assert_uint_eq(rd32(zp + 0x214), 0x100000);
    ck_assert_uint_eq(rd32(zp + 0x228), LINUX_BOOT_CMDLINE_ADDR);
    ck_assert_str_eq((const char *)ram + LINUX_BOOT_CMDLINE_ADDR, cmdline);

    /* initrd: page aligned, as high as RAM allows, above the kernel's
     * decompression area (pref_address + init_size) */
    uint32_t rd_addr = rd32(zp + 0x218), rd_size = rd32(zp + 0x21c);
    ck_assert_uint_eq(rd_size, initrd_len);
    ck_assert_uint_eq(rd_addr & 0xfff, 0);
    ck_assert_uint_eq(rd_addr, (RAM_SIZE - initrd_len) & ~0xfffull);
    ck_assert_uint_ge(rd_addr, 0x1000000 + 0x400000);
    ck_assert_mem_eq(ram + rd_addr, initrd_data, initrd_len);

    /* e820 */
    ck_assert_uint_eq(zp[0x1e8], m.e820.count);
    for (unsigned i = 0; i < m.e820.count; i++) {
        const uint8_t *e = zp + 0x2d0 + 20 * i;
        ck_assert_uint_eq(rd64(e), m.e820.entries[i].addr);
        ck_assert_uint_eq(rd64(e + 8), m.e820.entries[i].size);
        ck_assert_uint_eq(rd32(e + 16), m.e820.entries[i].type);
    }
    ck_assert_uint_eq(rd32(zp + 0x1e0), (RAM_SIZE - 0x100000) >> 10);
    ck_assert_uint_eq(rd64(zp + 0x070), 0);

    /* CPU at the 32-bit entry */
    const struct x86_cpu *c = &m.cpu;
    ck_assert(c->cr0 & X86_CR0_PE);
    ck_assert(!(c->cr0 & X86_CR0_PG));
    ck_assert_uint_eq(c->rip, 0x100000);
    ck_assert_uint_eq(c->regs[R_RSI], LINUX_BOOT_ZERO_PAGE);
    ck_assert_uint_eq(c->regs[R_RBP], 0);
    ck_assert_uint_eq(c->regs[R_RDI], 0);
    ck_assert_uint_eq(c->regs[R_RBX], 0);
    ck_assert_uint_eq(c->rflags, 0x2);
    ck_assert_uint_eq(c->efer, 0);
    ck_assert_uint_eq(c->seg[S_CS].selector, 0x10);
    ck_assert_uint_eq(c->seg[S_CS].base, 0);
    ck_assert_uint_eq(c->seg[S_CS].limit, 0xffffffffu);
    ck_assert_uint_eq(c->seg[S_CS].attr, 0xc09b);
    const enum x86_segreg data_segs[] = { S_DS, S_ES, S_SS, S_FS, S_GS };
    for (unsigned i = 0; i < 5; i++) {
        ck_assert_uint_eq(c->seg[data_segs[i]].selector, 0x18);
        ck_assert_uint_eq(c->seg[data_segs[i]].limit, 0xffffffffu);
        ck_assert_uint_eq(c->seg[data_segs[i]].attr, 0xc093);
        ck_assert(!c->seg[data_segs[i]].unusable);
    }
    ck_assert_uint_eq(c->tr.attr, 0x8b);
    ck_assert_uint_eq(c->tr.limit, 0x67);
    ck_assert_uint_eq(c->tr.base, 0);
    ck_assert(m.a20_enabled);

    /* the GDT in guest memory describes the same segments */
    ck_assert_uint_eq(c->gdtr.base, LINUX_BOOT_GDT_ADDR);
    ck_assert_uint_eq(c->gdtr.limit, 5 * 8 - 1);
    const uint8_t *gdt = ram + LINUX_BOOT_GDT_ADDR;
    ck_assert_uint_eq(rd64(gdt), 0);
    check_descriptor(rd64(gdt + 0x10), 0, 0xffffffffu, c->seg[S_CS].attr);
    check_descriptor(rd64(gdt + 0x18), 0, 0xffffffffu, c->seg[S_DS].attr);
    check_descriptor(rd64(gdt + 0x20), 0, 0x67, c->tr.attr);
    ck_assert_uint_eq(c->tr.selector, 0x20);

    free(initrd_data);
    remove_temp(kernel);
    remove_temp(initrd);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(initrd_stays_below_initrd_addr_max)
{
    setup_machine();
    struct image_opts o = default_opts;
    o.initrd_addr_max = 0x1ffffff;
    char *kernel = write_image(&o);
    uint8_t data[5000];
    memset(data, 0x5a, sizeof(data));
    char *initrd = write_temp(data, sizeof(data));
    char err[256] = "";
    ck_assert_int_eq(linux_boot_load(&m, kernel, initrd, NULL, err, sizeof(err)), 0);
    const uint8_t *zp = ram + LINUX_BOOT_ZERO_PAGE;
    uint32_t addr = rd32(zp + 0x218);
    ck_assert_uint_eq(addr, (0x2000000 - sizeof(data)) & ~0xfffu);
    ck_assert_uint_le(addr + sizeof(data) - 1, 0x1ffffff);
    ck_assert_mem_eq(ram + addr, data, sizeof(data));
    /* no command line given: an empty string is still passed */
    ck_assert_uint_eq(rd32(zp + 0x228), LINUX_BOOT_CMDLINE_ADDR);
    ck_assert_uint_eq(ram[LINUX_BOOT_CMDLINE_ADDR], 0);
    remove_temp(kernel);
    remove_temp(initrd);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(no_initrd_leaves_ramdisk_fields_zero)
{
    setup_machine();
    char *kernel = write_image(&default_opts);
    char err[256] = "";
    ck_assert_int_eq(linux_boot_load(&m, kernel, NULL, "quiet", err, sizeof(err)), 0);
    const uint8_t *zp = ram + LINUX_BOOT_ZERO_PAGE;
    ck_assert_uint_eq(rd32(zp + 0x218), 0);
    ck_assert_uint_eq(rd32(zp + 0x21c), 0);
    ck_assert_str_eq((const char *)ram + LINUX_BOOT_CMDLINE_ADDR, "quiet");
    remove_temp(kernel);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(relocates_when_low_ram_is_missing)
{
    ram = test_machine_with_ram(&m, RAM_SIZE);
    e820_add(&m.e820, 0, 0x9fc00, E820_RAM);
    e820_add(&m.e820, 0x100000, 0x300000, E820_RESERVED);
    e820_add(&m.e820, 0x400000, RAM_SIZE - 0x400000, E820_RAM);
    struct image_opts o = default_opts;
    o.pref_address = 0;
    char *kernel = write_image(&o);
    char err[256] = "";
    ck_assert_int_eq(linux_boot_load(&m, kernel, NULL, NULL, err, sizeof(err)), 0);
    ck_assert_uint_eq(m.cpu.rip, 0x400000);
    ck_assert_uint_eq(rd32(ram + LINUX_BOOT_ZERO_PAGE + 0x214), 0x400000);
    ck_assert_uint_eq(ram[0x400000 + 5], payload_byte(5));
    ck_assert_uint_eq(ram[0x100000 + 5], 0);
    remove_temp(kernel);

    /* the same layout with a kernel that cannot move is refused */
    o.relocatable = 0;
    kernel = write_image(&o);
    ck_assert_int_eq(linux_boot_load(&m, kernel, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not relocatable"));
    remove_temp(kernel);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(acpi_rsdp_needs_protocol_2_14)
{
    setup_machine();
    char err[256] = "";
    char *kernel = write_image(&default_opts);
    ck_assert_int_eq(linux_boot_load(&m, kernel, NULL, NULL, err, sizeof(err)), 0);
    ck_assert(linux_boot_set_acpi_rsdp(&m, 0xe0000));
    ck_assert_uint_eq(rd64(ram + LINUX_BOOT_ZERO_PAGE + 0x070), 0xe0000);
    remove_temp(kernel);

    struct image_opts o = default_opts;
    o.version = 0x020d;
    kernel = write_image(&o);
    ck_assert_int_eq(linux_boot_load(&m, kernel, NULL, NULL, err, sizeof(err)), 0);
    ck_assert(!linux_boot_set_acpi_rsdp(&m, 0xe0000));
    ck_assert_uint_eq(rd64(ram + LINUX_BOOT_ZERO_PAGE + 0x070), 0);
    remove_temp(kernel);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(detects_bzimage)
{
    static uint8_t img[SETUP_SIZE + PAYLOAD_SIZE];
    size_t len = build_image(img, &default_opts);
    ck_assert(linux_boot_is_bzimage(img, len));
    ck_assert(!linux_boot_is_bzimage(img, 0x300));
    img[0x211] = 0; /* zImage */
    ck_assert(!linux_boot_is_bzimage(img, len));
    img[0x211] = 1;
    img[0x202] = 'X';
    ck_assert(!linux_boot_is_bzimage(img, len));
}
END_TEST

START_TEST(reports_errors)
{
    setup_machine();
    char err[256];

    ck_assert_int_eq(linux_boot_load(&m, "/nonexistent/vmlinuz", NULL, NULL, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "cannot open /nonexistent/vmlinuz: No such file or directory");

    uint8_t small[100] = { 0 };
    char *path = write_temp(small, sizeof(small));
    ck_assert_int_eq(linux_boot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "too small"));
    remove_temp(path);

    uint8_t *junk = calloc(1, 16384);
    path = write_temp(junk, 16384);
    ck_assert_int_eq(linux_boot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a bzImage"));
    remove_temp(path);
    free(junk);

    struct image_opts o = default_opts;
    o.version = 0x0205;
    path = write_image(&o);
    ck_assert_int_eq(linux_boot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "2.05 too old"));
    remove_temp(path);

    o = default_opts;
    o.cmdline_size = 16;
    path = write_image(&o);
    ck_assert_int_eq(linux_boot_load(&m, path, NULL, "0123456789abcdefX", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "command line too long"));
    ck_assert_int_eq(linux_boot_load(&m, path, NULL, "0123456789abcdef", err, sizeof(err)), 0);
    ck_assert_str_eq((const char *)ram + LINUX_BOOT_CMDLINE_ADDR, "0123456789abcdef");

    /* an initrd bigger than the RAM left above the kernel (sparse file) */
    char *big = write_temp("", 0);
    ck_assert_int_eq(truncate(big, 50 << 20), 0);
    ck_assert_int_eq(linux_boot_load(&m, path, big, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not fit in memory"));
    remove_temp(big);
    ck_assert_int_eq(linux_boot_load(&m, path, "/nonexistent/initrd", NULL, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "cannot open /nonexistent/initrd: No such file or directory");
    remove_temp(path);

    /* a kernel whose init_size goes past the end of RAM */
    o = default_opts;
    o.init_size = 0x4000000;
    path = write_image(&o);
    ck_assert_int_eq(linux_boot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not fit in RAM"));
    remove_temp(path);
    test_machine_free_ram(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linux_boot");
    TCase *tc = tcase_create("linux_boot");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, loads_kernel_initrd_and_zero_page);
    tcase_add_test(tc, initrd_stays_below_initrd_addr_max);
    tcase_add_test(tc, no_initrd_leaves_ramdisk_fields_zero);
    tcase_add_test(tc, relocates_when_low_ram_is_missing);
    tcase_add_test(tc, acpi_rsdp_needs_protocol_2_14);
    tcase_add_test(tc, detects_bzimage);
    tcase_add_test(tc, reports_errors);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
