; Protected mode: builds a GDT in RAM, enters 32-bit protected mode, uses a
; segment base and 32-bit addressing, then goes back to real mode through a
; 16-bit protected-mode segment. (LSL/LAR and gates are in descriptors.asm:
; KVM's instruction emulator, which nested KVM here runs this code with,
; cannot execute them.)
%include "guest.inc"

SEL_SMALL       equ 0x28        ; data, base 0x9000, limit 0xfff (byte granular)
GDT_ENTRIES     equ 6

SMALL_BASE      equ 0x9000

CODE16
main16:
        PRINT   'protected_mode: GDT in RAM, 32-bit code, segment base, back to real mode', 10
        mov     cx, GDT_ENTRIES
        call    rm_gdt_init
        mov     bx, SEL_SMALL
        mov     eax, SMALL_BASE
        mov     esi, 0x00FFF
        mov     dx, 0x4093              ; 32-bit, byte granular; data rw accessed
        call    rm_gdt_set

        mov     eax, cr0
        and     eax, 1
        CHECK   eax, 0, 'real mode cr0.pe', 1
        mov     byte [SMALL_BASE + 0x20], 0x3C
        ENTER_PM32 pm_main

CODE32
pm_main:
        PRINT   'now in 32-bit protected mode', 10
        mov     eax, cr0
        and     eax, 1
        CHECK   eax, 1, 'cr0.pe', 1
        mov     ax, cs
        CHECKW  ax, SEL_CODE32, 'cs'
        mov     ax, ss
        CHECKW  ax, SEL_DATA32, 'ss'

        sgdt    [SCRATCH]
        CHECKW  word [SCRATCH], GDT_ENTRIES * 8 - 1, 'sgdt limit'
        CHECK   dword [SCRATCH + 2], GDT_BASE, 'sgdt base'

        ; 32-bit addressing: base + index*scale + displacement
        mov     ebx, DATA_BASE
        mov     ecx, 3
        mov     dword [ebx + ecx * 4 + 0x10], 0xCAFEF00D
        mov     eax, [DATA_BASE + 0x1C]
        CHECK   eax, 0xCAFEF00D, 'sib store [ebx+ecx*4+0x10] read back'
        movsx   eax, byte [DATA_BASE + 0x1C]
        CHECK   eax, 0x0000000D, 'movsx byte 0x0d'
        movsx   eax, byte [DATA_BASE + 0x1F]
        CHECK   eax, 0xFFFFFFCA, 'movsx byte 0xca'
        mov     esi, esp
        push    dword 0x11223344
        push    word 0x5566
        sub     esi, esp
        CHECK   esi, 6, 'esp moved by push dword + push word', 2
        pop     ax
        pop     ebx
        CHECK   ebx, 0x11223344, 'popped dword'

        ; a segment with a base: DS=SEL_SMALL sees SMALL_BASE at offset 0
        push    ds
        mov     ax, SEL_SMALL
        mov     ds, ax
        mov     dword [0x10], 0x600DF00D
        movzx   ecx, byte [0x20]
        pop     ds
        CHECK   dword [SMALL_BASE + 0x10], 0x600DF00D, 'write via base 0x9000 at 0x10, flat read'
        CHECKB  cl, 0x3C, 'read via base 0x9000 at 0x20'

        ; 32-bit string ops over more than 64 KiB
        mov     edi, 0x20000
        mov     ecx, 0x5000             ; 80 KiB of dwords
        mov     eax, 0x5A5AA5A5
        rep     stosd
        CHECK   edi, 0x34000, 'rep stosd 80 KiB: edi'
        mov     esi, 0x20000
        mov     edi, 0x40000
        mov     ecx, 0x5000
        rep     movsd
        mov     eax, [0x53FFC]
        CHECK   eax, 0x5A5AA5A5, 'rep movsd 80 KiB: last dword'

        ; memory above 1 MiB, with A20 enabled through port 0x92 (bit 1)
        mov     al, 0x02
        out     0x92, al
        mov     dword [0x108000], 0x1F0F0F0F
        mov     dword [0x008000], 0x00C0FFEE
        mov     eax, [0x108000]
        CHECK   eax, 0x1F0F0F0F, 'a20 on: 0x00108000 distinct from 0x00008000'
        mov     dword [0x7F00000], 0x07F00000
        mov     eax, [0x7F00000]
        CHECK   eax, 0x07F00000, 'ram at 127 MiB'

        ; far call and return within the 32-bit code segment
        xor     eax, eax
        call    SEL_CODE32:far_fn
pm_after_far:
        CHECK   eax, SEL_CODE32, 'far call: pushed cs', 4
        sub     ebx, pm_after_far
        CHECK   ebx, 0, '  pushed eip - pm_after_far'

        ; back to real mode: 16-bit code segment first, then PE off
        jmp     SEL_CODE16:pm16_exit

CODE16
pm16_exit:
        mov     ax, SEL_DATA16
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     eax, cr0
        and     eax, ~1
        mov     cr0, eax
        jmp     0xF000:real_again
real_again:
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, STACK_TOP
        PRINT   'back in real mode', 10
        mov     eax, cr0
        and     eax, 1
        CHECK   eax, 0, 'cr0.pe', 1
        mov     ax, cs
        CHECKW  ax, 0xF000, 'cs'
        mov     ax, SMALL_BASE >> 4
        mov     fs, ax
        mov     eax, [fs:0x10]
        CHECK   eax, 0x600DF00D, 'real-mode read at 0900:0010'
        FINISH

CODE32
far_fn:
        mov     eax, [esp + 4]
        mov     ebx, [esp]
        retf
