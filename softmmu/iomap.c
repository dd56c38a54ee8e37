/* Sorted region table with binary-search lookup, used for both the port I/O
 * space and the MMIO part of the physical address space. */
#include "softmmu/iomap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void iomap_init(struct iomap *map)
{
    memset(map, 0, sizeof(*map));
}

void iomap_destroy(struct iomap *map)
{
    free(map->regions);
    memset(map, 0, sizeof(*map));
}

static unsigned iomap_lower_bound(const struct iomap *map, uint64_t addr)
{
    unsigned lo = 0, hi = map->count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (map->regions[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo; /* first region with base > addr */
}

int iomap_add(struct iomap *map, uint64_t base, uint64_t size, io_handler_fn fn,
              void *opaque, const char *name)
{
    if (!size || !fn || base + size - 1 < base)
        return -EINVAL;
    unsigned pos = iomap_lower_bound(map, base);
    if (pos > 0) {
        const struct io_region *prev = &map->regions[pos - 1];
        if (prev->base + prev->size - 1 >= base)
            return -EEXIST;
    }
    if (pos < map->count && map->regions[pos].base <= base + size - 1)
        return -EEXIST;
    if (map->count == map->capacity) {
        unsigned ncap = map->capacity ? map->capacity * 2 : 32;
        struct io_region *n = realloc(map->regions, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        map->regions = n;
        map->capacity = ncap;
    }
    memmove(&map->regions[pos + 1], &map->regions[pos],
            (map->count - pos) * sizeof(map->regions[0]));
    map->regions[pos] = (struct io_region){ base, size, fn, opaque, name };
    map->count++;
    return 0;
}

int iomap_remove(struct iomap *map, uint64_t base)
{
    unsigned pos = iomap_lower_bound(map, base);
    if (pos == 0 || map->regions[pos - 1].base != base)
        return -ENOENT;
    pos--;
    memmove(&map->regions[pos], &map->regions[pos + 1],
            (map->count - pos - 1) * sizeof(map->regions[0]));
    map->count--;
    return 0;
}

const struct io_region *iomap_find(const struct iomap *map, uint64_t addr)
{
    unsigned pos = iomap_lower_bound(map, addr);
    if (pos == 0)
        return NULL;
    const struct io_region *r = &map->regions[pos - 1];
    return addr - r->base < r->size ? r : NULL;
}

bool iomap_access(struct iomap *map, uint64_t addr, uint8_t *data, unsigned len,
                  bool is_write)
{
    const struct io_region *r = iomap_find(map, addr);
    if (r && addr - r->base + len <= r->size) {
        r->handler(r->opaque, addr - r->base, data, len, is_write);
        return true;
    }
    bool any = false;
    for (unsigned i = 0; i < len; i++) {
        r = iomap_find(map, addr + i);
        if (r) {
            r->handler(r->opaque, addr + i - r->base, &data[i], 1, is_write);
            any = true;
        } else if (!is_write) {
            data[i] = 0xff;
        }
    }
    return any;
}
