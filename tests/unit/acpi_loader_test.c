/* Unit tests for the ACPI tables served through fw_cfg: the three files read
 * through the fw_cfg ports, the linker/loader script executed here the way
 * firmware does (allocate, patch pointers, checksums), and the result walked
 * as an OS would: RSDP -> RSDT/XSDT -> FADT -> DSDT/FACS, MADT, HPET. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi_loader.h"
#include "hw/acpi_tables.h"
#include "hw/fw_cfg.h"
#include "hw/machine.h"
#include "test_util.h"

#define RAM_SIZE   (16ull << 20)
#define HIGH_TOP   (RAM_SIZE - 0x1234) /* the firmware's high zone grows down from here */
#define FSEG_START 0xf5a38ull          /* not 16-byte aligned: the loader must align */
#define HPET_BASE  0xfed00000ull
#define HPET_ID    0x8086a201u

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static const struct acpi_tables_config cfg = {
    .cpu_count = 2,
    .hpet = true,
    .hpet_addr = HPET_BASE,
    .hpet_block_id = HPET_ID,
};

/* ---- the firmware side, written from the interface description ---- */

struct fwfile {
    char name[56];
    uint8_t *data;
    uint32_t size;
    uint64_t gpa; /* 0 until allocated */
};

struct fw {
    struct machine m;
    uint8_t *ram;
    struct fw_cfg *f;
    struct fwfile files[64];
    unsigned nfiles;
    uint64_t high_next, fseg_next;
};

static void port_select(struct fw *w, uint16_t key)
{
    uint8_t d[2];
    io_data_put(d, 2, key);
    iomap_access(&w->m.io, FW_CFG_PORT_SEL, d, 2, true);
}

static void port_read(struct fw *w, void *buf, size_t len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        iomap_access(&w->m.io, FW_CFG_PORT_DATA, &p[i], 1, false);
}

/* Reads the file directory and every file's contents through the ports. */
static void fw_read_files(struct fw *w)
{
    uint8_t cnt[4];
    port_select(w, FW_CFG_FILE_DIR);
    port_read(w, cnt, 4);
    uint32_t n = be32(cnt);
    ck_assert_uint_le(n, 64);
    uint16_t selectors[64];
    for (uint32_t i = 0; i < n; i++) {
        uint8_t e[64];
        port_read(w, e, sizeof(e));
        struct fwfile *f = &w->files[i];
        f->size = be32(e);
        selectors[i] = (uint16_t)(e[4] << 8 | e[5]);
        memcpy(f->name, e + 8, 56);
        ck_assert_uint_eq((uint8_t)f->name[55], 0);
    }
    w->nfiles = n;
    for (uint32_t i = 0; i < n; i++) {
        struct fwfile *f = &w->files[i];
        f->data = malloc(f->size ? f->size : 1);
        port_select(w, selectors[i]);
        port_read(w, f->data, f->size);
    }
}

static struct fwfile *fw_find(struct fw *w, const char *name)
{
    for (unsigned i = 0; i < w->nfiles; i++)
        if (strncmp(w->files[i].name, name, 56) == 0)
            return &w->files[i];
    return NULL;
}

/* A name field must be NUL-terminated within its 56 bytes. */
static struct fwfile *fw_find_field(struct fw *w, const uint8_t *field)
{
    ck_assert_uint_eq(field[55], 0);
    return fw_find(w, (const char *)field);
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

static void fw_allocate(struct fw *w, const uint8_t *e)
{
    struct fwfile *f = fw_find_field(w, e + 4);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->gpa, 0); /* exactly once per file */
    uint32_t align = rd32(e + 60);
    uint8_t zone = e[64];
    ck_assert_uint_ne(align, 0);
    ck_assert_uint_eq(align & (align - 1), 0);
    ck_assert_uint_gt(f->size, 0);
    if (zone == ACPI_LOADER_ZONE_HIGH) {
        w->high_next = align_down(w->high_next - f->size, align);
        f->gpa = w->high_next;
    } else {
        ck_assert_uint_eq(zone, ACPI_LOADER_ZONE_FSEG);
        f->gpa = align_up(w->fseg_next, align);
        w->fseg_next = f->gpa + f->size;
        ck_assert_uint_le(w->fseg_next, 0x100000);
    }
    memcpy(w->ram + f->gpa, f->data, f->size);
}

static void fw_add_pointer(struct fw *w, const uint8_t *e)
{
    struct fwfile *dst = fw_find_field(w, e + 4);
    struct fwfile *src = fw_find_field(w, e + 60);
    ck_assert_ptr_nonnull(dst);
    ck_assert_ptr_nonnull(src);
    ck_assert_uint_ne(dst->gpa, 0); /* allocated before being referred to */
    ck_assert_uint_ne(src->gpa, 0);
    uint32_t off = rd32(e + 116);
    uint8_t size = e[120];
    ck_assert(size == 1 || size == 2 || size == 4 || size == 8);
    ck_assert_uint_le((uint64_t)off + size, dst->size);
    uint8_t *p = w->ram + dst->gpa + off;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
    ck_assert_uint_lt(v, src->size); /* an offset into the source blob */
    v += src->gpa;
    for (unsigned i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void fw_add_checksum(struct fw *w, const uint8_t *e)
{
    struct fwfile *f = fw_find_field(w, e + 4);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_ne(f->gpa, 0);
    uint32_t off = rd32(e + 60), start = rd32(e + 64), len = rd32(e + 68);
    ck_assert_uint_lt(off, f->size);
    ck_assert_uint_le((uint64_t)start + len, f->size);
    ck_assert(off >= start && off < start + len);
    uint8_t *base = w->ram + f->gpa;
    base[off] = (uint8_t)(base[off] - sum(base + start, len));
}

static unsigned fw_run_loader(struct fw *w, unsigned counts[4])
{
    struct fwfile *script = fw_find(w, ACPI_LOADER_FILE_SCRIPT);
    ck_assert_ptr_nonnull(script);
    ck_assert_uint_eq(script->size % ACPI_LOADER_ENTRY_SIZE, 0);
    unsigned n = script->size / ACPI_LOADER_ENTRY_SIZE;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = script->data + (size_t)i * ACPI_LOADER_ENTRY_SIZE;
        uint32_t cmd = rd32(e);
        ck_assert(cmd >= 1 && cmd <= 3);
        counts[cmd]++;
        if (cmd == ACPI_LOADER_CMD_ALLOCATE)
            fw_allocate(w, e);
        else if (cmd == ACPI_LOADER_CMD_ADD_POINTER)
            fw_add_pointer(w, e);
        else
            fw_add_checksum(w, e);
    }
    return n;
}

static struct fw *fw_boot(void)
{
    struct fw *w = calloc(1, sizeof(*w));
    ck_assert_ptr_nonnull(w);
    w->ram = test_machine_with_ram(&w->m, RAM_SIZE);
    w->f = fw_cfg_create(&w->m);
    ck_assert_ptr_nonnull(w->f);
    /* an unrelated file, as the board has, must not disturb anything */
    ck_assert_int_eq(fw_cfg_add_file(w->f, "etc/boot-fail-wait", "\xff\xff\xff\xff", 4), 0);
    char err[128] = "";
    ck_assert_msg(acpi_loader_add_fw_cfg(w->f, &cfg, err, sizeof(err)) == 0, "%s", err);
    w->high_next = HIGH_TOP;
    w->fseg_next = FSEG_START;
    fw_read_files(w);
    return w;
}

static void fw_free(struct fw *w)
{
    for (unsigned i = 0; i < w->nfiles; i++)
        free(w->files[i].data);
    fw_cfg_destroy(w->f);
    test_machine_free_ram(&w->m);
    free(w);
}

/* ---- the OS side ---- */

static const uint8_t *table_at(struct fw *w, uint64_t gpa, const char *sig)
{
    ck_assert_uint_gt(gpa, 0);
    ck_assert_uint_lt(gpa + 36, RAM_SIZE);
    const uint8_t *t = w->ram + gpa;
    ck_assert_mem_eq(t, sig, 4);
    uint32_t len = rd32(t + 4);
    ck_assert_uint_ge(len, 36);
    ck_assert_uint_le(gpa + len, RAM_SIZE);
    ck_assert_uint_eq(sum(t, len), 0);
    ck_assert_mem_eq(t + 10, "VX86  ", 6);
    return t;
}

static const uint8_t *scan_rsdp(struct fw *w)
{
    for (uint64_t a = 0xf0000; a < 0x100000; a += 16) {
        const uint8_t *p = w->ram + a;
        if (memcmp(p, "RSD PTR ", 8) == 0 && sum(p, 20) == 0)
            return p;
    }
    return NULL;
}

START_TEST(files_and_script_shape)
{
    struct fw *w = fw_boot();
    struct fwfile *tables = fw_find(w, ACPI_LOADER_FILE_TABLES);
    struct fwfile *rsdp = fw_find(w, ACPI_LOADER_FILE_RSDP);
    ck_assert_ptr_nonnull(tables);
    ck_assert_ptr_nonnull(rsdp);
    ck_assert_uint_eq(rsdp->size, ACPI_RSDP_SIZE);
    ck_assert_mem_eq(rsdp->data, "RSD PTR ", 8);
    ck_assert_mem_eq(tables->data, "FACS", 4);
    /* before loading, the RSDP's pointers are offsets into the tables file */
    ck_assert_uint_lt(rd32(rsdp->data + 16), tables->size);
    ck_assert_uint_lt(rd64(rsdp->data + 24), tables->size);

    unsigned counts[4] = { 0 };
    unsigned n = fw_run_loader(w, counts);
    ck_assert_uint_eq(counts[ACPI_LOADER_CMD_ALLOCATE], 2);
    /* FACS and DSDT twice each in the FADT, 3 tables in RSDT and XSDT,
     * RSDT and XSDT in the RSDP */
    ck_assert_uint_eq(counts[ACPI_LOADER_CMD_ADD_POINTER], 4 + 6 + 2);
    /* DSDT FADT MADT HPET RSDT XSDT, and the RSDP's two */
    ck_assert_uint_eq(counts[ACPI_LOADER_CMD_ADD_CHECKSUM], 8);
    ck_assert_uint_eq(n, 22);
    ck_assert_uint_eq(tables->gpa % 64, 0);
    ck_assert_uint_lt(tables->gpa, HIGH_TOP);
    ck_assert_uint_ge(rsdp->gpa, 0xf0000);
    ck_assert_uint_eq(rsdp->gpa % 16, 0);
    fw_free(w);
}
END_TEST

START_TEST(loaded_tables_form_a_valid_chain)
{
    struct fw *w = fw_boot();
    unsigned counts[4] = { 0 };
    fw_run_loader(w, counts);
    struct fwfile *tf = fw_find(w, ACPI_LOADER_FILE_TABLES);
    uint64_t lo = tf->gpa, hi = tf->gpa + tf->size;

    const uint8_t *rsdp = scan_rsdp(w);
    ck_assert_ptr_nonnull(rsdp);
    ck_assert_uint_eq((uint64_t)(rsdp - w->ram), fw_find(w, ACPI_LOADER_FILE_RSDP)->gpa);
    ck_assert_uint_eq(rsdp[15], 2);
    ck_assert_uint_eq(rd32(rsdp + 20), ACPI_RSDP_SIZE);
    ck_assert_uint_eq(sum(rsdp, ACPI_RSDP_SIZE), 0);
    ck_assert_mem_eq(rsdp + 9, "VX86  ", 6);

    const uint8_t *rsdt = table_at(w, rd32(rsdp + 16), "RSDT");
    const uint8_t *xsdt = table_at(w, rd64(rsdp + 24), "XSDT");
    unsigned n = (rd32(xsdt + 4) - 36) / 8;
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq((rd32(rsdt + 4) - 36) / 4, n);
    const uint8_t *fadt = NULL, *madt = NULL, *hpet = NULL;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = rd64(xsdt + 36 + 8 * i);
        ck_assert_uint_eq(rd32(rsdt + 36 + 4 * i), a);
        ck_assert(a >= lo && a < hi);
        const uint8_t *t = w->ram + a;
        if (!memcmp(t, "FACP", 4))
            fadt = table_at(w, a, "FACP");
        else if (!memcmp(t, "APIC", 4))
            madt = table_at(w, a, "APIC");
        else if (!memcmp(t, "HPET", 4))
            hpet = table_at(w, a, "HPET");
    }
    ck_assert_ptr_nonnull(fadt);
    ck_assert_ptr_nonnull(madt);
    ck_assert_ptr_nonnull(hpet);

    /* FADT: both DSDT and both FACS pointers agree */
    uint64_t facs_gpa = rd32(fadt + 36), dsdt_gpa = rd32(fadt + 40);
    ck_assert_uint_eq(rd64(fadt + 132), facs_gpa);
    ck_assert_uint_eq(rd64(fadt + 140), dsdt_gpa);
    ck_assert_uint_eq(facs_gpa % 64, 0);
    const uint8_t *facs = w->ram + facs_gpa;
    ck_assert_mem_eq(facs, "FACS", 4);
    ck_assert_uint_eq(rd32(facs + 4), 64);
    ck_assert_uint_eq(rd32(fadt + 64), ACPI_PM_BASE_DEFAULT + 4); /* PM1a_CNT */
    ck_assert_uint_eq(rd32(fadt + 76), ACPI_PM_BASE_DEFAULT + 8); /* PM_TMR */

    /* DSDT: Name (_S5_, Package (4) { 0, 0, 0, 0 }) right after the header */
    const uint8_t *dsdt = table_at(w, dsdt_gpa, "DSDT");
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
    ck_assert_uint_ge(rd32(dsdt + 4), 36 + sizeof(s5));
    ck_assert_mem_eq(dsdt + 36, s5, sizeof(s5));

    /* MADT: two local APICs, the I/O APIC, IRQ0 -> GSI 2 */
    ck_assert_uint_eq(rd32(madt + 36), ACPI_LAPIC_ADDR);
    unsigned lapics = 0, ioapics = 0, irq0_gsi = 99;
    for (uint32_t off = 44; off < rd32(madt + 4); off += madt[off + 1]) {
        ck_assert_uint_gt(madt[off + 1], 0);
        if (madt[off] == 0)
            lapics++;
        else if (madt[off] == 1 && rd32(madt + off + 4) == ACPI_IOAPIC_ADDR_DEFAULT)
            ioapics++;
        else if (madt[off] == 2 && madt[off + 3] == 0)
            irq0_gsi = rd32(madt + off + 4);
    }
    ck_assert_uint_eq(lapics, 2);
    ck_assert_uint_eq(ioapics, 1);
    ck_assert_uint_eq(irq0_gsi, 2);

    /* HPET: block ID and base as configured, in memory space */
    ck_assert_uint_eq(rd32(hpet + 36), HPET_ID);
    ck_assert_uint_eq(hpet[40], 0);
    ck_assert_uint_eq(rd64(hpet + 44), HPET_BASE);
    fw_free(w);
}
END_TEST

/* One builder: the firmware-loaded tables are byte for byte what direct
 * boot writes when given the same addresses. */
START_TEST(same_bytes_as_direct_boot)
{
    struct fw *w = fw_boot();
    unsigned counts[4] = { 0 };
    fw_run_loader(w, counts);
    struct fwfile *tf = fw_find(w, ACPI_LOADER_FILE_TABLES);
    struct fwfile *rf = fw_find(w, ACPI_LOADER_FILE_RSDP);

    struct machine m2;
    uint8_t *ram2 = test_machine_with_ram(&m2, RAM_SIZE);
    char err[128] = "";
    ck_assert_msg(acpi_tables_build(&m2, tf->gpa, tf->size, rf->gpa, &cfg, NULL, err,
                                    sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(acpi_tables_size(tf->gpa, &cfg), tf->size);
    ck_assert_mem_eq(ram2 + tf->gpa, w->ram + tf->gpa, tf->size);
    ck_assert_mem_eq(ram2 + rf->gpa, w->ram + rf->gpa, ACPI_RSDP_SIZE);
    test_machine_free_ram(&m2);
    fw_free(w);
}
END_TEST

/* The blob's own relocation agrees with the script's: the fixup lists and
 * the script describe the same patches. */
START_TEST(blob_relocation_matches_script)
{
    struct acpi_blob b;
    char err[128] = "";
    ck_assert_msg(acpi_tables_build_blob(&cfg, &b, err, sizeof(err)) == 0, "%s", err);
    size_t len = acpi_loader_script_size(&b);
    ck_assert_uint_eq(len, (2 + b.pointer_count + b.checksum_count) * ACPI_LOADER_ENTRY_SIZE);
    uint8_t *script = malloc(len);
    acpi_loader_write_script(&b, script);
    for (unsigned i = 0; i < b.pointer_count; i++) {
        const uint8_t *e = script + (2 + i) * ACPI_LOADER_ENTRY_SIZE;
        ck_assert_uint_eq(rd32(e), ACPI_LOADER_CMD_ADD_POINTER);
        ck_assert_uint_eq(rd32(e + 116), b.pointers[i].offset);
        ck_assert_uint_eq(e[120], b.pointers[i].size);
        ck_assert_str_eq((const char *)e + 4, b.pointers[i].dest == ACPI_BLOB_RSDP
                                                  ? ACPI_LOADER_FILE_RSDP
                                                  : ACPI_LOADER_FILE_TABLES);
    }
    /* relocating to 0 leaves pointers as offsets, with valid checksums */
    acpi_blob_relocate(&b, 0, 0);
    ck_assert_uint_eq(sum(b.rsdp, 20), 0);
    ck_assert_uint_eq(sum(b.rsdp, ACPI_RSDP_SIZE), 0);
    uint32_t xsdt = (uint32_t)rd64(b.rsdp + 24);
    ck_assert_mem_eq(b.tables + xsdt, "XSDT", 4);
    ck_assert_uint_eq(sum(b.tables + xsdt, rd32(b.tables + xsdt + 4)), 0);
    free(script);
    acpi_blob_free(&b);
}
END_TEST

static Suite *acpi_loader_suite(void)
{
    Suite *s = suite_create("acpi_loader");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, files_and_script_shape);
    tcase_add_test(tc, loaded_tables_form_a_valid_chain);
    tcase_add_test(tc, same_bytes_as_direct_boot);
    tcase_add_test(tc, blob_relocation_matches_script);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(acpi_loader_suite());
}
