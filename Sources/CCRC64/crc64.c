// CRC-64/NVME. The folding path follows Intel's "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ" for a reflected CRC: 16-byte blocks are folded forward by multiplying each 64-bit half with
// x^k mod P, four blocks side by side, and the last block is finished with the table. The constants are
// computed at first use from the polynomial, so none is copied from elsewhere.
#include "ktape_crc64.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KTAPE_CRC64_X86 1
#endif

// The polynomial without its x^64 term, in the usual bit order (bit d is x^d), and reflected.
static const uint64_t poly_normal = 0xAD93D23594C93659ULL;
static const uint64_t poly_reflected = 0x9A6C9329AC4BC9B5ULL;

static uint64_t table[8][256];
// Fold constants (reflected) for distances of 16 and 64 bytes: {x^(8D+63) mod P, x^(8D-1) mod P}.
static uint64_t fold16[2], fold64[2], fold32[2], fold48[2];
static int accelerated;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint64_t reflect64(uint64_t v) {
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

/// x^e mod P in the usual bit order.
static uint64_t xpow_mod(unsigned e) {
    uint64_t r = 1;
    for (unsigned i = 0; i < e; i++) r = (r << 1) ^ ((r >> 63) ? poly_normal : 0);
    return r;
}

static void set_fold(uint64_t k[2], unsigned distance_bytes) {
    k[0] = reflect64(xpow_mod(8 * distance_bytes + 63));
    k[1] = reflect64(xpow_mod(8 * distance_bytes - 1));
}

static void init(void) {
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1) ? poly_reflected : 0);
        table[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    }
    set_fold(fold16, 16);
    set_fold(fold32, 32);
    set_fold(fold48, 48);
    set_fold(fold64, 64);
#ifdef KTAPE_CRC64_X86
    __builtin_cpu_init();
    accelerated = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#endif
}

/// The raw register (no initial value, no final XOR) after `length` more bytes.
static uint64_t raw_table(uint64_t s, const uint8_t *p, size_t length) {
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        s ^= word;
        s = table[7][s & 0xFF] ^ table[6][(s >> 8) & 0xFF] ^ table[5][(s >> 16) & 0xFF] ^ table[4][(s >> 24) & 0xFF]
            ^ table[3][(s >> 32) & 0xFF] ^ table[2][(s >> 40) & 0xFF] ^ table[1][(s >> 48) & 0xFF] ^ table[0][s >> 56];
        p += 8;
        length -= 8;
    }
    while (length--) s = table[0][(s ^ *p++) & 0xFF] ^ (s >> 8);
    return s;
}

#ifdef KTAPE_CRC64_X86
__attribute__((target("pclmul,sse4.1")))
static inline __m128i fold(__m128i x, const uint64_t k[2]) {
    __m128i constants = _mm_set_epi64x((long long)k[1], (long long)k[0]);
    return _mm_xor_si128(_mm_clmulepi64_si128(x, constants, 0x00), _mm_clmulepi64_si128(x, constants, 0x11));
}

/// Folds every whole 16-byte block (at least 64 bytes) into one, finishes that block with the table, and
/// returns the raw register after the bytes consumed (`*used`, a multiple of 16).
__attribute__((target("pclmul,sse4.1")))
static uint64_t raw_folded(uint64_t s, const uint8_t *p, size_t length, size_t *used) {
    const uint8_t *start = p;
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi64_si128((long long)s));
    p += 16;
    length -= 16;
    if (length >= 128) {
        __m128i x1 = _mm_loadu_si128((const __m128i *)p);
        __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 32));
        p += 48;
        length -= 48;
        while (length >= 64) {
            x0 = _mm_xor_si128(fold(x0, fold64), _mm_loadu_si128((const __m128i *)p));
            x1 = _mm_xor_si128(fold(x1, fold64), _mm_loadu_si128((const __m128i *)(p + 16)));
            x2 = _mm_xor_si128(fold(x2, fold64), _mm_loadu_si128((const __m128i *)(p + 32)));
            x3 = _mm_xor_si128(fold(x3, fold64), _mm_loadu_si128((const __m128i *)(p + 48)));
            p += 64;
            length -= 64;
        }
        x0 = _mm_xor_si128(_mm_xor_si128(fold(x0, fold48), fold(x1, fold32)), _mm_xor_si128(fold(x2, fold16), x3));
    }
    while (length >= 16) {
        x0 = _mm_xor_si128(fold(x0, fold16), _mm_loadu_si128((const __m128i *)p));
        p += 16;
        length -= 16;
    }
    uint8_t last[16];
    _mm_storeu_si128((__m128i *)last, x0);
    *used = (size_t)(p - start);
    return raw_table(0, last, 16);
}
#endif

uint64_t ktape_crc64nvme(uint64_t crc, const void *data, size_t length) {
    pthread_once(&once, init);
    const uint8_t *p = data;
    uint64_t s = ~crc;
#ifdef KTAPE_CRC64_X86
    if (accelerated && length >= 64) {
        size_t used = 0;
        s = raw_folded(s, p, length, &used);
        p += used;
        length -= used;
    }
#endif
    return ~raw_table(s, p, length);
}

uint64_t ktape_crc64nvme_portable(uint64_t crc, const void *data, size_t length) {
    pthread_once(&once, init);
    return ~raw_table(~crc, data, length);
}

int ktape_crc64nvme_accelerated(void) {
    pthread_once(&once, init);
    return accelerated;
}

/// a × b mod P, both reflected.
static uint64_t multiply_mod(uint64_t a, uint64_t b) {
    uint64_t product = 0;
    // Reflected: the top bit of b is x^0; a is shifted towards higher degrees (right) at each step.
    for (int i = 63; i >= 0; i--) {
        if ((b >> i) & 1) product ^= a;
        a = (a >> 1) ^ ((a & 1) ? poly_reflected : 0);
    }
    return product;
}

uint64_t ktape_crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b) {
    pthread_once(&once, init);
    // crc(A ‖ B) = crc_a × x^(8 × length_b) ⊕ crc_b (mod P): the all-ones initial value and final XOR cancel.
    uint64_t power = 1ULL << 63;       // x^0, reflected
    uint64_t square = 1ULL << 55;      // x^8, reflected: the factor for one byte
    for (uint64_t n = length_b; n; n >>= 1) {
        if (n & 1) power = multiply_mod(power, square);
        square = multiply_mod(square, square);
    }
    return multiply_mod(crc_a, power) ^ crc_b;
}
