/* Little-endian field access in the state images nativecmp exchanges
 * (FXSAVE areas, signal frames), for the files that read and write them. */
#ifndef VX86_NATIVECMP_NC_BYTES_H
#define VX86_NATIVECMP_NC_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t nc_get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t nc_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t nc_get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void nc_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void nc_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#endif
