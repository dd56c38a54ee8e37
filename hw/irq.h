/* An interrupt line as a small object: whoever drives it calls irq_set(),
 * whoever receives it supplied the callback and its pin number. */
#ifndef VX86_HW_IRQ_H
#define VX86_HW_IRQ_H

typedef void (*irq_set_fn)(void *opaque, int pin, int level);

struct irq_line {
    irq_set_fn set;
    void *opaque;
    int pin;
};

static inline struct irq_line irq_line_make(irq_set_fn fn, void *opaque, int pin)
{
    struct irq_line l = { fn, opaque, pin };
    return l;
}

/* A line with no receiver is legal and does nothing. */
static inline void irq_set(const struct irq_line *line, int level)
{
    if (line->set)
        line->set(line->opaque, line->pin, level);
}

static inline void irq_raise(const struct irq_line *line) { irq_set(line, 1); }
static inline void irq_lower(const struct irq_line *line) { irq_set(line, 0); }
static inline void irq_pulse(const struct irq_line *line)
{
    irq_set(line, 1);
    irq_set(line, 0);
}

#endif
