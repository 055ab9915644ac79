/*
 * Bitwise gate evaluation and counting over rows of 64-sample words.
 *
 * The loops are plain C that compilers vectorise. On x86-64 Linux with GCC
 * or Clang, each entry point is compiled several times (baseline, x86-64-v2,
 * v3 with AVX2, v4 with AVX-512) and the loader picks the best clone the CPU
 * supports (target_clones / ifunc), so one portable build runs at the
 * machine's full width. Elsewhere the baseline build is used.
 *
 * Conventions (see _kernels.pyx): a set bit is a DOWN sample; rows hold
 * nw words; node rows are leaves 0..L-1 then gates in topological order.
 */
#ifndef SLOSIM_BITOPS_H
#define SLOSIM_BITOPS_H

#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER)
#  include <intrin.h>
#  define restrict __restrict
#  define slosim_popcount(x) ((uint64_t)__popcnt64(x))
#else
#  define slosim_popcount(x) ((uint64_t)__builtin_popcountll(x))
#endif

#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#  if __has_attribute(target_clones)
#    define SLOSIM_DISPATCH __attribute__((target_clones( \
         "default", "arch=x86-64-v2", "arch=x86-64-v3", "arch=x86-64-v4")))
#  endif
#endif
#ifndef SLOSIM_DISPATCH
#  define SLOSIM_DISPATCH
#endif

#define SLOSIM_OP_ANY 0
#define SLOSIM_OP_ALL 1
#define SLOSIM_OP_ATLEAST_DOWN 2
#define SLOSIM_OP_ATLEAST_UP 3
#define SLOSIM_OP_COUNT 4
#define SLOSIM_OP_NOT 5

/* out = OR (any) or AND (all) of the children's rows, four rows a pass. */
static inline void slosim_any_all(uint64_t *restrict out, uint64_t *buf,
                                  int64_t stride, const int64_t *kids,
                                  int64_t n, int64_t nw, int all)
{
    const uint64_t *a, *b, *c, *d;
    int64_t i, w, first = 1;
    for (i = 0; i < n; i += 4) {
        int64_t left = n - i;
        a = buf + kids[i] * stride;
        b = buf + kids[left > 1 ? i + 1 : i] * stride;
        c = buf + kids[left > 2 ? i + 2 : i] * stride;
        d = buf + kids[left > 3 ? i + 3 : i] * stride;
        if (all) {
            if (first)
                for (w = 0; w < nw; w++) out[w] = a[w] & b[w] & c[w] & d[w];
            else
                for (w = 0; w < nw; w++) out[w] &= a[w] & b[w] & c[w] & d[w];
        } else {
            if (first)
                for (w = 0; w < nw; w++) out[w] = a[w] | b[w] | c[w] | d[w];
            else
                for (w = 0; w < nw; w++) out[w] |= a[w] | b[w] | c[w] | d[w];
        }
        first = 0;
    }
}

/* out = at least t of the children have (row ^ flip) set.
 * Threshold recurrence: scratch row j holds "at least j+1 so far"; each
 * child x updates rows from the top down: T[j] |= T[j-1] & x, T[0] |= x. */
static inline void slosim_threshold(uint64_t *restrict out,
                                    uint64_t *restrict scratch,
                                    uint64_t *buf, int64_t stride,
                                    const int64_t *kids, int64_t n, int64_t t,
                                    int64_t nw, uint64_t flip)
{
    int64_t c, j, w;
    memset(scratch, 0, (size_t)(t * nw) * sizeof(uint64_t));
    for (c = 0; c < n; c++) {
        const uint64_t *x = buf + kids[c] * stride;
        int64_t top = c < t - 1 ? c : t - 1;
        for (j = top; j >= 1; j--) {
            uint64_t *hi = scratch + j * nw;
            const uint64_t *lo = scratch + (j - 1) * nw;
            for (w = 0; w < nw; w++) hi[w] |= lo[w] & (x[w] ^ flip);
        }
        for (w = 0; w < nw; w++) scratch[w] |= x[w] ^ flip;
    }
    memcpy(out, scratch + (t - 1) * nw, (size_t)nw * sizeof(uint64_t));
}

static inline int64_t slosim_planes(int64_t n)
{
    int64_t p = 0;
    while (((int64_t)1 << p) <= n) p++;
    return p;
}

/* out = at least t children are down, by a bit-sliced binary counter:
 * scratch rows are the counter's bit planes, then carry, then "equal". */
static inline void slosim_counter(uint64_t *restrict out,
                                  uint64_t *restrict scratch, uint64_t *buf,
                                  int64_t stride, const int64_t *kids,
                                  int64_t n, int64_t t, int64_t nw)
{
    int64_t planes = slosim_planes(n), c, p, w;
    uint64_t *carry = scratch + planes * nw;
    uint64_t *eq = scratch + (planes + 1) * nw;
    memset(scratch, 0, (size_t)(planes * nw) * sizeof(uint64_t));
    for (c = 0; c < n; c++) {
        memcpy(carry, buf + kids[c] * stride, (size_t)nw * sizeof(uint64_t));
        for (p = 0; p < planes; p++) {
            uint64_t *plane = scratch + p * nw;
            for (w = 0; w < nw; w++) {
                uint64_t v = plane[w] & carry[w];
                plane[w] ^= carry[w];
                carry[w] = v;
            }
        }
    }
    /* count >= t: from the top plane, out collects "greater", eq "equal". */
    for (w = 0; w < nw; w++) { out[w] = 0; eq[w] = ~(uint64_t)0; }
    for (p = planes - 1; p >= 0; p--) {
        const uint64_t *plane = scratch + p * nw;
        if ((t >> p) & 1) {
            for (w = 0; w < nw; w++) eq[w] &= plane[w];
        } else {
            for (w = 0; w < nw; w++) { out[w] |= eq[w] & plane[w]; eq[w] &= ~plane[w]; }
        }
    }
    for (w = 0; w < nw; w++) out[w] |= eq[w];
}

/* Evaluate every gate on words [0, nw) of rows that start every `stride`
 * words at buf (pass buf + offset for a sub-range); scratch rows are nw. */
SLOSIM_DISPATCH
static void slosim_eval_gates(uint64_t *buf, int64_t stride, int64_t nw,
                              uint64_t *scratch, int64_t n_leaves,
                              int64_t n_gates, const int8_t *op,
                              const int64_t *param, const int64_t *ptr,
                              const int64_t *kids)
{
    int64_t g, w;
    for (g = 0; g < n_gates; g++) {
        uint64_t *out = buf + (n_leaves + g) * stride;
        const int64_t *k = kids + ptr[g];
        int64_t n = ptr[g + 1] - ptr[g];
        switch (op[g]) {
        case SLOSIM_OP_ANY: slosim_any_all(out, buf, stride, k, n, nw, 0); break;
        case SLOSIM_OP_ALL: slosim_any_all(out, buf, stride, k, n, nw, 1); break;
        case SLOSIM_OP_ATLEAST_DOWN:
            slosim_threshold(out, scratch, buf, stride, k, n, param[g], nw, 0);
            break;
        case SLOSIM_OP_ATLEAST_UP:
            slosim_threshold(out, scratch, buf, stride, k, n, param[g], nw,
                             ~(uint64_t)0);
            for (w = 0; w < nw; w++) out[w] = ~out[w];
            break;
        case SLOSIM_OP_NOT: {
            /* one child; tail bits past the valid samples are never counted */
            const uint64_t *a = buf + k[0] * stride;
            for (w = 0; w < nw; w++) out[w] = ~a[w];
            break;
        }
        default:
            slosim_counter(out, scratch, buf, stride, k, n, param[g], nw);
        }
    }
}

/* Set bits of row (and of other, when given) among the first
 * nw_full * 64 + rem samples. */
SLOSIM_DISPATCH
static uint64_t slosim_count(const uint64_t *row, const uint64_t *other,
                             int64_t nw_full, int rem)
{
    uint64_t total = 0;
    uint64_t tail = rem ? (((uint64_t)1 << rem) - 1) : 0;
    int64_t w;
    if (other == NULL) {
        for (w = 0; w < nw_full; w++) total += slosim_popcount(row[w]);
        if (rem) total += slosim_popcount(row[nw_full] & tail);
    } else {
        for (w = 0; w < nw_full; w++)
            total += slosim_popcount(row[w] & other[w]);
        if (rem)
            total += slosim_popcount(row[nw_full] & other[nw_full] & tail);
    }
    return total;
}

/* Zero words [0, nw) of n_rows rows that start every `stride` words. */
static void slosim_zero_rows(uint64_t *buf, int64_t stride, int64_t n_rows,
                             int64_t nw)
{
    int64_t r;
    for (r = 0; r < n_rows; r++)
        memset(buf + r * stride, 0, (size_t)nw * sizeof(uint64_t));
}

/* row = ~row */
SLOSIM_DISPATCH
static void slosim_invert(uint64_t *row, int64_t nw)
{
    int64_t w;
    for (w = 0; w < nw; w++) row[w] = ~row[w];
}

#endif
