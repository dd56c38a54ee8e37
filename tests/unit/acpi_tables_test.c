/* Unit tests for the ACPI table builder: tables found the way an OS finds
 * them (RSDP scan of 0xE0000-0xFFFFF, then XSDT/RSDT), checksums, FADT
 * fields, MADT entries and the DSDT's \_S5 AML decoded byte by byte. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi_tables.h"
#include "hw/machine.h"
#include "test_util.h"

#define RAM_SIZE (64ull << 20)
#define TABLES_GPA (RAM_SIZE - 0x10000 + 0x8) /* deliberately not 64-byte aligned */
#define TABLES_SPACE 0x8000
#define RSDP_GPA 0xf5a40ull

static struct machine m;
static uint8_t *ram;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void setup_machine(void)
{
    ram = test_machine_with_ram(&m, RAM_SIZE);
    /* a decoy with a bad checksum, which a correct scan skips */
    memcpy(ram + 0xe0010, "RSD PTR ", 8);
    ram[0xe0018] = 0x55;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* The OS's legacy search: 16-byte boundaries in the BIOS area. */
static const uint8_t *scan_rsdp(void)
{
    for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
        const uint8_t *p = ram + a;
        if (memcmp(p, "RSD PTR ", 8) == 0 && sum(p, 20) == 0)
            return p;
    }
    return NULL;
}

static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
    ck_assert_uint_lt(gpa, RAM_SIZE);
    const uint8_t *t = ram + gpa;
    ck_assert_mem_eq(t, sig, 4);
    ck_assert_uint_ge(rd32(t + 4), 36);
    ck_assert_uint_eq(sum(t, rd32(t + 4)), 0);
    ck_assert_mem_eq(t + 10, "VX86  ", 6);
    return t;
}

/* Walks RSDP -> XSDT (cross-checked against RSDT) and returns the table
 * with the given signature, or NULL. */
static const uint8_t *find_table(const char *sig, unsigned *count)
{
    const uint8_t *rsdp = scan_rsdp();
    ck_assert_ptr_nonnull(rsdp);
    const uint8_t *xsdt = table_at(rd64(rsdp + 24), "XSDT");
    const uint8_t *rsdt = table_at(rd32(rsdp + 16), "RSDT");
    unsigned n = (rd32(xsdt + 4) - 36) / 8;
    ck_assert_uint_eq((rd32(rsdt + 4) - 36) / 4, n);
    if (count)
        *count = n;
    const uint8_t *found = NULL;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = rd64(xsdt + 36 + 8 * i);
        ck_assert_uint_eq(rd32(rsdt + 36 + 4 * i), a);
        if (memcmp(ram + a, sig, 4) == 0)
            found = table_at(a, sig);
    }
    return found;
}

static void check_gas(const uint8_t *g, uint8_t space, uint8_t width, uint8_t access, uint64_t addr)
{
    ck_assert_uint_eq(g[0], space);
    ck_assert_uint_eq(g[1], width);
    ck_assert_uint_eq(g[2], 0);
    ck_assert_uint_eq(g[3], access);
    ck_assert_uint_eq(rd64(g + 4), addr);
}

/* Decodes one AML integer constant (ZeroOp, OneOp, BytePrefix, WordPrefix). */
static uint64_t aml_int(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    switch (p[0]) {
    case 0x00: *pp = p + 1; return 0;
    case 0x01: *pp = p + 1; return 1;
    case 0x0a: *pp = p + 2; return p[1];
    case 0x0b: *pp = p + 3; return rd16(p + 1);
    default: ck_abort_msg("unexpected AML opcode 0x%02x", p[0]); return 0;
    }
}

/* Decodes Name(_S5_, Package(){...}) at p into vals; returns the byte after it. */
static const uint8_t *decode_s5(const uint8_t *p, uint64_t *vals, unsigned *nvals)
{
    ck_assert_uint_eq(p[0], 0x08); /* NameOp */
    ck_assert_mem_eq(p + 1, "_S5_", 4);
    ck_assert_uint_eq(p[5], 0x12); /* PackageOp */
    const uint8_t *pkg = p + 6;
    unsigned follow = pkg[0] >> 6;
    uint32_t pkglen = follow ? (pkg[0] & 0x0f) : (pkg[0] & 0x3f);
    for (unsigned i = 0; i < follow; i++)
        pkglen |= (uint32_t)pkg[1 + i] << (4 + 8 * i);
    const uint8_t *q = pkg + 1 + follow;
    *nvals = *q++;
    for (unsigned i = 0; i < *nvals; i++)
        vals[i] = aml_int(&q);
    ck_assert_uint_eq((uint32_t)(q - pkg), pkglen);
    return q;
}

START_TEST(rsdp_found_by_scan_with_valid_checksums)
{
    setup_machine();
    char err[256] = "";
    uint64_t rsdp_addr = 0;
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, NULL, &rsdp_addr,
                                       err, sizeof(err)), 0);
    ck_assert_uint_eq(rsdp_addr, RSDP_GPA);
    const uint8_t *rsdp = scan_rsdp();
    ck_assert_ptr_eq(rsdp, ram + RSDP_GPA);
    ck_assert_uint_eq(rsdp[15], 2);
    ck_assert_uint_eq(rd32(rsdp + 20), 36);
    ck_assert_uint_eq(sum(rsdp, 36), 0);
    ck_assert_mem_eq(rsdp + 9, "VX86  ", 6);
    /* tables live in the reserved window */
    ck_assert_uint_ge(rd64(rsdp + 24), TABLES_GPA);
    ck_assert_uint_lt(rd64(rsdp + 24), TABLES_GPA + TABLES_SPACE);
    unsigned n = 0;
    ck_assert_ptr_nonnull(find_table("FACP", &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_nonnull(find_table("APIC", NULL));
    ck_assert_ptr_null(find_table("HPET", NULL));
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(fadt_describes_pm_registers_and_reset)
{
    setup_machine();
    char err[256] = "";
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, NULL, NULL, err,
                                       sizeof(err)), 0);
    const uint8_t *f = find_table("FACP", NULL);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(rd32(f + 4), 276);
    ck_assert_uint_ge(f[8], 3);

    uint32_t facs = rd32(f + 36);
    ck_assert_uint_eq(facs % 64, 0);
    ck_assert_uint_eq(rd64(f + 132), facs);
    ck_assert_mem_eq(ram + facs, "FACS", 4);
    ck_assert_uint_eq(rd32(ram + facs + 4), 64);
    ck_assert_uint_eq(rd64(f + 140), rd32(f + 40));
    table_at(rd32(f + 40), "DSDT");

    ck_assert_uint_eq(rd16(f + 46), 9);       /* SCI_INT */
    ck_assert_uint_eq(rd32(f + 48), 0);       /* SMI_CMD */
    ck_assert_uint_eq(rd32(f + 56), 0x600);   /* PM1a_EVT_BLK */
    ck_assert_uint_eq(rd32(f + 60), 0);       /* PM1b_EVT_BLK */
    ck_assert_uint_eq(rd32(f + 64), 0x604);   /* PM1a_CNT_BLK */
    ck_assert_uint_eq(rd32(f + 76), 0x608);   /* PM_TMR_BLK */
    ck_assert_uint_eq(rd32(f + 80), 0);       /* no GPE0 */
    ck_assert_uint_eq(f[88], 4);
    ck_assert_uint_eq(f[89], 2);
    ck_assert_uint_eq(f[91], 4);
    ck_assert_uint_gt(rd16(f + 96), 100);     /* no C2 */
    ck_assert_uint_gt(rd16(f + 98), 1000);    /* no C3 */
    ck_assert_uint_eq(rd16(f + 109), 0x3);    /* LEGACY_DEVICES | 8042 */
    uint32_t flags = rd32(f + 112);
    ck_assert(flags & (1u << 0));             /* WBINVD */
    ck_assert(flags & (1u << 10));            /* RESET_REG_SUP */
    ck_assert(!(flags & (1u << 20)));         /* not hardware-reduced */
    ck_assert(!(flags & (1u << 8)));          /* 24-bit PM timer by default */
    check_gas(f + 116, 1, 8, 1, 0xcf9);
    ck_assert_uint_eq(f[128], 0x06);
    check_gas(f + 148, 1, 32, 2, 0x600);
    check_gas(f + 160, 0, 0, 0, 0);
    check_gas(f + 172, 1, 16, 2, 0x604);
    check_gas(f + 208, 1, 32, 3, 0x608);
    check_gas(f + 220, 0, 0, 0, 0);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(fadt_follows_config)
{
    setup_machine();
    char err[256] = "";
    struct acpi_tables_config cfg = { .pm_base = 0xb000, .pm_timer_32bit = true,
                                      .gpe0_base = 0xafe0, .gpe0_len = 4, .rtc_century = 0x32 };
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, &cfg, NULL, err,
                                       sizeof(err)), 0);
    const uint8_t *f = find_table("FACP", NULL);
    ck_assert_uint_eq(rd32(f + 56), 0xb000);
    ck_assert_uint_eq(rd32(f + 64), 0xb004);
    ck_assert_uint_eq(rd32(f + 76), 0xb008);
    ck_assert_uint_eq(rd32(f + 80), 0xafe0);
    ck_assert_uint_eq(f[92], 4);
    ck_assert_uint_eq(f[108], 0x32);
    ck_assert(rd32(f + 112) & (1u << 8));
    check_gas(f + 208, 1, 32, 3, 0xb008);
    check_gas(f + 220, 1, 32, 1, 0xafe0);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(madt_lists_apics_and_overrides)
{
    setup_machine();
    char err[256] = "";
    struct acpi_tables_config cfg = { .cpu_count = 2, .ioapic_id = 1 };
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, &cfg, NULL, err,
                                       sizeof(err)), 0);
    const uint8_t *t = find_table("APIC", NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(rd32(t + 36), 0xfee00000u);
    ck_assert_uint_eq(rd32(t + 40), 1);
    uint32_t len = rd32(t + 4);
    unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;
    bool irq0 = false, irq9 = false;
    for (uint32_t off = 44; off < len; off += t[off + 1]) {
        const uint8_t *e = t + off;
        ck_assert_uint_ge(e[1], 2);
        switch (e[0]) {
        case 0:
            ck_assert_uint_eq(e[1], 8);
            ck_assert_uint_eq(e[2], lapics);
            ck_assert_uint_eq(e[3], lapics);
            ck_assert_uint_eq(rd32(e + 4) & 1, 1);
            lapics++;
            break;
        case 1:
            ck_assert_uint_eq(e[1], 12);
            ck_assert_uint_eq(e[2], 1);
            ck_assert_uint_eq(rd32(e + 4), 0xfec00000u);
            ck_assert_uint_eq(rd32(e + 8), 0);
            ioapics++;
            break;
        case 2:
            ck_assert_uint_eq(e[1], 10);
            ck_assert_uint_eq(e[2], 0);
            if (e[3] == 0) {
                ck_assert_uint_eq(rd32(e + 4), 2);
                ck_assert_uint_eq(rd16(e + 8), 0);
                irq0 = true;
            } else {
                ck_assert_uint_eq(e[3], 9);
                ck_assert_uint_eq(rd32(e + 4), 9);
                ck_assert_uint_eq(rd16(e + 8), 0x000d);
                irq9 = true;
            }
            isos++;
            break;
        case 4:
            ck_assert_uint_eq(e[1], 6);
            ck_assert_uint_eq(e[2], 0xff);
            ck_assert_uint_eq(e[5], 1);
            nmis++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", e[0]);
        }
        ck_assert_uint_le(off + e[1], len);
    }
    ck_assert_uint_eq(lapics, 2);
    ck_assert_uint_eq(ioapics, 1);
    ck_assert_uint_eq(isos, 2);
    ck_assert(irq0 && irq9);
    ck_assert_uint_eq(nmis, 1);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(dsdt_holds_s5_package)
{
    setup_machine();
    char err[256] = "";
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, NULL, NULL, err,
                                       sizeof(err)), 0);
    const uint8_t *f = find_table("FACP", NULL);
    const uint8_t *d = table_at(rd64(f + 140), "DSDT");
    ck_assert_uint_ge(d[8], 2);
    /* the exact bytes designed for SLP_TYP 0 */
    static const uint8_t expect[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
                                      0x00, 0x00, 0x00, 0x00 };
    ck_assert_uint_eq(rd32(d + 4), 36 + sizeof(expect));
    ck_assert_mem_eq(d + 36, expect, sizeof(expect));
    uint64_t vals[8];
    unsigned n = 0;
    const uint8_t *end = decode_s5(d + 36, vals, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(vals[0], 0);
    ck_assert_uint_eq(vals[1], 0);
    ck_assert_ptr_eq(end, d + rd32(d + 4));
    test_machine_free_ram(&m);

    /* a non-trivial SLP_TYP and board AML after it */
    setup_machine();
    static const uint8_t extra[] = { 0x08, 'X', 'Y', 'Z', '_', 0x0a, 0x42 };
    struct acpi_tables_config cfg = { .s5_slp_typ = 5, .dsdt_extra_aml = extra,
                                      .dsdt_extra_aml_len = sizeof(extra) };
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, &cfg, NULL, err,
                                       sizeof(err)), 0);
    f = find_table("FACP", NULL);
    d = table_at(rd32(f + 40), "DSDT");
    static const uint8_t expect5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                       0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
    ck_assert_mem_eq(d + 36, expect5, sizeof(expect5));
    end = decode_s5(d + 36, vals, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(vals[0], 5);
    ck_assert_uint_eq(vals[1], 5);
    ck_assert_uint_eq(vals[2], 0);
    ck_assert_uint_eq(vals[3], 0);
    ck_assert_mem_eq(end, extra, sizeof(extra));
    ck_assert_ptr_eq(end + sizeof(extra), d + rd32(d + 4));
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(hpet_table_only_when_configured)
{
    setup_machine();
    char err[256] = "";
    struct acpi_tables_config cfg = { .hpet = true, .hpet_block_id = 0x8086a201 };
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, TABLES_SPACE, RSDP_GPA, &cfg, NULL, err,
                                       sizeof(err)), 0);
    unsigned n = 0;
    const uint8_t *h = find_table("HPET", &n);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(rd32(h + 4), 56);
    ck_assert_uint_eq(rd32(h + 36), 0x8086a201);
    check_gas(h + 40, 0, 64, 0, 0xfed00000ull);
    test_machine_free_ram(&m);
}
END_TEST

START_TEST(reports_errors)
{
    setup_machine();
    char err[256] = "";
    uint64_t need = acpi_tables_size(TABLES_GPA, NULL);
    ck_assert_uint_gt(need, 36 * 5);
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, need - 1, RSDP_GPA, NULL, NULL, err,
                                       sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "only"));
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, need, RSDP_GPA, NULL, NULL, err,
                                       sizeof(err)), 0);
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, need, RSDP_GPA + 4, NULL, NULL, err,
                                       sizeof(err)), -1);
    ck_assert_int_eq(acpi_tables_build(&m, TABLES_GPA, need, TABLES_GPA + 8, NULL, NULL, err,
                                       sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "overlaps"));
    /* nothing mapped there: the write would be lost */
    ck_assert_int_eq(acpi_tables_build(&m, 0x10000000, 0x10000, RSDP_GPA, NULL, NULL, err,
                                       sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not in writable RAM"));
    test_machine_free_ram(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi_tables");
    TCase *tc = tcase_create("acpi_tables");
    tcase_add_test(tc, rsdp_found_by_scan_with_valid_checksums);
    tcase_add_test(tc, fadt_describes_pm_registers_and_reset);
    tcase_add_test(tc, fadt_follows_config);
    tcase_add_test(tc, madt_lists_apics_and_overrides);
    tcase_add_test(tc, dsdt_holds_s5_package);
    tcase_add_test(tc, hpet_table_only_when_configured);
    tcase_add_test(tc, reports_errors);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
