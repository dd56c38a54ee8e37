/* nativecmp: the command line. Runs generated instruction sequences on the
 * host CPU and on other runners (or on the host twice, --selfcheck) and
 * reports every difference with the seed and bytes to replay it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/nativecmp/nc_campaign.h"
#include "tools/nativecmp/nc_compare.h"
#include "tools/nativecmp/nc_gen.h"
#include "tools/nativecmp/nc_native.h"
#include "tools/nativecmp/nc_registry.h"
#include "tools/nativecmp/nc_rng.h"

#define EXIT_DIFFS 1
#define EXIT_USAGE 2
#define EXIT_RUNNER 3
#define EXIT_SKIP 77
#define MAX_RUNNERS 4

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nativecmp [options]\n"
            "  -n, --count N            cases per mode (default 10000)\n"
            "  -s, --seed S             seed (default: from the clock; always printed)\n"
            "  -m, --mode 64|32|both    execution modes (default both)\n"
            "  -c, --classes LIST       instruction classes, e.g. all,-fault or alu,shift\n"
            "                           (default: all the host supports; --list-classes)\n"
            "      --runner NAME        compare native with NAME (repeatable; --list-runners)\n"
            "      --selfcheck          compare native with a second native child (default)\n"
            "      --ignore-undefined   do not compare the final flags the manuals leave undefined\n"
            "      --max-print N        differences printed in full (default 10)\n"
            "      --perturb INDEX      corrupt the second runner's state of case INDEX\n"
            "      --expect-diffs N     succeed exactly when N cases differ\n"
            "      --min-sse N          fail unless at least N cases per mode hold MMX/SSE/x87 items\n"
            "      --replay SEED:INDEX  run one case on every runner and print everything\n"
            "      --dump SEED:INDEX    print one case without running it\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s)
        return false;
    *out = strtoull(s, &end, 0);
    return *end == 0;
}

static bool parse_case_id(const char *s, uint64_t *seed, uint64_t *index)
{
    const char *colon = strchr(s, ':');
    if (!colon)
        return false;
    char buf[64];
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return parse_u64(buf, seed) && parse_u64(colon + 1, index);
}

enum {
    OPT_RUNNER = 256, OPT_SELFCHECK, OPT_IGNORE_UNDEF, OPT_MAX_PRINT, OPT_PERTURB,
    OPT_EXPECT, OPT_REPLAY, OPT_DUMP, OPT_LIST_CLASSES, OPT_LIST_RUNNERS, OPT_MIN_SSE,
};

static int replay(uint64_t seed, uint64_t index, uint32_t classes, unsigned cmp_opts,
                  struct nc_runner *runners, int nrunners)
{
    static struct nc_case c;
    static struct nc_state st[MAX_RUNNERS];
    nc_case_generate(&c, seed, index, classes);
    nc_case_print(stdout, &c);
    for (int r = 0; r < nrunners; r++) {
        if (runners[r].run(runners[r].opaque, &c, &st[r]) != 0) {
            fprintf(stderr, "nativecmp: runner %s failed\n", runners[r].name);
            return EXIT_RUNNER;
        }
        nc_state_print(stdout, &c, &st[r], runners[r].name);
    }
    int rc = 0;
    for (int r = 1; r < nrunners; r++) {
        if (nc_state_compare(&c, &st[0], &st[r], cmp_opts)) {
            nc_diff_print(stdout, &c, &st[0], runners[0].name, &st[r], runners[r].name, cmp_opts);
            rc = EXIT_DIFFS;
        }
    }
    printf("replay: %s\n", rc ? "DIFFERENT" : "same on every runner");
    return rc;
}

int main(int argc, char **argv)
{
    struct nc_campaign cfg = {
        .count = 10000, .mode64 = true, .mode32 = true, .max_print = 10, .perturb = -1, .out = stdout,
    };
    cfg.classes = nc_gen_host_classes();
    bool have_seed = false, selfcheck = false, do_replay = false, do_dump = false;
    int64_t expect = -1;
    uint64_t min_sse = 0;
    uint64_t rseed = 0, rindex = 0;
    const char *runner_names[MAX_RUNNERS];
    int nnames = 0;

    static const struct option opts[] = {
        { "count", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "mode", required_argument, NULL, 'm' },
        { "classes", required_argument, NULL, 'c' },
        { "runner", required_argument, NULL, OPT_RUNNER },
        { "selfcheck", no_argument, NULL, OPT_SELFCHECK },
        { "ignore-undefined", no_argument, NULL, OPT_IGNORE_UNDEF },
        { "max-print", required_argument, NULL, OPT_MAX_PRINT },
        { "perturb", required_argument, NULL, OPT_PERTURB },
        { "expect-diffs", required_argument, NULL, OPT_EXPECT },
        { "min-sse", required_argument, NULL, OPT_MIN_SSE },
        { "replay", required_argument, NULL, OPT_REPLAY },
        { "dump", required_argument, NULL, OPT_DUMP },
        { "list-classes", no_argument, NULL, OPT_LIST_CLASSES },
        { "list-runners", no_argument, NULL, OPT_LIST_RUNNERS },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    uint64_t v;
    char bad[64];
    while ((opt = getopt_long(argc, argv, "n:s:m:c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (!parse_u64(optarg, &cfg.count))
                goto bad_usage;
            break;
        case 's':
            if (!parse_u64(optarg, &cfg.seed))
                goto bad_usage;
            have_seed = true;
            break;
        case 'm':
            cfg.mode64 = !strcmp(optarg, "64") || !strcmp(optarg, "both");
            cfg.mode32 = !strcmp(optarg, "32") || !strcmp(optarg, "both");
            if (!cfg.mode64 && !cfg.mode32)
                goto bad_usage;
            break;
        case 'c':
            if (nc_gen_parse_classes(optarg, &cfg.classes, bad, sizeof(bad)) != 0) {
                fprintf(stderr, "nativecmp: unknown class '%s' (--list-classes)\n", bad);
                return EXIT_USAGE;
            }
            break;
        case OPT_RUNNER:
            if (nnames == MAX_RUNNERS - 1)
                goto bad_usage;
            runner_names[nnames++] = optarg;
            break;
        case OPT_SELFCHECK:
            selfcheck = true;
            break;
        case OPT_IGNORE_UNDEF:
            cfg.cmp_opts |= NC_CMP_IGNORE_UNDEFINED;
            break;
        case OPT_MAX_PRINT:
            if (!parse_u64(optarg, &v))
                goto bad_usage;
            cfg.max_print = (unsigned)v;
            break;
        case OPT_PERTURB:
            if (!parse_u64(optarg, &v))
                goto bad_usage;
            cfg.perturb = (int64_t)v;
            break;
        case OPT_EXPECT:
            if (!parse_u64(optarg, &v))
                goto bad_usage;
            expect = (int64_t)v;
            break;
        case OPT_MIN_SSE:
            if (!parse_u64(optarg, &min_sse))
                goto bad_usage;
            break;
        case OPT_REPLAY:
        case OPT_DUMP:
            if (!parse_case_id(optarg, &rseed, &rindex))
                goto bad_usage;
            do_replay = opt == OPT_REPLAY;
            do_dump = opt == OPT_DUMP;
            break;
        case OPT_LIST_CLASSES: {
            char buf[256];
            printf("classes:");
            for (uint32_t i = 0; (1u << i) & NC_CLASS_ALL; i++) {
                nc_gen_format_classes(1u << i, buf, sizeof(buf));
                printf(" %s", buf);
            }
            nc_gen_format_classes(nc_gen_host_classes(), buf, sizeof(buf));
            printf("\nthis host: %s\n", buf);
            return 0;
        }
        case OPT_LIST_RUNNERS:
            for (const struct nc_runner_factory *f = nc_runner_factories; f->name; f++)
                printf("%-12s %s\n", f->name, f->help);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad_usage;
        }
    }
    if (optind != argc)
        goto bad_usage;

    if (do_dump) {
        static struct nc_case c;
        nc_case_generate(&c, rseed, rindex, cfg.classes);
        nc_case_print(stdout, &c);
        return 0;
    }
    if (!have_seed)
        cfg.seed = nc_rng_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32)) & 0xffffffffffffull;

    struct nc_runner runners[MAX_RUNNERS];
    int nrunners = 0;
    char why[256];
    if (nc_native_create(&runners[nrunners], why, sizeof(why)) != 0) {
        fprintf(stderr, "nativecmp: native runner: %s\n", why);
        return EXIT_SKIP;
    }
    nrunners++;
    if (nnames == 0)
        selfcheck = true;
    if (selfcheck) {
        if (nc_native_create(&runners[nrunners], why, sizeof(why)) != 0) {
            fprintf(stderr, "nativecmp: second native runner: %s\n", why);
            return EXIT_RUNNER;
        }
        runners[nrunners++].name = "native2";
    }
    for (int i = 0; i < nnames && nrunners < MAX_RUNNERS; i++) {
        const struct nc_runner_factory *f = nc_runner_factory_find(runner_names[i]);
        if (!f) {
            fprintf(stderr, "nativecmp: no runner '%s' (--list-runners)\n", runner_names[i]);
            return EXIT_USAGE;
        }
        if (f->create(&runners[nrunners], why, sizeof(why)) != 0) {
            fprintf(stderr, "nativecmp: runner %s: %s\n", f->name, why);
            return EXIT_RUNNER;
        }
        nrunners++;
    }

    int rc = 0;
    if (do_replay) {
        rc = replay(rseed, rindex, cfg.classes, cfg.cmp_opts, runners, nrunners);
    } else {
        if (cfg.mode32 && !nc_native_probe_compat32(&runners[0], why, sizeof(why))) {
            fprintf(stderr, "nativecmp: %s; 64-bit mode only\n", why);
            cfg.mode32 = false;
            if (!cfg.mode64)
                rc = EXIT_SKIP;
        }
        if (rc == 0) {
            char cls[256];
            nc_gen_format_classes(cfg.classes, cls, sizeof(cls));
            printf("nativecmp: seed %#" PRIx64 ", classes %s\n", cfg.seed, cls);
            fflush(stdout);
            struct nc_campaign_result res;
            if (nc_campaign_run(&cfg, runners, nrunners, &res) != 0)
                rc = EXIT_RUNNER;
            nc_campaign_print_summary(stdout, &cfg, &res, runners, nrunners);
            if (rc == 0) {
                if (expect >= 0)
                    rc = res.differing == (uint64_t)expect ? 0 : EXIT_DIFFS;
                else
                    rc = res.differing ? EXIT_DIFFS : 0;
            }
            if (expect >= 0)
                printf("nativecmp: %" PRIu64 " cases differ, %" PRId64 " expected: %s\n", res.differing,
                       expect, rc ? "FAIL" : "ok");
            for (int m = 0; m < 2 && rc == 0 && min_sse; m++) {
                if ((m == 0 ? cfg.mode64 : cfg.mode32) && res.with_sse[m] < min_sse) {
                    printf("nativecmp: only %" PRIu64 " %d-bit cases with MMX/SSE/x87 items, %" PRIu64
                           " wanted: FAIL\n", res.with_sse[m], m ? 32 : 64, min_sse);
                    rc = EXIT_DIFFS;
                }
            }
        }
    }
    for (int r = 0; r < nrunners; r++)
        nc_runner_destroy(&runners[r]);
    return rc;

bad_usage:
    usage(stderr);
    return EXIT_USAGE;
}
