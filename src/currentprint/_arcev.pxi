# The per-half-cycle preparation of the arc detector (detectors/arc.py) in one pass.
#
# Included into _core.pyx after _arc.pxi and _arcmask.pxi.  ArcFaultDetector.evidence
# used to build its half-cycle arrays with some forty NumPy operations per call; on
# one cycle per push that per-call overhead was most of the detector's time.  Here
# the same element-wise operations (the same IEEE operations in the same order, so
# the results are bit-identical) run in one loop: arc_evidence does the half-cycle
# arrays, arc_scan and the shoulder checks; arc_mask_merge folds the masking-proof
# bits of arcmask_scan in.  The NumPy reference is detectors/_arc_reference.py
# (arc_evidence_reference), tested for equality in any chunking.

# columns of the CycleTable read by arc_evidence, in the order of its ``rows`` argument
ARCEV_COLUMNS = ("start", "period", "i_rms", "i_residual", "hc_peak_pos", "hc_peak_neg", "hc_rms_pos",
                 "hc_rms_neg", "shoulder_pos", "shoulder_neg", "step_pos", "step_neg", "i_zero")
cdef enum:
    EC_START = 0
    EC_PERIOD = 1
    EC_I_RMS = 2
    EC_RESID = 3
    EC_PK_POS = 4
    EC_PK_NEG = 5
    EC_HRMS_POS = 6
    EC_HRMS_NEG = 7
    EC_SH_POS = 8
    EC_SH_NEG = 9
    EC_ST_POS = 10
    EC_ST_NEG = 11
    EC_I_ZERO = 12
    EC_LEN = 13

# rows of arc_evidence's float output (each 2n long; OFFSET uses the first n)
cdef enum:
    EO_POS = 0            # absolute sample of each half-cycle's starting zero
    EO_SH = 1             # shoulder beyond a sine's, samples
    EO_SH_MS = 2          # the same in ms
    EO_STEP = 3           # relative step
    EO_PEAK = 4           # max(half peak, half RMS) (A) as arc_scan reads it
    EO_HF = 5             # residual ratio of the cycle
    EO_CREST = 6          # half-cycle crest factor
    EO_OFFSET = 7         # first n: where each row's first point lies after the cycle start, points
    EO_LEN = 8
ARCEV_OUT_ROWS = EO_LEN

# scalars of arc_evidence (``fpar``)
cdef enum:
    EF_NATURAL = 0        # a sine's own flat share: natural shoulder = this * period (samples)
    EF_FS = 1             # sample rate, Hz
    EF_SH_MAX = 2         # longest flat stretch an arc explains, samples
    EF_TOL = 3            # steady-trend tolerance, samples
    EF_CREST = 4          # largest half-cycle crest factor at which the shoulder is read
    EF_NPTS = 5           # points per resampled cycle (for the offsets)
    EF_LEN = 6
ARCEV_FPAR_LEN = EF_LEN
# the masking-proof bits are stored this many bits up in the detector's codes
DEF EV_MASK_SHIFT = 8
ARCEV_MASK_SHIFT = EV_MASK_SHIFT


def arc_evidence(const double[:, :] data, const Py_ssize_t[::1] rows, double[::1] state, const double[::1] par,
                 double[::1] sh_hist, const double[::1] fpar, double[:, ::1] out, int[::1] code):
    """Half-cycle arrays, :func:`arc_scan` and the shoulder checks of ArcFaultDetector.evidence.

    Parameters
    ----------
    data : float64 array (columns, n)
        Columns of a CycleTable (its ``_data``, or the columns stacked).
    rows : intp array (13,)
        Row of ``data`` holding each column of ``ARCEV_COLUMNS``.
    state, par : float64 arrays
        Of :func:`arc_scan` (``state`` is updated in place).
    sh_hist : float64 array (5,)
        ``[count, s0, s1, s2, s3]``: the last ``count`` (<= 4) half-cycle
        shoulders before this chunk (samples, oldest first); updated in place.
    fpar : float64 array (ARCEV_FPAR_LEN,)
        Scalars (EF_* layout in _arcev.pxi).
    out : float64 array (ARCEV_OUT_ROWS, 2n)
        Receives the rows of the EO_* layout.
    code : int32 array (2n,)
        Receives the ARC_* bits after the shoulder checks.

    Returns
    -------
    int
        0; 1 when the shapes disagree.
    """
    cdef Py_ssize_t n = data.shape[1], i, h, m, L, r
    cdef double nat, per, half, zero, sh, trend, fs, sh_max, tol, crest_max, npts, s0
    cdef double hist[8]
    cdef Py_ssize_t rw[EC_LEN]
    cdef const double* col[EC_LEN]
    cdef double* o_pos
    cdef double* o_sh
    cdef double* o_ms
    cdef double* o_st
    cdef double* o_pk
    cdef double* o_hf
    cdef double* o_cr
    cdef double* o_off
    cdef bint steady
    if rows.shape[0] != EC_LEN or fpar.shape[0] != EF_LEN or sh_hist.shape[0] != 5:
        return 1
    if out.shape[0] != EO_LEN or out.shape[1] != 2 * n or code.shape[0] != 2 * n:
        return 1
    if state.shape[0] != AS_LEN or par.shape[0] != AP_LEN:
        return 1
    for i in range(EC_LEN):
        if rows[i] < 0 or rows[i] >= data.shape[0]:
            return 1
        rw[i] = rows[i]
    m = <Py_ssize_t>sh_hist[0]
    if not (0 <= m <= 4):
        return 1
    if n == 0:
        return 0
    nat = fpar[EF_NATURAL]
    fs = fpar[EF_FS]
    sh_max = fpar[EF_SH_MAX]
    tol = fpar[EF_TOL]
    crest_max = fpar[EF_CREST]
    npts = fpar[EF_NPTS]
    if data.strides[1] != sizeof(double):
        return 1
    for i in range(EC_LEN):
        col[i] = &data[rw[i], 0]
    o_pos = &out[EO_POS, 0]
    o_sh = &out[EO_SH, 0]
    o_ms = &out[EO_SH_MS, 0]
    o_st = &out[EO_STEP, 0]
    o_pk = &out[EO_PEAK, 0]
    o_hf = &out[EO_HF, 0]
    o_cr = &out[EO_CREST, 0]
    o_off = &out[EO_OFFSET, 0]
    with nogil:
        for i in range(n):
            per = col[EC_PERIOD][i]
            # natural = c * period; sh = shoulder - natural (per polarity)
            half = nat * per
            o_sh[2 * i] = col[EC_SH_POS][i] - half
            o_sh[2 * i + 1] = col[EC_SH_NEG][i] - half
            o_st[2 * i] = col[EC_ST_POS][i]
            o_st[2 * i + 1] = col[EC_ST_NEG][i]
            # max(peak, RMS) as np.fmax (a NaN gives the other): an offset half-cycle is not dark
            o_pk[2 * i] = fmax(col[EC_PK_POS][i], col[EC_HRMS_POS][i])
            o_pk[2 * i + 1] = fmax(col[EC_PK_NEG][i], col[EC_HRMS_NEG][i])
            o_hf[2 * i] = col[EC_RESID][i] / col[EC_I_RMS][i]
            o_hf[2 * i + 1] = o_hf[2 * i]
            o_cr[2 * i] = col[EC_PK_POS][i] / col[EC_HRMS_POS][i]
            o_cr[2 * i + 1] = col[EC_PK_NEG][i] / col[EC_HRMS_NEG][i]
            # the current's rising zero, and the falling zero half a period away in the same cycle
            zero = col[EC_I_ZERO][i]
            s0 = col[EC_START][i]
            half = 0.5 * per
            o_pos[2 * i] = zero
            if zero - s0 >= half:
                o_pos[2 * i + 1] = zero - half
            else:
                o_pos[2 * i + 1] = zero + half
            o_off[i] = (ceil(s0) - s0) * npts / per
        for h in range(2 * n):
            o_ms[h] = o_sh[h] / fs * 1e3
    _arc_scan_core(o_sh, o_st, o_pk, o_hf, &state[0], &par[0],
                   &code[0], 2 * n)
    with nogil:
        # shoulder checks: a flat stretch longer than an arc's dead time, one on the straight
        # line through the same polarity one and two cycles before, or one read where the
        # crest factor is far above a sine's does not count (skipped half-cycles still do)
        for i in range(m):
            hist[i] = sh_hist[1 + i]
        L = m
        for h in range(2 * n):
            sh = o_sh[h]
            if L == 8:
                for r in range(4):
                    hist[r] = hist[r + 4]
                L = 4
            hist[L] = sh
            steady = False
            if m + h >= 4:
                trend = 2.0 * hist[L - 2] - hist[L - 4]
                steady = fabs(sh - trend) <= tol
            L += 1
            if ((steady or sh > sh_max or o_cr[h] > crest_max) and not (code[h] & ARC_SKIP)
                    and (code[h] & ARC_COUNTED)):
                code[h] &= ~ARC_COUNTED
        # the last (up to) four shoulders
        r = L if L < 4 else 4
        sh_hist[0] = <double>r
        for i in range(r):
            sh_hist[1 + i] = hist[L - r + i]
    return 0


def arc_mask_merge(int[::1] mcode, const double[::1] rms, const double[::1] period, double min_current,
                   bint calibrated, double fs, double npts, const double[::1] width, double[::1] width_ms,
                   int[::1] code):
    """Fold arcmask_scan's bits into the detector's codes and its pair widths into ms.

    A masking-proof half-cycle counts only with ``rms`` (A) of its cycle at least
    ``min_current`` (calibrated input); its bits are stored shifted by ARCEV_MASK_SHIFT in
    ``code``, and ARC_COUNTED is set where it counts.
    ``width_ms[4 i + a] = width[4 i + a] / fs * 1e3 * (period[i] / npts)``.
    ``mcode`` is updated in place (the counted bit cleared where the current is low).

    Returns
    -------
    int
        0; 1 when the shapes disagree.
    """
    cdef Py_ssize_t n = rms.shape[0], h, a
    cdef double f
    if (mcode.shape[0] != 2 * n or period.shape[0] != n or width.shape[0] != 4 * n or width_ms.shape[0] != 4 * n
            or code.shape[0] != 2 * n):
        return 1
    with nogil:
        for h in range(2 * n):
            if calibrated and (mcode[h] & AM_COUNTED) and not (rms[h >> 1] >= min_current):
                mcode[h] &= ~AM_COUNTED
            code[h] |= mcode[h] << EV_MASK_SHIFT
            if mcode[h] & AM_COUNTED:
                code[h] |= ARC_COUNTED
        for h in range(n):
            f = period[h] / npts
            for a in range(4):
                width_ms[4 * h + a] = width[4 * h + a] / fs * 1e3 * f
    return 0
