/* The guest physical address space: RAM and ROM slots backed by host memory,
 * and MMIO regions dispatched to devices through an iomap. */
#ifndef VX86_SOFTMMU_PHYSMEM_H
#define VX86_SOFTMMU_PHYSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softmmu/iomap.h"

#define PHYS_MAX_SLOTS 32

struct phys_slot {
    bool used;
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;       /* what reads see */
    bool readonly;       /* writes do not land in host */
    uint8_t *write_host; /* for readonly slots: where writes go instead, or NULL to drop them */
    const char *name;
};

struct physmem;
/* Told when a slot appears or disappears, so an engine that mirrors the map
 * (KVM memslots, TLBs) can follow. index is stable for the slot's life. */
typedef void (*physmem_listener_fn)(void *opaque, unsigned index,
                                    const struct phys_slot *slot, bool added);

struct physmem {
    struct phys_slot slots[PHYS_MAX_SLOTS];
    struct iomap mmio;
    physmem_listener_fn listener;
    void *listener_opaque;
    /* Bumped on every map change, so caches of translations can notice. */
    uint64_t generation;
};

void physmem_init(struct physmem *pm);
void physmem_destroy(struct physmem *pm);
/* Maps [gpa, gpa+size) to host memory; returns the slot index, or -EEXIST when
 * it overlaps another slot, -ENOSPC when the table is full. */
int physmem_map(struct physmem *pm, uint64_t gpa, uint64_t size, uint8_t *host,
                bool readonly, uint8_t *write_host, const char *name);
/* Unmaps the slot starting exactly at gpa; -ENOENT if none. */
int physmem_unmap(struct physmem *pm, uint64_t gpa);
const struct phys_slot *physmem_find_slot(const struct physmem *pm, uint64_t gpa);
/* Host pointer for reading [gpa, gpa+len) when it lies inside one slot, else NULL. */
uint8_t *physmem_host_ptr(const struct physmem *pm, uint64_t gpa, uint64_t len);
/* Host pointer for writing when [gpa, gpa+len) lies in one writable slot. */
uint8_t *physmem_host_ptr_write(const struct physmem *pm, uint64_t gpa, uint64_t len);
/* Byte-exact accesses that go to RAM, ROM or MMIO as the map says;
 * unmapped bytes read 0xff and drop writes. */
void physmem_read(struct physmem *pm, uint64_t gpa, void *buf, size_t len);
void physmem_write(struct physmem *pm, uint64_t gpa, const void *buf, size_t len);
/* One MMIO access of 1..8 bytes (what an engine calls on an MMIO exit). */
bool physmem_mmio_access(struct physmem *pm, uint64_t gpa, uint8_t *data,
                         unsigned len, bool is_write);
void physmem_set_listener(struct physmem *pm, physmem_listener_fn fn, void *opaque);

#endif
