/* Builds the ACPI tables (ACPI 6.0 layouts) a kernel booted without firmware
 * needs to find its interrupt controllers, PM registers and S5 sleep type. */
#include "hw/acpi_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/machine.h"
#include "softmmu/physmem.h"

#define HDR_SIZE   36
#define FACS_SIZE  64
#define FADT_SIZE  276 /* revision 6 */
#define HPET_SIZE  56
#define MADT_FIXED 44
#define MADT_LAPIC_SIZE  8
#define MADT_IOAPIC_SIZE 12
#define MADT_ISO_SIZE    10
#define MADT_NMI_SIZE    6
#define MADT_ISO_COUNT   2
#define FOUR_GB    0x100000000ull

/* FADT field offsets. */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT          40
#define FADT_PM_PROFILE    45
#define FADT_SCI_INT       46
#define FADT_SMI_CMD       48
#define FADT_P_LVL2_LAT    96
#define FADT_P_LVL3_LAT    98
#define FADT_CENTURY       108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS         112
#define FADT_RESET_REG     116
#define FADT_RESET_VALUE   128
#define FADT_MINOR_VERSION 131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT        140

#define FADT_F_WBINVD       (1u << 0)
#define FADT_F_PROC_C1      (1u << 2)
#define FADT_F_SLP_BUTTON   (1u << 5)
#define FADT_F_TMR_VAL_EXT  (1u << 8)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_PLATFORM_CLOCK (1u << 15)
#define IAPC_LEGACY_DEVICES (1u << 0)
#define IAPC_8042           (1u << 1)
/* Latencies above 100/1000 us tell the OS that C2/C3 do not exist. */
#define C2_NOT_SUPPORTED    101
#define C3_NOT_SUPPORTED    1001

#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO     1
#define GAS_ACCESS_BYTE   1
#define GAS_ACCESS_WORD   2
#define GAS_ACCESS_DWORD  3

/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2. */
#define INTI_ACTIVE_HIGH 0x1
#define INTI_LEVEL       0xc

/* AML opcodes used by the DSDT. */
#define AML_ZERO_OP    0x00
#define AML_ONE_OP     0x01
#define AML_NAME_OP    0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE_OP 0x12

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

static void put_gas(uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t access, uint64_t addr)
{
    p[0] = space;
    p[1] = bit_width;
    p[2] = 0;
    p[3] = access;
    put64(p + 4, addr);
}

static void put_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "VX86  ", 6);
    memcpy(t + 16, "VX86PC  ", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "VX86", 4);
    put32(t + 32, 1);
}

struct config {
    uint16_t pm_base;
    uint8_t sci_irq;
    unsigned cpus;
    uint32_t ioapic_addr;
    uint64_t hpet_addr;
};

static struct config resolve(const struct acpi_tables_config *c)
{
    return (struct config){
        .pm_base = c->pm_base ? c->pm_base : ACPI_PM_BASE_DEFAULT,
        .sci_irq = c->sci_irq ? c->sci_irq : ACPI_SCI_IRQ_DEFAULT,
        .cpus = c->cpu_count ? c->cpu_count : 1,
        .ioapic_addr = c->ioapic_addr ? c->ioapic_addr : ACPI_IOAPIC_ADDR_DEFAULT,
        .hpet_addr = c->hpet_addr ? c->hpet_addr : ACPI_HPET_ADDR_DEFAULT,
    };
}

static size_t aml_int_len(uint8_t v) { return v <= 1 ? 1 : 2; }

static size_t aml_put_int(uint8_t *p, uint8_t v)
{
    if (v == 0) {
        p[0] = AML_ZERO_OP;
        return 1;
    }
    if (v == 1) {
        p[0] = AML_ONE_OP;
        return 1;
    }
    p[0] = AML_BYTE_PREFIX;
    p[1] = v;
    return 2;
}

/* Name (_S5, Package (4) { typ, typ, 0, 0 }): SLP_TYPa, SLP_TYPb, reserved. */
static size_t s5_aml_len(uint8_t typ) { return 10 + 2 * aml_int_len(typ); }

static size_t put_s5_aml(uint8_t *p, uint8_t typ)
{
    size_t n = 0;
    p[n++] = AML_NAME_OP;
    memcpy(p + n, "_S5_", 4);
    n += 4;
    p[n++] = AML_PACKAGE_OP;
    /* One-byte PkgLength (bits 7:6 zero) counts itself and what follows. */
    p[n++] = (uint8_t)(1 + 1 + 2 * aml_int_len(typ) + 2);
    p[n++] = 4; /* NumElements */
    n += aml_put_int(p + n, typ);
    n += aml_put_int(p + n, typ);
    n += aml_put_int(p + n, 0);
    n += aml_put_int(p + n, 0);
    return n;
}

/* Where each table goes, as offsets from the start of the tables blob
 * (which is 64-byte aligned, for the FACS). */
struct layout {
    uint32_t facs, dsdt, fadt, madt, hpet, rsdt, xsdt, end;
    uint32_t dsdt_len, madt_len, rsdt_len, xsdt_len;
    unsigned nptrs;
};

static void compute_layout(const struct acpi_tables_config *c, struct layout *l)
{
    struct config r = resolve(c);
    l->facs = 0;
    l->dsdt = (uint32_t)align_up(l->facs + FACS_SIZE, 16);
    l->dsdt_len = (uint32_t)(HDR_SIZE + s5_aml_len(c->s5_slp_typ) + c->dsdt_extra_aml_len);
    l->fadt = (uint32_t)align_up(l->dsdt + l->dsdt_len, 16);
    l->madt = (uint32_t)align_up(l->fadt + FADT_SIZE, 16);
    l->madt_len = MADT_FIXED + MADT_LAPIC_SIZE * r.cpus + MADT_IOAPIC_SIZE +
                  MADT_ISO_SIZE * MADT_ISO_COUNT + MADT_NMI_SIZE;
    uint32_t next = (uint32_t)align_up(l->madt + l->madt_len, 16);
    l->nptrs = 2;
    l->hpet = 0;
    if (c->hpet) {
        l->hpet = next;
        next = (uint32_t)align_up(l->hpet + HPET_SIZE, 16);
        l->nptrs++;
    }
    l->rsdt = next;
    l->rsdt_len = HDR_SIZE + 4 * l->nptrs;
    l->xsdt = (uint32_t)align_up(l->rsdt + l->rsdt_len, 16);
    l->xsdt_len = HDR_SIZE + 8 * l->nptrs;
    l->end = l->xsdt + l->xsdt_len;
}

uint64_t acpi_tables_size(uint64_t table_gpa, const struct acpi_tables_config *cfg)
{
    static const struct acpi_tables_config defaults;
    struct layout l;
    compute_layout(cfg ? cfg : &defaults, &l);
    return align_up(table_gpa, ACPI_BLOB_TABLES_ALIGN) - table_gpa + l.end;
}

/* Writes a pointer field holding an offset into blob src and records it
 * for relocation. */
static void put_pointer(struct acpi_blob *b, enum acpi_blob_file dest, uint32_t offset,
                        uint8_t size, enum acpi_blob_file src, uint32_t target)
{
    uint8_t *p = (dest == ACPI_BLOB_RSDP ? b->rsdp : b->tables) + offset;
    if (size == 4)
        put32(p, target);
    else
        put64(p, target);
    b->pointers[b->pointer_count++] = (struct acpi_blob_pointer){
        .dest = (uint8_t)dest, .src = (uint8_t)src, .size = size, .offset = offset,
    };
}

/* The checksum of a table with the standard header (byte 9). */
static void add_checksum(struct acpi_blob *b, enum acpi_blob_file file, uint32_t csum_offset,
                         uint32_t start, uint32_t length)
{
    b->checksums[b->checksum_count++] = (struct acpi_blob_checksum){
        .file = (uint8_t)file, .offset = csum_offset, .start = start, .length = length,
    };
}

static void build_facs(uint8_t *t)
{
    memcpy(t, "FACS", 4);
    put32(t + 4, FACS_SIZE);
    t[32] = 2; /* version */
}

static void build_dsdt(uint8_t *t, const struct layout *l, const struct acpi_tables_config *c)
{
    put_header(t, "DSDT", l->dsdt_len, 2); /* revision 2: 64-bit AML integers */
    size_t n = HDR_SIZE + put_s5_aml(t + HDR_SIZE, c->s5_slp_typ);
    if (c->dsdt_extra_aml_len)
        memcpy(t + n, c->dsdt_extra_aml, c->dsdt_extra_aml_len);
}

/* The fixed-hardware register blocks: 32-bit port field, length field and
 * the 64-bit GAS that describes the same block. */
struct fadt_block {
    uint16_t off32, off_len, off_x;
    uint16_t port;
    uint8_t len;
    uint8_t access;
};

static void build_fadt(struct acpi_blob *b, const struct layout *l,
                       const struct acpi_tables_config *c, const struct config *r)
{
    uint8_t *t = b->tables + l->fadt;
    put_header(t, "FACP", FADT_SIZE, 6);
    put_pointer(b, ACPI_BLOB_TABLES, l->fadt + FADT_FIRMWARE_CTRL, 4, ACPI_BLOB_TABLES, l->facs);
    put_pointer(b, ACPI_BLOB_TABLES, l->fadt + FADT_DSDT, 4, ACPI_BLOB_TABLES, l->dsdt);
    t[FADT_PM_PROFILE] = 0; /* unspecified */
    put16(t + FADT_SCI_INT, r->sci_irq);
    /* SMI_CMD 0: no SMM handshake, the hardware is always in ACPI mode. */
    put32(t + FADT_SMI_CMD, 0);
    const struct fadt_block blocks[] = {
        { 56, 88, 148, r->pm_base, 4, GAS_ACCESS_WORD },      /* PM1a_EVT: status + enable */
        { 64, 89, 172, (uint16_t)(r->pm_base + 4), 2, GAS_ACCESS_WORD }, /* PM1a_CNT */
        { 76, 91, 208, (uint16_t)(r->pm_base + 8), 4, GAS_ACCESS_DWORD }, /* PM_TMR */
        { 80, 92, 220, c->gpe0_base, c->gpe0_len, GAS_ACCESS_BYTE },     /* GPE0 */
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        const struct fadt_block *fb = &blocks[i];
        if (!fb->len || !fb->port)
            continue;
        put32(t + fb->off32, fb->port);
        t[fb->off_len] = fb->len;
        put_gas(t + fb->off_x, GAS_SYSTEM_IO, (uint8_t)(fb->len * 8), fb->access, fb->port);
    }
    put16(t + FADT_P_LVL2_LAT, C2_NOT_SUPPORTED);
    put16(t + FADT_P_LVL3_LAT, C3_NOT_SUPPORTED);
    t[FADT_CENTURY] = c->rtc_century;
    put16(t + FADT_IAPC_BOOT_ARCH, IAPC_LEGACY_DEVICES | IAPC_8042);
    put32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
                              FADT_F_RESET_REG_SUP | FADT_F_PLATFORM_CLOCK |
                              (c->pm_timer_32bit ? FADT_F_TMR_VAL_EXT : 0));
    put_gas(t + FADT_RESET_REG, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, ACPI_RESET_PORT);
    t[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
    t[FADT_MINOR_VERSION] = 0;
    put_pointer(b, ACPI_BLOB_TABLES, l->fadt + FADT_X_FIRMWARE_CTRL, 8, ACPI_BLOB_TABLES, l->facs);
    put_pointer(b, ACPI_BLOB_TABLES, l->fadt + FADT_X_DSDT, 8, ACPI_BLOB_TABLES, l->dsdt);
}

static void build_madt(uint8_t *t, const struct layout *l, const struct acpi_tables_config *c,
                       const struct config *r)
{
    put_header(t, "APIC", l->madt_len, 3);
    put32(t + 36, ACPI_LAPIC_ADDR);
    put32(t + 40, 1); /* PCAT_COMPAT: 8259s present, masked by the OS */
    uint8_t *e = t + MADT_FIXED;
    for (unsigned i = 0; i < r->cpus; i++, e += MADT_LAPIC_SIZE) {
        e[0] = 0;
        e[1] = MADT_LAPIC_SIZE;
        e[2] = (uint8_t)i; /* ACPI processor UID */
        e[3] = (uint8_t)i; /* APIC ID */
        put32(e + 4, 1);   /* enabled */
    }
    e[0] = 1;
    e[1] = MADT_IOAPIC_SIZE;
    e[2] = c->ioapic_id;
    e[3] = 0;
    put32(e + 4, r->ioapic_addr);
    put32(e + 8, 0); /* GSI base */
    e += MADT_IOAPIC_SIZE;
    const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } overrides[MADT_ISO_COUNT] = {
        { 0, 2, 0 },                                         /* PIT on IOAPIC pin 2 */
        { r->sci_irq, r->sci_irq, INTI_LEVEL | INTI_ACTIVE_HIGH }, /* SCI */
    };
    for (unsigned i = 0; i < MADT_ISO_COUNT; i++, e += MADT_ISO_SIZE) {
        e[0] = 2;
        e[1] = MADT_ISO_SIZE;
        e[2] = 0; /* ISA bus */
        e[3] = overrides[i].irq;
        put32(e + 4, overrides[i].gsi);
        put16(e + 8, overrides[i].flags);
    }
    e[0] = 4;
    e[1] = MADT_NMI_SIZE;
    e[2] = 0xff; /* all processors */
    put16(e + 3, 0);
    e[5] = 1; /* LINT1 */
}

static void build_hpet(uint8_t *t, const struct acpi_tables_config *c, const struct config *r)
{
    put_header(t, "HPET", HPET_SIZE, 1);
    put32(t + 36, c->hpet_block_id);
    put_gas(t + 40, GAS_SYSTEM_MEMORY, 64, 0, r->hpet_addr);
    t[52] = 0;         /* HPET number */
    put16(t + 53, 128); /* minimum clock ticks in periodic mode */
    t[55] = 0;         /* no page protection */
}

int acpi_tables_build_blob(const struct acpi_tables_config *cfg, struct acpi_blob *b,
                           char *err, size_t err_len)
{
    static const struct acpi_tables_config defaults;
    const struct acpi_tables_config *c = cfg ? cfg : &defaults;
    struct config r = resolve(c);
    struct layout l;

    memset(b, 0, sizeof(*b));
    if (r.cpus > 255) {
        snprintf(err, err_len, "ACPI: %u CPUs do not fit 8-bit APIC IDs", r.cpus);
        return -1;
    }
    compute_layout(c, &l);
    b->tables = calloc(1, l.end);
    if (!b->tables) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    b->tables_len = l.end;

    build_facs(b->tables + l.facs);
    build_dsdt(b->tables + l.dsdt, &l, c);
    build_fadt(b, &l, c, &r);
    build_madt(b->tables + l.madt, &l, c, &r);
    if (c->hpet)
        build_hpet(b->tables + l.hpet, c, &r);
    const uint32_t entries[3] = { l.fadt, l.madt, l.hpet };
    put_header(b->tables + l.rsdt, "RSDT", l.rsdt_len, 1);
    put_header(b->tables + l.xsdt, "XSDT", l.xsdt_len, 1);
    for (unsigned i = 0; i < l.nptrs; i++) {
        put_pointer(b, ACPI_BLOB_TABLES, l.rsdt + HDR_SIZE + 4 * i, 4, ACPI_BLOB_TABLES,
                    entries[i]);
        put_pointer(b, ACPI_BLOB_TABLES, l.xsdt + HDR_SIZE + 8 * i, 8, ACPI_BLOB_TABLES,
                    entries[i]);
    }

    memcpy(b->rsdp, "RSD PTR ", 8);
    memcpy(b->rsdp + 9, "VX86  ", 6);
    b->rsdp[15] = 2;
    put_pointer(b, ACPI_BLOB_RSDP, 16, 4, ACPI_BLOB_TABLES, l.rsdt);
    put32(b->rsdp + 20, ACPI_RSDP_SIZE);
    put_pointer(b, ACPI_BLOB_RSDP, 24, 8, ACPI_BLOB_TABLES, l.xsdt);

    const struct { uint32_t off, len; } sums[] = {
        { l.dsdt, l.dsdt_len }, { l.fadt, FADT_SIZE }, { l.madt, l.madt_len },
        { l.hpet, c->hpet ? HPET_SIZE : 0 }, { l.rsdt, l.rsdt_len }, { l.xsdt, l.xsdt_len },
    };
    for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
        if (sums[i].len)
            add_checksum(b, ACPI_BLOB_TABLES, sums[i].off + 9, sums[i].off, sums[i].len);
    /* The ACPI 1.0 checksum covers the first 20 bytes (its own byte
     * included), the extended one all 36: the first must be settled first. */
    add_checksum(b, ACPI_BLOB_RSDP, 8, 0, 20);
    add_checksum(b, ACPI_BLOB_RSDP, 32, 0, ACPI_RSDP_SIZE);
    return 0;
}

void acpi_blob_free(struct acpi_blob *b)
{
    free(b->tables);
    b->tables = NULL;
    b->tables_len = 0;
}

void acpi_blob_relocate(struct acpi_blob *b, uint64_t tables_gpa, uint64_t rsdp_gpa)
{
    for (unsigned i = 0; i < b->pointer_count; i++) {
        const struct acpi_blob_pointer *p = &b->pointers[i];
        uint8_t *f = (p->dest == ACPI_BLOB_RSDP ? b->rsdp : b->tables) + p->offset;
        uint64_t v = 0;
        for (unsigned k = 0; k < p->size; k++)
            v |= (uint64_t)f[k] << (8 * k);
        v += p->src == ACPI_BLOB_RSDP ? rsdp_gpa : tables_gpa;
        for (unsigned k = 0; k < p->size; k++)
            f[k] = (uint8_t)(v >> (8 * k));
    }
    for (unsigned i = 0; i < b->checksum_count; i++) {
        const struct acpi_blob_checksum *s = &b->checksums[i];
        uint8_t *f = s->file == ACPI_BLOB_RSDP ? b->rsdp : b->tables;
        f[s->offset] = (uint8_t)(f[s->offset] + checksum(f + s->start, s->length));
    }
}

int acpi_tables_build(struct machine *m, uint64_t table_gpa, uint64_t table_space,
                      uint64_t rsdp_gpa, const struct acpi_tables_config *cfg,
                      uint64_t *rsdp_out, char *err, size_t err_len)
{
    struct acpi_blob b;
    if (acpi_tables_build_blob(cfg, &b, err, err_len) < 0)
        return -1;
    uint64_t base = align_up(table_gpa, ACPI_BLOB_TABLES_ALIGN);
    uint64_t need = base - table_gpa + b.tables_len;
    int ret = -1;
    uint8_t *check = NULL;

    if (need > table_space) {
        snprintf(err, err_len, "ACPI tables need %llu bytes, only %llu reserved at 0x%llx",
                 (unsigned long long)need, (unsigned long long)table_space,
                 (unsigned long long)table_gpa);
        goto out;
    }
    if (base + b.tables_len > FOUR_GB || rsdp_gpa + ACPI_RSDP_SIZE > FOUR_GB ||
        (rsdp_gpa & (ACPI_BLOB_RSDP_ALIGN - 1))) {
        snprintf(err, err_len, "ACPI tables must lie below 4 GiB with a 16-byte aligned RSDP");
        goto out;
    }
    if (rsdp_gpa < base + b.tables_len && table_gpa < rsdp_gpa + ACPI_RSDP_SIZE) {
        snprintf(err, err_len, "ACPI RSDP at 0x%llx overlaps the tables",
                 (unsigned long long)rsdp_gpa);
        goto out;
    }
    check = malloc(b.tables_len);
    if (!check) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    acpi_blob_relocate(&b, base, rsdp_gpa);

    /* Read back: a range that is not RAM would silently drop the tables. */
    physmem_write(&m->mem, base, b.tables, b.tables_len);
    physmem_write(&m->mem, rsdp_gpa, b.rsdp, ACPI_RSDP_SIZE);
    uint8_t rsdp_check[ACPI_RSDP_SIZE];
    physmem_read(&m->mem, base, check, b.tables_len);
    physmem_read(&m->mem, rsdp_gpa, rsdp_check, sizeof(rsdp_check));
    if (memcmp(check, b.tables, b.tables_len) != 0 ||
        memcmp(rsdp_check, b.rsdp, ACPI_RSDP_SIZE) != 0) {
        snprintf(err, err_len, "ACPI tables at 0x%llx or RSDP at 0x%llx are not in writable RAM",
                 (unsigned long long)base, (unsigned long long)rsdp_gpa);
        goto out;
    }
    if (rsdp_out)
        *rsdp_out = rsdp_gpa;
    ret = 0;
out:
    free(check);
    acpi_blob_free(&b);
    return ret;
}
