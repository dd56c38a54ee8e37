; Protected-mode exceptions through the IDT: #DE, #UD, #GP from a bad
; selector, #NP, #NM and the #DB single-step trap, each with its vector,
; error code and faulting EIP.
%include "guest.inc"

SEL_ABSENT      equ 0x28        ; data, not present
GDT_ENTRIES     equ 6
SEL_BEYOND      equ 0x7FF8      ; far past the GDT limit

EXC_COUNT       equ DATA_BASE
EXC_VECTOR      equ DATA_BASE + 4
EXC_ERROR       equ DATA_BASE + 8
EXC_EIP         equ DATA_BASE + 12
EXC_DR6         equ DATA_BASE + 16
RESUME          equ DATA_BASE + 20      ; where the handler continues

; EXPECT resume_label: the next exception continues at resume_label
%macro EXPECT 1
        mov     dword [RESUME], %1
%endmacro

; REPORT 'name', vector, error, fault_label: check what the handler recorded
%macro REPORT 4
        CHECK   dword [EXC_VECTOR], %2, {%1, ': vector'}, 2
        CHECK   dword [EXC_ERROR], %3, '  error code', 4
        mov     eax, [EXC_EIP]
        sub     eax, %4
        CHECK   eax, 0, {'  eip - ', %str(%4)}
%endmacro

CODE16
main16:
        PRINT   'exceptions: protected-mode faults and traps through the IDT', 10
        mov     cx, GDT_ENTRIES
        call    rm_gdt_init
        mov     bx, SEL_ABSENT
        xor     eax, eax
        mov     esi, 0xFFFFF
        mov     dx, 0xC013
        call    rm_gdt_set
        ENTER_PM32 pm_main

CODE32
pm_main:
        call    pm_idt_init
%macro HANDLER 1
        mov     eax, %1
        mov     edx, exc_ %+ %1
        call    pm_idt_set
%endmacro
        HANDLER 0
        HANDLER 1
        HANDLER 6
        HANDLER 7
        HANDLER 11
        HANDLER 13
        mov     dword [EXC_COUNT], 0

        EXPECT  de_done
        mov     eax, 1234
        xor     edx, edx
        xor     ecx, ecx
de_insn:
        div     ecx
de_done:
        REPORT  '#DE div by zero', 0, 0, de_insn

        EXPECT  ud_done
ud_insn:
        ud2
ud_done:
        REPORT  '#UD ud2', 6, 0, ud_insn

        EXPECT  gp_done
        mov     ax, SEL_BEYOND
gp_sel_insn:
        mov     ds, ax
gp_done:
        REPORT  '#GP selector past gdt limit', 13, SEL_BEYOND, gp_sel_insn
        mov     ax, ds
        CHECKW  ax, SEL_DATA32, '  ds unchanged'

        EXPECT  np_done
        mov     ax, SEL_ABSENT
np_insn:
        mov     es, ax
np_done:
        REPORT  '#NP not-present segment', 11, SEL_ABSENT, np_insn
        mov     ax, SEL_DATA32
        mov     es, ax

        ; (No segment limit or read-only segment faults here: QEMU's TCG,
        ; one of the references the expected output is checked against, does
        ; not enforce data segment limits or rights.)

        mov     eax, cr0
        or      eax, 0x08                   ; CR0.TS
        mov     cr0, eax
        EXPECT  nm_done
nm_insn:
        fninit
nm_done:
        REPORT  '#NM x87 with cr0.ts', 7, 0, nm_insn
        clts
        fninit                              ; no fault now
        mov     eax, cr0
        and     eax, 0x08
        CHECK   eax, 0, 'cr0.ts after clts', 1

        xor     eax, eax
        mov     dr6, eax
        EXPECT  db_done
        pushfd
        or      dword [esp], FL_TF
        popfd
        nop                                 ; traps after this one
db_after:
        nop
db_done:
        REPORT  '#DB single step', 1, 0, db_after
        mov     eax, [EXC_DR6]
        and     eax, 0x4000
        CHECK   eax, 0x4000, '  dr6.bs', 4
        pushfd
        pop     eax
        and     eax, FL_TF
        CHECK   eax, 0, '  tf after return', 3

        CHECKDEC dword [EXC_COUNT], 6, 'exceptions taken'
        FINISH

; Per-vector entry: push the vector (and a zero error code where the CPU
; pushes none) and join the common part.
%macro EXC_ENTRY 2      ; vector, has_error_code
exc_ %+ %1:
  %if %2 == 0
        push    dword 0
  %endif
        push    dword %1
        jmp     exc_common
%endmacro
        EXC_ENTRY 0, 0
        EXC_ENTRY 1, 0
        EXC_ENTRY 6, 0
        EXC_ENTRY 7, 0
        EXC_ENTRY 11, 1
        EXC_ENTRY 13, 1

; [esp] vector, [esp+4] error, [esp+8] EIP, [esp+12] CS, [esp+16] EFLAGS
exc_common:
        push    eax
        push    ds
        mov     ax, SEL_DATA32
        mov     ds, ax
        inc     dword [EXC_COUNT]
        mov     eax, [esp + 8]
        mov     [EXC_VECTOR], eax
        mov     eax, [esp + 12]
        mov     [EXC_ERROR], eax
        mov     eax, [esp + 16]
        mov     [EXC_EIP], eax
        mov     eax, dr6
        mov     [EXC_DR6], eax
        mov     eax, [RESUME]
        mov     [esp + 16], eax
        and     dword [esp + 24], ~FL_TF
        pop     ds
        pop     eax
        add     esp, 8
        INT_RETURN
