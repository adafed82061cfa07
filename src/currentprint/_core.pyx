# Compiled core of currentprint.
#
# The Python layer (framing.py, analyzer.py) validates and converts; the
# functions here are tight typed loops over contiguous memoryviews that run
# without the GIL and report problems through integer return codes, which the
# Python wrappers turn into exceptions.  Directives come from setup.py (no
# "# cython:" header here, it would override the debug build switch).

from libc.math cimport sqrt, floor, ceil, fabs, atan2, cos, sin, M_PI, NAN, INFINITY
from libc.stdlib cimport malloc, free

from ._fused cimport sample_t

# ---------------------------------------------------------------------------
# Per-cycle table layout.  cycles.py reads COLUMNS to name the rows of the
# (n_columns, n_cycles) block that cycle_features fills.
# ---------------------------------------------------------------------------
cdef enum:
    C_START = 0
    C_PERIOD
    C_FREQUENCY
    C_I_RMS
    C_V_RMS
    C_I_PEAK
    C_V_PEAK
    C_I_DC
    C_V_DC
    C_P
    C_Q
    C_S
    C_PF
    C_DPF
    C_THD
    C_V_THD
    C_CREST
    C_I_RESIDUAL
    C_I_CLIPPED
    C_V_CLIPPED
    C_HC_PEAK_POS
    C_HC_PEAK_NEG
    C_HC_RMS_POS
    C_HC_RMS_NEG
    C_SHOULDER_POS
    C_SHOULDER_NEG
    C_STEP_POS
    C_STEP_NEG
    C_I_ZERO
    N_COLUMNS

COLUMNS = (
    "start", "period", "frequency", "i_rms", "v_rms", "i_peak", "v_peak",
    "i_dc", "v_dc", "p", "q", "s", "pf", "dpf", "thd", "v_thd", "crest",
    "i_residual", "i_clipped", "v_clipped", "hc_peak_pos", "hc_peak_neg",
    "hc_rms_pos", "hc_rms_neg", "shoulder_pos", "shoulder_neg", "step_pos",
    "step_neg", "i_zero",
)
assert len(COLUMNS) == N_COLUMNS

# error codes returned by the kernels
cdef enum:
    ERR_OK = 0
    ERR_BOUNDS = 1        # a cycle needs samples outside the buffer given
    ERR_NOMEM = 2
    ERR_BAD_N = 3         # harmonics >= n_points/2 or < 1
ERRORS = {
    ERR_BOUNDS: "a cycle needs samples outside the buffer",
    ERR_NOMEM: "out of memory",
    ERR_BAD_N: "harmonics must be >= 1 and below half the resampled points",
}

# Half-width of the Lagrange resampling stencil: 6 points, nodes -2..3.
cdef enum:
    LAGRANGE_LO = 2
    LAGRANGE_HI = 3
MARGIN_BEFORE = LAGRANGE_LO
MARGIN_AFTER = LAGRANGE_HI + 1


# ---------------------------------------------------------------------------
# FFT: radix-2 complex FFT of n/2 points + split into the real spectrum.
# ---------------------------------------------------------------------------
cdef class FFTPlan:
    """Precomputed tables for a real FFT of ``n`` points (a power of two).

    Parameters
    ----------
    n : int
        Transform size, a power of two >= 4.
    """
    cdef readonly Py_ssize_t n
    cdef double[::1] cos_t
    cdef double[::1] sin_t
    cdef double[::1] tw_r
    cdef double[::1] tw_i
    cdef Py_ssize_t[::1] rev

    def __cinit__(self, Py_ssize_t n):
        if n < 4 or (n & (n - 1)) != 0:
            raise ValueError(f"FFT size must be a power of two >= 4, got {n}")
        self.n = n
        import numpy as np
        k = np.arange(n)
        self.cos_t = np.cos(2.0 * np.pi * k / n)
        self.sin_t = np.sin(2.0 * np.pi * k / n)
        m = n // 2
        # per-stage twiddles of the m-point complex FFT, stored contiguously:
        # stage with half-size h uses tw[h + t] = exp(-2 pi i t / (2 h)), t < h
        tw = np.zeros(max(m, 2), dtype=np.complex128)
        h = 1
        while h < m:
            tw[h:2 * h] = np.exp(-2j * np.pi * np.arange(h) / (2 * h))
            h *= 2
        self.tw_r = np.ascontiguousarray(tw.real)
        self.tw_i = np.ascontiguousarray(tw.imag)
        bits = m.bit_length() - 1
        rev = np.zeros(m, dtype=np.intp)
        for j in range(m):
            r = 0
            x = j
            for _ in range(bits):
                r = (r << 1) | (x & 1)
                x >>= 1
            rev[j] = r
        self.rev = rev


cdef inline void _butterfly(double* re, double* im, Py_ssize_t a, Py_ssize_t b, double wr,
                            double wi) noexcept nogil:
    """Radix-2 butterfly: (x_a, x_b) <- (x_a + w x_b, x_a - w x_b)."""
    cdef double ar = re[b], ai = im[b]
    cdef double tr = wr * ar - wi * ai
    cdef double ti = wr * ai + wi * ar
    re[b] = re[a] - tr
    im[b] = im[a] - ti
    re[a] = re[a] + tr
    im[a] = im[a] + ti


cdef void _cfft(double* re, double* im, Py_ssize_t m, const double* tw_r, const double* tw_i) noexcept nogil:
    """In-place forward radix-2 FFT of m = n/2 points given in bit-reversed order.

    The first two stages have trivial twiddles (1 and -i) and are written out;
    later stages load each twiddle once (outer loop over the twiddle).
    """
    cdef Py_ssize_t a, b, size, half, start, t
    cdef double tr, ti, wr, wi, ar, ai
    # stage 1 (size 2): twiddle 1
    a = 0
    while a < m:
        tr = re[a + 1]; ti = im[a + 1]
        re[a + 1] = re[a] - tr; im[a + 1] = im[a] - ti
        re[a] = re[a] + tr; im[a] = im[a] + ti
        a += 2
    if m >= 4:
        # stage 2 (size 4): twiddles 1 and -i
        a = 0
        while a < m:
            tr = re[a + 2]; ti = im[a + 2]
            re[a + 2] = re[a] - tr; im[a + 2] = im[a] - ti
            re[a] = re[a] + tr; im[a] = im[a] + ti
            # (-i) * z = (im, -re)
            tr = im[a + 3]; ti = -re[a + 3]
            re[a + 3] = re[a + 1] - tr; im[a + 3] = im[a + 1] - ti
            re[a + 1] = re[a + 1] + tr; im[a + 1] = im[a + 1] + ti
            a += 4
    size = 8
    while size <= m:
        half = size >> 1
        if half <= 16:
            # few twiddles, many groups: load each twiddle once
            for t in range(half):
                wr = tw_r[half + t]
                wi = tw_i[half + t]
                start = t
                while start < m:
                    _butterfly(re, im, start, start + half, wr, wi)
                    start += size
        else:
            # long groups: walk memory contiguously (cache-friendly for n >= 64)
            start = 0
            while start < m:
                for t in range(half):
                    _butterfly(re, im, start + t, start + t + half, tw_r[half + t], tw_i[half + t])
                start += size
        size <<= 1


cdef void _rfft(const double* x, double* fr, double* fi, double* wre, double* wim,
                Py_ssize_t n, const Py_ssize_t* rev, const double* cos_t,
                const double* sin_t, const double* tw_r, const double* tw_i) noexcept nogil:
    """Real FFT of n points into bins 0..n/2 (fr, fi of length n/2 + 1).

    Packs even/odd samples into one complex sequence of n/2 points (directly
    in bit-reversed order), transforms it and separates the two halves (the
    classic "two for one" real FFT).
    """
    cdef Py_ssize_t m = n >> 1, j, k, kc
    cdef double er, ei, orr, oi, zr, zi, cr, ci, wr, wi
    for j in range(m):
        k = rev[j]
        wre[k] = x[2 * j]
        wim[k] = x[2 * j + 1]
    _cfft(wre, wim, m, tw_r, tw_i)
    # k = 0 and k = m use Z[0] twice
    fr[0] = wre[0] + wim[0]
    fi[0] = 0.0
    fr[m] = wre[0] - wim[0]
    fi[m] = 0.0
    for k in range(1, m):
        kc = m - k
        zr = wre[k]; zi = wim[k]
        cr = wre[kc]; ci = -wim[kc]          # conj(Z[m-k])
        er = 0.5 * (zr + cr); ei = 0.5 * (zi + ci)
        # O = (Z - conj) / (2i) = -i (Z - conj) / 2
        orr = 0.5 * (zi - ci); oi = -0.5 * (zr - cr)
        wr = cos_t[k]; wi = -sin_t[k]        # exp(-2 pi i k / n)
        fr[k] = er + wr * orr - wi * oi
        fi[k] = ei + wr * oi + wi * orr


def rfft_batch(const double[:, ::1] x, FFTPlan plan=None):
    """Real FFT of each row of ``x`` with the core's own FFT.

    Same convention as ``numpy.fft.rfft(x, axis=1)``; exposed for tests and
    for benchmarking against NumPy/SciPy.

    Parameters
    ----------
    x : ndarray of float64, shape (rows, n)
        ``n`` a power of two >= 4.
    plan : FFTPlan, optional
        Reused tables; made for ``n`` when omitted.

    Returns
    -------
    ndarray of complex128, shape (rows, n // 2 + 1)
    """
    import numpy as np
    cdef Py_ssize_t rows = x.shape[0], n = x.shape[1], r, k
    if plan is None:
        plan = FFTPlan(n)
    elif plan.n != n:
        raise ValueError(f"plan is for n={plan.n}, rows have {n} points")
    out = np.empty((rows, n // 2 + 1), dtype=np.complex128)
    cdef double complex[:, ::1] o = out
    cdef double* fr = <double*>malloc(sizeof(double) * (n + 2) * 2)
    if fr == NULL:
        raise MemoryError()
    cdef double* fi = fr + (n // 2 + 1)
    cdef double* wre = fr + (n + 2)
    cdef double* wim = wre + n // 2
    try:
        with nogil:
            for r in range(rows):
                _rfft(&x[r, 0], fr, fi, wre, wim, n, &plan.rev[0], &plan.cos_t[0], &plan.sin_t[0],
                      &plan.tw_r[0], &plan.tw_i[0])
                for k in range(n // 2 + 1):
                    o[r, k] = fr[k] + 1j * fi[k]
    finally:
        free(fr)
    return out


def dft_harmonics_batch(const double[:, ::1] x, Py_ssize_t harmonics):
    """Direct DFT of bins 0..harmonics of each row (the alternative to the FFT).

    Kept for the benchmark that chose the FFT; same convention as
    ``numpy.fft.rfft(x)[:, :harmonics + 1]``.
    """
    import numpy as np
    cdef Py_ssize_t rows = x.shape[0], n = x.shape[1], r, k, j, idx
    out = np.empty((rows, harmonics + 1), dtype=np.complex128)
    cdef double complex[:, ::1] o = out
    cdef double[::1] c = np.cos(2.0 * np.pi * np.arange(n) / n)
    cdef double[::1] s = np.sin(2.0 * np.pi * np.arange(n) / n)
    cdef double ar, ai
    with nogil:
        for r in range(rows):
            for k in range(harmonics + 1):
                ar = 0.0
                ai = 0.0
                idx = 0
                for j in range(n):
                    ar = ar + x[r, j] * c[idx]
                    ai = ai - x[r, j] * s[idx]
                    idx = idx + k
                    if idx >= n:
                        idx = idx - n
                o[r, k] = ar + 1j * ai
    return out


# ---------------------------------------------------------------------------
# Framing: rising zero crossings with hysteresis and sub-sample position.
# ---------------------------------------------------------------------------
# state vector (float64, length STATE_LEN), carried between chunks:
cdef enum:
    S_ARMED = 0       # 1.0 once the signal went below -hysteresis*peak
    S_PEAK = 1        # decaying peak estimate of |x|
    S_PREV = 2        # previous (filtered) sample
    S_LAST = 3        # absolute position of the last accepted crossing, NaN: none
    S_POS = 4         # absolute index of the next sample to come
    S_HAVE_PREV = 5   # 1.0 when S_PREV holds a sample
    S_FILT = 6        # 3 biquad sections x 2 delay elements (transposed DF II)
    S_PREV2 = 12      # the two samples before S_PREV (for the cubic crossing)
    S_PREV3 = 13
    N_SECT = 3
    S_LEN = 14
STATE_LEN = S_LEN
N_SECTIONS = N_SECT


def new_scan_state():
    """A fresh framing state vector."""
    import numpy as np
    st = np.zeros(STATE_LEN)
    st[S_LAST] = np.nan
    return st


cdef inline double _crossing_fraction(double a, double b, double c, double d, bint cubic) noexcept nogil:
    """Fraction in [0, 1] between samples c (<= 0) and d (> 0) where the signal crosses zero.

    Linear interpolation first; with ``cubic``, refined by Newton steps on
    the cubic through a, b, c, d (nodes -2, -1, 0, 1). The chord's error,
    about (2 pi / samples-per-cycle)^2 / 50 of a sample, changes from cycle to
    cycle when the period is not a whole number of samples and would leak
    into every spectrum; the cubic's is of fourth order.
    """
    cdef double mu0 = c / (c - d), mu = mu0, p1, p2, p3, f, fp
    cdef int it
    if not cubic:
        return mu0
    p1 = a / 6.0 - b + 0.5 * c + d / 3.0
    p2 = 0.5 * b - c + 0.5 * d
    p3 = (d - a) / 6.0 + 0.5 * (b - c)
    for it in range(3):
        f = ((p3 * mu + p2) * mu + p1) * mu + c
        fp = (3.0 * p3 * mu + 2.0 * p2) * mu + p1
        if not fp > 0.0:
            return mu0
        mu = mu - f / fp
    if mu >= 0.0 and mu <= 1.0:
        return mu
    return mu0


cdef Py_ssize_t _scan(const sample_t[::1] x, double* state, double* out, Py_ssize_t cap,
                     double offset, double decay, double hysteresis, double min_period,
                     const double[:, ::1] sos, bint use_filter) noexcept nogil:
    """Crossing scan over one chunk; returns the count written or -1 (out full)."""
    cdef Py_ssize_t n = x.shape[0], j, count = 0, s
    cdef double armed = state[S_ARMED], peak = state[S_PEAK], prev = state[S_PREV]
    cdef double prev2 = state[S_PREV2], prev3 = state[S_PREV3]
    cdef double last = state[S_LAST], pos0 = state[S_POS]
    cdef double have_prev = state[S_HAVE_PREV]      # samples seen, capped at 3
    cdef double y, a, pos, w
    cdef double z[6]
    for s in range(6):
        z[s] = state[S_FILT + s]
    for j in range(n):
        y = <double>x[j] - offset
        if use_filter:
            for s in range(N_SECT):
                w = sos[s, 0] * y + z[2 * s]
                z[2 * s] = sos[s, 1] * y - sos[s, 3] * w + z[2 * s + 1]
                z[2 * s + 1] = sos[s, 2] * y - sos[s, 4] * w
                y = w
        a = fabs(y)
        peak = peak * decay
        if a > peak:
            peak = a
        if have_prev > 0.0 and armed != 0.0 and prev <= 0.0 and y > 0.0:
            pos = pos0 + j - 1 + _crossing_fraction(prev3, prev2, prev, y, have_prev >= 3.0)
            if last != last or pos - last >= min_period:
                if count >= cap:
                    return -1
                out[count] = pos
                count += 1
                last = pos
                armed = 0.0
        if y < -hysteresis * peak:
            armed = 1.0
        prev3 = prev2
        prev2 = prev
        prev = y
        if have_prev < 3.0:
            have_prev = have_prev + 1.0
    state[S_ARMED] = armed
    state[S_PEAK] = peak
    state[S_PREV] = prev
    state[S_PREV2] = prev2
    state[S_PREV3] = prev3
    state[S_LAST] = last
    state[S_POS] = pos0 + n
    state[S_HAVE_PREV] = have_prev
    for s in range(6):
        state[S_FILT + s] = z[s]
    return count


def scan_crossings(const sample_t[::1] x, double[::1] state, double[::1] out,
                   double decay, double hysteresis, double min_period,
                   const double[:, ::1] sos, bint use_filter, double offset=0.0):
    """Find accepted rising zero crossings in a chunk; update ``state``.

    Parameters
    ----------
    x : 1-D array (float64, float32 or int16)
        The next chunk of the framing channel (voltage, or current).
    state : float64 array of length STATE_LEN
        Carried between chunks (see ``new_scan_state``); left unchanged
        when the call fails.
    out : float64 array
        Receives the absolute sub-sample positions of accepted crossings;
        ``len(x) // max(1, int(min_period)) + 2`` entries always suffice.
    decay : float
        Per-sample decay factor of the peak estimate (0 < decay < 1).
    hysteresis : float
        Fraction of the peak the signal must go below zero before the next
        rising crossing counts (suppresses chatter).
    min_period : float
        Minimum distance in samples between accepted crossings (highest
        mains frequency); earlier crossings are ignored, staying armed.
    sos : float64 array, shape (N_SECTIONS, 5)
        Biquad sections (b0, b1, b2, a1, a2) applied before the test when
        ``use_filter`` (framing on the current's fundamental).
    offset : float
        Subtracted from every sample first (ADC zero offset, input units).

    Returns
    -------
    int
        Number of crossings written, or -1 when ``out`` is too small.
    """
    if state.shape[0] != S_LEN or sos.shape[0] != N_SECT or sos.shape[1] != 5:
        raise ValueError("state or sos has the wrong shape")
    cdef double tmp[S_LEN]
    cdef Py_ssize_t k, count
    for k in range(S_LEN):
        tmp[k] = state[k]
    with nogil:
        count = _scan(x, tmp, &out[0] if out.shape[0] > 0 else NULL, out.shape[0], offset,
                      decay, hysteresis, min_period, sos, use_filter)
    if count >= 0:
        for k in range(S_LEN):
            state[k] = tmp[k]
    return count


# ---------------------------------------------------------------------------
# Per-cycle features.
# ---------------------------------------------------------------------------
cdef inline void _lagrange6(double mu, double* w) noexcept nogil:
    """Weights of the 6-point Lagrange interpolator, nodes -2..3, at mu in [0, 1)."""
    cdef double a = mu + 2.0, b = mu + 1.0, c = mu, d = mu - 1.0, e = mu - 2.0, f = mu - 3.0
    # shared partial products; constants are the node denominators
    cdef double ab = a * b, de = d * e, ef = e * f, cd = c * d
    w[0] = b * cd * ef * (-1.0 / 120.0)
    w[1] = a * cd * ef * (1.0 / 24.0)
    w[2] = ab * d * ef * (-1.0 / 12.0)
    w[3] = ab * c * ef * (1.0 / 12.0)
    w[4] = ab * cd * f * (-1.0 / 24.0)
    w[5] = ab * cd * e * (1.0 / 120.0)


cdef inline double _sum_squares(const double* x, Py_ssize_t n) noexcept nogil:
    """Sum of x[j]^2 with two interleaved accumulators (n even)."""
    cdef double s0 = 0.0, s1 = 0.0
    cdef Py_ssize_t j = 0
    while j + 1 < n:
        s0 = s0 + x[j] * x[j]
        s1 = s1 + x[j + 1] * x[j + 1]
        j += 2
    if j < n:
        s0 = s0 + x[j] * x[j]
    return s0 + s1


cdef inline double _rotated_harmonics(const double* fr, const double* fi, double norm, double d_r,
                                      double d_i, Py_ssize_t nh, double complex[:, ::1] dest,
                                      Py_ssize_t col) noexcept nogil:
    """Write phasors 1..nh (bins times ``norm``) rotated by exp(k * i * arg(d)) into
    ``dest[col]``; return the sum of |X_k|^2 for k >= 2 (for THD).

    The rotation of harmonic k is built by recurrence, without a trig call per k.
    """
    cdef Py_ssize_t k
    cdef double rot_r = d_r, rot_i = d_i, cr, ci, tmp, hsum = 0.0
    for k in range(1, nh + 1):
        cr = fr[k] * norm
        ci = fi[k] * norm
        dest[col, k - 1] = (cr * rot_r - ci * rot_i) + 1j * (cr * rot_i + ci * rot_r)
        if k >= 2:
            hsum = hsum + cr * cr + ci * ci
        tmp = rot_r * d_r - rot_i * d_i
        rot_i = rot_r * d_i + rot_i * d_r
        rot_r = tmp
    return hsum


cdef int _one_cycle(const sample_t[::1] xi, const sample_t[::1] xv, bint has_v,
                    double t0, double t1, Py_ssize_t base,
                    Py_ssize_t npts, Py_ssize_t nh,
                    double i_scale, double i_off, double v_scale, double v_off,
                    double clip, double phase_rad, double shoulder_frac,
                    const Py_ssize_t* rev, const double* cos_t, const double* sin_t,
                    const double* tw_r, const double* tw_i,
                    double* ri, double* rv, double* fir, double* fii, double* fvr, double* fvi,
                    double* wre, double* wim,
                    double[:, ::1] out, Py_ssize_t col,
                    double complex[:, ::1] hi_out, double complex[:, ::1] hv_out,
                    bint want_waves, double[:, ::1] wave_i, double[:, ::1] wave_v) noexcept nogil:
    cdef Py_ssize_t n_len = xi.shape[0]
    cdef double period = t1 - t0
    cdef Py_ssize_t n0 = <Py_ssize_t>ceil(t0) - base
    cdef Py_ssize_t n_end = <Py_ssize_t>ceil(t1) - base
    cdef Py_ssize_t m_len = n_end - n0
    cdef Py_ssize_t j, k, idx, q, m, mstar, steps
    cdef double step = period / npts, p, mu, acc_i, acc_v
    cdef double w[6]
    cdef double sq_i = 0.0, sq_v = 0.0, val, vv
    cdef double norm = sqrt(2.0) / npts
    cdef double i_rms, v_rms, p_act, s_app, v1r, v1i, i1r, i1i, ang
    cdef double v1mag, i1mag, hsum, cr, ci, tmp, r0, u, thr, d_r, d_i
    cdef double ipk = 0.0, vpk = 0.0, iclip = 0.0, vclip = 0.0
    cdef double pk_pos = -INFINITY, pk_neg = -INFINITY, sq_pos = 0.0, sq_neg = 0.0
    cdef double st_pos = 0.0, st_neg = 0.0, cnt_pos = 0.0, cnt_neg = 0.0
    cdef double sh_pos, sh_neg, z_pos, inv_period, prev

    if n0 - LAGRANGE_LO < 0 or n_end + LAGRANGE_HI + 1 > n_len or m_len < 4:
        return ERR_BOUNDS

    # 1. resample one period to npts points on a grid that starts at the first
    #    whole sample n0 after the crossing: for an integer period equal to
    #    npts no interpolation happens at all (exact); otherwise 6-point
    #    Lagrange interpolation (error ~ (2 pi k / samples-per-cycle)^6).
    for j in range(npts):
        p = j * step
        idx = <Py_ssize_t>p             # p >= 0: truncation is floor, without a libm call
        mu = p - idx
        idx = idx + n0
        _lagrange6(mu, w)
        # pairwise sum: three short dependency chains instead of one of six
        # (this loop is latency-bound; ~25 % faster per cycle)
        q = idx - LAGRANGE_LO
        acc_i = ((w[0] * (<double>xi[q]) + w[1] * (<double>xi[q + 1]))
                 + (w[2] * (<double>xi[q + 2]) + w[3] * (<double>xi[q + 3])))
        acc_i = acc_i + (w[4] * (<double>xi[q + 4]) + w[5] * (<double>xi[q + 5]))
        val = (acc_i - i_off) * i_scale
        ri[j] = val
        if has_v:
            acc_v = ((w[0] * (<double>xv[q]) + w[1] * (<double>xv[q + 1]))
                     + (w[2] * (<double>xv[q + 2]) + w[3] * (<double>xv[q + 3])))
            acc_v = acc_v + (w[4] * (<double>xv[q + 4]) + w[5] * (<double>xv[q + 5]))
            rv[j] = (acc_v - v_off) * v_scale
    # sums of squares in a second, independent pass (two accumulators)
    sq_i = _sum_squares(ri, npts)
    if has_v:
        sq_v = _sum_squares(rv, npts)

    if want_waves:
        for j in range(npts):
            wave_i[col, j] = ri[j]
            wave_v[col, j] = rv[j] if has_v else NAN

    # 2. spectra
    _rfft(ri, fir, fii, wre, wim, npts, rev, cos_t, sin_t, tw_r, tw_i)
    if has_v:
        _rfft(rv, fvr, fvi, wre, wim, npts, rev, cos_t, sin_t, tw_r, tw_i)
    if phase_rad != 0.0:
        # sensor delay correction: bin k rotated by k * phase
        # rotation by k * phase, by recurrence (no trig call per bin)
        d_r = cos(phase_rad)
        d_i = sin(phase_rad)
        cr = d_r
        ci = d_i
        for k in range(1, npts // 2 + 1):
            tmp = fir[k] * cr - fii[k] * ci
            fii[k] = fir[k] * ci + fii[k] * cr
            fir[k] = tmp
            tmp = cr * d_r - ci * d_i
            ci = cr * d_i + ci * d_r
            cr = tmp

    i_rms = sqrt(sq_i / npts)
    out[C_START, col] = t0
    out[C_PERIOD, col] = period
    out[C_I_RMS, col] = i_rms
    out[C_I_DC, col] = fir[0] / npts

    # reference angle: the voltage fundamental when there is a voltage,
    # otherwise the current fundamental (only used internally then)
    i1r = fir[1] * norm
    i1i = fii[1] * norm
    i1mag = sqrt(i1r * i1r + i1i * i1i)
    if has_v:
        v1r = fvr[1] * norm
        v1i = fvi[1] * norm
        v1mag = sqrt(v1r * v1r + v1i * v1i)
        ang = atan2(v1i, v1r)
    else:
        ang = atan2(i1i, i1r)

    # harmonic k is rotated by -k * ang (time shift to the voltage
    # fundamental's zero phase); exp(-i k ang) by recurrence
    d_r = cos(ang)
    d_i = -sin(ang)
    hsum = _rotated_harmonics(fir, fii, norm, d_r, d_i, nh, hi_out, col)
    out[C_THD, col] = sqrt(hsum) / i1mag if i1mag > 0.0 else NAN
    # energy above harmonic nh (Parseval on the resampled period)
    tmp = i_rms * i_rms - out[C_I_DC, col] * out[C_I_DC, col] - hsum - i1mag * i1mag
    out[C_I_RESIDUAL, col] = sqrt(tmp) if tmp > 0.0 else 0.0

    if has_v:
        v_rms = sqrt(sq_v / npts)
        out[C_V_RMS, col] = v_rms
        out[C_V_DC, col] = fvr[0] / npts
        hsum = _rotated_harmonics(fvr, fvi, norm, d_r, d_i, nh, hv_out, col)
        out[C_V_THD, col] = sqrt(hsum) / v1mag if v1mag > 0.0 else NAN
        # active power from the whole spectrum (Parseval), so that the
        # sensor phase correction applies to it as well
        p_act = fvr[0] * fir[0]
        for k in range(1, npts // 2):
            p_act = p_act + 2.0 * (fvr[k] * fir[k] + fvi[k] * fii[k])
        k = npts // 2
        p_act = (p_act + fvr[k] * fir[k] + fvi[k] * fii[k]) / (<double>npts * npts)
        s_app = v_rms * i_rms
        out[C_P, col] = p_act
        out[C_S, col] = s_app
        # fundamental reactive power, inductive (current lagging) positive
        out[C_Q, col] = v1i * i1r - v1r * i1i
        out[C_PF, col] = p_act / s_app if s_app > 0.0 else NAN
        out[C_DPF, col] = (v1r * i1r + v1i * i1i) / (v1mag * i1mag) if v1mag * i1mag > 0.0 else NAN
    else:
        out[C_V_RMS, col] = NAN
        out[C_V_DC, col] = NAN
        out[C_V_THD, col] = NAN
        out[C_P, col] = NAN
        out[C_S, col] = NAN
        out[C_Q, col] = NAN
        out[C_PF, col] = NAN
        out[C_DPF, col] = NAN
        out[C_V_PEAK, col] = NAN
        out[C_V_CLIPPED, col] = NAN

    # 3. raw-sample quantities over [n0, n_end): peaks, clipping, and the
    #    half-cycle arc evidence.  Half-cycles are placed by the zeros of the
    #    current's fundamental (rising zero starts the positive half).
    r0 = (-0.5 * M_PI - atan2(i1i, i1r)) / (2.0 * M_PI)
    r0 = r0 - floor(r0)                        # in [0, 1) of the period
    z_pos = r0 * period                        # offset of the rising zero, samples from n0
    inv_period = 1.0 / period                  # a multiply per sample instead of a divide
    prev = (<double>xi[n0 - 1] - i_off) * i_scale
    for m in range(m_len):
        val = (<double>xi[n0 + m] - i_off) * i_scale
        if fabs(val) > ipk:
            ipk = fabs(val)
        tmp = fabs(val - prev)
        prev = val
        u = (m - z_pos) * inv_period    # in (-1, 2): fractional part without floor()
        if u < 0.0:
            u = u + 1.0
        elif u >= 1.0:
            u = u - 1.0
        if u < 0.5:
            if val > pk_pos:
                pk_pos = val
            sq_pos += val * val
            cnt_pos += 1.0
            if tmp > st_pos:
                st_pos = tmp
        else:
            if -val > pk_neg:
                pk_neg = -val
            sq_neg += val * val
            cnt_neg += 1.0
            if tmp > st_neg:
                st_neg = tmp
    if clip < INFINITY:             # float input is never clipped: skip the test
        for m in range(m_len):
            if fabs(<double>xi[n0 + m]) >= clip:
                iclip += 1.0
            if has_v and fabs(<double>xv[n0 + m]) >= clip:
                vclip += 1.0
    if has_v:
        for m in range(m_len):
            vv = fabs((<double>xv[n0 + m] - v_off) * v_scale)
            if vv > vpk:
                vpk = vv
    out[C_I_PEAK, col] = ipk
    out[C_I_CLIPPED, col] = iclip
    if has_v:
        out[C_V_PEAK, col] = vpk
        out[C_V_CLIPPED, col] = vclip
    out[C_CREST, col] = ipk / i_rms if i_rms > 0.0 else NAN
    out[C_HC_PEAK_POS, col] = pk_pos if cnt_pos > 0 else NAN
    out[C_HC_PEAK_NEG, col] = pk_neg if cnt_neg > 0 else NAN
    out[C_HC_RMS_POS, col] = sqrt(sq_pos / cnt_pos) if cnt_pos > 0 else NAN
    out[C_HC_RMS_NEG, col] = sqrt(sq_neg / cnt_neg) if cnt_neg > 0 else NAN
    out[C_STEP_POS, col] = st_pos / pk_pos if cnt_pos > 0 and pk_pos > 0.0 else NAN
    out[C_STEP_NEG, col] = st_neg / pk_neg if cnt_neg > 0 and pk_neg > 0.0 else NAN
    out[C_I_ZERO, col] = n0 + base + z_pos

    # shoulders: contiguous samples with |i| <= shoulder_frac * half peak
    # around each fundamental zero, walking the period as a ring
    for q in range(2):
        if q == 0:
            thr = shoulder_frac * pk_pos
            tmp = z_pos
        else:
            thr = shoulder_frac * pk_neg
            tmp = z_pos + 0.5 * period
        mstar = (<Py_ssize_t>(tmp + 0.5)) % m_len
        steps = 0
        if thr > 0.0:
            m = mstar
            while steps < m_len // 2 and fabs((<double>xi[n0 + m] - i_off) * i_scale) <= thr:
                steps += 1
                m = m + 1
                if m >= m_len:
                    m = 0
            if steps > 0:
                m = mstar - 1
                if m < 0:
                    m = m_len - 1
                idx = 0
                while idx < m_len // 2 and fabs((<double>xi[n0 + m] - i_off) * i_scale) <= thr:
                    idx += 1
                    m = m - 1
                    if m < 0:
                        m = m_len - 1
                steps = steps + idx
        if q == 0:
            out[C_SHOULDER_POS, col] = steps
        else:
            out[C_SHOULDER_NEG, col] = steps
    return ERR_OK


def cycle_features(const sample_t[::1] current, const sample_t[::1] voltage, bint has_voltage,
                   const double[::1] t0, const double[::1] t1, Py_ssize_t base,
                   FFTPlan plan, Py_ssize_t harmonics,
                   double i_scale, double i_offset, double v_scale, double v_offset,
                   double clip, double phase_rad, double shoulder_fraction, double fs,
                   double[:, ::1] out, double complex[:, ::1] harm_i,
                   double complex[:, ::1] harm_v, double[:, ::1] wave_i, double[:, ::1] wave_v):
    """Fill the per-cycle block for cycles [t0[c], t1[c]).

    Parameters
    ----------
    current, voltage : 1-D arrays of one sample type
        Raw samples; ``current[0]`` is absolute sample ``base``. Without a
        voltage pass the current twice and ``has_voltage=False``.
    t0, t1 : float64 arrays
        Absolute sub-sample positions of each cycle's start and end.
    plan : FFTPlan
        Tables for the resampled size (``plan.n`` points per cycle).
    harmonics : int
        Highest harmonic stored, < plan.n / 2.
    i_scale, i_offset, v_scale, v_offset : float
        Calibration: value = (raw - offset) * scale.
    clip : float
        Raw absolute value counted as a clipped sample.
    phase_rad : float
        Current sensor delay correction at the fundamental (rad).
    shoulder_fraction : float
        Threshold, as a fraction of the half-cycle peak, of a "flat" sample.
    fs : float
        Sample rate in Hz (for the frequency column).
    out : float64 array (N_COLUMNS, n_cycles)
    harm_i, harm_v : complex128 arrays (n_cycles, harmonics)
    wave_i, wave_v : float64 arrays (n_cycles, plan.n) or (0, plan.n)
        Receive the resampled calibrated cycles (grid starting at the first
        whole sample after the crossing) when they have rows.

    Returns
    -------
    int
        ERR_OK, or an error code (ERR_BOUNDS, ERR_NOMEM, ERR_BAD_N).
    """
    cdef Py_ssize_t nc = t0.shape[0], c, npts = plan.n
    cdef int err = ERR_OK
    if harmonics < 1 or harmonics >= npts // 2:
        return ERR_BAD_N
    if out.shape[0] != N_COLUMNS or out.shape[1] < nc or harm_i.shape[0] < nc or harm_v.shape[0] < nc:
        return ERR_BOUNDS
    if nc == 0:
        return ERR_OK
    cdef bint want_waves = wave_i.shape[0] > 0
    if want_waves and (wave_i.shape[0] < nc or wave_v.shape[0] < nc or wave_i.shape[1] != npts
                       or wave_v.shape[1] != npts):
        return ERR_BOUNDS
    cdef double* work = <double*>malloc(sizeof(double) * (npts * 5 + 8))
    if work == NULL:
        return ERR_NOMEM
    cdef double* ri = work
    cdef double* rv = ri + npts
    cdef double* fir = rv + npts
    cdef double* fii = fir + (npts // 2 + 1)
    cdef double* fvr = fii + (npts // 2 + 1)
    cdef double* fvi = fvr + (npts // 2 + 1)
    cdef double* wre = fvi + (npts // 2 + 1)
    cdef double* wim = wre + npts // 2
    with nogil:
        for c in range(nc):
            err = _one_cycle(current, voltage, has_voltage, t0[c], t1[c], base, npts, harmonics,
                             i_scale, i_offset, v_scale, v_offset, clip, phase_rad,
                             shoulder_fraction, &plan.rev[0], &plan.cos_t[0], &plan.sin_t[0],
                             &plan.tw_r[0], &plan.tw_i[0],
                             ri, rv, fir, fii, fvr, fvi, wre, wim, out, c, harm_i, harm_v,
                             want_waves, wave_i, wave_v)
            if err != ERR_OK:
                break
            out[C_FREQUENCY, c] = fs / (t1[c] - t0[c])
    free(work)
    return err



# ---------------------------------------------------------------------------
# Streaming: crossings, buffering and per-cycle features in one call per
# chunk.  Batch analysis is the same code fed one chunk, so streaming equals
# batch by construction; cycles that lie inside a chunk are computed on the
# caller's array (no copy), cycles that straddle two chunks on a small
# float64 copy of the samples they need (int16/float32 -> float64 is exact).
# ---------------------------------------------------------------------------
cdef Py_ssize_t _first_nonfinite(const sample_t[::1] x) noexcept nogil:
    cdef Py_ssize_t j
    cdef double y
    if sample_t is short:
        return -1
    for j in range(x.shape[0]):
        y = <double>x[j]
        if y - y != 0.0:        # NaN or +-inf
            return j
    return -1


cdef class CycleStream:
    """State of one streamed channel pair (see ``stream_push``).

    All parameters are fixed at construction; ``state_arrays`` and
    ``load_arrays`` move the running state in and out as NumPy arrays.
    """
    cdef readonly double fs, max_period, i_scale, i_off, v_scale, v_off, clip, phase_rad
    cdef readonly double shoulder, decay, hysteresis, min_period
    cdef readonly Py_ssize_t npts, nh
    cdef readonly bint has_v, filtered, want_waves
    cdef readonly FFTPlan plan
    cdef double[:, ::1] sos
    cdef double[::1] scan_state
    cdef double[::1] buf_i
    cdef double[::1] buf_v
    cdef readonly Py_ssize_t buf_start, buf_len, total, n_pend
    cdef double[::1] pend

    def __init__(self, double fs, double max_period, double min_period, Py_ssize_t npts, Py_ssize_t harmonics,
                 double i_scale, double i_offset, double v_scale, double v_offset, double clip,
                 double phase_rad, double shoulder_fraction, double decay, double hysteresis,
                 sos, bint has_voltage, bint waveforms):
        import numpy as np
        self.fs = fs
        self.max_period = max_period
        self.min_period = min_period
        self.npts = npts
        self.nh = harmonics
        self.plan = FFTPlan(npts)
        self.i_scale = i_scale
        self.i_off = i_offset
        self.v_scale = v_scale
        self.v_off = v_offset
        self.clip = clip
        self.phase_rad = phase_rad
        self.shoulder = shoulder_fraction
        self.decay = decay
        self.hysteresis = hysteresis
        self.sos = np.ascontiguousarray(sos, dtype=np.float64)
        self.has_v = has_voltage
        self.filtered = not has_voltage
        self.want_waves = waveforms
        self.scan_state = new_scan_state()
        cap = int(max_period) + 64
        self.buf_i = np.zeros(cap)
        self.buf_v = np.zeros(cap)
        self.pend = np.zeros(16)
        self.buf_start = 0
        self.buf_len = 0
        self.total = 0
        self.n_pend = 0

    def state_arrays(self):
        """Running state: dict of NumPy arrays and ints (copies)."""
        import numpy as np
        return {
            "scan_state": np.array(self.scan_state),
            "buf_i": np.array(self.buf_i[:self.buf_len]),
            "buf_v": np.array(self.buf_v[:self.buf_len]),
            "buf_start": self.buf_start,
            "total": self.total,
            "pending": np.array(self.pend[:self.n_pend]),
        }

    def load_arrays(self, state):
        """Restore ``state_arrays`` output."""
        import numpy as np
        st = np.asarray(state["scan_state"], dtype=np.float64)
        bi = np.asarray(state["buf_i"], dtype=np.float64)
        bv = np.asarray(state["buf_v"], dtype=np.float64)
        pe = np.asarray(state["pending"], dtype=np.float64)
        if st.shape != (S_LEN,) or bi.ndim != 1 or bv.shape != bi.shape or pe.ndim != 1:
            raise ValueError("stream state arrays have the wrong shapes")
        if int(state["total"]) < int(state["buf_start"]) + bi.shape[0] or int(state["buf_start"]) < 0:
            raise ValueError("stream state counters are inconsistent")
        self.scan_state = st.copy()
        cap = max(bi.shape[0], int(self.max_period) + 64)
        nbi = np.zeros(cap)
        nbv = np.zeros(cap)
        nbi[:bi.shape[0]] = bi
        nbv[:bv.shape[0]] = bv
        npe = np.zeros(max(16, pe.shape[0]))
        npe[:pe.shape[0]] = pe
        self.buf_i = nbi
        self.buf_v = nbv
        self.buf_len = bi.shape[0]
        self.buf_start = int(state["buf_start"])
        self.total = int(state["total"])
        self.pend = npe
        self.n_pend = pe.shape[0]


cdef int _compute_cycle(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv,
                        Py_ssize_t chunk_start, double t0, double t1, double* tmp_i, double* tmp_v,
                        double* work, double[:, ::1] out, Py_ssize_t col,
                        double complex[:, ::1] hi, double complex[:, ::1] hv,
                        double[:, ::1] wi, double[:, ::1] wv) noexcept nogil:
    """One cycle, on the chunk itself or on a float64 copy when it straddles the buffer."""
    cdef Py_ssize_t npts = st.npts, half = npts // 2 + 1
    cdef Py_ssize_t lo = <Py_ssize_t>ceil(t0) - LAGRANGE_LO
    cdef Py_ssize_t hi_idx = <Py_ssize_t>ceil(t1) + LAGRANGE_HI + 1     # exclusive
    cdef Py_ssize_t k, m, err
    cdef double* ri = work
    cdef double* rv = ri + npts
    cdef double* fir = rv + npts
    cdef double* fii = fir + half
    cdef double* fvr = fii + half
    cdef double* fvi = fvr + half
    cdef double* wre = fvi + half
    cdef double* wim = wre + npts // 2
    cdef double[::1] ti
    cdef double[::1] tv
    if lo >= chunk_start:
        err = _one_cycle(xi, xv if st.has_v else xi, st.has_v, t0, t1, chunk_start, npts, st.nh,
                         st.i_scale, st.i_off, st.v_scale, st.v_off, st.clip, st.phase_rad, st.shoulder,
                         &st.plan.rev[0], &st.plan.cos_t[0], &st.plan.sin_t[0],
                         &st.plan.tw_r[0], &st.plan.tw_i[0],
                         ri, rv, fir, fii, fvr, fvi, wre, wim, out, col, hi, hv, st.want_waves, wi, wv)
    else:
        # samples [lo, hi_idx): the part before chunk_start from the buffer
        m = 0
        for k in range(lo, hi_idx):
            if k < chunk_start:
                tmp_i[m] = st.buf_i[k - st.buf_start]
                tmp_v[m] = st.buf_v[k - st.buf_start]
            else:
                tmp_i[m] = <double>xi[k - chunk_start]
                tmp_v[m] = <double>xv[k - chunk_start] if st.has_v else 0.0
            m += 1
        with gil:
            ti = <double[:m]>tmp_i
            tv = <double[:m]>tmp_v
        err = _one_cycle(ti, tv if st.has_v else ti, st.has_v, t0, t1, lo, npts, st.nh,
                         st.i_scale, st.i_off, st.v_scale, st.v_off, st.clip, st.phase_rad, st.shoulder,
                         &st.plan.rev[0], &st.plan.cos_t[0], &st.plan.sin_t[0],
                         &st.plan.tw_r[0], &st.plan.tw_i[0],
                         ri, rv, fir, fii, fvr, fvi, wre, wim, out, col, hi, hv, st.want_waves, wi, wv)
    out[C_FREQUENCY, col] = st.fs / (t1 - t0)
    return err


def stream_push(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv):
    """Feed one chunk to a stream; return the cycles it completed.

    Parameters
    ----------
    st : CycleStream
    xi, xv : 1-D arrays of one sample type
        Current and voltage chunk (pass the current twice without voltage).

    Returns
    -------
    tuple
        ``(code, info, out, harm_i, harm_v, wave_i, wave_v)``; ``code`` 0
        with ``out`` of shape (N_COLUMNS, cycles); ``code`` 4 (non-finite
        sample, ``info`` = its index in the chunk, nothing changed), or a
        kernel error code.
    """
    import numpy as np
    cdef Py_ssize_t n = xi.shape[0], chunk_start = st.total, new_total = st.total + n
    cdef Py_ssize_t bad, cap, cnt, k, nc, col, keep_from, keep_len, j, src
    cdef double a, b
    cdef int err = ERR_OK
    if st.has_v and xv.shape[0] != n:
        return (ERR_BOUNDS, 0, None, None, None, None, None)
    # 0. refuse NaN/inf before anything changes
    with nogil:
        bad = _first_nonfinite(xi)
        if bad < 0 and st.has_v:
            bad = _first_nonfinite(xv)
    if bad >= 0:
        return (4, bad, None, None, None, None, None)
    # 1. crossings of the framing channel, appended to the pending list
    cap = n // max(1, <Py_ssize_t>st.min_period) + 2
    if st.n_pend + cap > st.pend.shape[0]:
        grown = np.zeros(2 * (st.n_pend + cap))
        grown[:st.n_pend] = st.pend[:st.n_pend]
        st.pend = grown
    with nogil:
        if st.has_v:
            cnt = _scan(xv, &st.scan_state[0], &st.pend[st.n_pend], cap, st.v_off, st.decay,
                        st.hysteresis, st.min_period, st.sos, False)
        else:
            cnt = _scan(xi, &st.scan_state[0], &st.pend[st.n_pend], cap, st.i_off, st.decay,
                        st.hysteresis, st.min_period, st.sos, True)
    if cnt < 0:
        return (ERR_BOUNDS, 0, None, None, None, None, None)
    st.n_pend += cnt
    # 2. cycles whose samples (plus the interpolation margin) are all here
    t0s = np.empty(max(st.n_pend, 1))
    t1s = np.empty(max(st.n_pend, 1))
    cdef double[::1] t0v = t0s
    cdef double[::1] t1v = t1s
    nc = 0
    k = 0
    while k + 1 < st.n_pend:
        a = st.pend[k]
        b = st.pend[k + 1]
        if b - a > st.max_period or <Py_ssize_t>ceil(a) - LAGRANGE_LO - 1 < 0:
            k += 1              # a gap (no cycle) or too close to the stream start
            continue
        if <Py_ssize_t>ceil(b) + LAGRANGE_HI + 1 >= new_total:
            break               # wait for the samples after the cycle's end
        t0v[nc] = a
        t1v[nc] = b
        nc += 1
        k += 1
    for j in range(st.n_pend - k):
        st.pend[j] = st.pend[j + k]
    st.n_pend -= k
    if st.n_pend == 1 and new_total - st.pend[0] > st.max_period + LAGRANGE_HI + 3:
        st.n_pend = 0           # a lone crossing whose successor would be too far
    # 3. features
    out = np.empty((N_COLUMNS, nc))
    harm_i = np.empty((nc, st.nh), dtype=np.complex128)
    harm_v = np.zeros((nc, st.nh), dtype=np.complex128)
    wrows = nc if st.want_waves else 0
    wave_i = np.empty((wrows, st.npts))
    wave_v = np.empty((wrows, st.npts))
    cdef double[:, ::1] ov = out
    cdef double complex[:, ::1] hiv = harm_i
    cdef double complex[:, ::1] hvv = harm_v
    cdef double[:, ::1] wiv = wave_i
    cdef double[:, ::1] wvv = wave_v
    cdef Py_ssize_t tmp_len = <Py_ssize_t>st.max_period + 2 * (LAGRANGE_HI + LAGRANGE_LO) + 8
    cdef double* tmp = NULL
    cdef double* work = NULL
    if nc > 0:
        tmp = <double*>malloc(sizeof(double) * (2 * tmp_len + st.npts * 5 + 8))
        if tmp == NULL:
            raise MemoryError()
        work = tmp + 2 * tmp_len
        with nogil:
            for col in range(nc):
                err = _compute_cycle(st, xi, xv, chunk_start, t0v[col], t1v[col], tmp, tmp + tmp_len, work,
                                     ov, col, hiv, hvv, wiv, wvv)
                if err != ERR_OK:
                    break
        free(tmp)
        if err != ERR_OK:
            return (err, 0, None, None, None, None, None)
    # 4. keep only the samples a future cycle can need
    if st.n_pend > 0:
        keep_from = <Py_ssize_t>floor(st.pend[0]) - LAGRANGE_LO - 2
    else:
        keep_from = new_total - LAGRANGE_LO - 2
    if keep_from < st.buf_start:
        keep_from = st.buf_start
    keep_len = new_total - keep_from
    if keep_len > st.buf_i.shape[0]:
        bi = np.zeros(2 * keep_len)
        bv = np.zeros(2 * keep_len)
        bi[:st.buf_len] = st.buf_i[:st.buf_len]
        bv[:st.buf_len] = st.buf_v[:st.buf_len]
        st.buf_i = bi
        st.buf_v = bv
    with nogil:
        # old buffer part first (moving down), then the chunk part
        for j in range(keep_len):
            src = keep_from + j
            if src < chunk_start:
                st.buf_i[j] = st.buf_i[src - st.buf_start]
                st.buf_v[j] = st.buf_v[src - st.buf_start]
            else:
                st.buf_i[j] = <double>xi[src - chunk_start]
                st.buf_v[j] = <double>xv[src - chunk_start] if st.has_v else 0.0
    st.buf_start = keep_from
    st.buf_len = keep_len
    st.total = new_total
    return (ERR_OK, 0, out, harm_i, harm_v, wave_i, wave_v)


# ---------------------------------------------------------------------------
# Sequential scans of the event and arc-fault detectors live in their own
# include files to keep this one readable; they share this module.
# ---------------------------------------------------------------------------
include "_events.pxi"
include "_arc.pxi"
include "_arcmask.pxi"
