"""CycleTable: one row per complete mains cycle, stored column by column."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from numpy.typing import NDArray

from .. import _core

__all__ = ["CycleTable", "COLUMNS", "COLUMN_DOCS", "align_waves"]

_F = NDArray[np.float64]
_C = NDArray[np.complex128]

COLUMNS: tuple[str, ...] = tuple(_core.COLUMNS)
_INDEX = {name: k for k, name in enumerate(COLUMNS)}

#: one-line definition and unit of every column
COLUMN_DOCS: dict[str, str] = {
    "start": "cycle start: rising zero crossing of the voltage (or filtered current), sub-sample position in input samples",
    "period": "cycle length, samples",
    "frequency": "mains frequency of this cycle, Hz",
    "i_rms": "current RMS, A",
    "v_rms": "voltage RMS, V",
    "i_peak": "largest |current| sample in the cycle, A",
    "v_peak": "largest |voltage| sample in the cycle, V",
    "i_dc": "mean current, A",
    "v_dc": "mean voltage, V",
    "p": "active power (mean of v*i), W",
    "q": "fundamental reactive power Im(V1 conj(I1)), var; inductive (current lagging) positive",
    "s": "apparent power v_rms * i_rms, VA",
    "pf": "power factor p / s",
    "dpf": "displacement power factor cos(angle(V1) - angle(I1))",
    "thd": "current total harmonic distortion sqrt(sum_{k=2..H} |I_k|^2) / |I_1| (fundamental-referenced); "
           "NaN when |I_1| is below the analyzer's thd_floor (no load: noise only)",
    "v_thd": "voltage total harmonic distortion, fundamental-referenced",
    "crest": "current crest factor i_peak / i_rms",
    "i_residual": "RMS of the current not explained by DC and harmonics 1..H, A",
    "i_clipped": "number of current samples at ADC full scale",
    "v_clipped": "number of voltage samples at ADC full scale",
    "hc_peak_pos": "peak of the positive current half-cycle, A",
    "hc_peak_neg": "peak of the negative current half-cycle (as a positive number), A",
    "hc_rms_pos": "RMS over the positive current half-cycle, A",
    "hc_rms_neg": "RMS over the negative current half-cycle, A",
    "shoulder_pos": "samples with |i| <= shoulder_fraction * half peak around the zero that starts the positive half",
    "shoulder_neg": "the same around the zero that starts the negative half, samples",
    "step_pos": "largest |i[n] - i[n-1]| in the positive half, relative to its peak",
    "step_neg": "largest |i[n] - i[n-1]| in the negative half, relative to its peak",
    "i_zero": "rising zero of the current's fundamental, absolute sub-sample position",
}


def align_waves(w: _F, start: _F, period: _F) -> _F:
    """Shift resampled cycles so that each starts at its sub-sample ``start``.

    The kernel's grid starts at the first whole sample after the crossing,
    ``ceil(start)``; each row is delayed by that fraction of its ``period``
    (a phase rotation of its spectrum, exact for the band-limited cycle).

    Parameters
    ----------
    w : ndarray, shape (cycles, n_points)
        Rows of :attr:`CycleTable.raw_waves`.
    start, period : ndarray, shape (cycles,)
        The table's ``start`` and ``period`` columns for those rows, samples.
    """
    if w.shape[0] == 0:
        return w.copy()
    frac = (np.ceil(start) - start) / period
    spec = np.fft.rfft(w, axis=1)
    k = np.arange(spec.shape[1])
    spec *= np.exp(-2j * np.pi * k[None, :] * frac[:, None])
    return np.fft.irfft(spec, n=w.shape[1], axis=1)


def _column(name: str) -> property:
    k = _INDEX[name]

    def get(self: "CycleTable") -> _F:
        col: _F = self._data[k]
        return col

    return property(get, doc=COLUMN_DOCS[name])


class CycleTable:
    """Per-cycle description of a current (and voltage) signal.

    Every attribute named in :data:`COLUMNS` is a float64 array with one
    value per complete cycle (see :data:`COLUMN_DOCS` for units). Harmonic
    phasors are complex RMS values, ``harmonics[:, k - 1]`` being harmonic k,
    with phases relative to the voltage fundamental (``arg(X_k) - k arg(V_1)``,
    so that V_1 is real and positive). Without a voltage channel the
    phase-referenced quantities (``p, q, s, pf, dpf, harmonics`` phases,
    voltage columns) are NaN; magnitudes stay available through
    :attr:`harmonic_magnitudes`.

    Tables are returned by :func:`currentprint.analyze` and
    :meth:`currentprint.CycleAnalyzer.push`; index them with an int, slice or
    boolean mask to get a sub-table.

    Examples
    --------
    One second of a 2.2 kW resistive load (220 V RMS, 10 A RMS) at 6.4 kHz:

    >>> import numpy as np
    >>> import currentprint as cp
    >>> from currentprint.synth import sine
    >>> table = cp.analyze(sine(6400, 6400.0, amplitude=14.142), sine(6400, 6400.0, amplitude=311.13), fs=6400.0)
    >>> round(float(np.median(table.p)), -1), round(float(np.median(table.pf)), 6)
    (2200.0, 1.0)
    >>> late = table[table.time > 0.5]          # a boolean mask gives a sub-table
    >>> len(late) < len(table), bool(late.time.min() > 0.5)
    (True, True)
    """

    __slots__ = ("_data", "_harm_i", "_harm_v", "_waves", "fs", "has_voltage", "n_points", "calibrated")

    # The columns, for type checkers and readers: each is a read-only property
    # made from COLUMNS below (tests check the two lists agree), float64, one
    # value per cycle; units in COLUMN_DOCS.
    start: _F
    period: _F
    frequency: _F
    i_rms: _F
    v_rms: _F
    i_peak: _F
    v_peak: _F
    i_dc: _F
    v_dc: _F
    p: _F
    q: _F
    s: _F
    pf: _F
    dpf: _F
    thd: _F
    v_thd: _F
    crest: _F
    i_residual: _F
    i_clipped: _F
    v_clipped: _F
    hc_peak_pos: _F
    hc_peak_neg: _F
    hc_rms_pos: _F
    hc_rms_neg: _F
    shoulder_pos: _F
    shoulder_neg: _F
    step_pos: _F
    step_neg: _F
    i_zero: _F

    def __init__(self, data: _F, harm_i: _C, harm_v: _C, *, fs: float,
                 has_voltage: bool, n_points: int, waves: tuple[_F, _F] | None = None,
                 calibrated: bool = True) -> None:
        self._data = data
        self._harm_i = harm_i
        self._harm_v = harm_v
        self._waves = waves
        self.fs = float(fs)
        self.has_voltage = bool(has_voltage)
        self.n_points = int(n_points)
        #: True when values are in A/V/W: a Calibration was given or the input
        #: was float; False for raw integer ADC counts without one, where
        #: detectors must use relative thresholds only
        self.calibrated = bool(calibrated)

    # -- construction -----------------------------------------------------
    @classmethod
    def _from_kernel(cls, data: _F, harm_i: _C, harm_v: _C, fs: float, has_voltage: bool, n_points: int,
                     waves: tuple[_F, _F] | None, calibrated: bool) -> "CycleTable":
        """``CycleTable(...)`` for the analyser, whose arguments already have their types (a
        terminal makes one table per cycle pushed; this skips the keyword call and conversions)."""
        t = object.__new__(cls)
        t._data = data
        t._harm_i = harm_i
        t._harm_v = harm_v
        t._waves = waves
        t.fs = fs
        t.has_voltage = has_voltage
        t.n_points = n_points
        t.calibrated = calibrated
        return t

    @classmethod
    def empty(cls, harmonics: int, *, fs: float, has_voltage: bool, n_points: int,
              waveforms: bool = False, calibrated: bool = True) -> "CycleTable":
        """A table with no cycles."""
        waves = (np.empty((0, n_points)), np.empty((0, n_points))) if waveforms else None
        return cls(np.empty((len(COLUMNS), 0)), np.empty((0, harmonics), complex),
                   np.empty((0, harmonics), complex), fs=fs, has_voltage=has_voltage, n_points=n_points,
                   waves=waves, calibrated=calibrated)

    @classmethod
    def concatenate(cls, tables: Iterable["CycleTable"]) -> "CycleTable":
        """Join tables of the same stream, in order."""
        tables = list(tables)
        if not tables:
            raise ValueError("concatenate needs at least one table")
        t0 = tables[0]
        waves = None
        parts = [t._waves for t in tables]
        if all(w is not None for w in parts):
            pairs = [w for w in parts if w is not None]
            waves = (np.concatenate([w[0] for w in pairs]), np.concatenate([w[1] for w in pairs]))
        return cls(np.concatenate([t._data for t in tables], axis=1),
                   np.concatenate([t._harm_i for t in tables], axis=0),
                   np.concatenate([t._harm_v for t in tables], axis=0),
                   fs=t0.fs, has_voltage=t0.has_voltage, n_points=t0.n_points, waves=waves,
                   calibrated=t0.calibrated)

    # -- container protocol -------------------------------------------------
    def __len__(self) -> int:
        return int(self._data.shape[1])

    def __getitem__(self, key: int | np.integer[Any] | slice | NDArray[Any]) -> "CycleTable":
        if isinstance(key, (int, np.integer)):
            n = len(self)
            if not -n <= key < n:
                raise IndexError(f"cycle {key} out of range for a table of {n} cycles")
            key = slice(key, key + 1 if key != -1 else None)
        waves = None if self._waves is None else (self._waves[0][key], self._waves[1][key])
        return CycleTable(self._data[:, key], self._harm_i[key], self._harm_v[key], fs=self.fs,
                          has_voltage=self.has_voltage, n_points=self.n_points, waves=waves,
                          calibrated=self.calibrated)

    def __repr__(self) -> str:
        if len(self) == 0:
            return f"CycleTable(0 cycles, fs={self.fs:g} Hz)"
        unit = "A" if self.calibrated else "counts (uncalibrated)"
        return (f"CycleTable({len(self)} cycles, fs={self.fs:g} Hz, "
                f"{np.nanmedian(self.frequency):.3f} Hz mains, median i_rms={np.nanmedian(self.i_rms):.4g} {unit}, "
                f"voltage={'yes' if self.has_voltage else 'no'})")

    # -- columns ------------------------------------------------------------
    locals().update({name: _column(name) for name in COLUMNS})

    @property
    def n_harmonics(self) -> int:
        """Highest harmonic order H stored."""
        return int(self._harm_i.shape[1])

    @property
    def time(self) -> _F:
        """Cycle start in seconds from the first input sample."""
        return self.start / self.fs

    @property
    def harmonics(self) -> _C:
        """Current harmonic phasors 1..H, complex RMS A, shape (cycles, H); NaN without voltage."""
        if not self.has_voltage:
            return np.full(self._harm_i.shape, np.nan + 1j * np.nan)
        return self._harm_i

    @property
    def v_harmonics(self) -> _C:
        """Voltage harmonic phasors 1..H, complex RMS V; NaN without voltage."""
        if not self.has_voltage:
            return np.full(self._harm_v.shape, np.nan + 1j * np.nan)
        return self._harm_v

    @property
    def has_waveforms(self) -> bool:
        """True when the resampled cycles were kept (``waveforms=True``)."""
        return self._waves is not None

    @property
    def has_voltage_waveforms(self) -> bool:
        """True when the voltage's resampled cycles were kept too (``waveforms=True`` with a voltage).

        False without waveforms, without a voltage (its rows are NaN) and with
        ``waveforms="current"`` (the current's cycles alone; a kept voltage cycle
        is never NaN: NaN input is refused).
        """
        if self._waves is None or not self.has_voltage:
            return False
        return not bool(np.isnan(self._waves[1][:, 0]).any())

    def _aligned(self, w: _F) -> _F:
        return align_waves(w, self.start, self.period)

    @property
    def raw_waves(self) -> tuple[_F, _F]:
        """The kernel's resampled cycles (current A, voltage V), not yet aligned.

        Each row starts at the first whole sample after the cycle's start;
        :func:`align_waves` with ``start`` and ``period`` shifts rows onto the
        voltage zero (what :attr:`i_wave` does). Keeping rows raw and aligning
        only those needed saves an FFT per cycle in streaming detectors.
        """
        if self._waves is None:
            raise AttributeError("this table has no waveforms; analyse with waveforms=True")
        return self._waves

    @property
    def i_wave(self) -> _F:
        """Each cycle's current resampled to ``n_points`` values starting at its voltage zero, A.

        Shape (cycles, n_points). Needs ``waveforms=True`` at analysis.
        """
        return self._aligned(self.raw_waves[0])

    @property
    def v_wave(self) -> _F:
        """Each cycle's voltage resampled to ``n_points`` values starting at its zero, V."""
        return self._aligned(self.raw_waves[1])

    @property
    def harmonic_magnitudes(self) -> _F:
        """|I_k| for k = 1..H, A RMS, shape (cycles, H); available without voltage."""
        return np.abs(self._harm_i)

    @property
    def harmonic_phases(self) -> _F:
        """Phase of I_k relative to the voltage fundamental, rad; NaN without voltage."""
        return np.angle(self.harmonics)

    def harmonic(self, k: int) -> _C:
        """Current phasor of harmonic ``k`` (1-based), complex RMS A."""
        if not 1 <= k <= self.n_harmonics:
            raise IndexError(f"harmonic {k} not stored (1..{self.n_harmonics})")
        return self.harmonics[:, k - 1]

    @property
    def half_cycles(self) -> dict[str, _F]:
        """Half-cycle arc evidence as (cycles, 2) arrays: [positive, negative] halves."""
        out: dict[str, _F] = {}
        for name in ("hc_peak", "hc_rms", "shoulder", "step"):
            out[name] = np.stack([self._data[_INDEX[name + "_pos"]], self._data[_INDEX[name + "_neg"]]], axis=1)
        return out

    # -- export -------------------------------------------------------------
    def column(self, name: str) -> _F:
        """Column by name (see :data:`COLUMNS`)."""
        try:
            col: _F = self._data[_INDEX[name]]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns are {', '.join(COLUMNS)}") from None
        return col

    def to_dict(self, *, harmonics: bool = True) -> dict[str, _F]:
        """Columns as a dict of arrays; harmonic magnitudes/phases as ``i_h{k}_rms`` etc."""
        out = {name: self._data[k].copy() for k, name in enumerate(COLUMNS)}
        if harmonics:
            mag = self.harmonic_magnitudes
            ph = self.harmonic_phases
            for k in range(self.n_harmonics):
                out[f"i_h{k + 1}_rms"] = mag[:, k]
                out[f"i_h{k + 1}_phase"] = ph[:, k]
        return out

    def to_pandas(self, *, harmonics: bool = False) -> Any:
        """A :class:`pandas.DataFrame`, one row per cycle (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas needs pandas: pip install 'currentprint[pandas]'") from None
        return pd.DataFrame(self.to_dict(harmonics=harmonics))
