/* nativecmp: the deterministic random source of the generator (splitmix64:
 * small, fast, and the same sequence on every host). */
#ifndef VX86_NATIVECMP_NC_RNG_H
#define VX86_NATIVECMP_NC_RNG_H

#include <stdint.h>

struct nc_rng {
    uint64_t s;
};

static inline uint64_t nc_rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t nc_rng_next(struct nc_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return nc_rng_mix(r->s);
}

/* Uniform in [0, n), n > 0. */
static inline uint32_t nc_rng_below(struct nc_rng *r, uint32_t n)
{
    return (uint32_t)(((nc_rng_next(r) >> 32) * n) >> 32);
}

/* True with probability pct / 100. */
static inline int nc_rng_pct(struct nc_rng *r, uint32_t pct)
{
    return nc_rng_below(r, 100) < pct;
}

#endif
