#ifndef FERRY_CRC32C_H
#define FERRY_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli) over `length` bytes. Start with `crc = 0` for a fresh checksum;
/// the pre- and post-inversion are done inside, so calls chain: crc(a+b) == extend(extend(0,a),b).
uint32_t ferry_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// Same as `ferry_crc32c_extend`, always through the portable table code (for tests and benchmarks).
uint32_t ferry_crc32c_extend_portable(uint32_t crc, const void *data, size_t length);

/// 1 when the running CPU has the SSE4.2 CRC32 instruction and it is used, else 0.
int ferry_crc32c_hardware_available(void);

#endif
