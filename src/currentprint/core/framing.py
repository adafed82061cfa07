"""Framing: where each mains cycle starts and ends.

Cycles run between consecutive *rising* zero crossings of the voltage,
located to a fraction of a sample: the chord between the two samples around
zero, refined by Newton steps on the cubic through four samples (the chord's
error would jitter the period, and every spectrum, when a cycle is not a
whole number of samples).  Chatter is suppressed by hysteresis (the signal must go
below ``-hysteresis * peak`` before the next rising crossing counts) and by a
minimum distance of one period at the highest mains frequency allowed, so
harmonics, flat tops and noise do not create extra cycles.  The period is
measured anew for every cycle, which tracks a drifting mains frequency.

Without a voltage channel the current is band-limited around the mains
fundamental (a 2nd-order high-pass at 0.2 f and two 2nd-order low-passes at
2 f, Butterworth, bilinear transform) and framed on that; the filter delays the
crossings, so phase-referenced quantities are then left NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _core
from ..errors import InputError, SampleRateError
from .signal import as_samples

__all__ = ["ZeroCrossingScanner", "frequency_limits", "fundamental_sos", "crossing_rate", "diagnose_frequency"]

#: mains frequencies accepted when none is given (Hz)
MAINS_RANGE_HZ = (45.0, 65.0)


def frequency_limits(mains_hz: float | None) -> tuple[float, float]:
    """Lowest and highest cycle frequency accepted, in Hz.

    ``None``: 45–65 Hz (any public grid). A given nominal frequency allows
    ±10 % around it, more than any grid drifts.
    """
    if mains_hz is None:
        return MAINS_RANGE_HZ
    if isinstance(mains_hz, (str, bytes, bool)) or not isinstance(mains_hz, (int, float, np.integer, np.floating)):
        raise InputError(f"mains_hz must be a number (Hz) or None, got {mains_hz!r}.")
    f = float(mains_hz)
    if not (MAINS_RANGE_HZ[0] <= f <= MAINS_RANGE_HZ[1]):
        raise InputError(f"mains_hz={mains_hz!r} is outside 45–65 Hz; give the grid's nominal frequency or None.")
    return 0.9 * f, 1.1 * f


def _butter2(fc: float, fs: float, highpass: bool) -> list[float]:
    k = math.tan(math.pi * fc / fs)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    a1 = 2.0 * (k * k - 1.0) * norm
    a2 = (1.0 - math.sqrt(2.0) * k + k * k) * norm
    if highpass:
        return [norm, -2.0 * norm, norm, a1, a2]
    b0 = k * k * norm
    return [b0, 2.0 * b0, b0, a1, a2]


def fundamental_sos(fs: float, mains_hz: float | None) -> np.ndarray:
    """Biquad sections that isolate the mains fundamental of the current.

    Returns
    -------
    ndarray, shape (3, 5)
        Rows ``(b0, b1, b2, a1, a2)``: a high-pass at 0.2 f and two low-passes
        at 2 f (f = ``mains_hz`` or 55 Hz).
    """
    f = 55.0 if mains_hz is None else float(mains_hz)
    lp = min(2.0 * f, 0.45 * fs)
    return np.array([_butter2(0.2 * f, fs, True), _butter2(lp, fs, False), _butter2(lp, fs, False)])


def scan_decay(fs: float, peak_time_s: float = 0.5) -> float:
    """Per-sample decay of the scan's running peak (time constant ``peak_time_s``, s)."""
    return math.exp(-1.0 / (peak_time_s * fs))


class ZeroCrossingScanner:
    """Streaming detector of rising zero crossings.

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    mains_hz : float or None
        Nominal mains frequency, Hz; None accepts 45–65 Hz.
    hysteresis : float
        Fraction of the running peak the signal must fall below zero by
        before a new rising crossing is accepted.
    peak_time_s : float
        Time constant of the running peak estimate, s.
    filtered : bool
        Isolate the fundamental first (framing on the current).
    """

    def __init__(self, fs: float, *, mains_hz: float | None = None, hysteresis: float = 0.1,
                 peak_time_s: float = 0.5, filtered: bool = False) -> None:
        if not (0.0 <= hysteresis < 1.0):
            raise InputError(f"hysteresis must be in [0, 1), got {hysteresis!r}.")
        self.fs = float(fs)
        self.fmin, self.fmax = frequency_limits(mains_hz)
        if self.fs < 8 * self.fmax:
            raise SampleRateError(
                f"fs={self.fs:g} Hz gives fewer than 8 samples per mains cycle at {self.fmax:g} Hz; "
                "sample at 1 kHz or more."
            )
        self.min_period = self.fs / self.fmax
        self.max_period = self.fs / self.fmin
        self.hysteresis = float(hysteresis)
        self.decay = scan_decay(self.fs, peak_time_s)
        self.filtered = bool(filtered)
        self.sos = fundamental_sos(self.fs, mains_hz) if filtered else np.zeros((3, 5))
        self.state = _core.new_scan_state()

    def push(self, x: np.ndarray) -> np.ndarray:
        """Scan the next chunk; return absolute positions of accepted crossings (samples).

        Raises
        ------
        InputError
            ``x`` is not a 1-D array of real samples.
        NonFiniteError
            ``x`` holds NaN or infinity.
        """
        x = as_samples(x, "signal", allow_empty=True)
        cap = x.shape[0] // max(1, int(self.min_period)) + 2
        out = np.empty(cap)
        n = _core.scan_crossings(x, self.state, out, self.decay, self.hysteresis,
                                 self.min_period, self.sos, self.filtered)
        if n < 0:  # cannot happen with the capacity above; keep the kernel honest
            raise RuntimeError("internal error: crossing buffer too small")
        return out[:n]

    def state_dict(self) -> dict[str, Any]:
        return {"state": self.state.tolist()}

    def load_state(self, state: dict[str, Any]) -> None:
        st = np.asarray(state["state"], dtype=float)
        if st.shape != (_core.STATE_LEN,):
            raise InputError("framing state has the wrong length")
        self.state = st.copy()

#: sample rates of common ADCs, sound cards and power-quality recorders (Hz),
#: offered when a wrong ``fs`` is diagnosed
COMMON_RATES_HZ = (1000.0, 2000.0, 3200.0, 4000.0, 5000.0, 6400.0, 7680.0, 8000.0, 10000.0, 10240.0, 12800.0,
                   15360.0, 16000.0, 20000.0, 22050.0, 25600.0, 30000.0, 30720.0, 32000.0, 44100.0, 48000.0,
                   50000.0, 51200.0, 96000.0, 100000.0)


def crossing_rate(x, fs: float, *, hysteresis: float = 0.1, max_samples: int = 2_000_000) -> float:
    """Rate of rising zero crossings of ``x``, Hz (NaN when fewer than four are found or they are irregular).

    A crossing is counted when the signal, with its mean removed, goes from
    below ``-hysteresis * peak`` to above ``+hysteresis * peak`` (peak: the
    99.9th percentile of |x|, so that single spikes do not set it). Only the
    first ``max_samples`` samples are read.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(6400) / 6400.0
    >>> round(crossing_rate(np.sin(2 * np.pi * 49.5 * t), 6400.0), 3)
    49.5
    >>> crossing_rate(np.zeros(100), 6400.0)
    nan
    """
    x = np.asarray(x[:max_samples], dtype=float)
    if x.shape[0] < 3:
        return float("nan")
    x = x - np.mean(x)
    peak = float(np.percentile(np.abs(x), 99.9))
    if not peak > 0:
        return float("nan")
    state = np.where(x > hysteresis * peak, 1, np.where(x < -hysteresis * peak, -1, 0))
    idx = np.flatnonzero(state)
    if idx.shape[0] < 2:
        return float("nan")
    s = state[idx]
    rising = idx[1:][(s[1:] == 1) & (s[:-1] == -1)]
    if rising.shape[0] < 3:
        return float("nan")
    periods = np.diff(rising)
    if np.std(periods) > 0.1 * np.mean(periods):
        return float("nan")           # irregular: noise, not a periodic wave
    # mean period between the first and last rising crossing: robust to a partial first cycle
    return float((rising.shape[0] - 1) * fs / (rising[-1] - rising[0]))


def diagnose_frequency(x, fs: float, mains_hz: float | None = None) -> str | None:
    """Why no mains cycles were found although ``x`` is periodic: a wrong ``fs`` or ``mains_hz``.

    Parameters
    ----------
    x : array_like, 1-D
        The channel cycles are framed on (the voltage, else the current).
    fs : float
        The sample rate the caller gave, Hz.
    mains_hz : float or None
        The nominal mains frequency the caller gave, Hz.

    Returns
    -------
    str or None
        A sentence naming the likely cause and the fix, or None when the
        signal shows no periodic zero crossings either (then it is DC, zero
        or noise, not a wrong setting).
    """
    f = crossing_rate(x, fs)
    if not math.isfinite(f):
        return None
    lo, hi = frequency_limits(mains_hz)
    if lo <= f <= hi:
        return None
    seen = f"the zero crossings repeat at {f:.4g} Hz with fs={fs:g} Hz"
    if mains_hz is not None and MAINS_RANGE_HZ[0] <= f <= MAINS_RANGE_HZ[1]:
        return (f"{seen}, outside the {lo:g}–{hi:g} Hz accepted for mains_hz={mains_hz:g}: "
                f"is the grid {min((50.0, 60.0), key=lambda n: abs(n - f)):g} Hz? Give that as mains_hz "
                "(--mains-hz), or leave it out to detect it.")
    guesses = []
    for nominal in ((mains_hz,) if mains_hz is not None else (50.0, 60.0)):
        true_fs = fs * nominal / f
        near = min(COMMON_RATES_HZ, key=lambda r: abs(r / true_fs - 1.0))
        if abs(near / true_fs - 1.0) < 0.02:
            true_fs = near
        guesses.append((nominal, true_fs))
    first = guesses[0]
    text = (f"{seen}, not at a mains frequency ({lo:g}–{hi:g} Hz): is fs wrong? With {first[0]:g} Hz mains "
            f"the sample rate would be about {first[1]:.6g} Hz")
    if len(guesses) > 1:
        text += f" ({guesses[1][0]:g} Hz mains: {guesses[1][1]:.6g} Hz)"
    return text + f"; is fs {first[1]:.6g}?"
