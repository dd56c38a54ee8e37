/* struct x86_cpu: the complete architectural state of one x86 processor, the
 * single source of truth both engines load from and store back to. */
#ifndef VX86_CPU_CPU_H
#define VX86_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

enum x86_reg {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
    X86_NR_GPRS
};

enum x86_segreg { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, X86_NR_SEGS };

/* Descriptor attribute bits as they sit in bits 40..55 of a descriptor,
 * shifted down by 40 (the layout VMX and SVM both use). */
#define SEG_ATTR_TYPE_MASK 0x000f
#define SEG_ATTR_S         0x0010
#define SEG_ATTR_DPL_SHIFT 5
#define SEG_ATTR_DPL_MASK  0x0060
#define SEG_ATTR_P         0x0080
#define SEG_ATTR_AVL       0x1000
#define SEG_ATTR_L         0x2000
#define SEG_ATTR_DB        0x4000
#define SEG_ATTR_G         0x8000

struct x86_segment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;    /* byte-granular effective limit */
    uint16_t attr;     /* SEG_ATTR_* */
    bool unusable;     /* null selector loaded in protected mode */
};

struct x86_dtable {
    uint64_t base;
    uint16_t limit;
};

/* RFLAGS bits */
#define X86_FLAG_CF   (1u << 0)
#define X86_FLAG_FIXED (1u << 1)
#define X86_FLAG_PF   (1u << 2)
#define X86_FLAG_AF   (1u << 4)
#define X86_FLAG_ZF   (1u << 6)
#define X86_FLAG_SF   (1u << 7)
#define X86_FLAG_TF   (1u << 8)
#define X86_FLAG_IF   (1u << 9)
#define X86_FLAG_DF   (1u << 10)
#define X86_FLAG_OF   (1u << 11)
#define X86_FLAG_IOPL (3u << 12)
#define X86_FLAG_NT   (1u << 14)
#define X86_FLAG_RF   (1u << 16)
#define X86_FLAG_VM   (1u << 17)
#define X86_FLAG_AC   (1u << 18)
#define X86_FLAG_VIF  (1u << 19)
#define X86_FLAG_VIP  (1u << 20)
#define X86_FLAG_ID   (1u << 21)

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_VME        (1ull << 0)
#define X86_CR4_PVI        (1ull << 1)
#define X86_CR4_TSD        (1ull << 2)
#define X86_CR4_DE         (1ull << 3)
#define X86_CR4_PSE        (1ull << 4)
#define X86_CR4_PAE        (1ull << 5)
#define X86_CR4_MCE        (1ull << 6)
#define X86_CR4_PGE        (1ull << 7)
#define X86_CR4_PCE        (1ull << 8)
#define X86_CR4_OSFXSR     (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_OSXSAVE    (1ull << 18)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

#define X86_APIC_BASE_BSP    (1ull << 8)
#define X86_APIC_BASE_ENABLE (1ull << 11)
#define X86_APIC_DEFAULT_BASE 0xfee00000ull

/* FXSAVE-shaped floating-point and SSE state. */
struct x86_fpu {
    uint16_t fcw;
    uint16_t fsw;
    uint8_t ftw;        /* abridged tag word: bit i set = ST register i valid */
    uint16_t fop;
    uint64_t fip;
    uint64_t fdp;
    uint8_t st[8][16];  /* 80-bit registers, physical order, padded to 16 bytes */
    uint32_t mxcsr;
    uint8_t xmm[16][16];
};

/* MSRs with architectural storage beyond the named fields above. */
struct x86_msrs {
    uint64_t tsc;
    uint64_t tsc_aux;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t pat;
    uint64_t misc_enable;
    uint64_t mtrr_cap_def_type; /* MTRRdefType */
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];      /* base/mask pairs for 8 ranges */
};

/* An event being delivered or waiting to be, as both engines record it. */
struct x86_pending_event {
    bool valid;
    uint8_t vector;
    bool has_error_code;
    uint32_t error_code;
    bool soft;           /* software interrupt (INT n) re-injection */
};

struct x86_cpu {
    uint64_t regs[X86_NR_GPRS];
    uint64_t rip;
    uint64_t rflags;
    struct x86_segment seg[X86_NR_SEGS];
    struct x86_segment ldtr, tr;
    struct x86_dtable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t dr[8];     /* DR0-DR3, DR6 at [6], DR7 at [7]; [4],[5] unused */
    uint64_t efer;
    uint64_t apic_base;
    uint64_t xcr0;
    struct x86_msrs msr;
    struct x86_fpu fpu;

    struct x86_pending_event exception;  /* injected or pending exception */
    struct x86_pending_event interrupt;  /* external interrupt being injected */
    bool nmi_pending;
    bool nmi_injected;
    bool nmi_masked;
    bool interrupt_shadow;  /* STI or MOV SS blocking for one instruction */
    bool halted;
};

/* Puts the processor in its power-on (RESET) state, as the SDM's table of
 * initial register values gives it. */
void cpu_reset(struct x86_cpu *cpu);

/* Fills a segment from a real-mode selector (base = selector << 4). */
void cpu_seg_load_real(struct x86_segment *seg, uint16_t selector);
/* Flat 32-bit segment: base 0, limit 4 GiB, the given type and DPL 0. */
void cpu_seg_load_flat32(struct x86_segment *seg, uint16_t selector, unsigned type);

#endif
