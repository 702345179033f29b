// scripts/raw-produce: the floor for producing scripts/bench's records, for issue 20's restore figure.
//
//     raw-produce HOST:PORT TOPIC PARTITIONS FILE
//
// A client that writes Kafka record batches itself (idempotent, acks=all, 5 requests in flight, one
// connection) and nothing else: FILE's `key TAB value` lines go round-robin to PARTITIONS partitions
// of TOPIC, all led by the one broker at HOST:PORT (scripts/bench's single-broker mock). It shows
// what a restore could take if its producer were not librdkafka's per-message path; it is a
// measuring tool, not a client: no metadata, no retries, no TLS or SASL, any error ends it (exit 1).
// scripts/bench compiles it with the Swift toolchain's clang.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { requestBytes = 1 << 20, maxInFlight = 5 };

static void fail(const char *what) {
    fprintf(stderr, "raw-produce: %s\n", what);
    exit(1);
}

static uint32_t crc32c(const uint8_t *p, size_t n) {
    uint64_t c = 0xffffffff;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
    }
    while (n--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return (uint32_t)c ^ 0xffffffff;
}

typedef struct { uint8_t *bytes; size_t count, capacity; } Buffer;

static void reserve(Buffer *b, size_t more) {
    if (b->count + more <= b->capacity) return;
    b->capacity = (b->count + more) * 2;
    if (!(b->bytes = realloc(b->bytes, b->capacity))) fail("out of memory");
}
static void put(Buffer *b, const void *p, size_t n) { reserve(b, n); memcpy(b->bytes + b->count, p, n); b->count += n; }
static void put8(Buffer *b, uint8_t v) { put(b, &v, 1); }
static void put16(Buffer *b, int16_t v) { uint16_t n = htons((uint16_t)v); put(b, &n, 2); }
static void put32(Buffer *b, int32_t v) { uint32_t n = htonl((uint32_t)v); put(b, &n, 4); }
static void put64(Buffer *b, int64_t v) { put32(b, (int32_t)(v >> 32)); put32(b, (int32_t)v); }
static void putString(Buffer *b, const char *s) { put16(b, (int16_t)strlen(s)); put(b, s, strlen(s)); }
// A zigzag varint at `out` (room for 10 bytes); returns its length.
static size_t varint(uint8_t *out, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    for (; z >= 0x80; z >>= 7) out[n++] = (uint8_t)(z | 0x80);
    out[n++] = (uint8_t)z;
    return n;
}
static void putVarint(Buffer *b, int64_t v) {
    reserve(b, 10);
    b->count += varint(b->bytes + b->count, v);
}
static void set32(uint8_t *at, uint32_t v) { v = htonl(v); memcpy(at, &v, 4); }
static uint32_t get32(const uint8_t *at) { uint32_t v; memcpy(&v, at, 4); return ntohl(v); }
static uint16_t get16(const uint8_t *at) { uint16_t v; memcpy(&v, at, 2); return ntohs(v); }

static int connection;
static int32_t nextCorrelation;
static int inFlight;

static void header(Buffer *b, int16_t api, int16_t version) {
    b->count = 0;
    put32(b, 0);  // size, set by send
    put16(b, api);
    put16(b, version);
    put32(b, nextCorrelation++);
    putString(b, "raw-produce");
}
static void sendRequest(Buffer *b) {
    set32(b->bytes, (uint32_t)(b->count - 4));
    for (size_t done = 0; done < b->count;) {
        ssize_t n = write(connection, b->bytes + done, b->count - done);
        if (n <= 0) fail("write to the broker failed");
        done += (size_t)n;
    }
    inFlight++;
}
static void readFully(void *into, size_t n) {
    for (uint8_t *p = into; n;) {
        ssize_t got = read(connection, p, n);
        if (got <= 0) fail("the broker closed the connection");
        p += got;
        n -= (size_t)got;
    }
}
// Reads one response (they come in request order); the caller frees it.
static uint8_t *receive(uint32_t *size) {
    uint8_t prefix[4];
    readFully(prefix, 4);
    *size = get32(prefix);
    uint8_t *body = malloc(*size);
    if (!body) fail("out of memory");
    readFully(body, *size);
    inFlight--;
    return body;
}
// Produce v3 response: correlation, [topic, [partition, error, base offset, log append time]], throttle.
static void receiveProduce(void) {
    uint32_t size;
    uint8_t *r = receive(&size);
    size_t at = 4;
    uint32_t topics = get32(r + at);
    at += 4;
    for (uint32_t t = 0; t < topics; t++) {
        at += 2 + get16(r + at);
        uint32_t parts = get32(r + at);
        at += 4;
        for (uint32_t p = 0; p < parts; p++, at += 22)
            if (get16(r + at + 4)) fail("the broker refused a batch");
    }
    free(r);
}

typedef struct { Buffer records; int32_t count, sequence; } Batch;

int main(int argc, char **argv) {
    if (argc != 5) fail("usage: raw-produce HOST:PORT TOPIC PARTITIONS FILE");
    const char *topic = argv[2];
    int partitions = atoi(argv[3]);
    if (partitions <= 0) fail("PARTITIONS must be a positive number");

    char host[256];
    const char *colon = strrchr(argv[1], ':');
    if (!colon || (size_t)(colon - argv[1]) >= sizeof host) fail("HOST:PORT expected");
    memcpy(host, argv[1], (size_t)(colon - argv[1]));
    host[colon - argv[1]] = 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *address;
    if (getaddrinfo(host, colon + 1, &hints, &address)) fail("cannot resolve the broker's address");
    connection = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(connection, address->ai_addr, address->ai_addrlen)) fail("cannot connect to the broker");
    int on = 1;
    setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);

    // InitProducerId v0 (no transactional id): the producer id and epoch idempotent batches carry.
    Buffer request = {0};
    header(&request, 22, 0);
    put16(&request, -1);
    put32(&request, 60000);
    sendRequest(&request);
    uint32_t size;
    uint8_t *answer = receive(&size);
    if (size < 20 || get16(answer + 8)) fail("InitProducerId failed");
    int64_t producerId = ((int64_t)get32(answer + 10) << 32) | get32(answer + 14);
    int16_t epoch = (int16_t)get16(answer + 18);
    free(answer);

    int input = open(argv[4], O_RDONLY);
    struct stat status;
    if (input < 0 || fstat(input, &status)) fail("cannot open FILE");
    const char *line = status.st_size ? mmap(NULL, (size_t)status.st_size, PROT_READ, MAP_PRIVATE, input, 0) : NULL;
    if (line == MAP_FAILED) fail("cannot map FILE");
    const char *end = line + status.st_size;

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t timestamp = now.tv_sec * 1000LL + now.tv_nsec / 1000000;
    Batch *batches = calloc((size_t)partitions, sizeof *batches);
    size_t pending = 0;
    long produced = 0;
    for (int next = 0;; next = (next + 1) % partitions) {
        const char *newline = line < end ? memchr(line, '\n', (size_t)(end - line)) : NULL;
        if (newline) {
            const char *tab = memchr(line, '\t', (size_t)(newline - line));
            if (!tab) fail("a line without a TAB");
            Batch *b = &batches[next];
            size_t keySize = (size_t)(tab - line), valueSize = (size_t)(newline - tab - 1);
            // Record: length, attributes, timestamp delta, offset delta, key, value, no headers.
            Buffer *r = &b->records;
            size_t body = 1 + 1 + 5 + 5 + keySize + 5 + valueSize + 1;
            reserve(r, body + 5);
            size_t start = r->count;
            r->count += 5;  // room for the length varint, moved into place below
            put8(r, 0);
            putVarint(r, 0);
            putVarint(r, b->count);
            putVarint(r, (int64_t)keySize);
            put(r, line, keySize);
            putVarint(r, (int64_t)valueSize);
            put(r, tab + 1, valueSize);
            putVarint(r, 0);
            size_t length = r->count - start - 5;
            uint8_t prefix[10];
            size_t prefixLength = varint(prefix, (int64_t)length);
            memmove(r->bytes + start + prefixLength, r->bytes + start + 5, length);
            memcpy(r->bytes + start, prefix, prefixLength);
            r->count = start + prefixLength + length;
            b->count++;
            pending += prefixLength + length;
            produced++;
            line = newline + 1;
        }
        if (pending >= requestBytes || (!newline && pending)) {
            header(&request, 0, 3);
            put16(&request, -1);  // no transactional id
            put16(&request, -1);  // acks=all
            put32(&request, 30000);
            put32(&request, 1);
            putString(&request, topic);
            size_t countAt = request.count;
            put32(&request, 0);
            int32_t inRequest = 0;
            for (int p = 0; p < partitions; p++) {
                Batch *b = &batches[p];
                if (!b->count) continue;
                inRequest++;
                put32(&request, p);
                size_t sizeAt = request.count;
                put32(&request, 0);
                size_t batchAt = request.count;
                put64(&request, 0);   // base offset
                put32(&request, 0);   // batch length, set below
                put32(&request, -1);  // partition leader epoch
                put8(&request, 2);    // magic
                size_t crcAt = request.count;
                put32(&request, 0);
                put16(&request, 0);   // attributes: no compression, CreateTime
                put32(&request, b->count - 1);
                put64(&request, timestamp);
                put64(&request, timestamp);
                put64(&request, producerId);
                put16(&request, epoch);
                put32(&request, b->sequence);
                put32(&request, b->count);
                put(&request, b->records.bytes, b->records.count);
                set32(request.bytes + sizeAt, (uint32_t)(request.count - batchAt));
                set32(request.bytes + batchAt + 8, (uint32_t)(request.count - batchAt - 12));
                set32(request.bytes + crcAt, crc32c(request.bytes + crcAt + 4, request.count - crcAt - 4));
                b->sequence += b->count;
                b->count = 0;
                b->records.count = 0;
            }
            set32(request.bytes + countAt, (uint32_t)inRequest);
            while (inFlight >= maxInFlight) receiveProduce();
            sendRequest(&request);
            pending = 0;
        }
        if (!newline) break;
    }
    while (inFlight) receiveProduce();
    printf("%ld records\n", produced);
    return 0;
}
