; CPUID, time-stamp counter and MSR sanity: the feature bits a PC guest
; relies on, a TSC that only goes forward, the APIC base MSR, CMPXCHG8B,
; CMOV and the x87 control/status words after FNINIT.
; Only host-independent facts are printed (no vendor, family or speeds).
%include "guest.inc"

SAMPLES         equ 1000
CX8_SLOT        equ DATA_BASE

CODE16
main16:
        PRINT   'cpu_features: cpuid, rdtsc, msrs, cmpxchg8b, fninit', 10
        mov     cx, GDT_STD_ENTRIES
        call    rm_gdt_init
        ENTER_PM32 pm_main

CODE32
pm_main:
        xor     eax, eax
        cpuid
        cmp     eax, 1
        setae   al
        CHECKB  al, 1, 'cpuid.0 max leaf >= 1'
        mov     [DATA_BASE + 0x10], ebx         ; vendor: 12 printable characters
        mov     [DATA_BASE + 0x14], edx
        mov     [DATA_BASE + 0x18], ecx
        mov     esi, DATA_BASE + 0x10
        mov     ecx, 12
        mov     bl, 1
.vendor:
        lodsb
        cmp     al, 0x20
        jb      .bad_char
        cmp     al, 0x7E
        jbe     .char_ok
.bad_char:
        mov     bl, 0
.char_ok:
        loop    .vendor
        CHECKB  bl, 1, 'cpuid.0 vendor is 12 printable characters'

        mov     eax, 1
        cpuid
        ; FPU PSE TSC MSR CX8 APIC CMOV
        and     edx, (1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 15)
        CHECK   edx, 0x00008339, 'cpuid.1 edx fpu|pse|tsc|msr|cx8|apic|cmov'
        shr     ebx, 24
        CHECK   ebx, 0, 'cpuid.1 initial apic id', 2

        ; the TSC never goes backwards, and moves
        rdtsc
        mov     esi, eax
        mov     edi, edx
        mov     ecx, SAMPLES
        mov     bl, 1
.tsc:   rdtsc
        cmp     edx, edi
        jb      .backwards
        ja      .forward
        cmp     eax, esi
        jb      .backwards
.forward:
        mov     esi, eax
        mov     edi, edx
        loop    .tsc
        jmp     .tsc_done
.backwards:
        mov     bl, 0
.tsc_done:
        CHECKB  bl, 1, 'rdtsc monotonic over 1000 reads'
        rdtsc
        mov     esi, eax
        mov     edi, edx
        mov     ecx, 100000
.spin:  loop    .spin
        rdtsc
        cmp     edx, edi
        ja      .moved
        cmp     eax, esi
        ja      .moved
        mov     bl, 0
        jmp     .moved_done
.moved: mov     bl, 1
.moved_done:
        CHECKB  bl, 1, 'rdtsc advances across a busy loop'

        ; (MSR 0x10 is not compared with RDTSC: QEMU's TCG, one of the
        ; references for the expected output, does not keep it current.)

        mov     ecx, 0x1B                       ; IA32_APIC_BASE
        rdmsr
        and     eax, 0xFFFFF900                 ; base, enable, BSP
        CHECK   eax, 0xFEE00900, 'msr 0x1b apic base|enable|bsp'

        ; CMPXCHG8B: a miss loads EDX:EAX, a hit stores ECX:EBX
        mov     dword [CX8_SLOT], 0x11111111
        mov     dword [CX8_SLOT + 4], 0x22222222
        xor     eax, eax
        xor     edx, edx
        mov     ebx, 0x33333333
        mov     ecx, 0x44444444
        cmpxchg8b [CX8_SLOT]
        setz    bl
        CHECKB  bl, 0, 'cmpxchg8b miss zf'
        CHECK   edx, 0x22222222, '  edx loaded'
        CHECK   eax, 0x11111111, '  eax loaded'
        mov     ebx, 0x33333333
        cmpxchg8b [CX8_SLOT]
        setz    bl
        CHECKB  bl, 1, 'cmpxchg8b hit zf'
        CHECK   dword [CX8_SLOT], 0x33333333, '  low stored'
        CHECK   dword [CX8_SLOT + 4], 0x44444444, '  high stored'

        mov     eax, 5
        mov     ebx, 9
        cmp     eax, ebx
        cmovb   eax, ebx
        CHECK   eax, 9, 'cmovb 5<9', 2

        mov     eax, cr0
        and     eax, ~0x0C                      ; EM=0 TS=0: x87 usable
        mov     cr0, eax
        fninit
        mov     word [DATA_BASE + 0x30], 0xFFFF
        fnstcw  [DATA_BASE + 0x30]
        CHECKW  word [DATA_BASE + 0x30], 0x037F, 'fninit: x87 control word'
        mov     word [DATA_BASE + 0x32], 0xFFFF
        fnstsw  [DATA_BASE + 0x32]
        CHECKW  word [DATA_BASE + 0x32], 0x0000, '  x87 status word'
        FINISH
