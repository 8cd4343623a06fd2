// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's record batch v2 uses.
// Hardware path: the SSE4.2 CRC32 instruction, chosen at run time with cpuid, three lanes interleaved on long inputs.
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
// Three lanes of LANE bytes are checksummed at once: the CRC32 instruction has a latency of 3 cycles and a
// throughput of 1 per cycle, so one dependent chain uses a third of it. The lanes' CRCs are joined with
// the linearity of CRC: crc(c, A|B|C) = shift(crc(c, A), 2 LANE) ^ shift(crc(0, B), LANE) ^ crc(0, C),
// where shift(x, n) is x run through n zero bytes, a linear map applied with four 256-entry tables.
#define LANE 1024

static uint32_t shift_lane[4][256];   // x -> x through LANE zero bytes
static uint32_t shift_2lanes[4][256]; // x -> x through 2 LANE zero bytes
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static uint32_t hardware_zeros(uint32_t c, size_t n) {
    uint64_t c64 = c;
    for (size_t i = 0; i < n / 8; i++) {
        c64 = _mm_crc32_u64(c64, 0);
    }
    return (uint32_t)c64;
}

static void build_shift(uint32_t tables[4][256], size_t zeros) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) {
        basis[bit] = hardware_zeros(1u << bit, zeros);
    }
    for (int k = 0; k < 4; k++) {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int j = 0; j < 8; j++) {
                if (b & (1u << j)) v ^= basis[8 * k + j];
            }
            tables[k][b] = v;
        }
    }
}

static void build_shifts(void) {
    build_shift(shift_lane, LANE);
    build_shift(shift_2lanes, 2 * LANE);
}

static inline uint32_t apply_shift(uint32_t tables[4][256], uint32_t c) {
    return tables[0][c & 0xff] ^ tables[1][(c >> 8) & 0xff] ^ tables[2][(c >> 16) & 0xff] ^ tables[3][c >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t hardware_raw(uint32_t c, const uint8_t *p, size_t n) {
    uint64_t c64 = c;
    if (n >= 3 * LANE + 8) {
        pthread_once(&shift_once, build_shifts);
        while (n && ((uintptr_t)p & 7)) {
            c64 = _mm_crc32_u8((uint32_t)c64, *p++);
            n--;
        }
        while (n >= 3 * LANE) {
            uint64_t c1 = 0, c2 = 0;
            for (size_t i = 0; i < LANE; i += 8) {
                uint64_t a, b, d;
                memcpy(&a, p + i, 8);
                memcpy(&b, p + LANE + i, 8);
                memcpy(&d, p + 2 * LANE + i, 8);
                c64 = _mm_crc32_u64(c64, a);
                c1 = _mm_crc32_u64(c1, b);
                c2 = _mm_crc32_u64(c2, d);
            }
            c64 = apply_shift(shift_2lanes, (uint32_t)c64) ^ apply_shift(shift_lane, (uint32_t)c1) ^ (uint32_t)c2;
            p += 3 * LANE;
            n -= 3 * LANE;
        }
    }
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
