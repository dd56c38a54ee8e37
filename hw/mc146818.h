/* MC146818 real-time clock with the PC's 128 bytes of battery-backed CMOS RAM:
 * port 0x70 selects a byte (bit 7 masks NMI), port 0x71 reads/writes it. */
#ifndef VX86_HW_MC146818_H
#define VX86_HW_MC146818_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"

struct machine;
struct rtc;

/* CMOS bytes the board fills, in the layout PC BIOSes (SeaBIOS included) read. */
#define RTC_CMOS_SHUTDOWN_STATUS 0x0f
#define RTC_CMOS_FLOPPY_TYPES    0x10
#define RTC_CMOS_DISK_TYPES      0x12
#define RTC_CMOS_EQUIPMENT       0x14
#define RTC_CMOS_BASEMEM_LO      0x15 /* KiB below 1 MiB, at most 640 */
#define RTC_CMOS_BASEMEM_HI      0x16
#define RTC_CMOS_EXTMEM_LO       0x17 /* KiB above 1 MiB, at most 65535 */
#define RTC_CMOS_EXTMEM_HI       0x18
#define RTC_CMOS_EXTMEM_COPY_LO  0x30 /* same value again */
#define RTC_CMOS_EXTMEM_COPY_HI  0x31
#define RTC_CMOS_CENTURY         0x32
#define RTC_CMOS_EXTMEM2_LO      0x34 /* 64 KiB units between 16 MiB and 4 GiB */
#define RTC_CMOS_EXTMEM2_HI      0x35
#define RTC_CMOS_BOOT_FLAG1      0x38
#define RTC_CMOS_BOOT_FLAG2      0x3d
#define RTC_CMOS_HIGHMEM_LO      0x5b /* 64 KiB units above 4 GiB, 24 bits */
#define RTC_CMOS_HIGHMEM_MID     0x5c
#define RTC_CMOS_HIGHMEM_HI      0x5d
#define RTC_CMOS_CPU_COUNT_M1    0x5f

/* Maps ports 0x70-0x71, starts the clock at the host's UTC wall-clock time
 * and registers the reset hook. irq8 is driven high while IRQF is set.
 * Returns NULL on allocation or port-mapping failure. */
struct rtc *rtc_create(struct machine *m, struct irq_line irq8);
/* Unmaps and frees; only while tearing the machine down (the reset hook
 * stays registered). */
void rtc_destroy(struct rtc *r);

/* Sets the clock to `seconds` since 1970-01-01 00:00:00 in the clock's own
 * zone (pass local time for a guest that expects it) with the next update
 * exactly one second of virtual time from now. Tests use it to fix time. */
void rtc_set_time(struct rtc *r, int64_t seconds);
/* The time the clock shows now, in the same units. */
int64_t rtc_get_time(struct rtc *r);

/* Host access to a CMOS byte, as the guest would see it through port 0x71
 * except that reading register C does not clear it. */
void rtc_set_cmos(struct rtc *r, uint8_t index, uint8_t value);
uint8_t rtc_get_cmos(struct rtc *r, uint8_t index);
bool rtc_nmi_masked(struct rtc *r);

/* Fills bytes 0x15-0x18, 0x30-0x31, 0x34-0x35 and 0x5b-0x5d from the RAM
 * mapped below and above 4 GiB. */
void rtc_set_memory_size(struct rtc *r, uint64_t ram_below_4g, uint64_t ram_above_4g);

#endif
