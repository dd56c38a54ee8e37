/* ACPI tables for a directly booted OS (no firmware to provide them): RSDP,
 * RSDT/XSDT, FADT with FACS, a DSDT holding \_S5, the MADT, and optionally
 * an HPET table, written into guest memory. */
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

/* Bytes the tables need from table_gpa (alignment padding included). */
uint64_t acpi_tables_size(uint64_t table_gpa, const struct acpi_tables_config *cfg);

/* Builds the tables in [table_gpa, table_gpa + table_space) and the RSDP at
 * rsdp_gpa (16-byte aligned; put it in 0xE0000-0xFFFFF for legacy scans),
 * all below 4 GiB; cfg NULL means all defaults. The board should mark the
 * table range E820_ACPI. *rsdp_out (if non-NULL) receives the RSDP address.
 * Returns 0, or -1 with a one-line message in err. */
int acpi_tables_build(struct machine *m, uint64_t table_gpa, uint64_t table_space,
                      uint64_t rsdp_gpa, const struct acpi_tables_config *cfg,
                      uint64_t *rsdp_out, char *err, size_t err_len);

#endif
