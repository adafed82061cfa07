# Series-arc evidence of an inductive (R-L, motor) branch.
#
# Included into _core.pyx.  Works, like _arcmask.pxi, on the resampled cycles of
# the current and on d = this cycle - a cycle before (one and two back), here read
# at the fractional grid offset by linear interpolation (an R-L response is
# smooth: a whole-point shift would leave half a point of slope in d).  The
# physics, the tests and the table layout are in
# detectors/_arcind_reference.py (arcind_tables, arcind_scan_reference), whose
# results this kernel must reproduce exactly (same sums in the same order; the
# exponentials and fitting matrices come from the table).
#
# Per half-cycle and reference:
#   IND_DR1/2: a delayed re-strike's deficit (either sign): d quiet, a ramp of
#     at most P_RAMP points to a peak, then a decay that fits exp(-j / tau(z))
#     better than tau / 2 and 2 tau, tau(z) the R-L time constant of a branch
#     whose zero is where the ramp starts; the peak at least the floor, k_noise x
#     the noise of d and k_slope points of the total current's peak slope.
#   IND_RX1/2: an R-L relaxation of d from a break (a change of the arc voltage
#     between half-cycles).
#   IND_DARK: the half-wave the cycle before missed is back (a branch that did not re-strike once).
#   IND_COUNTED: DR1, DR2 or DARK, or RX1 and RX2 (RX2 is only tested where RX1 holds).

from libc.math cimport fmax, fmin, fabs, sqrt, isnan, isfinite, floor

cdef enum:
    IND_DR1 = 1
    IND_DR2 = 2
    IND_RX1 = 4
    IND_RX2 = 8
    IND_COUNTED = 16
    IND_DARK = 32

ARCIND_BITS = {"dr1": IND_DR1, "dr2": IND_DR2, "rx1": IND_RX1, "rx2": IND_RX2, "counted": IND_COUNTED,
               "dark": IND_DARK}

cdef enum:
    IP_FLOOR = 0
    IP_K_SLOPE = 1
    IP_K_NOISE = 2
    IP_QUIET = 3
    IP_FIT = 4
    IP_NEG = 5
    IP_RX_SE = 6
    IP_RX_RATIO = 7
    IP_RX_JUMP = 8
    IP_A0 = 9
    IP_A1 = 10
    IP_RAMP = 11
    IP_QN = 12
    IP_J = 13
    IP_RB = 14
    IP_RA = 15
    IP_B0 = 16
    IP_B1 = 17
    IP_DK_FLOOR = 18
    IP_DK_REL = 19
    IP_DK_MIN = 20
    IP_DK_OTHER = 21
    IP_LEN = 22
ARCIND_PARAM_LEN = IP_LEN

cdef enum:
    IS_NPTS = 0
    IS_ROWS = 1
    IS_OFF1 = 2
    IS_OFF2 = 3
    IS_ROW1 = 4
ARCIND_HEADER = IS_ROW1


cdef double _ai_select(double* w, Py_ssize_t m, Py_ssize_t kth) noexcept nogil:
    """The kth smallest of w[0:m] (quickselect, reorders w): exactly the sorted array's [kth]."""
    cdef Py_ssize_t lo = 0, hi = m - 1, i, j
    cdef double piv, t
    while lo < hi:
        piv = w[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while w[i] < piv:
                i += 1
            while w[j] > piv:
                j -= 1
            if i <= j:
                t = w[i]
                w[i] = w[j]
                w[j] = t
                i += 1
                j -= 1
        if kth <= j:
            hi = j
        elif kth >= i:
            lo = i
        else:
            return w[kth]
    return w[kth]


cdef double _ai_noise(const double* d, Py_ssize_t npts, double* work) noexcept nogil:
    """1.4826 x median |first difference of d| / sqrt 2 + 1e-12 (the reference's _noise)."""
    cdef Py_ssize_t k, m = npts - 1
    cdef double med, lo
    for k in range(m):
        work[k] = fabs(d[k + 1] - d[k])
    if m % 2:
        med = _ai_select(work, m, (m - 1) // 2)
    else:
        lo = _ai_select(work, m, m // 2 - 1)
        med = 0.5 * (lo + _ai_select(work, m, m // 2))
    return 1.4826 * med / sqrt(2.0) + 1e-12


cdef bint _ai_deficit(const double* d, Py_ssize_t lo, Py_ssize_t npts, const double* par, const double* tab,
                      double pk, double* sd, double* work) noexcept nogil:
    cdef Py_ssize_t a0 = <Py_ssize_t>par[IP_A0], a1 = <Py_ssize_t>par[IP_A1], ramp = <Py_ssize_t>par[IP_RAMP]
    cdef Py_ssize_t qn = <Py_ssize_t>par[IP_QN], jn = <Py_ssize_t>par[IP_J]
    cdef double thr0 = fmax(par[IP_FLOOR], par[IP_K_SLOPE] * pk), sgn, p, yg, amp, s, e, yy, mx
    cdef double rss[3]
    cdef Py_ssize_t a, k, z, i, t, base, si
    cdef const double* g
    cdef bint bad
    # fast path (implied by the peak test below): no |d| that reaches the threshold
    mx = 0.0
    a = lo + a0
    while a < lo + a1 and a < npts:
        mx = fmax(mx, fabs(d[a]))
        a += 1
    if mx < thr0:
        return False
    for si in range(2):
        sgn = 1.0 if si == 0 else -1.0
        for a in range(lo + a0, lo + a1):
            if a + jn >= npts:
                break
            p = sgn * d[a]
            if p < thr0 or sgn * d[a - 1] > p or sgn * d[a + 1] > p:
                continue
            z = -1
            k = a - 1
            while k > a - 1 - ramp and k >= 0:
                if sgn * d[k] <= par[IP_QUIET] * p:
                    z = k
                    break
                k -= 1
            if z < lo:
                continue
            mx = 0.0
            k = z - qn if z - qn > 0 else 0
            while k <= z:
                mx = fmax(mx, fabs(d[k]))
                k += 1
            if mx > par[IP_QUIET] * p:
                continue
            bad = False
            for i in range(jn + 1):
                if sgn * d[a + i] <= -par[IP_NEG] * p:
                    bad = True
                    break
            if bad:
                continue
            base = (z - lo) * 3 * (jn + 2)
            if isnan(tab[base + jn + 1]):
                continue
            for t in range(3):
                g = tab + base + t * (jn + 2)
                yg = 0.0
                for i in range(jn + 1):
                    yg += (sgn * d[a + i]) * g[i]
                amp = yg / g[jn + 1]
                s = 0.0
                for i in range(jn + 1):
                    e = (sgn * d[a + i]) - amp * g[i]
                    s += e * e
                rss[t] = s
            yy = 0.0
            for i in range(jn + 1):
                yy += (sgn * d[a + i]) * (sgn * d[a + i])
            if not (rss[0] < rss[1] and rss[0] < rss[2] and rss[0] <= par[IP_FIT] * yy):
                continue
            if sd[0] < 0:
                sd[0] = _ai_noise(d, npts, work)
            if p >= par[IP_K_NOISE] * sd[0]:
                return True
    return False


cdef double _ai_fit(const double* Y, Py_ssize_t n, const double* P, const double* X, double* c) noexcept nogil:
    """Coefficients c = P Y (in order) and the residual sum of squares of Y on X (the reference's _fit)."""
    cdef Py_ssize_t r, i
    cdef double s, e, rss = 0.0
    for r in range(3):
        s = 0.0
        for i in range(n):
            s += P[r * n + i] * Y[i]
        c[r] = s
    for i in range(n):
        e = Y[i] - (X[3 * i] * c[0] + X[3 * i + 1] * c[1] + X[3 * i + 2] * c[2])
        rss += e * e
    return rss


cdef bint _ai_relax(const double* d, Py_ssize_t lo, Py_ssize_t npts, const double* par, const double* tab,
                    double* sd, double* work) noexcept nogil:
    cdef Py_ssize_t a1 = <Py_ssize_t>par[IP_A1], jn = <Py_ssize_t>par[IP_J]
    cdef Py_ssize_t rb = <Py_ssize_t>par[IP_RB], ra = <Py_ssize_t>par[IP_RA]
    cdef Py_ssize_t b0 = <Py_ssize_t>par[IP_B0], b1 = <Py_ssize_t>par[IP_B1]
    cdef Py_ssize_t n = rb + ra + 1, base = a1 * 3 * (jn + 2), per = 24 * n, extra, bi, b, k, t0, i
    cdef double c[3]
    cdef double c2[3]
    cdef double cov22, tau, frac, e1, rss, rss0, rssh, rssd, a, m, slope0, var, se, ja, jb
    cdef Py_ssize_t w0 = lo + b0 - rb if lo + b0 - rb > 0 else 0, w1 = lo + b1 + ra if lo + b1 + ra < npts else npts
    cdef double dmin, dmax
    extra = base + (b1 - b0) * per
    # nothing to fit where d does not change by the floor over the breaks' windows
    if w1 <= w0:
        return False
    dmin = d[w0]
    dmax = d[w0]
    for k in range(w0 + 1, w1):
        dmin = fmin(dmin, d[k])
        dmax = fmax(dmax, d[k])
    if dmax - dmin < par[IP_FLOOR]:
        return False
    for bi in range(b1 - b0):
        b = b0 + bi
        k = lo + b
        if k + ra >= npts or k - rb < 0:
            continue
        t0 = base + bi * per
        cov22 = tab[extra + 4 * bi]
        tau = tab[extra + 4 * bi + 1]
        frac = tab[extra + 4 * bi + 2]
        e1 = tab[extra + 4 * bi + 3]
        # the relaxation's amplitude first (one row of the projection): most breaks stop here
        a = 0.0
        for i in range(n):
            a += tab[t0 + 2 * n + i] * d[k - rb + i]
        if fabs(a) * frac < par[IP_FLOOR]:
            continue
        rss = _ai_fit(d + k - rb, n, tab + t0, tab + t0 + 3 * n, c)
        m = c[1]
        rss0 = _ai_fit(d + k - rb, n, tab + t0 + 6 * n, tab + t0 + 9 * n, c2)
        if not rss0 >= par[IP_RX_RATIO] * rss:
            continue
        rssh = _ai_fit(d + k - rb, n, tab + t0 + 12 * n, tab + t0 + 15 * n, c2)
        rssd = _ai_fit(d + k - rb, n, tab + t0 + 18 * n, tab + t0 + 21 * n, c2)
        if not (rss < rssh and rss < rssd):
            continue
        slope0 = a / tau
        if not fabs(slope0 - m) >= 0.5 * fabs(slope0):
            continue
        if sd[0] < 0:
            sd[0] = _ai_noise(d, npts, work)
        var = fmax(rss / (n - 3), sd[0] * sd[0])
        se = sqrt(var * cov22)
        if not fabs(a) >= par[IP_RX_SE] * se:
            continue
        ja = fabs(d[k + 1] - d[k] - a * e1)
        jb = fabs(d[k] - d[k - 1] - m)
        if ja <= par[IP_RX_JUMP] * sd[0] + 0.5 * fabs(slope0) and jb <= par[IP_RX_JUMP] * sd[0] + 0.5 * fabs(m):
            return True
    return False


def new_arcind_state(Py_ssize_t npts):
    """A fresh state vector for :func:`arcind_scan` with ``npts`` points per cycle (no rows held)."""
    import numpy as np
    st = np.full(ARCIND_HEADER + 2 * npts, np.nan)
    st[IS_NPTS] = npts
    st[IS_ROWS] = 0.0
    return st


def arcind_scan(const double[:, ::1] waves, const double[::1] offset, double[::1] state, const double[::1] par,
                const double[::1] tab, int[::1] code):
    """Score half-cycles for the R-L evidence of an arc in an inductive branch.

    Parameters
    ----------
    waves : float64 array (n, npts)
        The current of each cycle resampled on its voltage-cycle grid, A
        (``CycleTable.raw_waves[0]``).
    offset : float64 array (n,)
        Where each row's first point lies after the cycle's start, in points;
        a reference row is read at the difference of the offsets (linear
        interpolation, clamped at the row's ends; NaN: 0).
    state : float64 array
        From :func:`new_arcind_state`, updated in place (the last two rows).
    par : float64 array of length ARCIND_PARAM_LEN
        ``detectors._arcind_reference.arcind_params``.
    tab : float64 array
        ``detectors._arcind_reference.arcind_tables(npts, par)``.
    code : int32 array (2n,)
        Receives the IND_* bits of each half-cycle (positive half first; 0
        until two cycles are held, and where this row or a reference row has a
        non-finite value).

    Returns
    -------
    int
        0; 1 when the shapes or the table's length disagree.

    Notes
    -----
    Cost: one pass of the interpolated difference per cycle and reference
    (2 x npts), the deficit scan over ~2 x 22 peak candidates (most fail the
    first comparison), and up to 16 breaks x 4 small least-squares fits per
    half-cycle and reference, most stopped by the first fit's size test.
    """
    cdef Py_ssize_t n = waves.shape[0], npts = waves.shape[1], j, r, q, k, i0, H, held, c
    cdef Py_ssize_t a1, jn, rb, ra, b0, b1, ntab
    cdef double pk, pkraw, delta, f, sd, sg, acc, mn, v
    cdef double cm[4]
    cdef int cand[2]
    cdef Py_ssize_t c0, c1
    cdef Py_ssize_t sh, klo, khi
    cdef double* buf = NULL
    cdef double* d
    cdef double* work
    cdef double* rows
    cdef const double* ref
    cdef const double* x
    cdef double offs[3]
    cdef int fin[3]
    cdef int bits
    if offset.shape[0] != n or code.shape[0] != 2 * n or par.shape[0] != IP_LEN:
        return 1
    if npts < 8 or npts > 4096 or npts % 2 or state.shape[0] != ARCIND_HEADER + 2 * npts or state[IS_NPTS] != npts:
        return 1
    a1 = <Py_ssize_t>par[IP_A1]
    jn = <Py_ssize_t>par[IP_J]
    rb = <Py_ssize_t>par[IP_RB]
    ra = <Py_ssize_t>par[IP_RA]
    b0 = <Py_ssize_t>par[IP_B0]
    b1 = <Py_ssize_t>par[IP_B1]
    if (a1 < 1 or jn < 1 or rb < 1 or ra < 1 or b0 < 0 or b1 < b0 or par[IP_A0] < 1 or par[IP_RAMP] < 1
            or par[IP_QN] < 0):
        return 1
    ntab = a1 * 3 * (jn + 2) + (b1 - b0) * (24 * (rb + ra + 1) + 4)
    if tab.shape[0] != ntab:
        return 1
    H = npts // 2
    if n == 0:
        return 0
    buf = <double*>malloc(sizeof(double) * 5 * npts)
    if buf == NULL:
        raise MemoryError()
    d = buf
    work = buf + npts
    rows = buf + 2 * npts        # ring of three rows: [0] two back, [1] one back, [2] spare
    with nogil:
        held = <Py_ssize_t>state[IS_ROWS]
        for k in range(npts):
            rows[k] = state[IS_ROW1 + npts + k]
            rows[npts + k] = state[IS_ROW1 + k]
        offs[0] = state[IS_OFF2]
        offs[1] = state[IS_OFF1]
        # a row with a non-finite value judges nothing and is no reference
        fin[0] = 1
        fin[1] = 1
        for k in range(npts):
            if not isfinite(rows[k]):
                fin[0] = 0
            if not isfinite(rows[npts + k]):
                fin[1] = 0
        for j in range(n):
            x = &waves[j, 0]
            code[2 * j] = 0
            code[2 * j + 1] = 0
            fin[2] = 1
            for k in range(npts):
                if not isfinite(x[k]):
                    fin[2] = 0
                    break
            if held >= 2 and fin[0] and fin[1] and fin[2]:
                pk = 0.0
                for k in range(npts):
                    pk = fmax(pk, fabs(x[k]))
                pkraw = pk
                pk = pk * (2.0 * M_PI / npts)
                cand[0] = 0
                cand[1] = 0
                for r in range(1, 3):
                    ref = rows + (2 - r) * npts
                    delta = offset[j] - offs[2 - r]
                    if not isfinite(delta) or fabs(delta) > npts:
                        delta = 0.0
                    sh = <Py_ssize_t>floor(delta)
                    f = delta - sh
                    # the reference's three cases as three plain loops (the middle one vectorises):
                    # k + sh < 0 reads ref[0], k + sh >= npts - 1 reads ref[npts - 1]
                    klo = -sh if sh < 0 else 0
                    if klo > npts:
                        klo = npts
                    khi = npts - 1 - sh
                    if khi > npts:
                        khi = npts
                    if khi < klo:
                        khi = klo
                    for k in range(klo):
                        d[k] = x[k] - ref[0]
                    for k in range(klo, khi):
                        d[k] = x[k] - (ref[k + sh] + (ref[k + sh + 1] - ref[k + sh]) * f)
                    for k in range(khi, npts):
                        d[k] = x[k] - ref[npts - 1]
                    sd = -1.0
                    # 67.5-157.5 deg of each half-cycle: mean and least of d in its voltage direction
                    for q in range(2):
                        sg = 1.0 if q == 0 else -1.0
                        c0 = q * H + 3 * H // 8
                        c1 = q * H + 7 * H // 8
                        acc = 0.0
                        mn = INFINITY
                        for k in range(c0, c1):
                            v = sg * d[k]
                            acc += v
                            mn = fmin(mn, v)
                        cm[2 * (r - 1) + q] = acc / (c1 - c0)
                        if (r == 1 and cm[q] >= fmax(par[IP_DK_FLOOR], par[IP_DK_REL] * pkraw)
                                and mn >= par[IP_DK_MIN] * cm[q]):
                            if sd < 0:
                                sd = _ai_noise(d, npts, work)
                            cand[q] = cm[q] >= par[IP_K_NOISE] * sd
                    for q in range(2):
                        if _ai_deficit(d, q * H, npts, &par[0], &tab[0], pk, &sd, work):
                            code[2 * j + q] |= IND_DR1 if r == 1 else IND_DR2
                        # (two back only where one back has it: the evidence needs both)
                        if ((r == 1 or code[2 * j + q] & IND_RX1)
                                and _ai_relax(d, q * H, npts, &par[0], &tab[0], &sd, work)):
                            code[2 * j + q] |= IND_RX1 if r == 1 else IND_RX2
                for q in range(2):
                    if (cand[q] and fabs(cm[2 + q]) <= par[IP_DK_OTHER] * cm[q]
                            and fabs(cm[1 - q]) <= par[IP_DK_OTHER] * cm[q]):
                        code[2 * j + q] |= IND_DARK
                for q in range(2):
                    bits = code[2 * j + q]
                    if bits & (IND_DR1 | IND_DR2 | IND_DARK) or (bits & IND_RX1 and bits & IND_RX2):
                        code[2 * j + q] = bits | IND_COUNTED
            # this row becomes one back, one back becomes two back
            for k in range(npts):
                rows[k] = rows[npts + k]
                rows[npts + k] = x[k]
            offs[0] = offs[1]
            offs[1] = offset[j]
            fin[0] = fin[1]
            fin[1] = fin[2]
            if held < 2:
                held += 1
        for k in range(npts):
            state[IS_ROW1 + k] = rows[npts + k]
            state[IS_ROW1 + npts + k] = rows[k]
        state[IS_OFF1] = offs[1]
        state[IS_OFF2] = offs[0]
        state[IS_ROWS] = held
    free(buf)
    return 0
