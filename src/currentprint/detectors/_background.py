"""Switching deltas that survive a running, fluctuating background (private).

A terminal sees the sum of every load on the circuit. The load that switched
is the after-minus-before difference of the mean cycle; that difference also
holds whatever the *other* loads did meanwhile. Three measures keep it clean:

* **period-aware windows** -- a background with its own rhythm (an induction
  cooker in burst mode conducts about one mains cycle in two; a microwave's
  or a cooker's power control repeats every few cycles) cancels exactly from
  a mean over a whole number of its periods. The period is found on the
  cycles before the switching (the lag, up to :data:`MAX_PERIOD` cycles,
  whose cycle-to-cycle difference is far below the one-cycle difference), and
  both windows are cut to whole periods;
* **windows that avoid other transitions** -- the event detector's own steady
  windows (its reference before, its settled cycles after), without the
  cycle that holds the switching, at most :data:`MAX_PRE` cycles back;
* **a noise estimate** -- the cycle-to-cycle residual of the background
  (each cycle minus the mean of its phase in the period) gives the noise of
  one cycle and of the difference of the two means; every judgement that
  compares a difference with a limit adds this noise to the limit
  (:func:`currentprint.detectors.resistive.judge_resistive`, the identification
  radius of :func:`identify_delta`).

The inrush is measured the same way: each transient cycle minus the mean of
its phase of the background, so a burst background's own peaks do not count
as the new load's inrush.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["GUARD", "MAX_PERIOD", "MAX_PRE", "NOISE_SIGMA", "SPREAD_DRAWS", "BackgroundDelta", "background_period",
           "background_delta", "identify_delta"]

#: longest background rhythm looked for, cycles
MAX_PERIOD = 4
#: most cycles averaged before a switching (0.48 s at 50 Hz; a multiple of 1, 2, 3 and 4)
MAX_PRE = 24
#: cycles left out between the "before" window and the cycle holding the onset: over a background
#: with a rhythm the scan's onset cycle can be one late (it reads pairs of cycles), and a partly
#: switched cycle in the "before" mean would pass for background noise
GUARD = 1
#: a limit is widened by this many noise standard deviations of the compared quantity
NOISE_SIGMA = 3.0
#: noise draws used to measure how far noise moves a fingerprint
SPREAD_DRAWS = 8
#: highest harmonic in the band the noise is measured on (the heater rules
#: and the fingerprints' harmonics stop at the 15th)
BAND = 15
# a lag is the background's period when its cycle difference has less than
# this share of the one-cycle difference's power (a period-2 burst load:
# lag 2 removes nearly all of it; a steady load: every lag alike)
_PERIOD_SHARE = 0.25


def background_period(waves: np.ndarray, max_period: int = MAX_PERIOD) -> int:
    """Period (cycles, 1..``max_period``) of a repeating background.

    Parameters
    ----------
    waves : ndarray, shape (cycles, n_points)
        Aligned current cycles (A) of a window without a switching.
    max_period : int
        Longest period looked for.

    Returns
    -------
    int
        The shortest lag whose mean squared cycle difference is below a
        quarter of the one-cycle lag's and within twice the smallest; else
        1 (no rhythm).
    """
    w = np.asarray(waves, dtype=float)
    n = w.shape[0]
    lags = range(1, min(max_period, n // 2) + 1)
    d = []
    for lag in lags:
        diff = w[lag:] - w[:-lag]
        d.append(float(np.mean(diff * diff)))
    if len(d) < 2 or not d[0] > 0:
        return 1
    d = np.asarray(d)
    low = min(float(np.min(d)), _PERIOD_SHARE * d[0])
    # the shortest lag that removes about as much as the best one (a period
    # of 2 also repeats at 4)
    for lag in range(2, d.shape[0] + 1):
        if d[lag - 1] < _PERIOD_SHARE * d[0] and d[lag - 1] <= 2.0 * low + 1e-12 * d[0]:
            return lag
    return 1


class _State:
    """Mean of whole background periods: the fields the switching judgements read."""

    def __init__(self, i_wave: np.ndarray, v_wave: np.ndarray, p: np.ndarray, q: np.ndarray, v_rms: np.ndarray,
                 cycles: tuple[int, int]) -> None:
        self.i_wave = i_wave.mean(axis=0)
        self.v_wave = v_wave.mean(axis=0)
        self.p = float(np.mean(p))
        self.q = float(np.mean(q))
        self.v_rms = float(np.mean(v_rms))
        self.i_peak = float(np.max(np.abs(self.i_wave)))
        self.n_cycles = int(i_wave.shape[0])
        self.cycles = cycles


@dataclass(eq=False)
class BackgroundDelta:
    """The states before and after a switching, and the background's noise.

    Attributes
    ----------
    pre, post : object
        Means over whole background periods (``i_wave``, ``v_wave`` in A and
        V, ``p`` W, ``q`` var, ``v_rms`` V, ``i_peak`` A of the mean cycle,
        ``n_cycles``, ``cycles`` absolute first/last).
    period : int
        Background period used, cycles.
    noise_a : float
        RMS over the cycle of the background's cycle-to-cycle residual, A
        (one cycle).
    noise_peak_a : float
        Largest per-point standard deviation of that residual, A (one cycle).
    delta_noise_a : float
        RMS noise of the after-minus-before mean cycle, A:
        ``noise_a sqrt(1/n_pre + 1/n_post)``.
    delta_peak_a : float
        Peak of the after-minus-before mean cycle, A.
    inrush : float
        Largest transient cycle peak of the current minus the background of
        its phase, over ``delta_peak_a`` (NaN without transient cycles).
    ratio_noise : float
        Noise of the delta's harmonic ratios: RMS over harmonics
        2..:data:`BAND` of the noise of the mean difference, over the
        delta's fundamental (dimensionless; what ``|I_k/I_1|`` errors add up
        to), with the background's wander between the two windows (the
        change between the halves of the "before" window beyond its
        cycle noise, scaled as a random walk to the windows' distance).

    Peaks and the noise are measured on cycles band-limited to harmonic
    :data:`BAND`: the judgements look at that band, and white ADC noise
    above it would otherwise dominate a single cycle's peak.
    residual_pre, residual_post : ndarray
        Residual cycles (A) of the two windows (each cycle minus the mean of
        its phase), for noise draws.
    """

    pre: Any
    post: Any
    period: int
    noise_a: float
    noise_peak_a: float
    delta_noise_a: float
    delta_peak_a: float
    inrush: float
    ratio_noise: float
    residual_pre: np.ndarray = field(repr=False)
    residual_post: np.ndarray = field(repr=False)

    @property
    def delta(self) -> np.ndarray:
        """After-minus-before mean cycle, A."""
        return self.post.i_wave - self.pre.i_wave

    def info(self) -> dict:
        """JSON-safe summary (alert detail)."""
        return {"period_cycles": int(self.period), "n_pre": int(self.pre.n_cycles),
                "n_post": int(self.post.n_cycles), "noise_a": _f(self.noise_a),
                "delta_noise_a": _f(self.delta_noise_a), "noise_peak_a": _f(self.noise_peak_a),
                "inrush": _f(self.inrush), "ratio_noise": _f(self.ratio_noise)}


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _band(w: np.ndarray) -> np.ndarray:
    """Cycles with harmonics above :data:`BAND` removed."""
    spec = np.fft.rfft(w, axis=-1)
    spec[..., BAND + 1:] = 0.0
    return np.fft.irfft(spec, n=w.shape[-1], axis=-1)


def _residual(w: np.ndarray, period: int) -> np.ndarray:
    parts = [w[k::period] - w[k::period].mean(axis=0) for k in range(period) if w[k::period].shape[0] > 1]
    return np.concatenate(parts) if parts else np.zeros((0, w.shape[1]))


def background_delta(i_wave: np.ndarray, v_wave: np.ndarray, p: np.ndarray, q: np.ndarray, v_rms: np.ndarray,
                     pre: tuple[int, int], post: tuple[int, int], *, transient: tuple[int, int] | None = None,
                     first: int = 0, max_pre: int = MAX_PRE) -> BackgroundDelta | None:
    """States before and after a switching, over whole periods of the background.

    Parameters
    ----------
    i_wave, v_wave : ndarray, shape (cycles, n_points)
        Aligned current (A) and voltage (V) cycles of a stretch of the stream.
    p, q, v_rms : ndarray, shape (cycles,)
        Per-cycle active power (W), reactive power (var), RMS voltage (V).
    pre, post : (int, int)
        Rows ``[a, b)`` of the steady windows before and after (the event
        detector's, without the switching cycle). ``pre`` is shortened to its
        last ``max_pre`` cycles.
    transient : (int, int) or None
        Rows ``[a, b)`` from the switching cycle to the end of the post
        window, whose largest peak is the inrush.
    first : int
        Absolute cycle index of row 0 (for the states' ``cycles``).

    Returns
    -------
    BackgroundDelta or None
        None when either window is empty.
    """
    a, b = int(pre[0]), int(pre[1])
    c, d = int(post[0]), int(post[1])
    a = max(a, b - int(max_pre), 0)
    if not (a < b and c < d):
        return None
    period = background_period(i_wave[a:b])
    n_pre = (b - a) // period * period
    n_post = (d - c) // period * period
    if n_pre < period or n_post < period:
        period, n_pre, n_post = 1, b - a, d - c
    a, d = b - n_pre, c + n_post
    s0 = _State(i_wave[a:b], v_wave[a:b], p[a:b], q[a:b], v_rms[a:b], (first + a, first + b - 1))
    s1 = _State(i_wave[c:d], v_wave[c:d], p[c:d], q[c:d], v_rms[c:d], (first + c, first + d - 1))
    res0 = _residual(i_wave[a:b], period)
    res1 = _residual(i_wave[c:d], period)
    dof = n_pre - period
    delta = s1.i_wave - s0.i_wave
    shrink = math.sqrt(1.0 / n_pre + 1.0 / n_post)
    if dof > 0:
        band = _band(res0)
        var = np.sum(band * band, axis=0) / dof
        noise, noise_pk = float(np.sqrt(np.mean(var))), float(np.sqrt(np.max(var)))
        spec = np.fft.rfft(res0, axis=1)
        hv = np.sum(np.abs(spec[:, 2:BAND + 1]) ** 2) / dof        # summed over harmonics 2..BAND
        d1 = abs(np.fft.rfft(delta)[1])
        ratio_noise = float(math.sqrt(hv) * shrink / d1) if d1 > 0 else math.nan
        # a background that wanders (a compressor under a changing head, a charger) moves more
        # between the two windows than its cycle-to-cycle residual says: the change between the
        # halves of the "before" window, beyond what that residual explains, scaled as a random
        # walk (square root of the distance) to the distance between the two windows, adds in
        # quadrature
        half = (n_pre // period // 2) * period
        if half >= period and d1 > 0:
            d_half = np.fft.rfft(i_wave[b - half:b].mean(axis=0) - i_wave[a:a + half].mean(axis=0))
            wander2 = float(np.sum(np.abs(d_half[2:BAND + 1]) ** 2)) - hv * 2.0 / half
            if wander2 > 0:
                gap = (c + 0.5 * n_post) - (a + 0.5 * n_pre)
                ratio_noise = float(math.hypot(ratio_noise, math.sqrt(wander2 * gap / (n_pre - half)) / d1))
    else:
        noise = noise_pk = ratio_noise = math.nan
    delta_noise = noise * shrink
    dpk = float(np.max(np.abs(_band(delta))))
    inrush = math.nan
    if transient is not None and dpk > 0:
        t0, t1 = max(int(transient[0]), 0), min(int(transient[1]), i_wave.shape[0])
        if t1 > t0:
            phase_mean = [i_wave[a + k:b:period].mean(axis=0) for k in range(period)]
            tr = _band(np.stack([i_wave[r] - phase_mean[(r - a) % period] for r in range(t0, t1)]))
            inrush = float(np.max(np.abs(tr))) / dpk
    return BackgroundDelta(s0, s1, period, noise, noise_pk, delta_noise, dpk, inrush, ratio_noise, res0, res1)


def noise_spread(library: Any, bd: BackgroundDelta, fp: Any, make_fp, *, seed: int = 0,
                 draws: int = SPREAD_DRAWS) -> float:
    """RMS distance (library units) that the measured noise moves a fingerprint.

    Noise cycles are drawn from the two windows' residuals (``n_post`` from
    after, ``n_pre`` from before, with replacement); their mean difference is
    added to the delta, fingerprinted with ``make_fp(delta)`` and measured
    against ``fp`` with ``library.distance``. Seeded, so the answer does not
    depend on anything but the data.
    """
    r0, r1 = bd.residual_pre, bd.residual_post
    if r0.shape[0] == 0:
        return 0.0
    if r1.shape[0] == 0:
        r1 = r0
    rng = np.random.default_rng(seed)
    base = bd.delta
    out = []
    for _ in range(int(draws)):
        n = (r1[rng.integers(0, r1.shape[0], bd.post.n_cycles)].mean(axis=0)
             - r0[rng.integers(0, r0.shape[0], bd.pre.n_cycles)].mean(axis=0))
        out.append(library.distance(make_fp(base + n), fp))
    out = np.asarray(out, dtype=float)
    out = out[np.isfinite(out)]
    return float(np.sqrt(np.mean(out * out))) if out.shape[0] else 0.0


def identify_delta(library: Any, bd: BackgroundDelta, *, kind: str = "on", fs: float | None = None,
                   mains_hz: float | None = None, transient: dict | None = None, seed: int = 0):
    """Identify the load that switched on (or off) over a running background.

    The fingerprint is the after-minus-before mean cycle (before-minus-after
    for a switch-off, on the voltage while the load ran). The library's
    acceptance radius is widened by :data:`NOISE_SIGMA` times the distance
    the measured background noise moves the fingerprint
    (:func:`noise_spread`), so a noisy difference is judged against what
    noise can do, whether the library was enrolled from whole steady
    recordings or from events.

    Returns
    -------
    (Match, Fingerprint, float)
        The identification, the fingerprint and the noise spread (library
        distance units).
    """
    from ..fingerprints.fingerprint import fingerprint_from_waves

    off = kind == "off"
    sign = -1.0 if off else 1.0
    v = bd.pre.v_wave if off else bd.post.v_wave
    n_cyc = bd.pre.n_cycles if off else bd.post.n_cycles

    def make(delta: np.ndarray):
        return fingerprint_from_waves(sign * delta, v, fs=fs, mains_hz=mains_hz, source="event", n_cycles=n_cyc,
                                      transient=None if off else transient)

    fp = make(bd.delta)
    if not hasattr(library, "distance"):
        # a duck-typed library without distances: its own radius only
        return library.identify(fp), fp, 0.0
    spread = noise_spread(library, bd, fp, make, seed=seed)
    return library.identify(fp, spread=NOISE_SIGMA * spread), fp, spread


def switch_fingerprints(current, voltage, *, fs: float, calibration=None, mains_hz: float | None = None,
                        kind: str = "on") -> list:
    """Fingerprints of the loads that switched inside a recording.

    Every switch-on (``kind="on"``) or switch-off (``"off"``) event found by
    a default :class:`~currentprint.EventDetector` is fingerprinted from its
    period-aware after-minus-before cycle (before-minus-after for a
    switch-off), exactly as the Monitor and the
    :class:`~currentprint.ApplianceTracker` fingerprint events, so a library
    enrolled this way matches what they see.

    Returns
    -------
    list of (Event, Fingerprint)
    """
    from ..core.analyzer import analyze
    from ..fingerprints.fingerprint import fingerprint_from_waves
    from .events import EventDetector

    if kind not in ("on", "off"):
        raise ValueError(f"kind must be 'on' or 'off', got {kind!r}")
    table = analyze(current, voltage, fs=fs, calibration=calibration, mains_hz=mains_hz, waveforms=True)
    det = EventDetector()
    events = det.push(table) + det.flush()
    iw, vw = table.i_wave, table.v_wave
    out = []
    for ev in events:
        if ev.kind != kind:
            continue
        pre = (max(ev.pre.cycles[0], ev.cycle - GUARD - MAX_PRE), min(ev.pre.cycles[1] + 1, ev.cycle - GUARD))
        post = (max(ev.post.cycles[0], ev.cycle + 1), ev.post.cycles[1] + 1)
        bd = background_delta(iw, vw, table.p, table.q, table.v_rms, pre, post)
        if bd is None:
            continue
        off = kind == "off"
        fp = fingerprint_from_waves((-1.0 if off else 1.0) * bd.delta, bd.pre.v_wave if off else bd.post.v_wave,
                                    fs=fs, mains_hz=ev.mains_hz if ev.mains_hz == ev.mains_hz else None,
                                    source="event", n_cycles=bd.post.n_cycles)
        out.append((ev, fp))
    return out
