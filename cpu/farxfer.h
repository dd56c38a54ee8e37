/* Far control transfers for the bt engine: far JMP/CALL (code segments,
 * call gates, task gates, TSS), far RET, IRET in every mode, and hardware
 * task switching. All of them are C helpers that translated code calls
 * with c->cpu.rip at the start of the instruction; a fault leaves the
 * register state untouched (raised through c->unwind), except one that the
 * SDM puts after the commit point of a task switch, which is raised in the
 * context of the new task. On success RIP, CS, SS, RSP, RFLAGS and c->cpl
 * hold the destination and the segment check cache is refreshed. Operand
 * sizes are in bytes (2, 4, 8). */
#ifndef VX86_CPU_FARXFER_H
#define VX86_CPU_FARXFER_H

#include <stdint.h>

#include "cpu/exec.h"
#include "cpu/segment.h"

/* JMP ptr16:16/32, JMP m16:16/32/64. next_rip is the address of the next
 * instruction (what a task switch saves in the outgoing TSS). */
void cpu_far_jmp(struct cpu_exec *c, uint16_t selector, uint64_t offset, unsigned opsize,
                 uint64_t next_rip);
/* CALL ptr16:16/32, CALL m16:16/32/64; next_rip is the return address. */
void cpu_far_call(struct cpu_exec *c, uint16_t selector, uint64_t offset, unsigned opsize,
                  uint64_t next_rip);
/* RET far [imm16]. */
void cpu_far_ret(struct cpu_exec *c, unsigned opsize, uint16_t imm);
/* IRET/IRETD/IRETQ. next_rip (the next instruction) is what a return from
 * a nested task saves as the outgoing task's EIP. Unblocks NMIs, even when
 * it faults (SDM vol. 3, 6.7.1). */
void cpu_iret(struct cpu_exec *c, unsigned opsize, uint64_t next_rip);

enum task_switch_source {
    TASK_SWITCH_JMP,
    TASK_SWITCH_CALL,
    TASK_SWITCH_IRET,
    TASK_SWITCH_INT,     /* interrupt or exception through a task gate */
};

/* Switches to the task whose TSS descriptor d was read for tss_selector
 * (SDM vol. 3, 7.3). The caller has made the privilege and busy checks of
 * its source; this makes the rest, saves the outgoing state with
 * next_rip as its EIP, and loads the new one. ext is the EXT bit for the
 * error codes of faults raised for an event delivery (0 otherwise). It does
 * not check the new EIP against the CS limit: the caller does, after any
 * error code push. */
void cpu_task_switch(struct cpu_exec *c, uint16_t tss_selector, const struct seg_desc *d,
                     enum task_switch_source src, uint64_t next_rip, uint32_t ext);

/* The stack pointer the TSS holds for privilege level cpl (SS:ESP from a 16-
 * or 32-bit TSS; RSPn, or ISTn when ist != 0, from a 64-bit TSS, with *ss
 * set to the null selector cpl). #TS(TR selector + ext) when the TSS limit
 * does not cover the field. */
void cpu_tss_stack(struct cpu_exec *c, unsigned cpl, unsigned ist, uint16_t *ss, uint64_t *sp,
                   uint32_t ext);

#endif
