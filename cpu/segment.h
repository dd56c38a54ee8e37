/* Segment descriptors for the bt engine: reading and parsing GDT/LDT
 * entries, segment register loads with the protected-mode checks, stack
 * accesses through a not-yet-loaded stack segment, and the
 * descriptor-inspecting instructions (LAR, LSL, VERR, VERW, LLDT, LTR, ARPL). */
#ifndef VX86_CPU_SEGMENT_H
#define VX86_CPU_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exec.h"

/* One descriptor as it sits in a table. hi2/hi3 are the second 8 bytes of a
 * 16-byte long-mode system descriptor (base 63:32, then a dword whose type
 * field must be zero); zero for 8-byte descriptors. */
struct seg_desc {
    uint32_t lo, hi;
    uint32_t hi2, hi3;
};

/* System descriptor types (S = 0). */
enum {
    DESC_TSS16_AVAIL = 0x1,
    DESC_LDT = 0x2,
    DESC_TSS16_BUSY = 0x3,
    DESC_CALL_GATE16 = 0x4,
    DESC_TASK_GATE = 0x5,
    DESC_INT_GATE16 = 0x6,
    DESC_TRAP_GATE16 = 0x7,
    DESC_TSS32_AVAIL = 0x9,   /* also the 64-bit TSS in long mode */
    DESC_TSS32_BUSY = 0xb,
    DESC_CALL_GATE32 = 0xc,   /* also the 64-bit call gate */
    DESC_INT_GATE32 = 0xe,
    DESC_TRAP_GATE32 = 0xf,
};

static inline unsigned desc_type(const struct seg_desc *d) { return (d->hi >> 8) & 0xf; }
static inline bool desc_s(const struct seg_desc *d) { return d->hi & (1u << 12); }
static inline unsigned desc_dpl(const struct seg_desc *d) { return (d->hi >> 13) & 3; }
static inline bool desc_present(const struct seg_desc *d) { return d->hi & (1u << 15); }
static inline bool desc_code(const struct seg_desc *d) { return desc_s(d) && (desc_type(d) & 8); }
static inline bool desc_data(const struct seg_desc *d) { return desc_s(d) && !(desc_type(d) & 8); }
static inline bool desc_conforming(const struct seg_desc *d)
{
    return desc_code(d) && (desc_type(d) & 4);
}
static inline bool desc_readable(const struct seg_desc *d)
{
    return desc_data(d) || (desc_code(d) && (desc_type(d) & 2));
}
static inline bool desc_writable(const struct seg_desc *d)
{
    return desc_data(d) && (desc_type(d) & 2);
}
static inline bool desc_long(const struct seg_desc *d) { return d->hi & (1u << 21); }
static inline bool desc_db(const struct seg_desc *d) { return d->hi & (1u << 22); }

static inline uint64_t desc_base(const struct seg_desc *d)
{
    return (d->lo >> 16) | ((d->hi & 0xff) << 16) | (d->hi & 0xff000000u) |
           ((uint64_t)d->hi2 << 32);
}

/* The byte-granular limit (G scales by 4 KiB, filling the low 12 bits). */
static inline uint32_t desc_limit(const struct seg_desc *d)
{
    uint32_t raw = (d->lo & 0xffff) | (d->hi & 0xf0000);
    return (d->hi & (1u << 23)) ? (raw << 12) | 0xfff : raw;
}

/* Attribute bits 40..55 of the descriptor, in struct x86_segment's layout. */
static inline uint16_t desc_attr(const struct seg_desc *d) { return (d->hi >> 8) & 0xf0ff; }

/* Gate fields (call, interrupt, trap and task gates). */
static inline uint16_t gate_selector(const struct seg_desc *d) { return d->lo >> 16; }
static inline uint64_t gate_offset(const struct seg_desc *d)
{
    return (d->lo & 0xffff) | (d->hi & 0xffff0000u) | ((uint64_t)d->hi2 << 32);
}

/* Error code of a selector for #GP/#TS/#NP/#SS: index and TI, RPL cleared. */
#define SEL_ERR(sel) ((uint32_t)(sel) & 0xfffcu)
#define SEL_RPL(sel) ((unsigned)(sel) & 3u)
#define SEL_TI(sel) (((sel) & 4u) != 0)

/* Modes as the checks need them. */
static inline bool cpu_protected(const struct cpu_exec *c)
{
    return (c->cpu.cr0 & X86_CR0_PE) && !(c->cpu.rflags & X86_FLAG_VM);
}
static inline bool cpu_v86(const struct cpu_exec *c)
{
    return (c->cpu.cr0 & X86_CR0_PE) && (c->cpu.rflags & X86_FLAG_VM);
}
static inline bool cpu_long_mode(const struct cpu_exec *c)
{
    return c->cpu.efer & X86_EFER_LMA;
}
static inline bool cpu_code64(const struct cpu_exec *c)
{
    return cpu_long_mode(c) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
}
static inline unsigned cpu_iopl(const struct cpu_exec *c)
{
    return (c->cpu.rflags >> 12) & 3;
}
static inline bool addr_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Reads the 8-byte descriptor sel names in the GDT or LDT through
 * supervisor accesses (which may #PF). False when the selector lies beyond
 * the table's limit or names an unusable LDT; null selectors are the
 * caller's business. */
bool seg_desc_read(struct cpu_exec *c, uint16_t sel, struct seg_desc *d);
/* Same for a system descriptor: 16 bytes in long mode (both halves must lie
 * within the table), 8 bytes otherwise. */
bool seg_desc_read_sys(struct cpu_exec *c, uint16_t sel, struct seg_desc *d);
/* Sets the accessed bit of a code/data descriptor in its table, as loading
 * a segment register does (SDM vol. 3, 3.4.5.1), when it is clear. */
void seg_desc_set_accessed(struct cpu_exec *c, uint16_t sel, struct seg_desc *d);
/* Writes the type nibble of the descriptor at sel back (TSS busy bit). */
void seg_desc_write_type(struct cpu_exec *c, uint16_t sel, struct seg_desc *d, unsigned type);

/* Descriptor caches. */
void seg_cache_from_desc(struct x86_segment *s, uint16_t sel, const struct seg_desc *d);
/* A null selector loaded in protected mode: unusable; dpl is what SS gets
 * in 64-bit mode so SS.DPL keeps naming the CPL. */
void seg_cache_null(struct x86_segment *s, uint16_t sel, unsigned dpl);
/* Virtual-8086 mode: base sel * 16, limit 0xffff, read/write data at DPL 3. */
void seg_cache_v86(struct x86_segment *s, uint16_t sel);

/* Installs a segment register value and refreshes the segment check cache
 * translated code uses (the CPL is the caller's: seg_set_cpl). */
void seg_set(struct cpu_exec *c, int sreg, const struct x86_segment *s);
/* Sets c->cpl. */
void seg_set_cpl(struct cpu_exec *c, unsigned cpl);

/* MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS: loads a data or stack segment
 * register (sreg != S_CS) with every check of the mode (SDM vol. 2, MOV):
 * #GP(sel) for a bad index, type or privilege, #NP(sel) (#SS(sel) for SS)
 * when not present, #GP(0) for a null SS (allowed in 64-bit mode at CPL < 3
 * with RPL = CPL). Real mode changes only selector and base (the hidden
 * limit and attributes stay, as unreal mode relies on); virtual-8086 mode
 * loads the fixed v86 attributes. Sets the accessed bit. */
void seg_load(struct cpu_exec *c, int sreg, uint16_t selector);

/* Outer-privilege return (RET far, IRET): DS, ES, FS, GS that the new,
 * less privileged code may not use are loaded with the null selector
 * (SDM vol. 2, RET: "(data or non-conforming code) and DPL < CPL"). */
void seg_null_inaccessible(struct cpu_exec *c);

/* A stack being pushed to or popped from through a stack-segment cache that
 * may not be loaded yet (a new SS from the TSS, say). Faults raise
 * vector(error) (#SS); accesses are supervisor ones when sys is set, else at
 * the current privilege. */
struct seg_stack {
    struct x86_segment ss;  /* base/limit/attr used for the checks */
    uint64_t sp;            /* the full stack pointer register value */
    uint64_t mask;          /* 0xffff, 0xffffffff or all ones (from SS.B / 64-bit) */
    bool mode64;            /* 64-bit mode: no limit checks, canonical ones */
    bool sys;
    int vector;
    uint32_t error;
};

/* Describes the stack through ss at sp; 64-bit mode when mode64. */
void seg_stack_init(struct seg_stack *st, const struct x86_segment *ss, uint64_t sp,
                    bool mode64, bool sys, int vector, uint32_t error);
/* The current stack (SS:rSP) at the current privilege, faulting #SS(error). */
void seg_stack_current(struct seg_stack *st, struct cpu_exec *c, uint32_t error);
/* Raises the stack fault unless count items of size bytes can be pushed /
 * popped (the up-front room checks the SDM orders before other checks). */
void seg_stack_check_push(struct cpu_exec *c, const struct seg_stack *st, unsigned count,
                          unsigned size);
void seg_stack_check_pop(struct cpu_exec *c, const struct seg_stack *st, unsigned count,
                         unsigned size);
void seg_stack_push(struct cpu_exec *c, struct seg_stack *st, unsigned size, uint64_t value);
uint64_t seg_stack_pop(struct cpu_exec *c, struct seg_stack *st, unsigned size);
/* Reads size bytes at offset off above the stack pointer without popping. */
uint64_t seg_stack_peek(struct cpu_exec *c, const struct seg_stack *st, uint64_t off,
                        unsigned size);
/* The new value of the full RSP register given its old value: a 16-bit
 * stack changes SP only, a 32-bit one writes ESP (zero-extended, as every
 * 32-bit register write is in IA-32e mode), a 64-bit one all of RSP. */
static inline uint64_t seg_stack_rsp(const struct seg_stack *st, uint64_t old_rsp)
{
    if (st->mask == 0xffff)
        return (old_rsp & ~0xffffull) | (st->sp & 0xffff);
    return st->sp & st->mask;
}

/* Descriptor-inspecting instructions (SDM vol. 2). Each returns ZF. In real
 * and virtual-8086 mode they raise #UD. LAR stores the access-rights dword
 * (descriptor bits 32..63 masked with 0x00f0ff00; the caller keeps the low
 * 16 bits for a 16-bit operand), LSL the byte-granular limit. */
bool cpu_lar(struct cpu_exec *c, uint16_t selector, uint32_t *access_rights);
bool cpu_lsl(struct cpu_exec *c, uint16_t selector, uint32_t *limit);
bool cpu_verr(struct cpu_exec *c, uint16_t selector);
bool cpu_verw(struct cpu_exec *c, uint16_t selector);
/* LLDT / LTR: #UD outside protected mode, #GP(0) at CPL > 0, then the
 * descriptor checks (#GP(sel), #NP(sel)); LTR marks the TSS busy. */
void cpu_lldt(struct cpu_exec *c, uint16_t selector);
void cpu_ltr(struct cpu_exec *c, uint16_t selector);
/* SLDT / STR: the selector (#UD outside protected mode). */
uint16_t cpu_sldt(struct cpu_exec *c);
uint16_t cpu_str(struct cpu_exec *c);
/* ARPL (protected mode only; #UD otherwise): raises the RPL of *dst to
 * that of src and returns ZF = whether it changed. */
bool cpu_arpl(struct cpu_exec *c, uint16_t *dst, uint16_t src);

#endif
