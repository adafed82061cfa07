"""Seeded synthetic mains signals with ground truth.

This module generates sampled mains voltage and current waveforms, as a
measurement front-end would deliver them, together with the exact ground
truth needed to test and benchmark the analysis code: the sample at which each
load switches, the expected change of active power, the sample ranges where a
series arc is present, and the instantaneous mains frequency.

Everything is pure NumPy and deterministic for a given ``seed``.

Conventions
-----------
* The supply voltage is built on an *instantaneous fundamental phase*
  ``theta`` (rad, unwrapped, one value per sample)::

      v = scale * g(theta),   g(theta) = sin(theta) + sum_k a_k sin(k*theta + phi_k)

  so positive-going fundamental zero crossings lie at ``theta = 2*pi*m``.
  ``scale`` is chosen so that the RMS of the (noise-free) voltage equals
  ``v_rms``: ``v_rms`` is the *total* RMS, harmonics included.
* Load models are synchronous to ``theta``; a lagging current has its
  fundamental zero crossing at ``theta = phi + m*pi`` with ``phi > 0``.
* Reactive power sign: ``Q > 0`` for inductive (lagging) current, ``Q < 0``
  for capacitive (leading) current.

Load models (all frozen dataclasses, callable as
``load(voltage, phase, fs, on=..., supply=...)`` and returning the current in
A): :class:`Resistive` (alias :data:`Heater`), :class:`Motor`,
:class:`Rectifier`, :class:`PhaseCut`, :class:`LEDDriver`.

The scenario builder :func:`synth_signal` combines a supply, loads, a switching
schedule, an optional series arc (:class:`ArcModel`), white noise and optional
ADC quantisation into a :class:`SynthSignal`.

References
----------
The capacitor-input rectifier model is the textbook diode bridge + smoothing
capacitor circuit (e.g. N. Mohan, T. Undeland, W. Robbins, *Power
Electronics*, ch. 5). The series-arc waveform features (flat "shoulders" near
current zero, random re-ignition, missing half-cycles, broadband noise) follow
the qualitative description used in UL 1699 / IEC 62606 arc-fault work, e.g.
G. D. Gregory, K. Wong, R. F. Dvorak, "More about arc-fault circuit
interrupters", IEEE Trans. Ind. Appl. 40(4), 2004.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

import numpy as np

__all__ = [
    "DEFAULT_V_HARMONICS",
    "ArcModel",
    "Heater",
    "LEDDriver",
    "Load",
    "Motor",
    "PhaseCut",
    "Rectifier",
    "Resistive",
    "Supply",
    "SynthEvent",
    "SynthSignal",
    "example",
    "harmonic_signal",
    "mains_voltage",
    "sine",
    "synth_signal",
]

#: Default voltage harmonics, as fractions of the fundamental amplitude.
DEFAULT_V_HARMONICS: Mapping[int, float] = MappingProxyType({3: 0.03, 5: 0.02})

_TWO_PI = 2.0 * math.pi
_SQRT2 = math.sqrt(2.0)


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------
def _check_n_fs(n: int, fs: float) -> tuple[int, float]:
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer number of samples, got {n!r}")
    fs = float(fs)
    if not math.isfinite(fs) or fs <= 0.0:
        raise ValueError(f"fs must be a positive finite frequency in Hz, got {fs!r}")
    return int(n), fs


def _check_mains(mains_hz: float, fs: float) -> float:
    mains_hz = float(mains_hz)
    if not math.isfinite(mains_hz) or mains_hz <= 0.0:
        raise ValueError(f"mains_hz must be positive, got {mains_hz!r}")
    if mains_hz >= fs / 2.0:
        raise ValueError(f"mains_hz={mains_hz} Hz must be below fs/2={fs / 2.0} Hz")
    return mains_hz


def _normalise_harmonics(
    harmonics: Mapping[int, float | tuple[float, float]] | None,
) -> tuple[tuple[int, float, float], ...]:
    """Return harmonics as a sorted tuple of ``(k, fraction, phase_rad)``."""
    if harmonics is None:
        return ()
    out = []
    for k, spec in dict(harmonics).items():
        if isinstance(k, bool) or int(k) != k or k < 2:
            raise ValueError(f"harmonic order must be an integer >= 2, got {k!r}")
        if isinstance(spec, tuple):
            if len(spec) != 2:
                raise ValueError(f"harmonic {k}: expected (fraction, phase_rad), got {spec!r}")
            amp, ph = float(spec[0]), float(spec[1])
        else:
            amp, ph = float(spec), 0.0
        if not (math.isfinite(amp) and math.isfinite(ph)):
            raise ValueError(f"harmonic {k}: non-finite value {spec!r}")
        out.append((int(k), amp, ph))
    return tuple(sorted(out))


def _shape(theta: np.ndarray, harmonics: tuple[tuple[int, float, float], ...]) -> np.ndarray:
    g = np.sin(theta)
    for k, amp, ph in harmonics:
        if amp != 0.0:
            g = g + amp * np.sin(k * theta + ph)
    return g


@functools.lru_cache(maxsize=128)
def _shape_scale(harmonics: tuple[tuple[int, float, float], ...], flat_top: float) -> tuple[float, float]:
    """Clip level and RMS of the (clipped) unit shape over one period.

    Returns ``(clip_level, rms)``; ``clip_level`` is ``inf`` without clipping.
    """
    m = 8192
    grid = _TWO_PI * np.arange(m) / m
    g = _shape(grid, harmonics)
    clip = math.inf
    if flat_top > 0.0:
        clip = (1.0 - flat_top) * float(np.max(np.abs(g)))
        g = np.clip(g, -clip, clip)
    rms = float(np.sqrt(np.mean(g * g)))
    return clip, rms


def _phase_track(
    n: int, fs: float, mains_hz: float, phase: float, drift_hz: float, drift_period_s: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """Instantaneous fundamental phase (rad) and frequency (Hz, or None)."""
    t = np.arange(n, dtype=np.float64) / fs
    theta = phase + _TWO_PI * mains_hz * t
    if drift_hz == 0.0:
        return theta, None
    # f(t) = f0 + d*sin(2*pi*t/T)  =>  theta(t) = phi + 2*pi*f0*t + d*T*(1 - cos(2*pi*t/T))
    w = _TWO_PI / drift_period_s
    theta = theta + drift_hz * drift_period_s * (1.0 - np.cos(w * t))
    freq = mains_hz + drift_hz * np.sin(w * t)
    return theta, freq


def _integer_cycle_window(fs: float, mains_hz: float, min_cycles: int) -> int:
    """Number of samples closest to an integer number (>= min_cycles) of cycles."""
    spc = fs / mains_hz
    best_m, best_err = 1, math.inf
    for m in range(1, 201):
        err = abs(m * spc - round(m * spc))
        if err < best_err - 1e-12:
            best_m, best_err = m, err
        if err < 1e-9:
            break
    reps = max(1, math.ceil(min_cycles / best_m))
    return max(1, int(round(reps * best_m * spc)))


def _rising_edges(on: np.ndarray) -> np.ndarray:
    prev = np.concatenate(([False], on[:-1]))
    return np.flatnonzero(on & ~prev)


# --------------------------------------------------------------------------
# basic waveforms
# --------------------------------------------------------------------------
def sine(n: int, fs: float, *, freq: float = 50.0, amplitude: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """Sampled sine wave.

    Parameters
    ----------
    n : int
        Number of samples.
    fs : float
        Sampling rate in Hz.
    freq : float, optional
        Frequency in Hz.
    amplitude : float, optional
        Peak amplitude (same unit as the result, e.g. A or V).
    phase : float, optional
        Phase in rad at sample 0.

    Returns
    -------
    numpy.ndarray
        ``amplitude * sin(2*pi*freq*t + phase)`` with ``t = arange(n)/fs`` (s),
        float64, shape ``(n,)``.

    Examples
    --------
    One 50 Hz cycle at 6.4 kHz, 325 V peak: 128 samples, RMS = peak / sqrt(2).

    >>> import numpy as np
    >>> from currentprint.synth import sine
    >>> v = sine(128, 6400.0, amplitude=325.0)
    >>> v.shape, round(float(np.sqrt(np.mean(v ** 2))), 2)
    ((128,), 229.81)
    """
    n, fs = _check_n_fs(n, fs)
    t = np.arange(n, dtype=np.float64) / fs
    return float(amplitude) * np.sin(_TWO_PI * float(freq) * t + float(phase))


def harmonic_signal(
    n: int,
    fs: float,
    *,
    mains_hz: float = 50.0,
    amplitudes: Mapping[int, float],
    phases: Mapping[int, float] | None = None,
) -> np.ndarray:
    """Sum of mains harmonics with given RMS amplitudes.

    ``x(t) = sum_k sqrt(2) * A_k * cos(2*pi*k*mains_hz*t + phi_k)`` with
    ``t = arange(n)/fs``. Phases are therefore referred to a cosine at
    ``t = 0`` (a harmonic with ``phi_k = -pi/2`` is a sine).

    Parameters
    ----------
    n : int
        Number of samples.
    fs : float
        Sampling rate in Hz.
    mains_hz : float, optional
        Fundamental frequency in Hz.
    amplitudes : mapping of int to float
        RMS amplitude ``A_k`` (e.g. A) of harmonic order ``k >= 1``.
    phases : mapping of int to float, optional
        Phase ``phi_k`` in rad per order; missing orders have phase 0.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n,)``.

    Raises
    ------
    ValueError
        On an order < 1 or a harmonic at or above the Nyquist frequency.
    """
    n, fs = _check_n_fs(n, fs)
    mains_hz = _check_mains(mains_hz, fs)
    phases = {} if phases is None else dict(phases)
    t = np.arange(n, dtype=np.float64) / fs
    x = np.zeros(n, dtype=np.float64)
    for k, a in dict(amplitudes).items():
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise ValueError(f"harmonic order must be an integer >= 1, got {k!r}")
        if k * mains_hz >= fs / 2.0:
            raise ValueError(f"harmonic {k} ({k * mains_hz} Hz) is at or above fs/2 = {fs / 2.0} Hz")
        x += _SQRT2 * float(a) * np.cos(_TWO_PI * k * mains_hz * t + float(phases.get(k, 0.0)))
    return x


def mains_voltage(
    n: int,
    fs: float,
    *,
    mains_hz: float = 50.0,
    v_rms: float = 230.0,
    harmonics: Mapping[int, float | tuple[float, float]] | None = DEFAULT_V_HARMONICS,
    phase: float = 0.0,
    drift_hz: float = 0.0,
    drift_period_s: float = 10.0,
    flat_top: float = 0.0,
    noise_rms: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic mains voltage and its instantaneous fundamental phase.

    ``v = scale * g(theta)`` with ``g = sin(theta) + sum_k a_k sin(k*theta + phi_k)``,
    optionally clipped ("flat top"), scaled so that its RMS equals ``v_rms``,
    plus white noise.

    Parameters
    ----------
    n : int
        Number of samples.
    fs : float
        Sampling rate in Hz.
    mains_hz : float, optional
        Nominal mains frequency in Hz.
    v_rms : float, optional
        Total RMS voltage in V (harmonics and flat top included, noise excluded).
    harmonics : mapping, optional
        ``{k: a_k}`` or ``{k: (a_k, phi_k)}``: amplitude of harmonic ``k``
        as a fraction of the fundamental amplitude, phase in rad (sine
        convention, relative to ``k*theta``). ``None`` or ``{}`` gives a pure
        sine. Default ``{3: 0.03, 5: 0.02}``.
    phase : float, optional
        Fundamental phase ``theta`` at sample 0, in rad.
    drift_hz : float, optional
        Amplitude in Hz of a sinusoidal frequency drift
        ``f(t) = mains_hz + drift_hz*sin(2*pi*t/drift_period_s)``.
    drift_period_s : float, optional
        Period of the drift in s.
    flat_top : float, optional
        In ``[0, 1)``: the waveform is clipped at ``(1 - flat_top)`` times its
        peak, then rescaled to ``v_rms``.
    noise_rms : float, optional
        White noise added to the voltage, V RMS.
    seed : int or numpy.random.Generator or None, optional
        Seed of the noise generator (only used if ``noise_rms > 0``).

    Returns
    -------
    voltage : numpy.ndarray
        Voltage in V, float64, shape ``(n,)``.
    phase : numpy.ndarray
        Unwrapped instantaneous fundamental phase ``theta`` in rad, float64,
        shape ``(n,)``.

    Raises
    ------
    ValueError
        On invalid parameters.
    """
    n, fs = _check_n_fs(n, fs)
    mains_hz = _check_mains(mains_hz, fs)
    v_rms = float(v_rms)
    if not math.isfinite(v_rms) or v_rms < 0.0:
        raise ValueError(f"v_rms must be >= 0 V, got {v_rms!r}")
    flat_top = float(flat_top)
    if not 0.0 <= flat_top < 1.0:
        raise ValueError(f"flat_top must be in [0, 1), got {flat_top!r}")
    drift_hz = float(drift_hz)
    if not 0.0 <= drift_hz < mains_hz:
        raise ValueError(f"drift_hz must be in [0, mains_hz), got {drift_hz!r}")
    if not drift_period_s > 0.0:
        raise ValueError(f"drift_period_s must be > 0 s, got {drift_period_s!r}")
    if not noise_rms >= 0.0:
        raise ValueError(f"noise_rms must be >= 0 V, got {noise_rms!r}")
    harm = _normalise_harmonics(harmonics)
    for k, _, _ in harm:
        if k * (mains_hz + drift_hz) >= fs / 2.0:
            raise ValueError(f"voltage harmonic {k} would alias at fs={fs} Hz")

    theta, _ = _phase_track(n, fs, mains_hz, float(phase), drift_hz, float(drift_period_s))
    clip, rms = _shape_scale(harm, flat_top)
    g = _shape(theta, harm)
    if math.isfinite(clip):
        np.clip(g, -clip, clip, out=g)
    v = g * (v_rms / rms)
    if noise_rms > 0.0:
        rng = np.random.default_rng(seed)
        v += rng.normal(0.0, float(noise_rms), n)
    return v, theta


# --------------------------------------------------------------------------
# supply description
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Supply:
    """Nominal (noise- and drift-free) supply a load is rated at.

    Loads use it to convert their rated power (W) into circuit values and to
    compute their expected steady-state power.

    Parameters
    ----------
    mains_hz : float
        Nominal frequency in Hz.
    v_rms : float
        Total RMS voltage in V.
    harmonics : mapping or tuple
        As for :func:`mains_voltage`; stored normalised as a tuple of
        ``(k, fraction, phase_rad)``.
    flat_top : float
        As for :func:`mains_voltage`.
    """

    mains_hz: float = 50.0
    v_rms: float = 230.0
    harmonics: Any = ((3, 0.03, 0.0), (5, 0.02, 0.0))
    flat_top: float = 0.0

    def __post_init__(self) -> None:
        h = self.harmonics
        if not (isinstance(h, tuple) and all(isinstance(x, tuple) and len(x) == 3 for x in h)):
            h = _normalise_harmonics(h)
        object.__setattr__(self, "harmonics", h)
        object.__setattr__(self, "mains_hz", float(self.mains_hz))
        object.__setattr__(self, "v_rms", float(self.v_rms))
        object.__setattr__(self, "flat_top", float(self.flat_top))
        if not (self.mains_hz > 0 and self.v_rms > 0):
            raise ValueError("Supply needs mains_hz > 0 Hz and v_rms > 0 V")

    def voltage(self, n: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
        """Nominal voltage (V) and phase (rad) of ``n`` samples at ``fs`` Hz."""
        return mains_voltage(
            n, fs, mains_hz=self.mains_hz, v_rms=self.v_rms,
            harmonics=dict((k, (a, p)) for k, a, p in self.harmonics), flat_top=self.flat_top,
        )

    @classmethod
    def estimate(cls, voltage: np.ndarray, phase: np.ndarray, fs: float) -> Supply:
        """Rough nominal supply from a voltage and phase array.

        Frequency from the mean slope of ``phase``, RMS over the largest whole
        number of cycles; the shape is assumed sinusoidal.
        """
        n = len(voltage)
        if n < 2:
            return cls()
        span = float(phase[-1] - phase[0])
        f = span * fs / (_TWO_PI * (n - 1)) if span > 0 else 50.0
        m = math.floor(span / _TWO_PI)
        seg = voltage[phase - phase[0] < _TWO_PI * m] if m >= 1 else voltage
        v_rms = float(np.sqrt(np.mean(np.square(seg, dtype=np.float64))))
        return cls(mains_hz=f, v_rms=v_rms if v_rms > 0 else 230.0, harmonics=(), flat_top=0.0)


# --------------------------------------------------------------------------
# load models
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    """Base class of load models.

    Subclasses implement :meth:`_current`. A load is called as
    ``load.current(voltage, phase, fs, on=..., warm_start=..., supply=...)``
    (or simply ``load(voltage, phase, fs)``) and returns the current in A.

    Parameters
    ----------
    power_w : float
        Rated active power in W at the nominal supply voltage.
    """

    power_w: float

    def __post_init__(self) -> None:
        p = float(self.power_w)
        if not math.isfinite(p) or p <= 0.0:
            raise ValueError(f"{type(self).__name__}: power_w must be a positive number of W, got {self.power_w!r}")
        object.__setattr__(self, "power_w", p)

    # -- public API ---------------------------------------------------------
    def current(
        self,
        voltage: np.ndarray,
        phase: np.ndarray,
        fs: float,
        *,
        on: np.ndarray | None = None,
        warm_start: Collection[int] = (0,),
        supply: Supply | None = None,
    ) -> np.ndarray:
        """Current drawn from ``voltage``.

        Parameters
        ----------
        voltage : numpy.ndarray
            Supply voltage in V, shape ``(n,)``.
        phase : numpy.ndarray
            Instantaneous fundamental phase of ``voltage`` in rad, shape ``(n,)``
            (as returned by :func:`mains_voltage`).
        fs : float
            Sampling rate in Hz.
        on : numpy.ndarray of bool, optional
            Per-sample switch state; ``None`` means always on. A rising edge
            is a switch-on (with inrush, unless listed in ``warm_start``).
        warm_start : collection of int, optional
            Sample indices of rising edges at which the load starts in steady
            state (no inrush). Default: sample 0 only.
        supply : Supply, optional
            Nominal supply the rated power refers to. ``None``: estimated from
            ``voltage``/``phase`` with :meth:`Supply.estimate`.

        Returns
        -------
        numpy.ndarray
            Current in A, float64, shape ``(n,)``; exactly zero where off.
        """
        v = np.asarray(voltage, dtype=np.float64)
        th = np.asarray(phase, dtype=np.float64)
        if v.ndim != 1 or th.shape != v.shape:
            raise ValueError("voltage and phase must be 1-D arrays of equal length")
        n, fs = _check_n_fs(len(v), fs)
        if on is None:
            on_arr = np.ones(n, dtype=bool)
        else:
            on_arr = np.asarray(on, dtype=bool)
            if on_arr.shape != v.shape:
                raise ValueError("on must have the same shape as voltage")
        if supply is None:
            supply = Supply.estimate(v, th, fs)
        if n == 0:
            return np.zeros(0)
        edges = _rising_edges(on_arr)
        warm = set(int(k) for k in warm_start)
        cold = np.array([e for e in edges if int(e) not in warm], dtype=np.int64)
        warm_edges = np.array([e for e in edges if int(e) in warm], dtype=np.int64)
        i = self._current(v, th, fs, on_arr, cold, warm_edges, supply)
        i[~on_arr] = 0.0
        return i

    def __call__(self, voltage: np.ndarray, phase: np.ndarray, fs: float, **kwargs: Any) -> np.ndarray:
        """Alias of :meth:`current`."""
        return self.current(voltage, phase, fs, **kwargs)

    def expected_power(self, fs: float, supply: Supply | None = None) -> float:
        """Steady-state active power in W at the nominal ``supply``.

        Computed by simulating the load on the noise-free nominal voltage at
        sampling rate ``fs`` (Hz) and averaging ``v*i`` over a whole number of
        cycles. This is the ``delta_p`` ground truth used by
        :func:`synth_signal`.
        """
        return _expected_power(self, float(fs), supply if supply is not None else Supply())

    def zero_phase(self, current: np.ndarray, phase: np.ndarray) -> float:
        """Phase offset (rad) of the current zero crossings relative to ``phase``.

        Current zeros are at ``phase = offset + m*pi``. The default estimates
        it from the fundamental of ``current``.
        """
        c = np.mean(current * np.exp(-1j * phase))
        if abs(c) == 0.0:
            return 0.0
        return float(-np.angle(c) - math.pi / 2.0)

    # -- to implement -------------------------------------------------------
    def _current(
        self, v: np.ndarray, th: np.ndarray, fs: float, on: np.ndarray,
        cold_edges: np.ndarray, warm_edges: np.ndarray, supply: Supply,
    ) -> np.ndarray:
        raise NotImplementedError


@functools.lru_cache(maxsize=512)
def _expected_power(load: Load, fs: float, supply: Supply) -> float:
    win = _integer_cycle_window(fs, supply.mains_hz, 10)
    warm = int(math.ceil(20 * fs / supply.mains_hz))
    v, th = supply.voltage(warm + win, fs)
    i = load.current(v, th, fs, supply=supply)
    return float(np.mean(v[-win:] * i[-win:]))


@dataclass(frozen=True)
class Resistive(Load):
    """Purely resistive load (kettle, heater, incandescent lamp).

    ``i = v / R`` with ``R = v_rms**2 / power_w`` (ohm); copies the voltage
    distortion, no inrush, PF = 1.

    Parameters
    ----------
    power_w : float
        Active power in W at the nominal RMS voltage.
    """

    def _current(self, v, th, fs, on, cold_edges, warm_edges, supply):  # noqa: D102
        r = supply.v_rms**2 / self.power_w
        return np.where(on, v / r, 0.0)


#: Alias of :class:`Resistive`.
Heater = Resistive


@dataclass(frozen=True)
class Motor(Load):
    """Induction motor (fridge compressor, pump, fan): lagging current.

    ``i = sqrt(2)*I1*e(t)*[sin(theta - phi(t)) + h3*sin(3*(theta - phi(t)))]``
    with ``I1 = power_w / (v_rms*pf)`` (A RMS) and ``phi = acos(pf)``. After a
    cold switch-on the envelope is ``e(t) = 1 + (inrush - 1)*exp(-t/tau)`` and
    the power factor moves from ``inrush_pf`` towards ``pf`` with the same
    time constant (locked-rotor start). The current steps abruptly at the
    switch sample.

    Parameters
    ----------
    power_w : float
        Active power in W at the nominal voltage.
    pf : float, optional
        Steady-state displacement power factor, ``0 < pf <= 1`` (lagging).
    inrush : float, optional
        Ratio of switch-on current amplitude to steady-state amplitude (>= 1).
    inrush_decay_s : float, optional
        Decay time constant ``tau`` of the inrush, s.
    inrush_pf : float, optional
        Power factor at the very start of the inrush.
    h3 : float, optional
        Third harmonic amplitude relative to the fundamental.
    """

    pf: float = 0.8
    inrush: float = 5.0
    inrush_decay_s: float = 0.15
    inrush_pf: float = 0.4
    h3: float = 0.04

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.pf <= 1.0:
            raise ValueError(f"Motor: pf must be in (0, 1], got {self.pf!r}")
        if not 0.0 < self.inrush_pf <= 1.0:
            raise ValueError(f"Motor: inrush_pf must be in (0, 1], got {self.inrush_pf!r}")
        if not self.inrush >= 1.0:
            raise ValueError(f"Motor: inrush must be >= 1, got {self.inrush!r}")
        if not self.inrush_decay_s > 0.0:
            raise ValueError(f"Motor: inrush_decay_s must be > 0 s, got {self.inrush_decay_s!r}")
        if not 0.0 <= self.h3 < 1.0:
            raise ValueError(f"Motor: h3 must be in [0, 1), got {self.h3!r}")

    def _current(self, v, th, fs, on, cold_edges, warm_edges, supply):  # noqa: D102
        n = len(v)
        i1 = self.power_w / (supply.v_rms * self.pf)
        phi = math.acos(self.pf)
        env = np.ones(n)
        phi_t = np.full(n, phi)
        if self.inrush > 1.0 and len(cold_edges):
            idx = np.arange(n)
            all_edges = _rising_edges(on)
            last = np.full(n, -1, dtype=np.int64)
            last[all_edges] = all_edges
            last = np.maximum.accumulate(last)
            is_cold = np.zeros(n, dtype=bool)
            is_cold[cold_edges] = True
            sel = (last >= 0) & on
            sel[sel] = is_cold[last[sel]]
            w = np.exp(-(idx[sel] - last[sel]) / (fs * self.inrush_decay_s))
            env[sel] = 1.0 + (self.inrush - 1.0) * w
            phi_t[sel] = phi + (math.acos(self.inrush_pf) - phi) * w
        x = th - phi_t
        return _SQRT2 * i1 * env * (np.sin(x) + self.h3 * np.sin(3.0 * x))


@dataclass(frozen=True)
class PhaseCut(Load):
    """Resistive load behind a leading-edge TRIAC dimmer.

    Zero current from each voltage zero (``theta = m*pi``) until the firing
    angle, then ``v / R`` (abrupt step) until the next zero.

    Parameters
    ----------
    power_w : float
        Rated power in W of the resistive load at full conduction (firing
        angle 0) and nominal voltage. The actual power is lower; see
        :meth:`expected_power`.
    firing_angle_deg : float
        Firing (delay) angle in degrees, 0..180 (180 = off).
    """

    firing_angle_deg: float = 90.0

    def __post_init__(self) -> None:
        super().__post_init__()
        a = float(self.firing_angle_deg)
        if not 0.0 <= a <= 180.0:
            raise ValueError(f"PhaseCut: firing_angle_deg must be in [0, 180], got {a!r}")
        object.__setattr__(self, "firing_angle_deg", a)

    def _current(self, v, th, fs, on, cold_edges, warm_edges, supply):  # noqa: D102
        r = supply.v_rms**2 / self.power_w
        alpha = math.radians(self.firing_angle_deg)
        conducting = np.mod(th, math.pi) >= alpha
        return np.where(on & conducting, v / r, 0.0)

    def zero_phase(self, current: np.ndarray, phase: np.ndarray) -> float:
        """Current zeros coincide with the voltage zeros: returns 0.0 rad."""
        return 0.0


@dataclass(frozen=True)
class Rectifier(Load):
    """Capacitor-input rectifier (switch-mode power supply front end).

    Simulates a diode bridge (forward drop ``diode_drop_v``), a series
    resistance ``Rs`` (wiring, NTC, diodes), a smoothing capacitor ``C`` and
    a resistive DC load ``R_L`` with a backward-Euler step per sample. The
    current flows only while ``|v| - V_d`` exceeds the capacitor voltage:
    narrow pulses near the voltage peaks, strong odd harmonics, PF ~0.6.
    Switching on with a discharged capacitor produces an inrush spike;
    ``R_L`` is calibrated so that the steady-state input power equals
    ``power_w`` at the nominal supply.

    Parameters
    ----------
    power_w : float
        Steady-state input active power in W at the nominal supply.
    capacitance_uf_per_w : float, optional
        ``C = capacitance_uf_per_w * power_w`` microfarad.
    series_ohm_w : float, optional
        ``Rs = series_ohm_w / power_w`` ohm (so the waveform shape does not
        depend on the rating).
    diode_drop_v : float, optional
        Total bridge forward drop in V (two diodes conduct).
    """

    capacitance_uf_per_w: float = 1.0
    series_ohm_w: float = 600.0
    diode_drop_v: float = 1.6

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.capacitance_uf_per_w > 0.0:
            raise ValueError("Rectifier: capacitance_uf_per_w must be > 0")
        if not self.series_ohm_w > 0.0:
            raise ValueError("Rectifier: series_ohm_w must be > 0")
        if not self.diode_drop_v >= 0.0:
            raise ValueError("Rectifier: diode_drop_v must be >= 0 V")

    @property
    def capacitance_f(self) -> float:
        """Smoothing capacitance in F."""
        return self.capacitance_uf_per_w * 1e-6 * self.power_w

    @property
    def series_ohm(self) -> float:
        """Series resistance in ohm."""
        return self.series_ohm_w / self.power_w

    def _simulate(
        self, vabs: np.ndarray, on: np.ndarray, fs: float, r_load: float, vc0: float,
        reset: Mapping[int, float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample simulation; returns (bridge DC current in A, cap voltage in V)."""
        dt = 1.0 / fs
        c = self.capacitance_f
        rs = self.series_ohm
        vd = self.diode_drop_v
        gs = dt / (rs * c)
        gl = dt / (r_load * c)
        denom = 1.0 + gs + gl
        decay = math.exp(-dt / (r_load * c))
        vab = vabs.tolist()
        onl = on.tolist()
        n = len(vab)
        out = [0.0] * n
        vcs = [0.0] * n
        vc = vc0
        for k in range(n):
            if k in reset and reset[k] > vc:
                vc = reset[k]
            e = vab[k] - vd
            if onl[k] and e > vc:
                # backward Euler with the bridge conducting; e > vc guarantees i > 0
                vc = (vc + gs * e) / denom
                out[k] = (e - vc) / rs
            else:
                vc *= decay
            vcs[k] = vc
        return np.asarray(out), np.asarray(vcs)

    def _calibrate(self, fs: float, supply: Supply) -> tuple[float, np.ndarray, np.ndarray]:
        return _rectifier_calibration(self, fs, supply)

    def _current(self, v, th, fs, on, cold_edges, warm_edges, supply):  # noqa: D102
        r_load, tab_ph, tab_vc = self._calibrate(fs, supply)
        reset = {}
        for k in warm_edges:
            reset[int(k)] = float(np.interp(th[k] % _TWO_PI, tab_ph, tab_vc, period=_TWO_PI))
        idc, _ = self._simulate(np.abs(v), on, fs, r_load, 0.0, reset)
        return np.sign(v) * idc


@functools.lru_cache(maxsize=256)
def _rectifier_calibration(load: Rectifier, fs: float, supply: Supply) -> tuple[float, np.ndarray, np.ndarray]:
    """Calibrate R_L (ohm) and tabulate the steady-state cap voltage vs phase."""
    spc = fs / supply.mains_hz
    win = _integer_cycle_window(fs, supply.mains_hz, 5)
    warm = int(math.ceil(25 * spc))
    v, th = supply.voltage(warm + win, fs)
    vabs = np.abs(v)
    on = np.ones(len(v), dtype=bool)
    peak = float(np.max(vabs)) - load.diode_drop_v
    r_load = (0.95 * peak) ** 2 / load.power_w
    vc0 = 0.9 * peak
    vcs = np.full(len(v), vc0)
    for _ in range(12):
        idc, vcs = load._simulate(vabs, on, fs, r_load, vc0, {})
        p = float(np.mean(vabs[-win:] * idc[-win:]))
        ratio = p / load.power_w
        vc0 = float(vcs[-1])
        if abs(ratio - 1.0) < 2e-5:
            break
        r_load *= ratio
    # steady-state capacitor voltage over the last cycle, as a function of phase
    last = int(math.ceil(spc)) + 1
    ph = th[-last:] % _TWO_PI
    order = np.argsort(ph)
    return r_load, ph[order], vcs[-last:][order]


@dataclass(frozen=True)
class LEDDriver(Rectifier):
    """Small LED lamp driver: rectifier plus EMI capacitor, leading PF.

    A capacitor-input rectifier with a small bulk capacitor and a large
    series resistance (fusible resistor), in parallel with an X capacitor
    ``C_x = q_ratio * power_w / (v_rms**2 * 2*pi*mains_hz)`` that draws a
    leading current ``C_x * dv/dt``. Net reactive power is negative
    (capacitive).

    Parameters
    ----------
    power_w : float
        Active power in W at the nominal supply.
    q_ratio : float, optional
        Reactive power of the X capacitor as a fraction of ``power_w``.
    capacitance_uf_per_w, series_ohm_w, diode_drop_v : float, optional
        See :class:`Rectifier`.
    """

    capacitance_uf_per_w: float = 0.5
    series_ohm_w: float = 600.0
    diode_drop_v: float = 1.6
    q_ratio: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.q_ratio >= 0.0:
            raise ValueError("LEDDriver: q_ratio must be >= 0")

    def _current(self, v, th, fs, on, cold_edges, warm_edges, supply):  # noqa: D102
        i = super()._current(v, th, fs, on, cold_edges, warm_edges, supply)
        if self.q_ratio > 0.0 and len(v) > 1:
            cx = self.q_ratio * self.power_w / (supply.v_rms**2 * _TWO_PI * supply.mains_hz)
            i = i + cx * np.gradient(v) * fs
        return i


# --------------------------------------------------------------------------
# scenario
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class SynthEvent:
    """Ground truth of one switching event.

    Attributes
    ----------
    sample : int
        Onset sample (index into the signal arrays): the first sample at which
        the new state is in effect.
    time : float
        Onset time in s, ``sample / fs``.
    kind : str
        ``"on"``, ``"off"`` or ``"change"``.
    load : str
        Name of the load that switched.
    delta_p : float
        Expected change of steady-state active power in W at the nominal
        supply (see :meth:`Load.expected_power`).
    """

    sample: int
    time: float
    kind: str
    load: str
    delta_p: float


@dataclass(frozen=True)
class ArcModel:
    """Series arc fault in series with one load.

    While the arc is present (and the load is on) the load current is
    modified per half-cycle of the load current:

    * around each current zero the current is held at 0 for a "shoulder" of
      random length drawn uniformly from ``shoulder_ms`` (a fraction
      ``pre_fraction`` of it before the zero, the rest after), then the arc
      re-ignites and the current steps abruptly to the load's value;
    * with probability ``skip_prob`` a whole half-cycle does not conduct;
    * the conducting part of each half-cycle is scaled by a random factor in
      ``[1 - jitter, 1]`` (arc voltage drop);
    * white noise of RMS ``noise_rel`` times the load's RMS current is added
      while conducting (broadband arc noise).

    Parameters
    ----------
    start_s, stop_s : float
        Time span of the arc in s.
    load : str
        Name of the load the arc is in series with.
    shoulder_ms : tuple of float, optional
        Range ``(min, max)`` of the shoulder length in ms.
    skip_prob : float, optional
        Probability that a half-cycle does not conduct at all.
    jitter : float, optional
        Relative amplitude jitter per half-cycle, in ``[0, 1)``.
    noise_rel : float, optional
        Broadband noise RMS relative to the load RMS current.
    pre_fraction : float, optional
        Part of the shoulder located before the current zero, ``[0, 1]``.
    """

    start_s: float
    stop_s: float
    load: str
    shoulder_ms: tuple[float, float] = (0.3, 2.5)
    skip_prob: float = 0.1
    jitter: float = 0.2
    noise_rel: float = 0.03
    pre_fraction: float = 0.25

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and math.isfinite(self.stop_s)):
            raise ValueError("ArcModel: start_s and stop_s must be finite")
        if self.start_s < 0.0 or self.stop_s <= self.start_s:
            raise ValueError(f"ArcModel: need 0 <= start_s < stop_s, got {self.start_s}, {self.stop_s}")
        lo, hi = self.shoulder_ms
        if not 0.0 <= lo <= hi:
            raise ValueError(f"ArcModel: shoulder_ms must be 0 <= min <= max, got {self.shoulder_ms!r}")
        if not 0.0 <= self.skip_prob <= 1.0:
            raise ValueError("ArcModel: skip_prob must be in [0, 1]")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("ArcModel: jitter must be in [0, 1)")
        if not self.noise_rel >= 0.0:
            raise ValueError("ArcModel: noise_rel must be >= 0")
        if not 0.0 <= self.pre_fraction <= 1.0:
            raise ValueError("ArcModel: pre_fraction must be in [0, 1]")


@dataclass
class SynthSignal:
    """A synthetic recording with its ground truth.

    Attributes
    ----------
    current : numpy.ndarray
        Total current in A (float64), or ADC counts if an integer ``dtype``
        was requested (multiply by ``meta["current_scale"]`` for A).
    voltage : numpy.ndarray
        Voltage in V (float64), or ADC counts (``meta["voltage_scale"]`` V
        per count).
    fs : float
        Sampling rate in Hz.
    mains_hz : float
        Nominal mains frequency in Hz.
    events : list of SynthEvent
        Switching events, sorted by sample.
    arc_segments : list of tuple of int
        ``[start, stop)`` sample ranges where a series arc is present.
    frequency : numpy.ndarray or None
        Instantaneous mains frequency per sample in Hz if drift was used,
        else ``None``.
    meta : dict
        Parameters used, expected powers per load (``"expected_power_w"``),
        initial total power (``"initial_power_w"``), ADC scales, etc.
    phase : numpy.ndarray or None
        Ground-truth instantaneous fundamental phase of the voltage in rad
        (unwrapped; positive-going fundamental zero crossings at multiples of
        2*pi).
    """

    current: np.ndarray
    voltage: np.ndarray
    fs: float
    mains_hz: float
    events: list[SynthEvent]
    arc_segments: list[tuple[int, int]]
    frequency: np.ndarray | None
    meta: dict = field(default_factory=dict)
    phase: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(len(self.current))

    @property
    def time(self) -> np.ndarray:
        """Time of each sample in s."""
        return np.arange(self.n_samples, dtype=np.float64) / self.fs

    @property
    def duration(self) -> float:
        """Duration in s."""
        return self.n_samples / self.fs

    @property
    def samples_per_cycle(self) -> float:
        """Nominal number of samples per mains cycle."""
        return self.fs / self.mains_hz

    def expected_power(self) -> np.ndarray:
        """Expected total active power (W) per sample from the ground truth.

        Piecewise constant: ``meta["initial_power_w"]`` plus the ``delta_p`` of
        all events up to and including each sample (inrush and arc ignored).
        """
        p = np.full(self.n_samples, float(self.meta.get("initial_power_w", 0.0)))
        for ev in self.events:
            p[ev.sample:] += ev.delta_p
        return p


_ACTIONS = ("on", "off", "change")


def _parse_schedule(
    schedule: Sequence[Sequence[Any]], loads: Mapping[str, Load], n: int, fs: float
) -> list[tuple[int, int, str, str, Load | None]]:
    """Validate a schedule; return sorted ``(sample, order, name, action, model)``."""
    if isinstance(schedule, (str, bytes)) or not isinstance(schedule, Sequence | Collection):
        raise ValueError("schedule must be a list of (time_s, load_name, action) tuples")
    out = []
    for order, entry in enumerate(schedule):
        if isinstance(entry, (str, bytes)) or not isinstance(entry, Sequence) or len(entry) not in (3, 4):
            raise ValueError(f"schedule entry {entry!r}: expected (time_s, load_name, action[, new_load])")
        t, name, action = entry[0], entry[1], entry[2]
        try:
            t = float(t)
        except (TypeError, ValueError):
            raise ValueError(f"schedule entry {entry!r}: time must be a number of s") from None
        if not math.isfinite(t) or t < 0.0:
            raise ValueError(f"schedule entry {entry!r}: time must be finite and >= 0 s")
        sample = int(round(t * fs))
        if sample >= n:
            raise ValueError(f"schedule entry {entry!r}: time is beyond the signal duration {n / fs} s")
        if not isinstance(name, str) or name not in loads:
            raise ValueError(f"schedule entry {entry!r}: unknown load {name!r} (known: {sorted(loads)})")
        if action not in _ACTIONS:
            raise ValueError(f"schedule entry {entry!r}: action must be one of {_ACTIONS}")
        model = None
        if action == "change":
            if len(entry) != 4 or not isinstance(entry[3], Load):
                raise ValueError(f"schedule entry {entry!r}: 'change' needs a new load model as 4th item")
            model = entry[3]
        elif len(entry) == 4:
            raise ValueError(f"schedule entry {entry!r}: only 'change' takes a 4th item")
        out.append((sample, order, name, action, model))
    out.sort(key=lambda e: (e[0], e[1]))
    return out


def _random_schedule(
    n_events: int, loads: Mapping[str, Load], n: int, fs: float, min_gap_s: float,
    initial_on: set[str], rng: np.random.Generator,
) -> list[tuple[int, int, str, str, Load | None]]:
    if isinstance(n_events, bool) or int(n_events) != n_events or n_events < 0:
        raise ValueError(f"n_events must be a non-negative integer, got {n_events!r}")
    n_events = int(n_events)
    if n_events == 0:
        return []
    if not loads:
        raise ValueError("n_events needs at least one load")
    gap = int(math.ceil(min_gap_s * fs))
    margin = int(round(min(0.5, 0.05 * n / fs) * fs))
    span = (n - 1 - 2 * margin) - (n_events - 1) * gap
    if span < 0:
        raise ValueError(
            f"cannot place {n_events} events at least {min_gap_s} s apart in {n / fs} s"
        )
    pos = np.sort(rng.integers(0, span + 1, size=n_events)) + np.arange(n_events) * gap + margin
    names = list(loads)
    state = {k: (k in initial_on) for k in names}
    out: list[tuple[int, int, str, str, Load | None]] = []
    for j, s in enumerate(pos):
        name = names[int(rng.integers(len(names)))]
        action = "off" if state[name] else "on"
        state[name] = not state[name]
        out.append((int(s), j, name, action, None))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist()))


def _apply_arc(
    branch: np.ndarray, theta: np.ndarray, fs: float, mains_hz: float, arc: ArcModel,
    segments: list[tuple[int, int, Load]], rng: np.random.Generator,
) -> np.ndarray:
    """Return the branch current with a series arc applied on ``segments``."""
    out = branch.copy()
    lo_ms, hi_ms = arc.shoulder_ms
    rad_per_ms = _TWO_PI * mains_hz * 1e-3
    for a, b, model in segments:
        i = branch[a:b]
        th = theta[a:b]
        psi = model.zero_phase(i, th)
        x = th - psi
        h = np.floor(x / math.pi).astype(np.int64)
        u = x - h * math.pi  # position in the half-cycle, rad in [0, pi)
        h0 = int(h[0])
        nh = int(h[-1]) - h0 + 2
        shoulder = rng.uniform(lo_ms, hi_ms, nh) * rad_per_ms  # shoulder around zero starting half-cycle j
        shoulder = np.minimum(shoulder, 0.95 * math.pi)
        skip = rng.random(nh) < arc.skip_prob
        gain = 1.0 - arc.jitter * rng.random(nh)
        j = h - h0
        post = (1.0 - arc.pre_fraction) * shoulder[j]
        pre = arc.pre_fraction * shoulder[j + 1]
        conducting = (u >= post) & (u < math.pi - pre) & ~skip[j]
        irms = float(np.sqrt(np.mean(i * i))) if len(i) else 0.0
        seg = np.where(conducting, i * gain[j], 0.0)
        if arc.noise_rel > 0.0 and irms > 0.0:
            seg = seg + np.where(conducting, rng.normal(0.0, arc.noise_rel * irms, len(i)), 0.0)
        out[a:b] = seg
    return out


def _quantise(x: np.ndarray, bits: int, full_scale: float) -> tuple[np.ndarray, float, int]:
    half = 2 ** (bits - 1)
    scale = full_scale / half
    q = np.rint(x / scale)
    clipped = int(np.count_nonzero((q < -half) | (q > half - 1)))
    return np.clip(q, -half, half - 1), scale, clipped


def synth_signal(
    duration_s: float = 10.0,
    fs: float = 6400.0,
    *,
    mains_hz: float = 50.0,
    v_rms: float = 230.0,
    loads: Mapping[str, Load] | Sequence[Any] = (),
    schedule: Sequence[Sequence[Any]] | None = None,
    n_events: int | None = None,
    noise_a: float = 0.002,
    drift_hz: float = 0.0,
    arc: ArcModel | Sequence[ArcModel] | None = None,
    seed: int | None = 0,
    dtype: Any = float,
    v_harmonics: Mapping[int, float | tuple[float, float]] | None = DEFAULT_V_HARMONICS,
    flat_top: float = 0.0,
    noise_v: float = 0.0,
    drift_period_s: float = 10.0,
    v_phase: float = 0.0,
    initial_on: Collection[str] | None = None,
    min_gap_s: float = 1.0,
    adc_bits: int | None = None,
    adc_full_scale: float | tuple[float, float] | None = None,
) -> SynthSignal:
    """Build a synthetic mains recording with ground truth.

    Parameters
    ----------
    duration_s : float, optional
        Duration in s; the signal has ``round(duration_s * fs)`` samples.
    fs : float, optional
        Sampling rate in Hz.
    mains_hz : float, optional
        Nominal mains frequency in Hz.
    v_rms : float, optional
        Nominal total RMS voltage in V.
    loads : mapping of str to Load, optional
        Named load models. A load that never appears in ``schedule`` is on
        for the whole signal (background load); a load whose first scheduled
        action is ``"off"`` or ``"change"`` starts on; others start off.
        Loads on at sample 0 start in steady state (no inrush).
    schedule : list of tuple, optional
        ``(time_s, load_name, "on" | "off")`` or
        ``(time_s, load_name, "change", new_load)`` entries, in any order.
        Each switch happens at sample ``round(time_s * fs)``, at whatever
        phase of the cycle that is.
    n_events : int, optional
        If ``schedule`` is None: number of random on/off events, at least
        ``min_gap_s`` apart and at least 0.5 s from both ends; all loads start
        off unless named in ``initial_on``.
    noise_a : float, optional
        White current noise, A RMS.
    drift_hz : float, optional
        Amplitude of a sinusoidal mains frequency drift in Hz (period
        ``drift_period_s`` s).
    arc : ArcModel or list of ArcModel, optional
        Series arc(s). Ground truth in ``arc_segments`` (restricted to where the
        load is on).
    seed : int or None, optional
        Seed of all random draws (``None``: not reproducible).
    dtype : dtype, optional
        ``float``/``np.float64``/``np.float32`` for values in A and V, or
        ``np.int16``/``np.int32`` for ADC counts (``meta["current_scale"]``
        A per count, ``meta["voltage_scale"]`` V per count).
    v_harmonics, flat_top : optional
        Voltage shape, see :func:`mains_voltage`.
    noise_v : float, optional
        White voltage noise, V RMS.
    drift_period_s : float, optional
        Period of the frequency drift in s.
    v_phase : float, optional
        Fundamental phase of the voltage at sample 0, rad.
    initial_on : collection of str, optional
        Names of loads on at sample 0 (overrides the inference above).
    min_gap_s : float, optional
        Minimum spacing in s of random events.
    adc_bits : int, optional
        Quantise to this many bits (default for integer ``dtype``: its width).
        With a float ``dtype`` the quantised values are returned in A and V.
    adc_full_scale : float or (float, float), optional
        ADC full-scale peak: ``current_A`` or ``(current_A, voltage_V)``.
        Default: 1.1 times the largest absolute value. Values beyond it are
        clipped (counted in ``meta["clipped_current"]``/``["clipped_voltage"]``).

    Returns
    -------
    SynthSignal

    Raises
    ------
    ValueError
        On invalid parameters or an inconsistent schedule (negative time,
        time past the end, unknown load or action, switching a load on that
        is already on or off that is already off, two switchings of one load
        at the same sample).
    """
    fs = float(fs)
    if not math.isfinite(fs) or fs <= 0.0:
        raise ValueError(f"fs must be > 0 Hz, got {fs!r}")
    duration_s = float(duration_s)
    if not math.isfinite(duration_s) or duration_s <= 0.0:
        raise ValueError(f"duration_s must be > 0 s, got {duration_s!r}")
    n = int(round(duration_s * fs))
    if n < 1:
        raise ValueError("duration_s * fs must give at least one sample")
    mains_hz = _check_mains(mains_hz, fs)
    if not noise_a >= 0.0:
        raise ValueError(f"noise_a must be >= 0 A, got {noise_a!r}")
    if not isinstance(loads, Mapping):
        loads = dict(loads)
    for name, model in loads.items():
        if not isinstance(name, str):
            raise ValueError(f"load names must be str, got {name!r}")
        if not isinstance(model, Load):
            raise ValueError(f"load {name!r} is not a Load model: {model!r}")
    if schedule is not None and n_events is not None:
        raise ValueError("give either schedule or n_events, not both")
    if initial_on is not None:
        initial_on = set(initial_on)
        unknown = initial_on - set(loads)
        if unknown:
            raise ValueError(f"initial_on names unknown loads: {sorted(unknown)}")
    dt = np.dtype(dtype)
    if dt.kind not in "fi":
        raise ValueError(f"dtype must be a float or signed integer type, got {dt}")
    bits = adc_bits
    if dt.kind == "i":
        bits = 8 * dt.itemsize if bits is None else bits
        if not 2 <= bits <= 8 * dt.itemsize:
            raise ValueError(f"adc_bits must be in [2, {8 * dt.itemsize}] for {dt}")
    elif bits is not None and not 2 <= bits <= 32:
        raise ValueError("adc_bits must be in [2, 32]")

    supply = Supply(mains_hz=mains_hz, v_rms=v_rms, harmonics=v_harmonics, flat_top=flat_top)
    rng_sched, rng_v, rng_arc, rng_i = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )

    # ---- schedule -----------------------------------------------------------
    if schedule is None and n_events is None:
        schedule = ()
    if schedule is None:
        init = set(initial_on) if initial_on is not None else set()
        entries = _random_schedule(cast(int, n_events), loads, n, fs, float(min_gap_s), init, rng_sched)
    else:
        entries = _parse_schedule(schedule, loads, n, fs)
        if initial_on is None:
            first: dict[str, str] = {}
            for _, _, name, action, _ in entries:
                first.setdefault(name, action)
            init = {k for k in loads if first.get(k, "off") in ("off", "change")}
        else:
            init = set(initial_on)

    p_cache: dict[Load, float] = {}

    def p_of(model: Load) -> float:
        if model not in p_cache:
            p_cache[model] = model.expected_power(fs, supply)
        return p_cache[model]

    # pieces per load: [model, intervals, warm edge samples]
    pieces: dict[str, list[list[Any]]] = {k: [[m, [], set()]] for k, m in loads.items()}
    state = {k: (k in init) for k in loads}
    start = {k: 0 for k in loads if state[k]}
    for k in start:
        pieces[k][-1][2].add(0)
    last_sample: dict[str, int] = {}
    events: list[SynthEvent] = []
    for sample, _, name, action, new_model in entries:
        if last_sample.get(name) == sample or (action != "on" and start.get(name) == sample):
            raise ValueError(f"load {name!r} switches twice at sample {sample} ({sample / fs} s)")
        last_sample[name] = sample
        cur = pieces[name][-1]
        if action == "on":
            if state[name]:
                raise ValueError(f"load {name!r} switched on at {sample / fs} s but is already on")
            state[name] = True
            start[name] = sample
            dp = p_of(cur[0])
        elif action == "off":
            if not state[name]:
                raise ValueError(f"load {name!r} switched off at {sample / fs} s but is already off")
            state[name] = False
            cur[1].append((start.pop(name), sample))
            dp = -p_of(cur[0])
        else:
            if not state[name]:
                raise ValueError(f"load {name!r} changed at {sample / fs} s while off")
            cur[1].append((start[name], sample))
            start[name] = sample
            pieces[name].append([new_model, [], {sample}])
            dp = p_of(cast(Load, new_model)) - p_of(cur[0])   # a "change" entry carries its model
        events.append(SynthEvent(sample=sample, time=sample / fs, kind=action, load=name, delta_p=dp))
    for name, s in start.items():
        pieces[name][-1][1].append((s, n))

    # ---- supply -----------------------------------------------------------------
    voltage, theta = mains_voltage(
        n, fs, mains_hz=mains_hz, v_rms=v_rms, harmonics=v_harmonics, phase=v_phase,
        drift_hz=drift_hz, drift_period_s=drift_period_s, flat_top=flat_top,
        noise_rms=noise_v, seed=rng_v,
    )
    _, frequency = _phase_track(n, fs, mains_hz, v_phase, float(drift_hz), float(drift_period_s))

    # ---- loads ------------------------------------------------------------------
    branches: dict[str, np.ndarray] = {}
    on_masks: dict[str, np.ndarray] = {}
    for name, plist in pieces.items():
        total = np.zeros(n)
        on_any = np.zeros(n, dtype=bool)
        for model, intervals, warm in plist:
            if not intervals:
                continue
            mask = np.zeros(n, dtype=bool)
            for a, b in intervals:
                mask[a:b] = True
            on_any |= mask
            total += model.current(voltage, theta, fs, on=mask, warm_start=warm, supply=supply)
        branches[name] = total
        on_masks[name] = on_any

    # ---- arcs -------------------------------------------------------------------
    arcs: list[ArcModel] = [] if arc is None else ([arc] if isinstance(arc, ArcModel) else list(arc))
    arc_mask = np.zeros(n, dtype=bool)
    for am in arcs:
        if not isinstance(am, ArcModel):
            raise ValueError(f"arc must be ArcModel instances, got {am!r}")
        if am.load not in loads:
            raise ValueError(f"arc load {am.load!r} is unknown (known: {sorted(loads)})")
        a0 = int(round(am.start_s * fs))
        b0 = min(n, int(round(am.stop_s * fs)))
        if a0 >= n:
            raise ValueError(f"arc start {am.start_s} s is beyond the signal duration")
        segs: list[tuple[int, int, Load]] = []
        for model, intervals, _ in pieces[am.load]:
            for a, b in intervals:
                lo, hi = max(a, a0), min(b, b0)
                if hi > lo:
                    segs.append((lo, hi, model))
        segs.sort(key=lambda s: s[0])
        branches[am.load] = _apply_arc(branches[am.load], theta, fs, mains_hz, am, segs, rng_arc)
        for lo, hi, _ in segs:
            arc_mask[lo:hi] = True
    arc_segments = [(int(a), int(b)) for a, b in _runs(arc_mask)]

    current = np.zeros(n)
    for b in branches.values():
        current += b
    if noise_a > 0.0:
        current += rng_i.normal(0.0, float(noise_a), n)

    meta: dict[str, Any] = {
        "duration_s": n / fs,
        "n_samples": n,
        "fs": fs,
        "mains_hz": mains_hz,
        "v_rms": float(v_rms),
        "v_harmonics": {k: (a, p) for k, a, p in supply.harmonics},
        "flat_top": float(flat_top),
        "noise_a": float(noise_a),
        "noise_v": float(noise_v),
        "drift_hz": float(drift_hz),
        "drift_period_s": float(drift_period_s),
        "v_phase": float(v_phase),
        "seed": seed,
        "loads": {k: repr(m) for k, m in loads.items()},
        "expected_power_w": {k: p_of(m) for k, m in loads.items()},
        "initial_on": sorted(init),
        "initial_power_w": float(sum(p_of(loads[k]) for k in init)),
        "schedule": [(s / fs, name, action) for s, _, name, action, _ in entries],
        "arcs": [repr(a) for a in arcs],
        "dtype": dt.name,
        "adc_bits": bits,
        "current_scale": None,
        "voltage_scale": None,
    }

    # ---- output format ----------------------------------------------------------
    if bits is not None:
        if adc_full_scale is None:
            i_fs = v_fs = None
        elif isinstance(adc_full_scale, tuple):
            i_fs, v_fs = adc_full_scale
        else:
            i_fs, v_fs = adc_full_scale, None
        if i_fs is None:
            i_fs = 1.1 * float(np.max(np.abs(current))) or 1.0
        if v_fs is None:
            v_fs = 1.1 * float(np.max(np.abs(voltage))) or 1.0
        if not (i_fs > 0 and v_fs > 0):
            raise ValueError("adc_full_scale must be positive")
        qi, si, ci = _quantise(current, bits, float(i_fs))
        qv, sv, cv = _quantise(voltage, bits, float(v_fs))
        meta.update(current_scale=si, voltage_scale=sv, adc_full_scale=(float(i_fs), float(v_fs)),
                    clipped_current=ci, clipped_voltage=cv)
        if dt.kind == "i":
            current, voltage = qi.astype(dt), qv.astype(dt)
        else:
            current, voltage = (qi * si).astype(dt), (qv * sv).astype(dt)
    else:
        current, voltage = current.astype(dt, copy=False), voltage.astype(dt, copy=False)

    return SynthSignal(
        current=current, voltage=voltage, fs=fs, mains_hz=mains_hz, events=events,
        arc_segments=arc_segments, frequency=frequency, meta=meta, phase=theta,
    )


def example(**overrides: Any) -> SynthSignal:
    """The bundled demo scenario.

    10 s at 6.4 kHz, 230 V 50 Hz; a PC power supply (``Rectifier(120 W)``)
    switched on at 1 s, a kettle (``Resistive(2000 W)``) on at 2 s and off at
    6 s, a fridge compressor (``Motor(150 W, pf=0.75)``) on at 4 s; seed 2024.

    Parameters
    ----------
    **overrides
        Keyword arguments passed on to :func:`synth_signal` (e.g. ``fs``,
        ``noise_a``, ``dtype``) to vary the scenario.

    Returns
    -------
    SynthSignal
    """
    kwargs: dict[str, Any] = dict(
        duration_s=10.0,
        fs=6400.0,
        mains_hz=50.0,
        v_rms=230.0,
        loads={
            "pc": Rectifier(120.0),
            "kettle": Resistive(2000.0),
            "fridge": Motor(150.0, pf=0.75),
        },
        schedule=[
            (1.0, "pc", "on"),
            (2.0, "kettle", "on"),
            (4.0, "fridge", "on"),
            (6.0, "kettle", "off"),
        ],
        seed=2024,
    )
    kwargs.update(overrides)
    return synth_signal(**kwargs)
