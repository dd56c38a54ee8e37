/* Append-only e820 table with merging of contiguous same-type ranges. */
#include "hw/e820.h"

#include <errno.h>
#include <string.h>

void e820_init(struct e820_map *map)
{
    memset(map, 0, sizeof(*map));
}

int e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type)
{
    if (!size)
        return 0;
    if (map->count) {
        struct e820_entry *last = &map->entries[map->count - 1];
        if (last->type == type && last->addr + last->size == addr) {
            last->size += size;
            return 0;
        }
    }
    if (map->count == E820_MAX_ENTRIES)
        return -ENOSPC;
    map->entries[map->count++] = (struct e820_entry){ addr, size, type };
    return 0;
}
