; Long mode: from real mode through 32-bit protected mode into IA-32e mode
; (EFER.LME/NXE/SCE, PAE, 4-level paging), then 64-bit checks: CPUID bits
; every x86-64 processor has, EFER, 4 KiB / 2 MiB / 1 GiB pages and a
; higher-half alias, #PF error codes and CR2 (not present, read-only,
; reserved bit, supervisor-only, NX), an IST stack switch, stack alignment
; on same-privilege delivery, IRETQ to 64-bit and to compatibility-mode user
; code, INT from CPL 3 with the null SS it leaves, SYSCALL/SYSRET (RFLAGS
; through R11 and FMASK), SYSENTER/SYSEXIT from compatibility mode, SWAPGS
; (and #UD outside 64-bit mode), FS/GS bases through MSRs and selector loads
; (and an FS base kept across a return to CPL 3), CMPXCHG16B, RDTSCP with
; TSC_AUX, non-canonical addresses (#GP, and #SS through RBP), CR8 against
; the local APIC's TPR, LAHF/SAHF, STR/SLDT into 32-bit registers, and
; compatibility-mode code calling back into 64-bit code.
;
; Two lines allow for QEMU 7.2 TCG, the reference this output is compared
; with, where it departs from the SDM: a reserved-bit #PF's error code
; lacks P (only the other bits are printed), and a non-canonical stack
; access raises #GP rather than #SS (accepted only when the brand string
; says QEMU).
;
; Features a processor may lack (1 GiB pages, RDTSCP) are used when CPUID
; offers them and otherwise replaced by an equivalent that prints the same
; lines, so the output is one text for every conforming PC.
%include "guest.inc"

; ---------------------------------------------------------------- layout
PML4            equ 0x10000
PDPT_LOW        equ 0x11000         ; PML4[0]: 0 .. 512 GiB
PD_LOW          equ 0x12000         ; PDPT_LOW[0]: 0 .. 1 GiB
PT_LOW          equ 0x13000         ; PD_LOW[0]: 0 .. 2 MiB in 4 KiB pages, user
PD_4G           equ 0x14000         ; PDPT_LOW[3]: 3 .. 4 GiB (local APIC)
PDPT_HIGH       equ 0x15000         ; PML4[511]
PD_ALT          equ 0x16000         ; PDPT_LOW[4] when there are no 1 GiB pages
TSS64           equ 0x20000
IDT64           equ 0x21000         ; 256 16-byte gates
KTEST_STACK     equ 0x58000         ; the kernel's own stack
KSTACK_TOP      equ 0x60000         ; TSS.RSP0
IST1_TOP        equ 0x62000         ; TSS.IST1
USTACK_TOP      equ 0x64000
SYSENTER_STACK  equ 0x66000

NX_PAGE         equ 0x30000         ; execute-disable, holds a RET
EXEC_PAGE       equ 0x31000         ; executable, holds a RET
NP_PAGE         equ 0x32000         ; not present
SUPER_PAGE      equ 0x33000         ; supervisor only
RO_PAGE         equ 0x34000         ; read-only
RSVD_PAGE       equ 0x35000         ; PTE with reserved bit 51 set

ALIAS_2M        equ 0x00200000      ; PD_LOW[1]: 2 MiB page -> physical 0
HIGH_HALF       equ 0xFFFFFFFF80000000 ; PDPT_HIGH[510] -> PD_LOW
VIRT_1G         equ 0x100000000     ; PDPT_LOW[4]: 1 GiB page -> physical 0
PHYS_32M        equ 0x02000000      ; PD_LOW[16]: identity 2 MiB page
NONCANONICAL    equ 0x0000800000000000

LAPIC_TPR       equ 0xFEE00080

SEL_KCODE64     equ 0x28
SEL_KDATA       equ 0x30
SEL_UCODE32     equ 0x38            ; STAR[63:48]: SYSRET base
SEL_UDATA       equ 0x40
SEL_UCODE64     equ 0x48
SEL_TSS         equ 0x50            ; 16 bytes
SEL_FSDATA      equ 0x60            ; data, base FS_DATA
GDT_ENTRIES     equ 13

MSR_EFER        equ 0xC0000080
MSR_STAR        equ 0xC0000081
MSR_LSTAR       equ 0xC0000082
MSR_FMASK       equ 0xC0000084
MSR_FS_BASE     equ 0xC0000100
MSR_GS_BASE     equ 0xC0000101
MSR_KGS_BASE    equ 0xC0000102
MSR_TSC_AUX     equ 0xC0000103
MSR_SYSENTER_CS equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176

; variables (qwords)
V_EXC_VEC       equ DATA_BASE + 0x00
V_EXC_ERR       equ DATA_BASE + 0x08
V_EXC_RIP       equ DATA_BASE + 0x10
V_EXC_CR2       equ DATA_BASE + 0x18
V_FIXUP         equ DATA_BASE + 0x20    ; where an expected fault resumes (0: none)
V_FIXUP_RSP     equ DATA_BASE + 0x28
V_KRSP          equ DATA_BASE + 0x30    ; kernel RSP while user code runs
V_HAVE_1G       equ DATA_BASE + 0x38
V_HAVE_RDTSCP   equ DATA_BASE + 0x40
V_FARPTR        equ DATA_BASE + 0x48
V_INTEL         equ DATA_BASE + 0x50    ; CPUID vendor GenuineIntel
V_QEMU          equ DATA_BASE + 0x58    ; CPUID brand string starts with QEMU
V_R             equ DATA_BASE + 0x80    ; results, 32 qwords
FS_DATA         equ DATA_BASE + 0x200
FS_DATA2        equ DATA_BASE + 0x300
C16_DATA        equ DATA_BASE + 0x400
ALIAS_DATA      equ 0x9000

%define R(n) (V_R + (n) * 8)

; ---------------------------------------------------------------- 64-bit macros

; LPRINT 'text', ... : like PRINT, in 64-bit code (kernel only).
%macro LPRINT 1+
        call    lm_print_inline
        db      %1, 0
%endmacro

; LCHECK actual, expected, 'label'[, digits]: like CHECK with 64-bit values
; (actual: a 64-bit register other than RAX/RCX/RDX, or a qword in memory).
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

; EXPECT resume: the next fault is recorded and resumes at `resume` with
; the current RSP; END_EXPECT there forgets it (also when nothing faulted).
%macro EXPECT 1
        mov     qword [V_EXC_VEC], -1
        mov     qword [V_EXC_ERR], -1
        mov     [V_FIXUP_RSP], rsp
        mov     qword [V_FIXUP], %1
%endmacro
%macro END_EXPECT 0
        mov     qword [V_FIXUP], 0
%endmacro

; FAULT_IS vector, error, 'label': prints what the last expected fault was.
%macro FAULT_IS 3
        LCHECK  qword [V_EXC_VEC], %1, %3, 2
        LCHECK  qword [V_EXC_ERR], %2, '  error code', 4
%endmacro

; ================================================================ 16-bit
CODE16
main16:
        PRINT   'long_mode: IA-32e mode, 4-level paging, 64-bit system instructions', 10
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
        mov     bx, SEL_UCODE32
        mov     dx, 0xC0FB              ; G, D; DPL 3 code
        call    rm_gdt_set
        mov     bx, SEL_UDATA
        mov     dx, 0xC0F3
        call    rm_gdt_set
        mov     bx, SEL_UCODE64
        mov     dx, 0xA0FB              ; G, L; DPL 3 code
        call    rm_gdt_set
        mov     bx, SEL_TSS
        mov     eax, TSS64
        mov     esi, 0x67
        mov     dx, 0x0089              ; available 64-bit TSS
        call    rm_gdt_set
        mov     bx, SEL_FSDATA
        mov     eax, FS_DATA
        mov     esi, 0xFFFF
        mov     dx, 0x4093
        call    rm_gdt_set
        ENTER_PM32 pm_main

; ================================================================ 32-bit
CODE32
pm_main:
        ; paging structures
        mov     edi, PML4
        xor     eax, eax
        mov     ecx, 0x7000 / 4
        rep     stosd
        mov     dword [PML4], PDPT_LOW | 7
        mov     dword [PML4 + 511 * 8], PDPT_HIGH | 3
        mov     dword [PDPT_LOW], PD_LOW | 7
        mov     dword [PDPT_LOW + 3 * 8], PD_4G | 3
        mov     dword [PDPT_HIGH + 510 * 8], PD_LOW | 3
        mov     dword [PD_LOW], PT_LOW | 7
        mov     dword [PD_LOW + 1 * 8], 0 | 0x87                 ; 2 MiB: PS, user, RW, P
        mov     dword [PD_LOW + 16 * 8], PHYS_32M | 0x83
        mov     dword [PD_4G + 0x1F7 * 8], 0xFEE00000 | 0x93     ; PCD, PS, RW, P
        mov     edi, PT_LOW
        mov     eax, 7
.pt:    mov     [edi], eax
        add     eax, 0x1000
        add     edi, 8
        cmp     edi, PT_LOW + 4096
        jb      .pt
        mov     dword [PT_LOW + (NP_PAGE >> 12) * 8], 0
        mov     dword [PT_LOW + (SUPER_PAGE >> 12) * 8], SUPER_PAGE | 3
        mov     dword [PT_LOW + (RO_PAGE >> 12) * 8], RO_PAGE | 5
        or      dword [PT_LOW + (NX_PAGE >> 12) * 8 + 4], 0x80000000    ; XD (bit 63)
        or      dword [PT_LOW + (RSVD_PAGE >> 12) * 8 + 4], 0x00080000  ; bit 51
        mov     byte [NX_PAGE], 0xC3    ; ret
        mov     byte [EXEC_PAGE], 0xC3

        ; 1 GiB pages if offered, else the same range through 2 MiB ones
        mov     eax, 0x80000000
        cpuid
        xor     esi, esi                ; 1 GiB pages
        xor     edi, edi                ; RDTSCP
        cmp     eax, 0x80000001
        jb      .noext
        mov     eax, 0x80000001
        cpuid
        bt      edx, 26
        setc    al
        movzx   esi, al
        bt      edx, 27
        setc    al
        movzx   edi, al
.noext: mov     [V_HAVE_1G], esi
        mov     dword [V_HAVE_1G + 4], 0
        mov     [V_HAVE_RDTSCP], edi
        mov     dword [V_HAVE_RDTSCP + 4], 0
        test    esi, esi
        jz      .no1g
        mov     dword [PDPT_LOW + 4 * 8], 0 | 0x87               ; 1 GiB: PS, user, RW, P
        jmp     .paged
.no1g:  mov     dword [PDPT_LOW + 4 * 8], PD_ALT | 7
        mov     dword [PD_ALT], 0 | 0x87
        mov     dword [PD_ALT + 16 * 8], PHYS_32M | 0x87
.paged:
        ; PAE, the PML4, EFER.LME/NXE/SCE, then paging (with WP): IA-32e
        ; mode, still running 32-bit (compatibility mode) code
        mov     eax, cr4
        or      eax, 0x20
        mov     cr4, eax
        mov     eax, PML4
        mov     cr3, eax
        mov     ecx, MSR_EFER
        rdmsr
        or      eax, 0x901
        wrmsr
        mov     eax, cr0
        or      eax, 0x80010000
        mov     cr0, eax
        jmp     dword SEL_KCODE64:lm_entry

; ================================================================ 64-bit
bits 64

%include "lm_console.inc"

; RAX actual, RDX expected, CL digits; the label follows the call.
lm_check_inline:
        push    rsi
        mov     rsi, [rsp + 8]
        call    lm_puts
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

; Vector RAX -> gate to handler RDX; BL type byte (0x8E: DPL 0 interrupt
; gate, 0xEE: DPL 3), BH the IST index.
lm_idt_set:
        push    rdi
        push    rdx
        mov     rdi, rax
        shl     rdi, 4
        add     rdi, IDT64
        mov     [rdi], dx
        mov     word [rdi + 2], SEL_KCODE64
        mov     [rdi + 4], bh
        mov     [rdi + 5], bl
        shr     rdx, 16
        mov     [rdi + 6], dx
        shr     rdx, 16
        mov     [rdi + 8], edx
        mov     dword [rdi + 12], 0
        pop     rdx
        pop     rdi
        ret

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
        push    0xFF
        jmp     lm_exc_common

lm_stub_table:
%assign vec 0
%rep 32
        dq      lm_stub_ %+ vec
  %assign vec vec + 1
%endrep

; An expected fault is recorded and resumes at V_FIXUP with RSP =
; V_FIXUP_RSP (same CS and SS); anything else ends the run.
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
        mov     ax, SEL_KDATA
        mov     ds, ax
        mov     es, ax
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
        mov     ebx, 0x008E
.gate:  mov     rdx, lm_stub_other
        cmp     eax, 32
        jae     .set
        mov     rdx, [lm_stub_table + rax * 8]
.set:   call    lm_idt_set
        inc     eax
        cmp     eax, 256
        jb      .gate
        mov     eax, 0x41
        mov     rdx, lm_int41
        mov     ebx, 0x018E             ; IST 1
        call    lm_idt_set
        mov     eax, 0x42
        mov     rdx, lm_int42
        mov     ebx, 0x008E
        call    lm_idt_set
        mov     eax, 0x80
        mov     rdx, lm_int80
        mov     ebx, 0x00EE             ; callable from CPL 3
        call    lm_idt_set
        mov     word [SCRATCH], 256 * 16 - 1
        mov     qword [SCRATCH + 2], IDT64
        lidt    [SCRATCH]
        ret

; INT 0x41 (IST 1) and 0x42 (no IST): the stack pointer the handler got,
; and the frame it sees.
lm_int41:
        mov     [R(0)], rsp
        iretq
lm_int42:
        mov     [R(0)], rsp
        push    rax
        mov     rax, [rsp + 8 + 32]
        mov     [R(1)], rax             ; pushed SS
        pop     rax
        iretq

; INT 0x80 from user code: EAX = 0 returns to the kernel code that entered
; user mode (lm_run_user's caller); otherwise the frame is recorded and
; IRETQ goes back.
lm_int80:
        test    eax, eax
        jz      .exit
        mov     [R(2)], rsp
        mov     rax, [rsp + 8]
        mov     [R(3)], rax             ; CS
        mov     rax, [rsp + 24]
        mov     [R(4)], rax             ; RSP
        mov     rax, [rsp + 32]
        mov     [R(5)], rax             ; SS
        xor     eax, eax
        mov     ax, ss
        mov     [R(6)], rax             ; SS now
        iretq
.exit:  mov     rsp, [V_KRSP]
        mov     ax, SEL_KDATA
        mov     ss, ax
        mov     ds, ax
        mov     es, ax
        ret

; SYSCALL target: what the instruction left, then SYSRETQ.
lm_syscall:
        mov     [R(7)], rcx
        mov     [R(8)], r11
        xor     eax, eax
        mov     ax, cs
        mov     [R(9)], rax
        mov     ax, ss
        mov     [R(10)], rax
        pushfq
        pop     rax
        mov     [R(11)], rax
        o64 sysret

; SYSENTER target (from compatibility mode): CS, SS, RSP, then back to
; compatibility mode at EDX with ESP = ECX: SYSEXIT on Intel processors,
; whose behaviour vx86 has; elsewhere (QEMU's default CPU is an AMD one,
; where SYSEXIT does not exist in 64-bit mode) the same through IRETQ.
lm_sysenter:
        xor     eax, eax
        mov     ax, cs
        mov     [R(16)], rax
        mov     ax, ss
        mov     [R(17)], rax
        mov     [R(18)], rsp
        cmp     qword [V_INTEL], 0
        je      .iret
        sysexit
.iret:  push    SEL_UDATA | 3
        push    rcx
        push    0x2
        push    SEL_UCODE32 | 3
        push    rdx
        iretq

; Runs user code: RDI its RIP, RSI its CS (SS is SEL_UDATA|3, RSP
; USTACK_TOP, RFLAGS 0x2). It returns here with INT 0x80, EAX = 0.
lm_run_user:
        mov     [V_KRSP], rsp
        push    SEL_UDATA | 3
        push    USTACK_TOP
        push    0x2
        push    rsi
        push    rdi
        iretq

; ---------------------------------------------------------------- tests
lm_entry:
        mov     ax, SEL_KDATA
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        xor     eax, eax
        mov     fs, ax
        mov     gs, ax
        mov     rsp, KTEST_STACK
        mov     qword [V_FIXUP], 0
        call    lm_idt_init
        mov     rdi, TSS64
        xor     eax, eax
        mov     ecx, 104 / 8
        rep     stosq
        mov     qword [TSS64 + 4], KSTACK_TOP
        mov     qword [TSS64 + 0x24], IST1_TOP
        mov     word [TSS64 + 0x66], 104
        mov     ax, SEL_TSS
        ltr     ax
        LPRINT  'in 64-bit mode', 10
        xor     eax, eax
        cpuid
        xor     eax, eax
        cmp     ebx, 'Genu'
        sete    al
        mov     [V_INTEL], rax
        mov     eax, 0x80000002
        cpuid
        xor     ebx, ebx
        cmp     eax, 'QEMU'
        sete    bl
        mov     [V_QEMU], rbx

        ; --- CPUID
        mov     eax, 0x80000000
        cpuid
        cmp     eax, 0x80000008
        setae   al
        movzx   ebx, al
        LCHECK  rbx, 1, 'cpuid.80000000 max leaf >= 0x80000008', 2
        mov     eax, 0x80000001
        cpuid
        and     edx, (1 << 29) | (1 << 20) | (1 << 11)
        mov     ebx, edx
        LCHECK  rbx, 0x20100800, 'cpuid.80000001 edx lm|nx|syscall'
        and     ecx, 1
        mov     ebx, ecx
        LCHECK  rbx, 1, 'cpuid.80000001 ecx lahf_lm', 2
        mov     eax, 1
        cpuid
        and     ecx, 1 << 13
        mov     ebx, ecx
        LCHECK  rbx, 1 << 13, 'cpuid.1 ecx cx16'
        and     edx, 0x010BBB79         ; FPU PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT PSE36 CLFSH FXSR
        mov     ebx, edx
        LCHECK  rbx, 0x010BBB79, 'cpuid.1 edx (common base features)'
        mov     eax, 0x80000008
        cpuid
        shr     eax, 8
        movzx   ebx, al
        LCHECK  rbx, 48, 'cpuid.80000008 linear address bits', 2

        ; --- EFER
        mov     ecx, MSR_EFER
        rdmsr
        mov     ebx, eax
        LCHECK  rbx, 0xD01, 'efer sce|lme|lma|nxe', 4

        ; --- 4-level paging
        mov     rax, 0x1122334455667788
        mov     [ALIAS_DATA], rax
        mov     rbx, [ALIAS_2M + ALIAS_DATA]
        LCHECK  rbx, 0x1122334455667788, '2m page alias of 0x9000', 16
        mov     rsi, HIGH_HALF + ALIAS_DATA
        mov     rbx, [rsi]
        LCHECK  rbx, 0x1122334455667788, 'higher-half alias 0xffffffff80009000', 16
        mov     rsi, VIRT_1G + ALIAS_DATA
        mov     rbx, [rsi]
        LCHECK  rbx, 0x1122334455667788, '1g page at 4 GiB: read 0x9000', 16
        mov     rsi, VIRT_1G + PHYS_32M + 0x100
        mov     rax, 0x0123456789ABCDEF
        mov     [rsi], rax
        mov     rbx, [PHYS_32M + 0x100]
        LCHECK  rbx, 0x0123456789ABCDEF, '  write 4 GiB + 32 MiB, read 32 MiB', 16
        mov     rbx, [PD_LOW + 8]
        and     ebx, 0x60
        LCHECK  rbx, 0x20, '2m pde of the page only read: accessed|dirty', 2
        mov     rbx, [PT_LOW + (ALIAS_DATA >> 12) * 8]
        and     ebx, 0x60
        LCHECK  rbx, 0x60, '4k pte of 0x9000 accessed|dirty', 2

        ; --- page faults at CPL 0 (CR0.WP set)
        EXPECT  .pf1
        mov     rax, [NP_PAGE + 0x10]
.pf1:   END_EXPECT
        FAULT_IS 14, 0, 'read not-present page: vector'
        LCHECK  qword [V_EXC_CR2], NP_PAGE + 0x10, '  cr2'
        EXPECT  .pf2
        mov     qword [NP_PAGE + 0x18], 1
.pf2:   END_EXPECT
        FAULT_IS 14, 2, 'write not-present page: vector'
        LCHECK  qword [V_EXC_CR2], NP_PAGE + 0x18, '  cr2'
        EXPECT  .pf3
        mov     qword [RO_PAGE + 0x20], 1
.pf3:   END_EXPECT
        FAULT_IS 14, 3, 'write read-only page with cr0.wp: vector'
        EXPECT  .pf4
        mov     rax, [RSVD_PAGE]
.pf4:   END_EXPECT
        LCHECK  qword [V_EXC_VEC], 14, 'read page with reserved bit 51: vector', 2
        mov     rbx, [V_EXC_ERR]        ; P is set too, but QEMU 7.2 TCG leaves it clear
        and     ebx, 0x1E
        LCHECK  rbx, 8, '  error code rsvd|w|u|id', 4
        mov     rax, EXEC_PAGE
        call    rax
        mov     ebx, 1
        LCHECK  rbx, 1, 'call into executable page returned', 2
        EXPECT  .pf5
        mov     rax, NX_PAGE
        call    rax
.pf5:   END_EXPECT
        FAULT_IS 14, 0x11, 'call into nx page: vector'
        LCHECK  qword [V_EXC_CR2], NX_PAGE, '  cr2'
        LCHECK  qword [V_EXC_RIP], NX_PAGE, '  rip'

        ; --- IST and same-privilege stack alignment
        int     0x41
        mov     rbx, [R(0)]
        sub     rbx, IST1_TOP
        LCHECK  rbx, -40, 'int through an ist 1 gate: rsp - ist1', 16
        mov     rbp, rsp
        and     rsp, -16
        sub     rsp, 8
        mov     rbx, rsp
        int     0x42
        mov     rsp, rbp
        mov     rax, [R(0)]
        sub     rax, rbx
        mov     rbx, rax
        LCHECK  rbx, -48, 'int at cpl 0 with rsp = 8 mod 16: new rsp - old', 16
        LCHECK  qword [R(1)], SEL_KDATA, '  pushed ss', 4

        ; --- FS and GS bases
        mov     qword [FS_DATA], 0x75DA7A01
        mov     qword [FS_DATA2], 0x75DA7A02
        mov     ax, SEL_FSDATA
        mov     fs, ax
        mov     ecx, MSR_FS_BASE
        rdmsr
        mov     ebx, eax
        shl     rdx, 32
        or      rbx, rdx
        LCHECK  rbx, FS_DATA, 'mov fs, selector: fs base from the descriptor', 16
        mov     rbx, [fs:0]
        LCHECK  rbx, 0x75DA7A01, '  fs:0'
        mov     ecx, MSR_FS_BASE
        mov     rax, HIGH_HALF + FS_DATA2
        mov     rdx, rax
        shr     rdx, 32
        wrmsr
        mov     rbx, [fs:0]
        LCHECK  rbx, 0x75DA7A02, 'wrmsr fs base 0xffffffff80008300: fs:0'
        xor     eax, eax
        mov     fs, ax
        mov     ecx, MSR_FS_BASE
        rdmsr
        mov     ebx, eax
        shl     rdx, 32
        or      rbx, rdx
        LCHECK  rbx, 0, 'mov fs, null selector: fs base', 16
        mov     ecx, MSR_GS_BASE
        mov     eax, FS_DATA
        xor     edx, edx
        wrmsr
        mov     ecx, MSR_KGS_BASE
        mov     eax, FS_DATA2
        wrmsr
        swapgs
        mov     rbx, [gs:0]
        LCHECK  rbx, 0x75DA7A02, 'swapgs: gs:0 through kernel gs base'
        mov     ecx, MSR_KGS_BASE
        rdmsr
        mov     ebx, eax
        LCHECK  rbx, FS_DATA, '  kernel gs base now', 16
        swapgs
        mov     rbx, [gs:0]
        LCHECK  rbx, 0x75DA7A01, 'swapgs again: gs:0'

        ; --- CMPXCHG16B
        mov     qword [C16_DATA], 1
        mov     qword [C16_DATA + 8], 2
        mov     eax, 1
        mov     edx, 2
        mov     ebx, 3
        mov     ecx, 4
        lock cmpxchg16b [C16_DATA]
        setz    al
        movzx   ebx, al
        LCHECK  rbx, 1, 'cmpxchg16b match: zf', 2
        LCHECK  qword [C16_DATA], 3, '  low qword stored'
        LCHECK  qword [C16_DATA + 8], 4, '  high qword stored'
        mov     eax, 1
        mov     edx, 2
        cmpxchg16b [C16_DATA]
        setz    bl
        movzx   ebx, bl
        LCHECK  rbx, 0, 'cmpxchg16b mismatch: zf', 2
        mov     rbx, rax
        LCHECK  rbx, 3, '  rax loaded'
        mov     rbx, rdx
        LCHECK  rbx, 4, '  rdx loaded'
        EXPECT  .c16
        cmpxchg16b [C16_DATA + 8]
.c16:   END_EXPECT
        FAULT_IS 13, 0, 'cmpxchg16b on an 8-byte aligned operand: vector'

        ; --- RDTSCP and TSC_AUX
        mov     ecx, MSR_TSC_AUX
        mov     eax, 0x2A
        xor     edx, edx
        wrmsr
        rdtsc
        shl     rdx, 32
        or      rax, rdx
        mov     rsi, rax
        cmp     qword [V_HAVE_RDTSCP], 0
        je      .no_rdtscp
        mov     rcx, -1
        rdtscp
        shl     rdx, 32
        or      rax, rdx
        jmp     .tscp_done
.no_rdtscp:
        mov     ecx, MSR_TSC_AUX
        rdmsr
        mov     ecx, eax
        mov     rax, rsi
.tscp_done:
        mov     rbx, rcx
        LCHECK  rbx, 0x2A, 'rdtscp: rcx = tsc_aux', 16
        cmp     rax, rsi
        setae   al
        movzx   ebx, al
        LCHECK  rbx, 1, '  tsc not below the rdtsc before', 2

        ; --- non-canonical addresses
        EXPECT  .nc1
        mov     rsi, NONCANONICAL
        mov     rax, [rsi]
.nc1:   END_EXPECT
        FAULT_IS 13, 0, 'read 0x0000800000000000: vector'
        EXPECT  .nc2
        mov     rbp, NONCANONICAL
        mov     rax, [rbp + 8]
.nc2:   END_EXPECT
        mov     rbp, rsp
        ; #SS: a stack-segment access; QEMU 7.2 TCG raises #GP instead
        xor     ebx, ebx
        cmp     qword [V_EXC_VEC], 12
        je      .nc_ss
        cmp     qword [V_EXC_VEC], 13
        jne     .nc_not
        cmp     qword [V_QEMU], 0
        je      .nc_not
.nc_ss: mov     ebx, 1
.nc_not:
        LCHECK  rbx, 1, 'read [rbp] with rbp non-canonical: #SS (#GP accepted on QEMU)', 2
        LCHECK  qword [V_EXC_ERR], 0, '  error code', 4

        ; --- CR8 is the local APIC's task priority
        mov     eax, 5
        mov     cr8, rax
        mov     rbx, cr8
        LCHECK  rbx, 5, 'mov cr8, 5: cr8', 2
        mov     esi, LAPIC_TPR          ; above 2 GiB: not a sign-extended disp32
        mov     ebx, [rsi]
        LCHECK  rbx, 0x50, '  apic tpr', 2
        xor     eax, eax
        mov     cr8, rax

        ; --- LAHF/SAHF, STR/SLDT into 32- and 16-bit registers
        mov     ah, 0xD5
        sahf
        mov     ah, 0
        lahf
        movzx   ebx, ah
        LCHECK  rbx, 0xD7, 'sahf 0xd5, lahf', 2
        mov     rax, -1
        str     eax
        mov     rbx, rax
        LCHECK  rbx, SEL_TSS, 'str eax (rax was all ones)', 16
        mov     rax, -1
        str     ax
        mov     rbx, rax
        LCHECK  rbx, 0xFFFFFFFFFFFF0000 | SEL_TSS, 'str ax', 16
        mov     rax, -1
        sldt    eax
        mov     rbx, rax
        LCHECK  rbx, 0, 'sldt eax', 16

        ; --- compatibility-mode code calling back into 64-bit code
        mov     dword [V_FARPTR], compat_fn
        mov     word [V_FARPTR + 4], SEL_CODE32
        mov     ebx, 7
        call    far dword [V_FARPTR]
        LCHECK  rbx, 0x00C0DE64 + 7 * 3, 'far call to compatibility mode and back', 8
        LCHECK  qword [R(12)], SEL_KCODE64, '  cs in the 64-bit callback', 4
        LCHECK  qword [R(13)], 1, '  0xffffffff + 2 in compatibility mode'

        ; --- user mode: 64-bit
        mov     ecx, MSR_STAR
        xor     eax, eax
        mov     edx, (SEL_UCODE32 << 16) | SEL_KCODE64
        wrmsr
        mov     ecx, MSR_LSTAR
        mov     rax, lm_syscall
        mov     rdx, rax
        shr     rdx, 32
        wrmsr
        mov     ecx, MSR_FMASK
        mov     eax, 0x700              ; TF IF DF
        xor     edx, edx
        wrmsr
        mov     ecx, MSR_FS_BASE        ; null FS selector, base from the MSR
        mov     eax, FS_DATA2
        xor     edx, edx
        wrmsr
        mov     rdi, user64
        mov     rsi, SEL_UCODE64 | 3
        call    lm_run_user
        LPRINT  'back from 64-bit user code', 10
        LCHECK  qword [R(20)], SEL_UCODE64 | 3, 'user cs', 4
        LCHECK  qword [R(21)], SEL_UDATA | 3, 'user ss', 4
        LCHECK  qword [R(22)], 0x75DA7A02, 'user fs:0 (base set before iretq)'
        LCHECK  qword [R(3)], SEL_UCODE64 | 3, 'int 0x80 from cpl 3: pushed cs', 4
        LCHECK  qword [R(5)], SEL_UDATA | 3, '  pushed ss', 4
        mov     rbx, [R(4)]
        sub     rbx, USTACK_TOP
        LCHECK  rbx, -16, '  pushed rsp - user stack top', 16
        mov     rbx, [R(2)]
        sub     rbx, KSTACK_TOP
        LCHECK  rbx, -40, '  handler rsp - tss.rsp0', 16
        LCHECK  qword [R(6)], 0, '  ss selector in the handler', 4
        mov     rbx, [R(7)]
        mov     rax, user64.after_syscall
        sub     rbx, rax
        LCHECK  rbx, 0, 'syscall: rcx - the next instruction', 16
        mov     rbx, [R(8)]
        and     ebx, 0x400
        LCHECK  rbx, 0x400, '  r11 df', 4
        mov     rbx, [R(11)]
        and     ebx, 0x400
        LCHECK  rbx, 0, '  df after fmask', 4
        LCHECK  qword [R(9)], SEL_KCODE64, '  cs', 4
        LCHECK  qword [R(10)], SEL_KDATA, '  ss', 4
        LCHECK  qword [R(23)], SEL_UCODE64 | 3, 'sysretq: user cs', 4
        LCHECK  qword [R(24)], SEL_UDATA | 3, '  user ss', 4
        LCHECK  qword [R(25)], 0x400, '  user df from r11', 4
        LCHECK  qword [R(26)], 14, 'user read of a supervisor page: vector', 2
        LCHECK  qword [R(27)], 5, '  error code', 4
        LCHECK  qword [R(28)], 7, 'user write of a supervisor page: error code', 4
        LCHECK  qword [R(29)], 4, 'user read of a not-present page: error code', 4
        LCHECK  qword [R(30)], 0x15, 'user call into an nx page: error code', 4
        LCHECK  qword [R(31)], 13, 'swapgs at cpl 3: vector', 2

        ; --- user mode: compatibility mode, SYSENTER/SYSEXIT
        mov     ecx, MSR_SYSENTER_CS
        mov     eax, SEL_KCODE64
        xor     edx, edx
        wrmsr
        mov     ecx, MSR_SYSENTER_ESP
        mov     eax, SYSENTER_STACK
        wrmsr
        mov     ecx, MSR_SYSENTER_EIP
        mov     rax, lm_sysenter
        mov     rdx, rax
        shr     rdx, 32
        wrmsr
        mov     qword [R(3)], 0
        mov     rdi, user32
        mov     rsi, SEL_UCODE32 | 3
        call    lm_run_user
        LPRINT  'back from compatibility-mode user code', 10
        LCHECK  qword [R(20)], SEL_UCODE32 | 3, 'user cs', 4
        LCHECK  qword [R(21)], 0x12345678 * 3, 'user 32-bit arithmetic'
        LCHECK  qword [R(3)], SEL_UCODE32 | 3, 'int 0x80 from compatibility mode: pushed cs', 4
        LCHECK  qword [R(22)], 0xA5A5, '  iretq back: ebx kept', 4
        LCHECK  qword [R(16)], SEL_KCODE64, 'sysenter: cs', 4
        LCHECK  qword [R(17)], SEL_KDATA, '  ss', 4
        LCHECK  qword [R(18)], SYSENTER_STACK, '  rsp', 16
        LCHECK  qword [R(23)], SEL_UCODE32 | 3, 'back in compatibility mode: cs', 4
        LCHECK  qword [R(24)], SEL_UDATA | 3, '  ss', 4
        LCHECK  qword [R(25)], 0x5E5E0000, '  esp from ecx'
        LCHECK  qword [R(26)], 6, 'swapgs in compatibility mode: vector', 2

        jmp     lm_finish

; ---------------------------------------------------------------- user code
; 64-bit, CPL 3. Results go to R(20..31); the kernel prints them.
user64:
        xor     eax, eax
        mov     ax, cs
        mov     [R(20)], rax
        mov     ax, ss
        mov     [R(21)], rax
        mov     rax, [fs:0]
        mov     [R(22)], rax
        push    rax                     ; RSP = top - 16 at the INT
        push    rax
        mov     eax, 1
        int     0x80
        add     rsp, 16
        std
        syscall
.after_syscall:
        pushfq
        pop     rax
        cld
        and     eax, 0x400
        mov     [R(25)], rax
        xor     eax, eax
        mov     ax, cs
        mov     [R(23)], rax
        mov     ax, ss
        mov     [R(24)], rax
        EXPECT  .u1
        mov     rax, [SUPER_PAGE]
.u1:    END_EXPECT
        mov     rax, [V_EXC_VEC]
        mov     [R(26)], rax
        mov     rax, [V_EXC_ERR]
        mov     [R(27)], rax
        EXPECT  .u2
        mov     qword [SUPER_PAGE], 1
.u2:    END_EXPECT
        mov     rax, [V_EXC_ERR]
        mov     [R(28)], rax
        EXPECT  .u3
        mov     rax, [NP_PAGE]
.u3:    END_EXPECT
        mov     rax, [V_EXC_ERR]
        mov     [R(29)], rax
        EXPECT  .u4
        mov     rax, NX_PAGE
        call    rax
.u4:    END_EXPECT
        mov     rax, [V_EXC_ERR]
        mov     [R(30)], rax
        EXPECT  .u5
        swapgs
.u5:    END_EXPECT
        mov     rax, [V_EXC_VEC]
        mov     [R(31)], rax
        xor     eax, eax
        int     0x80

; 64-bit callback reached from compatibility mode with a 32-bit far call.
cb64:
        xor     eax, eax
        mov     ax, cs
        mov     [R(12)], rax
        mov     rax, 0x100000000
        add     rax, 0x00C0DE64
        retf                            ; 32-bit far return: EIP, CS

bits 32
; Compatibility mode, CPL 0 (SEL_CODE32), entered with a far call from
; 64-bit code: calls back into 64-bit code, returns with a 32-bit RETF.
compat_fn:
        lea     eax, [ebx + ebx * 2]
        push    eax
        call    SEL_KCODE64:cb64
        pop     ecx
        add     ebx, eax                ; only EAX's low half is defined here
        add     ebx, ecx
        sub     ebx, 7
        mov     eax, 0xFFFFFFFF         ; wraps at 32 bits
        add     eax, 2
        mov     [R(13)], eax
        mov     dword [R(13) + 4], 0
        retf

; Compatibility mode, CPL 3.
user32:
        mov     ax, SEL_UDATA | 3       ; IRETQ to CPL 3 nulled DS and ES
        mov     ds, ax
        mov     es, ax
        xor     eax, eax
        mov     ax, cs
        mov     [R(20)], eax
        mov     dword [R(20) + 4], 0
        mov     eax, 0x12345678
        mov     ecx, 3
        mul     ecx
        mov     [R(21)], eax
        mov     [R(21) + 4], edx
        mov     ebx, 0xA5A5
        mov     eax, 1
        int     0x80
        mov     [R(22)], ebx
        mov     dword [R(22) + 4], 0
        mov     ecx, 0x5E5E0000
        mov     edx, .after_sysexit
        sysenter
.after_sysexit:
        mov     [R(25)], esp
        mov     dword [R(25) + 4], 0
        mov     esp, USTACK_TOP
        mov     ax, SEL_UDATA | 3       ; SYSEXIT loads SS, not DS
        mov     ds, ax
        xor     eax, eax
        mov     ax, cs
        mov     [R(23)], eax
        mov     dword [R(23) + 4], 0
        mov     ax, ss
        mov     [R(24)], eax
        mov     dword [R(24) + 4], 0
        mov     dword [V_EXC_VEC], -1
        mov     dword [V_EXC_VEC + 4], -1
        mov     [V_FIXUP_RSP], esp
        mov     dword [V_FIXUP_RSP + 4], 0
        mov     dword [V_FIXUP], .u1
        mov     dword [V_FIXUP + 4], 0
        db      0x0F, 0x01, 0xF8        ; swapgs: #UD outside 64-bit mode
.u1:    mov     dword [V_FIXUP], 0
        mov     eax, [V_EXC_VEC]
        mov     [R(26)], eax
        mov     dword [R(26) + 4], 0
        xor     eax, eax
        int     0x80
