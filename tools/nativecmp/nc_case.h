/* nativecmp: one test case (a user-level instruction sequence with its
 * initial state), the final state a runner reports for it, and the runner
 * interface that the native runner and the bt engine adapters implement. */
#ifndef VX86_NATIVECMP_NC_CASE_H
#define VX86_NATIVECMP_NC_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The guest-linear layout every runner must reproduce. Both areas sit below
 * 2 GiB so 32-bit code and 64-bit absolute (disp32) operands reach them.
 * Everything else is unmapped: an access outside the two areas is a #PF
 * with a not-present error code. The code area is executable and readable;
 * generated sequences never write to it. */
#define NC_DATA_BASE 0x10000000u
#define NC_DATA_SIZE 4096u
#define NC_CODE_BASE 0x20000000u
#define NC_CODE_MAX 512u     /* bytes of sequence; the runner appends its exit */

#define NC_NR_GPRS 16

/* The x87/MMX/SSE state travels as a 512-byte FXSAVE image in its 64-bit
 * layout (Intel SDM vol. 1, 10.5.1): ST(i) in stack order, XMM0-15. These
 * are the parts a comparison looks at; FOP, FIP, FDP (which AMD saves only
 * with an exception pending) and MXCSR_MASK (0x2ffff on AMD, whose MXCSR
 * has the MM bit) are not architectural results of the sequences. */
#define NC_FX_SIZE 512u
#define NC_FX_FCW 0u
#define NC_FX_FSW 2u
#define NC_FX_FTW 4u       /* abridged: bit i set = physical register i valid */
#define NC_FX_MXCSR 24u
#define NC_FX_ST 32u       /* ST(i) at NC_FX_ST + 16 * i, 10 bytes each */
#define NC_FX_XMM 160u     /* XMMi at NC_FX_XMM + 16 * i */
#define NC_NR_XMMS 16

enum nc_mode { NC_MODE_32 = 32, NC_MODE_64 = 64 };

/* RFLAGS bits */
#define NC_FLAG_CF 0x0001u
#define NC_FLAG_PF 0x0004u
#define NC_FLAG_AF 0x0010u
#define NC_FLAG_ZF 0x0040u
#define NC_FLAG_SF 0x0080u
#define NC_FLAG_DF 0x0400u
#define NC_FLAG_OF 0x0800u
#define NC_FLAGS_ARITH (NC_FLAG_CF | NC_FLAG_PF | NC_FLAG_AF | NC_FLAG_ZF | NC_FLAG_SF | NC_FLAG_OF)
/* What a comparison looks at: the six arithmetic flags and DF. IF, bit 1
 * and the rest are fixed by the environment (CPL 3, IOPL 0, IF 1). */
#define NC_FLAGS_COMPARED (NC_FLAGS_ARITH | NC_FLAG_DF)
/* The fixed part of every initial RFLAGS: reserved bit 1 and IF. */
#define NC_FLAGS_FIXED 0x0202u

/* One test case. The environment is a CPL 3 flat user process: in 64-bit
 * mode a 64-bit code segment; in 32-bit mode a 32-bit compatibility-mode
 * code segment with DS = ES = SS flat 32-bit data segments (base 0, limit
 * 4 GiB, writable; CS readable, not writable). FS and GS are never used.
 * Execution starts at NC_CODE_BASE with regs/rflags and the data area
 * holding data[]; it ends when RIP reaches NC_CODE_BASE + code_len (the
 * terminator) or at the first exception. */
struct nc_case {
    uint64_t seed;          /* provenance: the case is nc_case_generate(seed, index) */
    uint64_t index;
    uint32_t mode;          /* enum nc_mode */
    uint32_t code_len;
    uint32_t classes;       /* the generator's instruction classes (NC_CLASS_*) */
    uint32_t undef_flags;   /* arithmetic flags the manuals leave undefined at
                               the end of the sequence (informational; see
                               NC_CMP_IGNORE_UNDEFINED) */
    uint64_t regs[NC_NR_GPRS];  /* RAX..R15 in encoding order; only the low
                                   32 bits of the first 8 matter in 32-bit mode
                                   (the rest are zero) */
    uint64_t rflags;        /* NC_FLAGS_FIXED | arithmetic flags | DF */
    uint32_t used_classes;  /* the classes of the items the sequence holds */
    /* initial x87/MMX/SSE state (FXRSTOR64 image; its FSW is consistent:
     * ES and B set exactly when an unmasked exception flag is) */
    uint8_t fx[NC_FX_SIZE] __attribute__((aligned(16)));
    uint8_t code[NC_CODE_MAX];
    uint8_t data[NC_DATA_SIZE];
};

enum nc_status {
    NC_STATUS_OK = 0,        /* state is the architectural outcome */
    NC_STATUS_HARNESS = 1,   /* the runner itself failed (child died, timeout,
                                emulator internal error); note says why */
};

/* Final state. vector is -1 when the sequence ran to its terminator (rip is
 * then NC_CODE_BASE + code_len); otherwise the exception vector of the first
 * fault or trap, rip is the address the exception reports (the faulting
 * instruction for faults, the next one for INT3/INTO), and the registers,
 * flags and data are those the exception handler would see. */
struct nc_state {
    uint32_t status;         /* enum nc_status */
    int32_t vector;          /* -1: no exception; else 0 #DE, 3 #BP, 4 #OF,
                                5 #BR, 6 #UD, 12 #SS, 13 #GP, 14 #PF, 16 #MF,
                                17 #AC, 19 #XM */
    uint32_t error_code;     /* as the CPU pushes it (#GP/#SS/#PF/#AC), else 0 */
    int32_t signo;           /* what Linux turned it into (native only; 0 for
                                emulators, not compared) */
    uint64_t fault_addr;     /* CR2 for #PF, else 0 */
    uint64_t rip;
    uint64_t rflags;
    uint64_t regs[NC_NR_GPRS];
    char note[64];           /* NC_STATUS_HARNESS: what went wrong */
    uint8_t fx[NC_FX_SIZE] __attribute__((aligned(16)));  /* final FXSAVE64 image */
    uint8_t data[NC_DATA_SIZE];
};

/* What an emulator runner must reproduce to agree with the host:
 * - CPL 3, IOPL 0, IF 1, AC 0, paging on with exactly the two areas above
 *   mapped user-accessible (data writable), everything else not present;
 * - 64-bit cases in a 64-bit code segment; 32-bit cases in a flat 32-bit
 *   code segment (compatibility mode or legacy protected mode: the same
 *   for these user-level instructions);
 * - an IDT whose gates 3 and 4 have DPL 3 and all others DPL 0, so INT3,
 *   INT 3, INT 4 and INTO trap with their vector and INT n is #GP(n*8+2);
 *   no I/O permission (IN/OUT/INS/OUTS, CLI/STI, HLT are #GP(0));
 * - stop when RIP reaches NC_CODE_BASE + code_len (sequences only branch
 *   forward to instruction boundaries) or at the first exception, with the
 *   state at that exception as the handler would see it.
 * - CR0 as Linux user mode has it (PE MP ET NE WP AM PG, TS and EM clear),
 *   CR4.OSFXSR and CR4.OSXMMEXCPT set (SSE on, #XM for unmasked SIMD
 *   floating-point exceptions), and the case's x87/SSE state loaded.
 * The comparison looks at RFLAGS & NC_FLAGS_COMPARED, the low 32 bits of
 * the eight legacy registers in 32-bit mode and all sixteen in 64-bit
 * mode, RIP, the vector, the error code (#GP #SS #PF #AC), CR2 (#PF), the
 * data area and the FXSAVE image's FCW, FSW, FTW, MXCSR, ST0-7 and
 * XMM0-15 (all sixteen in both modes: 32-bit code must leave 8-15 alone). */

/* A way of executing cases: the native runner (nc_native.h), and the bt
 * engine with either backend (adapters written against this interface).
 * run() executes one case; run_batch() (optional, may be NULL) executes
 * n cases at once for runners with a per-call cost. Both return 0, or -1
 * if the runner can go on no longer (a per-case failure is reported in
 * the state's status instead). */
struct nc_runner {
    const char *name;
    void *opaque;
    int (*run)(void *opaque, const struct nc_case *c, struct nc_state *out);
    int (*run_batch)(void *opaque, const struct nc_case *cases, struct nc_state *out,
                     size_t n);
    void (*destroy)(void *opaque);
};

/* run_batch() if the runner has one, else run() per case. */
int nc_runner_run_batch(const struct nc_runner *r, const struct nc_case *cases,
                        struct nc_state *out, size_t n);
void nc_runner_destroy(struct nc_runner *r);

/* The x87/SSE state of a fresh process (FNINIT, MXCSR 0x1f80) as an image. */
void nc_fx_reset(uint8_t fx[NC_FX_SIZE]);

/* The Linux signal a user-mode exception becomes on x86-64 (0 for none). */
int nc_signal_for_vector(int vector);

#endif
