/* Per-cycle pass of currentprint in C (included by _core.pyx).
 *
 * Cython cannot express SIMD, so the hot loops of the per-cycle analysis live
 * here: resampling weights computed a vector of points at a time in the tap loop, current and
 * voltage taps together, a split-format complex FFT whose first two stages run a vector of
 * four-point groups side by side (transposed on store) and whose later butterflies run a vector
 * at a time, the real-FFT split only up to the stored harmonic order when nothing else reads the
 * upper bins, and the raw-sample (arc evidence) loop split at the half-cycle bounds with vector
 * accumulators. Without a sensor phase correction the active power is the mean of i v over the
 * resampled period, summed as the points are made (equal to the whole-spectrum sum by Parseval's
 * theorem, within rounding); with one it comes from the rotated spectra.
 *
 * Everything is compiled twice: a portable baseline (SSE2 on x86-64, NEON or
 * plain C elsewhere; GCC/Clang lower the 4-wide vector type to what the
 * target has) and, on x86-64 with GCC or Clang, an AVX2+FMA copy selected at run
 * time with __builtin_cpu_supports.  setup.py builds with -ffp-contract=off so
 * that the compiler fuses no multiply-adds on its own; the AVX2 copy fuses them
 * where the code says so (CP_FMAV: resampling taps), so the copies agree within
 * rounding (~1e-16 relative, tests/test_simd.py), not bit for bit.  The framing
 * scan has no fused operations: cycle bounds are identical on both copies.
 * CURRENTPRINT_SIMD=baseline (read by _core.pyx) forces the baseline copy.
 * With GCC the AVX2 copy of the per-cycle pass is compiled once more with AVX-512 available
 * (same source, 256-bit vectors, 32 registers) and chosen on CPUs that have it: bit-identical to
 * the AVX2 copy; CURRENTPRINT_SIMD=avx2 keeps the plain one (tests/test_simd_avx512.py).
 */
#ifndef CP_CYCLE_H
#define CP_CYCLE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* x86-64 specifics (SSE2 max, the AVX2 copy); CP_PORTABLE_ONLY builds the plain-vector code that
 * other targets (aarch64) compile, for testing it on x86-64 */
#if defined(__x86_64__) && !defined(CP_PORTABLE_ONLY)
#define CP_X86 1
#include <immintrin.h>
#else
#define CP_X86 0
#endif

#if !defined(__GNUC__)
#error "currentprint's kernel needs GCC or Clang (vector extensions)"
#endif

/* columns of the per-cycle block; must match the enum in _core.pyx */
enum {
    CP_C_START = 0, CP_C_PERIOD, CP_C_FREQUENCY, CP_C_I_RMS, CP_C_V_RMS, CP_C_I_PEAK,
    CP_C_V_PEAK, CP_C_I_DC, CP_C_V_DC, CP_C_P, CP_C_Q, CP_C_S, CP_C_PF, CP_C_DPF,
    CP_C_THD, CP_C_V_THD, CP_C_CREST, CP_C_I_RESIDUAL, CP_C_I_CLIPPED, CP_C_V_CLIPPED,
    CP_C_HC_PEAK_POS, CP_C_HC_PEAK_NEG, CP_C_HC_RMS_POS, CP_C_HC_RMS_NEG,
    CP_C_SHOULDER_POS, CP_C_SHOULDER_NEG, CP_C_STEP_POS, CP_C_STEP_NEG, CP_C_I_ZERO,
    CP_N_COLUMNS
};

/* error codes; must match _core.pyx */
enum { CP_OK = 0, CP_ERR_BOUNDS = 1, CP_ERR_NOMEM = 2, CP_ERR_BAD_N = 3, CP_ERR_OVERFLOW = 5 };

/* 6-point Lagrange stencil, nodes -2..3 */
#define CP_LO 2
#define CP_HI 3

typedef struct {
    Py_ssize_t npts, nh;          /* resampled points (power of two >= 4), harmonics stored */
    int has_v, want_waves, has_phase;
    double fs, i_scale, i_off, v_scale, v_off, clip, shoulder;
    const Py_ssize_t *rev;        /* bit reversal of npts/2 */
    const double *cos_t, *sin_t;  /* cos, sin(2 pi k / npts) */
    const double *tw_r, *tw_i;    /* per-stage twiddles of the npts/2 complex FFT */
    const double *rot_r, *rot_i;  /* sensor phase rotation of bin k (npts/2 + 1), when has_phase */
} cp_params;

/* doubles of scratch one cycle needs (see cp_cycle_*) */
static inline Py_ssize_t cp_work_size(Py_ssize_t npts) {
    return 2 * npts + 4 * (npts / 2 + 4) + 4 * (npts / 2) + 6 * npts + npts / 2 + 16;
}

typedef double cp_v4d __attribute__((vector_size(32)));
typedef double cp_v4du __attribute__((vector_size(32), aligned(8), may_alias));
typedef double cp_v2d __attribute__((vector_size(16)));
typedef double cp_v2du __attribute__((vector_size(16), aligned(8), may_alias));
typedef int64_t cp_v4l __attribute__((vector_size(32)));
typedef int64_t cp_v2l __attribute__((vector_size(16)));
typedef int32_t cp_v4i __attribute__((vector_size(16)));
typedef int32_t cp_v2i __attribute__((vector_size(8)));
typedef int32_t cp_v4iu __attribute__((vector_size(16), aligned(4), may_alias));
typedef int64_t cp_v4lu __attribute__((vector_size(32), aligned(8), may_alias));
typedef float cp_v4f __attribute__((vector_size(16)));
typedef float cp_v4fu __attribute__((vector_size(16), aligned(4), may_alias));
typedef float cp_v2f __attribute__((vector_size(8)));
typedef float cp_v2fu __attribute__((vector_size(8), aligned(4), may_alias));
typedef short cp_v4s __attribute__((vector_size(8)));
typedef short cp_v4su __attribute__((vector_size(8), aligned(2), may_alias));
typedef short cp_v2s __attribute__((vector_size(4)));
typedef short cp_v2su __attribute__((vector_size(4), aligned(2), may_alias));

/* Fraction in [0, 1] between samples c (<= 0) and d (> 0) where the signal crosses zero: the
 * chord, refined by Newton steps on the cubic through a, b, c, d (nodes -2..1). The chord's error,
 * about (2 pi / samples-per-cycle)^2 / 50 of a sample, would jitter the period (and every spectrum)
 * when it is not a whole number of samples; the cubic's is of fourth order. */
static inline double cp_crossing_fraction(double a, double b, double c, double d, int cubic) {
    double mu0 = c / (c - d), mu = mu0, p1, p2, p3, f, fp;
    int it;
    if (!cubic)
        return mu0;
    p1 = a / 6.0 - b + 0.5 * c + d / 3.0;
    p2 = 0.5 * b - c + 0.5 * d;
    p3 = (d - a) / 6.0 + 0.5 * (b - c);
    for (it = 0; it < 3; it++) {
        f = ((p3 * mu + p2) * mu + p1) * mu + c;
        fp = (3.0 * p3 * mu + 2.0 * p2) * mu + p1;
        if (!(fp > 0.0))
            return mu0;
        mu = mu - f / fp;
    }
    if (mu >= 0.0 && mu <= 1.0)
        return mu;
    return mu0;
}

/* State of one framing-scan lane (the S_* entries of _core.pyx that move) and its output */
typedef struct {
    double armed, peak, prev, prev2, prev3, last, have_prev, pos0;
    double *out;
    Py_ssize_t count, cap;
    int gp, warm, yl_ok;    /* prev > 0; have_prev >= 3; (AVX2) prev3..prev in yl[1..3], not yet copied */
    double yl[4];
} cp_lane;

/* The framing channel's NaN/inf and range test, made by its scan (cp_scan with chk): the sum of x * 0
 * (NaN exactly when a sample is NaN or infinite) and the largest |x|, in vector lanes. One pass over the
 * samples instead of a separate one before the scan (which, on a recording beyond the L2 cache, was the
 * pass that brought the samples in from memory). */
typedef struct {
    cp_v4d nz, mx;
} cp_chk;

/* the framing scan of a chunk of at least CP_SCAN_SPLIT_MIN samples runs as two lanes (cp_scan_split),
 * lane B's state recorded every CP_SCAN_CKB blocks of four samples, CP_SCAN_NCK times (16384 samples,
 * 2.6 s at 6.4 kHz and 0.55 s at 30 kHz, for the states to meet) */
#ifndef CP_SCAN_SPLIT_MIN
#define CP_SCAN_SPLIT_MIN 32768
#endif
#define CP_SCAN_CKB 16
#define CP_SCAN_NCK 256

/* split scans whose lanes met / did not (for benchmarks and the C test harness) */
static Py_ssize_t cp_scan_split_met = 0, cp_scan_split_unmet = 0;

static inline int cp_same_bits(double a, double b) {
    uint64_t u, v;
    memcpy(&u, &a, 8);
    memcpy(&v, &b, 8);
    return u == v;
}

#define CP_CAT_(a, b) a##_##b
#define CP_CAT(a, b) CP_CAT_(a, b)

/* ---- the baseline copy ---- */
#define CP_ISA base
#define CP_ISA_AVX2 0
#define CP_ISA_AVX512 0
#include "_cycle_impl.h"
#undef CP_ISA
#undef CP_ISA_AVX2

/* ---- the AVX2 copy (x86-64 only) ---- */
#if CP_X86 && !defined(CP_NO_AVX2)
#define CP_HAVE_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define CP_ISA avx2
#define CP_ISA_AVX2 1
#include "_cycle_impl.h"
#undef CP_ISA
#undef CP_ISA_AVX2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
#define CP_HAVE_AVX2 0
#endif

/* ---- the AVX2 copy again, compiled with AVX-512 (F, VL, DQ, BW) available (GCC, x86-64 only) ----
 * The same source and the same 256-bit vectors (prefer-vector-width=256): the compiler gets 32 vector
 * registers instead of 16 (fewer spills in the resampling, FFT and scan loops), EVEX encodings and mask
 * registers. Same operations, so the same results as the AVX2 copy, bit for bit (tests/test_simd.py
 * runs it against CURRENTPRINT_SIMD=avx2, which keeps the plain AVX2 copy). Only the per-cycle pass
 * and the FFT: the framing scan and the NaN pass measured slower or no faster so compiled. */
#if CP_HAVE_AVX2 && !defined(__clang__) && !defined(CP_NO_AVX512)
#define CP_HAVE_AVX512 1
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw,prefer-vector-width=256")
#undef CP_ISA_AVX512
#define CP_ISA avx512
#define CP_ISA_AVX2 1
#define CP_ISA_AVX512 1
#include "_cycle_impl.h"
#undef CP_ISA
#undef CP_ISA_AVX2
#pragma GCC pop_options
#else
#define CP_HAVE_AVX512 0
#endif

/* ---- run-time dispatch ---- */
static int cp_isa_level = 0;    /* 0: baseline, 1: AVX2, 2: AVX2 compiled with AVX-512 */

/* Choose the copy: want 0 forces the baseline, 1 takes the best the CPU has (AVX2, or AVX2 with
 * AVX-512 unless the environment variable CURRENTPRINT_SIMD is "avx2"). Returns the level used. */
static int cp_simd_select(int want) {
    int level = 0;
#if CP_HAVE_AVX2
    if (want) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            level = 1;
#if CP_HAVE_AVX512
        if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")) {
            const char *env = getenv("CURRENTPRINT_SIMD");
            if (env == NULL || strcmp(env, "avx2") != 0)
                level = 2;
        }
#endif
    }
#endif
    (void)want;
    cp_isa_level = level;
    return level;
}

/* CP_DISPATCH: two copies (_base, _avx2; also used by _arcmask.h); CP_DISPATCH3 adds _avx512 */
#if CP_HAVE_AVX2
#define CP_DISPATCH(name, args) (cp_isa_level ? name##_avx2 args : name##_base args)
#else
#define CP_DISPATCH(name, args) (name##_base args)
#endif
#if CP_HAVE_AVX512
#define CP_DISPATCH3(name, args) (cp_isa_level == 2 ? name##_avx512 args : CP_DISPATCH(name, args))
#else
#define CP_DISPATCH3(name, args) CP_DISPATCH(name, args)
#endif

#define CP_CYCLE_ARGS (P, xi, xv, n_len, t0, t1, base, work, out, os, col, hi, hv, wi, wv)
#define CP_CYCLE_DECL(TN, T)                                                                     \
    static int cp_cycle_##TN(const cp_params *P, const T *xi, const T *xv, Py_ssize_t n_len,     \
                             double t0, double t1, Py_ssize_t base, double *work, double *out,   \
                             Py_ssize_t os, Py_ssize_t col, double *hi, double *hv, double *wi,  \
                             double *wv) {                                                       \
        return CP_DISPATCH3(cp_cycle_##TN, CP_CYCLE_ARGS);                                        \
    }                                                                                            \
    static Py_ssize_t cp_first_nonfinite_##TN(const T *x, Py_ssize_t n, double *maxabs) {        \
        return CP_DISPATCH(cp_first_nonfinite_##TN, (x, n, maxabs));                             \
    }                                                                                            \
    static Py_ssize_t cp_scan_##TN(const T *x, Py_ssize_t n, double *state, double *out,         \
                                   Py_ssize_t cap, double offset, double decay, double hyst,     \
                                   double min_period, const double *sos, int use_filter,         \
                                   double *chk) {                                                \
        return CP_DISPATCH(cp_scan_##TN, (x, n, state, out, cap, offset, decay, hyst, min_period,  \
                                          sos, use_filter, chk));                                \
    }
CP_CYCLE_DECL(f64, double)
CP_CYCLE_DECL(f32, float)
CP_CYCLE_DECL(i16, short)

static void cp_widen_i16(const short *x, double *out, Py_ssize_t n) {
    CP_DISPATCH3(widen_i16, (x, out, n));
}

static void cp_widen_f32(const float *x, double *out, Py_ssize_t n) {
    CP_DISPATCH3(widen_f32, (x, out, n));
}

static void cp_rfft(const double *x, double *fr, double *fi, double *wre, double *wim, Py_ssize_t n,
                    const Py_ssize_t *rev, const double *cos_t, const double *sin_t,
                    const double *tw_r, const double *tw_i) {
    CP_DISPATCH3(cp_rfft, (x, fr, fi, wre, wim, n, rev, cos_t, sin_t, tw_r, tw_i));
}

#endif
