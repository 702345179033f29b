#ifndef KTAPE_CRC64_H
#define KTAPE_CRC64_H

#include <stddef.h>
#include <stdint.h>

/// CRC-64/NVME (the CRC64NVME of S3's checksums): reflected polynomial 0xAD93D23594C93659, initial value and
/// final XOR all ones. `crc` is the value of the bytes before `data` (0 for none); returns the value with
/// `data` appended. Uses carry-less multiplication where the CPU has it, a slice-by-8 table otherwise.
uint64_t ktape_crc64nvme(uint64_t crc, const void *data, size_t length);

/// The same with the table only (for tests, which compare both paths).
uint64_t ktape_crc64nvme_portable(uint64_t crc, const void *data, size_t length);

/// Whether `ktape_crc64nvme` runs the carry-less multiplication path on this CPU.
int ktape_crc64nvme_accelerated(void);

/// The CRC of A followed by B, from the CRC of A, the CRC of B and the length of B.
uint64_t ktape_crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b);

#endif
