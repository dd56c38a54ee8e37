/* Writes a reproducible 64 KiB image of random bytes (xorshift64 from a
 * seed) for the garbage-execution test: run as a BIOS, the CPU starts at
 * the reset vector inside the noise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mkgarbage SEED OUTFILE\n");
        return 2;
    }
    uint64_t s = strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
    FILE *f = fopen(argv[2], "wb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    for (int i = 0; i < 65536; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        fputc((int)(s >> 32) & 0xff, f);
    }
    return fclose(f) ? 2 : 0;
}
