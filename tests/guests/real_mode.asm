; Real mode: integer arithmetic and its flags, segment:offset addressing,
; string instructions, far calls, a THRE-polled UART write and software
; interrupts and exceptions through an IVT the guest installs at 0:0.
%include "guest.inc"

IVT_SAVE        equ DATA_BASE           ; handler records: IP, CS, FLAGS, extra
DE_SEEN_IP      equ DATA_BASE + 0x10
BP_SEEN_IP      equ DATA_BASE + 0x12
OF_SEEN_IP      equ DATA_BASE + 0x14
SEG_LINEAR      equ 0x8234              ; reached as 0800:0234, 0823:0004, 0000:8234
FARPTR          equ 0x8300
STR_COPY        equ 0x8500
STR_BACK        equ 0x8600
STR_FILL        equ 0x8700

CODE16
main16:
        PRINT   'real_mode: 16-bit real mode', 10
        mov     ax, cs
        CHECKW  ax, 0xF000, 'cs after reset'

; ---------------------------------------------------------------- arithmetic
        mov     ax, 0x7FFF
        add     ax, 1
        pushf
        CHECKW  ax, 0x8000, 'add 0x7fff+1'
        pop     bx
        and     bx, FL_ARITH
        CHECKW  bx, FL_OF|FL_SF|FL_AF|FL_PF, '  flags'

        xor     ax, ax
        sub     ax, 1
        pushf
        CHECKW  ax, 0xFFFF, 'sub 0-1'
        pop     bx
        and     bx, FL_ARITH
        CHECKW  bx, FL_SF|FL_AF|FL_PF|FL_CF, '  flags'

        mov     eax, 0xFFFFFFFF         ; 64-bit add from two 32-bit halves
        xor     ebx, ebx
        add     eax, 1
        pushf
        adc     ebx, 0
        CHECK   eax, 0, 'add32 0xffffffff+1 low'
        CHECK   ebx, 1, '  adc high'
        pop     cx
        and     cx, FL_ARITH
        CHECKW  cx, FL_ZF|FL_AF|FL_PF|FL_CF, '  flags after add'

        mov     ax, 5
        stc
        sbb     ax, 3
        pushf
        CHECKW  ax, 1, 'sbb 5-3-cf'
        pop     bx
        and     bx, FL_ARITH
        CHECKW  bx, 0, '  flags'

        mov     ax, 0x1234
        mov     bx, 0x5678
        mul     bx
        pushf
        CHECKW  dx, 0x0626, 'mul 0x1234*0x5678 dx'
        CHECKW  ax, 0x0060, '  ax'
        pop     bx
        and     bx, FL_CF|FL_OF
        CHECKW  bx, FL_CF|FL_OF, '  cf/of'

        mov     ax, -3
        mov     bx, 7
        imul    bx
        pushf
        CHECKW  dx, 0xFFFF, 'imul -3*7 dx'
        CHECKW  ax, 0xFFEB, '  ax'
        pop     bx
        and     bx, FL_CF|FL_OF
        CHECKW  bx, 0, '  cf/of'

        mov     bx, 100
        imul    cx, bx, 1000
        pushf
        CHECKW  cx, 0x86A0, 'imul 100*1000 truncated'
        pop     bx
        and     bx, FL_CF|FL_OF
        CHECKW  bx, FL_CF|FL_OF, '  cf/of'

        mov     dx, 0x0012
        mov     ax, 0x3456
        mov     bx, 0x0100
        div     bx
        CHECKW  ax, 0x1234, 'div 0x123456/0x100 quotient'
        CHECKW  dx, 0x0056, '  remainder'

        mov     ax, -100
        cwd
        mov     bx, 7
        idiv    bx
        CHECKW  ax, 0xFFF2, 'idiv -100/7 quotient'
        CHECKW  dx, 0xFFFE, '  remainder'

        mov     edx, 1
        xor     eax, eax
        mov     ecx, 3
        div     ecx
        CHECK   eax, 0x55555555, 'div32 0x100000000/3 quotient'
        CHECK   edx, 1, '  remainder'

; ---------------------------------------------------------------- shifts, bcd
        mov     ax, 0x8001
        shl     ax, 1
        pushf
        CHECKW  ax, 0x0002, 'shl 0x8001,1'
        pop     bx
        and     bx, FL_CF|FL_OF|FL_ZF|FL_SF|FL_PF
        CHECKW  bx, FL_CF|FL_OF, '  flags'

        mov     al, 0x01
        stc
        rcr     al, 1
        pushf
        CHECKB  al, 0x80, 'rcr 0x01,1 with cf'
        pop     bx
        and     bx, FL_CF|FL_OF
        CHECKW  bx, FL_CF|FL_OF, '  cf/of'

        mov     ax, 0x1234
        rol     ax, 4
        CHECKW  ax, 0x2341, 'rol 0x1234,4'
        mov     ax, 0x8000
        sar     ax, 15
        CHECKW  ax, 0xFFFF, 'sar 0x8000,15'
        mov     ax, 0x1234
        mov     dx, 0xABCD
        shrd    ax, dx, 4
        CHECKW  ax, 0xD123, 'shrd 0x1234,0xabcd,4'

        mov     al, 0x47
        sub     al, 0x28
        das
        pushf
        CHECKB  al, 0x19, 'das 0x47-0x28'
        pop     bx
        and     bx, FL_CF|FL_AF
        CHECKW  bx, FL_AF, '  cf/af'
        mov     ax, 73
        aam
        CHECKW  ax, 0x0703, 'aam 73'

        mov     ax, 0xFFFF
        stc
        inc     ax                      ; inc leaves CF alone
        pushf
        pop     bx
        and     bx, FL_CF|FL_ZF
        CHECKW  bx, FL_CF|FL_ZF, 'inc 0xffff with cf: cf/zf'

        mov     ax, 0x8000              ; signed vs unsigned conditions
        cmp     ax, 1
        setl    bl
        setb    cl
        setg    dl
        seta    dh
        sete    ch
        shl     cl, 1
        shl     dl, 2
        shl     dh, 3
        shl     ch, 4
        or      bl, cl
        or      bl, dl
        or      bl, dh
        or      bl, ch
        CHECKB  bl, 0x09, 'cmp 0x8000,1 l|b<<1|g<<2|a<<3|e<<4'

        mov     eax, 0x00F00000
        bsf     ecx, eax
        bsr     edx, eax
        CHECK   ecx, 20, 'bsf 0x00f00000', 2
        CHECK   edx, 23, 'bsr 0x00f00000', 2
        mov     eax, 0x12345678
        bswap   eax
        CHECK   eax, 0x78563412, 'bswap 0x12345678'

        xor     ax, ax
        mov     cx, 10
.sum:   add     ax, cx
        loop    .sum
        movzx   eax, ax
        CHECKDEC eax, 55, 'loop sum 1..10'

; ---------------------------------------------------------------- segments
        mov     ax, SEG_LINEAR >> 4 & 0xFF00     ; 0x0800
        mov     es, ax
        mov     word [es:SEG_LINEAR & 0x0FFF], 0xBEEF
        mov     ax, (SEG_LINEAR - 4) >> 4        ; 0x0823
        mov     fs, ax
        mov     bx, [fs:0x0004]
        CHECKW  bx, 0xBEEF, 'word via 0800:0234 read at 0823:0004'
        mov     bx, [SEG_LINEAR]
        CHECKW  bx, 0xBEEF, '  read at 0000:8234'

        mov     ax, 0x0800
        mov     es, ax
        mov     byte [es:0x0001], 0x77
        mov     bx, 0xFFFF
        mov     al, [es:bx + 2]                  ; offset wraps to 0x0001
        CHECKB  al, 0x77, '16-bit offset wrap 0800:(ffff+2)'

        mov     word [FARPTR], 0x0010
        mov     word [FARPTR + 2], 0x0830
        mov     byte [0x8310], 0x5A
        les     di, [FARPTR]
        mov     ax, es
        CHECKW  ax, 0x0830, 'les segment'
        CHECKW  di, 0x0010, '  offset'
        mov     al, [es:di]
        CHECKB  al, 0x5A, '  byte at 0830:0010'

        push    word 0x1234                      ; segment registers via stack
        pop     gs
        mov     ax, gs
        CHECKW  ax, 0x1234, 'pop gs'
        push    cs
        pop     ax
        CHECKW  ax, 0xF000, 'push cs'

; ---------------------------------------------------------------- strings
        push    ds
        push    cs
        pop     ds
        mov     si, copy_src
        mov     ax, STR_COPY >> 4
        mov     es, ax
        xor     di, di
        mov     cx, 16
        rep     movsb
        pop     ds
        CHECKW  di, 16, 'rep movsb rom->0850:0000 di'
        CHECKW  cx, 0, '  cx'
        mov     si, STR_COPY
        xor     di, di
        mov     cx, 16
        repe    cmpsb                            ; same bytes via two segments
        pushf
        CHECKW  cx, 0, 'repe cmpsb 0000:8500 vs 0850:0000 cx'
        pop     bx
        and     bx, FL_ZF
        CHECKW  bx, FL_ZF, '  zf'
        xor     ax, ax
        mov     es, ax
        std
        mov     si, STR_COPY + 14
        mov     di, STR_BACK + 14
        mov     cx, 8
        rep     movsw
        cld
        CHECKW  si, STR_COPY - 2, 'std rep movsw si'
        mov     eax, [STR_BACK]
        CHECK   eax, 'stri', '  first dword copied'
        mov     eax, [STR_BACK + 12]
        CHECK   eax, 'op!', '  last dword copied'
        mov     di, STR_FILL
        mov     ax, 0xA55A
        mov     cx, 4
        rep     stosw
        mov     di, STR_FILL
        mov     al, 0xA5
        mov     cx, 8
        repne   scasb
        CHECKW  di, STR_FILL + 2, 'repne scasb for 0xa5 di'
        CHECKW  cx, 6, '  cx'

; ---------------------------------------------------------------- far call
        mov     ax, 0
        call    0xF000:far_fn
after_far:
        CHECKW  ax, 0xF000, 'far call: pushed cs'
        sub     bx, after_far
        CHECKW  bx, 0, '  pushed ip - after_far'

; ---------------------------------------------------------------- uart
        mov     si, direct_msg
.ch:    cs lodsb
        test    al, al
        jz      .sent
        mov     ah, al
        mov     dx, COM1 + UART_LSR
.thre:  in      al, dx
        test    al, LSR_THRE
        jz      .thre
        mov     al, ah
        mov     dx, COM1 + UART_THR
        out     dx, al
        jmp     .ch
.sent:

; ---------------------------------------------------------------- IVT
        mov     word [0x60 * 4], int60_handler
        mov     word [0x60 * 4 + 2], cs
        mov     word [0 * 4], de_handler
        mov     word [0 * 4 + 2], cs
        mov     word [3 * 4], bp_handler
        mov     word [3 * 4 + 2], cs
        mov     word [4 * 4], of_handler
        mov     word [4 * 4 + 2], cs

        mov     bx, 0
        std
        stc
        int     0x60
after_int60:
        pushf
        cld
        CHECKW  bx, 0x600D, 'int 0x60: handler result'
        mov     ax, [IVT_SAVE]
        sub     ax, after_int60
        CHECKW  ax, 0, '  pushed ip - after_int60'
        CHECKW  word [IVT_SAVE + 2], 0xF000, '  pushed cs'
        mov     ax, [IVT_SAVE + 4]
        and     ax, FL_CF|FL_DF|FL_TF|FL_IF
        CHECKW  ax, FL_CF|FL_DF, '  pushed flags cf/df/tf/if'
        mov     ax, [IVT_SAVE + 6]
        and     ax, FL_DF|FL_TF|FL_IF
        CHECKW  ax, FL_DF, '  flags inside handler df/tf/if'
        pop     ax
        and     ax, FL_CF|FL_DF
        CHECKW  ax, FL_CF|FL_DF, '  flags after iret cf/df'

        mov     word [DE_SEEN_IP], 0
        mov     ax, 1234
        mov     bl, 0
de_insn:
        div     bl                      ; #DE: the handler steps over it
        mov     dx, [DE_SEEN_IP]
        sub     dx, de_insn
        CHECKW  dx, 0, 'divide by zero: #DE ip - de_insn'
        CHECKW  ax, 0xDE00, '  handler set ax'

        mov     word [BP_SEEN_IP], 0
        int3
after_int3:
        mov     ax, [BP_SEEN_IP]
        sub     ax, after_int3
        CHECKW  ax, 0, 'int3: pushed ip - after_int3'

        mov     al, 0x7F
        add     al, 1                   ; OF=1
        into
after_into:
        mov     ax, [OF_SEEN_IP]
        sub     ax, after_into
        CHECKW  ax, 0, 'into with of: pushed ip - after_into'

        FINISH

copy_src:
        db      'string ops nop!', 0     ; 16 bytes with the terminator
direct_msg:
        db      'direct UART write with LSR.THRE polling', 13, 10, 0

far_fn:
        mov     bp, sp
        mov     ax, [bp + 2]
        mov     bx, [bp]
        retf

int60_handler:
        push    bp
        mov     bp, sp
        push    ax
        mov     ax, [bp + 2]
        mov     [IVT_SAVE], ax
        mov     ax, [bp + 4]
        mov     [IVT_SAVE + 2], ax
        mov     ax, [bp + 6]
        mov     [IVT_SAVE + 4], ax
        pushf
        pop     ax
        mov     [IVT_SAVE + 6], ax
        mov     bx, 0x600D
        pop     ax
        pop     bp
        iret

de_handler:
        push    bp
        mov     bp, sp
        push    ax
        mov     ax, [bp + 2]
        mov     [DE_SEEN_IP], ax
        add     word [bp + 2], 2        ; length of `div bl`
        pop     ax
        pop     bp
        mov     ax, 0xDE00
        iret

bp_handler:
        push    bp
        mov     bp, sp
        push    ax
        mov     ax, [bp + 2]
        mov     [BP_SEEN_IP], ax
        pop     ax
        pop     bp
        iret

of_handler:
        push    bp
        mov     bp, sp
        push    ax
        mov     ax, [bp + 2]
        mov     [OF_SEEN_IP], ax
        pop     ax
        pop     bp
        iret
