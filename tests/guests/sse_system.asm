; SSE system side, in 64-bit mode: the CPUID bits of MMX/SSE/SSE2/SSE3,
; which exception each kind of SIMD instruction raises under CR4.OSFXSR,
; CR0.EM and CR0.TS (an inlined SSE2 form, a generic SSE form, an MMX one,
; FXSAVE, LDMXCSR; the same code run again after CLTS), the alignment of
; 16-byte memory operands (#GP(0) for MOVDQA/MOVAPS/ADDPS/PXOR, none for
; MOVDQU/MOVUPS/LDDQU), a MOVDQU store split over a not-present page
; (#PF, nothing written), unmasked SIMD exceptions (#XM with
; CR4.OSXMMEXCPT, #UD without; destination kept, MXCSR.ZE set), LDMXCSR
; with a reserved bit, MMX against the x87 tag word and TOP, EMMS, and an
; FXSAVE/FXRSTOR round trip.
;
; Each instruction under test sits in its own small routine, called again
; under every CR0/CR4 setting: a binary translator that bakes those bits
; into its code is caught.
;
; QEMU 7.2's default CPU (qemu64), the reference this output is compared
; with, lacks SSSE3, SSE4.1/4.2, POPCNT and XSAVE. The checks of those run
; when CPUID offers them and then print only their failures (the whole
; line, with FAIL), so that the output is one text for both; assembling
; with -DVERBOSE_GATED prints every line, for a comparison with
; `qemu-system-x86_64 -cpu max` (see the README).
;
; A few checks allow for QEMU 7.2 TCG where it departs from the SDM (the
; label says what QEMU does; the value is accepted only when the brand
; string says QEMU): LDMXCSR and FXRSTOR do not check reserved MXCSR bits,
; unmasked SIMD exceptions raise nothing and store the masked result, and
; a store split over a not-present page writes its low 8 bytes first.
%include "guest.inc"

; ---------------------------------------------------------------- layout
PML4            equ 0x10000
PDPT            equ 0x11000
PD              equ 0x12000
PT              equ 0x13000         ; 0 .. 2 MiB in 4 KiB pages
IDT64           equ 0x14000
KSTACK          equ 0x1F000
FXAREA          equ 0x20000         ; 512 bytes, 16-byte aligned
FXAREA2         equ 0x20400
XAREA           equ 0x21000         ; 576 bytes, 64-byte aligned
OPND            equ 0x22000         ; 16-byte operands
SPLIT_PAGE      equ 0x31000         ; present, the page before NP_PAGE
NP_PAGE         equ 0x32000         ; not present

SEL_KCODE64     equ 0x28
SEL_KDATA       equ 0x30
GDT_ENTRIES     equ 7

MSR_EFER        equ 0xC0000080

CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10
CR4_OSXSAVE     equ 1 << 18

NONE            equ 0xFF            ; "vector" when nothing was raised

; variables (qwords)
V_EXC_VEC       equ DATA_BASE + 0x00
V_EXC_ERR       equ DATA_BASE + 0x08
V_EXC_RIP       equ DATA_BASE + 0x10
V_EXC_CR2       equ DATA_BASE + 0x18
V_FIXUP         equ DATA_BASE + 0x20
V_FIXUP_RSP     equ DATA_BASE + 0x28
V_QUIET         equ DATA_BASE + 0x30    ; print only failing checks
V_QEMU          equ DATA_BASE + 0x38    ; CPUID brand string starts with QEMU
V_MXCSR         equ DATA_BASE + 0x40    ; LDMXCSR / STMXCSR operand
V_TMP           equ DATA_BASE + 0x48
V_ENV           equ DATA_BASE + 0x60    ; FNSTENV image, 28 bytes
V_FEAT_ECX      equ DATA_BASE + 0x80    ; CPUID.1:ECX

; operands in OPND
O_A             equ OPND + 0x00     ; aligned 16 bytes
O_B             equ OPND + 0x10
O_ONES          equ OPND + 0x20     ; four floats 1.0
O_DIV           equ OPND + 0x30     ; 1.0, 0.0, 1.0, 1.0
O_OUT           equ OPND + 0x40     ; stores land here
O_MIS           equ OPND + 0x58     ; 8 mod 16
O_MM0           equ OPND + 0x80
O_MM1           equ OPND + 0x88
O_MMOUT         equ OPND + 0x90

; ---------------------------------------------------------------- macros

%macro LPRINT 1+
        call    lm_print_inline
        db      %1, 0
%endmacro

; LCHECK actual, expected, 'label'[, digits]: prints "label=0x<actual>",
; and " FAIL expected ..." on a mismatch (actual: a 64-bit register other
; than RAX/RCX/RDX, or a qword in memory). In a quiet group a matching
; check prints nothing.
%macro LCHECK 3-4 8
        push    rax
        push    rcx
        push    rdx
        pushfq
        mov     rax, %1
        mov     rdx, %2
        mov     cl, %4
        call    lm_check_inline
        db      %3, 0
        popfq
        pop     rdx
        pop     rcx
        pop     rax
%endmacro

%macro EXPECT 1
        mov     qword [V_EXC_VEC], NONE
        mov     qword [V_EXC_ERR], NONE
        mov     [V_FIXUP_RSP], rsp
        mov     qword [V_FIXUP], %1
%endmacro
%macro END_EXPECT 0
        mov     qword [V_FIXUP], 0
%endmacro

; TRY routine, vector, 'label': calls the routine (one instruction and a
; RET) and prints the vector it raised (0xff: none).
%macro TRY 3
        EXPECT  %%resume
        call    %1
%%resume:
        END_EXPECT
        LCHECK  qword [V_EXC_VEC], %2, %3, 2
%endmacro

; TRY_ERR routine, vector, error, 'label': also the error code.
%macro TRY_ERR 4
        TRY     %1, %2, %4
        LCHECK  qword [V_EXC_ERR], %3, '  error code', 4
%endmacro

; QEMU_ACCEPTS qword, qemu, sdm: where QEMU 7.2 TCG departs from the SDM
; (see the top), its value is replaced by the SDM's, when the CPUID brand
; string says QEMU; anywhere else the check sees what the CPU did.
%macro QEMU_ACCEPTS 3
        push    rax
        cmp     qword [V_QEMU], 0
        je      %%keep
        mov     rax, %2
        cmp     %1, rax
        jne     %%keep
        mov     rax, %3
        mov     %1, rax
%%keep: pop     rax
%endmacro

%macro SET_CR0 2                    ; bits to set, bits to clear
        mov     rax, cr0
        or      rax, %1
        and     rax, ~(%2)
        mov     cr0, rax
%endmacro
%macro SET_CR4 2
        mov     rax, cr4
        or      rax, %1
        and     rax, ~(%2)
        mov     cr4, rax
%endmacro

; QUIET_GROUP / END_QUIET_GROUP: checks in between print only failures,
; unless assembled with -DVERBOSE_GATED.
%macro QUIET_GROUP 0
%ifndef VERBOSE_GATED
        mov     qword [V_QUIET], 1
%endif
%endmacro
%macro END_QUIET_GROUP 0
        mov     qword [V_QUIET], 0
%endmacro
%macro LPRINT_V 1+
%ifdef VERBOSE_GATED
        LPRINT  %1
%endif
%endmacro

; ================================================================ 16-bit
CODE16
main16:
        PRINT   'sse_system: sse/mmx control bits, alignment, simd exceptions, fxsave, xsave', 10
        in      al, 0x92                ; A20 on
        or      al, 0x02
        and     al, 0xFE
        out     0x92, al
        mov     cx, GDT_ENTRIES
        call    rm_gdt_init
        mov     esi, 0xFFFFF
        xor     eax, eax
        mov     bx, SEL_KCODE64
        mov     dx, 0xA09B              ; G, L; code exec/read, accessed
        call    rm_gdt_set
        mov     bx, SEL_KDATA
        mov     dx, 0xC093
        call    rm_gdt_set
        ENTER_PM32 pm_main

; ================================================================ 32-bit
CODE32
pm_main:
        mov     edi, PML4
        xor     eax, eax
        mov     ecx, 0x4000 / 4
        rep     stosd
        mov     dword [PML4], PDPT | 3
        mov     dword [PDPT], PD | 3
        mov     dword [PD], PT | 3
        mov     edi, PT
        mov     eax, 3
.pt:    mov     [edi], eax
        add     eax, 0x1000
        add     edi, 8
        cmp     edi, PT + 4096
        jb      .pt
        mov     dword [PT + (NP_PAGE >> 12) * 8], 0
        mov     eax, cr4
        or      eax, 0x20               ; PAE; OSFXSR stays clear for now
        mov     cr4, eax
        mov     eax, PML4
        mov     cr3, eax
        mov     ecx, MSR_EFER
        rdmsr
        or      eax, 0x100              ; LME
        wrmsr
        mov     eax, cr0
        and     eax, ~(CR0_EM | CR0_TS)
        or      eax, 0x80000020 | CR0_MP ; PG, NE, MP
        mov     cr0, eax
        jmp     dword SEL_KCODE64:lm_entry

; ================================================================ 64-bit
bits 64

%include "lm_console.inc"

; RAX actual, RDX expected, CL digits; the label follows the call.
lm_check_inline:
        push    rsi
        mov     rsi, [rsp + 8]
        cmp     rax, rdx
        jne     .print
        cmp     qword [V_QUIET], 0
        je      .print
        call    lm_skip
        mov     [rsp + 8], rsi
        pop     rsi
        ret
.print: call    lm_puts
        mov     [rsp + 8], rsi
        push    rax
        mov     al, '='
        call    lm_putc
        pop     rax
        call    lm_puthex
        cmp     rax, rdx
        je      .ok
        LPRINT  ' FAIL expected '
        mov     rax, rdx
        call    lm_puthex
        inc     dword [FAIL_COUNT]
.ok:    LPRINT  10
        pop     rsi
        ret

; ---------------------------------------------------------------- IDT

; Exception stubs: [rsp] = vector, [rsp + 8] = error code (0 if none).
%assign vec 0
%rep 32
lm_stub_ %+ vec:
  %if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
        push    vec
  %else
        push    0
        push    vec
  %endif
        jmp     lm_exc_common
  %assign vec vec + 1
%endrep
lm_stub_other:
        push    0
        push    0xFE
        jmp     lm_exc_common

lm_stub_table:
%assign vec 0
%rep 32
        dq      lm_stub_ %+ vec
  %assign vec vec + 1
%endrep

; An expected fault is recorded and resumes at V_FIXUP with RSP =
; V_FIXUP_RSP; anything else ends the run.
lm_exc_common:
        push    rax
        cmp     qword [V_FIXUP], 0
        je      .unexpected
        mov     rax, [rsp + 8]
        mov     [V_EXC_VEC], rax
        mov     rax, [rsp + 16]
        mov     [V_EXC_ERR], rax
        mov     rax, [rsp + 24]
        mov     [V_EXC_RIP], rax
        mov     rax, cr2
        mov     [V_EXC_CR2], rax
        mov     rax, [V_FIXUP]
        mov     [rsp + 24], rax
        mov     rax, [V_FIXUP_RSP]
        mov     [rsp + 48], rax
        mov     qword [V_FIXUP], 0
        pop     rax
        add     rsp, 16
        iretq
.unexpected:
        mov     qword [V_QUIET], 0
        LPRINT  'FAIL: unexpected vector '
        mov     rax, [rsp + 8]
        mov     cl, 2
        call    lm_puthex
        LPRINT  ' error='
        mov     rax, [rsp + 16]
        mov     cl, 8
        call    lm_puthex
        LPRINT  ' rip='
        mov     rax, [rsp + 24]
        mov     cl, 16
        call    lm_puthex
        LPRINT  10
        mov     al, EXIT_UNEXPECTED
        jmp     lm_exit

lm_idt_init:
        xor     eax, eax
.gate:  mov     rdx, lm_stub_other
        cmp     eax, 32
        jae     .set
        mov     rdx, [lm_stub_table + rax * 8]
.set:   mov     rdi, rax
        shl     rdi, 4
        add     rdi, IDT64
        mov     [rdi], dx
        mov     word [rdi + 2], SEL_KCODE64
        mov     word [rdi + 4], 0x8E00
        shr     rdx, 16
        mov     [rdi + 6], dx
        shr     rdx, 16
        mov     [rdi + 8], edx
        mov     dword [rdi + 12], 0
        inc     eax
        cmp     eax, 256
        jb      .gate
        mov     word [SCRATCH], 256 * 16 - 1
        mov     qword [SCRATCH + 2], IDT64
        lidt    [SCRATCH]
        ret

; ---------------------------------------------------------------- routines
; One instruction each, run under the different control bits.
r_pxor:     pxor    xmm0, xmm1              ; inlined by vx86's translator
            ret
r_movdqa:   movdqa  xmm2, [O_A]             ; inlined
            ret
r_addps:    addps   xmm3, xmm1              ; generic helper
            ret
r_lddqu:    lddqu   xmm4, [O_A]             ; SSE3, generic
            ret
r_paddb:    paddb   mm0, mm1
            ret
r_fxsave:   fxsave  [FXAREA]
            ret
r_ldmxcsr:  ldmxcsr [V_MXCSR]
            ret
r_pshufb:   pshufb  xmm5, xmm1              ; SSSE3
            ret
r_xsave:    xsave   [XAREA]
            ret
r_xgetbv:   xgetbv
            ret
r_xsetbv:   xsetbv
            ret

; misaligned 16-byte operands (O_MIS is 8 mod 16)
r_movdqa_mis:   movdqa  xmm2, [O_MIS]
                ret
r_movaps_mis:   movaps  xmm2, [O_MIS]
                ret
r_addps_mis:    addps   xmm2, [O_MIS]
                ret
r_pxor_mis:     pxor    xmm2, [O_MIS]
                ret
r_movdqu_mis:   movdqu  xmm2, [O_MIS]
                ret
r_movups_mis:   movups  xmm6, [O_MIS]
                ret
r_lddqu_mis:    lddqu   xmm7, [O_MIS]
                ret
r_movdqa_st_mis: movdqa [O_MIS], xmm1
                ret
r_movdqu_split: movdqu  [NP_PAGE - 8], xmm1
                ret
r_movups_split: movups  [NP_PAGE - 4], xmm1
                ret

r_divps:    divps   xmm2, [O_DIV]
            ret

; ---------------------------------------------------------------- helpers

; RBX = the low qword, RBP = the high qword of XMM register %1.
%macro XMM_TO 1
        movdqu  [O_OUT], %1
        mov     rbx, [O_OUT]
        mov     rbp, [O_OUT + 8]
%endmacro

; Clears the 16 bytes at O_OUT and the split target's first page tail.
lm_set_operands:
        mov     rax, 0x1111111111111111
        mov     [O_A], rax
        mov     rax, 0x2222222222222222
        mov     [O_A + 8], rax
        mov     rax, 0x0F0E0D0C0B0A0908
        mov     [O_B], rax
        mov     rax, 0x0706050403020100
        mov     [O_B + 8], rax
        mov     rax, 0x3F8000003F800000     ; 1.0f, 1.0f
        mov     [O_ONES], rax
        mov     [O_ONES + 8], rax
        mov     rax, 0x000000003F800000     ; 1.0f, 0.0f
        mov     [O_DIV], rax
        mov     rax, 0x3F8000003F800000
        mov     [O_DIV + 8], rax
        mov     rax, 0x5555555555555555
        mov     [O_MIS], rax
        mov     [O_MIS + 8], rax
        mov     rax, 0x0102030405060708
        mov     [O_MM0], rax
        mov     rax, 0x1010101010101010
        mov     [O_MM1], rax
        ret

; ---------------------------------------------------------------- tests
lm_entry:
        mov     ax, SEL_KDATA
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        xor     eax, eax
        mov     fs, ax
        mov     gs, ax
        mov     rsp, KSTACK
        mov     qword [V_FIXUP], 0
        mov     qword [V_QUIET], 0
        call    lm_idt_init
        call    lm_set_operands
        mov     eax, 0x80000000
        cpuid
        xor     ebx, ebx
        cmp     eax, 0x80000002
        jb      .nobrand
        mov     eax, 0x80000002
        cpuid
        cmp     eax, 'QEMU'
        sete    bl
.nobrand:
        mov     [V_QEMU], rbx
        LPRINT  'in 64-bit mode', 10

        ; --- CPUID
        mov     eax, 1
        cpuid
        mov     [V_FEAT_ECX], rcx
        mov     ebx, edx
        and     ebx, (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26)
        LCHECK  rbx, 0x07800000, 'cpuid.1 edx mmx|fxsr|sse|sse2'
        mov     ebx, ecx
        and     ebx, 1
        LCHECK  rbx, 1, 'cpuid.1 ecx sse3', 2
%ifdef VERBOSE_GATED
        mov     ebx, ecx
        and     ebx, (1 << 9) | (1 << 19) | (1 << 20) | (1 << 23) | (1 << 26)
        LCHECK  rbx, 0x04980200, 'cpuid.1 ecx ssse3|sse4.1|sse4.2|popcnt|xsave'
%endif
        mov     ebx, ecx
        and     ebx, 1 << 27
        LCHECK  rbx, 0, 'cpuid.1 ecx osxsave with cr4.osxsave clear'

        ; --- CR4.OSFXSR clear: SSE is #UD, MMX works
        LPRINT  'cr4.osfxsr clear:', 10
        movq    mm0, [O_MM0]
        movq    mm1, [O_MM1]
        TRY     r_pxor, 6, '  pxor xmm0, xmm1: vector'
        TRY     r_movdqa, 6, '  movdqa xmm2, m128: vector'
        TRY     r_addps, 6, '  addps xmm3, xmm1: vector'
        TRY     r_lddqu, 6, '  lddqu xmm4, m128: vector'
        TRY     r_ldmxcsr, 6, '  ldmxcsr: vector'
        TRY     r_paddb, NONE, '  paddb mm0, mm1: vector'
        movq    [O_MMOUT], mm0
        LCHECK  qword [O_MMOUT], 0x1112131415161718, '  paddb result', 16
        test    dword [V_FEAT_ECX], 1 << 9
        jz      .no_ssse3_a
        QUIET_GROUP
        TRY     r_pshufb, 6, '  pshufb xmm5, xmm1 (ssse3): vector'
        END_QUIET_GROUP
.no_ssse3_a:

        ; --- CR4.OSFXSR set: everything runs
        SET_CR4 CR4_OSFXSR, 0
        mov     dword [V_MXCSR], 0x1F80
        LPRINT  'cr4.osfxsr set:', 10
        movdqa  xmm0, [O_A]
        movdqa  xmm1, [O_B]
        TRY     r_pxor, NONE, '  pxor xmm0, xmm1: vector'
        XMM_TO  xmm0
        LCHECK  rbx, 0x1E1F1C1D1A1B1819, '  pxor result low', 16
        LCHECK  rbp, 0x2524272621202322, '  pxor result high', 16
        TRY     r_movdqa, NONE, '  movdqa xmm2, m128: vector'
        XMM_TO  xmm2
        LCHECK  rbx, 0x1111111111111111, '  movdqa result low', 16
        movdqa  xmm3, [O_ONES]
        movdqa  xmm1, [O_ONES]
        TRY     r_addps, NONE, '  addps xmm3, xmm1: vector'
        XMM_TO  xmm3
        LCHECK  rbx, 0x4000000040000000, '  addps 1.0 + 1.0', 16
        TRY     r_lddqu, NONE, '  lddqu xmm4, m128: vector'
        TRY     r_ldmxcsr, NONE, '  ldmxcsr: vector'
        TRY     r_paddb, NONE, '  paddb mm0, mm1: vector'
        TRY     r_fxsave, NONE, '  fxsave: vector'

        ; --- CR0.EM: SSE and MMX are #UD, FXSAVE #NM
        SET_CR0 CR0_EM, 0
        LPRINT  'cr0.em set:', 10
        TRY     r_pxor, 6, '  pxor xmm0, xmm1: vector'
        TRY     r_movdqa, 6, '  movdqa xmm2, m128: vector'
        TRY     r_addps, 6, '  addps xmm3, xmm1: vector'
        TRY     r_lddqu, 6, '  lddqu xmm4, m128: vector'
        TRY     r_ldmxcsr, 6, '  ldmxcsr: vector'
        TRY     r_paddb, 6, '  paddb mm0, mm1: vector'
        TRY     r_fxsave, 7, '  fxsave: vector'
        test    dword [V_FEAT_ECX], 1 << 9
        jz      .no_ssse3_b
        QUIET_GROUP
        TRY     r_pshufb, 6, '  pshufb xmm5, xmm1 (ssse3): vector'
        END_QUIET_GROUP
.no_ssse3_b:
        SET_CR0 0, CR0_EM

        ; --- CR0.TS: #NM for all of them
        SET_CR0 CR0_TS, 0
        LPRINT  'cr0.ts set:', 10
        TRY     r_pxor, 7, '  pxor xmm0, xmm1: vector'
        TRY     r_movdqa, 7, '  movdqa xmm2, m128: vector'
        TRY     r_addps, 7, '  addps xmm3, xmm1: vector'
        TRY     r_lddqu, 7, '  lddqu xmm4, m128: vector'
        TRY     r_ldmxcsr, 7, '  ldmxcsr: vector'
        TRY     r_paddb, 7, '  paddb mm0, mm1: vector'
        TRY     r_fxsave, 7, '  fxsave: vector'
        test    dword [V_FEAT_ECX], 1 << 9
        jz      .no_ssse3_c
        QUIET_GROUP
        TRY     r_pshufb, 7, '  pshufb xmm5, xmm1 (ssse3): vector'
        END_QUIET_GROUP
.no_ssse3_c:
        clts
        LPRINT  'after clts:', 10
        movdqa  xmm0, [O_A]
        movdqa  xmm1, [O_B]
        TRY     r_pxor, NONE, '  pxor xmm0, xmm1: vector'
        XMM_TO  xmm0
        LCHECK  rbx, 0x1E1F1C1D1A1B1819, '  pxor result low', 16
        TRY     r_movdqa, NONE, '  movdqa xmm2, m128: vector'
        movdqa  xmm3, [O_ONES]
        movdqa  xmm1, [O_ONES]
        TRY     r_addps, NONE, '  addps xmm3, xmm1: vector'
        XMM_TO  xmm3
        LCHECK  rbx, 0x4000000040000000, '  addps 1.0 + 1.0', 16
        TRY     r_lddqu, NONE, '  lddqu xmm4, m128: vector'
        TRY     r_ldmxcsr, NONE, '  ldmxcsr: vector'
        movq    mm0, [O_MM0]
        movq    mm1, [O_MM1]
        TRY     r_paddb, NONE, '  paddb mm0, mm1: vector'
        movq    [O_MMOUT], mm0
        LCHECK  qword [O_MMOUT], 0x1112131415161718, '  paddb result', 16
        TRY     r_fxsave, NONE, '  fxsave: vector'
        test    dword [V_FEAT_ECX], 1 << 9
        jz      .no_ssse3_d
        QUIET_GROUP
        movdqa  xmm5, [O_A]
        movdqa  xmm1, [O_B]
        TRY     r_pshufb, NONE, '  pshufb xmm5, xmm1 (ssse3): vector'
        XMM_TO  xmm5
        LCHECK  rbx, 0x2222222222222222, '  pshufb result low', 16
        LCHECK  rbp, 0x1111111111111111, '  pshufb result high', 16
        END_QUIET_GROUP
.no_ssse3_d:
        emms

        ; --- alignment of 16-byte memory operands
        LPRINT  'operand at 8 mod 16:', 10
        TRY_ERR r_movdqa_mis, 13, 0, '  movdqa xmm2, m128: vector'
        TRY_ERR r_movaps_mis, 13, 0, '  movaps xmm2, m128: vector'
        TRY_ERR r_addps_mis, 13, 0, '  addps xmm2, m128: vector'
        TRY_ERR r_pxor_mis, 13, 0, '  pxor xmm2, m128: vector'
        TRY     r_movdqu_mis, NONE, '  movdqu xmm2, m128: vector'
        XMM_TO  xmm2
        LCHECK  rbx, 0x5555555555555555, '  movdqu result low', 16
        TRY     r_movups_mis, NONE, '  movups xmm6, m128: vector'
        TRY     r_lddqu_mis, NONE, '  lddqu xmm7, m128: vector'
        movdqa  xmm1, [O_B]
        TRY_ERR r_movdqa_st_mis, 13, 0, '  movdqa m128, xmm1: vector'
        LCHECK  qword [O_MIS], 0x5555555555555555, '  memory kept', 16
        ; a store split over a present and a not-present page: the present
        ; page is in the TLB, writable, and keeps its bytes
        ; (QEMU 7.2 stores the low 8 bytes before the high ones fault)
        mov     rax, 0x6666666666666666
        mov     [NP_PAGE - 8], rax
        mov     [NP_PAGE - 16], rax
        TRY_ERR r_movdqu_split, 14, 2, 'movdqu to 8 bytes before a not-present page: vector'
        LCHECK  qword [V_EXC_CR2], NP_PAGE, '  cr2'
        mov     rax, [NP_PAGE - 8]
        mov     [V_TMP], rax
        QEMU_ACCEPTS qword [V_TMP], 0x0F0E0D0C0B0A0908, 0x6666666666666666
        LCHECK  qword [V_TMP], 0x6666666666666666, '  first page kept (qemu: low half written)', 16
        mov     rax, 0x6666666666666666
        mov     [NP_PAGE - 8], rax
        TRY_ERR r_movups_split, 14, 2, 'movups to 4 bytes before a not-present page: vector'
        LCHECK  qword [V_EXC_CR2], NP_PAGE, '  cr2'
        mov     rax, [NP_PAGE - 8]
        mov     [V_TMP], rax
        LCHECK  qword [V_TMP], 0x6666666666666666, '  first page kept', 16

        ; --- MXCSR
        mov     dword [V_MXCSR], 0x00011F80
        EXPECT  .ldm
        call    r_ldmxcsr
.ldm:   END_EXPECT
        QEMU_ACCEPTS qword [V_EXC_VEC], NONE, 13
        QEMU_ACCEPTS qword [V_EXC_ERR], NONE, 0
        LCHECK  qword [V_EXC_VEC], 13, 'ldmxcsr 0x00011f80 (reserved bit 16): vector (qemu: none)', 2
        LCHECK  qword [V_EXC_ERR], 0, '  error code', 4
        mov     dword [V_MXCSR], 0xBFC0 ; FZ, RC = down, all masks, DAZ
        TRY     r_ldmxcsr, NONE, 'ldmxcsr 0xbfc0: vector'
        mov     dword [V_MXCSR], 0
        stmxcsr [V_MXCSR]
        LCHECK  qword [V_MXCSR], 0xBFC0, '  stmxcsr'

        ; --- unmasked SIMD exceptions
        SET_CR4 CR4_OSXMMEXCPT, 0
        mov     dword [V_MXCSR], 0x1D80 ; ZM clear
        ldmxcsr [V_MXCSR]
        ; (QEMU 7.2 raises no SIMD exception: it stores the masked result)
        movdqa  xmm2, [O_ONES]
        EXPECT  .xm1
        call    r_divps
.xm1:   END_EXPECT
        QEMU_ACCEPTS qword [V_EXC_VEC], NONE, 19
        LCHECK  qword [V_EXC_VEC], 19, 'divps by zero, zm clear, cr4.osxmmexcpt set: vector (qemu: none)', 2
        XMM_TO  xmm2
        mov     [V_TMP], rbx
        QEMU_ACCEPTS qword [V_TMP], 0x7F8000003F800000, 0x3F8000003F800000
        LCHECK  qword [V_TMP], 0x3F8000003F800000, '  destination kept low (qemu: written)', 16
        LCHECK  rbp, 0x3F8000003F800000, '  destination kept high', 16
        stmxcsr [V_MXCSR]
        LCHECK  qword [V_MXCSR], 0x1D84, '  mxcsr (ze set)'
        SET_CR4 0, CR4_OSXMMEXCPT
        mov     dword [V_MXCSR], 0x1D80
        ldmxcsr [V_MXCSR]
        movdqa  xmm2, [O_ONES]
        EXPECT  .xm2
        call    r_divps
.xm2:   END_EXPECT
        QEMU_ACCEPTS qword [V_EXC_VEC], NONE, 6
        LCHECK  qword [V_EXC_VEC], 6, 'divps by zero, zm clear, cr4.osxmmexcpt clear: vector (qemu: none)', 2
        XMM_TO  xmm2
        mov     [V_TMP], rbx
        QEMU_ACCEPTS qword [V_TMP], 0x7F8000003F800000, 0x3F8000003F800000
        LCHECK  qword [V_TMP], 0x3F8000003F800000, '  destination kept low (qemu: written)', 16
        stmxcsr [V_MXCSR]
        LCHECK  qword [V_MXCSR], 0x1D84, '  mxcsr (ze set)'
        mov     dword [V_MXCSR], 0x1F80
        ldmxcsr [V_MXCSR]
        movdqa  xmm2, [O_ONES]
        TRY     r_divps, NONE, 'divps by zero, zm set: vector'
        XMM_TO  xmm2
        LCHECK  rbx, 0x7F8000003F800000, '  result (1.0 / 0.0 = inf)', 16
        stmxcsr [V_MXCSR]
        LCHECK  qword [V_MXCSR], 0x1F84, '  mxcsr (ze set)'
        SET_CR4 CR4_OSXMMEXCPT, 0

        ; --- MMX and the x87 tag word
        fninit
        fld1                            ; TOP = 7
        fnstsw  ax
        movzx   ebx, ax
        shr     ebx, 11
        and     ebx, 7
        LCHECK  rbx, 7, 'fld1 after fninit: top', 2
        movq    mm0, [O_MM0]
        movq    mm1, [O_MM1]
        paddb   mm0, mm1
        fnstsw  ax
        movzx   ebx, ax
        shr     ebx, 11
        and     ebx, 7
        LCHECK  rbx, 0, 'after paddb: top', 2
        fxsave  [FXAREA]
        movzx   ebx, byte [FXAREA + 4]
        LCHECK  rbx, 0xFF, '  fxsave abridged tag (all valid)', 2
        fnstenv [V_ENV]
        movzx   ebx, word [V_ENV + 8]   ; empty registers have tag 11
        mov     eax, ebx
        shr     eax, 1
        and     ebx, eax
        and     ebx, 0x5555
        LCHECK  rbx, 0, '  fnstenv tag word: empty registers', 4
        fldcw   [V_ENV]                 ; FNSTENV masked all x87 exceptions
        emms
        fnstsw  ax
        movzx   ebx, ax
        shr     ebx, 11
        and     ebx, 7
        LCHECK  rbx, 0, 'after emms: top', 2
        fxsave  [FXAREA]
        movzx   ebx, byte [FXAREA + 4]
        LCHECK  rbx, 0, '  fxsave abridged tag (all empty)', 2
        fnstenv [V_ENV]
        movzx   ebx, word [V_ENV + 8]
        LCHECK  rbx, 0xFFFF, '  fnstenv tag word', 4
        fldcw   [V_ENV]

        ; --- FXSAVE / FXRSTOR round trip
        mov     rdi, FXAREA2
        mov     rcx, 0x0101010101010101
        xor     eax, eax
.fill:  mov     rax, rcx
        imul    rax, rdi
        mov     [rdi], rax
        add     rdi, 8
        cmp     rdi, FXAREA2 + 256
        jb      .fill
        movdqa  xmm0, [FXAREA2 + 0x00]
        movdqa  xmm7, [FXAREA2 + 0x70]
        movdqa  xmm8, [FXAREA2 + 0x80]
        movdqa  xmm15, [FXAREA2 + 0xF0]
        mov     dword [V_MXCSR], 0x3F80 ; RC = down
        ldmxcsr [V_MXCSR]
        fxsave  [FXAREA]
        mov     rbx, [FXAREA + 24]
        LCHECK  rbx, 0x0000FFFF00003F80, 'fxsave: mxcsr_mask:mxcsr', 16
        mov     rbx, [FXAREA + 160]
        LCHECK  rbx, [FXAREA2 + 0x00], '  xmm0 low at +160', 16
        mov     rbx, [FXAREA + 160 + 15 * 16 + 8]
        LCHECK  rbx, [FXAREA2 + 0xF8], '  xmm15 high at +408', 16
        pxor    xmm0, xmm0
        pxor    xmm7, xmm7
        pxor    xmm8, xmm8
        pxor    xmm15, xmm15
        mov     dword [V_MXCSR], 0x1F80
        ldmxcsr [V_MXCSR]
        fxrstor [FXAREA]
        stmxcsr [V_MXCSR]
        LCHECK  qword [V_MXCSR], 0x3F80, 'fxrstor: mxcsr'
        XMM_TO  xmm0
        LCHECK  rbx, [FXAREA2 + 0x00], '  xmm0 low', 16
        XMM_TO  xmm7
        LCHECK  rbp, [FXAREA2 + 0x78], '  xmm7 high', 16
        XMM_TO  xmm8
        LCHECK  rbx, [FXAREA2 + 0x80], '  xmm8 low', 16
        XMM_TO  xmm15
        LCHECK  rbp, [FXAREA2 + 0xF8], '  xmm15 high', 16
        mov     dword [FXAREA + 24], 0x00011F80
        EXPECT  .fxr1
        fxrstor [FXAREA]
.fxr1:  END_EXPECT
        QEMU_ACCEPTS qword [V_EXC_VEC], NONE, 13
        QEMU_ACCEPTS qword [V_EXC_ERR], NONE, 0
        LCHECK  qword [V_EXC_VEC], 13, 'fxrstor with mxcsr 0x00011f80: vector (qemu: none)', 2
        LCHECK  qword [V_EXC_ERR], 0, '  error code', 4
        EXPECT  .fxs1
        fxsave  [FXAREA + 8]
.fxs1:  END_EXPECT
        LCHECK  qword [V_EXC_VEC], 13, 'fxsave at 8 mod 16: vector', 2
        LCHECK  qword [V_EXC_ERR], 0, '  error code', 4
        mov     dword [V_MXCSR], 0x1F80
        ldmxcsr [V_MXCSR]

        ; --- XSAVE (when offered)
        test    dword [V_FEAT_ECX], 1 << 26
        jz      .no_xsave
        call    lm_xsave_tests
.no_xsave:
        LPRINT  'ssse3 and xsave checks: run when cpuid offers them, printed when they fail', 10
        jmp     lm_finish

; ---------------------------------------------------------------- XSAVE
lm_xsave_tests:
        QUIET_GROUP
        LPRINT_V 'xsave:', 10
        TRY     r_xsave, 6, '  xsave with cr4.osxsave clear: vector'
        TRY     r_xgetbv, 6, '  xgetbv with cr4.osxsave clear: vector'
        SET_CR4 CR4_OSXSAVE, 0
        mov     eax, 1
        cpuid
        and     ecx, 1 << 27
        mov     ebx, ecx
        LCHECK  rbx, 1 << 27, '  cpuid.1 ecx osxsave with cr4.osxsave set'
        mov     eax, 0xD
        xor     ecx, ecx
        cpuid
        mov     ebx, eax
        and     ebx, 3
        LCHECK  rbx, 3, '  cpuid.0xd eax x87|sse', 2
        ; the lowest user state component the CPU lacks
        not     eax
        and     eax, ~3
        bsf     eax, eax
        mov     [V_TMP], rax
        xor     ecx, ecx
        TRY     r_xgetbv, NONE, '  xgetbv 0: vector'
        mov     ebx, eax
        LCHECK  rbx, 1, '  xcr0 after reset', 2
        xor     ecx, ecx
        xor     edx, edx
        mov     eax, 3
        TRY     r_xsetbv, NONE, '  xsetbv 0, 3: vector'
        xor     ecx, ecx
        call    r_xgetbv
        shl     rdx, 32
        or      rax, rdx
        mov     rbx, rax
        LCHECK  rbx, 3, '  xgetbv 0', 2
        xor     ecx, ecx
        xor     edx, edx
        mov     eax, 2
        TRY_ERR r_xsetbv, 13, 0, '  xsetbv 0, 2 (no x87): vector'
        mov     edx, 0x80000000
        mov     eax, 3
        TRY_ERR r_xsetbv, 13, 0, '  xsetbv 0, bit 63: vector'
        mov     rcx, [V_TMP]
        mov     eax, 1
        shl     eax, cl
        or      eax, 3
        xor     ecx, ecx
        xor     edx, edx
        TRY_ERR r_xsetbv, 13, 0, '  xsetbv 0, a component the cpu lacks: vector'
        mov     ecx, 1
        mov     eax, 3
        xor     edx, edx
        TRY_ERR r_xsetbv, 13, 0, '  xsetbv 1, 3: vector'
        xor     ecx, ecx
        call    r_xgetbv
        mov     ebx, eax
        LCHECK  rbx, 3, '  xcr0 kept', 2

        ; XSAVE of x87 and SSE state that is not in its initial form
        mov     rdi, XAREA
        mov     ecx, 1024 / 8
        mov     rax, 0xA5A5A5A5A5A5A5A5
        rep     stosq
        xor     eax, eax
        mov     [XAREA + 512], rax      ; a valid header
        mov     [XAREA + 520], rax
        mov     rdi, XAREA + 528
        mov     ecx, 6
        rep     stosq
        fninit
        fld1
        movdqa  xmm0, [O_A]
        movdqa  xmm7, [O_B]
        mov     dword [V_MXCSR], 0x5F80 ; RC = up
        ldmxcsr [V_MXCSR]
        mov     eax, 3
        xor     edx, edx
        TRY     r_xsave, NONE, '  xsave edx:eax = 3: vector'
        LCHECK  qword [XAREA + 512], 3, '  xstate_bv', 16
        movzx   ebx, word [XAREA]
        LCHECK  rbx, 0x037F, '  fcw', 4
        mov     ebx, [XAREA + 24]
        LCHECK  rbx, 0x5F80, '  mxcsr'
        LCHECK  qword [XAREA + 160], 0x1111111111111111, '  xmm0 low', 16
        LCHECK  qword [XAREA + 160 + 7 * 16 + 8], 0x0706050403020100, '  xmm7 high', 16
        LCHECK  qword [XAREA + 520], 0, '  xcomp_bv', 16
        LCHECK  qword [XAREA + 576], 0xA5A5A5A5A5A5A5A5, '  past the area kept', 16

        ; XRSTOR with XSTATE_BV = x87 only: XMM registers to zero, MXCSR loaded
        mov     qword [XAREA + 512], 1
        mov     dword [XAREA + 24], 0x7F80
        mov     eax, 3
        xor     edx, edx
        EXPECT  .xr1
        xrstor  [XAREA]
.xr1:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], NONE, '  xrstor xstate_bv = 1: vector', 2
        XMM_TO  xmm0
        or      rbx, rbp
        LCHECK  rbx, 0, '  xmm0 (initial: zero)', 16
        XMM_TO  xmm7
        or      rbx, rbp
        LCHECK  rbx, 0, '  xmm7 (initial: zero)', 16
        stmxcsr [V_MXCSR]
        LCHECK  qword [V_MXCSR], 0x7F80, '  mxcsr loaded'
        fnstsw  ax
        movzx   ebx, ax
        shr     ebx, 11
        and     ebx, 7
        LCHECK  rbx, 7, '  x87 top (restored)', 2

        ; XRSTOR of both components
        mov     qword [XAREA + 512], 3
        mov     dword [XAREA + 24], 0x1F80
        mov     eax, 3
        xor     edx, edx
        xrstor  [XAREA]
        XMM_TO  xmm7
        LCHECK  rbp, 0x0706050403020100, '  xrstor xstate_bv = 3: xmm7 high', 16

        ; #GP cases
        ; the standard form checks header bytes 23:8 (SDM vol. 1, 13.8.1)
        mov     byte [XAREA + 512 + 16], 1
        mov     eax, 3
        xor     edx, edx
        EXPECT  .xr2
        xrstor  [XAREA]
.xr2:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], 13, '  xrstor with header byte 16 set: vector', 2
        LCHECK  qword [V_EXC_ERR], 0, '  error code', 4
        mov     byte [XAREA + 512 + 16], 0
        mov     byte [XAREA + 512 + 8], 1       ; XCOMP_BV = 1, bit 63 clear
        EXPECT  .xr4
        xrstor  [XAREA]
.xr4:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], 13, '  xrstor with xcomp_bv = 1: vector', 2
        mov     byte [XAREA + 512 + 8], 0
        mov     byte [XAREA + 512 + 32], 1      ; beyond byte 23: not checked
        EXPECT  .xr5
        xrstor  [XAREA]
.xr5:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], NONE, '  xrstor with header byte 32 set: vector', 2
        mov     byte [XAREA + 512 + 32], 0
        mov     qword [XAREA + 512], 7
        EXPECT  .xr3
        xrstor  [XAREA]
.xr3:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], 13, '  xrstor with xstate_bv bit 2 (not in xcr0): vector', 2
        mov     qword [XAREA + 512], 3
        mov     eax, 3
        xor     edx, edx
        EXPECT  .xs1
        xsave   [XAREA + 32]
.xs1:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], 13, '  xsave at 32 mod 64: vector', 2
        LCHECK  qword [V_EXC_ERR], 0, '  error code', 4
        SET_CR0 CR0_TS, 0
        TRY     r_xsave, 7, '  xsave with cr0.ts: vector'
        clts
        SET_CR4 0, CR4_OSXSAVE
        TRY     r_xsave, 6, '  xsave after clearing cr4.osxsave: vector'
        mov     dword [V_MXCSR], 0x1F80
        ldmxcsr [V_MXCSR]
        END_QUIET_GROUP
        ret
