/* nativecmp: comparing two final states of one case, and printing cases,
 * states and differences (with the bytes disassembled and the replay line). */
#ifndef VX86_NATIVECMP_NC_COMPARE_H
#define VX86_NATIVECMP_NC_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "tools/nativecmp/nc_case.h"

/* Comparison options */
#define NC_CMP_IGNORE_UNDEFINED 1u  /* mask c->undef_flags out of RFLAGS */

/* What differs, as returned by nc_state_compare (0: equal). */
#define NC_DIFF_STATUS 0x01u     /* a runner failed (harness error) */
#define NC_DIFF_EXCEPTION 0x02u  /* vector, error code or fault address */
#define NC_DIFF_RIP 0x04u
#define NC_DIFF_REGS 0x08u
#define NC_DIFF_FLAGS 0x10u
#define NC_DIFF_DATA 0x20u
#define NC_DIFF_FPU 0x40u        /* x87/MMX/SSE state (FXSAVE image fields) */

/* RFLAGS bits compared for this case under opts. */
uint64_t nc_compared_flags(const struct nc_case *c, unsigned opts);

uint32_t nc_state_compare(const struct nc_case *c, const struct nc_state *a,
                          const struct nc_state *b, unsigned opts);

/* "#DE", "#PF", ... or "none" for -1. */
const char *nc_vector_name(int vector);

/* The case: provenance and replay command, bytes in hex, disassembly,
 * initial registers and flags. */
void nc_case_print(FILE *f, const struct nc_case *c);
/* One final state on its own (replay output). */
void nc_state_print(FILE *f, const struct nc_case *c, const struct nc_state *s, const char *label);
/* Case plus both states side by side, differences marked, data bytes that
 * differ listed with their initial value. */
void nc_diff_print(FILE *f, const struct nc_case *c, const struct nc_state *a, const char *a_name,
                   const struct nc_state *b, const char *b_name, unsigned opts);

#endif
