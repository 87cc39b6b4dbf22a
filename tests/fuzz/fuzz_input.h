/* A small FuzzedDataProvider for C: typed values carved from the front of
 * the fuzz input, so that harnesses can take names, amounts and choices
 * from the same bytes libFuzzer mutates. When the input runs out every
 * reader returns its smallest value (0, false, ""), never fails.
 *
 * Header only, so that a harness is one file (tests/fuzz/fuzz_NAME.c; the
 * Makefile builds and runs every such file). */
#ifndef REDRESS_FUZZ_INPUT_H
#define REDRESS_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry points (a harness defines the first, may define the second). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_input {
    const uint8_t *data;
    size_t size;
};

static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
    if (in->size == 0)
        return 0;
    in->size--;
    return *in->data++;
}

static inline bool fuzz_bool(struct fuzz_input *in)
{
    return fuzz_byte(in) & 1;
}

/* n bytes (at most 8), little-endian. */
static inline uint64_t fuzz_bits(struct fuzz_input *in, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)fuzz_byte(in) << (8 * i);
    return v;
}

/* A value in [min, max], reading only as many bytes as the range needs. */
static inline int64_t fuzz_int_in(struct fuzz_input *in, int64_t min, int64_t max)
{
    uint64_t range = (uint64_t)max - (uint64_t)min; /* max >= min */
    int n = 0;
    for (uint64_t r = range; r != 0 && n < 8; r >>= 8)
        n++;
    uint64_t v = fuzz_bits(in, n);
    if (range != UINT64_MAX)
        v %= range + 1;
    return (int64_t)((uint64_t)min + v);
}

/* Any int64_t, often one of the values that break arithmetic. */
static inline int64_t fuzz_int64_edgy(struct fuzz_input *in)
{
    static const int64_t EDGES[] = { 0, 1, -1, 99, 100, 101, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
                                     INT64_MAX / 100, 100000000000LL, -100000000000LL };
    uint8_t pick = fuzz_byte(in);
    if (pick < sizeof(EDGES) / sizeof(EDGES[0]))
        return EDGES[pick];
    return (int64_t)fuzz_bits(in, 8);
}

/* One of names[0..n) (n > 0). */
static inline int fuzz_pick(struct fuzz_input *in, int n)
{
    return (int)fuzz_int_in(in, 0, n - 1);
}

/* The next len bytes (fewer when the input ends) as a string, allocated at
 * exactly its size so that AddressSanitizer sees any read past its end;
 * caller frees. NUL bytes in it end the C string early, as they would in
 * the service. */
static inline char *fuzz_take(struct fuzz_input *in, size_t len)
{
    if (len > in->size)
        len = in->size;
    char *s = malloc(len + 1);
    if (s == NULL)
        abort();
    if (len > 0)
        memcpy(s, in->data, len);
    s[len] = '\0';
    in->data += len;
    in->size -= len;
    return s;
}

/* A string of up to max_len bytes: a length, then the bytes (caller frees). */
static inline char *fuzz_string(struct fuzz_input *in, size_t max_len)
{
    return fuzz_take(in, (size_t)fuzz_int_in(in, 0, (int64_t)max_len));
}

/* What is left, as a string (caller frees). */
static inline char *fuzz_rest(struct fuzz_input *in)
{
    return fuzz_take(in, in->size);
}

/* A broken invariant: say which, and crash so that libFuzzer keeps the input. */
#define FUZZ_REQUIRE(condition)                                                                  \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);   \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

#endif
