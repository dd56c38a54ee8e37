/* vx86's ACPI tables (RSDP, RSDT/XSDT, FADT with FACS, a DSDT holding \_S5,
 * the MADT, optionally an HPET table), built once as position-independent
 * blobs plus pointer/checksum fixups: written into guest memory for a
 * directly booted OS, or handed to firmware through fw_cfg (acpi_loader.h). */
#ifndef VX86_HW_ACPI_TABLES_H
#define VX86_HW_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define ACPI_PM_BASE_DEFAULT     0x600
#define ACPI_SCI_IRQ_DEFAULT     9
#define ACPI_IOAPIC_ADDR_DEFAULT 0xfec00000u
#define ACPI_HPET_ADDR_DEFAULT   0xfed00000ull
#define ACPI_LAPIC_ADDR          0xfee00000u
#define ACPI_RESET_PORT          0xcf9
#define ACPI_RESET_VALUE         0x06
#define ACPI_RSDP_SIZE           36

/* Zero in any field picks the default named beside it. */
struct acpi_tables_config {
    uint16_t pm_base;       /* PM1a_EVT here, PM1a_CNT at +4, PM_TMR at +8 (0x600) */
    bool pm_timer_32bit;    /* the PM timer counts 32 bits, not 24 */
    uint16_t gpe0_base;     /* GPE0 block port; 0 = none */
    uint8_t gpe0_len;       /* GPE0 block length in bytes (even) */
    uint8_t sci_irq;        /* ISA IRQ of the SCI, level/high via an override (9) */
    uint8_t s5_slp_typ;     /* SLP_TYP written to PM1a_CNT for S5 (0, as PIIX4) */
    unsigned cpu_count;     /* local APICs with IDs 0..n-1 (1) */
    uint8_t ioapic_id;      /* must match the I/O APIC's ID register */
    uint32_t ioapic_addr;   /* (0xfec00000) */
    uint8_t rtc_century;    /* CMOS index of the century byte; 0 = none */
    bool hpet;              /* add an HPET table */
    uint64_t hpet_addr;     /* (0xfed00000) */
    uint32_t hpet_block_id; /* low 32 bits of the HPET capabilities register */
    /* AML appended to the DSDT after \_S5 (devices the board describes). */
    const uint8_t *dsdt_extra_aml;
    size_t dsdt_extra_aml_len;
};

/* The two blobs: the tables (FACS first, so 64-byte aligned) and the RSDP,
 * which firmware puts in the F segment for the legacy scan. */
enum acpi_blob_file {
    ACPI_BLOB_TABLES,
    ACPI_BLOB_RSDP,
};

#define ACPI_BLOB_TABLES_ALIGN   64
#define ACPI_BLOB_RSDP_ALIGN     16
#define ACPI_BLOB_MAX_POINTERS   16
#define ACPI_BLOB_MAX_CHECKSUMS  10

/* A little-endian pointer field of size bytes (4 or 8) at offset in blob
 * dest; it holds an offset into blob src until the blobs are placed, then
 * src's address is added to it. */
struct acpi_blob_pointer {
    uint8_t dest, src, size;
    uint32_t offset;
};

/* Once pointers are placed, the byte at offset (within [start, start +
 * length)) is adjusted so that range sums to zero. Applied in list order:
 * the RSDP's 20-byte checksum comes before its 36-byte one. */
struct acpi_blob_checksum {
    uint8_t file;
    uint32_t offset, start, length;
};

struct acpi_blob {
    uint8_t *tables;              /* FACS, DSDT, FADT, MADT, HPET, RSDT, XSDT */
    uint32_t tables_len;
    uint8_t rsdp[ACPI_RSDP_SIZE]; /* ACPI 2.0+ RSDP */
    struct acpi_blob_pointer pointers[ACPI_BLOB_MAX_POINTERS];
    unsigned pointer_count;
    struct acpi_blob_checksum checksums[ACPI_BLOB_MAX_CHECKSUMS];
    unsigned checksum_count;       /* checksum bytes are 0 in the blobs */
};

/* Builds the blobs (cfg NULL means all defaults). Returns 0, or -1 with a
 * one-line message in err. Release with acpi_blob_free(). */
int acpi_tables_build_blob(const struct acpi_tables_config *cfg, struct acpi_blob *b,
                           char *err, size_t err_len);
void acpi_blob_free(struct acpi_blob *b);
/* Places the blobs at tables_gpa (64-byte aligned) and rsdp_gpa: adds the
 * addresses to every pointer, then fills the checksums. Once only. */
void acpi_blob_relocate(struct acpi_blob *b, uint64_t tables_gpa, uint64_t rsdp_gpa);

/* Bytes the tables need from table_gpa (alignment padding included). */
uint64_t acpi_tables_size(uint64_t table_gpa, const struct acpi_tables_config *cfg);

/* Builds the tables in [table_gpa, table_gpa + table_space) (from the first
 * 64-byte boundary) and the RSDP at
 * rsdp_gpa (16-byte aligned; put it in 0xE0000-0xFFFFF for legacy scans),
 * all below 4 GiB; cfg NULL means all defaults. The board should mark the
 * table range E820_ACPI. *rsdp_out (if non-NULL) receives the RSDP address.
 * Returns 0, or -1 with a one-line message in err. */
int acpi_tables_build(struct machine *m, uint64_t table_gpa, uint64_t table_space,
                      uint64_t rsdp_gpa, const struct acpi_tables_config *cfg,
                      uint64_t *rsdp_out, char *err, size_t err_len);

#endif
