"""Plain NumPy reference of every stage of the compiled per-cycle kernel.

Private: used by the tests (kernel == reference) and by the benchmarks (the
speed ratio of the kernel is always measured against these functions on the
same data). Every function here follows the *definitions* of
:mod:`currentprint._core` step by step, written the obvious way with NumPy
(``np.fft.rfft`` for the spectra), so that a reader can check each quantity
against its documented meaning (see :data:`currentprint.cycles.COLUMN_DOCS`).

Stages, each callable on its own (the benchmark times them separately):

1. framing   -- :func:`scan_crossings_reference` (+ :func:`scan_crossings_loop`,
   a per-sample loop that is the literal definition) and
   :func:`frame_reference` (pairs of crossings that form complete cycles);
2. resampling -- :func:`resample_reference` (6-point Lagrange on the grid
   ``ceil(t0) + j * period / n_points``);
3. features  -- :func:`spectra_reference` and :func:`features_reference`
   (RMS, DC, P, Q, S, PF, DPF, THD, residual);
4. harmonics -- :func:`harmonics_reference` (phasors 1..H rotated to the
   voltage fundamental);
5. arc evidence -- :func:`evidence_reference` (raw-sample peaks, clipping,
   half-cycle RMS/peak/step/shoulder, current zero).

:func:`analyze_reference` chains them and returns a dict of columns that must
equal :func:`currentprint.analyze` to ~1e-9 relative.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "lagrange6_weights",
    "scan_crossings_loop",
    "scan_crossings_reference",
    "frame_reference",
    "resample_reference",
    "spectra_reference",
    "features_reference",
    "harmonics_reference",
    "evidence_reference",
    "analyze_reference",
    "ReferenceStream",
]

# resampling stencil: nodes -2..3 around floor(position)
_LO, _HI = 2, 3
# samples needed before a cycle's first whole sample / after its end
_MARGIN_BEFORE, _MARGIN_AFTER = _LO, _HI + 1


# ---------------------------------------------------------------------------
# 1. framing
# ---------------------------------------------------------------------------
def _limits(mains_hz: float | None) -> tuple[float, float]:
    """Cycle frequencies accepted (Hz): 45-65 Hz, or +-10 % around a nominal."""
    if mains_hz is None:
        return 45.0, 65.0
    return 0.9 * float(mains_hz), 1.1 * float(mains_hz)


def _butter2(fc: float, fs: float, highpass: bool) -> list[float]:
    """2nd-order Butterworth biquad (b0, b1, b2, a1, a2) by the bilinear transform."""
    k = math.tan(math.pi * fc / fs)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    a1 = 2.0 * (k * k - 1.0) * norm
    a2 = (1.0 - math.sqrt(2.0) * k + k * k) * norm
    if highpass:
        return [norm, -2.0 * norm, norm, a1, a2]
    b0 = k * k * norm
    return [b0, 2.0 * b0, b0, a1, a2]


def _fundamental_sos(fs: float, mains_hz: float | None) -> list[list[float]]:
    """High-pass at 0.2 f and two low-passes at 2 f (f = mains or 55 Hz)."""
    f = 55.0 if mains_hz is None else float(mains_hz)
    lp = min(2.0 * f, 0.45 * fs)
    return [_butter2(0.2 * f, fs, True), _butter2(lp, fs, False), _butter2(lp, fs, False)]


def _filter_loop(x: np.ndarray, sos: list[list[float]]) -> np.ndarray:
    """Biquad cascade, transposed direct form II, one sample at a time."""
    y = np.empty(x.shape[0])
    z = [0.0] * (2 * len(sos))
    for j, xj in enumerate(x.tolist()):
        v = float(xj)
        for s, (b0, b1, b2, a1, a2) in enumerate(sos):
            w = b0 * v + z[2 * s]
            z[2 * s] = b1 * v - a1 * w + z[2 * s + 1]
            z[2 * s + 1] = b2 * v - a2 * w
            v = w
        y[j] = v
    return y


def _scan_params(fs, mains_hz, peak_time_s):
    fmin, fmax = _limits(mains_hz)
    return math.exp(-1.0 / (peak_time_s * fs)), fs / fmax, fs / fmin


def crossing_fraction(a: float, b: float, c: float, d: float, cubic: bool) -> float:
    """Where between samples c (<= 0) and d (> 0) the signal crosses zero, in [0, 1].

    The chord's root ``c / (c - d)``; with ``cubic`` (three samples before
    ``d`` known), three Newton steps on the cubic through ``a, b, c, d`` at
    nodes -2, -1, 0, 1, kept only when it stays in [0, 1] with a positive
    slope.
    """
    mu0 = c / (c - d)
    if not cubic:
        return mu0
    # power-basis coefficients of the Lagrange cubic (p0 = c)
    p1 = a / 6.0 - b + 0.5 * c + d / 3.0
    p2 = 0.5 * b - c + 0.5 * d
    p3 = (d - a) / 6.0 + 0.5 * (b - c)
    mu = mu0
    for _ in range(3):
        f = ((p3 * mu + p2) * mu + p1) * mu + c
        fp = (3.0 * p3 * mu + 2.0 * p2) * mu + p1
        if not fp > 0.0:
            return mu0
        mu = mu - f / fp
    return mu if 0.0 <= mu <= 1.0 else mu0


def scan_crossings_loop(x, fs: float, mains_hz: float | None = None, hysteresis: float = 0.1,
                        peak_time_s: float = 0.5, filtered: bool = False, offset: float = 0.0) -> np.ndarray:
    """Accepted rising zero crossings, by the definition, one sample at a time.

    A rising crossing between samples ``j-1`` and ``j`` (``y[j-1] <= 0 < y[j]``)
    is located by :func:`crossing_fraction` (cubic through ``y[j-3..j]`` once
    three earlier samples exist, else linear) and accepted when the signal went
    below ``-hysteresis * peak`` since the last accepted crossing (``peak``: a
    running peak of ``|y|`` decaying with time constant ``peak_time_s``) and
    it lies at least ``fs / f_max`` samples after it.

    ``offset`` (input units, the ADC zero) is subtracted from every sample
    first.

    Returns
    -------
    ndarray of float64
        Sub-sample positions (samples from ``x[0]``).
    """
    y = np.asarray(x).astype(np.float64) - offset
    if filtered:
        y = _filter_loop(y, _fundamental_sos(fs, mains_hz))
    decay, min_period, _ = _scan_params(fs, mains_hz, peak_time_s)
    out = []
    armed = False
    peak = 0.0
    last = None
    prev = None
    yl = y.tolist()
    for j, yj in enumerate(yl):
        peak = max(peak * decay, abs(yj))
        if prev is not None and armed and prev <= 0.0 and yj > 0.0:
            cubic = j >= 3
            a, b = (yl[j - 3], yl[j - 2]) if cubic else (0.0, 0.0)
            pos = (j - 1) + crossing_fraction(a, b, prev, yj, cubic)
            if last is None or pos - last >= min_period:
                out.append(pos)
                last = pos
                armed = False
        if yj < -hysteresis * peak:
            armed = True
        prev = yj
    return np.array(out, dtype=np.float64)


class _Scan:
    """Crossing scan over consecutive chunks (vectorised within a chunk).

    State carried between chunks: the decaying peak, whether the signal went
    below the hysteresis level since the last accepted crossing, the last
    sample, the last accepted crossing and the biquad delays.
    """

    def __init__(self, fs: float, mains_hz: float | None, hysteresis: float, peak_time_s: float,
                 filtered: bool, offset: float) -> None:
        self.decay, self.min_period, _ = _scan_params(fs, mains_hz, peak_time_s)
        self.hysteresis = hysteresis
        self.offset = offset
        self.sos = _fundamental_sos(fs, mains_hz) if filtered else None
        self.zf = [0.0] * 6
        self.peak = 0.0
        self.armed = False
        self.prev: float | None = None
        self.tail: list[float] = []       # up to three last samples, oldest first
        self.last: float | None = None
        self.total = 0

    def _filter(self, x: np.ndarray) -> np.ndarray:
        """Biquad cascade (transposed direct form II), delays carried over."""
        y = np.empty(x.shape[0])
        z = self.zf
        for j, v in enumerate(x.tolist()):
            for s, (b0, b1, b2, a1, a2) in enumerate(self.sos):
                w = b0 * v + z[2 * s]
                z[2 * s] = b1 * v - a1 * w + z[2 * s + 1]
                z[2 * s + 1] = b2 * v - a2 * w
                v = w
            y[j] = v
        return y

    def push(self, x) -> list[float]:
        """Accepted crossings (absolute sub-sample positions) in the next chunk."""
        y = np.asarray(x).astype(np.float64) - self.offset
        if self.sos is not None:
            y = self._filter(y)
        n = y.shape[0]
        if n == 0:
            return []
        # peak[j] = max(peak_before * d^(j+1), max_{m<=j} |y_m| d^(j-m)), in logs
        ld = math.log(self.decay)
        idx = np.arange(n, dtype=np.float64)
        with np.errstate(divide="ignore"):
            logpk = idx * ld + np.maximum.accumulate(np.log(np.abs(y)) - idx * ld)
            if self.peak > 0.0:
                logpk = np.maximum(logpk, math.log(self.peak) + (idx + 1.0) * ld)
        peak = np.exp(logpk)
        arm_cum = np.concatenate([[0], np.cumsum(y < -self.hysteresis * peak)])
        prev = np.concatenate([[np.inf if self.prev is None else self.prev], y[:-1]])
        out = []
        armed, since = self.armed, 0
        # samples before this chunk's first, for the cubic crossing fit
        hist = self.tail + y[:3].tolist()
        nt = len(self.tail)
        for j in np.flatnonzero((prev <= 0.0) & (y > 0.0)).tolist():
            # armed: went below the hysteresis level since the last acceptance
            if not (armed or arm_cum[j] - arm_cum[since] > 0):
                continue
            cubic = self.total + j >= 3
            if cubic:
                a, b = (hist[nt + j - 3], hist[nt + j - 2]) if j < 3 else (float(y[j - 3]), float(y[j - 2]))
            else:
                a = b = 0.0
            pos = (self.total + j - 1) + crossing_fraction(a, b, float(prev[j]), float(y[j]), cubic)
            if self.last is None or pos - self.last >= self.min_period:
                out.append(pos)
                self.last = pos
                armed, since = False, j
        self.armed = armed or bool(arm_cum[n] - arm_cum[since] > 0)
        self.peak = float(peak[-1])
        self.prev = float(y[-1])
        self.tail = (self.tail + y[-3:].tolist())[-3:]
        self.total += n
        return out


def scan_crossings_reference(x, fs: float, mains_hz: float | None = None, hysteresis: float = 0.1,
                             peak_time_s: float = 0.5, filtered: bool = False, offset: float = 0.0,
                             block: int = 1 << 16) -> np.ndarray:
    """Vectorised :func:`scan_crossings_loop` (same definition), ``block`` samples at a time.

    The decaying peak ``max_m |y_m| decay**(n - m)`` is computed in the log
    domain with a cumulative maximum (equal to the recursive form up to
    rounding, ~1e-13 relative, which only matters for a sample within
    rounding of the hysteresis threshold); candidates are then accepted in
    order with the arming rule. The biquad prefilter (``filtered=True``)
    stays a per-sample loop: NumPy has no recursive filter.
    """
    x = np.asarray(x)
    scan = _Scan(float(fs), mains_hz, hysteresis, peak_time_s, filtered, offset)
    out: list[float] = []
    for lo in range(0, x.shape[0], block):
        out.extend(scan.push(x[lo:lo + block]))
    return np.array(out, dtype=np.float64)


def frame_reference(x, fs: float, mains_hz: float | None = None, hysteresis: float = 0.1,
                    filtered: bool = False, *, offset: float = 0.0, loop: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Cycles ``[t0, t1)`` between consecutive accepted crossings.

    A pair forms a cycle when it is at most one period at the lowest mains
    frequency long and the resampling stencil fits inside the signal
    (``ceil(t0) >= 3`` and ``ceil(t1) + 4 < len(x)``, as the analyser requires).
    """
    fn = scan_crossings_loop if loop else scan_crossings_reference
    c = fn(x, fs, mains_hz, hysteresis, 0.5, filtered, offset)
    _, _, max_period = _scan_params(fs, mains_hz, 0.5)
    n = np.asarray(x).shape[0]
    a, b = c[:-1], c[1:]
    ok = (b - a <= max_period) & (np.ceil(a) - _MARGIN_BEFORE - 1 >= 0) & (np.ceil(b) + _MARGIN_AFTER < n)
    return a[ok], b[ok]


# ---------------------------------------------------------------------------
# 2. resampling
# ---------------------------------------------------------------------------
def lagrange6_weights(mu: np.ndarray) -> np.ndarray:
    """Weights of the 6-point Lagrange interpolator at nodes -2..3, shape (6, ...).

    ``w_q(mu) = prod_{r != q} (mu - r) / (q - r)`` for nodes q, r in -2..3;
    ``sum_q w_q(mu) * x[q]`` is the degree-5 polynomial through the six
    samples, evaluated at ``mu``.
    """
    mu = np.asarray(mu, dtype=np.float64)
    nodes = range(-_LO, _HI + 1)
    diff = {r: mu - r for r in nodes}
    out = np.empty((6,) + mu.shape)
    for qi, q in enumerate(nodes):
        others = [r for r in nodes if r != q]
        w = out[qi]
        np.multiply(diff[others[0]], 1.0 / math.prod(q - r for r in others), out=w)
        for r in others[1:]:
            w *= diff[r]
    return out


def resample_reference(x, t0: np.ndarray, t1: np.ndarray, n_points: int, *, scale: float = 1.0,
                       offset: float = 0.0) -> np.ndarray:
    """Each cycle resampled to ``n_points`` calibrated values, shape (cycles, n_points).

    Grid: ``ceil(t0) + j * (t1 - t0) / n_points`` for ``j = 0..n_points-1``
    (starting at a whole sample, so an integer period equal to ``n_points``
    needs no interpolation); value ``(interp(x) - offset) * scale`` with the
    6-point Lagrange interpolator on the samples ``floor(p) - 2 .. floor(p) + 3``.
    """
    x = np.asarray(x)
    t0 = np.asarray(t0, dtype=np.float64)
    t1 = np.asarray(t1, dtype=np.float64)
    step = (t1 - t0) / n_points
    p = np.arange(n_points)[None, :] * step[:, None]
    fl = np.floor(p)
    mu = p - fl
    base = fl.astype(np.intp) + np.ceil(t0).astype(np.intp)[:, None]
    w = lagrange6_weights(mu)
    acc = np.zeros(mu.shape)
    for q in range(6):
        acc += w[q] * x[base + (q - _LO)]
    return (acc - offset) * scale


# ---------------------------------------------------------------------------
# 3. features, 4. harmonics
# ---------------------------------------------------------------------------
def spectra_reference(r: np.ndarray, phase_rad: float = 0.0) -> np.ndarray:
    """``np.fft.rfft`` of each resampled cycle; bin k rotated by ``k * phase_rad``.

    The rotation is the current sensor's delay correction (a delay of the
    sensor makes bin k lag by k times the fundamental's phase error).
    """
    f = np.fft.rfft(r, axis=1)
    if phase_rad != 0.0:
        k = np.arange(f.shape[1])
        rot = np.exp(1j * k * phase_rad)
        rot[0] = 1.0
        f = f * rot[None, :]
    return f


def features_reference(ri: np.ndarray, rv: np.ndarray | None, fi: np.ndarray, fv: np.ndarray | None,
                       harmonics: int) -> dict[str, np.ndarray]:
    """Per-cycle quantities from the resampled cycles and their spectra.

    ``ri``/``rv``: resampled current/voltage (cycles, N); ``fi``/``fv``
    their rfft (cycles, N/2+1). Phasors are RMS: ``X_k = F_k * sqrt(2) / N``.
    """
    n = ri.shape[1]
    norm = math.sqrt(2.0) / n
    out: dict[str, np.ndarray] = {}
    i_rms = np.sqrt(np.mean(ri * ri, axis=1))
    out["i_rms"] = i_rms
    out["i_dc"] = fi[:, 0].real / n
    i1 = fi[:, 1] * norm
    hsum = np.sum(np.abs(fi[:, 2:harmonics + 1] * norm) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["thd"] = np.where(np.abs(i1) > 0, np.sqrt(hsum) / np.abs(i1), np.nan)
    # RMS not explained by DC and harmonics 1..H (Parseval)
    rest = i_rms ** 2 - out["i_dc"] ** 2 - hsum - np.abs(i1) ** 2
    out["i_residual"] = np.sqrt(np.maximum(rest, 0.0))
    nc = ri.shape[0]
    if rv is None:
        for name in ("v_rms", "v_dc", "v_thd", "p", "s", "q", "pf", "dpf"):
            out[name] = np.full(nc, np.nan)
        return out
    v_rms = np.sqrt(np.mean(rv * rv, axis=1))
    out["v_rms"] = v_rms
    out["v_dc"] = fv[:, 0].real / n
    v1 = fv[:, 1] * norm
    vsum = np.sum(np.abs(fv[:, 2:harmonics + 1] * norm) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["v_thd"] = np.where(np.abs(v1) > 0, np.sqrt(vsum) / np.abs(v1), np.nan)
        # mean of v*i over the period, from the spectra (Parseval) so that
        # the sensor phase correction applies to it
        w = np.full(fi.shape[1], 2.0)
        w[0] = 1.0
        w[-1] = 1.0
        p = np.sum(w[None, :] * (fv * np.conj(fi)).real, axis=1) / (n * n)
        s = v_rms * i_rms
        out["p"] = p
        out["s"] = s
        out["q"] = (v1 * np.conj(i1)).imag       # inductive (I lagging V) positive
        out["pf"] = np.where(s > 0, p / s, np.nan)
        den = np.abs(v1) * np.abs(i1)
        out["dpf"] = np.where(den > 0, (v1 * np.conj(i1)).real / den, np.nan)
    return out


def harmonics_reference(f: np.ndarray, ref: np.ndarray, harmonics: int) -> np.ndarray:
    """RMS phasors of harmonics 1..H with phases relative to ``ref``'s fundamental.

    ``X_k * exp(-1j * k * angle(REF_1))``: the reference fundamental becomes
    real positive. Shape (cycles, H).
    """
    n = 2 * (f.shape[1] - 1)
    k = np.arange(1, harmonics + 1)
    ang = np.angle(ref[:, 1])
    return f[:, 1:harmonics + 1] * (math.sqrt(2.0) / n) * np.exp(-1j * k[None, :] * ang[:, None])


# ---------------------------------------------------------------------------
# 5. raw-sample quantities and half-cycle arc evidence
# ---------------------------------------------------------------------------
def evidence_reference(i_raw, v_raw, t0: np.ndarray, t1: np.ndarray, i1: np.ndarray, *,
                       i_scale: float = 1.0, i_offset: float = 0.0, v_scale: float = 1.0,
                       v_offset: float = 0.0, clip: float = math.inf,
                       shoulder_fraction: float = 0.05) -> dict[str, np.ndarray]:
    """Peaks, clipping and half-cycle evidence over the raw samples of each cycle.

    A cycle's raw samples are ``ceil(t0) .. ceil(t1) - 1``. The current's
    fundamental (phasor ``i1`` on the resampled grid, which starts at
    ``ceil(t0)``) places the half-cycles: its rising zero at ``z`` samples
    after ``ceil(t0)`` starts the positive half, which lasts half a period.
    Per half: peak, RMS, largest single-sample step relative to the peak;
    around each zero: the number of contiguous samples with
    ``|i| <= shoulder_fraction * half peak`` (walking the cycle as a ring).
    """
    i_raw = np.asarray(i_raw)
    t0 = np.asarray(t0, dtype=np.float64)
    t1 = np.asarray(t1, dtype=np.float64)
    nc = t0.shape[0]
    period = t1 - t0
    n0 = np.ceil(t0).astype(np.intp)
    m_len = np.ceil(t1).astype(np.intp) - n0
    lmax = int(m_len.max()) if nc else 0
    m = np.arange(lmax)
    valid = m[None, :] < m_len[:, None]
    ix = np.where(valid, n0[:, None] + m[None, :], n0[:, None])
    raw_i = i_raw[ix].astype(np.float64)
    val = (raw_i - i_offset) * i_scale
    prev = (i_raw[ix - 1].astype(np.float64) - i_offset) * i_scale
    out: dict[str, np.ndarray] = {}
    absval = np.where(valid, np.abs(val), 0.0)
    out["i_peak"] = absval.max(axis=1) if lmax else np.zeros(0)
    out["i_clipped"] = np.sum(valid & (np.abs(raw_i) >= clip), axis=1).astype(np.float64)
    if v_raw is not None:
        raw_v = np.asarray(v_raw)[ix].astype(np.float64)
        out["v_peak"] = np.where(valid, np.abs((raw_v - v_offset) * v_scale), 0.0).max(axis=1)
        out["v_clipped"] = np.sum(valid & (np.abs(raw_v) >= clip), axis=1).astype(np.float64)
    else:
        out["v_peak"] = np.full(nc, np.nan)
        out["v_clipped"] = np.full(nc, np.nan)

    # rising zero of the fundamental cos(2 pi u + phi): 2 pi u + phi = -pi/2
    r0 = (-0.5 * math.pi - np.arctan2(i1.imag, i1.real)) / (2.0 * math.pi)
    r0 = r0 - np.floor(r0)
    z = r0 * period
    u = (m[None, :] - z[:, None]) * (1.0 / period)[:, None]
    u = u - np.floor(u)
    pos = valid & (u < 0.5)
    neg = valid & ~(u < 0.5)
    step = np.abs(val - prev)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, half, sgn in (("pos", pos, 1.0), ("neg", neg, -1.0)):
            cnt = half.sum(axis=1)
            pk = np.where(half, sgn * val, -np.inf).max(axis=1) if lmax else np.zeros(0)
            out[f"hc_peak_{name}"] = np.where(cnt > 0, pk, np.nan)
            out[f"hc_rms_{name}"] = np.where(cnt > 0, np.sqrt(np.where(half, val * val, 0.0).sum(axis=1) / cnt),
                                             np.nan)
            st = np.where(half, step, 0.0).max(axis=1) if lmax else np.zeros(0)
            out[f"step_{name}"] = np.where((cnt > 0) & (pk > 0), st / pk, np.nan)
    out["crest"] = np.full(nc, np.nan)  # filled by the caller, needs i_rms
    out["i_zero"] = n0 + z

    # shoulders: contiguous flat samples forward from the sample nearest the
    # zero, then backward from the one before it (at most half a cycle each)
    s_idx = np.arange(lmax // 2 + 1)
    for name, offs in (("pos", 0.0), ("neg", 0.5)):
        pk = out[f"hc_peak_{name}"]
        thr = shoulder_fraction * np.where(np.isnan(pk), 0.0, pk)
        mstar = np.floor(z + offs * period + 0.5).astype(np.intp) % np.maximum(m_len, 1)
        flat = np.abs(val) <= thr[:, None]
        half_len = (m_len // 2)[:, None]
        fwd_ix = (mstar[:, None] + s_idx[None, :]) % m_len[:, None]
        bwd_ix = (mstar[:, None] - 1 - s_idx[None, :]) % m_len[:, None]
        fwd = np.take_along_axis(flat, fwd_ix, axis=1) & (s_idx[None, :] < half_len)
        bwd = np.take_along_axis(flat, bwd_ix, axis=1) & (s_idx[None, :] < half_len)
        nf = np.cumprod(fwd, axis=1).sum(axis=1)
        nb = np.cumprod(bwd, axis=1).sum(axis=1)
        steps = np.where(nf > 0, nf + nb, 0)
        out[f"shoulder_{name}"] = np.where(thr > 0, steps, 0).astype(np.float64)
    return out


# ---------------------------------------------------------------------------
# the whole pipeline
# ---------------------------------------------------------------------------
def default_n_points(fs: float, mains_hz: float | None = None, harmonics: int | None = None) -> int:
    """Power of two >= 4/5 samples per nominal cycle (at least 16), doubled while a stored
    harmonic could receive folded content (order >= N - half the longest period in samples)."""
    f = 50.0 if mains_hz is None else float(mains_hz)
    n = max(16, 2 ** math.ceil(math.log2(fs / f * 0.8 - 1e-9)))
    longest = fs / (45.0 if mains_hz is None else 0.9 * float(mains_hz))
    while harmonics is not None and n - longest / 2.0 <= harmonics and n < 2 ** 16:
        n *= 2
    return n


class _Settings:
    """Parameters of an analysis, resolved once (scales, clip level, sizes)."""

    def __init__(self, fs, mains_hz, harmonics, calibration, n_points, shoulder_fraction, hysteresis, dtype):
        self.fs = float(fs)
        self.mains_hz = mains_hz
        self.harmonics = int(harmonics)
        self.npts = default_n_points(self.fs, mains_hz, self.harmonics) if n_points is None else int(n_points)
        self.shoulder_fraction = shoulder_fraction
        self.hysteresis = hysteresis
        self.i_scale, self.i_off, self.v_scale, self.v_off, self.phase = 1.0, 0.0, 1.0, 0.0, 0.0
        self.clip = math.inf
        if calibration is not None:
            self.i_scale = calibration.current_sign * calibration.current_scale
            self.i_off, self.v_off = calibration.current_offset, calibration.voltage_offset
            self.v_scale = calibration.voltage_scale
            self.phase = math.radians(calibration.phase_deg)
            if calibration.adc_full_scale is not None:
                self.clip = float(calibration.adc_full_scale)
        if math.isinf(self.clip) and np.issubdtype(dtype, np.integer):
            self.clip = float(np.iinfo(dtype).max)
        # cycles per block: the (cycles, n_points) work arrays stay in cache
        self.block = max(16, (1 << 15) // self.npts)
        _, self.min_period, self.max_period = _scan_params(self.fs, mains_hz, 0.5)


def _cycles(cfg: _Settings, i_raw, v_raw, t0: np.ndarray, t1: np.ndarray, base: int = 0) -> dict[str, np.ndarray]:
    """All columns for cycles [t0, t1) (absolute positions); ``i_raw[0]`` is sample ``base``."""
    from .cycles import COLUMNS

    has_v = v_raw is not None
    nc = t0.shape[0]
    h, npts = cfg.harmonics, cfg.npts
    cols = {name: np.empty(nc) for name in COLUMNS}
    harm_i = np.empty((nc, h), complex)
    harm_v = np.zeros((nc, h), complex)
    for lo in range(0, nc, cfg.block):
        sl = slice(lo, min(nc, lo + cfg.block))
        a, b = t0[sl] - base, t1[sl] - base          # exact: base is a whole sample near t0
        ri = resample_reference(i_raw, a, b, npts, scale=cfg.i_scale, offset=cfg.i_off)
        fi = spectra_reference(ri, cfg.phase)
        rv = fv = None
        if has_v:
            rv = resample_reference(v_raw, a, b, npts, scale=cfg.v_scale, offset=cfg.v_off)
            fv = spectra_reference(rv)
        feats = features_reference(ri, rv, fi, fv, h)
        harm_i[sl] = harmonics_reference(fi, fv if has_v else fi, h)
        if has_v:
            harm_v[sl] = harmonics_reference(fv, fv, h)
        ev = evidence_reference(i_raw, v_raw, a, b, fi[:, 1] * (math.sqrt(2.0) / npts), i_scale=cfg.i_scale,
                                i_offset=cfg.i_off, v_scale=cfg.v_scale, v_offset=cfg.v_off, clip=cfg.clip,
                                shoulder_fraction=cfg.shoulder_fraction)
        ev["i_zero"] = ev["i_zero"] + base
        with np.errstate(divide="ignore", invalid="ignore"):
            ev["crest"] = np.where(feats["i_rms"] > 0, ev["i_peak"] / feats["i_rms"], np.nan)
        for d in (feats, ev):
            for name, val in d.items():
                cols[name][sl] = val
    cols["start"] = t0.copy()
    cols["period"] = t1 - t0
    cols["frequency"] = cfg.fs / (t1 - t0)
    cols["harmonics"] = harm_i
    cols["v_harmonics"] = harm_v
    return cols


def analyze_reference(current, voltage=None, *, fs: float, mains_hz: float | None = None, harmonics: int = 25,
                      calibration=None, n_points: int | None = None, shoulder_fraction: float = 0.05,
                      hysteresis: float = 0.1, loop_framing: bool = False) -> dict[str, np.ndarray]:
    """The whole per-cycle analysis in NumPy; same definitions as :func:`currentprint.analyze`.

    Parameters
    ----------
    current, voltage : 1-D arrays
        Samples (A and V, or counts with ``calibration``); no validation here.
    fs : float
        Sample rate, Hz.
    calibration : currentprint.Calibration, optional
        Scales, sign, offsets, phase correction and ADC full scale.
    loop_framing : bool
        Use the per-sample loop instead of the vectorised crossing scan.

    Returns
    -------
    dict
        Every column of :data:`currentprint.cycles.COLUMNS` (float64 arrays),
        plus ``harmonics`` and ``v_harmonics`` (complex, cycles x H): the
        current's phasors relative to the voltage fundamental (relative to
        the current's own fundamental when there is no voltage) and the
        voltage's.
    """
    i_raw = np.asarray(current)
    v_raw = None if voltage is None else np.asarray(voltage)
    cfg = _Settings(fs, mains_hz, harmonics, calibration, n_points, shoulder_fraction, hysteresis, i_raw.dtype)
    has_v = v_raw is not None
    t0, t1 = frame_reference(v_raw if has_v else i_raw, cfg.fs, mains_hz, hysteresis, filtered=not has_v,
                             offset=cfg.v_off if has_v else cfg.i_off, loop=loop_framing)
    return _cycles(cfg, i_raw, v_raw, t0, t1)


class ReferenceStream:
    """Streaming form of :func:`analyze_reference`: push chunks, get the cycles they complete.

    What a careful NumPy user would write: keep the samples since the last
    crossing, scan each chunk for crossings (vectorised, with the scan state
    carried across chunks), and run the reference stages on each completed
    cycle. Concatenated outputs equal :func:`analyze_reference` of the whole
    signal. Used as the baseline of the streaming benchmark.
    """

    def __init__(self, fs: float, mains_hz: float | None = None, harmonics: int = 25, calibration=None, *,
                 n_points: int | None = None, shoulder_fraction: float = 0.05, hysteresis: float = 0.1,
                 peak_time_s: float = 0.5) -> None:
        self._args = (fs, mains_hz, harmonics, calibration, n_points, shoulder_fraction, hysteresis)
        self.peak_time_s = peak_time_s
        self.cfg: _Settings | None = None
        self.scan: _Scan | None = None
        self.total = 0
        self.pend: list[float] = []
        self.buf_i = self.buf_v = None
        self.buf_start = 0

    def push(self, current, voltage=None) -> dict[str, np.ndarray] | None:
        """Add a chunk; return the columns of the cycles it completed (None: none)."""
        i = np.asarray(current)
        v = None if voltage is None else np.asarray(voltage)
        if self.cfg is None:
            self.cfg = cfg = _Settings(*self._args, i.dtype)
            self.scan = _Scan(cfg.fs, cfg.mains_hz, cfg.hysteresis, self.peak_time_s, v is None,
                              cfg.v_off if v is not None else cfg.i_off)
        cfg = self.cfg
        if i.shape[0] == 0:
            return None
        self.pend.extend(self.scan.push(i if v is None else v))
        # append to the buffer (float64: exact for the three input types)
        if self.buf_i is None:
            self.buf_i, self.buf_v = i.astype(np.float64), None if v is None else v.astype(np.float64)
            self.buf_start = self.total
        else:
            self.buf_i = np.concatenate([self.buf_i, i])
            if v is not None:
                self.buf_v = np.concatenate([self.buf_v, v])
        self.total += i.shape[0]
        # complete cycles: the same rule as frame_reference
        t0, t1, k = [], [], 0
        while k + 1 < len(self.pend):
            a, b = self.pend[k], self.pend[k + 1]
            if b - a > cfg.max_period or math.ceil(a) - _MARGIN_BEFORE - 1 < 0:
                k += 1
                continue
            if math.ceil(b) + _MARGIN_AFTER >= self.total:
                break
            t0.append(a)
            t1.append(b)
            k += 1
        del self.pend[:k]
        if len(self.pend) == 1 and self.total - self.pend[0] > cfg.max_period + _MARGIN_AFTER + 2:
            self.pend.clear()
        out = None
        if t0:
            out = _cycles(cfg, self.buf_i, self.buf_v, np.array(t0), np.array(t1), self.buf_start)
        keep = (math.floor(self.pend[0]) if self.pend else self.total) - _MARGIN_BEFORE - 2
        if keep > self.buf_start:
            cut = keep - self.buf_start
            self.buf_i = self.buf_i[cut:]
            if self.buf_v is not None:
                self.buf_v = self.buf_v[cut:]
            self.buf_start = keep
        return out
