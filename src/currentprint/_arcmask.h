/* Hot loops of the masking-proof arc evidence (_arcmask.pxi) in C.
 *
 * Cython cannot express SIMD; as for the per-cycle kernel (_cycle.h), the
 * second-difference pass over each resampled cycle is written with GCC/Clang
 * vector extensions, compiled as a portable baseline and, on x86-64, an AVX2
 * copy chosen by the same run-time switch (cp_isa_level, set_simd).  Every
 * value is the same IEEE operation as the scalar Cython loop it replaces
 * (two subtractions and an absolute value per point; no multiply-adds), so
 * results are bit-identical in both copies.
 */
#ifndef CP_ARCMASK_H
#define CP_ARCMASK_H

#include "_cycle.h"

/* ---- |second difference| of one row, and the points at or above a floor ---- */
/* aj[k] = |(x[k+1] - x[k]) - (x[k] - x[k-1])| for 1 <= k < npts - 1, aj[0] = aj[npts-1] = 0;
 * cbits receives, as bit k - 1 of its 64-bit words ((npts + 63) / 64 of them, cleared here),
 * the k in [1, npts - 3] with aj[k] not below flo and not 0 (NaN included). lbits receives
 * those whose signed second difference J goes the way of a re-ignition in their half-cycle:
 * J > 0 for k < npts / 2, not J > 0 from npts / 2 on (the lone-step test's sign, decided
 * here without a branch). Bit masks rather than lists: a masking load puts a few dozen
 * points of every row above the floor, and writing each into a list cost more than the
 * second difference itself; most rows' bits are never read point by point (the per-half
 * screens of arcmask_scan reject them first). */
/* the largest double below x > 0 (nextafter(x, -inf) without the library call) */
static inline double cpam_below(double x) {
    int64_t b;
    memcpy(&b, &x, sizeof b);
    b -= 1;
    memcpy(&x, &b, sizeof b);
    return x;
}

static inline int cpam_ctz64(uint64_t b) { return __builtin_ctzll(b); }

#define CPAM_ABSJ_BODY                                                                           \
    Py_ssize_t k = 1, last = npts - 1, half = npts / 2, w, nw = (npts + 63) >> 6;                \
    /* |J| >= 0 or NaN, so "below flo or 0" is one test: |J| <= the double below flo (flo > 0) */ \
    /* or |J| <= 0 (flo <= 0 or NaN); NaN stays a candidate */                                    \
    const double th = flo > 0.0 ? cpam_below(flo) : 0.0;                                         \
    const cp_v4d fv = {th, th, th, th};                                                          \
    const cp_v4l absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};                          \
    const cp_v4d zv = {0.0, 0.0, 0.0, 0.0};                                                      \
    unsigned int hm;                                                                             \
    for (w = 0; w < nw; w++) {                                                                   \
        cbits[w] = 0;                                                                            \
        lbits[w] = 0;                                                                            \
    }                                                                                            \
    aj[0] = 0.0;                                                                                 \
    aj[npts - 1] = 0.0;                                                                          \
    /* eight points a step (bits k - 1 .. k + 6: one byte of a word, k - 1 a multiple of 8) */  \
    /* hm: the lanes at or past the half (k + t >= half) */                                      \
    for (; k + 8 <= last; k += 8) {                                                              \
        cp_v4d b0 = CPAM_LD4(x + k), b1 = CPAM_LD4(x + k + 4);                                   \
        cp_v4d j0 = (CPAM_LD4(x + k + 1) - b0) - (b0 - CPAM_LD4(x + k - 1));                     \
        cp_v4d j1 = (CPAM_LD4(x + k + 5) - b1) - (b1 - CPAM_LD4(x + k + 3));                     \
        cp_v4d v0 = (cp_v4d)((cp_v4l)j0 & absmask);                                              \
        cp_v4d v1 = (cp_v4d)((cp_v4l)j1 & absmask);                                              \
        cp_v4l q0 = v0 <= fv, q1 = v1 <= fv;                                                     \
        CPAM_ST4(aj + k, v0);                                                                    \
        CPAM_ST4(aj + k + 4, v1);                                                                \
        unsigned int cb = ~(CPAM_BITS(q0) | (CPAM_BITS(q1) << 4)) & 255u;                        \
        if (!cb)                                                                                 \
            continue;                                                                            \
        hm = k >= half ? 255u : (k + 8 <= half ? 0u : (255u << (half - k)) & 255u);               \
        cbits[(k - 1) >> 6] |= (uint64_t)cb << ((k - 1) & 63);                                   \
        lbits[(k - 1) >> 6] |= (uint64_t)(cb & ((CPAM_BITS(j0 > zv) | (CPAM_BITS(j1 > zv) << 4)) ^ hm)) \
                               << ((k - 1) & 63);                                                \
    }                                                                                            \
    if (k + 4 <= last) {                                                                         \
        cp_v4d b0 = CPAM_LD4(x + k);                                                             \
        cp_v4d j0 = (CPAM_LD4(x + k + 1) - b0) - (b0 - CPAM_LD4(x + k - 1));                     \
        cp_v4d v0 = (cp_v4d)((cp_v4l)j0 & absmask);                                              \
        unsigned int cb = ~CPAM_BITS(v0 <= fv) & 15u;                                            \
        hm = k >= half ? 15u : (k + 4 <= half ? 0u : (15u << (half - k)) & 15u);                  \
        CPAM_ST4(aj + k, v0);                                                                    \
        cbits[(k - 1) >> 6] |= (uint64_t)cb << ((k - 1) & 63);                                   \
        lbits[(k - 1) >> 6] |= (uint64_t)(cb & (CPAM_BITS(j0 > zv) ^ hm)) << ((k - 1) & 63);     \
        k += 4;                                                                                  \
    }                                                                                            \
    for (; k < last; k++) {                                                                      \
        double jv = (x[k + 1] - x[k]) - (x[k] - x[k - 1]);                                       \
        double v = fabs(jv);                                                                     \
        aj[k] = v;                                                                               \
        if (!(v < flo || v == 0.0)) {                                                            \
            cbits[(k - 1) >> 6] |= (uint64_t)1 << ((k - 1) & 63);                                \
            if ((jv > 0.0) == (k < half))                                                        \
                lbits[(k - 1) >> 6] |= (uint64_t)1 << ((k - 1) & 63);                            \
        }                                                                                        \
    }                                                                                            \
    /* k = npts - 2 is not a candidate (its step test needs x[k + 2]) */                         \
    cbits[(npts - 3) >> 6] &= ~((uint64_t)1 << ((npts - 3) & 63));                               \
    lbits[(npts - 3) >> 6] &= ~((uint64_t)1 << ((npts - 3) & 63));

static void cpam_absj_base(const double *x, Py_ssize_t npts, double *aj, double flo, uint64_t *cbits,
                           uint64_t *lbits) {
/* 128-bit halves spelled out (GCC's generic lowering of 256-bit vectors otherwise goes through
 * the stack) */
#define CPAM_LD4(p) ({ const double *p_ = (p); cp_v2d lo_ = *(const cp_v2du *)p_, hi_ = *(const cp_v2du *)(p_ + 2); \
                       (cp_v4d){lo_[0], lo_[1], hi_[0], hi_[1]}; })
#define CPAM_ST4(p, v) do { double *p_ = (p); cp_v4d v_ = (v); *(cp_v2du *)p_ = (cp_v2d){v_[0], v_[1]}; \
                            *(cp_v2du *)(p_ + 2) = (cp_v2d){v_[2], v_[3]}; } while (0)
#define CPAM_BITS(m) ((unsigned int)(((m)[0] & 1) | ((m)[1] & 2) | ((m)[2] & 4) | ((m)[3] & 8)))
    CPAM_ABSJ_BODY
#undef CPAM_LD4
#undef CPAM_ST4
#undef CPAM_BITS
}

#if CP_HAVE_AVX2
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
static void cpam_absj_avx2(const double *x, Py_ssize_t npts, double *aj, double flo, uint64_t *cbits,
                           uint64_t *lbits) {
#define CPAM_LD4(p) (*(const cp_v4du *)(p))
#define CPAM_ST4(p, v) (*(cp_v4du *)(p) = (v))
#define CPAM_BITS(m) ((unsigned int)_mm256_movemask_pd((__m256d)(m)))
    CPAM_ABSJ_BODY
#undef CPAM_LD4
#undef CPAM_ST4
#undef CPAM_BITS
}
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

#if CP_HAVE_AVX512
/* The AVX-512 copy: eight points a vector, the comparisons straight into mask registers. The same
 * IEEE operations per point as the other copies (two subtractions, the sign bit cleared, ordered
 * comparisons: NaN stays a candidate), so the same aj and bits; the last points go one by one. */
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw")
static void cpam_absj_avx512(const double *x, Py_ssize_t npts, double *aj, double flo, uint64_t *cbits,
                             uint64_t *lbits) {
    Py_ssize_t k = 1, last = npts - 1, half = npts / 2, w = 0, nw = (npts + 63) >> 6;
    const double th = flo > 0.0 ? cpam_below(flo) : 0.0;
    const __m512d fv = _mm512_set1_pd(th), zv = _mm512_setzero_pd();
    unsigned int hm, cb;
    do {
        cbits[w] = 0;
        lbits[w] = 0;
    } while (++w < nw);
    aj[0] = 0.0;
    aj[npts - 1] = 0.0;
    for (; k + 8 <= last; k += 8) {
        __m512d b0 = _mm512_loadu_pd(x + k);
        __m512d j0 = _mm512_sub_pd(_mm512_sub_pd(_mm512_loadu_pd(x + k + 1), b0),
                                   _mm512_sub_pd(b0, _mm512_loadu_pd(x + k - 1)));
        __m512d v0 = _mm512_abs_pd(j0);
        _mm512_storeu_pd(aj + k, v0);
        cb = ~(unsigned int)_mm512_cmp_pd_mask(v0, fv, _CMP_LE_OQ) & 255u;
        if (!cb)
            continue;
        hm = k >= half ? 255u : (k + 8 <= half ? 0u : (255u << (half - k)) & 255u);
        cbits[(k - 1) >> 6] |= (uint64_t)cb << ((k - 1) & 63);
        lbits[(k - 1) >> 6] |= (uint64_t)(cb & ((unsigned int)_mm512_cmp_pd_mask(j0, zv, _CMP_GT_OQ) ^ hm))
                               << ((k - 1) & 63);
    }
    for (; k < last; k++) {
        double jv = (x[k + 1] - x[k]) - (x[k] - x[k - 1]);
        double v = fabs(jv);
        aj[k] = v;
        if (!(v < flo || v == 0.0)) {
            cbits[(k - 1) >> 6] |= (uint64_t)1 << ((k - 1) & 63);
            if ((jv > 0.0) == (k < half))
                lbits[(k - 1) >> 6] |= (uint64_t)1 << ((k - 1) & 63);
        }
    }
    cbits[(npts - 3) >> 6] &= ~((uint64_t)1 << ((npts - 3) & 63));
    lbits[(npts - 3) >> 6] &= ~((uint64_t)1 << ((npts - 3) & 63));
}
#pragma GCC pop_options
#endif
#undef CPAM_ABSJ_BODY

static inline void cpam_absj(const double *x, Py_ssize_t npts, double *aj, double flo, uint64_t *cbits,
                             uint64_t *lbits) {
    CP_DISPATCH3(cpam_absj, (x, npts, aj, flo, cbits, lbits));
}

/* ---- the screens of one candidate against the rows before ---- */
/* For arcmask_scan's candidate at point k of this row, with the row one cycle back's |J| at
 * a1 = ajr1 + k + s1 and two back's at a2 = ajr2 + k + s2, both windows of +-2 points inside
 * their rows (the caller checks), match distances 1 (one cycle back, pairs) and 2:
 * bit 0: a step pair could find a reference smooth around it (the largest |J| within +-1 of
 * a1, or with `two` within +-2 of a2, below ts); NaN is skipped, so an exact smoothness test
 * (all below ts, NaN not below) that holds implies this bit;
 * bit 1: neither reference is rough for a lone step (the largest |J| within +-2 of a1 and of a2
 * below tl, NaN skipped): exactly "no |J| at or above tl" in either window (_am_rough).
 * No branch: on a masking load's noisy current these outcomes are random, and the
 * mispredicted branches of the tests one by one cost more than all of them. */
#define CPAM_MAXS(m, e) do { double e_ = (e); m = e_ > m ? e_ : m; } while (0)
static inline int cpam_screen12(const double *a1, const double *a2, double ts, double tl, int two) {
    /* (-1: below any |J|, and not NaN, so a NaN of the window is skipped, never kept) */
    double p1 = -1.0, q1, q2 = -1.0;
    CPAM_MAXS(p1, a1[-1]);
    CPAM_MAXS(p1, a1[0]);
    CPAM_MAXS(p1, a1[1]);
    q1 = p1;
    CPAM_MAXS(q1, a1[-2]);
    CPAM_MAXS(q1, a1[2]);
    CPAM_MAXS(q2, a2[-2]);
    CPAM_MAXS(q2, a2[-1]);
    CPAM_MAXS(q2, a2[0]);
    CPAM_MAXS(q2, a2[1]);
    CPAM_MAXS(q2, a2[2]);
    return ((p1 < ts) | (two & (q2 < ts))) | (((q1 < tl) & (q2 < tl)) << 1);
}
#undef CPAM_MAXS

/* ---- median of 16 values ---- */
/* The mean of the 8th and 9th smallest of a[0..15] by a selection network (Batcher's odd-even
 * merge sort of 16, pruned to the comparators that reach ranks 7 and 8; checked on all 2^16 0-1
 * inputs). Any correct selection gives the same two values, so the result equals a full sort's
 * when no value is NaN. Returns 1 (out untouched) when a value is NaN (or +inf meets -inf): the
 * caller sorts then. */
#define CPAM_CS(a, b) do { double lo_ = a < b ? a : b; b = a < b ? b : a; a = lo_; } while (0)
#define CPAM_MIN(a, b) (a = a < b ? a : b)
#define CPAM_MAX(a, b) (b = a < b ? b : a)
static inline int cpam_median16(const double *a, double *out) {
    double v0 = a[0], v1 = a[1], v2 = a[2], v3 = a[3], v4 = a[4], v5 = a[5], v6 = a[6], v7 = a[7];
    double v8 = a[8], v9 = a[9], v10 = a[10], v11 = a[11], v12 = a[12], v13 = a[13], v14 = a[14], v15 = a[15];
    /* the sum is NaN when a value is (or when +inf and -inf meet: sorting then too) */
    double sum = (((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7))) + (((v8 + v9) + (v10 + v11)) + ((v12 + v13) + (v14 + v15)));
    if (sum != sum)
        return 1;
#if CP_X86
    {
        /* the two 8-sorts side by side, lane 0 values 0..7 and lane 1 values 8..15 (minpd/maxpd
         * select the same values as the scalar exchange: no NaN here) */
        __m128d p0 = _mm_setr_pd(v0, v8), p1 = _mm_setr_pd(v1, v9), p2 = _mm_setr_pd(v2, v10);
        __m128d p3 = _mm_setr_pd(v3, v11), p4 = _mm_setr_pd(v4, v12), p5 = _mm_setr_pd(v5, v13);
        __m128d p6 = _mm_setr_pd(v6, v14), p7 = _mm_setr_pd(v7, v15);
#define CPAM_VCS(a, b) do { __m128d lo_ = _mm_min_pd(a, b); b = _mm_max_pd(a, b); a = lo_; } while (0)
        CPAM_VCS(p0, p1); CPAM_VCS(p2, p3); CPAM_VCS(p0, p2); CPAM_VCS(p1, p3); CPAM_VCS(p1, p2);
        CPAM_VCS(p4, p5); CPAM_VCS(p6, p7); CPAM_VCS(p4, p6); CPAM_VCS(p5, p7); CPAM_VCS(p5, p6);
        CPAM_VCS(p0, p4); CPAM_VCS(p2, p6); CPAM_VCS(p2, p4); CPAM_VCS(p1, p5); CPAM_VCS(p3, p7);
        CPAM_VCS(p3, p5); CPAM_VCS(p1, p2); CPAM_VCS(p3, p4); CPAM_VCS(p5, p6);
#undef CPAM_VCS
        v0 = p0[0]; v8 = p0[1]; v1 = p1[0]; v9 = p1[1]; v2 = p2[0]; v10 = p2[1]; v3 = p3[0]; v11 = p3[1];
        v4 = p4[0]; v12 = p4[1]; v5 = p5[0]; v13 = p5[1]; v6 = p6[0]; v14 = p6[1]; v7 = p7[0]; v15 = p7[1];
    }
#else
    CPAM_CS(v0, v1); CPAM_CS(v2, v3); CPAM_CS(v0, v2); CPAM_CS(v1, v3); CPAM_CS(v1, v2);
    CPAM_CS(v4, v5); CPAM_CS(v6, v7); CPAM_CS(v4, v6); CPAM_CS(v5, v7); CPAM_CS(v5, v6);
    CPAM_CS(v0, v4); CPAM_CS(v2, v6); CPAM_CS(v2, v4); CPAM_CS(v1, v5); CPAM_CS(v3, v7);
    CPAM_CS(v3, v5); CPAM_CS(v1, v2); CPAM_CS(v3, v4); CPAM_CS(v5, v6);
    CPAM_CS(v8, v9); CPAM_CS(v10, v11); CPAM_CS(v8, v10); CPAM_CS(v9, v11); CPAM_CS(v9, v10);
    CPAM_CS(v12, v13); CPAM_CS(v14, v15); CPAM_CS(v12, v14); CPAM_CS(v13, v15); CPAM_CS(v13, v14);
    CPAM_CS(v8, v12); CPAM_CS(v10, v14); CPAM_CS(v10, v12); CPAM_CS(v9, v13); CPAM_CS(v11, v15);
    CPAM_CS(v11, v13); CPAM_CS(v9, v10); CPAM_CS(v11, v12); CPAM_CS(v13, v14);
#endif
    CPAM_MAX(v0, v8); CPAM_MIN(v4, v12); CPAM_MAX(v4, v8); CPAM_MAX(v2, v10); CPAM_MIN(v6, v14);
    CPAM_MIN(v6, v10); CPAM_MAX(v6, v8); CPAM_MAX(v1, v9); CPAM_MIN(v5, v13); CPAM_MAX(v5, v9);
    CPAM_MAX(v3, v11); CPAM_MIN(v7, v15); CPAM_MIN(v7, v11); CPAM_MIN(v7, v9); CPAM_CS(v7, v8);
    *out = 0.5 * (v7 + v8);
    return 0;
}
#undef CPAM_CS
#undef CPAM_MIN
#undef CPAM_MAX

#endif
