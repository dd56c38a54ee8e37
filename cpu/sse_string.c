/* SSE4.2 string compares PCMPESTRM/PCMPESTRI/PCMPISTRM/PCMPISTRI (0F 3A
 * 60-63) on register values, per the SDM's "Programming with SSE4.2" text
 * processing model; called from sse_int.c. */
#include "cpu/sse.h"

#define FLAG_CF 0x001u
#define FLAG_ZF 0x040u
#define FLAG_SF 0x080u
#define FLAG_OF 0x800u

/* imm8[1:0]: 0 unsigned bytes, 1 unsigned words, 2 signed bytes, 3 signed
 * words. */
static int32_t elem(const union sse_reg *r, unsigned i, unsigned fmt)
{
    switch (fmt & 3) {
    case 0: return r->b[i];
    case 1: return r->w[i];
    case 2: return r->sb[i];
    default: return r->sw[i];
    }
}

/* An explicit length is the absolute value of EAX/EDX (RAX/RDX with REX.W),
 * saturated to the element count. Computed unsigned so that the most
 * negative value has a magnitude too. */
static unsigned explicit_len(uint64_t v, bool w, unsigned n)
{
    uint64_t mag;
    if (w) {
        mag = (v >> 63) ? 0 - v : v;
    } else {
        uint32_t l = (uint32_t)v;
        mag = (l >> 31) ? (uint32_t)(0u - l) : l;
    }
    return mag > n ? n : (unsigned)mag;
}

/* An implicit length ends at the first zero element. */
static unsigned implicit_len(const union sse_reg *r, unsigned fmt, unsigned n)
{
    unsigned i = 0;
    while (i < n && elem(r, i, fmt) != 0)
        i++;
    return i;
}

/* IntRes1 of the aggregation imm8[3:2] between the first operand a (length
 * la) and the second b (length lb). Bit j is about element j of b; pairs
 * with an invalid element (past a length) take the forced values of the
 * SDM's table. */
static uint32_t aggregate(const union sse_reg *a, unsigned la, const union sse_reg *b,
                          unsigned lb, unsigned ctl, unsigned n)
{
    uint32_t res = 0;
    switch ((ctl >> 2) & 3) {
    case 0: /* equal any: b[j] is one of a's valid elements */
        for (unsigned j = 0; j < lb; j++)
            for (unsigned i = 0; i < la; i++)
                if (elem(a, i, ctl) == elem(b, j, ctl)) {
                    res |= 1u << j;
                    break;
                }
        break;
    case 1: /* ranges: a holds inclusive [low, high] pairs; an odd length
             * leaves the last pair without its upper bound, never matching */
        for (unsigned j = 0; j < lb; j++) {
            int32_t v = elem(b, j, ctl);
            for (unsigned i = 0; i + 1 < la; i += 2)
                if (elem(a, i, ctl) <= v && v <= elem(a, i + 1, ctl)) {
                    res |= 1u << j;
                    break;
                }
        }
        break;
    case 2: /* equal each: both invalid compare true, one invalid false */
        for (unsigned i = 0; i < n; i++) {
            bool va = i < la, vb = i < lb;
            if (va && vb ? elem(a, i, ctl) == elem(b, i, ctl) : !va && !vb)
                res |= 1u << i;
        }
        break;
    default: /* equal ordered: a occurs in b at j; the part of a past its
              * length, or past the register's end, matches anything */
        for (unsigned j = 0; j < n; j++) {
            bool match = true;
            for (unsigned k = 0; k < la && j + k < n; k++)
                if (j + k >= lb || elem(a, k, ctl) != elem(b, j + k, ctl)) {
                    match = false;
                    break;
                }
            if (match)
                res |= 1u << j;
        }
        break;
    }
    return res;
}

enum sse_result sse_string_exec(struct sse_ctx *s)
{
    unsigned ctl = s->imm, n = (ctl & 1) ? 8 : 16;
    bool explicit = s->opcode <= 0x61, index = s->opcode & 1;
    unsigned la, lb;
    if (s->opcode < 0x60 || s->opcode > 0x63)
        return SSE_NOT_MINE;
    if (explicit) {
        la = explicit_len(s->rax, s->rex_w, n);
        lb = explicit_len(s->rdx, s->rex_w, n);
    } else {
        la = implicit_len(&s->dst, ctl, n);
        lb = implicit_len(&s->src, ctl, n);
    }

    uint32_t res = aggregate(&s->dst, la, &s->src, lb, ctl, n);
    switch ((ctl >> 4) & 3) {
    case 1: /* negative */
        res ^= (1u << n) - 1;
        break;
    case 3: /* masked negative: only b's valid elements */
        res ^= (1u << lb) - 1;
        break;
    }

    s->set_flags = true;
    s->eflags = (res ? FLAG_CF : 0) | (lb < n ? FLAG_ZF : 0) | (la < n ? FLAG_SF : 0) |
                ((res & 1) ? FLAG_OF : 0);
    if (index) {
        unsigned at = n;
        if (res) {
            at = 0;
            if (ctl & 0x40) { /* most significant set bit */
                for (unsigned i = 0; i < n; i++)
                    if ((res >> i) & 1)
                        at = i;
            } else {
                while (!((res >> at) & 1))
                    at++;
            }
        }
        s->no_dst = true;
        s->set_rcx = true;
        s->rcx = at;
        return SSE_OK;
    }
    union sse_reg m = { .q = { 0, 0 } };
    if (ctl & 0x40) { /* one all-ones or zero element per bit */
        for (unsigned i = 0; i < n; i++) {
            bool bit = (res >> i) & 1;
            if (n == 16)
                m.b[i] = bit ? 0xff : 0;
            else
                m.w[i] = bit ? 0xffff : 0;
        }
    } else {
        m.q[0] = res;
    }
    s->dst = m;
    return SSE_OK;
}
