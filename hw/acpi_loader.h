/* Hands vx86's ACPI tables to firmware the way QEMU does: the blobs as
 * fw_cfg files "etc/acpi/tables" and "etc/acpi/rsdp", and a BIOS
 * linker/loader script "etc/table-loader" telling the firmware where to
 * allocate them and which pointers and checksums to patch. */
#ifndef VX86_HW_ACPI_LOADER_H
#define VX86_HW_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct acpi_blob;
struct acpi_tables_config;
struct fw_cfg;

#define ACPI_LOADER_FILE_TABLES "etc/acpi/tables"
#define ACPI_LOADER_FILE_RSDP   "etc/acpi/rsdp"
#define ACPI_LOADER_FILE_SCRIPT "etc/table-loader"

/* Script entries: 128 bytes, all fields little-endian, a command word then
 * the command's fields; file names are NUL-padded 56-byte fields. */
#define ACPI_LOADER_ENTRY_SIZE  128
#define ACPI_LOADER_NAME_SIZE   56
#define ACPI_LOADER_CMD_ALLOCATE     1 /* file, align (u32), zone (u8) */
#define ACPI_LOADER_CMD_ADD_POINTER  2 /* dest file, src file, offset (u32), size (u8) */
#define ACPI_LOADER_CMD_ADD_CHECKSUM 3 /* file, offset, start, length (u32 each) */
#define ACPI_LOADER_ZONE_HIGH 1        /* anywhere in RAM (below 4 GiB) */
#define ACPI_LOADER_ZONE_FSEG 2        /* the 0xF0000 segment */

/* Bytes of the script for a blob: one entry per allocation, pointer and
 * checksum. */
size_t acpi_loader_script_size(const struct acpi_blob *b);
/* Writes the script (acpi_loader_script_size bytes) to out. */
void acpi_loader_write_script(const struct acpi_blob *b, uint8_t *out);
/* Builds the tables for cfg and adds the three files to f. Returns 0, or -1
 * with a one-line message in err. */
int acpi_loader_add_fw_cfg(struct fw_cfg *f, const struct acpi_tables_config *cfg,
                           char *err, size_t err_len);

#endif
