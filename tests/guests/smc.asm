; Self-modifying code: an instruction rewritten by the instruction just
; before it in the same basic block, a routine patched between two calls
; (another block), and a loop that patches an immediate it executes next on
; every iteration. Real mode, code copied to RAM at 0:9000.
%include "guest.inc"

RAM_CODE        equ 0x9000

CODE16
main16:
        PRINT   'smc: self-modifying code in RAM', 10

        ; --- 1. the store rewrites the next instruction of its own block
        mov     si, t1_start
        mov     di, RAM_CODE
        mov     cx, t1_end - t1_start
        call    copy_to_ram
        call    0:RAM_CODE
        CHECKB  al, 0x42, 'same block: patched immediate executed'

        ; --- 2. a routine patched between two calls
        mov     si, t2_start
        mov     di, RAM_CODE + 0x100
        mov     cx, t2_end - t2_start
        call    copy_to_ram
        call    0:RAM_CODE + 0x100
        CHECKB  al, 0x11, 'routine before the patch'
        xor     ax, ax
        mov     es, ax
        mov     byte [es:RAM_CODE + 0x100 + (t2_insn - t2_start) + 1], 0x33
        call    0:RAM_CODE + 0x100
        CHECKB  al, 0x33, 'routine after the patch'
        ; and once more, the opcode itself: mov al, imm8 -> mov ah, imm8
        mov     byte [es:RAM_CODE + 0x100 + (t2_insn - t2_start)], 0xB4
        mov     ax, 0x0505
        call    0:RAM_CODE + 0x100
        CHECKW  ax, 0x3305, 'opcode rewritten between calls'

        ; --- 3. a loop patching an immediate just before executing it
        mov     si, t3_start
        mov     di, RAM_CODE + 0x200
        mov     cx, t3_end - t3_start
        call    copy_to_ram
        call    0:RAM_CODE + 0x200
        CHECKW  bx, 15, 'loop sum of patched immediates 5+4+3+2+1'

        ; --- 4. code written by a string instruction, then run
        mov     si, t2_start
        mov     di, RAM_CODE + 0x300
        mov     cx, t2_end - t2_start
        call    copy_to_ram
        xor     ax, ax
        mov     es, ax
        mov     byte [es:RAM_CODE + 0x300 + (t2_insn - t2_start) + 1], 0x77
        call    0:RAM_CODE + 0x300
        CHECKB  al, 0x77, 'freshly copied routine'
        FINISH

; copy CX bytes from F000:SI to 0000:DI
copy_to_ram:
        push    ds
        push    es
        mov     ax, 0xF000
        mov     ds, ax
        xor     ax, ax
        mov     es, ax
        cld
        rep     movsb
        pop     es
        pop     ds
        ret

; Templates, copied to RAM before they run (CS = 0 there).
t1_start:
        mov     byte [cs:RAM_CODE + (t1_insn - t1_start) + 1], 0x42
t1_insn:
        mov     al, 0x11
        retf
t1_end:

t2_start:
t2_insn:
        mov     al, 0x11
        retf
t2_end:

t3_start:
        mov     cx, 5
        xor     bx, bx
t3_loop: mov    byte [cs:RAM_CODE + 0x200 + (t3_add - t3_start) + 2], cl
t3_add: add     bx, strict byte 0
        loop    t3_loop
        retf
t3_end:
