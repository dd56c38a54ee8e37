/* nativecmp: the campaign loop (generate a batch, run it on every runner,
 * compare, report, count). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/nativecmp/nc_campaign.h"
#include "tools/nativecmp/nc_compare.h"
#include "tools/nativecmp/nc_gen.h"

#define CAMPAIGN_BATCH 256u
#define MAX_RUNNERS 4

uint64_t nc_campaign_index(const struct nc_campaign *cfg, uint64_t k)
{
    if (cfg->mode64 && cfg->mode32)
        return k;
    return 2 * k + (cfg->mode32 ? 1 : 0);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The deliberate corruption of --perturb: one register bit, one data byte
 * and one XMM3 bit, so each kind of report shows. */
static void perturb_state(struct nc_state *s)
{
    s->regs[0] ^= 0x10;
    s->data[0x123] ^= 0x5a;
    s->fx[NC_FX_XMM + 16 * 3 + 5] ^= 0x20;
}

int nc_campaign_run(const struct nc_campaign *cfg, struct nc_runner *runners, int nrunners,
                    struct nc_campaign_result *res)
{
    memset(res, 0, sizeof(*res));
    if (nrunners < 1 || nrunners > MAX_RUNNERS || (!cfg->mode64 && !cfg->mode32))
        return -1;
    uint64_t total = cfg->count * ((cfg->mode64 && cfg->mode32) ? 2 : 1);
    struct nc_case *cases = calloc(CAMPAIGN_BATCH, sizeof(*cases));
    struct nc_state *states[MAX_RUNNERS] = { 0 };
    int rc = 0;
    for (int r = 0; r < nrunners; r++)
        states[r] = calloc(CAMPAIGN_BATCH, sizeof(struct nc_state));
    for (int r = 0; r < nrunners; r++)
        if (!states[r])
            rc = -1;
    if (!cases)
        rc = -1;

    double t0 = now_seconds();
    uint64_t printed = 0;
    for (uint64_t k0 = 0; k0 < total && rc == 0; k0 += CAMPAIGN_BATCH) {
        size_t n = (size_t)(total - k0 < CAMPAIGN_BATCH ? total - k0 : CAMPAIGN_BATCH);
        for (size_t i = 0; i < n; i++) {
            nc_case_generate(&cases[i], cfg->seed, nc_campaign_index(cfg, k0 + i), cfg->classes);
            res->code_bytes += cases[i].code_len;
        }
        for (int r = 0; r < nrunners; r++) {
            if (nc_runner_run_batch(&runners[r], cases, states[r], n) != 0) {
                fprintf(cfg->out, "nativecmp: runner %s failed\n", runners[r].name);
                rc = -1;
                break;
            }
        }
        if (rc)
            break;
        for (size_t i = 0; i < n; i++) {
            const struct nc_case *c = &cases[i];
            if (nrunners > 1 && cfg->perturb >= 0 && c->index == (uint64_t)cfg->perturb) {
                perturb_state(&states[1][i]);
                fprintf(cfg->out, "nativecmp: case %" PRIu64 " of %s deliberately perturbed (--perturb)\n",
                        c->index, runners[1].name);
            }
            res->cases++;
            int m = c->mode == NC_MODE_64 ? 0 : 1;
            if (c->used_classes & NC_CLASS_SSE)
                res->with_sse[m]++;
            const struct nc_state *ref = &states[0][i];
            if (ref->status == NC_STATUS_OK) {
                if (ref->vector < 0)
                    res->ended[m]++;
                else
                    res->vectors[m][ref->vector & 31]++;
            }
            bool any = false;
            for (int r = 0; r < nrunners; r++)
                if (states[r][i].status != NC_STATUS_OK)
                    res->runner_failures++;
            /* runner r against 0, and against 1 when 0 is not the only
             * other one (both bt backends against each other) */
            for (int r = 1; r < nrunners; r++) {
                for (int base = 0; base < (r >= 2 ? 2 : 1); base++) {
                    if (!nc_state_compare(c, &states[base][i], &states[r][i], cfg->cmp_opts))
                        continue;
                    any = true;
                    if (printed < cfg->max_print)
                        nc_diff_print(cfg->out, c, &states[base][i], runners[base].name, &states[r][i],
                                      runners[r].name, cfg->cmp_opts);
                    printed++;
                }
            }
            if (nrunners == 1 && ref->status != NC_STATUS_OK) {
                any = true;
                if (printed++ < cfg->max_print) {
                    nc_case_print(cfg->out, c);
                    nc_state_print(cfg->out, c, ref, runners[0].name);
                }
            }
            if (any)
                res->differing++;
        }
    }
    res->seconds = now_seconds() - t0;
    if (printed > cfg->max_print)
        fprintf(cfg->out, "nativecmp: %" PRIu64 " more differences not printed (--max-print)\n",
                printed - cfg->max_print);
    free(cases);
    for (int r = 0; r < nrunners; r++)
        free(states[r]);
    return rc;
}

void nc_campaign_print_summary(FILE *f, const struct nc_campaign *cfg,
                               const struct nc_campaign_result *res, struct nc_runner *runners,
                               int nrunners)
{
    fprintf(f, "nativecmp: seed %#" PRIx64 ": %" PRIu64 " cases (%s%s%s) on", cfg->seed, res->cases,
            cfg->mode64 ? "64-bit" : "", cfg->mode64 && cfg->mode32 ? " + " : "", cfg->mode32 ? "32-bit" : "");
    for (int r = 0; r < nrunners; r++)
        fprintf(f, " %s", runners[r].name);
    double rate = res->seconds > 0 ? (double)res->cases / res->seconds : 0;
    fprintf(f, " in %.2f s (%.0f cases/s, %.0f cases/min), %.1f code bytes per case\n", res->seconds, rate,
            rate * 60, res->cases ? (double)res->code_bytes / (double)res->cases : 0.0);
    for (int m = 0; m < 2; m++) {
        if (!(m == 0 ? cfg->mode64 : cfg->mode32))
            continue;
        fprintf(f, "  %d-bit: %" PRIu64 " sequences with MMX/SSE/x87 items; reference outcomes: end %" PRIu64,
                m ? 32 : 64, res->with_sse[m], res->ended[m]);
        for (int v = 0; v < 32; v++)
            if (res->vectors[m][v])
                fprintf(f, ", %s %" PRIu64, nc_vector_name(v), res->vectors[m][v]);
        fprintf(f, "\n");
    }
    fprintf(f, "  cases with differences: %" PRIu64 ", runner failures: %" PRIu64 "\n", res->differing,
            res->runner_failures);
}
