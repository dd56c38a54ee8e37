/* Unit tests for the Multiboot loader: synthetic ELF32 and a.out-kludge
 * kernels, modules, and the information structure read back from RAM. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/linux_boot.h"
#include "hw/machine.h"
#include "hw/multiboot.h"
#include "test_util.h"

#define RAM_SIZE (64ull << 20)

static struct machine m;
static uint8_t *ram;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }

static void setup_machine(void)
{
    ram = test_machine_with_ram(&m, RAM_SIZE);
    test_e820_add_pc_low_memory(&m);
    e820_add(&m.e820, 0x100000, RAM_SIZE - 0x100000 - 0x10000, E820_RAM);
    e820_add(&m.e820, RAM_SIZE - 0x10000, 0x10000, E820_ACPI);
}

static char *write_temp(const void *data, size_t len) { return test_write_temp_file("multiboot", data, len); }

static void remove_temp(char *path) { test_remove_temp_file(path); }

static void put_mb_header(uint8_t *p, uint32_t flags)
{
    wr32(p, 0x1BADB002u);
    wr32(p + 4, flags);
    wr32(p + 8, (uint32_t)-(0x1BADB002u + flags));
}

static uint8_t pattern(size_t i, unsigned seed) { return (uint8_t)(i * 13 + seed); }

/* ELF32 image: a text segment linked at 0xC0100000 but loaded at 0x100000,
 * a data segment with bss at 0x102000, and a non-loadable note between. */
#define ELF_SIZE 0x2000
#define TEXT_OFF 0x1000
#define TEXT_SIZE 0x800
#define DATA_OFF 0x1800
#define DATA_FILESZ 0x200
#define DATA_MEMSZ 0x2f00

static void put_phdr(uint8_t *ph, uint32_t type, uint32_t off, uint32_t vaddr, uint32_t paddr,
                     uint32_t filesz, uint32_t memsz)
{
    wr32(ph, type);
    wr32(ph + 4, off);
    wr32(ph + 8, vaddr);
    wr32(ph + 12, paddr);
    wr32(ph + 16, filesz);
    wr32(ph + 20, memsz);
    wr32(ph + 24, 5);
    wr32(ph + 28, 0x1000);
}

static void build_elf(uint8_t *f, uint32_t mb_flags, uint32_t data_paddr)
{
    memset(f, 0, ELF_SIZE);
    memcpy(f, "\x7f" "ELF", 4);
    f[4] = 1; /* ELFCLASS32 */
    f[5] = 1; /* little endian */
    f[6] = 1;
    wr16(f + 16, 2);          /* ET_EXEC */
    wr16(f + 18, 3);          /* EM_386 */
    wr32(f + 20, 1);
    wr32(f + 24, 0xC0100010); /* virtual entry */
    wr32(f + 28, 52);         /* e_phoff */
    wr16(f + 40, 52);
    wr16(f + 42, 32);
    wr16(f + 44, 3);
    put_phdr(f + 52, 1, TEXT_OFF, 0xC0100000, 0x100000, TEXT_SIZE, TEXT_SIZE);
    put_phdr(f + 84, 4, 0, 0xdead0000, 0xdead0000, 0x10, 0x10); /* PT_NOTE, ignored */
    put_phdr(f + 116, 1, DATA_OFF, 0xC0000000 + data_paddr, data_paddr, DATA_FILESZ, DATA_MEMSZ);
    put_mb_header(f + 0x100, mb_flags);
    for (size_t i = 0; i < TEXT_SIZE; i++)
        f[TEXT_OFF + i] = pattern(i, 1);
    for (size_t i = 0; i < DATA_FILESZ; i++)
        f[DATA_OFF + i] = pattern(i, 2);
}

START_TEST(loads_elf_kernel_modules_and_info)
{
    setup_machine();
    static uint8_t elf[ELF_SIZE];
    build_elf(elf, 0x3, 0x102000);
    char *kernel = write_temp(elf, sizeof(elf));
    uint8_t moda[5000], modb[3] = { 0xa1, 0xb2, 0xc3 };
    for (size_t i = 0; i < sizeof(moda); i++)
        moda[i] = pattern(i, 9);
    char *pa = write_temp(moda, sizeof(moda));
    char *pb = write_temp(modb, sizeof(modb));
    char list[256], stra[128];
    snprintf(stra, sizeof(stra), "%s root=/x", pa);
    snprintf(list, sizeof(list), "%s,%s", stra, pb);
    /* the bss starts dirty so zeroing is visible */
    memset(ram + 0x102000, 0xee, DATA_MEMSZ + 0x1000);
    char err[256] = "";

    ck_assert_int_eq(multiboot_load(&m, kernel, list, "console=ttyS0 -v", err, sizeof(err)), 0);

    for (size_t i = 0; i < TEXT_SIZE; i++)
        ck_assert_uint_eq(ram[0x100000 + i], pattern(i, 1));
    for (size_t i = 0; i < DATA_FILESZ; i++)
        ck_assert_uint_eq(ram[0x102000 + i], pattern(i, 2));
    for (size_t i = DATA_FILESZ; i < DATA_MEMSZ; i++)
        ck_assert_uint_eq(ram[0x102000 + i], 0);
    ck_assert_uint_eq(ram[0x102000 + DATA_MEMSZ], 0xee);

    /* CPU */
    const struct x86_cpu *c = &m.cpu;
    ck_assert_uint_eq(c->regs[R_RAX], 0x2BADB002u);
    ck_assert_uint_eq(c->regs[R_RBX], MULTIBOOT_INFO_ADDR);
    ck_assert_uint_eq(c->rip, 0x100010);
    ck_assert(c->cr0 & X86_CR0_PE);
    ck_assert(!(c->cr0 & X86_CR0_PG));
    ck_assert(!(c->rflags & X86_FLAG_IF));
    ck_assert(!(c->rflags & X86_FLAG_VM));
    ck_assert_uint_eq(c->seg[S_CS].base, 0);
    ck_assert_uint_eq(c->seg[S_CS].limit, 0xffffffffu);
    ck_assert_uint_eq(c->seg[S_CS].attr & 0x1f, 0x1b);
    ck_assert(c->seg[S_CS].attr & SEG_ATTR_DB);
    ck_assert_uint_eq(c->seg[S_SS].limit, 0xffffffffu);
    ck_assert_uint_eq(c->seg[S_DS].attr & 0x1f, 0x13);
    ck_assert(m.a20_enabled);

    /* information structure */
    const uint8_t *mbi = ram + MULTIBOOT_INFO_ADDR;
    uint32_t flags = rd32(mbi);
    ck_assert_uint_eq(flags, (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    ck_assert_uint_eq(rd32(mbi + 4), 639);
    ck_assert_uint_eq(rd32(mbi + 8), (RAM_SIZE - 0x100000 - 0x10000) >> 10);
    ck_assert_uint_eq(rd32(mbi + 12), 0xffffffffu);
    char expect_cmd[256];
    snprintf(expect_cmd, sizeof(expect_cmd), "%s console=ttyS0 -v", kernel);
    ck_assert_str_eq((const char *)ram + rd32(mbi + 16), expect_cmd);
    ck_assert_str_eq((const char *)ram + rd32(mbi + 64), "vx86");

    /* memory map mirrors e820 */
    ck_assert_uint_eq(rd32(mbi + 44), m.e820.count * 24);
    const uint8_t *mm = ram + rd32(mbi + 48);
    for (unsigned i = 0; i < m.e820.count; i++) {
        ck_assert_uint_eq(rd32(mm), 20);
        ck_assert_uint_eq(rd64(mm + 4), m.e820.entries[i].addr);
        ck_assert_uint_eq(rd64(mm + 12), m.e820.entries[i].size);
        ck_assert_uint_eq(rd32(mm + 20), m.e820.entries[i].type);
        mm += 4 + rd32(mm);
    }

    /* modules: page aligned, after the kernel's bss, in order */
    ck_assert_uint_eq(rd32(mbi + 20), 2);
    const uint8_t *mods = ram + rd32(mbi + 24);
    uint32_t a_start = rd32(mods), a_end = rd32(mods + 4);
    uint32_t b_start = rd32(mods + 16), b_end = rd32(mods + 20);
    ck_assert_uint_eq(a_start & 0xfff, 0);
    ck_assert_uint_eq(b_start & 0xfff, 0);
    ck_assert_uint_ge(a_start, 0x102000 + DATA_MEMSZ);
    ck_assert_uint_eq(a_start, 0x105000);
    ck_assert_uint_eq(a_end - a_start, sizeof(moda));
    ck_assert_uint_ge(b_start, a_end);
    ck_assert_uint_eq(b_end - b_start, sizeof(modb));
    ck_assert_mem_eq(ram + a_start, moda, sizeof(moda));
    ck_assert_mem_eq(ram + b_start, modb, sizeof(modb));
    ck_assert_str_eq((const char *)ram + rd32(mods + 8), stra);
    ck_assert_str_eq((const char *)ram + rd32(mods + 24), pb);

    remove_temp(kernel);
    remove_temp(pa);
    remove_temp(pb);
    test_machine_free_ram(&m);
}
END_TEST

/* Raw binary with the a.out kludge: header 0x40 into the file, loaded from
 * file offset 0 at 0x200000, 0x1000 bytes of data then 0x2000 of bss, and
 * trailing file bytes that must not be loaded. */
START_TEST(loads_aout_kludge_kernel)
{
    setup_machine();
    static uint8_t f[0x1800];
    for (size_t i = 0; i < sizeof(f); i++)
        f[i] = pattern(i, 5);
    put_mb_header(f + 0x40, 0x10003);
    wr32(f + 0x4c, 0x200040); /* header_addr */
    wr32(f + 0x50, 0x200000); /* load_addr */
    wr32(f + 0x54, 0x201000); /* load_end_addr */
    wr32(f + 0x58, 0x203000); /* bss_end_addr */
    wr32(f + 0x5c, 0x200100); /* entry_addr */
    char *kernel = write_temp(f, sizeof(f));
    memset(ram + 0x200000, 0xee, 0x4000);
    char err[256] = "";

    ck_assert_int_eq(multiboot_load(&m, kernel, NULL, NULL, err, sizeof(err)), 0);
    ck_assert_mem_eq(ram + 0x200000, f, 0x1000);
    for (size_t i = 0x201000; i < 0x203000; i++)
        ck_assert_uint_eq(ram[i], 0);
    ck_assert_uint_eq(ram[0x203000], 0xee);
    ck_assert_uint_eq(m.cpu.rip, 0x200100);
    ck_assert_uint_eq(m.cpu.regs[R_RAX], 0x2BADB002u);
    ck_assert_uint_eq(m.cpu.regs[R_RBX], MULTIBOOT_INFO_ADDR);
    const uint8_t *mbi = ram + MULTIBOOT_INFO_ADDR;
    ck_assert_uint_eq(rd32(mbi + 20), 0);
    ck_assert_str_eq((const char *)ram + rd32(mbi + 16), kernel);
    remove_temp(kernel);

    /* load_end_addr 0 loads to the end of the file; bss_end_addr 0 means no bss;
     * here the header sits 0x40 into a load area starting at 0x300000 */
    wr32(f + 0x4c, 0x300040);
    wr32(f + 0x50, 0x300000);
    wr32(f + 0x54, 0);
    wr32(f + 0x58, 0);
    wr32(f + 0x5c, 0x300000);
    kernel = write_temp(f, sizeof(f));
    memset(ram + 0x300000, 0xee, 0x2000);
    ck_assert_int_eq(multiboot_load(&m, kernel, NULL, "", err, sizeof(err)), 0);
    ck_assert_mem_eq(ram + 0x300000, f, sizeof(f));
    ck_assert_uint_eq(ram[0x300000 + sizeof(f)], 0xee);
    ck_assert_uint_eq(m.cpu.rip, 0x300000);
    remove_temp(kernel);
    test_machine_free_ram(&m);
}
END_TEST

static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

/* ELF64 kernel linked in the top 2 GiB, loaded at 1 MiB by p_paddr, with a
 * 32-bit entry reached through the segment's physical address. */
START_TEST(loads_elf64_kernel)
{
    setup_machine();
    static uint8_t f[0x2000];
    memset(f, 0, sizeof(f));
    memcpy(f, "\x7f" "ELF", 4);
    f[4] = 2; /* ELFCLASS64 */
    f[5] = 1;
    f[6] = 1;
    wr16(f + 16, 2);
    wr16(f + 18, 62); /* EM_X86_64 */
    wr32(f + 20, 1);
    wr64(f + 24, 0xffffffff80100020ull);
    wr64(f + 32, 64); /* e_phoff */
    wr16(f + 52, 64);
    wr16(f + 54, 56);
    wr16(f + 56, 1);
    uint8_t *ph = f + 64;
    wr32(ph, 1);
    wr32(ph + 4, 5);
    wr64(ph + 8, 0x1000);                  /* p_offset */
    wr64(ph + 16, 0xffffffff80100000ull);  /* p_vaddr */
    wr64(ph + 24, 0x100000);               /* p_paddr */
    wr64(ph + 32, 0x400);                  /* p_filesz */
    wr64(ph + 40, 0x1400);                 /* p_memsz */
    put_mb_header(f + 0x200, 0x2);
    for (size_t i = 0; i < 0x400; i++)
        f[0x1000 + i] = pattern(i, 7);
    char *kernel = write_temp(f, sizeof(f));
    memset(ram + 0x100000, 0xee, 0x2000);
    char err[256] = "";
    ck_assert_int_eq(multiboot_load(&m, kernel, NULL, NULL, err, sizeof(err)), 0);
    ck_assert_mem_eq(ram + 0x100000, f + 0x1000, 0x400);
    for (size_t i = 0x400; i < 0x1400; i++)
        ck_assert_uint_eq(ram[0x100000 + i], 0);
    ck_assert_uint_eq(ram[0x101400], 0xee);
    ck_assert_uint_eq(m.cpu.rip, 0x100020);
    ck_assert_uint_eq(m.cpu.regs[R_RAX], 0x2BADB002u);
    remove_temp(kernel);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(detects_header_within_8k)
{
    static uint8_t buf[12000];
    size_t off = 0;
    memset(buf, 0, sizeof(buf));
    ck_assert(!multiboot_detect(buf, sizeof(buf), &off));
    put_mb_header(buf + 8180, 0);
    ck_assert(multiboot_detect(buf, sizeof(buf), &off));
    ck_assert_uint_eq(off, 8180);
    memset(buf, 0, sizeof(buf));
    put_mb_header(buf + 8184, 0); /* not wholly within the first 8192 bytes */
    ck_assert(!multiboot_detect(buf, sizeof(buf), &off));
    memset(buf, 0, sizeof(buf));
    put_mb_header(buf + 0x102, 0); /* not 4-byte aligned */
    ck_assert(!multiboot_detect(buf, sizeof(buf), &off));
    memset(buf, 0, sizeof(buf));
    put_mb_header(buf + 0x100, 0);
    buf[0x108] ^= 1; /* checksum off by one */
    ck_assert(!multiboot_detect(buf, sizeof(buf), &off));
    buf[0x108] ^= 1;
    ck_assert(multiboot_detect(buf, sizeof(buf), &off));
    ck_assert_uint_eq(off, 0x100);
    ck_assert(!multiboot_detect(buf, 0x108, &off)); /* truncated header */
}
END_TEST

START_TEST(reports_errors)
{
    setup_machine();
    char err[256];
    static uint8_t elf[ELF_SIZE];

    ck_assert_int_eq(multiboot_load(&m, "/nonexistent/kernel", NULL, NULL, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "cannot open /nonexistent/kernel: No such file or directory");

    memset(elf, 0, sizeof(elf));
    char *path = write_temp(elf, sizeof(elf));
    ck_assert_int_eq(multiboot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a multiboot kernel"));
    remove_temp(path);

    build_elf(elf, 0x3 | (1u << 5), 0x102000);
    path = write_temp(elf, sizeof(elf));
    ck_assert_int_eq(multiboot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "unsupported features (flags 0x20)"));
    remove_temp(path);

    /* a segment past the end of RAM */
    build_elf(elf, 0x3, 0x8000000);
    path = write_temp(elf, sizeof(elf));
    ck_assert_int_eq(multiboot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not fit in RAM"));
    remove_temp(path);

    /* a segment over the information area */
    build_elf(elf, 0x3, 0x9000);
    path = write_temp(elf, sizeof(elf));
    ck_assert_int_eq(multiboot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "overlaps the loader's low memory"));
    remove_temp(path);

    build_elf(elf, 0x3, 0x102000);
    path = write_temp(elf, sizeof(elf));
    ck_assert_int_eq(multiboot_load(&m, path, "/nonexistent/mod", NULL, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "cannot open /nonexistent/mod: No such file or directory");
    char *big = write_temp("", 0);
    ck_assert_int_eq(truncate(big, 70 << 20), 0);
    ck_assert_int_eq(multiboot_load(&m, path, big, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not fit in memory"));
    remove_temp(big);
    remove_temp(path);

    /* neither ELF nor a.out kludge */
    memset(elf, 0, sizeof(elf));
    put_mb_header(elf + 0x40, 0x3);
    path = write_temp(elf, sizeof(elf));
    ck_assert_int_eq(multiboot_load(&m, path, NULL, NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "neither ELF nor"));
    remove_temp(path);
    test_machine_free_ram(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("multiboot");
    TCase *tc = tcase_create("multiboot");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, loads_elf_kernel_modules_and_info);
    tcase_add_test(tc, loads_aout_kludge_kernel);
    tcase_add_test(tc, loads_elf64_kernel);
    tcase_add_test(tc, detects_header_within_8k);
    tcase_add_test(tc, reports_errors);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
