/* nativecmp: a campaign generates cases from a seed, runs every batch on
 * each runner, compares each runner with the reference (runner 0, native)
 * and, for three or more runners, the others with runner 1 as well. */
#ifndef VX86_NATIVECMP_NC_CAMPAIGN_H
#define VX86_NATIVECMP_NC_CAMPAIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/nativecmp/nc_case.h"

struct nc_campaign {
    uint64_t seed;
    uint64_t count;        /* cases per mode */
    bool mode64, mode32;
    uint32_t classes;
    unsigned cmp_opts;     /* NC_CMP_* */
    unsigned max_print;    /* differences printed in full; the rest counted */
    int64_t perturb;       /* case index whose runner-1 state is corrupted on
                              purpose (shows a difference report); -1: none */
    FILE *out;
};

struct nc_campaign_result {
    uint64_t cases;
    uint64_t differing;        /* cases where any pair of runners differs */
    uint64_t runner_failures;  /* states with NC_STATUS_HARNESS */
    uint64_t ended[2];         /* [0] 64-bit, [1] 32-bit: ran to the end */
    uint64_t with_sse[2];      /* cases holding an item of an NC_CLASS_SSE class */
    uint64_t vectors[2][32];   /* reference exceptions by vector */
    uint64_t code_bytes;
    double seconds;
};

/* The case index of the k-th case of a campaign (see nc_gen_mode_for_index). */
uint64_t nc_campaign_index(const struct nc_campaign *cfg, uint64_t k);

/* Returns 0 when the runners ran (check res->differing), -1 when one of
 * them failed for good. */
int nc_campaign_run(const struct nc_campaign *cfg, struct nc_runner *runners, int nrunners,
                    struct nc_campaign_result *res);

void nc_campaign_print_summary(FILE *f, const struct nc_campaign *cfg,
                               const struct nc_campaign_result *res, struct nc_runner *runners,
                               int nrunners);

#endif
