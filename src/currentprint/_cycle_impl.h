/* One instruction-set copy of the per-cycle kernel; included by _cycle.h with CP_ISA defined
 * (every name gets the suffix _<CP_ISA> through CPF, so the copies do not collide). */

#define CPF(name) CP_CAT(name, CP_ISA)

#if CP_ISA_AVX2
static inline __attribute__((always_inline)) cp_v4d CPF(ld4)(const double *p) { return *(const cp_v4du *)p; }
static inline __attribute__((always_inline)) void CPF(st4)(double *p, cp_v4d v) { *(cp_v4du *)p = v; }
#else
/* 128-bit halves spelled out: GCC's generic lowering of a 256-bit store otherwise goes through the stack */
static inline __attribute__((always_inline)) cp_v4d CPF(ld4)(const double *p) {
    cp_v2d a = *(const cp_v2du *)p, b = *(const cp_v2du *)(p + 2);
    return (cp_v4d){a[0], a[1], b[0], b[1]};
}
static inline __attribute__((always_inline)) void CPF(st4)(double *p, cp_v4d v) {
    *(cp_v2du *)p = (cp_v2d){v[0], v[1]};
    *(cp_v2du *)(p + 2) = (cp_v2d){v[2], v[3]};
}
#endif
static inline __attribute__((always_inline)) cp_v4d CPF(bc4)(double s) { return (cp_v4d){s, s, s, s}; }
/* a > b ? a : b lane by lane (the semantics of maxpd; inputs are finite here) */
static inline __attribute__((always_inline)) cp_v4d CPF(vmax)(cp_v4d a, cp_v4d b) {
#if CP_ISA_AVX2
    return (cp_v4d)_mm256_max_pd((__m256d)a, (__m256d)b);
#elif CP_X86
    /* maxpd(a, b) is exactly a > b ? a : b */
    cp_v2d lo = (cp_v2d)_mm_max_pd((__m128d){a[0], a[1]}, (__m128d){b[0], b[1]});
    cp_v2d hi = (cp_v2d)_mm_max_pd((__m128d){a[2], a[3]}, (__m128d){b[2], b[3]});
    return (cp_v4d){lo[0], lo[1], hi[0], hi[1]};
#else
    cp_v4l m = a > b;
    return (cp_v4d)((m & (cp_v4l)a) | (~m & (cp_v4l)b));
#endif
}
static inline __attribute__((always_inline)) cp_v4d CPF(vabs)(cp_v4d a) {
    return (cp_v4d)((cp_v4l)a & (cp_v4l){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX});
}
/* a > b ? a : b for scalars, as maxsd (no branch: GCC otherwise may branch, which mispredicts on data).
 * AVX2: inline assembly, because through _mm_max_sd(_mm_set_sd(a), _mm_set_sd(b)) GCC zeroes the upper
 * lanes first (a vmovq per operand, one of them on the framing scan's chain of peaks). */
static inline __attribute__((always_inline)) double CPF(smax)(double a, double b) {
#if CP_X86 && CP_ISA_AVX2
    double r;
    __asm__("vmaxsd %2, %1, %0" : "=x"(r) : "x"(a), "x"(b));
    return r;
#elif CP_X86
    /* (the SSE2 copy: the intrinsics measured faster there than the two-operand maxsd in assembly) */
    return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_set_sd(b)));
#else
    return a > b ? a : b;
#endif
}
static inline __attribute__((always_inline)) double CPF(hmax)(cp_v4d v) {
    double a = v[0] > v[1] ? v[0] : v[1], b = v[2] > v[3] ? v[2] : v[3];
    return a > b ? a : b;
}

/* The native vector of this copy: 4 doubles with AVX2, 2 elsewhere (SSE2, NEON; a 4-wide generic vector
 * there is lowered through the stack in places). The hot loops are written with it: lane by lane they do
 * the same operations at either width; the copies differ only where CP_FMAV/CP_FMSV fuse (AVX2). */
#if CP_ISA_AVX2
#define CP_VW 4
#define CP_VD cp_v4d
#define CP_VI cp_v4i
#define CP_LDV(p) CPF(ld4)(p)
#define CP_STV(p, v) CPF(st4)((p), (v))
#define CP_BCV(s) CPF(bc4)(s)
#else
#define CP_VW 2
#define CP_VD cp_v2d
#define CP_VI cp_v2i
#define CP_LDV(p) (*(const cp_v2du *)(p))
#define CP_STV(p, v) (*(cp_v2du *)(p) = (v))
#define CP_BCV(s) ((cp_v2d){(s), (s)})
#endif

/* a * b + c: one fused multiply-add (one rounding) in the AVX2 copy, two roundings elsewhere; the
 * copies then differ by rounding (~1e-16 relative), as allowed (results within 1e-9) */
#if CP_VW == 4
#define CP_FMAV(a, b, c) ((cp_v4d)_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#define CP_FMSV(a, b, c) ((cp_v4d)_mm256_fmsub_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#else
#define CP_FMAV(a, b, c) ((a) * (b) + (c))
#define CP_FMSV(a, b, c) ((a) * (b) - (c))
#endif

/* lanes of re and im stored as (re0, im0, re1, im1, ...) */
#if defined(__clang__) || __GNUC__ >= 12
#if CP_VW == 4
#define CP_ST_PAIRS(p, r, q) do { CP_STV((p), __builtin_shufflevector((r), (q), 0, 4, 1, 5)); \
        CP_STV((p) + 4, __builtin_shufflevector((r), (q), 2, 6, 3, 7)); } while (0)
#else
#define CP_ST_PAIRS(p, r, q) do { CP_STV((p), __builtin_shufflevector((r), (q), 0, 2)); \
        CP_STV((p) + 2, __builtin_shufflevector((r), (q), 1, 3)); } while (0)
#endif
#else
#if CP_VW == 4
#define CP_ST_PAIRS(p, r, q) do { CP_STV((p), __builtin_shuffle((r), (q), (cp_v4l){0, 4, 1, 5})); \
        CP_STV((p) + 4, __builtin_shuffle((r), (q), (cp_v4l){2, 6, 3, 7})); } while (0)
#else
#define CP_ST_PAIRS(p, r, q) do { CP_STV((p), __builtin_shuffle((r), (q), (cp_v2l){0, 2})); \
        CP_STV((p) + 2, __builtin_shuffle((r), (q), (cp_v2l){1, 3})); } while (0)
#endif
#endif

/* lane-wise max (a > b ? a : b), |a|, horizontal max, and CP_NV vectors per group of four lanes */
#if CP_VW == 4
#define CP_VL cp_v4l
#define CP_VMAX(a, b) CPF(vmax)((a), (b))
#define CP_VABS(a) CPF(vabs)(a)
#define CP_HMAXV(v) CPF(hmax)(v)
#define CP_NV 1
/* lane l of a group of four: lane l % CP_VW of vector l / CP_VW */
#define CP_LANE4(arr, l) ((arr)[0][(l)])
#else
#define CP_VL cp_v2l
static inline __attribute__((always_inline)) cp_v2d CPF(vmax2)(cp_v2d a, cp_v2d b) {
#if CP_X86
    return (cp_v2d)_mm_max_pd((__m128d)a, (__m128d)b);
#else
    cp_v2l m = a > b;
    return (cp_v2d)((m & (cp_v2l)a) | (~m & (cp_v2l)b));
#endif
}
#define CP_VMAX(a, b) CPF(vmax2)((a), (b))
#define CP_VABS(a) ((cp_v2d)((cp_v2l)(a) & (cp_v2l){INT64_MAX, INT64_MAX}))
#define CP_HMAXV(v) ((v)[0] > (v)[1] ? (v)[0] : (v)[1])
#define CP_NV 2
#define CP_LANE4(arr, l) ((arr)[(l) >> 1][(l) & 1])
#endif
/* ((l0 + l1) + (l2 + l3)) of a group of four lanes, and their max */
#define CP_HSUM4(arr) ((CP_LANE4(arr, 0) + CP_LANE4(arr, 1)) + (CP_LANE4(arr, 2) + CP_LANE4(arr, 3)))
#define CP_HMAX4(arr, out) do { double a_ = CP_LANE4(arr, 0) > CP_LANE4(arr, 1) ? CP_LANE4(arr, 0) : CP_LANE4(arr, 1); \
        double b_ = CP_LANE4(arr, 2) > CP_LANE4(arr, 3) ? CP_LANE4(arr, 2) : CP_LANE4(arr, 3);                     \
        (out) = a_ > b_ ? a_ : b_; } while (0)

static void CPF(cfft_late)(double *re, double *im, Py_ssize_t m, const double *tw_r, const double *tw_i);

/* Stages 1 (size 2, twiddle 1) and 2 (size 4, twiddles 1 and -i; (-i) z = (im, -re)) of the radix-2
 * FFT on one group of four points z0..z3 (already in bit-reversed order), written to re/im[0..3]: the
 * same operations as two passes, half the memory traffic. */
static inline __attribute__((always_inline)) void CPF(stages12)(double r0, double i0, double r1, double i1,
                                                                double r2, double i2, double r3, double i3,
                                                                double *re, double *im) {
    double s0r = r0 + r1, s0i = i0 + i1, s1r = r0 - r1, s1i = i0 - i1;
    double s2r = r2 + r3, s2i = i2 + i3, s3r = r2 - r3, s3i = i2 - i3;
    double tr = s3i, ti = -s3r;
    re[2] = s0r - s2r; im[2] = s0i - s2i;
    re[0] = s0r + s2r; im[0] = s0i + s2i;
    re[3] = s1r - tr; im[3] = s1i - ti;
    re[1] = s1r + tr; im[1] = s1i + ti;
}

/* In-place forward radix-2 FFT of m points in bit-reversed order (split re/im). */
static void CPF(cfft)(double *re, double *im, Py_ssize_t m, const double *tw_r, const double *tw_i) {
    Py_ssize_t a;
    double tr, ti;
    if (m >= 4) {
        for (a = 0; a < m; a += 4)
            CPF(stages12)(re[a], im[a], re[a + 1], im[a + 1], re[a + 2], im[a + 2], re[a + 3], im[a + 3],
                          re + a, im + a);
    } else {
        for (a = 0; a < m; a += 2) {
            tr = re[a + 1]; ti = im[a + 1];
            re[a + 1] = re[a] - tr; im[a + 1] = im[a] - ti;
            re[a] = re[a] + tr; im[a] = im[a] + ti;
        }
    }
    CPF(cfft_late)(re, im, m, tw_r, tw_i);
}

/* The same transform of the m points z[j] = x[2j] + i x[2j+1] read in natural order (m >= 4): the
 * bit-reversal permutation is folded into stages 1-2, which read their group of four straight from x
 * (for a multiple of 4, rev[a + 1] = rev[a] + m/2, rev[a + 2] = rev[a] + m/4, rev[a + 3] = rev[a] + 3m/4).
 * Same operations as permuting into re/im first and calling cfft. With m/4 a multiple of the vector
 * width, CP_VW groups run side by side: the groups whose first point is z[r .. r+CP_VW-1] (rev[a] = r + g)
 * read their four inputs as whole vectors, and a transpose writes each group's four outputs to
 * re/im[a .. a+3] (additions and subtractions only: the same results as the scalar groups). */
static inline __attribute__((always_inline)) void CPF(cfft_late_k)(double *re, double *im, const Py_ssize_t m,
                                                                   const double *tw_r, const double *tw_i);
static inline __attribute__((always_inline)) void CPF(cfft_x_k)(const double *x, double *re, double *im,
                                                                const Py_ssize_t m, const Py_ssize_t *rev,
                                                                const double *tw_r, const double *tw_i) {
    Py_ssize_t a, h = m >> 1, q = m >> 2, r;
    if (q % CP_VW == 0) {
        for (r = 0; r < q; r += CP_VW) {
            CP_VD xr[4], xi[4];
            const Py_ssize_t off[4] = {r, r + h, r + q, r + h + q};
            int u;
            for (u = 0; u < 4; u++) {
                const double *p = x + 2 * off[u];
#if CP_VW == 4
                /* lanes hold the groups in the order 0, 2, 1, 3 (that of unpcklpd/unpckhpd) */
                __m256d lo = _mm256_loadu_pd(p), hi = _mm256_loadu_pd(p + 4);
                xr[u] = (CP_VD)_mm256_unpacklo_pd(lo, hi);
                xi[u] = (CP_VD)_mm256_unpackhi_pd(lo, hi);
#else
                CP_VD lo = CP_LDV(p), hi = CP_LDV(p + 2);
                xr[u] = (CP_VD){lo[0], hi[0]};
                xi[u] = (CP_VD){lo[1], hi[1]};
#endif
            }
            CP_VD s0r = xr[0] + xr[1], s0i = xi[0] + xi[1], s1r = xr[0] - xr[1], s1i = xi[0] - xi[1];
            CP_VD s2r = xr[2] + xr[3], s2i = xi[2] + xi[3], s3r = xr[2] - xr[3], s3i = xi[2] - xi[3];
            /* (-i) z3 = (s3i, -s3r): s1 + (-i) z3 and s1 - (-i) z3 */
            CP_VD o0r = s0r + s2r, o0i = s0i + s2i, o2r = s0r - s2r, o2i = s0i - s2i;
            CP_VD o1r = s1r + s3i, o1i = s1i - s3r, o3r = s1r - s3i, o3i = s1i + s3r;
#if CP_VW == 4
#define CP_T4(O0, O1, O2, O3, dst) do {                                                     \
        __m256d t0 = _mm256_unpacklo_pd((__m256d)(O0), (__m256d)(O1));                  \
        __m256d t1 = _mm256_unpackhi_pd((__m256d)(O0), (__m256d)(O1));                  \
        __m256d t2 = _mm256_unpacklo_pd((__m256d)(O2), (__m256d)(O3));                  \
        __m256d t3 = _mm256_unpackhi_pd((__m256d)(O2), (__m256d)(O3));                  \
        _mm256_storeu_pd((dst) + rev[r], _mm256_permute2f128_pd(t0, t2, 0x20));         \
        _mm256_storeu_pd((dst) + rev[r + 2], _mm256_permute2f128_pd(t1, t3, 0x20));     \
        _mm256_storeu_pd((dst) + rev[r + 1], _mm256_permute2f128_pd(t0, t2, 0x31));     \
        _mm256_storeu_pd((dst) + rev[r + 3], _mm256_permute2f128_pd(t1, t3, 0x31));     \
    } while (0)
#else
#define CP_T4(O0, O1, O2, O3, dst) do {                                                     \
        CP_STV((dst) + rev[r], ((CP_VD){(O0)[0], (O1)[0]}));                            \
        CP_STV((dst) + rev[r] + 2, ((CP_VD){(O2)[0], (O3)[0]}));                        \
        CP_STV((dst) + rev[r + 1], ((CP_VD){(O0)[1], (O1)[1]}));                        \
        CP_STV((dst) + rev[r + 1] + 2, ((CP_VD){(O2)[1], (O3)[1]}));                    \
    } while (0)
#endif
            CP_T4(o0r, o1r, o2r, o3r, re);
            CP_T4(o0i, o1i, o2i, o3i, im);
#undef CP_T4
        }
    } else {
        for (a = 0; a < m; a += 4) {
            const double *z0 = x + 2 * rev[a], *z1 = z0 + 2 * h, *z2 = z0 + 2 * q, *z3 = z0 + 2 * (h + q);
            CPF(stages12)(z0[0], z0[1], z1[0], z1[1], z2[0], z2[1], z3[0], z3[1], re + a, im + a);
        }
    }
    CPF(cfft_late_k)(re, im, m, tw_r, tw_i);
}

static void CPF(cfft_x)(const double *x, double *re, double *im, Py_ssize_t m, const Py_ssize_t *rev,
                        const double *tw_r, const double *tw_i) {
    CPF(cfft_x_k)(x, re, im, m, rev, tw_r, tw_i);
}

/* stages of half-size >= 4 of the in-place FFT, CP_VW butterflies at a time (inlined where m is a
 * constant: the short loops of a small transform are then unrolled) */
static inline __attribute__((always_inline)) void CPF(cfft_late_k)(double *re, double *im, const Py_ssize_t m,
                                                                   const double *tw_r, const double *tw_i) {
    Py_ssize_t size = 8, half, start, t, nst = 0;
    for (half = 8; half <= m; half <<= 1)
        nst++;
    if (nst & 1) {      /* an odd number of stages: the first alone */
        half = 4;
        for (start = 0; start < m; start += 8) for (t = 0; t < 4; t += CP_VW) {
            double *ra = re + start + t, *ia = im + start + t, *rb = ra + half, *ib = ia + half;
            CP_VD wr = CP_LDV(tw_r + half + t), wi = CP_LDV(tw_i + half + t);
            CP_VD br = CP_LDV(rb), bi = CP_LDV(ib);
            CP_VD vr = CP_FMSV(wr, br, wi * bi);
            CP_VD vi = CP_FMAV(wr, bi, wi * br);
            CP_VD xr = CP_LDV(ra), xi = CP_LDV(ia);
            CP_STV(rb, xr - vr); CP_STV(ib, xi - vi);
            CP_STV(ra, xr + vr); CP_STV(ia, xi + vi);
        }
        size = 16;
    }
    /* then two stages (sizes s and 2s) per pass over each block of 2s points, the data of a block's
     * four quarters kept in registers between them: the same butterflies as two separate passes */
#define CP_BFLY(WR, WI, XR, XI, BR, BI)                                  \
    do {                                                                 \
        CP_VD vr_ = CP_FMSV((WR), (BR), (WI) * (BI));                   \
        CP_VD vi_ = CP_FMAV((WR), (BI), (WI) * (BR));                   \
        BR = XR - vr_; BI = XI - vi_;                                    \
        XR = XR + vr_; XI = XI + vi_;                                    \
    } while (0)
    for (; size * 2 <= m; size <<= 2) {
        half = size >> 1;
        for (start = 0; start < m; start += 2 * size) {
            double *r0 = re + start, *i0 = im + start;
            for (t = 0; t < half; t += CP_VW) {
                CP_VD ar = CP_LDV(r0 + t), ai = CP_LDV(i0 + t);
                CP_VD br = CP_LDV(r0 + half + t), bi = CP_LDV(i0 + half + t);
                CP_VD cr = CP_LDV(r0 + 2 * half + t), ci = CP_LDV(i0 + 2 * half + t);
                CP_VD dr = CP_LDV(r0 + 3 * half + t), di = CP_LDV(i0 + 3 * half + t);
                CP_VD w1r = CP_LDV(tw_r + half + t), w1i = CP_LDV(tw_i + half + t);
                CP_BFLY(w1r, w1i, ar, ai, br, bi);
                CP_BFLY(w1r, w1i, cr, ci, dr, di);
                CP_VD w2r = CP_LDV(tw_r + size + t), w2i = CP_LDV(tw_i + size + t);
                CP_BFLY(w2r, w2i, ar, ai, cr, ci);
                w2r = CP_LDV(tw_r + size + half + t); w2i = CP_LDV(tw_i + size + half + t);
                CP_BFLY(w2r, w2i, br, bi, dr, di);
                CP_STV(r0 + t, ar); CP_STV(i0 + t, ai);
                CP_STV(r0 + half + t, br); CP_STV(i0 + half + t, bi);
                CP_STV(r0 + 2 * half + t, cr); CP_STV(i0 + 2 * half + t, ci);
                CP_STV(r0 + 3 * half + t, dr); CP_STV(i0 + 3 * half + t, di);
            }
        }
    }
#undef CP_BFLY
}

static void CPF(cfft_late)(double *re, double *im, Py_ssize_t m, const double *tw_r, const double *tw_i) {
    CPF(cfft_late_k)(re, im, m, tw_r, tw_i);
}

/* lanes in reverse order */
#if CP_VW == 4
#if defined(__clang__) || __GNUC__ >= 12
#define CP_REVV(v) __builtin_shufflevector((v), (v), 3, 2, 1, 0)
#else
#define CP_REVV(v) __builtin_shuffle((v), (cp_v4l){3, 2, 1, 0})
#endif
#else
#if defined(__clang__) || __GNUC__ >= 12
#define CP_REVV(v) __builtin_shufflevector((v), (v), 1, 0)
#else
#define CP_REVV(v) __builtin_shuffle((v), (cp_v2l){1, 0})
#endif
#endif
/* Bins k..k+CP_VW-1 of the real spectrum from the half-size complex transform Z (k >= 1, k + CP_VW <= m):
 * the scalar formulas of cp_rfft, in vector lanes (Z[m-k] read backwards). */
static inline __attribute__((always_inline)) void CPF(splitv)(const double *wre, const double *wim, double *fr,
                                                              double *fi, Py_ssize_t k, Py_ssize_t m,
                                                              const double *cos_t, const double *sin_t) {
    CP_VD zr = CP_LDV(wre + k), zi = CP_LDV(wim + k);
    CP_VD cr = CP_REVV(CP_LDV(wre + m - k - (CP_VW - 1))), ci = -CP_REVV(CP_LDV(wim + m - k - (CP_VW - 1)));
    CP_VD er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci);
    CP_VD orr = 0.5 * (zi - ci), oi = -0.5 * (zr - cr);
    CP_VD wr = CP_LDV(cos_t + k), wi = -CP_LDV(sin_t + k);
    CP_STV(fr + k, er + CP_FMSV(wr, orr, wi * oi));
    CP_STV(fi + k, ei + CP_FMAV(wr, oi, wi * orr));
}

/* Real FFT of n points into bins 0..n/2 (fr, fi of n/2 + 1): even/odd samples packed into one
 * complex sequence of n/2 points (written in bit-reversed order), transformed, then separated.
 * Bins kmax+1..n/2-1 are left unset when kmax < n/2 - 1 (a caller that needs only the low orders). */
static void CPF(rfft_k)(const double *x, double *fr, double *fi, double *wre, double *wim, Py_ssize_t n,
                        const Py_ssize_t *rev, const double *cos_t, const double *sin_t,
                        const double *tw_r, const double *tw_i, Py_ssize_t kmax) {
    Py_ssize_t m = n >> 1, j, k, kc;
    double er, ei, orr, oi, zr, zi, cr, ci, wr, wi;
    if (m >= 4) {
        CPF(cfft_x)(x, wre, wim, m, rev, tw_r, tw_i);
    } else {
        for (j = 0; j < m; j++) {
            k = rev[j];
            wre[k] = x[2 * j];
            wim[k] = x[2 * j + 1];
        }
        CPF(cfft)(wre, wim, m, tw_r, tw_i);
    }
    if (kmax > m - 1)
        kmax = m - 1;
    fr[0] = wre[0] + wim[0];
    fi[0] = 0.0;
    fr[m] = wre[0] - wim[0];
    fi[m] = 0.0;
    for (k = 1; k + CP_VW <= m && k <= kmax; k += CP_VW)
        CPF(splitv)(wre, wim, fr, fi, k, m, cos_t, sin_t);
    for (; k <= kmax; k++) {
        kc = m - k;
        zr = wre[k]; zi = wim[k];
        cr = wre[kc]; ci = -wim[kc];            /* conj(Z[m-k]) */
        er = 0.5 * (zr + cr); ei = 0.5 * (zi + ci);
        orr = 0.5 * (zi - ci); oi = -0.5 * (zr - cr);
        wr = cos_t[k]; wi = -sin_t[k];          /* exp(-2 pi i k / n) */
        fr[k] = er + wr * orr - wi * oi;
        fi[k] = ei + wr * oi + wi * orr;
    }
}

/* every bin */
static void CPF(cp_rfft)(const double *x, double *fr, double *fi, double *wre, double *wim, Py_ssize_t n,
                         const Py_ssize_t *rev, const double *cos_t, const double *sin_t,
                         const double *tw_r, const double *tw_i) {
    CPF(rfft_k)(x, fr, fi, wre, wim, n, rev, cos_t, sin_t, tw_r, tw_i, n);
}

/* The same for two real sequences at once (current and voltage): more independent work per loop;
 * bins 1..kmax (and 0, n/2) only. */
static inline __attribute__((always_inline)) void CPF(rfft2_k)(const double *x, const double *y, double *fr,
                                                               double *fi, double *gr, double *gi, double *wre,
                                                               double *wim, double *vre, double *vim,
                                                               const Py_ssize_t n, const cp_params *P,
                                                               Py_ssize_t kmax) {
    Py_ssize_t m = n >> 1, j, k, kc;
    const Py_ssize_t *rev = P->rev;
    const double *cos_t = P->cos_t, *sin_t = P->sin_t;
    double er, ei, orr, oi, zr, zi, cr, ci, wr, wi;
    if (m >= 4) {
        CPF(cfft_x_k)(x, wre, wim, m, rev, P->tw_r, P->tw_i);
        CPF(cfft_x_k)(y, vre, vim, m, rev, P->tw_r, P->tw_i);
    } else {
        for (j = 0; j < m; j++) {
            k = rev[j];
            wre[k] = x[2 * j]; wim[k] = x[2 * j + 1];
            vre[k] = y[2 * j]; vim[k] = y[2 * j + 1];
        }
        CPF(cfft)(wre, wim, m, P->tw_r, P->tw_i);
        CPF(cfft)(vre, vim, m, P->tw_r, P->tw_i);
    }
    if (kmax > m - 1)
        kmax = m - 1;
    fr[0] = wre[0] + wim[0]; fi[0] = 0.0; fr[m] = wre[0] - wim[0]; fi[m] = 0.0;
    gr[0] = vre[0] + vim[0]; gi[0] = 0.0; gr[m] = vre[0] - vim[0]; gi[m] = 0.0;
    for (k = 1; k + CP_VW <= m && k <= kmax; k += CP_VW) {
        CPF(splitv)(wre, wim, fr, fi, k, m, cos_t, sin_t);
        CPF(splitv)(vre, vim, gr, gi, k, m, cos_t, sin_t);
    }
    for (; k <= kmax; k++) {
        kc = m - k;
        wr = cos_t[k]; wi = -sin_t[k];
        zr = wre[k]; zi = wim[k]; cr = wre[kc]; ci = -wim[kc];
        er = 0.5 * (zr + cr); ei = 0.5 * (zi + ci);
        orr = 0.5 * (zi - ci); oi = -0.5 * (zr - cr);
        fr[k] = er + wr * orr - wi * oi;
        fi[k] = ei + wr * oi + wi * orr;
        zr = vre[k]; zi = vim[k]; cr = vre[kc]; ci = -vim[kc];
        er = 0.5 * (zr + cr); ei = 0.5 * (zi + ci);
        orr = 0.5 * (zi - ci); oi = -0.5 * (zr - cr);
        gr[k] = er + wr * orr - wi * oi;
        gi[k] = ei + wr * oi + wi * orr;
    }
}

/* the two channels' spectra; the default grid at 6.4 and 8 kHz (128 points) with its sizes as
 * constants, so that the compiler unrolls the FFT's short loops (same operations) */
static void CPF(rfft2)(const double *x, const double *y, double *fr, double *fi, double *gr, double *gi,
                       double *wre, double *wim, double *vre, double *vim, Py_ssize_t n, const cp_params *P,
                       Py_ssize_t kmax) {
#if CP_ISA_AVX2
    if (n == 128)
        CPF(rfft2_k)(x, y, fr, fi, gr, gi, wre, wim, vre, vim, 128, P, kmax);
    else
#endif
        CPF(rfft2_k)(x, y, fr, fi, gr, gi, wre, wim, vre, vim, n, P, kmax);
}

/* Lagrange weights of points j..j+CP_VW-1 and the first stencil index of each, in vector lanes, computed
 * in the tap loop (kept in registers, never stored): w_k = prod_{j != k} (mu - x_j) / prod (x_k - x_j)
 * at the nodes x_j = -2..3. The nodes are symmetric about 1/2: with t = mu - 1/2 the factors pair up as
 * (mu + 2)(mu - 3) = t^2 - 6.25, (mu + 1)(mu - 2) = t^2 - 2.25, mu (mu - 1) = t^2 - 0.25 (additions), and
 * each weight is the product of two of these pairs times its remaining factor over its denominator, a
 * linear function of t: 14 multiplications per vector instead of 19 (the multiply units bound this loop;
 * AVX2 copies only, the 2-wide copies keep the product form). At mu = 0 (a grid point on a sample) the
 * weights are 0, 0, 1, 0, 0, 0 in either form, bit for bit: the sample is copied exactly. */
static inline __attribute__((always_inline)) void CPF(weightsv)(CP_VD jv, CP_VD stepv, CP_VI *iv_out,
                                                                CP_VD *W) {
    CP_VD p = jv * stepv;
    CP_VI iv = __builtin_convertvector(p, CP_VI);    /* p >= 0: truncation is floor */
#if CP_VW == 4
    /* floor(p) is the same double as (double) iv, in one instruction (GCC converts iv back in halves) */
    CP_VD mu = p - (CP_VD)_mm256_floor_pd((__m256d)p);
#else
    CP_VD mu = p - __builtin_convertvector(iv, CP_VD);
#endif
    *iv_out = iv;
#if CP_ISA_AVX2
    CP_VD t = mu - 0.5, s = t * t;
    CP_VD af = s - 6.25, be = s - 2.25, cd = s - 0.25;
    /* each weight leaves out one factor: the pair products without it */
    CP_VD G = be * cd, H = af * cd, K = af * be;
    CP_VD t120 = t * (1.0 / 120.0), t24 = t * (1.0 / 24.0), t12 = t * (1.0 / 12.0);
    W[0] = G * ((1.0 / 48.0) - t120);       /* -(mu - 3) / 120 */
    W[1] = H * (t24 - (1.0 / 16.0));        /*  (mu - 2) / 24 */
    W[2] = K * ((1.0 / 24.0) - t12);        /* -(mu - 1) / 12 */
    W[3] = K * (t12 + (1.0 / 24.0));        /*  mu / 12 */
    W[4] = H * ((-1.0 / 16.0) - t24);       /* -(mu + 1) / 24 */
    W[5] = G * (t120 + (1.0 / 48.0));       /*  (mu + 2) / 120 */
#else
    /* the 2-wide copies (SSE2, NEON): the product form, which measured faster there (3 % on SSE2) */
    CP_VD a = mu + 2.0, b = mu + 1.0, c = mu, d = mu - 1.0, e = mu - 2.0, f = mu - 3.0;
    CP_VD ab = a * b, ef = e * f, cd = c * d;
    /* each weight leaves out one factor: three shared products of four factors */
    CP_VD cdef = cd * ef, abef = ab * ef, abcd = ab * cd;
    W[0] = b * (-1.0 / 120.0) * cdef;
    W[1] = a * (1.0 / 24.0) * cdef;
    W[2] = d * (-1.0 / 12.0) * abef;
    W[3] = c * (1.0 / 12.0) * abef;
    W[4] = f * (-1.0 / 24.0) * abcd;
    W[5] = e * (1.0 / 120.0) * abcd;
#endif
}

/* int16 samples of one cycle widened to float64 (exact), so that the cycle runs through the float64
 * copy: its taps then load plain doubles instead of converting every sample six times. */
static void CPF(widen_i16)(const short *x, double *out, Py_ssize_t n) {
    Py_ssize_t k = 0;
#if CP_ISA_AVX2
    /* four at a time: one load, sign extension and conversion (exact), fewer instructions than
     * GCC's vectorised loop with its scalar remainder of up to 15 samples */
    for (; k + 4 <= n; k += 4)
        CPF(st4)(out + k, (cp_v4d)_mm256_cvtepi32_pd(_mm_cvtepi16_epi32(_mm_loadl_epi64((const __m128i *)(x + k)))));
#endif
    for (; k < n; k++)
        out[k] = (double)x[k];
}

/* float32 samples of one cycle widened to float64 (exact), for the same reason */
static void CPF(widen_f32)(const float *x, double *out, Py_ssize_t n) {
    Py_ssize_t k;
    for (k = 0; k < n; k++)
        out[k] = (double)x[k];
}

/* Harmonic k (unnormalised FFT bin fr + j fi) scaled by norm, rotated by (rot_r, rot_i) onto the
 * voltage fundamental and stored at d[2(k-1)], d[2(k-1)+1]; its power joins *hsum from k = 2 on.
 * The scalar tail of the harmonic rotation, the same for the current and the voltage. */
static inline __attribute__((always_inline)) void CPF(rot1)(double fr, double fi, double norm, double rot_r,
                                                            double rot_i, Py_ssize_t k, double *d, double *hsum) {
    double cr = fr * norm, ci = fi * norm;
    d[2 * (k - 1)] = cr * rot_r - ci * rot_i;
    d[2 * (k - 1) + 1] = cr * rot_i + ci * rot_r;
    if (k >= 2)
        *hsum = *hsum + cr * cr + ci * ci;
}

/* ---- sample-type copies ---- */
#define CP_T double
#define CP_TN f64
#define CP_FBITS 64
#define CP_LOAD4(p) CPF(ld4)(p)
#define CP_LOADV(p) CP_LDV(p)
#if CP_ISA_AVX2
#define CP_GATHER4(p, vi) ((cp_v4d)_mm256_i32gather_pd((p), (vi), 8))
#endif
#include "_cycle_tmpl.h"     /* (undefines CP_T, CP_TN, CP_FBITS, CP_LOAD4, CP_LOADV, CP_GATHER4) */

#define CP_T float
#define CP_TN f32
#define CP_FBITS 32
#define CP_LOAD4(p) __builtin_convertvector(*(const cp_v4fu *)(p), cp_v4d)
#if CP_VW == 4
#define CP_LOADV(p) CP_LOAD4(p)
#else
#define CP_LOADV(p) __builtin_convertvector(*(const cp_v2fu *)(p), cp_v2d)
#endif
#if CP_ISA_AVX2
#define CP_GATHER4(p, vi) ((cp_v4d)_mm256_cvtps_pd(_mm_i32gather_ps((p), (vi), 4)))
#endif
#include "_cycle_tmpl.h"     /* (undefines CP_T, CP_TN, CP_FBITS, CP_LOAD4, CP_LOADV, CP_GATHER4) */

#define CP_T short
#define CP_TN i16
#define CP_FBITS 0
#if CP_ISA_AVX2
/* GCC spells the generic conversion of an unaligned 4 x int16 vector lane by lane (13 instructions
 * per block of the framing scan, callgrind): one load, a sign extension and a conversion instead
 * (int16 -> int32 -> double is exact: the same values) */
#define CP_LOAD4(p) ((cp_v4d)_mm256_cvtepi32_pd(_mm_cvtepi16_epi32(_mm_loadl_epi64((const __m128i *)(p)))))
#else
#define CP_LOAD4(p) __builtin_convertvector(*(const cp_v4su *)(p), cp_v4d)
#endif
#if CP_VW == 4
#define CP_LOADV(p) CP_LOAD4(p)
#else
#define CP_LOADV(p) __builtin_convertvector(*(const cp_v2su *)(p), cp_v2d)
#endif
#include "_cycle_tmpl.h"

#undef CP_VW
#undef CP_VD
#undef CP_VI
#undef CP_LDV
#undef CP_STV
#undef CP_BCV
#undef CP_REVV
#undef CP_VL
#undef CP_VMAX
#undef CP_VABS
#undef CP_HMAXV
#undef CP_NV
#undef CP_LANE4
#undef CP_HSUM4
#undef CP_HMAX4
#undef CPF
