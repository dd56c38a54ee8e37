; Descriptor-driven instructions in protected mode: LSL/LAR/VERR/VERW on
; every kind of GDT entry, and INT n / INT3 / INTO / IRETD through interrupt
; and trap gates, including a not-present gate. (Nested KVM on the
; development host runs this mode through KVM's instruction emulator, which
; cannot execute these; there the run is reported as a skip.)
%include "guest.inc"

SEL_SMALL       equ 0x28        ; data, base 0x9000, limit 0xfff (byte granular)
SEL_PAGES       equ 0x30        ; data, base 0, limit 0xf pages -> 0xffff
SEL_DPL3        equ 0x38        ; data, DPL 3, 4 GiB
SEL_ABSENT      equ 0x40        ; data, not present
SEL_TSS         equ 0x48        ; 32-bit available TSS, limit 0x67
SEL_GATE        equ 0x50        ; an interrupt gate: not valid for LAR/LSL
SEL_XONLY       equ 0x58        ; code, execute-only
SEL_RDONLY      equ 0x60        ; data, read-only
GDT_ENTRIES     equ 13
SEL_BEYOND      equ GDT_ENTRIES * 8     ; past the GDT limit

SMALL_BASE      equ 0x9000
TSS_BASE        equ 0x9800

VEC_INTGATE     equ 0x40
VEC_TRAPGATE    equ 0x41
VEC_ABSENT      equ 0x43

SEEN_VECTOR     equ DATA_BASE           ; recorded by the gate handlers
SEEN_EIP        equ DATA_BASE + 4
SEEN_CS         equ DATA_BASE + 8
SEEN_EFLAGS     equ DATA_BASE + 12      ; the pushed image
SEEN_IF         equ DATA_BASE + 16      ; EFLAGS.IF inside the handler
NP_ERROR        equ DATA_BASE + 20
NP_EIP          equ DATA_BASE + 24

CODE16
main16:
        PRINT   'descriptors: LSL/LAR/VERR/VERW and INT/IRETD through IDT gates', 10
        mov     cx, GDT_ENTRIES
        call    rm_gdt_init
        mov     bx, SEL_SMALL
        mov     eax, SMALL_BASE
        mov     esi, 0x00FFF
        mov     dx, 0x4093              ; 32-bit, byte granular; data rw accessed
        call    rm_gdt_set
        mov     bx, SEL_PAGES
        xor     eax, eax
        mov     esi, 0x0000F
        mov     dx, 0xC093              ; 4 KiB granular
        call    rm_gdt_set
        mov     bx, SEL_DPL3
        mov     esi, 0xFFFFF
        mov     dx, 0xC0F3
        call    rm_gdt_set
        mov     bx, SEL_ABSENT
        mov     dx, 0xC013              ; P=0
        call    rm_gdt_set
        mov     bx, SEL_XONLY
        mov     dx, 0xC099              ; code, execute-only, accessed
        call    rm_gdt_set
        mov     bx, SEL_RDONLY
        mov     dx, 0xC091              ; data, read-only, accessed
        call    rm_gdt_set
        mov     bx, SEL_TSS
        mov     eax, TSS_BASE
        mov     esi, 0x67
        mov     dx, 0x0089
        call    rm_gdt_set
        mov     bx, SEL_GATE
        xor     eax, eax
        xor     esi, esi
        mov     dx, 0x008E
        call    rm_gdt_set
        ENTER_PM32 pm_main

CODE32
pm_main:
        ; LSL: limits in bytes; LAR: access rights masked to the defined bits
%macro LSL_LAR 4        ; selector, expected limit, expected rights, label
        mov     ebx, 0xDEAD0000
        lsl     ebx, [%%sel]
        setz    cl
        CHECKB  cl, 1, {%4, ' lsl zf'}
        CHECK   ebx, %2, {%4, ' lsl'}
        mov     ebx, 0xDEAD0000
        lar     ebx, [%%sel]
        setz    cl
        and     ebx, 0x00F0FF00
        CHECKB  cl, 1, {%4, ' lar zf'}
        CHECK   ebx, %3, {%4, ' lar'}
        jmp     %%next
%%sel:  dw      %1
%%next:
%endmacro
        LSL_LAR SEL_CODE32, 0xFFFFFFFF, 0x00C09B00, 'code32'
        LSL_LAR SEL_DATA32, 0xFFFFFFFF, 0x00C09300, 'data32'
        LSL_LAR SEL_CODE16, 0x0000FFFF, 0x00009B00, 'code16'
        LSL_LAR SEL_SMALL, 0x00000FFF, 0x00409300, 'small'
        LSL_LAR SEL_PAGES, 0x0000FFFF, 0x00C09300, 'pages'
        LSL_LAR SEL_DPL3, 0xFFFFFFFF, 0x00C0F300, 'dpl3'
        LSL_LAR SEL_ABSENT, 0xFFFFFFFF, 0x00C01300, 'absent'
        LSL_LAR SEL_TSS, 0x00000067, 0x00008900, 'tss'

        ; selectors LAR/LSL must refuse: ZF clear, destination unchanged
        mov     ebx, 0x12345678
        mov     ax, SEL_GATE
        lar     ebx, ax
        setz    cl
        CHECKB  cl, 0, 'gate lar zf'
        CHECK   ebx, 0x12345678, 'gate lar leaves dest'
        mov     ax, SEL_GATE
        lsl     ebx, ax
        setz    cl
        CHECKB  cl, 0, 'gate lsl zf'
        mov     ax, SEL_BEYOND
        lsl     ebx, ax
        setz    cl
        CHECKB  cl, 0, 'beyond gdt limit lsl zf'
        xor     ax, ax
        lar     ebx, ax
        setz    cl
        CHECKB  cl, 0, 'null selector lar zf'

        ; VERR / VERW: ZF=1 when readable / writable from CPL 0
%macro VERIFY 3         ; selector, expected verr|verw<<1, label
        mov     ax, %1
        verr    ax
        setz    bl
        verw    ax
        setz    bh
        shl     bh, 1
        or      bl, bh
        CHECKB  bl, %2, {%3, ' verr|verw<<1'}
%endmacro
        VERIFY  SEL_DATA32, 3, 'data32'
        VERIFY  SEL_CODE32, 1, 'code32'
        VERIFY  SEL_XONLY, 0, 'execute-only code'
        VERIFY  SEL_RDONLY, 1, 'read-only data'
        VERIFY  SEL_DPL3, 3, 'dpl3 data'
        VERIFY  SEL_ABSENT, 3, 'not-present data'

        ; gates
        call    pm_pic_init             ; everything masked: STI is safe
        call    pm_idt_init
        mov     eax, VEC_INTGATE
        mov     edx, gate_handler_40
        call    pm_idt_set
        mov     eax, VEC_TRAPGATE
        mov     edx, gate_handler_41
        call    pm_idt_set
        mov     byte [IDT_BASE + VEC_TRAPGATE * 8 + 5], 0x8F   ; trap gate
        mov     eax, 3
        mov     edx, gate_handler_03
        call    pm_idt_set
        mov     eax, 4
        mov     edx, gate_handler_04
        call    pm_idt_set
        mov     eax, VEC_ABSENT
        mov     edx, gate_handler_40
        call    pm_idt_set
        mov     byte [IDT_BASE + VEC_ABSENT * 8 + 5], 0x0E     ; P=0
        mov     eax, 11
        mov     edx, np_handler
        call    pm_idt_set

        sti
        clc
        int     VEC_INTGATE
after_int40:
        pushfd
        pop     ebx
        cli
        CHECK   dword [SEEN_VECTOR], VEC_INTGATE, 'int 0x40 (interrupt gate): vector', 2
        mov     eax, [SEEN_EIP]
        sub     eax, after_int40
        CHECK   eax, 0, '  pushed eip - after_int40'
        CHECK   dword [SEEN_CS], SEL_CODE32, '  pushed cs', 4
        mov     eax, [SEEN_EFLAGS]
        and     eax, FL_IF | FL_CF
        CHECK   eax, FL_IF, '  pushed eflags if/cf', 3
        CHECK   dword [SEEN_IF], 0, '  if inside the handler', 3
        and     ebx, FL_IF | FL_CF
        CHECK   ebx, FL_IF | FL_CF, '  if/cf after iretd (handler set cf)', 3

        sti
        int     VEC_TRAPGATE
        cli
        CHECK   dword [SEEN_VECTOR], VEC_TRAPGATE, 'int 0x41 (trap gate): vector', 2
        CHECK   dword [SEEN_IF], FL_IF, '  if inside the handler', 3

        int3
after_int3:
        CHECK   dword [SEEN_VECTOR], 3, 'int3: vector', 2
        mov     eax, [SEEN_EIP]
        sub     eax, after_int3
        CHECK   eax, 0, '  pushed eip - after_int3'

        mov     al, 0x7F
        add     al, 1                   ; OF=1
        into
after_into:
        CHECK   dword [SEEN_VECTOR], 4, 'into with of: vector', 2
        mov     eax, [SEEN_EIP]
        sub     eax, after_into
        CHECK   eax, 0, '  pushed eip - after_into'

        mov     dword [NP_ERROR], 0xFFFFFFFF
np_insn:
        int     VEC_ABSENT
        CHECK   dword [NP_ERROR], VEC_ABSENT * 8 + 2, 'int 0x43 (gate not present): #NP error code', 4
        mov     eax, [NP_EIP]
        sub     eax, np_insn
        CHECK   eax, 0, '  eip - np_insn'
        FINISH

%macro GATE_HANDLER 1
gate_handler_ %+ %1:
        push    eax
        mov     dword [SEEN_VECTOR], 0x%1
        pushfd
        pop     eax
        and     eax, FL_IF
        mov     [SEEN_IF], eax
        mov     eax, [esp + 4]
        mov     [SEEN_EIP], eax
        mov     eax, [esp + 8]
        mov     [SEEN_CS], eax
        mov     eax, [esp + 12]
        mov     [SEEN_EFLAGS], eax
        or      dword [esp + 12], FL_CF ; visible after iretd
        pop     eax
        iretd
%endmacro
        GATE_HANDLER 40
        GATE_HANDLER 41
        GATE_HANDLER 03
        GATE_HANDLER 04

; #NP: record, and step over the 2-byte INT n that faulted.
np_handler:
        push    eax
        mov     eax, [esp + 4]
        mov     [NP_ERROR], eax
        mov     eax, [esp + 8]
        mov     [NP_EIP], eax
        add     dword [esp + 8], 2
        pop     eax
        add     esp, 4
        iretd
