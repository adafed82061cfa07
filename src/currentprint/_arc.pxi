# Sequential scans of the fire detectors (arc.py, loads.py).
#
# Included into _core.pyx.  Each scan walks the half-cycles (or cycles) of one
# CycleTable chunk in order and carries its history in a float64 state vector,
# so that any chunking of the stream gives the same result.  Plain NumPy
# references live in _arc_reference.py (tested for equality).

from libc.math cimport exp

# -- arc evidence ------------------------------------------------------------
# Code bits written per half-cycle.
cdef enum:
    ARC_SHOULDER = 1      # flat stretch around the current zero longer than a sine's
    ARC_STEP = 2          # re-ignition step: large against the typical step and the floor
    ARC_IRREGULAR = 4     # shoulder unlike the same polarity 1 and 2 cycles before
    ARC_LOADED = 8        # enough current, and the same load as a cycle before
    ARC_SKIP = 16         # a whole half-cycle dark between conducting ones
    ARC_HF = 32           # residual (above harmonic H) energy above its baseline
    ARC_COUNTED = 64      # counts towards the alarm
    ARC_RUN = 128         # discounted: part of a too-long unbroken run of evidence

ARC_BITS = {"shoulder": ARC_SHOULDER, "step": ARC_STEP, "irregular": ARC_IRREGULAR,
            "loaded": ARC_LOADED, "skip": ARC_SKIP, "hf": ARC_HF, "counted": ARC_COUNTED,
            "run": ARC_RUN}

# parameter vector layout
cdef enum:
    AP_SH_MIN = 0         # shoulder (samples) that counts as flat
    AP_REG_TOL = 1        # |shoulder difference| (samples) still "the same"
    AP_STEP_MIN = 2       # absolute floor of the relative step
    AP_STEP_RATIO = 3     # step must exceed this times the typical step
    AP_MIN_PEAK = 4       # half-cycle peak floor (A; 0 when uncalibrated)
    AP_SKIP_FRAC = 5      # a half-cycle below this share of its predecessors' peak is dark
    AP_HF_RATIO = 6       # residual ratio above this times its baseline is "hf"
    AP_RUN_MAX = 7        # longest run of evidence (half-cycles) still counted
    AP_MIN_STEP_A = 8     # absolute step floor (A; 0 when uncalibrated)
    AP_LEN = 9
ARC_PARAM_LEN = AP_LEN

# state vector layout
cdef enum:
    AS_SH1 = 0            # [2] shoulder one cycle back, per polarity
    AS_SH2 = 2            # [2] two cycles back
    AS_PK1 = 4            # [2] peak one cycle back
    AS_PK2 = 6            # [2]
    AS_PREV_PK = 8        # peak of the previous half-cycle (other polarity)
    AS_RING_POS = 9
    AS_RING_N = 10
    AS_RUN = 11
    AS_HF_BASE = 12       # running mean of the residual ratio (NaN: none yet)
    AS_PEND = 13          # reference peak of a dark half-cycle awaiting re-ignition (NaN: none)
    AS_RING = 16          # [ARC_RING] recent ordinary steps
    ARC_RING = 16
    AS_LEN = AS_RING + ARC_RING
ARC_STATE_LEN = AS_LEN


def new_arc_state():
    """A fresh state vector for :func:`arc_scan`."""
    import numpy as np
    st = np.full(ARC_STATE_LEN, np.nan)
    st[AS_RING_POS] = 0.0
    st[AS_RING_N] = 0.0
    st[AS_RUN] = 0.0
    return st


cdef inline bint _maybe_above_median(const double* ring, Py_ssize_t n, double x) noexcept nogil:
    """False only when the ring's median is surely above x (by a 1e-9 relative margin).

    The median is at least the sorted element (n - 1) // 2, which is above
    the threshold when at most (n - 1) // 2 elements lie below it.
    """
    cdef Py_ssize_t a, below = 0
    cdef double thr = x + fabs(x) * 1e-9
    for a in range(n):
        if ring[a] < thr:
            below += 1
    return below > (n - 1) // 2


cdef double _ring_median(const double* ring, Py_ssize_t n) noexcept nogil:
    cdef double buf[ARC_RING]
    cdef Py_ssize_t a, b
    cdef double x
    # a full ring: the selection network of _arcmask.h (the same two middle values; NaN: sorted here)
    if n == 16 and cpam_median16(ring, &x) == 0:
        return x
    for a in range(n):
        x = ring[a]
        b = a
        while b > 0 and buf[b - 1] > x:
            buf[b] = buf[b - 1]
            b -= 1
        buf[b] = x
    if n % 2 == 1:
        return buf[n // 2]
    return 0.5 * (buf[n // 2 - 1] + buf[n // 2])


def arc_scan(const double[::1] shoulder, const double[::1] step, const double[::1] peak,
             const double[::1] hf, double[::1] state, const double[::1] par, int[::1] code):
    """Score half-cycles as series-arc evidence; carry history in ``state``.

    Parameters
    ----------
    shoulder, step, peak, hf : float64 arrays of length 2n
        Half-cycles in stream order, positive half then negative half of each
        cycle: shoulder (samples), largest step relative to the half peak,
        half "peak" (A; pass max(peak, half RMS) so that an offset
        half-cycle does not look dark), residual ratio ``i_residual / i_rms`` of the cycle.
    state : float64 array of length ARC_STATE_LEN
        From :func:`new_arc_state`, updated in place.
    par : float64 array of length ARC_PARAM_LEN
        Thresholds (see the AP_* layout in _arc.pxi).
    code : int32 array of length 2n
        Receives the ARC_* bits of each half-cycle.

    Returns
    -------
    int
        0, or 1 when the array lengths disagree.
    """
    cdef Py_ssize_t n = shoulder.shape[0]
    if step.shape[0] != n or peak.shape[0] != n or hf.shape[0] != n or code.shape[0] != n:
        return 1
    if state.shape[0] != AS_LEN or par.shape[0] != AP_LEN:
        return 1
    if n == 0:
        return 0
    return _arc_scan_core(&shoulder[0], &step[0], &peak[0], &hf[0], &state[0], &par[0], &code[0], n)


cdef int _arc_scan_core(const double* shoulder, const double* step, const double* peak, const double* hf,
                        double* state, const double* par, int* code, Py_ssize_t n) noexcept:
    """The loop of :func:`arc_scan` on checked buffers (``n`` half-cycles; the GIL is released inside).

    The scalars of ``state`` and ``par`` are held in locals during the loop and the state is
    written back at its end (the same operations in the same order as the reference: the
    compiler need not reload them after every store to ``code``).
    """
    cdef Py_ssize_t h, q, rn, rp
    cdef double sh, st, pk, r, sh1, sh2, pk1, pk2, pkref, med, c, pend
    cdef bint have_med
    # the ring's median, kept until the ring changes (half-cycles that do not feed
    # the ring, e.g. under a dimmer, reuse it)
    cdef double med_cache = 0.0
    cdef bint med_ok = False, fed = False
    cdef int bits
    cdef double* ring = &state[AS_RING]
    cdef double h_sh1[2]
    cdef double h_sh2[2]
    cdef double h_pk1[2]
    cdef double h_pk2[2]
    cdef double prev_pk, run, hf_base
    cdef double sh_min = par[AP_SH_MIN], reg_tol = par[AP_REG_TOL], step_min = par[AP_STEP_MIN]
    cdef double step_ratio = par[AP_STEP_RATIO], min_peak = par[AP_MIN_PEAK], skip_frac = par[AP_SKIP_FRAC]
    cdef double hf_ratio = par[AP_HF_RATIO], run_max = par[AP_RUN_MAX], min_step_a = par[AP_MIN_STEP_A]
    with nogil:
        for q in range(2):
            h_sh1[q] = state[AS_SH1 + q]
            h_sh2[q] = state[AS_SH2 + q]
            h_pk1[q] = state[AS_PK1 + q]
            h_pk2[q] = state[AS_PK2 + q]
        prev_pk = state[AS_PREV_PK]
        rp = <Py_ssize_t>state[AS_RING_POS]
        rn = <Py_ssize_t>state[AS_RING_N]
        run = state[AS_RUN]
        hf_base = state[AS_HF_BASE]
        pend = state[AS_PEND]
        for h in range(n):
            q = h % 2
            sh = shoulder[h]
            st = step[h]
            pk = peak[h]
            r = hf[h]
            sh1 = h_sh1[q]
            sh2 = h_sh2[q]
            pk1 = h_pk1[q]
            pk2 = h_pk2[q]
            pkref = pk1 if pk1 > pk2 or pk2 != pk2 else pk2
            bits = 0
            if sh >= sh_min:
                bits |= ARC_SHOULDER
            # the running median is computed only where a decision needs it
            # (sorting the ring for every half-cycle was most of this scan)
            have_med = False
            med = 0.0
            if st >= step_min:
                if rn > 0:
                    if not med_ok:
                        med_cache = _ring_median(ring, rn)
                        med_ok = True
                    med = med_cache
                else:
                    med = 0.0
                have_med = True
            if (st >= step_min and st >= step_ratio * med
                    and st * pk >= min_step_a):
                bits |= ARC_STEP
            if sh1 == sh1 and sh2 == sh2 and fabs(sh - sh1) > reg_tol and fabs(sh - sh2) > reg_tol:
                bits |= ARC_IRREGULAR
            if pk >= min_peak and pk > 0.0 and pkref >= 0.5 * pk and pkref <= 2.0 * pk:
                bits |= ARC_LOADED
            # a dark half-cycle between conducting ones (not a regular pattern:
            # both predecessors of this polarity and the previous half
            # conducted).  It is confirmed, and credited to this half-cycle,
            # only when the current comes back (re-ignition): a load switching
            # off (thermostat) leaves every later half-cycle dark.
            if pend == pend and pk >= 0.5 * pend:
                bits |= ARC_SKIP
            pend = NAN
            if (pkref == pkref and pkref > 0.0 and pkref >= min_peak and fabs(pk) < skip_frac * pkref
                    and pk1 >= 0.5 * pkref and pk2 >= 0.5 * pkref
                    and prev_pk >= 0.5 * pkref):
                pend = pkref
            c = hf_base
            if c == c and r == r and r > hf_ratio * c:
                bits |= ARC_HF
            if (bits & ARC_SHOULDER) and (bits & ARC_STEP) and (bits & ARC_LOADED):
                run = run + 1.0
            else:
                run = 0.0
            if run > run_max:
                bits |= ARC_RUN
            elif ((bits & ARC_SHOULDER) and (bits & ARC_STEP) and (bits & ARC_IRREGULAR)
                    and (bits & ARC_LOADED)) or (bits & ARC_SKIP):
                bits |= ARC_COUNTED
            code[h] = bits
            # history: sine-like half-cycles (at most half a sample of flat time
            # beyond a sine's) feed the typical step
            # and the residual baseline; a step enters the ring clipped at
            # 1.25 x the median, so a burning arc (many large steps) can raise
            # the typical step only slowly
            if sh <= 0.5 and not (pend == pend):
                if st == st:
                    if rn >= 4 and not have_med and _maybe_above_median(ring, rn, 0.8 * st):
                        if not med_ok:
                            med_cache = _ring_median(ring, rn)
                            med_ok = True
                        med = med_cache
                        have_med = True
                    if rn >= 4 and have_med and st > 1.25 * med:
                        st = 1.25 * med
                    ring[rp] = st
                    med_ok = False
                    fed = True
                    rp = (rp + 1) % ARC_RING
                    if rn < ARC_RING:
                        rn = rn + 1
                if r == r:
                    if c == c:
                        hf_base = c + 0.05 * (r - c)
                    else:
                        hf_base = r
            h_sh2[q] = sh1
            h_sh1[q] = sh
            h_pk2[q] = pk1
            h_pk1[q] = pk
            prev_pk = pk
        for q in range(2):
            state[AS_SH1 + q] = h_sh1[q]
            state[AS_SH2 + q] = h_sh2[q]
            state[AS_PK1 + q] = h_pk1[q]
            state[AS_PK2 + q] = h_pk2[q]
        state[AS_PREV_PK] = prev_pk
        if fed:
            state[AS_RING_POS] = <double>rp
            state[AS_RING_N] = <double>rn
        state[AS_RUN] = run
        state[AS_HF_BASE] = hf_base
        state[AS_PEND] = pend
    return 0


# -- thermal overload ----------------------------------------------------------
def thermal_scan(const double[::1] i_rms, const double[::1] dt, double[::1] state,
                 double rated, double tau, double trip, double rearm, signed char[::1] fired,
                 double[::1] theta_out):
    """First-order thermal (I^2 t) model of a conductor, one step per cycle.

    ``theta_k = theta_{k-1} * a + (I_k / rated)^2 * (1 - a)``, ``a = exp(-dt_k / tau)``:
    the steady state of ``theta`` is ``(I / rated)^2``. A trip is flagged when
    ``theta`` first reaches ``trip``; the model re-arms when it falls below
    ``rearm``.

    Parameters
    ----------
    i_rms : float64 array
        Current RMS per cycle, A.
    dt : float64 array
        Cycle durations, s.
    state : float64 array of length 2
        ``[theta, armed]``, updated in place (start ``[0, 1]``).
    rated, tau, trip, rearm : float
        Rated current (A), time constant (s), trip and re-arm levels of theta.
    fired : int8 array
        Receives 1 at the cycles where a trip is flagged.
    theta_out : float64 array
        Receives theta after each cycle.

    Returns
    -------
    int
        0, or 1 on a length mismatch.
    """
    cdef Py_ssize_t n = i_rms.shape[0], k
    if dt.shape[0] != n or fired.shape[0] != n or theta_out.shape[0] != n or state.shape[0] != 2:
        return 1
    cdef double th = state[0], armed = state[1], a, x
    with nogil:
        for k in range(n):
            a = exp(-dt[k] / tau)
            x = i_rms[k] / rated
            if x == x:
                th = th * a + x * x * (1.0 - a)
            fired[k] = 0
            if armed != 0.0 and th >= trip:
                fired[k] = 1
                armed = 0.0
            elif armed == 0.0 and th < rearm:
                armed = 1.0
            theta_out[k] = th
    state[0] = th
    state[1] = armed
    return 0
