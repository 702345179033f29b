#include <zlib.h>

// deflateInit2/inflateInit2 are macros; these wrappers pass the version and struct size.
static inline int ktape_deflateInit2(z_streamp s, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(s, level, method, windowBits, memLevel, strategy);
}
static inline int ktape_inflateInit2(z_streamp s, int windowBits) { return inflateInit2(s, windowBits); }
