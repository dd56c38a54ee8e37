; 32-bit paging: a page directory and page tables with an identity map of the
; low 4 MiB, two virtual pages aliasing one physical page, a 4 MiB PSE page,
; accessed/dirty bits, CR0.WP, INVLPG, and a #PF handler that prints CR2 and
; the error code, maps the page and lets the access resume.
%include "guest.inc"

PD              equ 0x10000
PT_LOW          equ 0x11000             ; virtual 0..4M, identity
PT_ALIAS        equ 0x12000             ; virtual 4M..8M, the pages below
PHYS_SHARED     equ 0x20000             ; behind both ALIAS_A and ALIAS_B
PHYS_FAULTED    equ 0x21000             ; mapped by the #PF handler
PHYS_RO         equ 0x22000             ; read-only page, WP test
PHYS_RO_NOWP    equ 0x23000             ; read-only page written with WP=0
PHYS_REMAP      equ 0x24000
PHYS_WRITEFAULT equ 0x25000

VIRT_BASE       equ 0x00400000
ALIAS_A         equ VIRT_BASE + 0x0000
ALIAS_B         equ VIRT_BASE + 0x1000
NOT_PRESENT     equ VIRT_BASE + 0x2000  ; -> PHYS_FAULTED once the fault is handled
READ_ONLY       equ VIRT_BASE + 0x3000
READ_ONLY_NOWP  equ VIRT_BASE + 0x4000
WRITE_FAULT     equ VIRT_BASE + 0x5000  ; not present, first touched by a write
PSE_BASE        equ 0x00800000          ; 4 MiB page -> physical 0

PTE_P           equ 0x001
PTE_RW          equ 0x002
PTE_A           equ 0x020
PTE_D           equ 0x040
PDE_PS          equ 0x080

PF_COUNT        equ DATA_BASE
PF_CR2          equ DATA_BASE + 4
PF_ERR          equ DATA_BASE + 8
PF_FIX          equ DATA_BASE + 12      ; physical page the handler maps in
HAVE_PSE        equ DATA_BASE + 16

%define PTE_OF(v) (PT_ALIAS + (((v) >> 12) & 0x3FF) * 4)

CODE16
main16:
        PRINT   'paging: 32-bit page tables, aliases, PSE, #PF handling', 10
        mov     cx, GDT_STD_ENTRIES
        call    rm_gdt_init
        ENTER_PM32 pm_main

CODE32
pm_main:
        call    pm_idt_init
        mov     eax, 13
        mov     edx, gp_handler
        call    pm_idt_set
        mov     eax, 14
        mov     edx, pf_handler
        call    pm_idt_set

        ; tables
        mov     edi, PD
        xor     eax, eax
        mov     ecx, 3 * 1024
        rep     stosd
        mov     edi, PT_LOW
        mov     eax, PTE_P | PTE_RW
.ident: stosd
        add     eax, 0x1000
        cmp     edi, PT_LOW + 4096
        jb      .ident
        mov     dword [PD + 0], PT_LOW | PTE_P | PTE_RW
        mov     dword [PD + 4], PT_ALIAS | PTE_P | PTE_RW
        mov     dword [PTE_OF(ALIAS_A)], PHYS_SHARED | PTE_P | PTE_RW
        mov     dword [PTE_OF(ALIAS_B)], PHYS_SHARED | PTE_P | PTE_RW
        mov     dword [PTE_OF(READ_ONLY)], PHYS_RO | PTE_P
        mov     dword [PTE_OF(READ_ONLY_NOWP)], PHYS_RO_NOWP | PTE_P
        mov     dword [PHYS_FAULTED + 0x20], 0x5EC0DE01
        mov     dword [PHYS_SHARED + 0x10], 0
        mov     dword [PF_COUNT], 0

        mov     eax, 1
        cpuid
        shr     edx, 3
        and     edx, 1
        mov     [HAVE_PSE], edx
        CHECK   edx, 1, 'cpuid.1 edx pse', 1
        test    edx, edx
        jz      .no_pse
        mov     dword [PD + (PSE_BASE >> 22) * 4], 0 | PDE_PS | PTE_P | PTE_RW
        mov     eax, cr4
        or      eax, 0x10               ; CR4.PSE
        mov     cr4, eax
.no_pse:
        mov     eax, PD
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
enable_paging:
        mov     cr0, eax                ; the gp_handler knows this address
        jmp     .paged
.paged:
        mov     eax, cr0
        shr     eax, 31
        CHECK   eax, 1, 'cr0.pg', 1
        mov     eax, cr3
        CHECK   eax, PD, 'cr3'

        ; two virtual pages, one physical page
        mov     dword [ALIAS_A + 0x10], 0xA11A5ED1
        mov     eax, [ALIAS_B + 0x10]
        CHECK   eax, 0xA11A5ED1, 'write 0x00400010, read 0x00401010'
        mov     eax, [PHYS_SHARED + 0x10]
        CHECK   eax, 0xA11A5ED1, '  read identity 0x00020010'
        mov     eax, [PTE_OF(ALIAS_A)]
        and     eax, PTE_A | PTE_D
        CHECK   eax, PTE_A | PTE_D, '  pte a/d of the written page', 2
        mov     eax, [PTE_OF(ALIAS_B)]
        and     eax, PTE_A | PTE_D
        CHECK   eax, PTE_A, '  pte a/d of the read page', 2
        mov     eax, [PD + 4]
        and     eax, PTE_A
        CHECK   eax, PTE_A, '  pde accessed', 2

        cmp     dword [HAVE_PSE], 0
        je      .pse_done
        mov     eax, [PSE_BASE + PHYS_SHARED + 0x10]
        CHECK   eax, 0xA11A5ED1, '4m pse page: read 0x00820010'
        mov     dword [PSE_BASE + DATA_BASE + 0x100], 0x4D1B0000
        mov     eax, [DATA_BASE + 0x100]
        CHECK   eax, 0x4D1B0000, '  write 0x00808100, read 0x00008100'
        mov     eax, [PD + (PSE_BASE >> 22) * 4]
        and     eax, PTE_A | PTE_D | PDE_PS
        CHECK   eax, PTE_A | PTE_D | PDE_PS, '  pde a/d/ps', 2
.pse_done:

        ; read-only page, CR0.WP clear: supervisor writes go through
        mov     dword [READ_ONLY_NOWP], 0x0123ABCD
        CHECKDEC dword [PF_COUNT], 0, 'write to read-only page with cr0.wp=0: faults'
        CHECK   dword [PHYS_RO_NOWP], 0x0123ABCD, '  written'

        ; not-present page, read
        mov     dword [PF_FIX], PHYS_FAULTED
        mov     eax, [NOT_PRESENT + 0x20]
        CHECK   eax, 0x5EC0DE01, 'read of not-present page after the handler mapped it'
        CHECKDEC dword [PF_COUNT], 1, '  faults'
        CHECK   dword [PF_CR2], NOT_PRESENT + 0x20, '  cr2'
        CHECK   dword [PF_ERR], 0, '  error code', 4

        ; not-present page, write
        mov     dword [PF_FIX], PHYS_WRITEFAULT
        mov     dword [WRITE_FAULT + 0x44], 0xFEEDFACE
        CHECKDEC dword [PF_COUNT], 2, 'write to not-present page: faults'
        CHECK   dword [PF_CR2], WRITE_FAULT + 0x44, '  cr2'
        CHECK   dword [PF_ERR], 2, '  error code', 4
        CHECK   dword [PHYS_WRITEFAULT + 0x44], 0xFEEDFACE, '  written'

        ; read-only page with CR0.WP set: a protection fault
        mov     eax, cr0
        or      eax, 0x10000            ; CR0.WP
        mov     cr0, eax
        mov     dword [PF_FIX], PHYS_RO
        mov     dword [READ_ONLY + 0x8], 0x0BADC0DE
        CHECKDEC dword [PF_COUNT], 3, 'write to read-only page with cr0.wp=1: faults'
        CHECK   dword [PF_CR2], READ_ONLY + 0x8, '  cr2'
        CHECK   dword [PF_ERR], 3, '  error code', 4
        CHECK   dword [PHYS_RO + 0x8], 0x0BADC0DE, '  written after the handler made it writable'

        ; remapping a page takes effect after INVLPG
        mov     dword [PHYS_REMAP + 0x10], 0x2E3A9ED0
        mov     dword [PTE_OF(ALIAS_A)], PHYS_REMAP | PTE_P | PTE_RW
        invlpg  [ALIAS_A]
        mov     eax, [ALIAS_A + 0x10]
        CHECK   eax, 0x2E3A9ED0, 'alias page remapped + invlpg: read'
        mov     eax, [ALIAS_B + 0x10]
        CHECK   eax, 0xA11A5ED1, '  the other alias still reads'
        CHECKDEC dword [PF_COUNT], 3, 'page faults in all'
        FINISH

; #GP: the one expected here is a CPU (in practice a hypervisor) refusing to
; turn on 32-bit paging; that is a host limitation, reported as a skip.
gp_handler:
        cmp     dword [esp + 4], enable_paging
        jne     .other
        PRINT   'SKIP: setting CR0.PG raised #GP: this CPU or hypervisor does not run 32-bit paging', 10
        mov     al, EXIT_HOST_SKIP
        jmp     pm_exit
.other: mov     eax, [esp]
        mov     ebx, [esp + 4]
        PRINT   'FAIL: #GP error='
        PUTHEX  eax
        PRINT   ' eip='
        PUTHEX  ebx
        PRINT   10
        mov     al, EXIT_UNEXPECTED
        jmp     pm_exit

; #PF: records CR2 and the error code, maps PF_FIX writable at CR2, retries.
pf_handler:
        push    eax
        push    ebx
        inc     dword [PF_COUNT]
        mov     eax, [esp + 8]
        mov     [PF_ERR], eax
        mov     eax, cr2
        mov     [PF_CR2], eax
        mov     ebx, eax
        sub     ebx, VIRT_BASE
        cmp     ebx, 0x400000
        jae     .bad
        shr     ebx, 12
        mov     eax, [PF_FIX]
        or      eax, PTE_P | PTE_RW
        mov     [PT_ALIAS + ebx * 4], eax
        mov     eax, cr2
        invlpg  [eax]
        pop     ebx
        pop     eax
        add     esp, 4                  ; error code
        iretd
.bad:   PRINT   'FAIL: page fault outside the test pages, cr2='
        PUTHEX  eax
        PRINT   10
        mov     al, EXIT_UNEXPECTED
        jmp     pm_exit
