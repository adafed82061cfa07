# Compiled core of currentprint.
#
# The Python layer (framing.py, analyzer.py) validates and converts; the
# functions here are tight typed loops over contiguous memoryviews that run
# without the GIL and report problems through integer return codes, which the
# Python wrappers turn into exceptions.  Directives come from setup.py (no
# "# cython:" header here, it would override the debug build switch).

from libc.math cimport sqrt, floor, ceil, fabs, atan2, cos, sin, hypot, M_PI, NAN, INFINITY
from libc.stdlib cimport malloc, free
from libc.string cimport memcmp, memcpy
from cpython.ref cimport PyObject, Py_REFCNT
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE

from ._fused cimport sample_t

# module-level (a function-level import costs ~0.2 us per call, paid per push by a terminal)
import numpy as _np
cdef object _F64 = _np.dtype(_np.float64)
cdef object _C128 = _np.dtype(_np.complex128)

# The per-cycle pass and the FFT are C (SIMD through GCC/Clang vector
# extensions, an AVX2 copy chosen at run time); see _cycle.h.
cdef extern from "_cycle.h" nogil:
    enum:
        CP_N_COLUMNS
        CP_ERR_OVERFLOW
        CP_HAVE_AVX2
    ctypedef struct cp_params:
        Py_ssize_t npts, nh
        int has_v, want_waves, has_phase
        double fs, i_scale, i_off, v_scale, v_off, clip, shoulder
        const Py_ssize_t* rev
        const double* cos_t
        const double* sin_t
        const double* tw_r
        const double* tw_i
        const double* rot_r
        const double* rot_i
    Py_ssize_t cp_work_size(Py_ssize_t npts)
    int cp_simd_select(int want)
    int cp_cycle_f64(const cp_params* P, const double* xi, const double* xv, Py_ssize_t n_len, double t0,
                     double t1, Py_ssize_t base, double* work, double* out, Py_ssize_t os, Py_ssize_t col,
                     double* hi, double* hv, double* wi, double* wv)
    int cp_cycle_f32(const cp_params* P, const float* xi, const float* xv, Py_ssize_t n_len, double t0,
                     double t1, Py_ssize_t base, double* work, double* out, Py_ssize_t os, Py_ssize_t col,
                     double* hi, double* hv, double* wi, double* wv)
    int cp_cycle_i16(const cp_params* P, const short* xi, const short* xv, Py_ssize_t n_len, double t0,
                     double t1, Py_ssize_t base, double* work, double* out, Py_ssize_t os, Py_ssize_t col,
                     double* hi, double* hv, double* wi, double* wv)
    Py_ssize_t cp_scan_f64(const double* x, Py_ssize_t n, double* state, double* out, Py_ssize_t cap,
                           double offset, double decay, double hyst, double min_period, const double* sos,
                           int use_filter, double* chk)
    Py_ssize_t cp_scan_f32(const float* x, Py_ssize_t n, double* state, double* out, Py_ssize_t cap,
                           double offset, double decay, double hyst, double min_period, const double* sos,
                           int use_filter, double* chk)
    Py_ssize_t cp_scan_i16(const short* x, Py_ssize_t n, double* state, double* out, Py_ssize_t cap,
                           double offset, double decay, double hyst, double min_period, const double* sos,
                           int use_filter, double* chk)
    Py_ssize_t cp_first_nonfinite_f64(const double* x, Py_ssize_t n, double* maxabs)
    Py_ssize_t cp_first_nonfinite_f32(const float* x, Py_ssize_t n, double* maxabs)
    void cp_widen_i16(const short* x, double* out, Py_ssize_t n)
    void cp_widen_f32(const float* x, double* out, Py_ssize_t n)
    void cp_rfft(const double* x, double* fr, double* fi, double* wre, double* wim, Py_ssize_t n,
                 const Py_ssize_t* rev, const double* cos_t, const double* sin_t,
                 const double* tw_r, const double* tw_i)


# ---------------------------------------------------------------------------
# SIMD path: AVX2 when the CPU has it, unless CURRENTPRINT_SIMD=baseline.
# ---------------------------------------------------------------------------
def set_simd(str path="auto"):
    """Choose the compiled copy of the per-cycle kernel.

    Parameters
    ----------
    path : {"auto", "baseline"}
        ``"auto"``: AVX2 (with FMA) when this is an x86-64 build and the CPU
        has it; ``"baseline"``: the portable copy (SSE2 on x86-64). Cycle
        bounds are identical; the per-cycle values agree within rounding
        (the AVX2 copy fuses multiply-adds in the resampling, the FFT and
        the harmonic rotation; ~1e-16 relative, tested within 1e-9).

    Returns
    -------
    str
        The path now in use, ``"avx2"`` or ``"baseline"``.
    """
    if path not in ("auto", "baseline"):
        raise ValueError(f"path must be 'auto' or 'baseline', got {path!r}")
    _SIMD[0] = "avx2" if cp_simd_select(1 if path == "auto" else 0) else "baseline"
    return _SIMD[0]


def simd_path():
    """The compiled copy in use: ``"avx2"`` or ``"baseline"``."""
    return _SIMD[0]


def _init_simd():
    import os
    want = os.environ.get("CURRENTPRINT_SIMD", "auto").strip().lower()
    set_simd("baseline" if want in ("baseline", "0", "off", "none", "sse2") else "auto")


_SIMD = ["baseline"]
_init_simd()

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
assert len(COLUMNS) == N_COLUMNS == CP_N_COLUMNS

# error codes returned by the kernels
cdef enum:
    ERR_OK = 0
    ERR_BOUNDS = 1        # a cycle needs samples outside the buffer given
    ERR_NOMEM = 2
    ERR_BAD_N = 3         # harmonics >= n_points/2 or < 1
    ERR_NONFINITE = 4     # (stream_push) NaN or inf sample; info = its index
    ERR_OVERFLOW = 5      # a cycle's spectrum is not finite (values overflow float64)
ERRORS = {
    ERR_BOUNDS: "a cycle needs samples outside the buffer",
    ERR_NOMEM: "out of memory",
    ERR_BAD_N: "harmonics must be >= 1 and below half the resampled points",
    ERR_NONFINITE: "NaN or infinity in the samples",
    ERR_OVERFLOW: "a cycle's values overflow float64 (scale or samples far too large)",
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
        # bit reversal of 0..m-1, one bit per pass over the whole array
        bits = m.bit_length() - 1
        j = np.arange(m, dtype=np.intp)
        rev = np.zeros(m, dtype=np.intp)
        for _ in range(bits):
            rev = (rev << 1) | (j & 1)
            j >>= 1
        self.rev = rev


# Plans are immutable once made (the kernel only reads them), so every stream of one grid size
# shares one: an analysis of a short signal or a new Monitor no longer pays ~50 us of table
# building. Sizes are powers of two up to analyzer.MAX_N_POINTS (at most 15 entries); dict reads and
# setdefault are atomic under the GIL, so two threads racing on a new size just build it twice.
cdef dict _plans = {}
# phase rotation tables per (points, phase): bounded, a calibration sweep must not grow it forever
cdef dict _rotations = {}
cdef enum:
    ROTATIONS_KEPT = 64


def fft_plan(Py_ssize_t n):
    """The shared :class:`FFTPlan` of ``n`` points (made on first use; never modified)."""
    plan = _plans.get(n)
    if plan is None:
        plan = FFTPlan(n)
        if len(_plans) < 32:
            plan = _plans.setdefault(n, plan)
    return plan


def _shared_phase_tables(Py_ssize_t npts, double phase_rad):
    """``_phase_tables`` of a (points, phase) pair, cached; the arrays are read-only."""
    key = (npts, phase_rad)
    tabs = _rotations.get(key)
    if tabs is None:
        tabs = _phase_tables(npts, phase_rad)
        for t in tabs:
            t.flags.writeable = False
        if len(_rotations) >= ROTATIONS_KEPT:
            _rotations.clear()
        tabs = _rotations.setdefault(key, tabs)
    return tabs


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
                cp_rfft(&x[r, 0], fr, fi, wre, wim, n, &plan.rev[0], &plan.cos_t[0], &plan.sin_t[0],
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


cdef Py_ssize_t _scan(const sample_t[::1] x, double* state, double* out, Py_ssize_t cap,
                     double offset, double decay, double hysteresis, double min_period,
                     const double[:, ::1] sos, bint use_filter, double* chk=NULL) noexcept nogil:
    """Crossing scan over one chunk (C, cp_scan in _cycle_h); returns the count written or -1 (out full).
    With ``chk`` (double[2]) also the chunk's NaN/range test: ``chk[0]`` NaN when a sample is not finite
    (or x - offset overflows), else 0; ``chk[1]`` a bound m with max |x| <= m + |offset| (see cp_scan;
    only of the samples reached when it returns -1).

    The crossing's sub-sample position is the chord between the samples
    around zero refined by Newton steps on the cubic through four samples
    (see cp_crossing_fraction).
    """
    cdef Py_ssize_t n = x.shape[0]
    if n == 0:
        if chk != NULL:
            chk[0] = 0.0
            chk[1] = 0.0
        return 0
    if sample_t is double:
        return cp_scan_f64(&x[0], n, state, out, cap, offset, decay, hysteresis, min_period, &sos[0, 0], use_filter,
                           chk)
    elif sample_t is float:
        return cp_scan_f32(&x[0], n, state, out, cap, offset, decay, hysteresis, min_period, &sos[0, 0], use_filter,
                           chk)
    else:
        return cp_scan_i16(&x[0], n, state, out, cap, offset, decay, hysteresis, min_period, &sos[0, 0], use_filter,
                           chk)


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
    if harm_i.shape[1] != harmonics or harm_v.shape[1] != harmonics:
        return ERR_BOUNDS
    if has_voltage and voltage.shape[0] < current.shape[0]:
        return ERR_BOUNDS
    if nc == 0:
        return ERR_OK
    cdef bint want_waves = wave_i.shape[0] > 0
    if want_waves and (wave_i.shape[0] < nc or wave_v.shape[0] < nc or wave_i.shape[1] != npts
                       or wave_v.shape[1] != npts):
        return ERR_BOUNDS
    rot_r, rot_i = _phase_tables(npts, phase_rad)
    cdef cp_params P = _params(plan, harmonics, has_voltage, want_waves, fs, i_scale, i_offset, v_scale,
                               v_offset, clip, shoulder_fraction, phase_rad, rot_r, rot_i)
    cdef double* work = <double*>malloc(sizeof(double) * cp_work_size(npts))
    if work == NULL:
        return ERR_NOMEM
    cdef double* hi = <double*>&harm_i[0, 0]
    cdef double* hv = <double*>&harm_v[0, 0]
    cdef double* wi = &wave_i[0, 0] if want_waves else NULL
    cdef double* wv = &wave_v[0, 0] if want_waves else NULL
    with nogil:
        for c in range(nc):
            err = _cycle(&P, current, voltage, t0[c], t1[c], base, work, &out[0, 0], out.shape[1], c,
                         hi, hv, wi, wv)
            if err != ERR_OK:
                break
    free(work)
    return err


def _phase_tables(Py_ssize_t npts, double phase_rad):
    """Rotation exp(i k phase) of bins k = 0..npts/2 (by recurrence, as the kernel always did)."""
    import numpy as np
    rot_r = np.zeros(npts // 2 + 1)
    rot_i = np.zeros(npts // 2 + 1)
    cdef double[::1] rr = rot_r
    cdef double[::1] ri = rot_i
    cdef double d_r = cos(phase_rad), d_i = sin(phase_rad), cr = d_r, ci = d_i, tmp
    cdef Py_ssize_t k
    rr[0] = 1.0
    for k in range(1, npts // 2 + 1):
        rr[k] = cr
        ri[k] = ci
        tmp = cr * d_r - ci * d_i
        ci = cr * d_i + ci * d_r
        cr = tmp
    return rot_r, rot_i


cdef cp_params _params(FFTPlan plan, Py_ssize_t nh, bint has_v, bint want_waves, double fs,
                       double i_scale, double i_off, double v_scale, double v_off, double clip,
                       double shoulder, double phase_rad, const double[::1] rot_r, const double[::1] rot_i):
    """Constants of the C kernel; the arrays it points into must outlive its use."""
    cdef cp_params P
    P.npts = plan.n
    P.nh = nh
    P.has_v = has_v
    P.want_waves = want_waves
    P.has_phase = phase_rad != 0.0
    P.fs = fs
    P.i_scale = i_scale
    P.i_off = i_off
    P.v_scale = v_scale
    P.v_off = v_off
    P.clip = clip
    P.shoulder = shoulder
    P.rev = &plan.rev[0]
    P.cos_t = &plan.cos_t[0]
    P.sin_t = &plan.sin_t[0]
    P.tw_r = &plan.tw_r[0]
    P.tw_i = &plan.tw_i[0]
    P.rot_r = &rot_r[0]
    P.rot_i = &rot_i[0]
    return P


cdef inline int _cycle(const cp_params* P, const sample_t[::1] xi, const sample_t[::1] xv,
                       double t0, double t1, Py_ssize_t base, double* work, double* out, Py_ssize_t os,
                       Py_ssize_t col, double* hi, double* hv, double* wi, double* wv) noexcept nogil:
    """One cycle through the C kernel of this sample type (xv is read only with a voltage)."""
    cdef Py_ssize_t n = xi.shape[0]
    if n == 0 or (P.has_v and xv.shape[0] < n):
        return ERR_BOUNDS
    if sample_t is double:
        return cp_cycle_f64(P, &xi[0], &xv[0] if P.has_v else NULL, n, t0, t1, base, work, out, os, col,
                            hi, hv, wi, wv)
    elif sample_t is float:
        return cp_cycle_f32(P, &xi[0], &xv[0] if P.has_v else NULL, n, t0, t1, base, work, out, os, col,
                            hi, hv, wi, wv)
    else:
        return cp_cycle_i16(P, &xi[0], &xv[0] if P.has_v else NULL, n, t0, t1, base, work, out, os, col,
                            hi, hv, wi, wv)


# ---------------------------------------------------------------------------
# Streaming: crossings, buffering and per-cycle features in one call per
# chunk.  Batch analysis is the same code fed one chunk, so streaming equals
# batch by construction; cycles that lie inside a chunk are computed on the
# caller's array (no copy), cycles that straddle two chunks on a small
# float64 copy of the samples they need (int16/float32 -> float64 is exact).
# ---------------------------------------------------------------------------
cdef Py_ssize_t _first_nonfinite(const sample_t[::1] x, double* maxabs) noexcept nogil:
    """Index of the first NaN/inf sample or -1; ``maxabs``: largest |x| of the finite float samples
    (0 for integers, whose range analyzer.py checks from the dtype)."""
    maxabs[0] = 0.0
    if sample_t is short or x.shape[0] == 0:
        return -1
    elif sample_t is double:
        return cp_first_nonfinite_f64(&x[0], x.shape[0], maxabs)
    else:
        return cp_first_nonfinite_f32(&x[0], x.shape[0], maxabs)


cdef enum:
    # pending crossings up to which a push's cycle bounds go to the stream's scratch (less than
    # 2 * MIN_CYCLES_PER_WORKER: a push shared over threads always has bounds of its own)
    SMALL_PUSH_CROSSINGS = 64


cdef class CycleStream:
    """State of one streamed channel pair (see ``stream_push``).

    All parameters are fixed at construction; ``state_arrays`` and
    ``load_arrays`` move the running state in and out as NumPy arrays.
    """
    cdef readonly double fs, max_period, i_scale, i_off, v_scale, v_off, clip, phase_rad
    cdef readonly double shoulder, decay, hysteresis, min_period
    cdef readonly Py_ssize_t npts, nh
    cdef readonly bint has_v, filtered, want_waves
    # with want_waves: 1 both channels' resampled cycles, 2 the current's alone (waveforms="current")
    cdef readonly int wave_mode
    cdef readonly FFTPlan plan
    cdef double[:, ::1] sos
    cdef double[::1] scan_state
    cdef double[::1] buf_i
    cdef double[::1] buf_v
    cdef readonly Py_ssize_t buf_start, buf_len, total, n_pend, tmp_len
    cdef double[::1] pend
    cdef const double[::1] rot_r
    cdef const double[::1] rot_i
    # cycle bounds of a short push (a stream is pushed by one thread at a time)
    cdef double[::1] t0_buf
    cdef double[::1] t1_buf
    # without waveforms: zero-row wave outputs (nothing to write into them, so one pair serves every push)
    cdef object no_wave_i, no_wave_v
    # waveforms="current": the voltage's rows, a read-only all-NaN view (no memory) sliced per push;
    # grown when a push has more cycles (a new view per push cost ~3 us, half a one-cycle push)
    cdef object nan_wave
    cdef double[:, ::1] no_wave_iv
    cdef double[:, ::1] no_wave_vv

    def __init__(self, double fs, double max_period, double min_period, Py_ssize_t npts, Py_ssize_t harmonics,
                 double i_scale, double i_offset, double v_scale, double v_offset, double clip,
                 double phase_rad, double shoulder_fraction, double decay, double hysteresis,
                 sos, bint has_voltage, int waveforms):
        np = _np
        self.fs = fs
        self.max_period = max_period
        self.min_period = min_period
        self.npts = npts
        self.nh = harmonics
        self.plan = fft_plan(npts)
        self.rot_r, self.rot_i = _shared_phase_tables(npts, phase_rad)
        self.tmp_len = <Py_ssize_t>max_period + 2 * (LAGRANGE_HI + LAGRANGE_LO) + 8
        self.i_scale = i_scale
        self.i_off = i_offset
        self.v_scale = v_scale
        self.v_off = v_offset
        self.clip = clip
        self.phase_rad = phase_rad
        self.shoulder = shoulder_fraction
        self.decay = decay
        self.hysteresis = hysteresis
        self.sos = np.ascontiguousarray(sos, _F64)
        self.has_v = has_voltage
        self.filtered = not has_voltage
        if waveforms < 0 or waveforms > 2:
            raise ValueError("waveforms mode must be 0, 1 or 2")
        self.want_waves = waveforms != 0
        self.wave_mode = waveforms
        # the running state's arrays as slices of one block (a new stream, e.g. of every analyze()
        # call, pays one allocation; buffers that grow later get arrays of their own)
        cap = int(max_period) + 64
        cdef double[::1] block = np.zeros(S_LEN + 16 + 2 * SMALL_PUSH_CROSSINGS + 2 * cap)
        self.scan_state = block[:S_LEN]
        self.scan_state[S_LAST] = NAN               # as new_scan_state()
        self.pend = block[S_LEN:S_LEN + 16]
        self.t0_buf = block[S_LEN + 16:S_LEN + 16 + SMALL_PUSH_CROSSINGS]
        self.t1_buf = block[S_LEN + 16 + SMALL_PUSH_CROSSINGS:S_LEN + 16 + 2 * SMALL_PUSH_CROSSINGS]
        self.buf_i = block[S_LEN + 16 + 2 * SMALL_PUSH_CROSSINGS:S_LEN + 16 + 2 * SMALL_PUSH_CROSSINGS + cap]
        self.buf_v = block[S_LEN + 16 + 2 * SMALL_PUSH_CROSSINGS + cap:]
        self.buf_start = 0
        self.buf_len = 0
        self.total = 0
        self.n_pend = 0
        # zero rows: nothing is ever written to it, so both channels share it
        self.no_wave_i = self.no_wave_v = np.empty((0, npts))
        self.no_wave_iv = self.no_wave_i
        self.no_wave_vv = self.no_wave_iv

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


cdef int _compute_cycle(CycleStream st, const cp_params* P, const sample_t[::1] xi, const sample_t[::1] xv,
                        Py_ssize_t chunk_start, double t0, double t1, double* tmp_i, double* tmp_v,
                        double* work, double* out, Py_ssize_t os, Py_ssize_t col, double* hi, double* hv,
                        double* wi, double* wv) noexcept nogil:
    """One cycle, on the chunk itself or on a float64 copy when it straddles the buffer."""
    cdef Py_ssize_t lo = <Py_ssize_t>ceil(t0) - LAGRANGE_LO
    cdef Py_ssize_t hi_idx = <Py_ssize_t>ceil(t1) + LAGRANGE_HI + 1     # exclusive
    cdef Py_ssize_t k, m
    if lo >= chunk_start:
        if sample_t is short or sample_t is float:
            # int16, float32: the cycle's samples widened into the cycle-sized scratch (exact) and run
            # through the float64 kernel, whose taps read plain doubles (no copy of the recording)
            if hi_idx - lo > st.tmp_len or hi_idx - chunk_start > xi.shape[0] \
                    or (st.has_v and hi_idx - chunk_start > xv.shape[0]):
                return _cycle(P, xi, xv, t0, t1, chunk_start, work, out, os, col, hi, hv, wi, wv)
            if sample_t is short:
                cp_widen_i16(&xi[lo - chunk_start], tmp_i, hi_idx - lo)
                if st.has_v:
                    cp_widen_i16(&xv[lo - chunk_start], tmp_v, hi_idx - lo)
            else:
                cp_widen_f32(&xi[lo - chunk_start], tmp_i, hi_idx - lo)
                if st.has_v:
                    cp_widen_f32(&xv[lo - chunk_start], tmp_v, hi_idx - lo)
            return cp_cycle_f64(P, tmp_i, tmp_v if P.has_v else NULL, hi_idx - lo, t0, t1, lo, work, out, os,
                                col, hi, hv, wi, wv)
        return _cycle(P, xi, xv, t0, t1, chunk_start, work, out, os, col, hi, hv, wi, wv)
    # samples [lo, hi_idx): the part before chunk_start from the buffer
    if lo < st.buf_start or hi_idx - lo > st.tmp_len:
        return ERR_BOUNDS
    m = 0
    for k in range(lo, hi_idx):
        if k < chunk_start:
            tmp_i[m] = st.buf_i[k - st.buf_start]
            tmp_v[m] = st.buf_v[k - st.buf_start]
        else:
            tmp_i[m] = <double>xi[k - chunk_start]
            tmp_v[m] = <double>xv[k - chunk_start] if st.has_v else 0.0
        m += 1
    return cp_cycle_f64(P, tmp_i, tmp_v if P.has_v else NULL, m, t0, t1, lo, work, out, os, col,
                        hi, hv, wi, wv)


# Work sharing between the threads of one push (``stream_push`` with workers > 1): the cycles are
# cut into chunks of FEATURE_CHUNK; every thread (the caller's included) takes the next chunk from
# a shared counter until none is left, so a thread that starts late or is descheduled by another
# process leaves its share to the others instead of holding the push up. A schedule is an intp
# array: [next chunk, chunks done, error code of chunk 0, of chunk 1, ...]. Each cycle is still
# computed by the same code into its own column, so the tables do not depend on who computed what;
# the error reported is the one of the first failing chunk, i.e. of the first failing cycle, as
# with one thread.
cdef extern from *:
    """
    static inline Py_ssize_t cp_fetch_add(Py_ssize_t *p, Py_ssize_t v) {
        return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);
    }
    static inline Py_ssize_t cp_load_acquire(const Py_ssize_t *p) {
        return __atomic_load_n(p, __ATOMIC_ACQUIRE);
    }
    static inline void cp_fetch_or(Py_ssize_t *p, Py_ssize_t v) {
        __atomic_fetch_or(p, v, __ATOMIC_ACQ_REL);
    }
    """
    Py_ssize_t cp_fetch_add(Py_ssize_t* p, Py_ssize_t v) nogil
    Py_ssize_t cp_load_acquire(const Py_ssize_t* p) nogil
    void cp_fetch_or(Py_ssize_t* p, Py_ssize_t v) nogil

cdef enum:
    FEATURE_CHUNK = 64          # cycles per chunk (~50 us at 6.4 kHz: the end of a push waits at most that)
    SCHED_NEXT = 0
    SCHED_DONE = 1
    SCHED_FLAGS = 2             # screen flags of every chunk, OR-ed (see _screen)
    SCHED_ERR = 3
    SCREEN_THD_FLAG = 1
    SCREEN_VOLTAGE_FLAG = 2


# Per-cycle screens of analyzer.py (THD floor, voltage fundamental), applied while a cycle's values
# are still in cache and on every thread: analyzer.py used to run them on the whole table after
# the push (~0.6 ms for 10 minutes of cycles, with one thread only). Their decisions must stay
# NumPy's (``np.abs`` of a complex number may differ from ``hypot`` in the last bits): a cycle is
# decided here only when it is clear of the threshold by SCREEN_MARGIN relative; otherwise the
# push's flags ask analyzer.py to run its NumPy test on the table, which then decides as before.
cdef struct screen_t:
    double thd_floor            # > 0: THD is NaN where |I1| < max(thd_floor, i_residual * noise_k)
    double noise_k
    double min_fund             # > 0: flag a cycle unless |V1| >= min_fund * v_rms clearly

cdef double SCREEN_MARGIN = 1e-9
SCREEN_THD = SCREEN_THD_FLAG
SCREEN_VOLTAGE = SCREEN_VOLTAGE_FLAG


cdef inline double _cabs(double complex z) noexcept nogil:
    """|z| within ~2 ulp (a plain root of the squares; hypot() only where they would under/overflow)."""
    cdef double re = z.real, im = z.imag, a2 = re * re + im * im
    if 1e-290 < a2 < 1e290:
        return sqrt(a2)
    return hypot(re, im)


cdef inline int _screen(const screen_t* sc, double[:, ::1] ov, double complex[:, ::1] hiv,
                        double complex[:, ::1] hvv, Py_ssize_t col) noexcept nogil:
    """The screens of cycle ``col``: sets THD to NaN where clearly below the floor; returns the
    SCREEN_* flags of the tests it could not decide (and of a voltage fundamental not clearly
    large enough, which analyzer.py drops)."""
    cdef int fl = 0
    cdef double r, thr, a, t
    if sc.thd_floor > 0:
        r = ov[C_I_RESIDUAL, col] * sc.noise_k
        if r == r:                  # a NaN noise level: np.maximum gives NaN, no comparison holds
            thr = sc.thd_floor if sc.thd_floor >= r else r
            a = _cabs(hiv[col, 0])
            if a < thr * (1.0 - SCREEN_MARGIN):
                ov[C_THD, col] = NAN
            elif not (a >= thr * (1.0 + SCREEN_MARGIN)):
                fl |= SCREEN_THD_FLAG
    if sc.min_fund > 0:
        t = sc.min_fund * ov[C_V_RMS, col]
        a = _cabs(hvv[col, 0])
        if not (a >= t * (1.0 + SCREEN_MARGIN)):
            fl |= SCREEN_VOLTAGE_FLAG
    return fl


cdef inline int _features_span(CycleStream st, const cp_params* P, const sample_t[::1] xi, const sample_t[::1] xv,
                               Py_ssize_t chunk_start, const double[::1] t0v, const double[::1] t1v,
                               double[:, ::1] ov, double complex[:, ::1] hiv, double complex[:, ::1] hvv,
                               double[:, ::1] wiv, double[:, ::1] wvv, Py_ssize_t lo, Py_ssize_t hi,
                               double* tmp, double* work, const screen_t* sc, int* flags) noexcept nogil:
    """Cycles [lo, hi) into their columns, screened (flags OR-ed into ``flags``); the first error
    code or ERR_OK."""
    cdef Py_ssize_t nc = ov.shape[1], col
    cdef int err
    for col in range(lo, hi):
        err = _compute_cycle(st, P, xi, xv, chunk_start, t0v[col], t1v[col], tmp, tmp + st.tmp_len,
                             work, &ov[0, 0], nc, col, <double*>&hiv[0, 0], <double*>&hvv[0, 0],
                             &wiv[0, 0] if st.want_waves else NULL,
                             &wvv[0, 0] if st.wave_mode == 1 else NULL)
        if err != ERR_OK:
            return err
        flags[0] |= _screen(sc, ov, hiv, hvv, col)
    return ERR_OK


cdef int _features_loop(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv, Py_ssize_t chunk_start,
                        const double[::1] t0v, const double[::1] t1v, double[:, ::1] ov,
                        double complex[:, ::1] hiv, double complex[:, ::1] hvv, double[:, ::1] wiv,
                        double[:, ::1] wvv, Py_ssize_t lo, Py_ssize_t hi, const screen_t* sc, int* flags,
                        Py_ssize_t* sched) noexcept:
    """Features of cycles [lo, hi) of one push into their columns, screened (``_screen``), the GIL
    released inside. Without ``sched`` (NULL) all of them, returning an error code and the screen
    flags in ``flags``; with a schedule (lo = 0, see above) the chunks this thread takes, each
    chunk's code and flags in the schedule (returns ERR_NOMEM if this thread could not start,
    having taken no chunk)."""
    cdef Py_ssize_t nc = ov.shape[1], tmp_len = st.tmp_len, k, a, b
    cdef int err = ERR_OK, fl
    cdef double* tmp
    cdef double* work
    cdef cp_params P
    if lo >= hi:
        return ERR_OK
    if lo < 0 or hi > nc or hi > t0v.shape[0] or hi > t1v.shape[0]:
        return ERR_BOUNDS
    P = _params(st.plan, st.nh, st.has_v, st.want_waves, st.fs, st.i_scale, st.i_off, st.v_scale,
                st.v_off, st.clip, st.shoulder, st.phase_rad, st.rot_r, st.rot_i)
    tmp = <double*>malloc(sizeof(double) * (2 * tmp_len + cp_work_size(st.npts)))
    if tmp == NULL:
        return ERR_NOMEM
    work = tmp + 2 * tmp_len
    with nogil:
        if sched == NULL:
            err = _features_span(st, &P, xi, xv, chunk_start, t0v, t1v, ov, hiv, hvv, wiv, wvv, lo, hi, tmp, work,
                                 sc, flags)
        else:
            while True:
                k = cp_fetch_add(&sched[SCHED_NEXT], 1)
                a = lo + k * FEATURE_CHUNK
                if a >= hi:
                    break
                b = a + FEATURE_CHUNK if a + FEATURE_CHUNK < hi else hi
                fl = 0
                sched[SCHED_ERR + k] = _features_span(st, &P, xi, xv, chunk_start, t0v, t1v, ov, hiv, hvv,
                                                      wiv, wvv, a, b, tmp, work, sc, &fl)
                if fl:
                    cp_fetch_or(&sched[SCHED_FLAGS], fl)
                cp_fetch_add(&sched[SCHED_DONE], 1)       # publishes the chunk's columns, code and flags
    free(tmp)
    return err


def _features_range(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv, Py_ssize_t chunk_start,
                    const double[::1] t0v, const double[::1] t1v, double[:, ::1] ov,
                    double complex[:, ::1] hiv, double complex[:, ::1] hvv, double[:, ::1] wiv,
                    double[:, ::1] wvv, Py_ssize_t[::1] sched, double thd_floor, double noise_k, double min_fund):
    """A worker thread's share of a push's cycles: chunks from the schedule ``sched`` (see
    ``_features_loop``) until none is left; returns an error code."""
    cdef screen_t sc
    cdef int fl = 0
    if cp_load_acquire(&sched[SCHED_NEXT]) * FEATURE_CHUNK >= ov.shape[1]:
        return ERR_OK           # started after the others took every chunk (the push may be over)
    sc.thd_floor = thd_floor
    sc.noise_k = noise_k
    sc.min_fund = min_fund
    return _features_loop(st, xi, xv, chunk_start, t0v, t1v, ov, hiv, hvv, wiv, wvv, 0, ov.shape[1], &sc, &fl,
                          &sched[0])


# ---------------------------------------------------------------------------
# Reused output buffers. A long batch's tables (29 columns plus two complex
# harmonic tables: ~1 kB per cycle, 31 MB for 10 min at 50 Hz) taken as fresh
# memory cost the kernel's page faults and zero-filling on every call, about a
# tenth of the whole pass. Large outputs are carved from a few flat buffers kept
# here; a buffer is handed out again only when nothing but this pool refers to
# it (every table, column or view made from it holds a reference to it through
# NumPy's ``base``), so no live result is ever overwritten. Everything runs with
# the GIL held, so threads cannot take the same buffer.
# ---------------------------------------------------------------------------
POOL_MIN_BYTES = 1 << 17        # from glibc's first mmap threshold on, malloc maps fresh pages (faults)
# per-call scratch of Python callers (pooled_empty, e.g. the arc detector's evidence block): from
# this size on malloc maps fresh pages (glibc's mmap threshold), below it reuses its own heap
POOL_SCRATCH_MIN_BYTES = 1 << 17
POOL_MAX_BYTES = 64 << 20       # a larger output is not kept after its table dies
POOL_SLOTS = 8                  # four outputs per push (with waveforms), two pushes' worth
POOL_TOTAL_BYTES = 160 << 20    # at most this much kept (idle or not) at any time
cdef list _pool = []
cdef bint _pool_on = True


def set_buffer_pool(bint enabled):
    """Turn the reuse of large output buffers on or off (off also drops the kept buffers)."""
    global _pool_on
    _pool_on = enabled
    if not enabled:
        del _pool[:]


def _pool_list():
    """The pool's buffers (for tests)."""
    return list(_pool)


def pool_bytes():
    """Bytes currently kept by the output buffer pool."""
    return sum(b.nbytes for b in _pool)


def pooled_empty(tuple shape, dtype=float, Py_ssize_t min_bytes=POOL_SCRATCH_MIN_BYTES):
    """A new C-contiguous array of ``shape`` (contents undefined), from the output pool when at
    least ``min_bytes`` large: per-call scratch that would otherwise take fresh memory (page
    faults) on every call. It is handed out again only once nothing refers to it or to a view
    of it."""
    return _out_buffer(shape, dtype, min_bytes)


cdef object _out_buffer(tuple shape, object dtype, Py_ssize_t min_bytes=POOL_MIN_BYTES):
    """A new C-contiguous array of ``shape`` (contents undefined), from the pool when at least
    ``min_bytes`` large."""
    np = _np
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype)
    cdef Py_ssize_t need = dtype.itemsize, k, best = -1, n
    cdef Py_ssize_t best_size = 0, size
    cdef PyObject* b
    for n in shape:
        need *= n
    if not _pool_on or need < min_bytes or need > POOL_MAX_BYTES:
        return np.empty(shape, dtype)
    n = PyList_GET_SIZE(_pool)
    for k in range(n):
        b = PyList_GET_ITEM(_pool, k)
        if Py_REFCNT(<object>b) != 1:       # held by the pool only (b is borrowed: no extra reference)
            continue
        size = (<object>b).nbytes
        # fits, and not so large that a small table would pin a big buffer
        if need <= size <= 2 * need and (best < 0 or size < best_size):
            best = k
            best_size = size
    if best < 0:
        buf = np.empty(need + (need >> 3), np.uint8)    # 1/8 spare for the next batch's count
        if n >= POOL_SLOTS:
            # make room: the least recently used idle buffer, else the least recently used one
            # (a table still holding it keeps it alive; the pool only forgets it)
            best = 0
            for k in range(n):
                if Py_REFCNT(<object>PyList_GET_ITEM(_pool, k)) == 1:
                    best = k
                    break
            del _pool[best]
    else:
        buf = _pool.pop(best)
    _pool.append(buf)            # most recently used last
    total = 0
    for b2 in _pool:
        total += b2.nbytes
    while total > POOL_TOTAL_BYTES and len(_pool) > 1:
        total -= _pool[0].nbytes
        del _pool[0]
    return buf[:need].view(dtype).reshape(shape)


# below this many cycles a push is not split over threads (thread start-up would dominate)
MIN_CYCLES_PER_WORKER = 256


def _nonfinite_task(const sample_t[::1] x):
    """``(index of the first NaN/inf or -1, largest finite |x|)`` of a chunk, for a worker thread."""
    cdef double mx = 0.0
    cdef Py_ssize_t bad
    with nogil:
        bad = _first_nonfinite(x, &mx)
    return bad, mx


cdef Py_ssize_t _scan_chunk(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv,
                            double* chk=NULL) noexcept nogil:
    """The framing scan of one chunk appended to ``st.pend`` (room checked by the caller); the count or -1.
    ``chk``: the voltage's NaN/range test made by its scan (see ``_scan``; only with a voltage)."""
    cdef Py_ssize_t cap = xi.shape[0] // max(1, <Py_ssize_t>st.min_period) + 2
    if st.has_v:
        return _scan(xv, &st.scan_state[0], &st.pend[st.n_pend], cap, st.v_off, st.decay,
                     st.hysteresis, st.min_period, st.sos, False, chk)
    return _scan(xi, &st.scan_state[0], &st.pend[st.n_pend], cap, st.i_off, st.decay,
                 st.hysteresis, st.min_period, st.sos, True)


# Framing scan split over two threads, exactly. The scan is a sequential state machine, but its
# state forgets the past: after a crest (|x| above the decayed peak), an accepted crossing and three
# samples, a scan started anywhere with an empty state is in the same state (bit for bit) as the
# true one. A worker scans the second half of a long chunk from an empty state, recording its state
# after each of the first SPEC_CHECKS blocks; this thread scans the first half, then goes on block by
# block until its state equals the worker's at the same sample. From there the worker's crossings
# and final state are the true ones (same state, same samples, same code). If the states never meet
# within the recorded blocks, this thread scans the rest itself: the result is the sequential one
# either way; only the time differs.
cdef enum:
    SPEC_BLOCK = 256            # samples per checkpoint (a multiple of 4)
    SPEC_CHECKS = 64            # checkpoints recorded (16384 samples: 2.5 s at 6.4 kHz)
    SPEC_MIN = 8 * SPEC_BLOCK * SPEC_CHECKS     # shorter chunks are scanned by one thread
SPLIT_SCAN_MIN_SAMPLES = SPEC_MIN
cdef Py_ssize_t _n_joined = 0, _n_unjoined = 0, _n_unstarted = 0


def split_scan_counts():
    """``(joined, not joined, not started)``: split scans whose states met within the checkpoints,
    those that this thread finished alone because they did not, and those whose worker had not
    started when this thread reached the split (it then did the worker's part; for tests and
    benchmarks)."""
    return _n_joined, _n_unjoined, _n_unstarted


cdef Py_ssize_t _scan_part(CycleStream st, const sample_t[::1] x, Py_ssize_t lo, Py_ssize_t hi, double* state,
                           double* out, Py_ssize_t cap, double* chk=NULL) noexcept nogil:
    """The unfiltered (voltage) scan of ``x[lo:hi]``; the count written or -1 (out full). ``chk``: the
    NaN/range test of those samples folded into chk[0] (+) and chk[1] (max), see ``_scan``."""
    cdef double c[2]
    cdef double* pc = NULL
    cdef Py_ssize_t r
    if hi <= lo:
        return 0
    if chk != NULL and sample_t is not short:
        pc = c                  # the part's own test, folded into chk below
    if sample_t is double:
        r = cp_scan_f64(&x[lo], hi - lo, state, out, cap, st.v_off, st.decay, st.hysteresis, st.min_period,
                        &st.sos[0, 0], 0, pc)
    elif sample_t is float:
        r = cp_scan_f32(&x[lo], hi - lo, state, out, cap, st.v_off, st.decay, st.hysteresis, st.min_period,
                        &st.sos[0, 0], 0, pc)
    else:
        r = cp_scan_i16(&x[lo], hi - lo, state, out, cap, st.v_off, st.decay, st.hysteresis, st.min_period,
                        &st.sos[0, 0], 0, pc)
    if pc != NULL:
        chk[0] = chk[0] + c[0]
        if c[1] > chk[1]:
            chk[1] = c[1]
    return r


cdef Py_ssize_t _first_nonfinite_range(const sample_t[::1] x, Py_ssize_t lo, Py_ssize_t hi,
                                       double* maxabs) noexcept nogil:
    """``_first_nonfinite`` of ``x[lo:hi]`` (the index relative to ``x``)."""
    cdef Py_ssize_t r
    maxabs[0] = 0.0
    if hi > x.shape[0]:
        hi = x.shape[0]
    if sample_t is short or lo >= hi:
        return -1
    elif sample_t is double:
        r = cp_first_nonfinite_f64(&x[lo], hi - lo, maxabs)
    else:
        r = cp_first_nonfinite_f32(&x[lo], hi - lo, maxabs)
    return r + lo if r >= 0 else -1


cdef bint _cycles_clear(CycleStream st, const sample_t[::1] xi, Py_ssize_t chunk_start, const double[::1] t0v,
                        const double[::1] t1v, const double[:, ::1] ov, Py_ssize_t nc,
                        double max_value) noexcept nogil:
    """The current's NaN/range test of a chunk from the cycles just computed: True when it cannot refuse.

    Cycle k reduced every raw sample of [ceil(t0), ceil(t1)) (absolute) into its half-cycle sums of
    squares and its peak (``_cycle_tmpl.h``, step 3): both half-cycle RMS finite means every such sample
    is finite after calibration, and ``i_peak`` = max |(x - offset) * scale| bounds
    (max|x| + |offset|) * |scale| by i_peak + 2 |offset * scale| (rounding inside the 1e-9 margin).
    The chunk's samples outside every cycle (before the first, in gaps, after the last) get the plain
    pass. False (in doubt: also a half-cycle without samples) leaves the decision to the exact pass."""
    cdef Py_ssize_t n = xi.shape[0], pos = 0, a, b, k, r
    cdef double pk = 0.0, mx = 0.0, s, bound, osc = fabs(st.i_off * st.i_scale)
    for k in range(nc):
        b = <Py_ssize_t>ceil(t1v[k]) - chunk_start
        if b <= 0:
            continue            # all in the previous chunks (tested with them)
        a = <Py_ssize_t>ceil(t0v[k]) - chunk_start
        s = ov[C_HC_RMS_POS, k] + ov[C_HC_RMS_NEG, k]
        if not (s - s == 0.0):
            return False
        if ov[C_I_PEAK, k] > pk:
            pk = ov[C_I_PEAK, k]
        if a > pos:
            r = _first_nonfinite_range(xi, pos, a, &s)
            if r >= 0:
                return False
            if s > mx:
                mx = s
        if b > pos:
            pos = b
    if pos < n:
        r = _first_nonfinite_range(xi, pos, n, &s)
        if r >= 0:
            return False
        if s > mx:
            mx = s
    bound = pk + 2.0 * osc
    s = (mx + fabs(st.i_off)) * fabs(st.i_scale)
    if s > bound:
        bound = s
    return bound * (1.0 + 1e-9) <= max_value


def _check_and_speculate(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv, Py_ssize_t split,
                         double[::1] state, double[::1] out, double[:, ::1] ck_state, Py_ssize_t[::1] ck_count,
                         double[::1] vchk, bint check_i=True):
    """Worker task of a split push: the current's NaN/range pass (of ``xi[split:]``: the caller checks the
    first half; skipped when not ``check_i``, the cycles then judge the current, see ``_cycles_clear``),
    then (``split`` > 0) the speculative scan of ``xv[split:]`` from ``state`` (an empty state
    at ``split``), checkpoints in ``ck_*``, with the voltage's NaN/range test of those samples in ``vchk``
    (see ``_scan``). Returns ``(bad, max|current| of the part, crossings written or -1, checkpoints
    recorded)``."""
    cdef double mx = 0.0
    cdef Py_ssize_t bad = -1, n = xv.shape[0], lo = split, hi, k = 0, c, cnt = 0, cap = out.shape[0]
    with nogil:
        if check_i:
            bad = _first_nonfinite_range(xi, split, xi.shape[0], &mx)
        vchk[0] = 0.0
        vchk[1] = 0.0
        if split > 0:
            while lo < n:
                hi = lo + SPEC_BLOCK if k < ck_state.shape[0] else n
                if hi > n:
                    hi = n
                c = _scan_part(st, xv, lo, hi, &state[0], &out[cnt], cap - cnt, &vchk[0])
                if c < 0:
                    cnt = -1
                    break
                cnt += c
                if k < ck_state.shape[0]:
                    memcpy(&ck_state[k, 0], &state[0], sizeof(double) * S_LEN)
                    ck_count[k] = cnt
                    k += 1
                lo = hi
    return bad, mx, cnt, k


cdef Py_ssize_t _scan_join(CycleStream st, const sample_t[::1] xv, Py_ssize_t split, double* pend, Py_ssize_t cnt,
                           Py_ssize_t cap, const double[::1] spec_state, const double[::1] spec_out,
                           Py_ssize_t spec_cnt, const double[:, ::1] ck_state, const Py_ssize_t[::1] ck_count,
                           Py_ssize_t nck, bint* joined) noexcept nogil:
    """This thread's side of a split scan, once ``xv[:split]`` is scanned (``cnt`` crossings in ``pend``, the
    stream's state at ``split``): blocks until the state meets the worker's checkpoint, then the worker's
    later crossings and final state (``joined`` set). The count written to ``pend`` or -1 (full)."""
    cdef Py_ssize_t n = xv.shape[0], c, k, lo = split, hi, extra
    cdef double* state = &st.scan_state[0]
    if spec_cnt < 0:
        nck = 0                 # the worker's output filled up: scan everything here
    for k in range(nck):
        hi = lo + SPEC_BLOCK
        if hi > n:
            hi = n
        c = _scan_part(st, xv, lo, hi, state, pend + cnt, cap - cnt)
        if c < 0:
            return -1
        cnt += c
        lo = hi
        if memcmp(state, &ck_state[k, 0], sizeof(double) * S_LEN) == 0:
            # the same state at the same sample: the worker's crossings after it are the true ones
            extra = spec_cnt - ck_count[k]
            if cnt + extra > cap:
                return -1
            if extra > 0:
                memcpy(pend + cnt, &spec_out[ck_count[k]], sizeof(double) * extra)
            memcpy(state, &spec_state[0], sizeof(double) * S_LEN)
            joined[0] = True
            return cnt + extra
    c = _scan_part(st, xv, lo, n, state, pend + cnt, cap - cnt)
    if c < 0:
        return -1
    return cnt + c


def _join_py(CycleStream st, const sample_t[::1] xv, Py_ssize_t split, Py_ssize_t cnt, Py_ssize_t cap,
             const double[::1] spec_state, const double[::1] spec_out, Py_ssize_t spec_cnt,
             const double[:, ::1] ck_state, const Py_ssize_t[::1] ck_count, Py_ssize_t nck):
    """``_scan_join`` for ``stream_push`` (the pending list at its current end)."""
    global _n_joined, _n_unjoined
    cdef double* pend = &st.pend[st.n_pend]
    cdef bint joined = False
    with nogil:
        cnt = _scan_join(st, xv, split, pend, cnt, cap, spec_state, spec_out, spec_cnt, ck_state, ck_count, nck,
                         &joined)
    if joined:
        _n_joined += 1
    elif spec_cnt != -2:
        _n_unjoined += 1
    return cnt


cdef int _features_shared(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv, Py_ssize_t chunk_start,
                          t0s, t1s, out, harm_i, harm_v, wave_i, wave_v, executor, Py_ssize_t parts,
                          const screen_t* sc, int* flags) except -1:
    """All cycles of a push shared by this thread and ``parts - 1`` tasks on ``executor`` (see
    FEATURE_CHUNK); returns once every chunk is done: the first failing chunk's code or ERR_OK,
    the screen flags in ``flags``."""
    import numpy as np
    cdef Py_ssize_t nc = out.shape[1], nchunks = (nc + FEATURE_CHUNK - 1) // FEATURE_CHUNK, k
    sched_arr = np.zeros(SCHED_ERR + nchunks, dtype=np.intp)
    cdef Py_ssize_t[::1] sched = sched_arr
    ai = np.asarray(xi)
    av = np.asarray(xv)
    futures = []
    for _ in range(parts - 1):
        try:
            futures.append(executor.submit(_features_range, st, ai, av, chunk_start, t0s, t1s, out, harm_i,
                                           harm_v, wave_i, wave_v, sched_arr, sc.thd_floor, sc.noise_k,
                                           sc.min_fund))
        except RuntimeError:
            break               # an executor shut down (interpreter exit): fewer helpers
    cdef const double[::1] t0v = t0s
    cdef const double[::1] t1v = t1s
    cdef double[:, ::1] ov = out
    cdef double complex[:, ::1] hiv = harm_i
    cdef double complex[:, ::1] hvv = harm_v
    cdef double[:, ::1] wiv = wave_i
    cdef double[:, ::1] wvv = wave_v
    cdef int fl = 0
    mine = _features_loop(st, xi, xv, chunk_start, t0v, t1v, ov, hiv, hvv, wiv, wvv, 0, nc, sc, &fl, &sched[0])
    # every chunk has been handed out (unless this thread could not start): wait only for tasks
    # still computing one; a task that has not started is cancelled (it would find nothing to do)
    for f in futures:
        if cp_load_acquire(&sched[SCHED_DONE]) == nchunks:
            f.cancel()
        elif mine != ERR_OK or not f.cancel():
            f.result()
    if cp_load_acquire(&sched[SCHED_DONE]) < nchunks:
        return ERR_NOMEM        # no thread could start (malloc failed everywhere)
    for k in range(nchunks):
        if sched[SCHED_ERR + k] != ERR_OK:
            return <int>sched[SCHED_ERR + k]
    flags[0] = <int>sched[SCHED_FLAGS]
    return ERR_OK


def stream_push(CycleStream st, const sample_t[::1] xi, const sample_t[::1] xv, executor=None,
                Py_ssize_t workers=1, double max_value=INFINITY, double thd_floor=0.0, double noise_k=0.0,
                double min_fund=0.0):
    """Feed one chunk to a stream; return the cycles it completed.

    Parameters
    ----------
    st : CycleStream
    xi, xv : 1-D arrays of one sample type
        Current and voltage chunk (pass the current twice without voltage).
    executor : concurrent.futures.Executor, optional
        With ``workers`` > 1, this thread and ``workers - 1`` tasks on the
        executor share the cycles of a long chunk, taking chunks of
        FEATURE_CHUNK cycles until none is left (the kernel releases the
        GIL); a task not started by then is cancelled. Half of a long framing
        scan also goes to a task (with the current's NaN pass when the cycles
        cannot judge the current: int16 or no voltage; done here instead if
        the task has not started when this thread needs it). Every cycle is
        computed by the same code either way, so the result does not depend
        on ``workers`` or on the threads' timing.
    workers : int
        Threads to share the work between, this one included (1: all here).
    max_value : float
        Largest calibrated |sample| accepted (analyzer.MAX_VALUE): a finite float
        chunk reaching ``(max|x| + |offset|) * scale`` above it is refused with
        code 6 (``info`` 0: current, 1: voltage), checked in the NaN pass
        (the voltage's by its framing scan; with a voltage the current's by
        the cycles' own sums, see ``_cycles_clear``; the exact
        pass whenever those are not decisive).
    thd_floor, noise_k, min_fund : float
        Per-cycle screens (0: off): THD is set to NaN where the current's
        fundamental magnitude is clearly below ``max(thd_floor, i_residual *
        noise_k)``, A; cycles whose voltage fundamental is not clearly at least
        ``min_fund * v_rms`` are flagged. Undecided cycles are flagged too, for
        the caller's NumPy test (see ``_screen``).

    Returns
    -------
    tuple
        ``(code, info, out, harm_i, harm_v, wave_i, wave_v)``; ``code`` 0
        with ``out`` of shape (N_COLUMNS, cycles) and ``info`` the screen
        flags (1: a THD test undecided, 2: a voltage fundamental test failed
        or undecided); ``code`` 4 (non-finite
        sample, ``info`` = its index in the chunk, nothing changed), ``code`` 6
        (range, see ``max_value``; nothing changed), or a kernel error code.
    """
    global _n_unstarted
    np = _np
    cdef Py_ssize_t n = xi.shape[0], chunk_start = st.total, new_total = st.total + n
    cdef Py_ssize_t bad, cap, cnt, k, nc, col, keep_from, keep_len, j, src
    cdef double a, b
    cdef int err = ERR_OK
    if st.has_v and xv.shape[0] != n:
        return (ERR_BOUNDS, 0, None, None, None, None, None)
    # 0. refuse NaN/inf and samples beyond max_value before anything changes (one pass per channel);
    #    a channel's range is judged only when it is finite, the current first, as analyzer.py did.
    #    With a thread pool and a long chunk, the current's pass runs on a worker while this thread
    #    checks the voltage and scans the framing channel (undone below when the chunk is refused):
    #    the part of a push that cannot be split over threads is shorter.
    cdef Py_ssize_t bad_v = -1
    cdef double mx_i = 0.0, mx_v = 0.0
    cdef bint scanned = False
    # the current's NaN/range test left to the cycles (with a voltage whose scan finds it clear), see
    # _cycles_clear: int16 has no such test to leave
    cdef bint defer_i = False
    cdef bint can_defer = st.has_v and sample_t is not short
    # a pool only pays for the split scan; for a shorter chunk whose current the cycles judge the
    # worker would have nothing to do
    cdef bint overlap = executor is not None and workers > 1 and not (can_defer and n < SPEC_MIN)
    cdef double chk_v[2]
    cdef double mx_w = 0.0
    cdef Py_ssize_t bad_w = -1
    cdef Py_ssize_t split = 0, spec_cnt = -1, nck = 0
    cnt = 0
    # state before the crossings of this chunk (kept to undo a refused or failed push)
    cdef double saved_scan[S_LEN]
    for j in range(S_LEN):
        saved_scan[j] = st.scan_state[j]
    saved_n_pend = st.n_pend
    cdef double saved_pend_c[16]
    saved_pend = None
    if saved_n_pend <= 16:
        for j in range(saved_n_pend):
            saved_pend_c[j] = st.pend[j]
    else:
        saved_pend = np.array(st.pend[:saved_n_pend])
    cap = n // max(1, <Py_ssize_t>st.min_period) + 2
    if st.n_pend + cap > st.pend.shape[0]:
        grown = np.zeros(2 * (st.n_pend + cap))
        grown[:st.n_pend] = st.pend[:st.n_pend]
        st.pend = grown
    if overlap:
        if st.has_v and n >= SPEC_MIN:
            split = (n // 2) & ~3
            spec_state = np.array(st.scan_state)
            spec_state[S_ARMED] = 0.0
            spec_state[S_PEAK] = 0.0
            spec_state[S_PREV] = 0.0
            spec_state[S_PREV2] = 0.0
            spec_state[S_PREV3] = 0.0
            spec_state[S_HAVE_PREV] = 0.0
            spec_state[S_LAST] = NAN
            spec_state[S_POS] = st.scan_state[S_POS] + split
            spec_out = np.empty((n - split) // max(1, <Py_ssize_t>st.min_period) + 2)
            ck_state = np.empty((SPEC_CHECKS, S_LEN))
            ck_count = np.empty(SPEC_CHECKS, dtype=np.intp)
        else:
            spec_state = spec_out = np.empty(1)
            ck_state = np.empty((0, S_LEN))
            ck_count = np.empty(0, dtype=np.intp)
        vchk_w = np.zeros(2)
        try:
            fut = executor.submit(_check_and_speculate, st, np.asarray(xi), np.asarray(xv), split, spec_state,
                                  spec_out, ck_state, ck_count, vchk_w, not can_defer)
        except RuntimeError:
            fut = None          # an executor shut down (interpreter exit): its part is done here below
        # 1. (early) crossings of the framing channel, appended to the pending list, its NaN/range test
        #    made by the scan (see the one-thread case below); with a split scan this thread checks the
        #    first halves of both channels and the worker the second halves (the voltage's by its scan)
        chk_v[0] = 0.0
        chk_v[1] = 0.0
        with nogil:
            if split > 0:
                bad = -1 if can_defer else _first_nonfinite_range(xi, 0, split, &mx_i)
                cnt = _scan_part(st, xv, 0, split, &st.scan_state[0], &st.pend[st.n_pend], cap, chk_v)
            elif st.has_v:
                if sample_t is short:
                    cnt = _scan_chunk(st, xi, xv)
                else:
                    cnt = _scan_chunk(st, xi, xv, chk_v)
            else:
                cnt = _scan_chunk(st, xi, xv)
            scanned = True
        try:
            if fut is None or fut.cancel():
                # the worker has not started (no idle thread, or a busy machine): rather than wait
                # for it, its part here (the current's pass, the voltage's second half by the plain
                # pass; the join below scans the rest)
                with nogil:
                    bad_w = -1 if can_defer else _first_nonfinite_range(xi, split, n, &mx_w)
                    if split > 0:
                        j = _first_nonfinite_range(xv, split, n, &mx_v)
                        chk_v[0] = chk_v[0] + (NAN if j >= 0 else 0.0)
                        if mx_v > chk_v[1]:
                            chk_v[1] = mx_v
                spec_cnt = -2       # no speculative crossings (_scan_join: < 0), not counted as unjoined
                nck = 0
                if split > 0:
                    _n_unstarted += 1
            else:
                bad_w, mx_w, spec_cnt, nck = fut.result()
                if split > 0:
                    if spec_cnt < 0:        # the worker's scan stopped early: its test is incomplete
                        chk_v[0] = NAN
                    chk_v[0] = chk_v[0] + vchk_w[0]
                    if vchk_w[1] > chk_v[1]:
                        chk_v[1] = vchk_w[1]
        except BaseException:
            for j in range(S_LEN):          # (the worker task does not raise; this is belt and braces)
                st.scan_state[j] = saved_scan[j]
            st.n_pend = saved_n_pend
            raise
        if split == 0:
            bad, mx_i = bad_w, mx_w
        elif bad < 0:
            bad = bad_w
            if mx_w > mx_i:
                mx_i = mx_w
        if st.has_v:
            if cnt < 0 or not (chk_v[0] == 0.0) or \
                    (chk_v[1] + 2.0 * fabs(st.v_off)) * st.v_scale * (1.0 + 1e-9) > max_value:
                with nogil:
                    bad_v = _first_nonfinite(xv, &mx_v)     # exact (a refusal, or near the range limit)
                    if can_defer:
                        bad = _first_nonfinite(xi, &mx_i)   # and the current's exact pass, as with one thread
            else:
                bad_v = -1
                mx_v = 0.0                                  # clear of the limit (see the one-thread case)
                defer_i = can_defer
        if split > 0 and bad_v < 0 and cnt >= 0:
            # the first half is scanned: meet the worker's state, take its crossings
            cnt = _join_py(st, np.asarray(xv), split, cnt, cap, spec_state, spec_out, spec_cnt, ck_state, ck_count,
                           nck)
    else:
        with nogil:
            if st.has_v:
                # the voltage's NaN/range test rides on its framing scan: one pass over the samples instead
                # of two (undone below when the chunk is refused); the plain pass only to place a refusal
                cnt = _scan_chunk(st, xi, xv, chk_v)
                scanned = True
                # chk_v[1] + |offset| bounds max|x| (see cp_scan): clear of the range limit by a margin,
                # the test below cannot refuse; otherwise (or non-finite) the exact passes decide
                if cnt < 0 or not (chk_v[0] == 0.0) or \
                        (chk_v[1] + 2.0 * fabs(st.v_off)) * st.v_scale * (1.0 + 1e-9) > max_value:
                    bad = _first_nonfinite(xi, &mx_i)
                    bad_v = _first_nonfinite(xv, &mx_v)
                else:
                    mx_v = 0.0
                    # the voltage is clear: the current's test rides on the cycles' own raw-sample sums
                    # (checked after step 3, see _cycles_clear), the plain pass only when in doubt
                    bad = -1
                    defer_i = sample_t is not short
            else:
                bad = _first_nonfinite(xi, &mx_i)
    code = 0
    info = 0
    if bad < 0 and (mx_i + fabs(st.i_off)) * fabs(st.i_scale) > max_value:
        code = 6
    elif st.has_v and bad_v < 0 and (mx_v + fabs(st.v_off)) * st.v_scale > max_value:
        code = 6
        info = 1
    else:
        if bad < 0:
            bad = bad_v
        if bad >= 0:
            code = 4
            info = bad
    if code != 0:
        if scanned:
            for j in range(S_LEN):
                st.scan_state[j] = saved_scan[j]
            st.n_pend = saved_n_pend      # the chunk's crossings were only appended
        return (code, info, None, None, None, None, None)
    # 1. crossings of the framing channel, appended to the pending list
    if not scanned:
        with nogil:
            cnt = _scan_chunk(st, xi, xv)
    if cnt < 0:
        for j in range(S_LEN):
            st.scan_state[j] = saved_scan[j]
        st.n_pend = saved_n_pend
        return (ERR_BOUNDS, 0, None, None, None, None, None)
    st.n_pend += cnt
    # 2. cycles whose samples (plus the interpolation margin) are all here
    cdef double[::1] t0v
    cdef double[::1] t1v
    if st.n_pend <= st.t0_buf.shape[0]:
        # a short push (a terminal's cycle or two): the stream's own small scratch
        t0v, t1v = st.t0_buf, st.t1_buf
    else:
        t0s = np.empty(st.n_pend)
        t1s = np.empty(st.n_pend)
        t0v, t1v = t0s, t1s
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
    out = _out_buffer((N_COLUMNS, nc), _F64)
    harm_i = _out_buffer((nc, st.nh), _C128)
    # every row is written by the kernel when there is a voltage (zeros stand for "no voltage")
    harm_v = _out_buffer((nc, st.nh), _C128) if st.has_v else np.zeros((nc, st.nh), dtype=_C128)
    cdef double[:, ::1] ov = out
    cdef double complex[:, ::1] hiv = harm_i
    cdef double complex[:, ::1] hvv = harm_v
    cdef double[:, ::1] wiv
    cdef double[:, ::1] wvv
    if st.want_waves:
        # both channels' resampled cycles in one block, from the buffer pool when large (an
        # analysis with waveforms otherwise page-faults on 2 kB per cycle on every call)
        if st.wave_mode == 1:
            wave_iv = _out_buffer((2, nc, st.npts), _F64)
            wave_i = wave_iv[0]
            wave_v = wave_iv[1]
            wvv = wave_v
        else:
            # the current's alone: the voltage's rows are a read-only NaN view (no memory written)
            wave_i = _out_buffer((nc, st.npts), _F64)
            if st.nan_wave is None or st.nan_wave.shape[0] < nc:
                st.nan_wave = np.broadcast_to(np.float64(NAN), (max(nc, 1024), st.npts))
            wave_v = st.nan_wave[:nc]
            wvv = st.no_wave_vv
        wiv = wave_i
    else:
        wave_i, wave_v, wiv, wvv = st.no_wave_i, st.no_wave_v, st.no_wave_iv, st.no_wave_vv
    cdef screen_t sc
    cdef int flags = 0
    sc.thd_floor = thd_floor
    sc.noise_k = noise_k
    sc.min_fund = min_fund if st.has_v else 0.0
    if nc > 0:
        parts = min(workers, nc // MIN_CYCLES_PER_WORKER) if executor is not None else 1
        if parts > 1:
            # (nc >= 2 * MIN_CYCLES_PER_WORKER: the bounds are in this push's own t0s, t1s)
            err = _features_shared(st, xi, xv, chunk_start, t0s, t1s, out, harm_i, harm_v, wave_i,
                                   wave_v if st.wave_mode == 1 else st.no_wave_v,
                                   executor, <Py_ssize_t>parts, &sc, &flags)
        else:
            err = _features_loop(st, xi, xv, chunk_start, t0v, t1v, ov, hiv, hvv, wiv, wvv, 0, nc, &sc, &flags,
                                 NULL)
    if defer_i and (err != ERR_OK or not _cycles_clear(st, xi, chunk_start, t0v, t1v, ov, nc, max_value)):
        # in doubt (a non-finite or large sum, a kernel error): the exact pass over the chunk decides as it did before the cycles; a refusal leaves the stream as it was
        with nogil:
            bad = _first_nonfinite(xi, &mx_i)
        code = 0
        if bad < 0 and (mx_i + fabs(st.i_off)) * fabs(st.i_scale) > max_value:
            code = 6
        elif bad >= 0:
            code = 4
            info = bad
        if code != 0:
            err = code
    if err != ERR_OK:
        # leave the stream as it was before this push
        for j in range(S_LEN):
            st.scan_state[j] = saved_scan[j]
        for j in range(saved_n_pend):
            st.pend[j] = saved_pend_c[j] if saved_pend is None else saved_pend[j]
        st.n_pend = saved_n_pend
        if code != 0:
            return (code, info, None, None, None, None, None)
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
    return (ERR_OK, flags, out, harm_i, harm_v, wave_i, wave_v)


# ---------------------------------------------------------------------------
# Sequential scans of the event and arc-fault detectors live in their own
# include files to keep this one readable; they share this module.
# ---------------------------------------------------------------------------
include "_events.pxi"
include "_arc.pxi"
include "_arcmask.pxi"
include "_arcev.pxi"
include "_arcind.pxi"
