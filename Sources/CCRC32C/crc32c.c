// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's record batch v2 uses.
// Hardware path: the SSE4.2 CRC32 instruction, chosen at run time with cpuid.
// Portable path: slicing-by-8 tables built once.

#include "ferry_crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define FERRY_CRC_X86 1
#endif

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : (c >> 1);
        }
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = table[0][i];
        for (int t = 1; t < 8; t++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[t][i] = c;
        }
    }
}

static uint32_t portable_raw(uint32_t c, const uint8_t *p, size_t n) {
    pthread_once(&table_once, build_tables);
    while (n && ((uintptr_t)p & 7)) {
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= c;
        c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
            table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
            table[1][(w >> 48) & 0xff] ^ table[0][(w >> 56) & 0xff];
        p += 8;
        n -= 8;
    }
    while (n--) {
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    }
    return c;
}

#ifdef FERRY_CRC_X86
__attribute__((target("sse4.2")))
static uint32_t hardware_raw(uint32_t c, const uint8_t *p, size_t n) {
    uint64_t c64 = c;
    while (n && ((uintptr_t)p & 7)) {
        c64 = _mm_crc32_u8((uint32_t)c64, *p++);
        n--;
    }
    while (n >= 32) {
        uint64_t a, b, d, e;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        memcpy(&d, p + 16, 8);
        memcpy(&e, p + 24, 8);
        c64 = _mm_crc32_u64(c64, a);
        c64 = _mm_crc32_u64(c64, b);
        c64 = _mm_crc32_u64(c64, d);
        c64 = _mm_crc32_u64(c64, e);
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        uint64_t a;
        memcpy(&a, p, 8);
        c64 = _mm_crc32_u64(c64, a);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c64;
    while (n--) {
        c32 = _mm_crc32_u8(c32, *p++);
    }
    return c32;
}

static int detect_hardware(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return 0;
    }
    return (ecx & bit_SSE4_2) != 0;
}
#endif

static int hardware_state = -1;  // -1 unknown, 0 no, 1 yes; benign race: every writer stores the same value

int ferry_crc32c_hardware_available(void) {
#ifdef FERRY_CRC_X86
    int state = __atomic_load_n(&hardware_state, __ATOMIC_RELAXED);
    if (state < 0) {
        state = detect_hardware();
        __atomic_store_n(&hardware_state, state, __ATOMIC_RELAXED);
    }
    return state;
#else
    return 0;
#endif
}

uint32_t ferry_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
#ifdef FERRY_CRC_X86
    if (ferry_crc32c_hardware_available()) {
        return ~hardware_raw(c, p, length);
    }
#endif
    return ~portable_raw(c, p, length);
}

uint32_t ferry_crc32c_extend_portable(uint32_t crc, const void *data, size_t length) {
    return ~portable_raw(~crc, (const uint8_t *)data, length);
}
