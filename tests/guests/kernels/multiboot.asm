; A multiboot v1 kernel (flat image, a.out kludge) that reports what the boot
; loader handed it: magic, MBI flags, memory sizes, command line, module.
bits 32
org 0x100000

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ 0x00010003          ; modules page aligned, memory info, a.out kludge
COM1       equ 0x3F8

mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header                   ; header_addr
    dd 0x100000                    ; load_addr
    dd load_end                    ; load_end_addr
    dd bss_end                     ; bss_end_addr
    dd start                       ; entry_addr

start:
    mov esp, stack_top
    mov esi, eax                   ; keep the magic
    mov edi, ebx                   ; and the MBI
    call uart_init
    mov eax, esi
    cmp eax, 0x2BADB002
    jne .bad_magic
    mov ebx, msg_magic_ok
    call puts
    jmp .flags
.bad_magic:
    mov ebx, msg_magic_bad
    call puts
    mov eax, esi
    call puthex
    jmp fail

.flags:
    ; the bits a loader must set for what this header asked for
    mov ebx, msg_flags
    call puts
    mov eax, [edi]
    and eax, 0x4d                  ; mem, cmdline, mods, mmap
    call puthex
    call newline

    mov ebx, msg_mem_lower
    call puts
    mov eax, [edi + 4]
    call putdec
    call newline

    mov ebx, msg_cmdline
    call puts
    mov ebx, [edi + 16]
.skip_path:                        ; the command line starts with the kernel's path
    mov al, [ebx]
    test al, al
    jz .cmd_done
    inc ebx
    cmp al, ' '
    jne .skip_path
    call puts
.cmd_done:
    call newline

    mov ebx, msg_mods
    call puts
    mov eax, [edi + 20]
    call putdec
    call newline
    cmp dword [edi + 20], 1
    jne fail
    mov edx, [edi + 24]            ; module list
    mov eax, [edx]                 ; mod_start
    test eax, 0xfff
    jnz .not_aligned
    mov ebx, msg_mod_aligned
    call puts
.not_aligned:
    mov ebx, msg_mod_text
    call puts
    mov ebx, [edx]
    mov ecx, [edx + 4]
    sub ecx, ebx                   ; module length
.mod_loop:
    test ecx, ecx
    jz .mod_done
    mov al, [ebx]
    call putc
    inc ebx
    dec ecx
    jmp .mod_loop
.mod_done:

    ; bss must arrive zeroed
    mov ecx, bss_checked_end - bss_start   ; the stack above it is in use
    mov ebx, bss_start
.bss_loop:
    cmp byte [ebx], 0
    jne fail
    inc ebx
    loop .bss_loop
    mov ebx, msg_bss_ok
    call puts

    mov ebx, msg_done
    call puts
    mov al, 0x10                   ; success: exit status 33
    out 0xf4, al
    hlt

fail:
    mov ebx, msg_fail
    call puts
    mov al, 0x11
    out 0xf4, al
    hlt

uart_init:
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, 1                      ; 115200 baud
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03                   ; 8N1
    out dx, al
    ret

putc:                              ; al
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

puts:                              ; ebx = NUL-terminated string
    push eax
    push ebx
.next:
    mov al, [ebx]
    test al, al
    jz .end
    call putc
    inc ebx
    jmp .next
.end:
    pop ebx
    pop eax
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

puthex:                            ; eax as 8 hex digits
    push ecx
    push eax
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    call putc
    pop eax
    loop .digit
    pop eax
    pop ecx
    ret

putdec:                            ; eax unsigned
    push eax
    push ebx
    push ecx
    push edx
    mov ebx, 10
    xor ecx, ecx
.div:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .div
.emit:
    pop eax
    add al, '0'
    call putc
    loop .emit
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

msg_magic_ok    db "multiboot magic ok", 10, 0
msg_magic_bad   db "bad magic ", 0
msg_flags       db "mbi flags (mem,cmdline,mods,mmap): ", 0
msg_mem_lower   db "mem_lower KiB: ", 0
msg_cmdline     db "cmdline: ", 0
msg_mods        db "modules: ", 0
msg_mod_aligned db "module page aligned", 10, 0
msg_mod_text    db "module says: ", 0
msg_bss_ok      db "bss zeroed", 10, 0
msg_done        db "multiboot test done", 10, 0
msg_fail        db "FAIL", 10, 0

align 4
load_end:

; Not in the file: the loader zeroes it from load_end to bss_end.
absolute load_end
bss_start:
    resb 256                       ; checked to be zero
bss_checked_end:
    resb 4096
stack_top:
bss_end:
