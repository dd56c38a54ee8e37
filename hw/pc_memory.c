/* Builds the guest physical memory map of the PC board and keeps the BIOS
 * shadow area in step with the i440FX PAM registers. */
#include "hw/pc_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "hw/e820.h"
#include "hw/machine.h"

#define GiB (1ull << 30)
#define FOUR_GIB (4ull << 30)

void pc_memory_split(uint64_t ram_size, uint64_t *below_4g, uint64_t *above_4g)
{
    /* Large guests get a 1 GiB-aligned hole so the PCI window has room. */
    uint64_t limit = ram_size >= PC_LOWMEM_DEFAULT_LIMIT ? 0xc0000000ull : PC_LOWMEM_DEFAULT_LIMIT;
    *below_4g = ram_size < limit ? ram_size : limit;
    *above_4g = ram_size - *below_4g;
}

static void pam_segment_range(unsigned segment, uint64_t *base, uint64_t *size)
{
    if (segment == 0) {
        *base = 0xf0000;
        *size = 0x10000;
    } else {
        *base = 0xc0000 + (uint64_t)(segment - 1) * 0x4000;
        *size = 0x4000;
    }
}

/* Host memory holding the BIOS bytes that appear at gpa, or NULL when the
 * low alias does not reach it. */
static uint8_t *bios_alias_ptr(struct pc_memory *pm, uint64_t gpa)
{
    uint64_t alias_base = 0x100000 - pm->bios_alias_size;
    if (!pm->bios || gpa < alias_base)
        return NULL;
    return pm->bios + pm->bios_size - (0x100000 - gpa);
}

void pc_memory_set_pam(struct machine *m, struct pc_memory *pm, unsigned segment, unsigned mode)
{
    if (segment >= PC_PAM_SEGMENTS)
        return;
    uint64_t base, size;
    pam_segment_range(segment, &base, &size);
    mode &= 3;
    if (pm->direct_boot)
        mode = 3;
    physmem_unmap(&m->mem, base);
    pm->pam_mode[segment] = (uint8_t)mode;
    uint8_t *ram = m->ram + base;
    uint8_t *rom = bios_alias_ptr(pm, base);
    switch (mode) {
    case 0: /* reads and writes go to the bus: the ROM alias, if any */
        if (rom)
            physmem_map(&m->mem, base, size, rom, true, NULL, "bios-alias");
        break;
    case 1: /* read DRAM, writes go to the bus and are lost */
        physmem_map(&m->mem, base, size, ram, true, NULL, "shadow-ro");
        break;
    case 2: /* read ROM, write DRAM: how firmware copies itself into shadow */
        if (rom)
            physmem_map(&m->mem, base, size, rom, true, ram, "shadow-wo");
        break;
    case 3:
        physmem_map(&m->mem, base, size, ram, false, NULL, "shadow-rw");
        break;
    }
}

void pc_memory_reset(struct machine *m, struct pc_memory *pm)
{
    for (unsigned s = 0; s < PC_PAM_SEGMENTS; s++)
        pc_memory_set_pam(m, pm, s, 0);
}

static int bios_load(struct pc_memory *pm, const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open BIOS '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "BIOS '%s' is not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_size < 16 || (uint64_t)st.st_size > PC_BIOS_MAX_SIZE) {
        snprintf(err, err_len, "BIOS '%s' has size %lld; it must be 16 bytes to 16 MiB", path,
                 (long long)st.st_size);
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    size_t padded = (size + 0xffff) & ~(size_t)0xffff;
    /* Page-aligned: KVM maps it straight into the guest as a memory slot. */
    pm->bios = aligned_alloc(4096, padded);
    if (pm->bios)
        memset(pm->bios, 0, padded);
    if (!pm->bios) {
        close(fd);
        snprintf(err, err_len, "out of memory for the BIOS image");
        return -1;
    }
    /* Pad at the front so the image's last byte sits at 4 GiB - 1 and its
     * reset vector at 0xFFFFFFF0. */
    size_t off = padded - size, got = 0;
    while (got < size) {
        ssize_t n = read(fd, pm->bios + off + got, size - got);
        if (n <= 0) {
            snprintf(err, err_len, "cannot read BIOS '%s': %s", path,
                     n < 0 ? strerror(errno) : "unexpected end of file");
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    pm->bios_size = padded;
    pm->bios_alias_size = padded < 0x20000 ? padded : 0x20000;
    return 0;
}

int pc_memory_init(struct machine *m, struct pc_memory *pm, uint64_t ram_size,
                   const char *bios_path, char *err, size_t err_len)
{
    memset(pm, 0, sizeof(*pm));
    if (ram_size < (2u << 20)) {
        snprintf(err, err_len, "memory size %llu bytes is too small (at least 2 MiB)",
                 (unsigned long long)ram_size);
        return -1;
    }
    struct sysinfo si;
    if (sysinfo(&si) == 0) {
        uint64_t host = (uint64_t)si.totalram * si.mem_unit;
        if (ram_size > host) {
            snprintf(err, err_len, "memory size %llu MiB is more than this host has (%llu MiB)",
                     (unsigned long long)(ram_size >> 20), (unsigned long long)(host >> 20));
            return -1;
        }
    }
    if (bios_path && bios_load(pm, bios_path, err, err_len) < 0)
        return -1;
    pm->direct_boot = bios_path == NULL;

    pc_memory_split(ram_size, &m->ram_below_4g, &m->ram_above_4g);
    m->ram_size = ram_size;
    /* Below-4G RAM is addressed by guest-physical offset, so the host buffer
     * keeps the VGA and BIOS holes; above-4G RAM follows it. */
    size_t host_size = (size_t)(ram_size < 0x100000 ? 0x100000 : ram_size);
    m->ram = mmap(NULL, host_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->ram == MAP_FAILED) {
        m->ram = NULL;
        snprintf(err, err_len, "cannot allocate %llu MiB of guest memory: %s",
                 (unsigned long long)(ram_size >> 20), strerror(errno));
        return -1;
    }
    madvise(m->ram, host_size, MADV_MERGEABLE);

    int r = physmem_map(&m->mem, 0, 0xa0000, m->ram, false, NULL, "ram-low");
    if (r >= 0 && m->ram_below_4g > 0x100000)
        r = physmem_map(&m->mem, 0x100000, m->ram_below_4g - 0x100000, m->ram + 0x100000, false,
                        NULL, "ram-below-4g");
    if (r >= 0 && m->ram_above_4g)
        r = physmem_map(&m->mem, FOUR_GIB, m->ram_above_4g, m->ram + m->ram_below_4g, false,
                        NULL, "ram-above-4g");
    if (r >= 0 && pm->bios)
        r = physmem_map(&m->mem, FOUR_GIB - pm->bios_size, pm->bios_size, pm->bios, true, NULL,
                        "bios");
    if (r < 0) {
        snprintf(err, err_len, "cannot map guest memory: %s", strerror(-r));
        return -1;
    }
    pc_memory_reset(m, pm);

    e820_init(&m->e820);
    e820_add(&m->e820, 0, 0x9fc00, E820_RAM);
    e820_add(&m->e820, 0x9fc00, 0x400, E820_RESERVED); /* EBDA */
    e820_add(&m->e820, 0xe0000, 0x20000, E820_RESERVED); /* BIOS area: ROM or ACPI tables */
    if (m->ram_below_4g > 0x100000)
        e820_add(&m->e820, 0x100000, m->ram_below_4g - 0x100000, E820_RAM);
    if (pm->bios)
        e820_add(&m->e820, FOUR_GIB - 0x40000, 0x40000, E820_RESERVED);
    if (m->ram_above_4g)
        e820_add(&m->e820, FOUR_GIB, m->ram_above_4g, E820_RAM);
    return 0;
}

void pc_memory_destroy(struct machine *m, struct pc_memory *pm)
{
    if (m->ram)
        munmap(m->ram, m->ram_size < 0x100000 ? 0x100000 : m->ram_size);
    m->ram = NULL;
    free(pm->bios);
    pm->bios = NULL;
}
