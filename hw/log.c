/* Implementation of the -d/-D log: item table, destination, formatting. */
#include "hw/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

unsigned log_mask;
static FILE *log_out;

static const struct {
    const char *name;
    unsigned bit;
    const char *what;
} log_items[] = {
    { "int", LOG_INT, "exceptions and interrupts" },
    { "exec", LOG_EXEC, "trace of executed blocks (bt)" },
    { "in_asm", LOG_IN_ASM, "guest code of each translated block (bt)" },
    { "op", LOG_OP, "IR of each translated block (bt)" },
    { "out_asm", LOG_OUT_ASM, "host code of each translated block (bt)" },
    { "guest_errors", LOG_GUEST_ERRORS, "guest actions the hardware rejects" },
    { "unimp", LOG_UNIMP, "features the guest used that vx86 does not model" },
    { "ioport", LOG_IOPORT, "accesses to unassigned I/O ports and MMIO" },
    { "exits", LOG_EXITS, "kvm exits" },
};

const char *log_item_help(void)
{
    static char buf[1024];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "Log items (-d ITEM,...):\n");
    for (unsigned i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  %-13s %s\n", log_items[i].name,
                              log_items[i].what);
    return buf;
}

int log_parse_items(const char *spec, unsigned *mask, char *err, size_t err_len)
{
    unsigned m = 0;
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        bool found = false;
        for (unsigned i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++) {
            if (strlen(log_items[i].name) == len && !strncmp(p, log_items[i].name, len)) {
                m |= log_items[i].bit;
                found = true;
            }
        }
        if (!found) {
            snprintf(err, err_len, "unknown log item '%.*s' (-d help lists them)", (int)len, p);
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return 0;
}

int log_set_file(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "cannot open log file '%s': %s", path, strerror(errno));
        return -1;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_out = f;
    return 0;
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_out ? log_out : stderr, fmt, ap);
    va_end(ap);
}
