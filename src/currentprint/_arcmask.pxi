# Series-arc evidence that survives parallel (masking) loads.
#
# Included into _core.pyx.  Works on the resampled cycles of the current
# (CycleTable.raw_waves[0], one row per voltage cycle) and compares each
# cycle with the same points one and two cycles earlier.  A load that keeps
# running in parallel repeats itself from cycle to cycle, so what differs is
# what the arcing branch changed.  The NumPy reference is
# detectors/_arc_reference.py (arcmask_scan_reference), tested for equality.
#
# Physics (Gregory, Wong & Dvorak, IEEE Trans. Ind. Appl. 40(4), 2004; the
# arc model of IEC 62606 / UL 1699 test arcs): around each zero of the branch
# current the arc extinguishes and re-ignites after a random dead time with an
# abrupt step of the branch current.  In the *total* current the step survives
# (the parallel loads are smooth or repeat), but at a position that differs
# from one half-cycle to the next.  So per half-cycle of the voltage grid we
# look for a pair of abrupt, persistent steps of the same sign, one in this
# cycle and one in the reference cycle, each without a matching step in the
# other cycle: the same re-ignition, moved by the random dead time.
# Masking loads: a dimmer's or an SMPS's edges are matched (same place every
# cycle); a switch-on is a single step with no partner in the reference; a
# brush motor's commutation spikes do not persist; a burst-mode load (the
# induction cooker) is compared with two cycles back as well; a dimmer knob
# being turned moves its edge steadily, so a pair whose signed width repeats
# the last pair found against the same reference (within ``rand_tol`` points)
# is "regular" and not counted. A masking edge found by the step test in one
# cycle and missed in the other (its noise block puts it at the threshold) is
# still there: a J of the step's sign of at least half the step within the
# match distance in the other cycle is its partner, not a moved re-ignition.
# Each step of a pair must also find the other cycle smooth where it
# is (|J| there below ``smooth`` times the step): where the arc re-ignites, the
# other cycle's branch is dark or conducting smoothly, while noise inside a
# masking load's own current pulse (an SMPS charging its capacitor through a
# small resistance) makes steps where both cycles are rough.
# A "lone" re-ignition needs only this cycle's step (its partner in the cycles
# before may be too small, or sit on a masking load's edge): a step in the
# direction of the half-cycle's voltage (a series branch re-ignites into the
# current of that polarity) where the cycles one *and* two before are smooth
# (their |J| nearby below ``lone`` times the step).  It is judged on the
# difference d = this row - reference, so a masking load's repeating structure
# (an SMPS pulse in the same block) neither hides it nor raises its noise.  A
# repeating edge is not smooth in the reference, a switch-on is new in one
# cycle only, a burst-mode load repeats two cycles back.
# Noise on each side (calibrated input; MP_LONE_LOCAL, MP_PAIR_LOCAL): a re-ignition steps from
# a dark branch into a conducting one, so J at the step carries the noise of one point after it
# and two before it, var = s_after^2 + 5 s_before^2, while the 16-point block around it is mostly
# the conduction's noise. A step that fails the block test may beat that instead (_am_side,
# and in _am_lone_d on the difference d); the alert names it (lone_local, pair_local).

from libc.math cimport fmin, fmax
from libc.stdint cimport uint64_t

# the second-difference pass (SIMD) and the 16-value median are C: _arcmask.h
cdef extern from "_arcmask.h" nogil:
    void cpam_absj(const double* x, Py_ssize_t npts, double* aj, double flo, uint64_t* cbits,
                   uint64_t* lbits)
    int cpam_median16(const double* a, double* out)
    int cpam_ctz64(uint64_t b)
    int cpam_screen12(const double* a1, const double* a2, double ts, double tl, int two)

cdef enum:
    AM_PAIR1 = 1          # step pair against one cycle back
    AM_PAIR2 = 2          # step pair against two cycles back
    AM_RANDOM1 = 4        # the pair vs one cycle back is unlike the previous cycle's
    AM_RANDOM2 = 8        # same, two cycles back
    AM_COUNTED = 16       # counts towards the alarm (RANDOM1, RANDOM2 or LONE)
    AM_LONE = 32          # a re-ignition step where the two cycles before are smooth
    AM_LONE_LOCAL = 64    # with AM_LONE: it beat the noise of d only on each side of the step, not the block's
    AM_PAIR_LOCAL = 128   # with AM_PAIR1/2: a step of the pair beat the noise only on each side of it

ARCMASK_BITS = {"pair1": AM_PAIR1, "pair2": AM_PAIR2, "random1": AM_RANDOM1, "random2": AM_RANDOM2,
                "counted": AM_COUNTED, "lone": AM_LONE, "lone_local": AM_LONE_LOCAL,
                "pair_local": AM_PAIR_LOCAL}

# parameter vector layout
cdef enum:
    MP_FLOOR = 0          # absolute step floor (A; 0 when uncalibrated)
    MP_REL_FLOOR = 1      # step floor relative to the cycle RMS of the total current
    MP_K_NOISE = 2        # step >= this * 1.4826 * local median |second difference|
    MP_PERSIST = 3        # |change of slope across the step| <= this * step (not a spike)
    MP_MATCH = 4          # steps within this many points (same sign) are "the same edge"
    MP_WMAX = 5           # widest pair (points): the longest dead-time difference
    MP_RAND_TOL = 6       # signed widths within this many points of the last pair found are regular
    MP_SPAN = 7           # both steps lie within this many points after the half-cycle's voltage zero
    MP_SMOOTH = 8         # pairs: the other cycle's |J| within MP_MATCH points of a step stays below this * step (0: not checked)
    MP_LONE = 9           # lone steps: the same for both cycles before, with this ratio (0: no lone steps)
    MP_SAME = 10          # pairs: no J of the step's sign >= this * step in the other cycle within the
                          # match distance (0: not checked)
    MP_MATCH1 = 11        # MP_MATCH against one cycle back (0: MP_MATCH); MP_MATCH is then two cycles back's
    MP_LONE_LOCAL = 12    # lone steps: or a step >= this * the noise of d just before and just after it
                          # (0: the 16-point block's noise alone), see _am_lone_d
    MP_PAIR_LOCAL = 13    # pair steps: or a step >= this * the noise on each side of it in both rows
                          # (0: the 16-point blocks' noise alone), see _am_side
    MP_LEN = 14
ARCMASK_PARAM_LEN = MP_LEN

# state layout: header then the last two rows
cdef enum:
    MS_NPTS = 0           # points per row (checked)
    MS_ROWS = 1           # rows held (0, 1, 2)
    MS_OFF1 = 2           # grid offset (points) of the row one cycle back
    MS_OFF2 = 3           # two cycles back
    MS_PREVW = 4          # [4] signed width of the last pair found per (half, reference); NaN none yet
    MS_ROW1 = 8           # [npts] row one cycle back, then [npts] two back, then their |J| ([npts] each)
ARCMASK_HEADER = MS_ROW1

# noise of the step test: median |second difference| per block of 16 points
DEF AM_WIN = 8
DEF AM_WLEN = 17
DEF AM_BLOCK = 16
DEF AM_MAXSTEPS = 64


def new_arcmask_state(Py_ssize_t npts):
    """A fresh state vector for :func:`arcmask_scan` with ``npts`` points per cycle."""
    import numpy as np
    st = np.full(ARCMASK_HEADER + 4 * npts, np.nan)
    st[MS_NPTS] = npts
    st[MS_ROWS] = 0.0
    return st


cdef double _median16(const double* a) noexcept nogil:
    """Median of 16 values (mean of the middle two, insertion sort of a copy)."""
    cdef double buf[AM_BLOCK]
    cdef Py_ssize_t i, b
    cdef double x
    if cpam_median16(a, &x) == 0:
        return x
    # a NaN among them: the insertion sort's order
    for i in range(AM_BLOCK):
        x = a[i]
        b = i
        while b > 0 and buf[b - 1] > x:
            buf[b] = buf[b - 1]
            b -= 1
        buf[b] = x
    return 0.5 * (buf[AM_BLOCK // 2 - 1] + buf[AM_BLOCK // 2])


cdef inline double _am_noise(const double* aj, Py_ssize_t npts, double* cache, Py_ssize_t b) noexcept nogil:
    """Median |second difference| of 16-point block b (the last block may reach back); cached."""
    cdef Py_ssize_t lo
    if cache[b] < 0.0:
        lo = b * AM_BLOCK
        if lo > npts - AM_BLOCK:
            lo = npts - AM_BLOCK
        cache[b] = _median16(&aj[lo])
    return cache[b]


cdef void _am_absj(const double* x, Py_ssize_t npts, double* aj, double flo, uint64_t* cbits,
                   uint64_t* lbits) noexcept nogil:
    """|second difference| of a row in its own frame (0 at both ends).

    Also marks in ``cbits`` (bit k - 1 of its ``(npts + 63) // 64`` words) the
    points ``1 <= k < npts - 2`` that :func:`_am_steps` would look at with floor
    ``flo`` (``aj[k] >= flo``, not 0, or NaN): a quiet row is then one pass.
    ``lbits`` keeps those whose second difference has the sign of a
    re-ignition in their half-cycle (positive in the first half, not positive
    in the second), the only ones :func:`_am_lone` and this row's side of the
    pair pre-screen can accept.
    """
    cpam_absj(x, npts, aj, flo, cbits, lbits)


cdef Py_ssize_t _am_steps(const double* x, Py_ssize_t npts, double flo, double k_noise, double persist,
                          double local, const double* aj, const double* ao, double* nx, double* no,
                          Py_ssize_t s_other, Py_ssize_t* kout, double* vout,
                          const uint64_t* cbits=NULL) noexcept nogil:
    """Abrupt persistent steps of row ``x`` (positions in its own frame).

    A step between points k and k+1 has second difference
    ``J = x[k+1] - 2 x[k] + x[k-1]`` (``aj`` holds |J| of this row, ``ao``
    of the row it is compared with, whose point k + ``s_other`` lies at
    this row's point k) that is at least ``flo``, the largest |J| within
    +-3 points (the resampling's ringing around a big edge is not a step of
    its own), and large against the local noise of both rows (``nx``, ``no``:
    median |J| of the 16-point block holding the point; noise that comes and
    goes from cycle to cycle must not make steps); and the slope after it is
    close to the slope before
    (``|x[k+2] - x[k+1] - x[k] + x[k-1]| <= persist * |J|``), which rejects
    one-sample spikes. With ``local`` > 0 a step may instead beat ``local``
    times the noise on each side of it (:func:`_am_side`, both rows): a
    re-ignition from a dark branch into noisy conduction sits in a block that
    is mostly the conduction's noise. Returns the number of steps written to ``kout`` /
    ``vout`` (signed J). With ``cbits`` only those points are looked at (the
    bits of :func:`_am_absj` for a floor not above ``flo``).
    """
    cdef Py_ssize_t c, m = 0, w
    cdef uint64_t bw
    cdef double jk
    if npts < AM_WLEN + 3:
        return 0
    # (two loops: the candidate bits in increasing order, or every point 1 <= k <= npts - 3)
    if cbits != NULL:
        for w in range((npts + 63) >> 6):
            bw = cbits[w]
            while bw:
                c = 1 + 64 * w + cpam_ctz64(bw)
                bw &= bw - 1
                if _am_step_at(x, npts, c, flo, k_noise, persist, local, aj, ao, nx, no, s_other, &jk) and m < AM_MAXSTEPS:
                    kout[m] = c
                    vout[m] = jk
                    m += 1
    else:
        for c in range(1, npts - 2):
            if _am_step_at(x, npts, c, flo, k_noise, persist, local, aj, ao, nx, no, s_other, &jk) and m < AM_MAXSTEPS:
                kout[m] = c
                vout[m] = jk
                m += 1
    return m


cdef inline bint _am_cand_at(const double* x, Py_ssize_t npts, Py_ssize_t k, double flo, double persist,
                             const double* aj, double* jout) noexcept nogil:
    """The tests of _am_step_at but the noise: |J| at k (1 <= k <= npts - 3) not below ``flo``
    (and not 0), the largest within +-3 points, persistent. Its signed J into ``jout``."""
    cdef double jk, pk, ak = aj[k]
    if ak < flo or ak == 0.0:
        return False
    # the largest |J| within +-3 points (inside the row): the nearest neighbours first, where
    # the flank of an edge fails
    if (aj[k + 1] > ak or aj[k - 1] > ak or aj[k + 2] > ak or (k >= 2 and aj[k - 2] > ak)
            or (k >= 3 and aj[k - 3] > ak) or (k + 3 < npts and aj[k + 3] > ak)):
        return False
    jk = (x[k + 1] - x[k]) - (x[k] - x[k - 1])
    pk = (x[k + 2] - x[k + 1]) - (x[k] - x[k - 1])
    if fabs(pk) > persist * fabs(jk):
        return False
    jout[0] = jk
    return True


cdef bint _am_pair_possible(const double* x, const double* aj, const Py_ssize_t* ck, const double* cv,
                            Py_ssize_t nck, const double* ref, const double* ajr, const uint64_t* rcand,
                            double floor_a, double persist, Py_ssize_t npts, Py_ssize_t s, double flo,
                            Py_ssize_t mt, double span, double smooth, double same) noexcept nogil:
    """Could arcmask_scan find a step pair of row ``x`` against reference ``ref`` (shifted by s)?

    False only when it provably cannot: a pair in half q needs a step of each row there
    that passes, besides the noise and "matched" tests, exactly these tests of
    arcmask_scan's pair search (the same expressions, NaN included): a step candidate
    (:func:`_am_cand_at` with the absolute floor ``floor_a``; ``ck``/``cv``: this row's,
    positions and signed J) not below ``flo``, within the span of half q, stepping the
    half's way, the other row smooth and without a partner edge around it. A masking
    load's edges repeat (no partner-free step), a quiet cycle has no candidate: neither
    needs a noise estimate.

    ``ck``/``cv`` may be any superset of this row's candidates that pass those tests
    (arcmask_scan passes its re-ignition-signed ones within the span above ``flo`` whose
    reference is smooth around them). The reference's candidates are looked at only in
    the halves where this row has a step that could pair, and only within the span there
    (``rcand``: its :func:`_am_absj` bits, or every point when NULL); each test is a pure
    function of the rows, so the answer does not depend on the order they are tried in.
    """
    cdef Py_ssize_t H = npts // 2, a, k, q, kp, lo, hi, w, base
    cdef int xq = 0
    cdef double v
    cdef uint64_t bw
    for a in range(nck):
        k = ck[a]
        q = 0 if k < H else 1
        if xq & (1 << q) or k >= q * H + span or aj[k] < flo:
            continue
        v = cv[a]
        if (v > 0.0) != (q == 0):
            continue
        if smooth > 0.0 and not _am_smooth(ajr, npts, k + s, mt, smooth * fabs(v)):
            continue
        if same > 0.0 and _am_partner(ref, npts, k + s, mt, v, same):
            continue
        xq |= 1 << q
        if xq == 3:
            break
    if xq == 0:
        return False
    for q in range(2):
        if not (xq & (1 << q)):
            continue
        # the reference's points kp whose place on this row, k = kp - s, lies in half q before
        # q H + span (k < q H + span: k < q H + ceil(span) for a finite span), and that can be
        # candidates (1 <= kp <= npts - 3)
        hi = (q + 1) * H
        if span <= 0.0:
            # (every k >= q H is at or past q H + span)
            continue
        if span < npts and q * H + <Py_ssize_t>ceil(span) < hi:
            # (0 < span < npts: the cast is exact; NaN or a longer span keeps the whole half,
            # as the test k >= q H + span does)
            hi = q * H + <Py_ssize_t>ceil(span)
        lo = q * H + s
        hi = hi + s
        if lo < 1:
            lo = 1
        if hi > npts - 2:
            hi = npts - 2
        if hi <= lo:
            continue
        if rcand == NULL:
            for kp in range(lo, hi):
                if _am_ref_pairs(x, aj, ref, ajr, npts, H, kp, s, q, floor_a, persist, flo, mt, span, smooth, same):
                    return True
            continue
        for w in range((lo - 1) >> 6, ((hi - 2) >> 6) + 1):
            # bit b of word w is point kp = 64 w + b + 1: the bits of points lo .. hi - 1
            base = 64 * w
            bw = rcand[w]
            if lo - 1 > base:
                bw &= (~(<uint64_t>0)) << (lo - 1 - base)
            if hi - 1 < base + 64:
                bw &= ((<uint64_t>1) << (hi - 1 - base)) - 1
            while bw:
                kp = base + 1 + cpam_ctz64(bw)
                bw &= bw - 1
                if _am_ref_pairs(x, aj, ref, ajr, npts, H, kp, s, q, floor_a, persist, flo, mt, span, smooth, same):
                    return True
    return False


cdef inline bint _am_ref_pairs(const double* x, const double* aj, const double* ref, const double* ajr,
                               Py_ssize_t npts, Py_ssize_t H, Py_ssize_t kp, Py_ssize_t s, Py_ssize_t q, double floor_a,
                               double persist, double flo, Py_ssize_t mt, double span, double smooth,
                               double same) noexcept nogil:
    """The reference's side of :func:`_am_pair_possible` at its point kp (1 <= kp <= npts - 3),
    placed at k = kp - s in half q (H = npts // 2) of this row: a step candidate there that could pair."""
    cdef Py_ssize_t k = kp - s
    cdef double v
    if k < 0 or k >= npts or (0 if k < H else 1) != q or k >= q * H + span or ajr[kp] < flo:
        return False
    # (the sign first: the cheapest test; the same expression as _am_cand_at's J)
    v = (ref[kp + 1] - ref[kp]) - (ref[kp] - ref[kp - 1])
    if (v > 0.0) != (q == 0):
        return False
    if not _am_cand_at(ref, npts, kp, floor_a, persist, ajr, &v):
        return False
    if smooth > 0.0 and not _am_smooth(aj, npts, k, mt, smooth * fabs(v)):
        return False
    if same > 0.0 and _am_partner(x, npts, k, mt, v, same):
        return False
    return True


cdef inline bint _am_step_at(const double* x, Py_ssize_t npts, Py_ssize_t k, double flo, double k_noise,
                             double persist, double local, const double* aj, const double* ao, double* nx,
                             double* no, Py_ssize_t s_other, double* jout) noexcept nogil:
    """Is there a step at k (1 <= k <= npts - 3; see _am_steps)? Its signed J into ``jout``."""
    cdef Py_ssize_t bo, nblk = (npts + AM_BLOCK - 1) // AM_BLOCK
    cdef double jk, noise
    if not _am_cand_at(x, npts, k, flo, persist, aj, &jk):
        return False
    noise = _am_noise(aj, npts, nx, k // AM_BLOCK)
    if ao != NULL:
        # (without ao: a first pass on this row's own noise, a superset of the steps)
        bo = (k + s_other) // AM_BLOCK if k + s_other >= 0 else 0
        if bo >= nblk:
            bo = nblk - 1
        noise = fmax(noise, _am_noise(ao, npts, no, bo))
    if fabs(jk) < k_noise * 1.4826 * noise and not _am_side(aj, ao, npts, k, s_other, jk, local):
        return False
    jout[0] = jk
    return True


cdef bint _am_matched(Py_ssize_t k, double v, const Py_ssize_t* ko, const double* vo, Py_ssize_t mo,
                      double match) noexcept nogil:
    cdef Py_ssize_t a
    for a in range(mo):
        if fabs(<double>(ko[a] - k)) <= match and (vo[a] > 0.0) == (v > 0.0):
            return True
    return False


cdef inline Py_ssize_t _am_shift(double off_j, double off_r) noexcept nogil:
    """Whole-point shift of a reference row: floor(off_j - off_r + 0.5) clamped to +-AM_WIN, NaN -> 0.

    (floor without the library call: outside +-AM_WIN the clamp decides, inside the
    truncation toward zero is exact and one below it for a negative non-integer.)
    """
    cdef double o = off_j - off_r + 0.5
    cdef Py_ssize_t t
    if o != o:
        return 0
    if o >= AM_WIN:
        return AM_WIN
    if o <= -AM_WIN:
        return -AM_WIN
    t = <Py_ssize_t>o
    if <double>t > o:
        t -= 1
    return t


cdef inline double _am_jd(const double* x, const double* ref, Py_ssize_t npts, Py_ssize_t s,
                          Py_ssize_t i) noexcept nogil:
    """Second difference of d = x - ref(shifted by s) at point i; each row's J is 0 off its points 1..npts-2."""
    cdef double jx = 0.0, jr = 0.0
    if i >= 1 and i <= npts - 2:
        jx = (x[i + 1] - x[i]) - (x[i] - x[i - 1])
    if i + s >= 1 and i + s <= npts - 2:
        jr = (ref[i + s + 1] - ref[i + s]) - (ref[i + s] - ref[i + s - 1])
    return jx - jr


cdef int _am_lone_d(const double* x, const double* ref, Py_ssize_t npts, Py_ssize_t s, Py_ssize_t k,
                    bint positive, double flo, double k_noise, double persist, double local) noexcept nogil:
    """The tests of a lone step at k on d = this row - one reference (shifted by s), but the
    reference's smoothness (see _am_lone; the caller checked ``1 <= k + s <= npts - 3``).

    Returns 0 (no), 1 (a step against the block's noise) or 2 (only against the noise on
    each side of it, ``local`` > 0).
    """
    cdef double jd, a, pk, ma, mb
    cdef double buf[AM_BLOCK]
    cdef Py_ssize_t i, lo
    jd = ((x[k + 1] - x[k]) - (x[k] - x[k - 1])) - ((ref[k + s + 1] - ref[k + s]) - (ref[k + s] - ref[k + s - 1]))
    if (jd > 0.0) != positive or not (fabs(jd) >= flo):
        return 0
    # persistent in d
    pk = (((x[k + 2] - ref[k + s + 2]) - (x[k + 1] - ref[k + s + 1]))
          - ((x[k] - ref[k + s]) - (x[k - 1] - ref[k + s - 1])))
    if fabs(pk) > persist * fabs(jd):
        return 0
    # the largest J of its sign in d within +-3 points (the reference's own re-ignition
    # nearby has the other sign in d)
    if k >= 4 and k + 3 <= npts - 2 and k + s >= 4 and k + s + 3 <= npts - 2:
        # (every point's J inside both rows: no edge cases)
        for i in range(k - 3, k + 4):
            if i != k:
                a = (((x[i + 1] - x[i]) - (x[i] - x[i - 1]))
                     - ((ref[i + s + 1] - ref[i + s]) - (ref[i + s] - ref[i + s - 1])))
                if (a > 0.0) == positive and fabs(a) > fabs(jd):
                    return 0
    else:
        for i in range(k - 3, k + 4):
            if i >= 0 and i < npts:
                a = _am_jd(x, ref, npts, s, i)
                if (a > 0.0) == positive and fabs(a) > fabs(jd):
                    return 0
    # large against the noise of d in its 16-point block (the last block may reach back)
    lo = (k // AM_BLOCK) * AM_BLOCK
    if lo > npts - AM_BLOCK:
        lo = npts - AM_BLOCK
    for i in range(AM_BLOCK):
        buf[i] = fabs(_am_jd(x, ref, npts, s, lo + i))
    a = _median16(buf)
    if fabs(jd) >= k_noise * 1.4826 * a:
        return 1
    if not (local > 0.0) or k - 9 < 1 or k + 9 > npts - 2:
        return 0
    # the noise on each side of the step: a re-ignition steps from a dark branch (only the
    # masking loads' residue in d) into a conducting one, so J of d at the step carries the
    # noise of one point after it and of two before it (var = s_after^2 + 5 s_before^2, s the
    # per-point noise = 1.4826 median|J| / sqrt(6) of 8 points each side), not the block's
    for i in range(8):
        buf[i] = fabs(_am_jd(x, ref, npts, s, k - 9 + i))
        buf[8 + i] = fabs(_am_jd(x, ref, npts, s, k + 2 + i))
    if not _am_med8(buf, &mb) or not _am_med8(&buf[8], &ma):
        return 0
    return 2 if fabs(jd) >= local * 1.4826 * sqrt((ma * ma + 5.0 * mb * mb) / 6.0) else 0


cdef bint _am_med8(double* a, double* out) noexcept nogil:
    """Median of 8 values (mean of the middle two; sorts them in place); False when one is NaN."""
    cdef Py_ssize_t i, b
    cdef double x
    for i in range(8):
        if a[i] != a[i]:
            return False
    for i in range(1, 8):
        x = a[i]
        b = i
        while b > 0 and a[b - 1] > x:
            a[b] = a[b - 1]
            b -= 1
        a[b] = x
    out[0] = 0.5 * (a[3] + a[4])
    return True


cdef bint _am_side(const double* aj, const double* ao, Py_ssize_t npts, Py_ssize_t k, Py_ssize_t s,
                   double jk, double local) noexcept nogil:
    """|jk| >= local * the noise of J at a step at k from the noise on each side of it.

    J at a step between k and k+1 carries the noise of one point after it and of
    two before it: var = s_after^2 + 5 s_before^2, with the per-point noise s =
    1.4826 median|J| / sqrt(6) of the 8 points k-9..k-2 before and k+2..k+9
    after (``aj``; with ``ao``, the larger of both rows', the other row's point
    k + s lying at this row's k). False when ``local`` is 0, a window leaves
    the points 1..npts-2 of a row, or holds a NaN.
    """
    cdef double buf[8]
    cdef double ma, mb, t
    cdef Py_ssize_t i
    if not (local > 0.0) or k - 9 < 1 or k + 9 > npts - 2:
        return False
    if ao != NULL and (k + s - 9 < 1 or k + s + 9 > npts - 2):
        return False
    for i in range(8):
        buf[i] = aj[k - 9 + i]
    if not _am_med8(buf, &mb):
        return False
    for i in range(8):
        buf[i] = aj[k + 2 + i]
    if not _am_med8(buf, &ma):
        return False
    if ao != NULL:
        for i in range(8):
            buf[i] = ao[k + s - 9 + i]
        if not _am_med8(buf, &t):
            return False
        mb = fmax(mb, t)
        for i in range(8):
            buf[i] = ao[k + s + 2 + i]
        if not _am_med8(buf, &t):
            return False
        ma = fmax(ma, t)
    return fabs(jk) >= local * 1.4826 * sqrt((ma * ma + 5.0 * mb * mb) / 6.0)


cdef inline bint _am_block_ok(const double* aj, double* nx, Py_ssize_t k, const double* ao, double* no,
                              Py_ssize_t ko, Py_ssize_t npts, double v, double k_noise) noexcept nogil:
    """|v| beats k_noise x the 16-point block noise of both rows (point k of aj, ko of ao; clamped)."""
    cdef Py_ssize_t nblk = (npts + AM_BLOCK - 1) // AM_BLOCK
    cdef Py_ssize_t b = ko // AM_BLOCK if ko >= 0 else 0
    if b >= nblk:
        b = nblk - 1
    return fabs(v) >= k_noise * 1.4826 * fmax(_am_noise(aj, npts, nx, k // AM_BLOCK), _am_noise(ao, npts, no, b))


cdef bint _am_partner(const double* x, Py_ssize_t npts, Py_ssize_t k, Py_ssize_t m, double v,
                      double ratio) noexcept nogil:
    """Row x has a second difference of v's sign and at least ratio * |v| within m points of k.

    The same edge just below the step test's noise threshold in the other cycle (a
    masking load's edge that flickers across it) is a partner, not a moved re-ignition.
    """
    cdef Py_ssize_t i
    cdef double jx
    for i in range(k - m, k + m + 1):
        if i >= 1 and i <= npts - 2:
            jx = (x[i + 1] - x[i]) - (x[i] - x[i - 1])
            if (jx > 0.0) == (v > 0.0) and fabs(jx) >= ratio * fabs(v):
                return True
    return False


cdef inline bint _am_rough(const double* ajr, Py_ssize_t npts, Py_ssize_t c, Py_ssize_t m,
                           double thr) noexcept nogil:
    """Some of ajr[c - m .. c + m] (inside the row) at or above thr: the reference is not smooth there.

    ``c`` itself is inside the row and looked at first (a repeating edge sits right there).
    """
    cdef Py_ssize_t i, lo = c - m, hi = c + m + 1
    if ajr[c] >= thr:
        return True
    if lo < 0:
        lo = 0
    if hi > npts:
        hi = npts
    for i in range(lo, hi):
        if ajr[i] >= thr:
            return True
    return False


cdef inline bint _am_smooth(const double* a, Py_ssize_t npts, Py_ssize_t k, Py_ssize_t m, double thr) noexcept nogil:
    """All of a[k - m .. k + m] (inside the row) below thr.

    ``k`` is looked at first (a repeating edge sits right there), then the window clipped to the row.
    """
    cdef Py_ssize_t i, lo = k - m, hi = k + m + 1
    if k >= 0 and k < npts and not (a[k] < thr):
        return False
    if lo < 0:
        lo = 0
    if hi > npts:
        hi = npts
    for i in range(lo, hi):
        if not (a[i] < thr):
            return False
    return True


cdef int _am_lone(const double* x, const double* aj, const Py_ssize_t* cand, Py_ssize_t ncand,
                  const double* ref1, Py_ssize_t s1, const double* ajr1, const double* ref2, Py_ssize_t s2,
                  const double* ajr2, Py_ssize_t npts, double span, double flo, double k_noise, double persist,
                  double match, double ratio, double local) noexcept nogil:
    """Lone re-ignitions: bit q set when half q holds one in [q H, min(q H + span, (q + 1) H)).

    Bit q + 2 is also set when that step beat the noise of d only on each side of
    it (``local``, see :func:`_am_lone_d`), against one reference or both.

    A lone re-ignition is a step of this row (|J| >= flo, rising in the
    positive half, falling in the negative) that is, in the difference with
    each of the two rows before, the largest |J| of its sign within +-3
    points, persistent, large against that difference's block noise, and
    where that row is smooth (its |J| within ``match`` points below
    ``ratio`` times the step). ``cand``: points 1..npts-3 in increasing order, a
    superset of those that pass, so one pass serves both halves. Each test is a pure
    function of the rows, so the cheap ones go first; arcmask_scan passes only points
    whose J has the half's sign (``lbits`` of :func:`_am_absj`) within the span that
    already passed this function's first tests (floor, span, both rows not rough).
    """
    cdef Py_ssize_t c, k, q, H = npts // 2, m = <Py_ssize_t>match
    # both references' points around k exist: k + s - 1 >= 0 and k + s + 2 <= npts - 1 for both
    cdef Py_ssize_t klo = 1 - (s1 if s1 < s2 else s2), khi = npts - 3 - (s1 if s1 > s2 else s2)
    cdef double thr
    cdef int found = 0, v1, v2
    cdef bint positive
    for c in range(ncand):
        k = cand[c]
        q = 0 if k < H else 1
        if found & (1 << q) or k >= q * H + span:
            if q == 1:
                break
            continue
        if not (aj[k] >= flo):
            continue
        positive = q == 0
        if k < klo or k > khi:
            continue
        # the references are smooth around it, against the step itself (|J| of d doubles where
        # a reference's own edge sits one point away)
        thr = ratio * aj[k]
        if _am_rough(ajr1, npts, k + s1, m, thr) or _am_rough(ajr2, npts, k + s2, m, thr):
            continue
        v1 = _am_lone_d(x, ref1, npts, s1, k, positive, flo, k_noise, persist, local)
        if v1 == 0:
            continue
        v2 = _am_lone_d(x, ref2, npts, s2, k, positive, flo, k_noise, persist, local)
        if v2 != 0:
            found |= 1 << q
            if v1 == 2 or v2 == 2:
                found |= 4 << q
            if q == 1:
                break
    return found


def arcmask_scan(const double[:, ::1] waves, const double[::1] offset, const double[::1] rms,
                 double[::1] state, const double[::1] par, int[::1] code, double[::1] width,
                 double[::1] size):
    """Score half-cycles for series-arc steps that differ from the cycles before.

    Parameters
    ----------
    waves : float64 array (n, npts)
        The current of each cycle resampled on its voltage-cycle grid, A
        (``CycleTable.raw_waves[0]``).
    offset : float64 array (n,)
        Where each row's first point lies after the cycle's start, in points
        (``(ceil(start) - start) * npts / period``); rows are compared at the
        nearest whole-point shift.
    rms : float64 array (n,)
        Cycle RMS of the current, A (for the relative step floor).
    state : float64 array
        From :func:`new_arcmask_state`, updated in place.
    par : float64 array of length ARCMASK_PARAM_LEN
        Thresholds (MP_* layout in _arcmask.pxi).
    code : int32 array (2n,)
        Receives the AM_* bits of each half-cycle (positive half first);
        AM_LONE needs both cycles before.
    width : float64 array (4n,)
        Receives per half-cycle the signed width (points) of the pair against
        one and two cycles back (NaN: no pair), ``[2h]`` and ``[2h + 1]``.
    size : float64 array (2n,)
        Receives the smaller step of the widest pair found, A (NaN: none).

    Returns
    -------
    int
        0; 1 when the array shapes disagree.
    """
    cdef Py_ssize_t n = waves.shape[0], npts = waves.shape[1], H, j, r, q, a, b, mx, mr, s, k
    cdef Py_ssize_t kx[AM_MAXSTEPS]
    cdef Py_ssize_t kx0[AM_MAXSTEPS]
    cdef double vx0[AM_MAXSTEPS]
    cdef double* ajr
    cdef double* aj
    cdef double* nx
    cdef double* no
    cdef Py_ssize_t kr[AM_MAXSTEPS]
    cdef double vx[AM_MAXSTEPS]
    cdef double vr[AM_MAXSTEPS]
    cdef Py_ssize_t nblk = (npts + AM_BLOCK - 1) // AM_BLOCK, mx0, c, cr, nrows
    cdef Py_ssize_t nw = (npts + 63) >> 6, wd, klo, khi, m1, m2
    cdef uint64_t* cand
    cdef uint64_t bw
    cdef double ak
    cdef double* ajr2
    cdef bint pair_on, lone_on, two, fast
    cdef Py_ssize_t kin_lo, kin_hi
    cdef int scr
    # this row's re-ignition-signed candidates within the span above its floor that pass the
    # step tests but the noise (the pair pre-screen's side of this row)
    cdef Py_ssize_t xs_k[4096]
    cdef double xs_v[4096]
    cdef Py_ssize_t nxs
    cdef double xv
    # this row's re-ignition-signed candidate bits (_am_absj), the points within the span of
    # their half (once per call), and the candidates left for the lone-step test (a list)
    cdef uint64_t* lbits
    cdef uint64_t* spanbits
    cdef Py_ssize_t* lcand = NULL
    cdef Py_ssize_t nlone = 0
    cdef double flo, best, bsize, w, prev, thr, mt
    cdef bint blocal = False
    cdef double offs[3]
    cdef const double* ref
    cdef const double* rowp[3]
    cdef int bits
    # per-row work kept for the two cycles after it (slot j % 3): |J|, block noise
    # (-1: not yet computed), and the row's steps on its own noise above the absolute
    # floor (-1: not yet computed). Each is a pure function of the row, so reusing it
    # gives the same answer as recomputing it, without copying rows through the state.
    cdef double* ring = NULL
    cdef double* ring_n
    cdef double* ring_v
    cdef Py_ssize_t* ring_k = NULL
    cdef Py_ssize_t ring_m[3]
    # and every row's candidate bits of _am_absj (ring_raw, nw words per slot; ring_nraw -1: a
    # row from the state, none kept), from which its step candidates are listed when first needed
    cdef uint64_t* ring_raw
    cdef Py_ssize_t ring_nraw[3]
    cdef int ring_nv[3]          # 1: the slot's block-noise cache (ring_n) is cleared
    cdef Py_ssize_t shift[3]     # [r]: whole-point shift of the row r cycles back
    cdef Py_ssize_t slot[3]      # [r]: ring slot of the row r cycles back (j % 3, (j + 2) % 3, (j + 1) % 3)
    if (offset.shape[0] != n or rms.shape[0] != n or code.shape[0] != 2 * n or width.shape[0] != 4 * n
            or size.shape[0] != 2 * n or par.shape[0] != MP_LEN):
        return 1
    if npts < 4 or npts > 4096 or npts % 2 or state.shape[0] != ARCMASK_HEADER + 4 * npts or state[MS_NPTS] != npts:
        return 1
    H = npts // 2
    if n == 0:
        return 0
    ring = <double*>malloc(sizeof(double) * 3 * (npts + nblk + AM_MAXSTEPS))
    ring_k = <Py_ssize_t*>malloc(sizeof(Py_ssize_t) * (3 * AM_MAXSTEPS + npts))
    ring_raw = <uint64_t*>malloc(sizeof(uint64_t) * 5 * nw)
    if ring == NULL or ring_k == NULL or ring_raw == NULL:
        free(ring)
        free(ring_k)
        free(ring_raw)
        raise MemoryError()
    lcand = ring_k + 3 * AM_MAXSTEPS
    lbits = ring_raw + 3 * nw
    spanbits = lbits + nw
    ring_n = ring + 3 * npts
    ring_v = ring_n + 3 * nblk
    with nogil:
        nrows = <Py_ssize_t>state[MS_ROWS]
        # the points a step of a pair or a lone step may sit on: within the span after its
        # half's voltage zero (the tests' own expression, k >= q H + span rejects)
        for wd in range(nw):
            spanbits[wd] = 0
        for k in range(1, npts - 2):
            q = 0 if k < H else 1
            if not (k >= q * H + par[MP_SPAN]):
                spanbits[(k - 1) >> 6] |= (<uint64_t>1) << ((k - 1) & 63)
        # this row's side of the pair pre-screen and the lone test look first at the rows before
        # (below): a pair step needs the reference smooth around it (MP_SMOOTH > 0), a lone
        # step both references not rough (MP_LONE > 0); a masking load's edge repeats there
        pair_on = par[MP_SMOOTH] > 0.0
        lone_on = par[MP_LONE] > 0.0
        m1 = <Py_ssize_t>(par[MP_MATCH1] if par[MP_MATCH1] > 0.0 else par[MP_MATCH])
        m2 = <Py_ssize_t>par[MP_MATCH]
        fast = m1 == 1 and m2 == 2
        # the rows held in the state: slots of rows -1 and -2
        for r in range(1, 3):
            c = (3 - r) % 3
            rowp[c] = &state[MS_ROW1 + (r - 1) * npts]
            offs[c] = state[MS_OFF1 + r - 1]
            for a in range(npts):
                ring[c * npts + a] = state[MS_ROW1 + (r + 1) * npts + a]
            ring_nv[c] = 0
            ring_m[c] = -1
            ring_nraw[c] = -1
        slot[0] = 0
        slot[1] = 2
        slot[2] = 1
        for j in range(n):
            # slots: this row's j % 3, the row one cycle back's (j + 2) % 3, two back's (j + 1) % 3
            # (kept by increments rather than three divisions per row)
            c = slot[0]
            aj = &ring[c * npts]
            nx = &ring_n[c * nblk]
            rowp[c] = &waves[j, 0]
            offs[c] = offset[j]
            flo = par[MP_FLOOR]
            if par[MP_REL_FLOOR] * rms[j] > flo:
                flo = par[MP_REL_FLOOR] * rms[j]
            cand = &ring_raw[c * nw]
            _am_absj(&waves[j, 0], npts, aj, par[MP_FLOOR], cand, lbits)
            ring_nraw[c] = 0
            # (its block noise is cleared when first needed: most rows never need it)
            ring_nv[c] = 0
            # the whole-point shift of the rows one and two cycles back (rows start within a
            # point of their cycle start, so |s| <= 1; odd or NaN offsets are clamped, not trusted)
            shift[1] = _am_shift(offset[j], offs[slot[1]])
            shift[2] = _am_shift(offset[j], offs[slot[2]])
            # this row's step candidates above the absolute floor (no noise estimate: a
            # superset of its steps against any row's noise, above any row floor) are listed
            # when a later row's pre-screen needs them as a reference's; for its own side of
            # the pre-screen only those stepping the half's way (lbits) within the span above
            # its floor count, and the cheap tests go first: the reference smooth around the
            # step in one of the rows before (_am_pair_possible's test, with the same
            # expression; a repeating masking edge fails it), then the step tests but the
            # noise. The lone test's candidates are screened the same way (_am_lone's own
            # first tests: the span, the floor, both rows before not rough around it).
            nxs = 0
            nlone = 0
            klo = 1 - (shift[1] if shift[1] < shift[2] else shift[2])
            khi = npts - 3 - (shift[1] if shift[1] > shift[2] else shift[2])
            ajr = &ring[slot[1] * npts]
            ajr2 = &ring[slot[2] * npts]
            two = nrows >= 2
            # the points whose windows of +-2 lie inside both rows before
            kin_lo = 2 - (shift[1] if shift[1] < shift[2] else shift[2])
            kin_hi = npts - 3 - (shift[1] if shift[1] > shift[2] else shift[2])
            if nrows >= 1:
                for wd in range(nw):
                    bw = lbits[wd] & spanbits[wd]
                    while bw:
                        k = 1 + 64 * wd + cpam_ctz64(bw)
                        bw &= bw - 1
                        ak = aj[k]
                        if fast and k >= kin_lo and k <= kin_hi:
                            # (the usual match distances, both windows inside the rows: one
                            # branch-free screen, exact for the lone test, implied by the pair's)
                            scr = cpam_screen12(&ajr[k + shift[1]], &ajr2[k + shift[2]], par[MP_SMOOTH] * ak,
                                                par[MP_LONE] * ak, two)
                            if scr & 2 and two and lone_on and ak >= flo and k >= klo and k <= khi:
                                lcand[nlone] = k
                                nlone += 1
                            if ak < flo or (pair_on and not (scr & 1)):
                                continue
                            if _am_cand_at(&waves[j, 0], npts, k, par[MP_FLOOR], par[MP_PERSIST], aj, &xv):
                                xs_k[nxs] = k
                                xs_v[nxs] = xv
                                nxs += 1
                            continue
                        # (otherwise: the tests themselves, cheap ones first)
                        if ak < flo:
                            continue
                        if (nrows >= 2 and lone_on and ak >= flo and k >= klo and k <= khi
                                and not _am_rough(ajr, npts, k + shift[1], m2, par[MP_LONE] * ak)
                                and not _am_rough(ajr2, npts, k + shift[2], m2, par[MP_LONE] * ak)):
                            lcand[nlone] = k
                            nlone += 1
                        if pair_on and not (_am_smooth(ajr, npts, k + shift[1], m1, par[MP_SMOOTH] * ak)
                                            or (nrows >= 2 and _am_smooth(ajr2, npts, k + shift[2], m2,
                                                                          par[MP_SMOOTH] * ak))):
                            continue
                        if _am_cand_at(&waves[j, 0], npts, k, par[MP_FLOOR], par[MP_PERSIST], aj, &xv):
                            xs_k[nxs] = k
                            xs_v[nxs] = xv
                            nxs += 1
            # its steps (on its own noise, then against each reference's): only when the
            # pre-screen finds a pair possible
            ring_m[c] = -1
            mx0 = -1
            code[2 * j] = 0
            code[2 * j + 1] = 0
            for a in range(4):
                width[4 * j + a] = NAN
            size[2 * j] = NAN
            size[2 * j + 1] = NAN
            for r in range(1, 3):
                # (no step of this row could pair: neither reference is looked at)
                if nrows < r or mx0 == 0 or nxs == 0:
                    continue
                cr = slot[r]
                ref = rowp[cr]
                # the reference's point k + s lies where this row's point k does
                s = shift[r]
                ajr = &ring[cr * npts]     # its |J|
                no = &ring_n[cr * nblk]
                # an edge that moves steadily moves twice as far against two cycles back
                mt = par[MP_MATCH1] if r == 1 and par[MP_MATCH1] > 0.0 else par[MP_MATCH]
                # the pre-screen: most cycles have no step that could pair (a quiet cycle, or a
                # masking load's edges repeating), and then the noise estimates are not needed
                if not _am_pair_possible(&waves[j, 0], aj, xs_k, xs_v, nxs,
                                         ref, ajr, &ring_raw[cr * nw] if ring_nraw[cr] >= 0 else NULL, par[MP_FLOOR],
                                         par[MP_PERSIST], npts,
                                         s, flo, <Py_ssize_t>mt, par[MP_SPAN], par[MP_SMOOTH], par[MP_SAME]):
                    continue
                # the block-noise caches of both rows (-1: not yet computed), cleared on first use
                if not ring_nv[c]:
                    for a in range(nblk):
                        nx[a] = -1.0
                    ring_nv[c] = 1
                if not ring_nv[cr]:
                    for a in range(nblk):
                        no[a] = -1.0
                    ring_nv[cr] = 1
                if mx0 < 0:
                    # this row's steps on its own noise above the absolute floor (a superset of
                    # those above this row's floor and of those that also beat another row's noise)
                    ring_m[c] = _am_steps(&waves[j, 0], npts, par[MP_FLOOR], par[MP_K_NOISE], par[MP_PERSIST],
                                          par[MP_PAIR_LOCAL], aj, NULL, nx, NULL, 0, &ring_k[c * AM_MAXSTEPS],
                                          &ring_v[c * AM_MAXSTEPS], cand)
                    if ring_m[c] < AM_MAXSTEPS:
                        mx0 = 0
                        for a in range(ring_m[c]):
                            if not (aj[ring_k[c * AM_MAXSTEPS + a]] < flo):
                                kx0[mx0] = ring_k[c * AM_MAXSTEPS + a]
                                vx0[mx0] = ring_v[c * AM_MAXSTEPS + a]
                                mx0 += 1
                    else:
                        mx0 = _am_steps(&waves[j, 0], npts, flo, par[MP_K_NOISE], par[MP_PERSIST], par[MP_PAIR_LOCAL],
                                        aj, NULL, nx, NULL, 0, kx0, vx0)
                    # no step in this row on its own noise: no pair is possible
                    if mx0 == 0:
                        continue
                if mx0 < AM_MAXSTEPS:
                    # this row's steps: the first pass's, that also beat the reference's noise
                    mx = 0
                    for a in range(mx0):
                        b = (kx0[a] + s) // AM_BLOCK if kx0[a] + s >= 0 else 0
                        if b >= nblk:
                            b = nblk - 1
                        if fabs(vx0[a]) >= par[MP_K_NOISE] * 1.4826 * fmax(
                                _am_noise(aj, npts, nx, kx0[a] // AM_BLOCK), _am_noise(ajr, npts, no, b)) or _am_side(
                                aj, ajr, npts, kx0[a], s, vx0[a], par[MP_PAIR_LOCAL]):
                            kx[mx] = kx0[a]
                            vx[mx] = vx0[a]
                            mx += 1
                else:
                    mx = _am_steps(&waves[j, 0], npts, flo, par[MP_K_NOISE], par[MP_PERSIST], par[MP_PAIR_LOCAL], aj, ajr, nx, no, s,
                                   kx, vx)
                if ring_m[cr] < 0:
                    # a row from the state (or one whose steps were not needed yet): its own steps, once
                    ring_m[cr] = _am_steps(ref, npts, par[MP_FLOOR], par[MP_K_NOISE], par[MP_PERSIST], par[MP_PAIR_LOCAL], ajr, NULL,
                                           no, NULL, 0, &ring_k[cr * AM_MAXSTEPS], &ring_v[cr * AM_MAXSTEPS])
                if ring_m[cr] < AM_MAXSTEPS:
                    # the reference's steps above this row's floor that also beat this row's noise
                    mr = 0
                    for a in range(ring_m[cr]):
                        q = ring_k[cr * AM_MAXSTEPS + a]
                        if ajr[q] < flo:
                            continue
                        b = (q - s) // AM_BLOCK if q - s >= 0 else 0
                        if b >= nblk:
                            b = nblk - 1
                        thr = fmax(_am_noise(ajr, npts, no, q // AM_BLOCK), _am_noise(aj, npts, nx, b))
                        if fabs(ring_v[cr * AM_MAXSTEPS + a]) < par[MP_K_NOISE] * 1.4826 * thr and not _am_side(
                                ajr, aj, npts, q, -s, ring_v[cr * AM_MAXSTEPS + a], par[MP_PAIR_LOCAL]):
                            continue
                        kr[mr] = q
                        vr[mr] = ring_v[cr * AM_MAXSTEPS + a]
                        mr += 1
                else:
                    mr = _am_steps(ref, npts, flo, par[MP_K_NOISE], par[MP_PERSIST], par[MP_PAIR_LOCAL], ajr, aj, no, nx, -s, kr, vr)
                # the reference's steps, placed on this row's points
                for a in range(mr):
                    kr[a] = kr[a] - s
                # (kx and kr are in increasing order: each half's steps within the span are one run)
                for q in range(2):
                    best = NAN
                    bsize = NAN
                    for a in range(mx):
                        if kx[a] < q * H:
                            continue
                        if kx[a] >= q * H + par[MP_SPAN] or kx[a] >= (q + 1) * H:
                            break
                        # a re-ignition steps into the current of the half's voltage polarity
                        if (vx[a] > 0.0) != (q == 0):
                            continue
                        if par[MP_SMOOTH] > 0.0 and not _am_smooth(ajr, npts, kx[a] + s, <Py_ssize_t>mt,
                                                                   par[MP_SMOOTH] * fabs(vx[a])):
                            continue
                        if _am_matched(kx[a], vx[a], kr, vr, mr, mt):
                            continue
                        if par[MP_SAME] > 0.0 and _am_partner(ref, npts, kx[a] + s, <Py_ssize_t>mt, vx[a],
                                                              par[MP_SAME]):
                            continue
                        for b in range(mr):
                            if kr[b] < q * H:
                                continue
                            if kr[b] >= q * H + par[MP_SPAN] or kr[b] >= (q + 1) * H:
                                break
                            if (vr[b] > 0.0) != (vx[a] > 0.0):
                                continue
                            if fabs(<double>(kx[a] - kr[b])) > par[MP_WMAX]:
                                continue
                            if _am_matched(kr[b], vr[b], kx, vx, mx, mt):
                                continue
                            if par[MP_SMOOTH] > 0.0 and not _am_smooth(aj, npts, kr[b], <Py_ssize_t>mt,
                                                                       par[MP_SMOOTH] * fabs(vr[b])):
                                continue
                            if par[MP_SAME] > 0.0 and _am_partner(&waves[j, 0], npts, kr[b], <Py_ssize_t>mt,
                                                                  vr[b], par[MP_SAME]):
                                continue
                            w = <double>(kx[a] - kr[b])
                            if vx[a] < 0.0:
                                w = -w
                            if best != best or fabs(w) > fabs(best):
                                best = w
                                bsize = fmin(fabs(vx[a]), fabs(vr[b]))
                                # (for the alert: a step of it beat only the noise on each side of it)
                                blocal = not (_am_block_ok(aj, nx, kx[a], ajr, no, kx[a] + s, npts, vx[a],
                                                           par[MP_K_NOISE])
                                              and _am_block_ok(ajr, no, kr[b] + s, aj, nx, kr[b], npts, vr[b],
                                                               par[MP_K_NOISE]))
                    # the last pair found (a cycle without one keeps it): an edge that moves
                    # steadily pairs now and then, each time with about the same width
                    prev = state[MS_PREVW + 2 * q + r - 1]
                    if best == best:
                        state[MS_PREVW + 2 * q + r - 1] = best
                        width[4 * j + 2 * q + r - 1] = best
                        code[2 * j + q] |= (AM_PAIR1 if r == 1 else AM_PAIR2)
                        if blocal:
                            code[2 * j + q] |= AM_PAIR_LOCAL
                        if not (fabs(best - prev) <= par[MP_RAND_TOL]):
                            code[2 * j + q] |= (AM_RANDOM1 if r == 1 else AM_RANDOM2)
                            code[2 * j + q] |= AM_COUNTED
                        if size[2 * j + q] != size[2 * j + q] or bsize > size[2 * j + q]:
                            size[2 * j + q] = bsize
            if nrows >= 2 and par[MP_LONE] > 0.0 and nlone > 0:
                # lone re-ignitions against both rows before (slots of rows j-1 and j-2)
                cr = slot[1]
                c = slot[2]
                bits = _am_lone(&waves[j, 0], aj, lcand, nlone, rowp[cr], shift[1],
                                &ring[cr * npts], rowp[c], shift[2], &ring[c * npts], npts,
                                par[MP_SPAN], flo, par[MP_K_NOISE], par[MP_PERSIST], par[MP_MATCH], par[MP_LONE],
                                par[MP_LONE_LOCAL])
                for q in range(2):
                    if bits & (1 << q):
                        code[2 * j + q] |= AM_LONE | AM_COUNTED
                    if bits & (4 << q):
                        code[2 * j + q] |= AM_LONE_LOCAL
            if nrows < 2:
                nrows += 1
            # the next row's slots: this one becomes one cycle back, one back two back
            slot[2] = slot[1]
            slot[1] = slot[0]
            slot[0] = slot[0] + 1 if slot[0] < 2 else 0
        # the history: the last two rows (and their |J|, offsets) become the state's
        if n >= 2:
            for r in range(1, 3):
                c = (n - r) % 3
                for a in range(npts):
                    state[MS_ROW1 + (r - 1) * npts + a] = waves[n - r, a]
                    state[MS_ROW1 + (r + 1) * npts + a] = ring[c * npts + a]
                state[MS_OFF1 + r - 1] = offset[n - r]
        else:
            for a in range(npts):
                state[MS_ROW1 + npts + a] = state[MS_ROW1 + a]
                state[MS_ROW1 + a] = waves[0, a]
                state[MS_ROW1 + 3 * npts + a] = state[MS_ROW1 + 2 * npts + a]
                state[MS_ROW1 + 2 * npts + a] = ring[a]
            state[MS_OFF2] = state[MS_OFF1]
            state[MS_OFF1] = offset[0]
        if state[MS_ROWS] + n < 2:
            state[MS_ROWS] = state[MS_ROWS] + n
        else:
            state[MS_ROWS] = 2.0
    free(ring)
    free(ring_k)
    free(ring_raw)
    return 0
