/* Guest exceptions and interrupts for the bt engine: raising a fault from
 * translated code or a helper (it unwinds to the engine loop), and
 * delivering an event through the IVT/IDT as the architecture says. */
#ifndef VX86_CPU_EXCEPTION_H
#define VX86_CPU_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exec.h"

enum x86_exception {
    X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3, X86_EXC_OF = 4,
    X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7, X86_EXC_DF = 8, X86_EXC_TS = 10,
    X86_EXC_NP = 11, X86_EXC_SS = 12, X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16,
    X86_EXC_AC = 17, X86_EXC_MC = 18, X86_EXC_XM = 19,
};

/* A fault while delivering a double fault: the processor shuts down. Raised
 * as a pseudo-vector so the engine loop turns it into a reset. */
#define CPU_TRIPLE_FAULT (-2)

/* Records the fault in c->fault and longjmps to c->unwind. The guest state
 * (RIP, registers) must already be that of the faulting instruction's start. */
_Noreturn void cpu_raise_exception(struct cpu_exec *c, int vector);
_Noreturn void cpu_raise_exception_err(struct cpu_exec *c, int vector, uint32_t error_code);

enum cpu_event_kind {
    CPU_EVENT_EXCEPTION,   /* fault/trap raised by an instruction */
    CPU_EVENT_EXTERNAL,    /* maskable interrupt from the interrupt controller */
    CPU_EVENT_NMI,
    CPU_EVENT_SOFTWARE,    /* INT n: privilege checked against the gate DPL */
    CPU_EVENT_SOFTWARE_EXC,/* INT3 / INTO: like INT n but an exception */
    CPU_EVENT_ICEBP,       /* INT1 */
};

/* Delivers one event through the IVT (real mode), IDT (protected and long
 * mode, with privilege changes, task gates, IST) or to the virtual-8086
 * monitor, handling contributory faults: a fault while delivering becomes
 * #DF, a fault while delivering #DF is a triple fault, reported by
 * returning false (the engine resets the machine). rip_after is the return
 * address for traps and software interrupts (the next instruction). */
bool cpu_deliver_event(struct cpu_exec *c, enum cpu_event_kind kind, int vector,
                       bool has_error_code, uint32_t error_code, uint64_t rip_after);

#endif
