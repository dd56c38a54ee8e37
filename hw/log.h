/* -d/-D logging: named items switched on from the command line, written to
 * stderr or the -D file. Callers test log_enabled() before formatting. */
#ifndef VX86_HW_LOG_H
#define VX86_HW_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_item {
    LOG_INT = 1u << 0,          /* exceptions and interrupts */
    LOG_EXEC = 1u << 1,         /* block trace (bt) */
    LOG_IN_ASM = 1u << 2,       /* guest code per block (bt) */
    LOG_OP = 1u << 3,           /* IR (bt) */
    LOG_OUT_ASM = 1u << 4,      /* host code (bt) */
    LOG_GUEST_ERRORS = 1u << 5, /* guest did something the hardware rejects */
    LOG_UNIMP = 1u << 6,        /* guest used something vx86 does not model */
    LOG_IOPORT = 1u << 7,       /* accesses to unassigned ports and MMIO */
    LOG_EXITS = 1u << 8,        /* kvm exits */
};

extern unsigned log_mask;

static inline bool log_enabled(enum log_item item) { return (log_mask & item) != 0; }
/* Parses "int,exec,..." or "help"; fills err and returns -1 on an unknown item. */
int log_parse_items(const char *spec, unsigned *mask, char *err, size_t err_len);
const char *log_item_help(void);
int log_set_file(const char *path, char *err, size_t err_len);
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
