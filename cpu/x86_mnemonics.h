/* The instruction mnemonics vx86 decodes, as one X-macro list: the decoder's
 * tables, the translator and the logs all use these names. Append-only. */
#ifndef VX86_CPU_X86_MNEMONICS_H
#define VX86_CPU_X86_MNEMONICS_H

#define X86_MNEMONICS(M) \
    M(INVALID) \
    /* integer arithmetic and logic */ \
    M(ADD) M(OR) M(ADC) M(SBB) M(AND) M(SUB) M(XOR) M(CMP) M(TEST) \
    M(INC) M(DEC) M(NEG) M(NOT) M(MUL) M(IMUL) M(DIV) M(IDIV) \
    M(DAA) M(DAS) M(AAA) M(AAS) M(AAM) M(AAD) \
    M(ROL) M(ROR) M(RCL) M(RCR) M(SHL) M(SHR) M(SAL) M(SAR) M(SHLD) M(SHRD) \
    M(BT) M(BTS) M(BTR) M(BTC) M(BSF) M(BSR) M(BSWAP) \
    M(XADD) M(CMPXCHG) M(CMPXCHG8B) M(CMPXCHG16B) M(XCHG) \
    M(POPCNT) M(LZCNT) M(TZCNT) \
    /* data movement */ \
    M(MOV) M(MOVZX) M(MOVSX) M(MOVSXD) M(LEA) M(CMOVCC) M(SETCC) \
    M(PUSH) M(POP) M(PUSHA) M(POPA) M(PUSHF) M(POPF) M(LAHF) M(SAHF) \
    M(CBW) M(CWD) M(XLAT) M(ENTER) M(LEAVE) M(BOUND) M(ARPL) \
    M(LDS) M(LES) M(LFS) M(LGS) M(LSS) \
    /* strings */ \
    M(MOVS) M(CMPS) M(STOS) M(LODS) M(SCAS) M(INS) M(OUTS) \
    /* control flow */ \
    M(JMP) M(JMPF) M(JCC) M(JCXZ) M(LOOP) M(LOOPE) M(LOOPNE) \
    M(CALL) M(CALLF) M(RET) M(RETF) M(INT) M(INT3) M(INTO) M(INT1) M(IRET) \
    /* flags and misc */ \
    M(CLC) M(STC) M(CMC) M(CLD) M(STD) M(CLI) M(STI) \
    M(NOP) M(HLT) M(WAIT) M(CPUID) M(RDTSC) M(RDTSCP) M(RDMSR) M(WRMSR) M(RDPMC) \
    M(IN) M(OUT) M(UD2) M(UD0) M(UD1) M(SALC) M(PAUSE) \
    /* system */ \
    M(LGDT) M(LIDT) M(SGDT) M(SIDT) M(LLDT) M(SLDT) M(LTR) M(STR) \
    M(LMSW) M(SMSW) M(CLTS) M(INVD) M(WBINVD) M(INVLPG) \
    M(MOV_CR) M(MOV_DR) M(LAR) M(LSL) M(VERR) M(VERW) \
    M(SYSENTER) M(SYSEXIT) M(SYSCALL) M(SYSRET) M(SWAPGS) M(RSM) \
    M(MOV_SEG) /* MOV Sreg,Ew / MOV Ev,Sreg */ \
    M(CLFLUSH) M(LFENCE) M(MFENCE) M(SFENCE) M(PREFETCH) M(NOP_HINT) \
    /* x87 */ \
    M(X87) /* every D8-DF escape: the translator looks at opcode and modrm */ \
    /* MMX/SSE and later: one entry per map/opcode family, resolved by the translator */ \
    M(SSE) M(XSAVE) M(XRSTOR) M(XGETBV) M(XSETBV) M(FXSAVE) M(FXRSTOR) M(LDMXCSR) M(STMXCSR) \
    M(EMMS) \
    /* integer instructions of the 0F 38 map (SSE4.2 CRC32, MOVBE) */ \
    M(CRC32) M(MOVBE)

enum x86_mnemonic {
#define X86_MNEMONIC_ENUM(name) X86_##name,
    X86_MNEMONICS(X86_MNEMONIC_ENUM)
#undef X86_MNEMONIC_ENUM
    X86_MNEMONIC_COUNT
};

const char *x86_mnemonic_name(enum x86_mnemonic m);

#endif
