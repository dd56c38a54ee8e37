/* C helpers that translated code calls for instructions too complex to
 * inline. Every helper has the IR helper signature (ir_helper_fn): the
 * execution context plus four 64-bit arguments, unused ones ignored. */
#ifndef VX86_CPU_HELPERS_H
#define VX86_CPU_HELPERS_H

#include <stdint.h>

#include "cpu/exec.h"

#define HELPER(name) uint64_t name(struct cpu_exec *c, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)

/* core */
HELPER(helper_seg_linear);   /* seg, offset, size | write << 8 -> linear (or fault) */
HELPER(helper_get_rflags);   /* -> RFLAGS with the lazy flags folded in */
HELPER(helper_cond);         /* cc (0..15) -> 0/1 */
HELPER(helper_raise);        /* vector (no error code) */
HELPER(helper_raise_err);    /* vector, error code */
HELPER(helper_fetch_fault);  /* refetch at RIP and raise the #PF/#GP it hits */

/* integer */
HELPER(helper_shift);        /* op (ModRM.reg: ROL..SAR) | size << 8, value, count -> result */
HELPER(helper_shxd);         /* right << 8 | size, dst, src, count -> result (SHLD/SHRD) */
HELPER(helper_mul1);         /* size | signed << 8, src: rDX:rAX = rAX * src */
HELPER(helper_imul2);        /* size, a, b -> truncated product, CF/OF */
HELPER(helper_div);          /* size | signed << 8, divisor: #DE on /0 or overflow */
HELPER(helper_bcd);          /* mnemonic, imm8 (AAM/AAD base) */
HELPER(helper_bitscan);      /* size | reverse << 8 | kind << 9 (0 bsf/bsr, 1 tzcnt/lzcnt, 2 popcnt), src, old dst -> result */
HELPER(helper_bt);           /* op (0 bt,1 bts,2 btr,3 btc), value, bit -> new value; sets CF */
HELPER(helper_cmpxchg);      /* size, accumulator, dst value, src -> value to store; sets ZF, updates rAX */
HELPER(helper_cmpxchg8b);    /* linear address, operand size (8 or 16) */
HELPER(helper_ld_rmw);      /* linear, size -> value, read with write intent (faults as a write) */

/* flags */
HELPER(helper_pushf);        /* -> the image PUSHF stores */
HELPER(helper_popf);         /* value, operand size */
HELPER(helper_lahf);         /* -> AH value */
HELPER(helper_sahf);         /* AH value */
HELPER(helper_flag_op);      /* mnemonic: CLC STC CMC CLD STD CLI STI SALC */

/* strings and I/O */
HELPER(helper_string);       /* packed descriptor (see xlat_data.c) -> 1 when finished */
HELPER(helper_in);           /* port, size -> value */
HELPER(helper_out);          /* port, size, value */

/* machine */
HELPER(helper_cpuid);
HELPER(helper_rdtsc);
HELPER(helper_rdtscp);
HELPER(helper_rdmsr);
HELPER(helper_rdpmc);        /* #GP(0): no performance counters */
HELPER(helper_wrmsr);
HELPER(helper_hlt);          /* next rip */
HELPER(helper_pause);

/* system */
HELPER(helper_check_cpl0);   /* #GP(0) unless CPL 0 (and not v86) */
HELPER(helper_lxdt);         /* which (0 gdt, 1 idt), linear of the operand, operand size */
HELPER(helper_sxdt);         /* which, linear, -> nothing; stores 6/10 bytes */
HELPER(helper_mov_to_cr);    /* cr, value */
HELPER(helper_mov_from_cr);  /* cr -> value */
HELPER(helper_mov_to_dr);    /* dr, value */
HELPER(helper_mov_from_dr);  /* dr -> value */
HELPER(helper_lmsw);         /* value */
HELPER(helper_smsw);         /* -> value */
HELPER(helper_clts);
HELPER(helper_invlpg);       /* linear */
HELPER(helper_load_seg);     /* sreg, selector */
HELPER(helper_lldt);         /* selector */
HELPER(helper_ltr);          /* selector */
HELPER(helper_desc_test);    /* op (0 lar,1 lsl,2 verr,3 verw), selector, old dst -> result; ZF */
HELPER(helper_arpl);         /* dst selector, src selector -> result; ZF */
HELPER(helper_far_jmp);      /* selector, offset, operand size, next rip */
HELPER(helper_far_call);     /* selector, offset, operand size, next rip */
HELPER(helper_far_ret);      /* operand size, immediate */
HELPER(helper_iret);         /* operand size */
HELPER(helper_int);          /* vector, kind (enum cpu_event_kind), next rip */
HELPER(helper_bound);        /* index, linear of the bounds pair, operand size; a3 = 1: a1 holds the packed pair */
HELPER(helper_enter);        /* frame size, nesting level, operand size */
HELPER(helper_sysenter);
HELPER(helper_sysexit);      /* operand size */
HELPER(helper_syscall);      /* next rip */
HELPER(helper_sysret);       /* operand size */
HELPER(helper_swapgs);
HELPER(helper_x87);          /* opcode | modrm << 8, memory operand, operand size; a3 = seg | 0x100: a1 is an offset in seg */
HELPER(helper_fxsave);       /* linear, 0 save / 1 restore, 64-bit form */

#endif
