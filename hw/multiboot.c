/* Multiboot v1 loader: finds the header, loads the image by ELF program
 * headers or by the header's a.out-kludge addresses, places modules, writes
 * the information structure in low memory and enters the kernel. */
#include "hw/multiboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hw/linux_boot.h"
#include "hw/machine.h"
#include "softmmu/physmem.h"

/* Header flags: bits 0-15 are requirements the loader must meet or refuse. */
#define MBH_PAGE_ALIGN    (1u << 0)
#define MBH_MEMORY_INFO   (1u << 1)
#define MBH_VIDEO_MODE    (1u << 2)
#define MBH_AOUT_KLUDGE   (1u << 16)
#define MBH_REQUIRED_MASK 0xffffu

/* Information structure flags and field offsets. */
#define MBI_FLAG_MEMORY      (1u << 0)
#define MBI_FLAG_BOOTDEV     (1u << 1)
#define MBI_FLAG_CMDLINE     (1u << 2)
#define MBI_FLAG_MODS        (1u << 3)
#define MBI_FLAG_MMAP        (1u << 6)
#define MBI_FLAG_LOADER_NAME (1u << 9)
#define MBI_FLAGS            0
#define MBI_MEM_LOWER        4
#define MBI_MEM_UPPER        8
#define MBI_BOOT_DEVICE      12
#define MBI_CMDLINE          16
#define MBI_MODS_COUNT       20
#define MBI_MODS_ADDR        24
#define MBI_MMAP_LENGTH      44
#define MBI_MMAP_ADDR        48
#define MBI_LOADER_NAME      64
#define MBI_SIZE             88
#define MBI_MMAP_ENTRY_SIZE  24 /* the size field (20) does not count itself */
#define MBI_MODULE_SIZE      16

/* No BIOS drive was booted from: drive and all partitions "unused". */
#define MBI_NO_BOOT_DEVICE   0xffffffffu

#define ELF_PT_LOAD 1
#define ELF_EM_386  3
#define ELF_EM_486  6
#define ELF_EM_X86_64 62

#define PAGE_SIZE 0x1000ull
#define FOUR_GB   0x100000000ull

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

bool multiboot_detect(const uint8_t *buf, size_t len, size_t *header_offset)
{
    size_t limit = len < MULTIBOOT_SEARCH_LIMIT ? len : MULTIBOOT_SEARCH_LIMIT;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t magic = get32(buf + off);
        if (magic != MULTIBOOT_HEADER_MAGIC)
            continue;
        if ((uint32_t)(magic + get32(buf + off + 4) + get32(buf + off + 8)) != 0)
            continue;
        if (header_offset)
            *header_offset = off;
        return true;
    }
    return false;
}

/* One piece of the image to copy to guest memory, followed by zeroes up to memsz. */
struct mb_segment {
    uint64_t paddr, vaddr, offset, filesz, memsz;
};

struct mb_image {
    struct mb_segment *seg;
    unsigned count;
    uint64_t entry;
};

static int parse_aout_kludge(const uint8_t *buf, size_t len, size_t hoff, struct mb_image *img,
                             char *err, size_t err_len)
{
    if (hoff + 32 > len) {
        snprintf(err, err_len, "multiboot header truncated (a.out kludge fields missing)");
        return -1;
    }
    uint32_t header_addr = get32(buf + hoff + 12), load_addr = get32(buf + hoff + 16);
    uint32_t load_end = get32(buf + hoff + 20), bss_end = get32(buf + hoff + 24);
    uint32_t entry = get32(buf + hoff + 28);
    if (load_addr > header_addr || header_addr - load_addr > hoff) {
        snprintf(err, err_len, "multiboot header: load_addr 0x%x does not fit header_addr 0x%x",
                 load_addr, header_addr);
        return -1;
    }
    uint64_t offset = hoff - (header_addr - load_addr);
    uint64_t filesz = load_end ? (uint64_t)load_end - load_addr : len - offset;
    if (load_end && load_end < load_addr) {
        snprintf(err, err_len, "multiboot header: load_end_addr 0x%x below load_addr 0x%x",
                 load_end, load_addr);
        return -1;
    }
    if (offset + filesz > len) {
        snprintf(err, err_len, "kernel file too small for load_end_addr 0x%x", load_end);
        return -1;
    }
    uint64_t memsz = filesz;
    if (bss_end) {
        if (bss_end < load_addr + filesz) {
            snprintf(err, err_len, "multiboot header: bss_end_addr 0x%x below the loaded data",
                     bss_end);
            return -1;
        }
        memsz = (uint64_t)bss_end - load_addr;
    }
    img->seg = calloc(1, sizeof(*img->seg));
    if (!img->seg) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    img->seg[0] = (struct mb_segment){ load_addr, load_addr, offset, filesz, memsz };
    img->count = 1;
    img->entry = entry;
    return 0;
}

static int parse_elf(const uint8_t *buf, size_t len, struct mb_image *img, char *err, size_t err_len)
{
    if (len < 52 || memcmp(buf, "\x7f" "ELF", 4) != 0) {
        snprintf(err, err_len, "multiboot kernel is neither ELF nor uses the a.out kludge (flag 16)");
        return -1;
    }
    bool is64 = buf[4] == 2;
    uint16_t machine = get16(buf + 18);
    if ((buf[4] != 1 && buf[4] != 2) || buf[5] != 1 ||
        (is64 ? machine != ELF_EM_X86_64 : (machine != ELF_EM_386 && machine != ELF_EM_486)) ||
        (is64 && len < 64)) {
        snprintf(err, err_len, "multiboot kernel is not a little-endian x86 ELF file");
        return -1;
    }
    uint64_t entry = is64 ? get64(buf + 24) : get32(buf + 24);
    uint64_t phoff = is64 ? get64(buf + 32) : get32(buf + 28);
    unsigned phentsize = get16(buf + (is64 ? 54 : 42));
    unsigned phnum = get16(buf + (is64 ? 56 : 44));
    if (phentsize < (is64 ? 56u : 32u) || phoff > len ||
        (uint64_t)phnum * phentsize > len - phoff) {
        snprintf(err, err_len, "ELF program headers lie outside the kernel file");
        return -1;
    }
    img->seg = calloc(phnum ? phnum : 1, sizeof(*img->seg));
    if (!img->seg) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = buf + phoff + (uint64_t)i * phentsize;
        if (get32(ph) != ELF_PT_LOAD)
            continue;
        struct mb_segment s;
        if (is64)
            s = (struct mb_segment){ get64(ph + 24), get64(ph + 16), get64(ph + 8),
                                     get64(ph + 32), get64(ph + 40) };
        else
            s = (struct mb_segment){ get32(ph + 12), get32(ph + 8), get32(ph + 4),
                                     get32(ph + 16), get32(ph + 20) };
        if (s.offset > len || s.filesz > len - s.offset || s.filesz > s.memsz) {
            snprintf(err, err_len, "ELF segment %u lies outside the kernel file", i);
            return -1;
        }
        if (s.memsz)
            img->seg[img->count++] = s;
    }
    if (!img->count) {
        snprintf(err, err_len, "ELF kernel has no loadable segment");
        return -1;
    }
    /* Paging is off at entry: an entry point given as a virtual address of
     * a higher-half kernel is moved to where that segment was loaded. */
    img->entry = entry;
    for (unsigned i = 0; i < img->count; i++) {
        const struct mb_segment *s = &img->seg[i];
        if (entry >= s->vaddr && entry - s->vaddr < s->memsz) {
            img->entry = entry - s->vaddr + s->paddr;
            break;
        }
    }
    if (img->entry >= FOUR_GB) {
        snprintf(err, err_len, "ELF entry point 0x%llx is not reachable in 32-bit mode",
                 (unsigned long long)img->entry);
        return -1;
    }
    return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Writes zeroes without a buffer the size of the range. */
static void write_zeroes(struct machine *m, uint64_t addr, uint64_t len)
{
    static const uint8_t zero[4096];
    while (len) {
        size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);
        physmem_write(&m->mem, addr, zero, n);
        addr += n;
        len -= n;
    }
}

struct mb_module {
    uint8_t *data;
    size_t len;
    uint64_t addr;
    const char *string; /* points into the copy of initrd_paths */
};

/* Splits "a args,b" into modules, reads each file and places it at the
 * lowest page-aligned RAM address after *next. */
static int load_modules(struct machine *m, char *list, struct mb_module *mods, unsigned *count,
                        uint64_t *next, char *err, size_t err_len)
{
    *count = 0;
    for (char *item = list; item; ) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        if (*item) {
            if (*count == MULTIBOOT_MAX_MODULES) {
                snprintf(err, err_len, "too many multiboot modules (at most %d)",
                         MULTIBOOT_MAX_MODULES);
                return -1;
            }
            struct mb_module *mod = &mods[(*count)++];
            *mod = (struct mb_module){ .string = item };
            size_t name_len = strcspn(item, " ");
            char *path = strndup(item, name_len);
            if (!path) {
                snprintf(err, err_len, "out of memory");
                return -1;
            }
            int r = linux_boot_read_file(path, &mod->data, &mod->len, err, err_len);
            if (r == 0 && !linux_boot_e820_find_ram(&m->e820, *next, mod->len ? mod->len : 1,
                                                    PAGE_SIZE, FOUR_GB, &mod->addr)) {
                snprintf(err, err_len, "initrd %s (%zu bytes) does not fit in memory above 0x%llx",
                         path, mod->len, (unsigned long long)*next);
                r = -1;
            }
            free(path);
            if (r < 0)
                return -1;
            *next = mod->addr + mod->len;
        }
        item = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* Appends a NUL-terminated string to the strings area; returns its guest
 * address, or 0 when the area is full. */
static uint32_t add_string(uint8_t *area, size_t *used, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    size_t need = la + (lb ? lb + 1 : 0) + 1;
    size_t room = MULTIBOOT_AREA_END - MULTIBOOT_STRINGS_ADDR;
    if (need > room - *used)
        return 0;
    uint8_t *p = area + (MULTIBOOT_STRINGS_ADDR - MULTIBOOT_INFO_ADDR) + *used;
    memcpy(p, a, la);
    if (lb) {
        p[la] = ' ';
        memcpy(p + la + 1, b, lb);
    }
    p[need - 1] = '\0';
    uint32_t addr = (uint32_t)(MULTIBOOT_STRINGS_ADDR + *used);
    *used += need;
    return addr;
}

int multiboot_load(struct machine *m, const char *kernel_path, const char *initrd_paths,
                   const char *cmdline, char *err, size_t err_len)
{
    uint8_t *buf = NULL, *area = NULL;
    size_t len = 0, hoff = 0;
    struct mb_image img = { 0 };
    struct mb_module mods[MULTIBOOT_MAX_MODULES];
    unsigned nmods = 0;
    char *list = NULL;
    int ret = -1;

    if (linux_boot_read_file(kernel_path, &buf, &len, err, err_len) < 0)
        return -1;
    if (len < 12) {
        snprintf(err, err_len, "%s: too small for a multiboot kernel (%zu bytes)", kernel_path, len);
        goto out;
    }
    if (!multiboot_detect(buf, len, &hoff)) {
        snprintf(err, err_len, "%s: not a multiboot kernel (no valid header in the first %d bytes)",
                 kernel_path, MULTIBOOT_SEARCH_LIMIT);
        goto out;
    }
    uint32_t flags = get32(buf + hoff + 4);
    /* Video mode (bit 2) is a request we cannot honour without firmware;
     * like other direct loaders we boot without the VBE fields rather than
     * refuse. Unknown required bits are refused as the spec demands. */
    uint32_t unknown = flags & MBH_REQUIRED_MASK & ~(MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE);
    if (unknown) {
        snprintf(err, err_len, "%s: multiboot kernel requires unsupported features (flags 0x%x)",
                 kernel_path, unknown);
        goto out;
    }
    int r = (flags & MBH_AOUT_KLUDGE) ? parse_aout_kludge(buf, len, hoff, &img, err, err_len)
                                      : parse_elf(buf, len, &img, err, err_len);
    if (r < 0)
        goto out;

    uint64_t kernel_end = 0;
    for (unsigned i = 0; i < img.count; i++) {
        const struct mb_segment *s = &img.seg[i];
        if (s->paddr >= FOUR_GB || s->memsz > FOUR_GB - s->paddr ||
            !linux_boot_e820_is_ram(&m->e820, s->paddr, s->memsz)) {
            snprintf(err, err_len, "kernel does not fit in RAM (segment at 0x%llx, %llu bytes)",
                     (unsigned long long)s->paddr, (unsigned long long)s->memsz);
            goto out;
        }
        if (ranges_overlap(s->paddr, s->memsz, LINUX_BOOT_GDT_ADDR, 40) ||
            ranges_overlap(s->paddr, s->memsz, MULTIBOOT_INFO_ADDR,
                           MULTIBOOT_AREA_END - MULTIBOOT_INFO_ADDR)) {
            snprintf(err, err_len,
                     "kernel segment at 0x%llx overlaps the loader's low memory (0x%llx-0x%llx)",
                     (unsigned long long)s->paddr, (unsigned long long)MULTIBOOT_INFO_ADDR,
                     (unsigned long long)MULTIBOOT_AREA_END);
            goto out;
        }
        if (s->paddr + s->memsz > kernel_end)
            kernel_end = s->paddr + s->memsz;
    }
    if (!linux_boot_e820_is_ram(&m->e820, MULTIBOOT_INFO_ADDR,
                                MULTIBOOT_AREA_END - MULTIBOOT_INFO_ADDR)) {
        snprintf(err, err_len, "low memory at 0x%llx-0x%llx is not RAM in the e820 map",
                 (unsigned long long)MULTIBOOT_INFO_ADDR, (unsigned long long)MULTIBOOT_AREA_END);
        goto out;
    }

    uint64_t next = kernel_end > MULTIBOOT_AREA_END ? kernel_end : MULTIBOOT_AREA_END;
    if (initrd_paths) {
        list = strdup(initrd_paths);
        if (!list) {
            snprintf(err, err_len, "out of memory");
            goto out;
        }
        if (load_modules(m, list, mods, &nmods, &next, err, err_len) < 0)
            goto out;
    }

    /* Information structure, memory map, module list and strings, built in
     * one buffer that mirrors [MULTIBOOT_INFO_ADDR, MULTIBOOT_AREA_END). */
    area = calloc(1, MULTIBOOT_AREA_END - MULTIBOOT_INFO_ADDR);
    if (!area) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    uint8_t *mbi = area;
    size_t str_used = 0;
    uint32_t name_addr = add_string(area, &str_used, "vx86", NULL);
    uint32_t cmd_addr = add_string(area, &str_used, kernel_path,
                                   cmdline && *cmdline ? cmdline : NULL);
    if (!name_addr || !cmd_addr) {
        snprintf(err, err_len, "command line too long for the multiboot information area");
        goto out;
    }
    uint64_t lower = linux_boot_e820_ram_extent(&m->e820, 0);
    if (lower > 640 * 1024)
        lower = 640 * 1024;
    uint64_t upper = linux_boot_e820_ram_extent(&m->e820, 0x100000) >> 10;
    if (upper > UINT32_MAX)
        upper = UINT32_MAX;
    put32(mbi + MBI_FLAGS, MBI_FLAG_MEMORY | MBI_FLAG_BOOTDEV | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
                               MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
    put32(mbi + MBI_MEM_LOWER, (uint32_t)(lower >> 10));
    put32(mbi + MBI_MEM_UPPER, (uint32_t)upper);
    put32(mbi + MBI_BOOT_DEVICE, MBI_NO_BOOT_DEVICE);
    put32(mbi + MBI_CMDLINE, cmd_addr);
    put32(mbi + MBI_MODS_COUNT, nmods);
    put32(mbi + MBI_MODS_ADDR, (uint32_t)MULTIBOOT_MODS_ADDR);
    put32(mbi + MBI_LOADER_NAME, name_addr);

    uint8_t *mmap = area + (MULTIBOOT_MMAP_ADDR - MULTIBOOT_INFO_ADDR);
    for (unsigned i = 0; i < m->e820.count; i++) {
        uint8_t *e = mmap + MBI_MMAP_ENTRY_SIZE * i;
        put32(e, MBI_MMAP_ENTRY_SIZE - 4);
        put64(e + 4, m->e820.entries[i].addr);
        put64(e + 12, m->e820.entries[i].size);
        put32(e + 20, m->e820.entries[i].type);
    }
    put32(mbi + MBI_MMAP_LENGTH, m->e820.count * MBI_MMAP_ENTRY_SIZE);
    put32(mbi + MBI_MMAP_ADDR, (uint32_t)MULTIBOOT_MMAP_ADDR);

    uint8_t *modlist = area + (MULTIBOOT_MODS_ADDR - MULTIBOOT_INFO_ADDR);
    for (unsigned i = 0; i < nmods; i++) {
        uint32_t s = add_string(area, &str_used, mods[i].string, NULL);
        if (!s) {
            snprintf(err, err_len, "module strings too long for the multiboot information area");
            goto out;
        }
        uint8_t *e = modlist + MBI_MODULE_SIZE * i;
        put32(e, (uint32_t)mods[i].addr);
        put32(e + 4, (uint32_t)(mods[i].addr + mods[i].len));
        put32(e + 8, s);
        put32(e + 12, 0);
    }

    if (!linux_boot_enter_flat32(m, (uint32_t)img.entry)) {
        snprintf(err, err_len, "low memory at 0x%llx is not RAM in the e820 map",
                 (unsigned long long)LINUX_BOOT_GDT_ADDR);
        goto out;
    }
    m->cpu.regs[R_RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    m->cpu.regs[R_RBX] = MULTIBOOT_INFO_ADDR;

    for (unsigned i = 0; i < img.count; i++) {
        const struct mb_segment *s = &img.seg[i];
        physmem_write(&m->mem, s->paddr, buf + s->offset, s->filesz);
        write_zeroes(m, s->paddr + s->filesz, s->memsz - s->filesz);
    }
    for (unsigned i = 0; i < nmods; i++)
        physmem_write(&m->mem, mods[i].addr, mods[i].data, mods[i].len);
    physmem_write(&m->mem, MULTIBOOT_INFO_ADDR, area, MULTIBOOT_AREA_END - MULTIBOOT_INFO_ADDR);
    ret = 0;
out:
    for (unsigned i = 0; i < nmods; i++)
        free(mods[i].data);
    free(area);
    free(list);
    free(img.seg);
    free(buf);
    return ret;
}
