"""Circuits: several loads on one mains, built from recordings made one at a time.

A terminal at a distribution board measures the *sum* of every load on the
circuit. Public recordings hold one appliance each, recorded at different
moments (so on mains of slightly different phase and frequency). This module
adds them up as if they had shared one mains: every load's current is moved
onto a *base* voltage by the phase of its own voltage cycle. A sample taken
a fraction ``phi`` of the way through voltage cycle ``j`` of the load's
recording is placed a fraction ``phi`` of the way through the base's voltage
cycle it is mapped to, so each load keeps its phase to the voltage it was
recorded on, whatever the two grids' frequencies.

A resistive load (a heater) can instead follow the base voltage exactly: its
current is its own conductance per cycle (least squares,
``g = sum(i v) / sum(v^2)``) times the base voltage, plus the residual
``i - g v`` of its recording, moved by phase like any load. That is what a
resistance on that mains would draw, with the recording's real noise.

Loads switch on and off at given times (at whatever phase of the mains the
time falls on); a recording shorter than its on-time is played on by
reflecting its cycle order (0, 1, ..., M-1, M-2, ..., 1, 0, 1, ...), every
cycle itself played forward, so the loop adds no waveform jump. Every
component's current is kept, so the truth of a mixture (who ran when, and
each load's energy) is known exactly.

What a mixture of steady recordings cannot show: the inrush of a real
switch-on (the HFHAD-C recordings are steady; a switch-on here starts at the
recording's steady current), and interactions between loads through the
source impedance.

Examples
--------
>>> import numpy as np
>>> from currentprint.circuits import Circuit
>>> fs = 6400.0
>>> t = np.arange(int(2 * fs)) / fs
>>> c = Circuit(325 * np.sin(2 * np.pi * 50 * t), fs)
>>> v_other = 311 * np.sin(2 * np.pi * 50.2 * t + 1.0)          # recorded on another day
>>> _ = c.add_current(v_other / 50.0, v_other, fs, label="heater", on_s=0.5, resistive=True)
>>> round(float(np.max(np.abs(c.current[int(0.6 * fs):] - c.voltage[int(0.6 * fs):] / 50.0))), 6)
0.0
>>> row = c.truth()[0]
>>> row["label"], row["on_s"], round(row["mean_power_w"])
('heater', 0.5, 1056)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core.framing import ZeroCrossingScanner
from .core.signal import as_samples
from .errors import InputError

__all__ = ["Circuit", "Component", "voltage_cycles", "phase_align", "mains_phase", "arcing_branch",
           "masking_load", "MASKING_LOADS"]


def _samples(x: Any, name: str) -> np.ndarray:
    """``x`` as a finite 1-D float64 array (A or V), or a clear InputError / NonFiniteError."""
    return np.asarray(as_samples(x, name), dtype=np.float64)


def _crossings(x: Any, name: str) -> np.ndarray:
    try:
        c = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        c = np.empty((0, 0))
    if c.ndim != 1 or c.shape[0] < 2 or not np.all(np.isfinite(c)) or np.any(np.diff(c) <= 0):
        raise InputError(f"{name} must be at least 2 increasing, finite zero-crossing positions (samples), "
                         "as voltage_cycles returns them")
    return c


def voltage_cycles(voltage: np.ndarray, fs: float, *, mains_hz: float | None = None) -> np.ndarray:
    """Rising zero crossings of ``voltage`` (fractional sample positions).

    The same framing as :func:`currentprint.analyze` uses.
    """
    v = np.ascontiguousarray(as_samples(voltage, "voltage"), dtype=np.float64)
    crossings = ZeroCrossingScanner(fs, mains_hz=mains_hz).push(v)
    if crossings.shape[0] < 3:
        raise InputError("fewer than 3 rising voltage zero crossings: a mixture needs the voltage of each recording "
                         "(is this a voltage channel of a mains recording?)")
    return crossings


def _sample_rate(fs: Any) -> float:
    try:
        f = float(fs)
    except (TypeError, ValueError):
        f = math.nan
    if not (math.isfinite(f) and f > 0):
        raise InputError(f"fs must be a finite sample rate > 0 Hz, got {fs!r}")
    return f


def _extended(crossings: np.ndarray, first: float, last: float) -> tuple[np.ndarray, int]:
    """Crossings extended by the median period so that [first, last] is covered, and how many were put before."""
    period = float(np.median(np.diff(crossings)))
    n_before = max(0, int(np.ceil((crossings[0] - first) / period)) + 1)
    n_after = max(0, int(np.ceil((last - crossings[-1]) / period)) + 1)
    before = crossings[0] - period * np.arange(n_before, 0, -1)
    after = crossings[-1] + period * np.arange(1, n_after + 1)
    return np.concatenate([before, crossings, after]), n_before


def _reflect(k: np.ndarray, m: int) -> np.ndarray:
    """Cycle index k of an endless play of m cycles in reflected order."""
    if m <= 1:
        return np.zeros_like(k)
    k = np.mod(k, 2 * (m - 1))
    return np.where(k < m, k, 2 * (m - 1) - k)


def _cubic(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """x interpolated at fractional positions ``pos`` (4-point Lagrange cubic, edges clamped)."""
    n = x.shape[0]
    i = np.floor(pos).astype(np.int64)
    mu = pos - i
    idx = np.clip(i[:, None] + np.arange(-1, 3)[None, :], 0, n - 1)
    w = np.stack([-mu * (mu - 1) * (mu - 2) / 6, (mu + 1) * (mu - 1) * (mu - 2) / 2,
                  -(mu + 1) * mu * (mu - 2) / 2, (mu + 1) * mu * (mu - 1) / 6], axis=1)
    out: np.ndarray = np.einsum("ij,ij->i", x[idx], w)
    return out


def phase_align(base_crossings: np.ndarray, n: int, src_crossings: np.ndarray, *, start: int = 0,
                first_cycle: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Where base samples ``start .. n-1`` fall in the source recording.

    Parameters
    ----------
    base_crossings, src_crossings : ndarray
        Rising voltage zero crossings (fractional samples) of the base and
        of the source recording.
    n : int
        Number of base samples.
    start : int
        First base sample to map (the load's switch-on).
    first_cycle : int
        Source cycle (counted from its first complete cycle) played in the
        base cycle that holds ``start``; later base cycles play the next
        source cycles, in reflected order past the recording's end.

    Returns
    -------
    pos : ndarray of float
        Fractional source sample position of each base sample ``start..n-1``.
    cycle : ndarray of int
        Source cycle index (into ``src_crossings``) of each.
    """
    base_crossings = _crossings(base_crossings, "base_crossings")
    src_crossings = _crossings(src_crossings, "src_crossings")
    if not (0 <= int(start) <= int(n)):
        raise InputError(f"need 0 <= start <= n samples, got start={start!r}, n={n!r}")
    b, n_before = _extended(base_crossings, float(start) - 1.0, float(n))
    t = np.arange(start, n, dtype=np.float64)
    k = np.searchsorted(b, t, side="right") - 1                  # base cycle of each sample
    phi = (t - b[k]) / (b[k + 1] - b[k])
    m = src_crossings.shape[0] - 1                                # complete source cycles
    j = _reflect(k - (k[0] if t.shape[0] else 0) + first_cycle, m)
    pos = src_crossings[j] + phi * (src_crossings[j + 1] - src_crossings[j])
    return pos, j


@dataclass
class Component:
    """One load of a :class:`Circuit` (its current on the base grid, A; zero while off)."""

    label: str
    current: np.ndarray
    on_sample: int
    off_sample: int


class Circuit:
    """Loads added onto one mains voltage.

    Parameters
    ----------
    voltage : array_like
        The base voltage (V), the circuit's mains.
    fs : float
        Sample rate, Hz; every load added must have the same.
    mains_hz : float or None
        Nominal mains frequency, Hz (None: 45–65 Hz).
    """

    def __init__(self, voltage: Any, fs: float, *, mains_hz: float | None = None) -> None:
        self.voltage = _samples(voltage, "the base voltage").copy()
        self.fs = _sample_rate(fs)
        self.mains_hz = mains_hz
        self._crossings = voltage_cycles(self.voltage, self.fs, mains_hz=mains_hz)
        self.components: list[Component] = []

    @classmethod
    def from_recording(cls, recording: Any, *, label: str | None = "base", duration_s: float | None = None,
                       mains_hz: float | None = None) -> Circuit:
        """A circuit on the voltage of ``recording`` (an :class:`~currentprint.io.Recording`).

        Its own current becomes the first load (unless ``label`` is None).
        With ``duration_s`` longer than the recording its voltage (and
        current) are played on in reflected cycle order.
        """
        i, v = _physical(recording)
        if duration_s is not None and duration_s * recording.fs > v.shape[0]:
            crossings = voltage_cycles(v, recording.fs, mains_hz=mains_hz)
            # the recording on its own grid, played on: inside it every sample maps onto itself
            pos, _ = phase_align(crossings, int(round(duration_s * recording.fs)), crossings,
                                 first_cycle=-1 if crossings[0] > 0 else 0)
            v = _cubic(v, pos)
            i = _cubic(i, pos)
        circuit = cls(v, recording.fs, mains_hz=mains_hz)
        if label is not None:
            circuit.components.append(Component(label, i.copy(), 0, i.shape[0]))
        return circuit

    def __len__(self) -> int:
        return int(self.voltage.shape[0])

    @property
    def current(self) -> np.ndarray:
        """Total current of the circuit (A): the sum of every component."""
        total = np.zeros_like(self.voltage)
        for comp in self.components:
            total += comp.current
        return total

    def _window(self, on_s: float, off_s: float | None) -> tuple[int, int]:
        a = int(round(on_s * self.fs))
        b = len(self) if off_s is None else int(round(off_s * self.fs))
        if not (0 <= a < b <= len(self)):
            raise InputError(f"on_s={on_s!r}, off_s={off_s!r} outside the circuit's 0–{len(self) / self.fs:g} s")
        return a, b

    def add_current(self, current: Any, voltage: Any, fs: float, *, label: str, on_s: float = 0.0,
                    off_s: float | None = None, resistive: bool = False, first_cycle: int = 0) -> Circuit:
        """Add a load recorded as ``current`` (A) on its own ``voltage`` (V).

        Parameters
        ----------
        resistive : bool
            Follow the base voltage exactly (conductance per cycle times the
            base voltage, plus the recording's residual).
        first_cycle : int
            Recording cycle played first, at the switch-on.
        """
        if float(fs) != self.fs:
            raise InputError(f"the load was recorded at {fs:g} Hz, the circuit runs at {self.fs:g} Hz")
        i = _samples(current, "the load's current")
        v = _samples(voltage, "the load's voltage")
        if i.shape != v.shape:
            raise InputError("current and voltage of a load must be 1-D arrays of one length")
        src = voltage_cycles(v, self.fs, mains_hz=self.mains_hz)
        a, b = self._window(on_s, off_s)
        pos, j = phase_align(self._crossings, b, src, start=a, first_cycle=first_cycle)
        out = np.zeros_like(self.voltage)
        if resistive:
            g = _conductance(i, v, src)
            residual = i - _per_sample(g, src, i.shape[0]) * v
            out[a:b] = g[j] * self.voltage[a:b] + _cubic(residual, pos)
        else:
            out[a:b] = _cubic(i, pos)
        self.components.append(Component(label, out, a, b))
        return self

    def add_recording(self, recording: Any, *, label: str | None = None, on_s: float = 0.0,
                      off_s: float | None = None, resistive: bool = False, first_cycle: int = 0) -> Circuit:
        """Add the load of an :class:`~currentprint.io.Recording` (calibrated to A and V first)."""
        i, v = _physical(recording)
        name = label or str(recording.meta.get("label", f"load {len(self.components)}"))
        return self.add_current(i, v, recording.fs, label=name, on_s=on_s, off_s=off_s, resistive=resistive,
                                first_cycle=first_cycle)

    def add_branch(self, current: Any, *, label: str, on_s: float = 0.0, off_s: float | None = None) -> Circuit:
        """Add a current already on this circuit's grid (A), e.g. a synthetic arcing branch."""
        i = _samples(current, "the branch current")
        a, b = self._window(on_s, off_s)
        if i.shape != (b - a,) and i.shape != self.voltage.shape:
            raise InputError(f"a branch current needs {b - a} samples (or {len(self)}), got {i.shape}")
        out = np.zeros_like(self.voltage)
        out[a:b] = i if i.shape == (b - a,) else i[a:b]
        self.components.append(Component(label, out, a, b))
        return self

    def truth(self) -> list[dict[str, Any]]:
        """What ran when: label, on/off (s and samples), mean power (W) and energy (Wh) of each load."""
        rows = []
        for comp in self.components:
            a, b = comp.on_sample, comp.off_sample
            p = comp.current[a:b] * self.voltage[a:b]
            rows.append({"label": comp.label, "on_s": a / self.fs, "off_s": b / self.fs, "on_sample": a,
                         "off_sample": b, "mean_power_w": float(np.mean(p)) if b > a else 0.0,
                         "energy_wh": float(np.sum(p)) / self.fs / 3600.0})
        return rows


def _physical(recording: Any) -> tuple[np.ndarray, np.ndarray]:
    """Current (A) and voltage (V) of a recording, its calibration applied (phase correction aside)."""
    if recording.voltage is None:
        raise InputError("a recording without voltage cannot be placed on another mains (no cycle phase)")
    cal = recording.calibration
    i = np.asarray(recording.current, dtype=np.float64)
    v = np.asarray(recording.voltage, dtype=np.float64)
    if cal is not None:
        i = (i - cal.current_offset) * cal.current_scale * cal.current_sign
        v = (v - cal.voltage_offset) * cal.voltage_scale
    return i, v


def _conductance(i: np.ndarray, v: np.ndarray, crossings: np.ndarray) -> np.ndarray:
    """Least-squares conductance (S) of every complete cycle between crossings."""
    edges = np.clip(np.ceil(crossings).astype(np.int64), 0, i.shape[0])
    civ = np.concatenate([[0.0], np.cumsum(i * v)])
    cvv = np.concatenate([[0.0], np.cumsum(v * v)])
    iv = civ[edges[1:]] - civ[edges[:-1]]
    vv = cvv[edges[1:]] - cvv[edges[:-1]]
    out: np.ndarray = iv / np.where(vv > 0, vv, np.inf)
    return out


def _per_sample(g: np.ndarray, crossings: np.ndarray, n: int) -> np.ndarray:
    """Per-cycle values spread over the samples (edge cycles extend outwards)."""
    k = np.searchsorted(np.ceil(crossings), np.arange(n), side="right") - 1
    return g[np.clip(k, 0, g.shape[0] - 1)]


# ---------------------------------------------------------------------------
# Synthetic arcing branches and masking loads on a circuit's voltage
# (issue 11: IEC 62606 masking tests). All currents in A, seeded, built from
# the base voltage and its cycle phase, so they add to real recordings.
# ---------------------------------------------------------------------------

MASKING_LOADS = ("resistive", "smps", "capacitor_input", "dimmer", "brush_motor", "vacuum_cleaner",
                 "electronic_transformer", "led_driver")


def mains_phase(voltage: Any, fs: float, *, mains_hz: float | None = None) -> np.ndarray:
    """Phase of the voltage fundamental at every sample, rad (0 at each rising zero crossing).

    Linear between the rising zero crossings of :func:`voltage_cycles`,
    extended by the median period before the first and after the last.
    """
    v = _samples(voltage, "voltage")
    c, n_before = _extended(voltage_cycles(v, fs, mains_hz=mains_hz), -1.0, float(v.shape[0]))
    t = np.arange(v.shape[0], dtype=np.float64)
    k = np.searchsorted(c, t, side="right") - 1
    phase: np.ndarray = 2.0 * np.pi * ((k - n_before) + (t - c[k]) / (c[k + 1] - c[k]))
    return phase


def _rms(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(v * v))) if v.shape[0] else 0.0


def arcing_branch(voltage: Any, fs: float, *, i_rms: float, kind: str = "resistive", start_s: float = 0.0,
                  seed: int = 0, lag_deg: float | None = None, dead_ms: tuple[float, float] = (0.3, 2.0),
                  before_zero: tuple[float, float] = (0.0, 0.4), skip_prob: float = 0.05,
                  drop: tuple[float, float] = (0.03, 0.2), noise_rel: float = 0.02) -> np.ndarray:
    """Current (A) of a load with a series arc in its cord, on ``voltage``.

    The load draws ``i_rms`` (A RMS without the arc): ``kind="resistive"``
    follows the voltage, ``"motor"`` is a sine lagging by ``lag_deg``
    (default: random 20–45°, seeded). From ``start_s`` on a series arc burns
    (after the test arcs of IEC 62606 / UL 1699; Gregory, Wong & Dvorak,
    *IEEE Trans. Ind. Appl.* 40(4), 2004): around each zero of the load
    current the arc is out for a random dead time (``dead_ms``, uniform; a
    share ``before_zero`` of it before the zero, where the arc goes out as
    the current falls), then re-ignites and the current steps back to the
    load's value; a half-cycle stays dark with ``skip_prob``; the conducting
    part is lowered by the arc voltage (``drop``, uniform per half-cycle)
    and carries broadband noise (``noise_rel`` of the peak).

    Parameters
    ----------
    voltage : array_like
        The circuit's voltage, V.
    fs : float
        Sample rate, Hz.
    i_rms : float
        Load current without the arc, A RMS.
    kind : {"resistive", "motor"}
    start_s : float
        When the arc starts, s.
    seed : int
        Random seed (every random draw comes from it).

    Returns
    -------
    numpy.ndarray
        The branch current, A.
    """
    if kind not in ("resistive", "motor"):
        raise InputError(f"kind must be 'resistive' or 'motor', got {kind!r}")
    if not (math.isfinite(i_rms) and i_rms >= 0):
        raise InputError(f"i_rms must be a finite current >= 0 A, got {i_rms!r}")
    rng = np.random.default_rng(seed)
    v = _samples(voltage, "voltage")
    th = mains_phase(v, fs)
    n = v.shape[0]
    if kind == "resistive":
        lag = 0.0
        i = v * (i_rms / max(_rms(v), 1e-12))
    else:
        lag = float(rng.uniform(20.0, 45.0)) if lag_deg is None else float(lag_deg)
        i = math.sqrt(2.0) * i_rms * np.sin(th - math.radians(lag))
    psi = th - math.radians(lag)                      # phase of the load current
    half = np.floor(psi / math.pi).astype(np.int64)
    u = psi - half * math.pi                          # position in the load's half-cycle, rad
    h0 = int(half[0])
    nh = int(half[-1]) - h0 + 2
    hz = (th[-1] - th[0]) / (2.0 * math.pi) / (n / fs) if n > 1 else 50.0
    rad_per_ms = 2.0 * math.pi * hz * 1e-3
    dead = rng.uniform(*dead_ms, nh) * rad_per_ms
    pre = dead * rng.uniform(*before_zero, nh)
    skip = rng.random(nh) < skip_prob
    gain = 1.0 - rng.uniform(*drop, nh)
    j = half - h0
    conducting = (u >= dead[j] - pre[j]) & (u < math.pi - pre[j + 1]) & ~skip[j]
    peak = math.sqrt(2.0) * i_rms
    arced = np.where(conducting, i * gain[j] + rng.normal(0.0, noise_rel * peak, n), 0.0)
    arced += np.where(conducting, 0.0, rng.normal(0.0, 0.002 * peak, n))   # leakage / sensor noise
    on = np.arange(n) >= int(round(start_s * fs))
    return np.where(on, arced, i)


def masking_load(kind: str, voltage: Any, fs: float, *, power_w: float = 1000.0, seed: int = 0,
                 firing_deg: float = 90.0, knob_deg_per_s: float = 0.0) -> np.ndarray:
    """Current (A) of a masking load of IEC 62606 kind ``kind`` on ``voltage``.

    Kinds (:data:`MASKING_LOADS`; every model repeats itself from cycle to
    cycle except for the random parts named):

    * ``"resistive"`` — ``v / R``;
    * ``"smps"`` / ``"capacitor_input"`` — bridge rectifier into a
      capacitor (2 / 0.5 µF per W) feeding a constant-power load, charging
      through 1 Ω / 3 Ω: current pulses near the voltage peaks;
    * ``"dimmer"`` — leading-edge TRIAC into a lamp, firing at
      ``firing_deg`` (±0.3° jitter), moving by ``knob_deg_per_s`` (a knob
      being turned, bouncing between 30° and 150°);
    * ``"brush_motor"`` — universal motor: lagging sine with the commutator's
      ripple (12 slots at 18,000 rpm, aliased) and 3 % random sparking noise;
    * ``"vacuum_cleaner"`` — a brush motor whose current also wanders with
      the airflow (1–4 Hz, ±5 %);
    * ``"electronic_transformer"`` — halogen electronic transformer: a
      resistive current that only flows once the voltage exceeds the
      oscillator's start voltage (~25 V) in each half-cycle;
    * ``"led_driver"`` — small-capacitor rectifier (0.2 µF per W, 20 Ω)
      with switching ripple aliased in as 3 % noise.

    Parameters
    ----------
    kind : str
    voltage : array_like
        The circuit's voltage, V.
    fs : float
        Sample rate, Hz.
    power_w : float
        Approximate real power, W.
    seed : int
        Random seed.
    """
    if kind not in MASKING_LOADS:
        raise InputError(f"kind must be one of {MASKING_LOADS}, got {kind!r}")
    if not (math.isfinite(power_w) and power_w > 0):
        raise InputError(f"power_w must be a finite power > 0 W, got {power_w!r}")
    rng = np.random.default_rng(seed)
    v = _samples(voltage, "voltage")
    fs = _sample_rate(fs)
    n = v.shape[0]
    vr = max(_rms(v), 1e-9)
    t = np.arange(n) / fs
    th = mains_phase(v, fs)
    if kind == "resistive":
        return v * (power_w / vr ** 2)
    if kind in ("smps", "capacitor_input", "led_driver"):
        c_per_w, r_s, noise = {"smps": (2e-6, 1.0, 0.0), "capacitor_input": (0.5e-6, 3.0, 0.0),
                               "led_driver": (0.2e-6, 20.0, 0.03)}[kind]
        return _rectifier(v, fs, power_w, c_per_w * power_w, r_s) + noise * power_w / vr * rng.normal(0, 1, n)
    if kind == "dimmer":
        half = np.floor(th / math.pi).astype(np.int64)
        jit = rng.normal(0.0, 0.3, int(half[-1] - half[0]) + 1)[half - half[0]]
        # a knob bouncing between 30 and 150 degrees at knob_deg_per_s
        span = 120.0
        x = np.mod(firing_deg - 30.0 + knob_deg_per_s * t, 2 * span)
        alpha = 30.0 + np.where(x < span, x, 2 * span - x)
        if knob_deg_per_s == 0.0:
            alpha = np.full(n, float(firing_deg))
        on = np.degrees(np.mod(th, math.pi)) >= alpha + jit
        return np.where(on, v * (power_w / vr ** 2) * 2.0, 0.0)
    if kind in ("brush_motor", "vacuum_cleaner"):
        i_rms = power_w / (vr * 0.9)
        base = math.sqrt(2.0) * i_rms * np.sin(th - math.radians(25.0))
        f_comm = 12 * 18000.0 / 60.0
        ripple = 1.0 + 0.05 * np.sin(2 * math.pi * f_comm * t)
        if kind == "vacuum_cleaner":
            f_air = rng.uniform(1.0, 4.0)
            ripple = ripple * (1.0 + 0.05 * np.sin(2 * math.pi * f_air * t + rng.uniform(0, 2 * math.pi)))
        return base * ripple * (1.0 + 0.03 * rng.normal(0.0, 1.0, n))
    # electronic transformer
    g = power_w / vr ** 2 * 1.05
    return np.where(np.abs(v) >= 25.0, v * g, 0.0) * (1.0 + 0.01 * rng.normal(0.0, 1.0, n))


def _rectifier(v: np.ndarray, fs: float, power_w: float, c_f: float, r_s: float) -> np.ndarray:
    """Bridge rectifier into capacitor ``c_f`` with a constant-power load; line current, A."""
    dt = 1.0 / fs
    va = np.abs(v)
    vpk = float(np.max(va[: int(fs / 45)])) if va.shape[0] else 0.0
    vc = 0.95 * vpk
    out = np.empty_like(v)
    for k in range(v.shape[0]):
        i_in = max(0.0, (va[k] - 1.4 - vc) / r_s)
        # constant power while the capacitor holds above 60 % of the peak (the converter's input range)
        vc = max(0.0, vc + (i_in - power_w / max(vc, 0.6 * vpk, 1.0)) * dt / c_f)
        out[k] = i_in
    signed: np.ndarray = out * np.sign(v)
    return signed
