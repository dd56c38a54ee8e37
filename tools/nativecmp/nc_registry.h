/* nativecmp: the runners the command line can name (--runner NAME). The bt
 * engine adapters are added to the table in nc_registry.c. */
#ifndef VX86_NATIVECMP_NC_REGISTRY_H
#define VX86_NATIVECMP_NC_REGISTRY_H

#include <stddef.h>

#include "tools/nativecmp/nc_case.h"

struct nc_runner_factory {
    const char *name;
    const char *help;
    /* Fills *r; returns 0, or -1 with why filled. */
    int (*create)(struct nc_runner *r, char *why, size_t why_len);
};

/* NULL-terminated by a zero entry. */
extern const struct nc_runner_factory nc_runner_factories[];

const struct nc_runner_factory *nc_runner_factory_find(const char *name);

#endif
