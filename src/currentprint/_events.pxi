# Sequential change scans over per-cycle feature vectors (events.py).
#
# Included into _core.pyx.  One function, event_scan, runs the state machine
# shared by the three methods of currentprint.events.EventDetector; only the
# trigger statistic differs:
#
#   steady  a single-cycle departure from the steady reference (chi-square of
#           the standardised deviation, e.g. an inrush), or a shift of the mean
#           of the last `settle` cycles (two-window test, Hart 1992 style
#           steady-state edge with averaging);
#   cusum   Crosier's multivariate CUSUM on the standardised deviations
#           (R. B. Crosier, "Multivariate generalizations of cumulative sum
#           quality-control schemes", Technometrics 30(3), 1988);
#   glr     windowed generalised likelihood ratio for a mean shift at an
#           unknown cycle among the last `settle` cycles (Basseville &
#           Nikiforov, "Detection of Abrupt Changes", 1993, sec. 2.4).
#
# After a trigger the scan waits until the last `settle` cycles are steady
# (or `max_transient` cycles passed), then compares their mean with the
# reference: a significant step is an event, otherwise it was a transient
# only (a spike) and the reference continues.  Everything the scan knows is
# in one float64 state vector, so a stream cut anywhere continues exactly.
# The plain Python reference is currentprint/_events_reference.py; keep the
# two in step (same operations in the same order).

# state vector: scalars, then arrays (offsets computed from d, W, M)
cdef enum:
    ES_MODE = 0          # 0 steady, 1 change (waiting for the new steady state)
    ES_NSEEN             # absolute index of the next cycle
    ES_READY             # 1 once the noise variance was initialised
    ES_REF_N
    ES_REF_POS
    ES_REF_FIRST         # first cycle of the contiguous tail of the reference
    ES_REF_LAST
    ES_PRB_N
    ES_PRB_POS
    ES_ONSET
    ES_TRIG
    ES_TRIG_STAT
    ES_CUSUM_ZERO        # last cycle at which the CUSUM vector was reset
    ES_TRIG_ABRUPT       # 1 when the change began with a single-cycle departure
    ES_BEST_JUMP         # largest abrupt cycle-to-cycle jump since the trigger
    ES_NSCALAR

# parameter vector
cdef enum:
    EP_METHOD = 0        # 0 steady, 1 cusum, 2 glr
    EP_DIM
    EP_WINDOW            # reference cycles W
    EP_SETTLE            # probe cycles M
    EP_MAX_TRANSIENT     # cycles
    EP_THRESHOLD         # trigger statistic threshold
    EP_ONSET_THRESHOLD   # single-cycle chi-square (steady)
    EP_STEP_THRESHOLD    # chi-square of the confirmed step
    EP_STEADINESS        # max mean squared standardised spread of the probe
    EP_REL_FLOOR         # noise floor relative to the level (fraction)
    EP_CUSUM_DRIFT       # Crosier reference value k (standardised units)
    EP_ALPHA             # noise variance forgetting factor per cycle
    EP_GRADUAL_THRESHOLD # chi-square of a step that began without an abrupt jump
    EP_NPARAM

# output record
cdef enum:
    EO_ONSET = 0
    EO_CONFIRM
    EO_REF_FIRST
    EO_REF_LAST
    EO_REF_N
    EO_POST_FIRST
    EO_POST_LAST
    EO_TRIG_STAT
    EO_STEP_STAT
    EO_NFIELD

EVENT_STATE_SCALARS = ES_NSCALAR
# positions in the state vector that the Python side reads to know which
# history cycles a pending change will still need
EVENT_STATE_MODE = ES_MODE
EVENT_STATE_REF_FIRST = ES_REF_FIRST
EVENT_STATE_ONSET = ES_ONSET
EVENT_PARAMS = EP_NPARAM
EVENT_FIELDS = EO_NFIELD
cdef enum:
    ERR_EV_SHAPE = 10
ERRORS[ERR_EV_SHAPE] = "event scan: state, parameter or output arrays have the wrong size"


def event_state_size(Py_ssize_t d, Py_ssize_t window, Py_ssize_t settle):
    """Length of the float64 state vector of :func:`event_scan`."""
    return ES_NSCALAR + 3 * d + window * (d + 1) + settle * (d + 1)


cdef inline double _ev_level2(const double* r, Py_ssize_t d) noexcept nogil:
    cdef double s = 0.0
    cdef Py_ssize_t j
    for j in range(d):
        s += r[j] * r[j]
    return s


cdef void _ev_ref_mean(double* st, double* rmean, Py_ssize_t d, Py_ssize_t W,
                       Py_ssize_t o_ref) noexcept nogil:
    # mean of the reference ring from its running sum (stored just before
    # the ring, re-added exactly from the ring whenever the ring wraps)
    cdef Py_ssize_t n = <Py_ssize_t>st[ES_REF_N], j
    for j in range(d):
        rmean[j] = 0.0
    if n == 0:
        return
    for j in range(d):
        rmean[j] = st[o_ref - d + j] / n


cdef void _ev_ref_push(double* st, const double* x, double idx, Py_ssize_t d, Py_ssize_t W,
                       Py_ssize_t o_ref, Py_ssize_t o_refi) noexcept nogil:
    cdef Py_ssize_t pos = <Py_ssize_t>st[ES_REF_POS], j, k
    cdef double* rsum = st + o_ref - d
    if st[ES_REF_N] == 0:
        for j in range(d):
            rsum[j] = 0.0
    if st[ES_REF_N] >= W:
        for j in range(d):
            rsum[j] -= st[o_ref + pos * d + j]
    for j in range(d):
        st[o_ref + pos * d + j] = x[j]
        rsum[j] += x[j]
    st[o_refi + pos] = idx
    st[ES_REF_POS] = (pos + 1) % W
    if st[ES_REF_N] < W:
        st[ES_REF_N] += 1
    if st[ES_REF_POS] == 0:
        # no rounding drift: exact re-sum once per turn of the ring
        for j in range(d):
            rsum[j] = 0.0
        for k in range(<Py_ssize_t>st[ES_REF_N]):
            for j in range(d):
                rsum[j] += st[o_ref + k * d + j]
    if st[ES_REF_N] <= 1 or idx != st[ES_REF_LAST] + 1:
        st[ES_REF_FIRST] = idx
    elif st[ES_REF_N] >= W and st[ES_REF_FIRST] < idx - (W - 1):
        st[ES_REF_FIRST] = idx - (W - 1)
    st[ES_REF_LAST] = idx


cdef inline double* _ev_newest(double* st, Py_ssize_t d, Py_ssize_t W, Py_ssize_t M,
                               Py_ssize_t o_ref, Py_ssize_t o_prb) noexcept nogil:
    # the most recent cycle kept: newest probe cycle, else newest reference cycle
    if st[ES_PRB_N] > 0:
        return st + o_prb + ((<Py_ssize_t>st[ES_PRB_POS] - 1 + M) % M) * d
    return st + o_ref + ((<Py_ssize_t>st[ES_REF_POS] - 1 + W) % W) * d


cdef inline Py_ssize_t _ev_prb_slot(double* st, Py_ssize_t k, Py_ssize_t M) noexcept nogil:
    # ring slot of the k-th oldest probe cycle
    return (<Py_ssize_t>st[ES_PRB_POS] - <Py_ssize_t>st[ES_PRB_N] + k + 2 * M) % M


cdef void _ev_prb_push(double* st, const double* x, double idx, Py_ssize_t d, Py_ssize_t M,
                       Py_ssize_t o_prb, Py_ssize_t o_prbi) noexcept nogil:
    cdef Py_ssize_t pos = <Py_ssize_t>st[ES_PRB_POS], j
    for j in range(d):
        st[o_prb + pos * d + j] = x[j]
    st[o_prbi + pos] = idx
    st[ES_PRB_POS] = (pos + 1) % M
    if st[ES_PRB_N] < M:
        st[ES_PRB_N] += 1


cdef void _ev_sigma2(double* st, const double* level, double* s2, Py_ssize_t d, double rel,
                     Py_ssize_t o_var) noexcept nogil:
    # noise variance per feature: measured, plus a floor relative to the level
    cdef double fl = rel * rel * _ev_level2(level, d)
    cdef Py_ssize_t j
    for j in range(d):
        s2[j] = st[o_var + j] + fl + 1e-300


cdef void _ev_probe_stats(double* st, double* p, double* acc, double* srt, Py_ssize_t d, Py_ssize_t M,
                          Py_ssize_t o_prb) noexcept nogil:
    # probe mean p, and its own cycle-to-cycle noise variance acc: median of
    # the squared successive differences (blind to a trend, and one leftover
    # inrush cycle does not inflate it; median of chi-square(1) = 0.4549)
    cdef Py_ssize_t j, k, m
    cdef double t, v
    cdef double* row
    for j in range(d):
        p[j] = 0.0
    for k in range(M):
        row = st + o_prb + k * d
        for j in range(d):
            p[j] += row[j]
    for j in range(d):
        p[j] /= M
    for j in range(d):
        for k in range(1, M):
            t = st[o_prb + _ev_prb_slot(st, k, M) * d + j] - st[o_prb + _ev_prb_slot(st, k - 1, M) * d + j]
            t = t * t
            m = k - 1
            while m > 0 and srt[m - 1] > t:
                srt[m] = srt[m - 1]
                m -= 1
            srt[m] = t
        m = M - 1
        if m % 2 == 1:
            v = srt[m // 2]
        else:
            v = 0.5 * (srt[m // 2 - 1] + srt[m // 2])
        acc[j] = v / (2.0 * 0.4549)


cdef double _ev_split(double* st, const double* x, const double* r, const double* s2,
                      Py_ssize_t d, Py_ssize_t M, Py_ssize_t o_prb, Py_ssize_t o_prbi,
                      Py_ssize_t min_n, double* tau_out, double* acc) noexcept nogil:
    # max over tau of n |mean(e[tau..now])|^2 / (1 + n / n_ref), over the probe
    # cycles plus x (the newest); e = (x - r) / sigma.  Returns the maximum
    # (0 when fewer than min_n cycles) and its tau.
    cdef Py_ssize_t n_p = <Py_ssize_t>st[ES_PRB_N], k, j, slot, n
    cdef double nref = st[ES_REF_N], best = 0.0, t, q
    cdef double* row
    tau_out[0] = st[ES_NSEEN]
    for j in range(d):
        acc[j] = (x[j] - r[j])
    n = 1
    if n >= min_n:
        t = 0.0
        for j in range(d):
            t += acc[j] * acc[j] / s2[j]
        best = t / (1.0 + 1.0 / nref)
    slot = <Py_ssize_t>st[ES_PRB_POS]
    for k in range(n_p - 1, -1, -1):
        # newest to oldest, without a modulo per step
        slot = slot - 1 if slot > 0 else M - 1
        row = st + o_prb + slot * d
        for j in range(d):
            acc[j] += row[j] - r[j]
        n += 1
        if n >= min_n:
            t = 0.0
            for j in range(d):
                t += acc[j] * acc[j] / s2[j]
            q = t / n / (1.0 + n / nref)
            if q > best:
                best = q
                tau_out[0] = st[o_prbi + slot]
    return best


cdef int _ev_scan(const double[:, ::1] X, const double[::1] prm, double[::1] state,
                  double[:, ::1] out, Py_ssize_t* n_out, bint flush) noexcept nogil:
    cdef Py_ssize_t n = X.shape[0], d = <Py_ssize_t>prm[EP_DIM]
    cdef Py_ssize_t W = <Py_ssize_t>prm[EP_WINDOW], M = <Py_ssize_t>prm[EP_SETTLE]
    cdef int method = <int>prm[EP_METHOD]
    cdef double h = prm[EP_THRESHOLD], h1 = prm[EP_ONSET_THRESHOLD], hs = prm[EP_STEP_THRESHOLD]
    cdef double vmax = prm[EP_STEADINESS], rel = prm[EP_REL_FLOOR], kc = prm[EP_CUSUM_DRIFT]
    cdef double alpha = prm[EP_ALPHA], maxtr = prm[EP_MAX_TRANSIENT], hg = prm[EP_GRADUAL_THRESHOLD]
    cdef Py_ssize_t o_var = ES_NSCALAR, o_cus = o_var + d, o_rsum = o_cus + d
    cdef Py_ssize_t o_ref = o_rsum + d, o_refi = o_ref + W * d
    cdef Py_ssize_t o_prb = o_refi + W, o_prbi = o_prb + M * d
    cdef double* st = &state[0]
    cdef double* r
    cdef double* s2
    cdef double* p
    cdef double* acc
    cdef double* srt
    cdef double* row
    cdef const double* x
    cdef Py_ssize_t c, j, k, slot, m, cnt = 0
    cdef double idx, z, t, tau, nv, v, stat, nref, hs_now, z1, zj, conf
    cdef bint trig, finite, steady, timeout, flushing
    if d < 1 or W < 2 or M < 2 or X.shape[1] != d or out.shape[1] != EO_NFIELD \
            or state.shape[0] != ES_NSCALAR + 3 * d + W * (d + 1) + M * (d + 1):
        return ERR_EV_SHAPE
    r = <double*>malloc((4 * d + M) * sizeof(double))
    if r == NULL:
        return ERR_NOMEM
    s2 = r + d
    p = r + 2 * d
    acc = r + 3 * d
    srt = r + 4 * d
    for c in range(n + (1 if flush else 0)):
        flushing = c == n
        if flushing:
            # end of the stream: judge a pending change on what was seen
            if st[ES_MODE] != 1 or st[ES_PRB_N] < M or st[o_prbi + _ev_prb_slot(st, 0, M)] <= st[ES_ONSET]:
                break
            idx = st[ES_NSEEN] - 1
            _ev_ref_mean(st, r, d, W, o_ref)
        else:
            x = &X[c, 0]
            idx = st[ES_NSEEN]
            st[ES_NSEEN] = idx + 1
            finite = True
            for j in range(d):
                if not (fabs(x[j]) < INFINITY):
                    finite = False
            if not finite:
                continue
            _ev_ref_mean(st, r, d, W, o_ref)
            if st[ES_MODE] == 0:
                if st[ES_READY] == 0:
                    # warm-up: fill probe then reference; initialise the variance
                    if st[ES_PRB_N] >= M:
                        slot = _ev_prb_slot(st, 0, M)
                        _ev_ref_push(st, st + o_prb + slot * d, st[o_prbi + slot], d, W, o_ref, o_refi)
                        st[ES_PRB_N] -= 1
                    _ev_prb_push(st, x, idx, d, M, o_prb, o_prbi)
                    m = <Py_ssize_t>st[ES_REF_N]
                    if m >= M:
                        _ev_ref_mean(st, r, d, W, o_ref)
                        for j in range(d):
                            v = 0.0
                            for k in range(m):
                                t = st[o_ref + k * d + j] - r[j]
                                v += t * t
                            # twice the sample variance of so few cycles: an upper
                            # bound, not an underestimate (chi-square(M-1) spread);
                            # the steady-state average then forgets it
                            st[o_var + j] = 2.0 * v / (m - 1)
                        st[ES_READY] = 1
                        st[ES_CUSUM_ZERO] = idx
                    continue
                _ev_sigma2(st, r, s2, d, rel, o_var)
                trig = False
                stat = 0.0
                tau = idx
                z = 0.0
                for j in range(d):
                    t = x[j] - r[j]
                    z += t * t / s2[j]
                # abruptness: jump from the newest cycle, in units of the noise of
                # a cycle-to-cycle difference (no level floor: wander is slow)
                row = _ev_newest(st, d, W, M, o_ref, o_prb)
                z1 = 0.0
                for j in range(d):
                    t = x[j] - row[j]
                    z1 += t * t / (2.0 * st[o_var + j] + 1e-300)
                if method == 0:
                    if z1 > h1:
                        trig = True
                        stat = z1
                    else:
                        # detect on the mean of the last `settle` cycles; locate
                        # the change at the best split of all of them
                        stat = _ev_split(st, x, r, s2, d, M, o_prb, o_prbi, M, &tau, acc)
                        trig = stat > h
                        if trig:
                            _ev_split(st, x, r, s2, d, M, o_prb, o_prbi, 1, &tau, acc)
                elif method == 1:
                    nv = 0.0
                    for j in range(d):
                        st[o_cus + j] += (x[j] - r[j]) / sqrt(s2[j])
                        nv += st[o_cus + j] * st[o_cus + j]
                    nv = sqrt(nv)
                    if nv <= kc:
                        for j in range(d):
                            st[o_cus + j] = 0.0
                        st[ES_CUSUM_ZERO] = idx
                        stat = 0.0
                    else:
                        for j in range(d):
                            st[o_cus + j] *= 1.0 - kc / nv
                        stat = nv - kc
                    trig = stat > h
                    if trig:
                        tau = st[ES_CUSUM_ZERO] + 1
                        if st[ES_PRB_N] > 0 and tau < st[o_prbi + _ev_prb_slot(st, 0, M)]:
                            tau = st[o_prbi + _ev_prb_slot(st, 0, M)]
                else:
                    stat = _ev_split(st, x, r, s2, d, M, o_prb, o_prbi, 1, &tau, acc)
                    trig = stat > h
                if trig:
                    # probe cycles before the onset were steady: they join the reference
                    while st[ES_PRB_N] > 0:
                        slot = _ev_prb_slot(st, 0, M)
                        if st[o_prbi + slot] >= tau:
                            break
                        _ev_ref_push(st, st + o_prb + slot * d, st[o_prbi + slot], d, W, o_ref, o_refi)
                        st[ES_PRB_N] -= 1
                    _ev_prb_push(st, x, idx, d, M, o_prb, o_prbi)
                    st[ES_MODE] = 1
                    st[ES_ONSET] = tau
                    st[ES_TRIG] = idx
                    st[ES_TRIG_STAT] = stat
                    st[ES_TRIG_ABRUPT] = 1 if z1 > h1 else 0
                    st[ES_BEST_JUMP] = z1 if z1 > h1 else 0.0
                    for j in range(d):
                        st[o_cus + j] = 0.0
                else:
                    if st[ES_PRB_N] >= M:
                        slot = _ev_prb_slot(st, 0, M)
                        row = st + o_prb + slot * d
                        for j in range(d):
                            t = row[j] - r[j]
                            st[o_var + j] = (1.0 - alpha) * st[o_var + j] + alpha * t * t
                        _ev_ref_push(st, row, st[o_prbi + slot], d, W, o_ref, o_refi)
                        st[ES_PRB_N] -= 1
                    _ev_prb_push(st, x, idx, d, M, o_prb, o_prbi)
                continue
            # mode 1: wait for `settle` steady cycles after the onset.  The onset
            # moves to the largest abrupt jump of the transient: the switching
            # itself rather than the slow drift (or decaying inrush of another
            # load) that may have tripped the trigger first.
            if st[ES_PRB_N] > 0:
                row = _ev_newest(st, d, W, M, o_ref, o_prb)
                zj = 0.0
                for j in range(d):
                    t = x[j] - row[j]
                    zj += t * t / (2.0 * st[o_var + j] + 1e-300)
                if zj > h1 and zj > st[ES_BEST_JUMP]:
                    st[ES_BEST_JUMP] = zj
                    st[ES_ONSET] = idx
                    st[ES_TRIG_ABRUPT] = 1
            _ev_prb_push(st, x, idx, d, M, o_prb, o_prbi)
            # the new state is judged on whole cycles after the onset cycle
            # (which holds the switching itself)
            if st[ES_PRB_N] < M or st[o_prbi + _ev_prb_slot(st, 0, M)] <= st[ES_ONSET]:
                continue
        _ev_probe_stats(st, p, acc, srt, d, M, o_prb)
        _ev_sigma2(st, p, s2, d, rel, o_var)
        for j in range(d):
            if acc[j] > st[o_var + j]:
                s2[j] += acc[j] - st[o_var + j]
        v = 0.0
        for k in range(M):
            row = st + o_prb + k * d
            for j in range(d):
                t = row[j] - p[j]
                v += t * t / s2[j]
        v /= (M - 1) * d
        # no trend either: first half against second half of the probe;
        # a trend in any one feature (chi-square(1) per feature) keeps the
        # state unsettled: a decaying inrush is not yet the new state
        m = M // 2
        z = 0.0
        for j in range(d):
            t = 0.0
            for k in range(m):
                t += st[o_prb + _ev_prb_slot(st, M - 1 - k, M) * d + j] - st[o_prb + _ev_prb_slot(st, k, M) * d + j]
            t /= m
            t = t * t / s2[j] * (m / 2.0)
            if t > z:
                z = t
        if 0.5 * z > v:
            v = 0.5 * z
        timeout = flushing or idx - st[ES_ONSET] + 1 >= maxtr
        steady = v <= vmax
        if not (steady or timeout):
            continue
        conf = idx
        _ev_sigma2(st, r, s2, d, rel, o_var)
        nref = st[ES_REF_N]
        z = 0.0
        for j in range(d):
            t = p[j] - r[j]
            z += t * t / s2[j]
        z /= (1.0 / M + 1.0 / nref)
        # an abrupt start (single-cycle departure: inrush, switching edge) is
        # itself evidence of a switching: a smaller step suffices then
        if st[ES_TRIG_ABRUPT] == 0 and hs < hg:
            hs_now = hg
        else:
            hs_now = hs
        if z > hs_now:
            row = &out[cnt, 0]
            row[EO_ONSET] = st[ES_ONSET]
            row[EO_CONFIRM] = conf
            row[EO_REF_FIRST] = st[ES_REF_FIRST]
            row[EO_REF_LAST] = st[ES_REF_LAST]
            row[EO_REF_N] = nref
            row[EO_POST_FIRST] = conf - (M - 1)
            row[EO_POST_LAST] = conf
            row[EO_TRIG_STAT] = st[ES_TRIG_STAT]
            row[EO_STEP_STAT] = z
            cnt += 1
            st[ES_REF_N] = 0
            st[ES_REF_POS] = 0
        if z > hs_now or not steady:
            # a new (or restless) state: its cycle-to-cycle noise becomes the
            # noise floor if larger (else half-way towards it)
            for j in range(d):
                if acc[j] > st[o_var + j]:
                    st[o_var + j] = acc[j]
                else:
                    st[o_var + j] = 0.5 * (st[o_var + j] + acc[j])
        for k in range(M):
            slot = _ev_prb_slot(st, k, M)
            _ev_ref_push(st, st + o_prb + slot * d, st[o_prbi + slot], d, W, o_ref, o_refi)
        st[ES_PRB_N] = 0
        st[ES_MODE] = 0
        st[ES_CUSUM_ZERO] = idx
    free(r)
    n_out[0] = cnt
    return ERR_OK


def event_scan(const double[:, ::1] features, const double[::1] params, double[::1] state,
               double[:, ::1] out, bint flush=False):
    """Run the event state machine over consecutive cycles.

    Parameters
    ----------
    features : float64 array (n_cycles, d)
        Standardisable per-cycle features (admittance phasors).
    params : float64 array (EVENT_PARAMS,)
        See the EP_* layout in _events.pxi (built by events.py).
    state : float64 array (event_state_size(d, window, settle),)
        Running state, updated in place; zeros for a fresh scan.
    out : float64 array (>= n_cycles + 1, EVENT_FIELDS)
        Receives one record per confirmed event.
    flush : bool
        After the cycles, judge a change still waiting for its steady state
        with the cycles seen (end of the stream).

    Returns
    -------
    int
        Number of records written (>= 0), or minus an error code.
    """
    cdef Py_ssize_t n_out = 0
    cdef int err
    if out.shape[0] < features.shape[0] + (1 if flush else 0) or params.shape[0] != EP_NPARAM:
        return -ERR_EV_SHAPE
    with nogil:
        err = _ev_scan(features, params, state, out, &n_out, flush)
    if err != ERR_OK:
        return -err
    return n_out


# ---------------------------------------------------------------------------
# Onset inside its cycle.  Rows of u are consecutive cycles (onset-3 ..
# onset+1), each resampled to n points on a grid starting at the first whole
# sample after its voltage zero (start[k] sub-sample, period[k] samples).
# Each cycle is compared with the previous one at the same phase of the
# voltage (4-point Lagrange interpolation of the previous cycle, local, so a
# change cannot leak backwards in time).  Row 1 minus row 0 (two steady
# cycles) gives the noise; the first point of rows 2.. whose difference
# exceeds max(k_sigma * noise RMS, 1.5 * noise max), and stays above half of
# that for half of the next n/16 points, is the departure; a sharp step is
# moved to where it reaches half its size (the resampling interpolator leaks
# a few % of a step onto the points before it), then walked back (at most
# n/16 points) while the difference keeps its sign above back_sigma * noise
# RMS and back_frac of the step.
# ---------------------------------------------------------------------------
cdef inline double _cubic_at(const double[:, ::1] u, Py_ssize_t row, double pos, Py_ssize_t n) noexcept nogil:
    cdef double fl = floor(pos)
    cdef Py_ssize_t i0 = <Py_ssize_t>fl
    cdef double mu = pos - fl
    cdef Py_ssize_t a = ((i0 - 1) % n + n) % n, b = (i0 % n + n) % n
    cdef Py_ssize_t c = ((i0 + 1) % n + n) % n, e = ((i0 + 2) % n + n) % n
    return (-mu * (mu - 1) * (mu - 2) / 6 * u[row, a] + (mu + 1) * (mu - 1) * (mu - 2) / 2 * u[row, b]
            - (mu + 1) * mu * (mu - 2) / 2 * u[row, c] + (mu + 1) * mu * (mu - 1) / 6 * u[row, e])


def onset_refine(const double[:, ::1] u, const double[::1] start, const double[::1] period,
                 double k_sigma, double back_sigma, double step_frac=0.5, double back_frac=0.25):
    """Sub-cycle onset position (absolute samples), or NaN when nothing departs.

    Parameters
    ----------
    u : float64 array (rows >= 3, n)
        Resampled cycles onset-3, onset-2, onset-1, ... (unaligned grid).
    start, period : float64 arrays (rows,)
        Cycle start (sub-sample, absolute) and length, samples.
    k_sigma, back_sigma : float
        Detection and walk-back thresholds in noise RMS units.
    step_frac, back_frac : float
        A step is placed where it reaches ``step_frac`` of its size within
        3 points; the walk back also stops below ``back_frac`` of it.
    """
    cdef Py_ssize_t rows = u.shape[0], n = u.shape[1], k, m, j, hit = -1, tot, kk, cnt
    cdef double g_k, g_p, phase, pos, noise = 0.0, mx = 0.0, thr, val, sgn, big
    cdef double* res
    if rows < 3 or n < 4 or start.shape[0] < rows or period.shape[0] < rows:
        return NAN
    tot = (rows - 1) * n
    res = <double*>malloc(tot * sizeof(double))
    if res == NULL:
        raise MemoryError()
    with nogil:
        for k in range(1, rows):
            g_k = ceil(start[k])
            g_p = ceil(start[k - 1])
            for m in range(n):
                phase = ((g_k - start[k]) + m * (period[k] / n)) / period[k]
                pos = (start[k - 1] - g_p) * n / period[k - 1] + phase * n
                res[(k - 1) * n + m] = u[k, m] - _cubic_at(u, k - 1, pos, n)
        for m in range(n):
            noise += res[m] * res[m]
            if fabs(res[m]) > mx:
                mx = fabs(res[m])
        noise = sqrt(noise / n)
        thr = k_sigma * noise
        if 1.5 * mx > thr:
            thr = 1.5 * mx
        # a departure must last: at least half of the next K points above
        # half the threshold (an isolated glitch, e.g. a dimmer's firing edge
        # re-sampled at another sub-sample phase, does not)
        kk = n // 16
        if kk < 4:
            kk = 4
        for j in range(n, tot):
            if fabs(res[j]) > thr:
                cnt = 0
                for m in range(j, j + kk):
                    if m < tot and fabs(res[m]) > 0.5 * thr:
                        cnt += 1
                if 2 * cnt >= kk:
                    hit = j
                    break
        if hit >= 0:
            # a sharp step: the resampling interpolator (6-point Lagrange)
            # leaks a few % of it onto the points before it, so a big step is
            # placed where it reaches half its size within 3 points
            big = 0.0
            for m in range(hit, hit + 3):
                if m < tot and fabs(res[m]) > big:
                    big = fabs(res[m])
            while hit + 1 < tot and fabs(res[hit]) < step_frac * big:
                hit += 1
            # walk back (at most K points) to where the departure started
            sgn = 1.0 if res[hit] > 0 else -1.0
            thr = back_sigma * noise
            if back_frac * big > thr:
                thr = back_frac * big
            m = hit
            while hit > n and m - hit < kk and fabs(res[hit - 1]) > thr and res[hit - 1] * sgn > 0:
                hit -= 1
    if hit < 0:
        free(res)
        return NAN
    free(res)
    k = hit // n + 1        # row of the cycle holding the onset
    m = hit % n
    return ceil(start[k]) + m * period[k] / n
