/* The BIOS linker/loader script for vx86's ACPI blobs, and the fw_cfg files
 * that carry blobs and script to SeaBIOS (or OVMF). */
#include "hw/acpi_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi_tables.h"
#include "hw/fw_cfg.h"

/* Field offsets within an entry (after the 4-byte command). */
#define ENT_ALLOC_FILE   4
#define ENT_ALLOC_ALIGN  (4 + ACPI_LOADER_NAME_SIZE)
#define ENT_ALLOC_ZONE   (ENT_ALLOC_ALIGN + 4)
#define ENT_PTR_DEST     4
#define ENT_PTR_SRC      (4 + ACPI_LOADER_NAME_SIZE)
#define ENT_PTR_OFFSET   (4 + 2 * ACPI_LOADER_NAME_SIZE)
#define ENT_PTR_SIZE     (ENT_PTR_OFFSET + 4)
#define ENT_CSUM_FILE    4
#define ENT_CSUM_OFFSET  (4 + ACPI_LOADER_NAME_SIZE)
#define ENT_CSUM_START   (ENT_CSUM_OFFSET + 4)
#define ENT_CSUM_LENGTH  (ENT_CSUM_START + 4)

static void put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_name(uint8_t *p, const char *name)
{
    /* The names are constants well under 56 bytes; the rest stays zero. */
    memcpy(p, name, strlen(name));
}

static const char *file_name(uint8_t file)
{
    return file == ACPI_BLOB_RSDP ? ACPI_LOADER_FILE_RSDP : ACPI_LOADER_FILE_TABLES;
}

size_t acpi_loader_script_size(const struct acpi_blob *b)
{
    return (size_t)(2 + b->pointer_count + b->checksum_count) * ACPI_LOADER_ENTRY_SIZE;
}

void acpi_loader_write_script(const struct acpi_blob *b, uint8_t *out)
{
    memset(out, 0, acpi_loader_script_size(b));
    uint8_t *e = out;
    /* Every file is allocated before any command refers to it. The tables
     * may go anywhere; the RSDP must be where the legacy scan looks. */
    put32(e, ACPI_LOADER_CMD_ALLOCATE);
    put_name(e + ENT_ALLOC_FILE, ACPI_LOADER_FILE_TABLES);
    put32(e + ENT_ALLOC_ALIGN, ACPI_BLOB_TABLES_ALIGN);
    e[ENT_ALLOC_ZONE] = ACPI_LOADER_ZONE_HIGH;
    e += ACPI_LOADER_ENTRY_SIZE;
    put32(e, ACPI_LOADER_CMD_ALLOCATE);
    put_name(e + ENT_ALLOC_FILE, ACPI_LOADER_FILE_RSDP);
    put32(e + ENT_ALLOC_ALIGN, ACPI_BLOB_RSDP_ALIGN);
    e[ENT_ALLOC_ZONE] = ACPI_LOADER_ZONE_FSEG;
    e += ACPI_LOADER_ENTRY_SIZE;
    for (unsigned i = 0; i < b->pointer_count; i++, e += ACPI_LOADER_ENTRY_SIZE) {
        const struct acpi_blob_pointer *p = &b->pointers[i];
        put32(e, ACPI_LOADER_CMD_ADD_POINTER);
        put_name(e + ENT_PTR_DEST, file_name(p->dest));
        put_name(e + ENT_PTR_SRC, file_name(p->src));
        put32(e + ENT_PTR_OFFSET, p->offset);
        e[ENT_PTR_SIZE] = p->size;
    }
    /* Checksums last, in the blob's order, once every pointer is final. */
    for (unsigned i = 0; i < b->checksum_count; i++, e += ACPI_LOADER_ENTRY_SIZE) {
        const struct acpi_blob_checksum *c = &b->checksums[i];
        put32(e, ACPI_LOADER_CMD_ADD_CHECKSUM);
        put_name(e + ENT_CSUM_FILE, file_name(c->file));
        put32(e + ENT_CSUM_OFFSET, c->offset);
        put32(e + ENT_CSUM_START, c->start);
        put32(e + ENT_CSUM_LENGTH, c->length);
    }
}

int acpi_loader_add_fw_cfg(struct fw_cfg *f, const struct acpi_tables_config *cfg,
                           char *err, size_t err_len)
{
    struct acpi_blob b;
    if (acpi_tables_build_blob(cfg, &b, err, err_len) < 0)
        return -1;
    size_t script_len = acpi_loader_script_size(&b);
    uint8_t *script = malloc(script_len);
    int ret = -1;
    if (!script) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    acpi_loader_write_script(&b, script);
    if (fw_cfg_add_file(f, ACPI_LOADER_FILE_TABLES, b.tables, b.tables_len) < 0 ||
        fw_cfg_add_file(f, ACPI_LOADER_FILE_RSDP, b.rsdp, sizeof(b.rsdp)) < 0 ||
        fw_cfg_add_file(f, ACPI_LOADER_FILE_SCRIPT, script, script_len) < 0) {
        snprintf(err, err_len, "cannot add the ACPI tables to fw_cfg");
        goto out;
    }
    ret = 0;
out:
    free(script);
    acpi_blob_free(&b);
    return ret;
}
