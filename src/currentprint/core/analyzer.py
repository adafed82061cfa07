"""Per-cycle analysis: batch (:func:`analyze`) and streaming (:class:`CycleAnalyzer`)."""

from __future__ import annotations

import math
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

from .. import _core
from .cycles import CycleTable
from .._state import check_array, check_float, check_int, check_keys
from ..errors import (ClippingWarning, CorruptFileError, InputError, InputWarning, MainsFrequencyError,
                      NonFiniteError, NoZeroCrossingError, SampleRateError)
from .framing import diagnose_frequency, frequency_limits, fundamental_sos, scan_decay
from .signal import Calibration, as_pair, check_fs, clip_level

__all__ = ["CycleAnalyzer", "analyze", "analyze_many", "default_n_points", "default_harmonics", "THD_FLOOR_A",
           "THD_FLOOR_COUNTS"]

#: default harmonic order: IEC 61000-4-7 evaluates harmonics up to order 40; 25 covers what appliance
#: signatures and the arc criteria use, and is resolved by 6.4 kHz sampling at 65 Hz mains
MAX_DEFAULT_HARMONICS = 25

#: THD is NaN when the fundamental current is below this, A RMS (calibrated input):
#: below it sensor noise, not the load, makes the "harmonics"
THD_FLOOR_A = 0.01
#: the same for raw ADC counts, counts RMS: a fundamental of 2 counts RMS makes
#: quantisation noise alone (0.29 count RMS) a THD of the order of 10 %
THD_FLOOR_COUNTS = 2.0

# the kernel's waveform modes (CycleStream): none, both channels, the current's alone
_WAVE_MODES = {False: 0, True: 1, "current": 2}
_ANALYZE_OPTIONS = ("n_points", "shoulder_fraction", "hysteresis", "waveforms", "thd_floor")


def default_harmonics(fs: float, mains_hz: float | None = None) -> int:
    """The harmonics analysed by default: 25, or the highest order below Nyquist at the fastest mains accepted.

    ``analyze``, :class:`CycleAnalyzer`, the :class:`Monitor`, the command line
    and ``fingerprint`` all use it. At least 1; a sample rate too low for that
    is refused by the framing (fewer than 8 samples per cycle).
    """
    _, fmax = frequency_limits(mains_hz)
    return max(1, min(MAX_DEFAULT_HARMONICS, int(math.floor(float(fs) / (2.0 * fmax) - 1e-9))))

# sample types a saved stream may name (those the kernel reads)
_STATE_DTYPES = ("<f8", "<f4", "<i2")


def default_n_points(fs: float, mains_hz: float | None = None, harmonics: int | None = None) -> int:
    """Points each cycle is resampled to: the power of two >= 4/5 of the samples per cycle.

    128 at 6.4 and 8 kHz (50 or 60 Hz), 256 at 10 to 16 kHz, 512 at 20 to 32 kHz. The grid
    may be up to 20 % coarser than the samples (8 kHz / 50 Hz: 160 samples on 128 points;
    30 kHz: 600 on 512):
    content between the grid's Nyquist (order N/2) and the sampling Nyquist then folds onto
    orders above N minus half the longest period in samples, and the grid is doubled until
    every stored harmonic (``harmonics``) lies below that, so stored harmonics never alias.
    RMS, P and the residual keep the folded energy (a harmonic of order h < N folds onto
    N - h with its power).
    """
    f = 50.0 if mains_hz is None else float(mains_hz)
    n = max(16, 1 << math.ceil(math.log2(fs / f * 0.8 - 1e-9)))
    if harmonics is not None:
        fmin, _ = frequency_limits(mains_hz)
        while n - 0.5 * fs / fmin <= harmonics and n < MAX_N_POINTS:
            n *= 2
    return min(MAX_N_POINTS, n)


#: largest |sample| after calibration (A or V): squares and sums over a cycle stay finite
MAX_VALUE = 1e150
#: seconds of a stream without a single cycle after which push() warns once, naming the likely cause
_WATCH_S = 1.0
#: least share of a cycle's RMS voltage in its fundamental for it to count as a mains cycle
_MIN_FUNDAMENTAL = 0.7

#: most points a cycle is resampled to (memory: 16 bytes per point per cycle with waveforms)
MAX_N_POINTS = 2 ** 16

# the identity calibration (frozen, so one instance serves every analyser without one)
_NO_CALIBRATION = Calibration()
# the framing scan's (unused) filter when cycles are framed on the voltage; CycleStream copies it
_NO_FILTER = np.zeros((3, 5))


class CycleAnalyzer:
    """Streaming per-cycle analysis of current (and voltage) samples.

    Push chunks of any size; each :meth:`push` returns the cycles that chunk
    completed. Concatenating the returned tables gives exactly the table
    :func:`analyze` returns for the whole signal. Memory does not grow with
    the length of the stream (about one cycle of samples is kept).

    Parameters
    ----------
    fs : float
        Sample rate, Hz.
    mains_hz : float or None
        Nominal mains frequency, Hz. ``None`` accepts any cycle between 45
        and 65 Hz; the frequency is measured per cycle in either case.
    harmonics : int or None
        Highest harmonic order H stored and used for THD. ``None`` (default):
        :func:`default_harmonics`, 25 or as many as ``fs`` resolves. An
        explicit order above Nyquist is an error, never reduced silently.
    calibration : Calibration or None
        Scales for ADC counts; ``None`` treats float input as A and V and
        integer input as uncalibrated counts. ``Calibration(counts=True)``
        applies sign, offsets, phase and full scale but keeps the values
        labelled as counts.
    n_points : int or None
        Points per resampled cycle (power of two); default
        :func:`default_n_points`.
    shoulder_fraction : float
        A current sample is "flat" (arc shoulder evidence) when
        ``|i| <= shoulder_fraction * half-cycle peak``.
    hysteresis : float
        Zero-crossing hysteresis as a fraction of the running peak.
    waveforms : bool or "current"
        Also keep every resampled cycle (``n_points`` values per channel)
        in the table, for :attr:`CycleTable.i_wave` / ``v_wave``
        (fingerprints, event steady states). Costs 16 bytes per point per
        cycle. ``"current"`` keeps the current's cycles alone (8 bytes per
        point per cycle, half the memory written; what
        :class:`~currentprint.detectors.ArcFaultDetector` reads): the
        table's voltage cycles are then a read-only all-NaN view.
    thd_floor : float or None
        The ``thd`` column is NaN in cycles whose fundamental current
        ``|I_1|`` is below this (A RMS, or counts RMS for uncalibrated
        input) or below the noise expected in harmonics 2..H (the cycle's
        ``i_residual`` times sqrt((H - 1) / (n_points/2 - H - 1)), white
        noise spread over all bins): without a load, noise makes "THD" of
        hundreds of percent. ``None`` (default): :data:`THD_FLOOR_A`
        (10 mA) for float input, :data:`THD_FLOOR_COUNTS` (2 counts) times
        the current scale for integer samples; 0 keeps every value.
    """

    def __init__(self, fs: float, mains_hz: float | None = None, harmonics: int | None = None,
                 calibration: Calibration | None = None, *, n_points: int | None = None,
                 shoulder_fraction: float = 0.05, hysteresis: float = 0.1, waveforms: bool | str = False,
                 thd_floor: float | None = None) -> None:
        self.fs = check_fs(fs)
        self.mains_hz = mains_hz
        fmin, fmax = frequency_limits(mains_hz)
        if self.fs < 8 * fmax:
            # before any harmonics advice: no harmonic order helps at this rate
            raise SampleRateError(
                f"fs={self.fs:g} Hz gives fewer than 8 samples per mains cycle at {fmax:g} Hz; "
                "sample at 1 kHz or more (6.4 kHz resolves 25 harmonics)."
            )
        if harmonics is None:
            harmonics = default_harmonics(self.fs, mains_hz)
        self.harmonics = harmonics
        self.calibration = calibration
        self.n_points = n_points
        self.shoulder_fraction = shoulder_fraction
        self.hysteresis = hysteresis
        if not (isinstance(waveforms, (bool, np.bool_)) or waveforms == "current"):
            raise InputError(f"waveforms must be True, False or \"current\", got {waveforms!r}.")
        self.waveforms: bool | str = waveforms if isinstance(waveforms, str) else bool(waveforms)
        for key, val in (("shoulder_fraction", shoulder_fraction), ("hysteresis", hysteresis)):
            if isinstance(val, bool) or not isinstance(val, (int, float, np.integer, np.floating)):
                raise InputError(f"{key} must be a number, got {val!r}.")
        if not 0.0 <= hysteresis < 1.0:
            raise InputError(f"hysteresis must be in [0, 1), got {hysteresis!r}.")
        if thd_floor is not None and not (isinstance(thd_floor, (int, float, np.floating, np.integer))
                                          and math.isfinite(thd_floor) and thd_floor >= 0):
            raise InputError(f"thd_floor must be a current >= 0 (A RMS, or counts) or None, got {thd_floor!r}.")
        self.thd_floor = thd_floor
        if isinstance(harmonics, bool) or not isinstance(harmonics, (int, np.integer)) or harmonics < 1:
            raise InputError(f"harmonics must be a positive integer, got {harmonics!r}.")
        h_max = int(math.floor(self.fs / (2.0 * fmax) - 1e-9))
        if harmonics > h_max:
            raise SampleRateError(
                f"fs={self.fs:g} Hz cannot resolve harmonic {harmonics} of {fmax:g} Hz mains "
                f"(Nyquist {self.fs / 2:g} Hz); pass harmonics<={h_max} or sample faster."
            )
        if n_points is not None and (isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer))):
            raise InputError(f"n_points must be an integer power of two, got {n_points!r}.")
        npts = default_n_points(self.fs, mains_hz, harmonics) if n_points is None else int(n_points)
        if npts < 4 or npts & (npts - 1) or harmonics >= npts // 2 or npts > MAX_N_POINTS:
            raise InputError(f"n_points must be a power of two above 2*harmonics and at most {MAX_N_POINTS}, "
                             f"got {n_points!r}.")
        if calibration is not None and not isinstance(calibration, Calibration):
            raise InputError("calibration must be a currentprint.Calibration or None.")
        if not (0.0 < shoulder_fraction < 1.0):
            raise InputError(f"shoulder_fraction must be in (0, 1), got {shoulder_fraction!r}.")
        self._npts = npts
        self._max_period = self.fs / fmin
        cal = calibration if calibration is not None else _NO_CALIBRATION
        self._cal = cal
        self._phase_rad = math.radians(cal.phase_deg)
        self.reset()

    # -- estimator-like API ---------------------------------------------------
    def get_params(self) -> dict:
        """Constructor parameters, unchanged."""
        return {"fs": self.fs, "mains_hz": self.mains_hz, "harmonics": self.harmonics,
                "calibration": self.calibration, "n_points": self.n_points,
                "shoulder_fraction": self.shoulder_fraction, "hysteresis": self.hysteresis,
                "waveforms": self.waveforms, "thd_floor": self.thd_floor}

    def reset(self) -> "CycleAnalyzer":
        """Forget the stream; the next push starts at sample 0."""
        self._stream: _core.CycleStream | None = None
        self._has_v: bool | None = None
        self._calibrated = True
        self._empty_table: CycleTable | None = None
        # the framing channel's first samples, kept only until a cycle is found or the first
        # _WATCH_S seconds were diagnosed (a stream with a wrong fs finds no cycle, silently)
        self._watch: list[np.ndarray] | None = []
        return self

    @property
    def samples_seen(self) -> int:
        """Samples pushed since the start (or the last reset)."""
        return 0 if self._stream is None else self._stream.total

    def _empty(self) -> CycleTable:
        if self._empty_table is None:  # zero-size arrays: safe to share
            self._empty_table = CycleTable.empty(self.harmonics, fs=self.fs, has_voltage=bool(self._has_v),
                                                 n_points=self._npts, waveforms=self.waveforms,
                                                 calibrated=self._calibrated)
        return self._empty_table

    def _start(self, has_v: bool, dtype: np.dtype) -> None:
        cal = self._cal
        # the framing scan's constants, as ZeroCrossingScanner makes them (its own state is not needed)
        _, fmax = frequency_limits(self.mains_hz)
        sos = fundamental_sos(self.fs, self.mains_hz) if not has_v else _NO_FILTER
        self._has_v = has_v
        self._stream = _core.CycleStream(
            self.fs, self._max_period, self.fs / fmax, self._npts, self.harmonics,
            cal.signed_current_scale, cal.current_offset, cal.voltage_scale, cal.voltage_offset,
            clip_level(dtype, self.calibration), self._phase_rad, self.shoulder_fraction,
            scan_decay(self.fs), self.hysteresis, sos, has_v, _WAVE_MODES[self.waveforms])
        self._clip_dtype = dtype.str
        self._calibrated = not cal.counts and (self.calibration is not None or dtype.kind == "f")
        if self.thd_floor is not None:
            self._thd_floor = float(self.thd_floor)
        elif dtype.kind == "f":
            self._thd_floor = THD_FLOOR_A
        else:
            self._thd_floor = THD_FLOOR_COUNTS * cal.current_scale
        # noise spread evenly over the n_points/2 bins puts this much of the out-of-band residual's
        # RMS into harmonics 2..H: a fundamental below it gives a THD made of noise
        h = self.harmonics
        self._noise_k = math.sqrt((h - 1) / max(1.0, self._npts / 2 - h - 1))

    # -- streaming ------------------------------------------------------------
    def push(self, current, voltage=None) -> CycleTable:
        """Add the next chunk of samples; return the cycles it completed.

        Parameters
        ----------
        current : array_like, 1-D
            Current samples (A, or ADC counts with a calibration).
        voltage : array_like, 1-D, optional
            Voltage samples of the same length. Give it on every push or on
            none.

        Returns
        -------
        CycleTable
            Possibly empty.

        Raises
        ------
        NonFiniteError
            NaN or infinity in the chunk (the stream is left unchanged).
        """
        i, v = self._prepare(current, voltage)
        if i.shape[0] == 0:
            return self._empty()
        table = self._push(i, v, v is not None)
        if self._watch is not None:
            self._watch_for_cycles(v if v is not None else i, len(table) > 0)
        return table

    def _watch_for_cycles(self, x: np.ndarray, found: bool) -> None:
        """Warn once when the first :data:`_WATCH_S` s of a stream completed no cycle, saying why."""
        if found:
            self._watch = None
            return
        assert self._watch is not None
        need = int(math.ceil(_WATCH_S * self.fs)) - sum(w.shape[0] for w in self._watch)
        self._watch.append(np.array(x[:need], copy=True))     # at most _WATCH_S s kept, whatever the chunk
        if need > x.shape[0]:
            return
        first = np.concatenate(self._watch)
        self._watch = None
        why = diagnose_frequency(first, self.fs, self.mains_hz)
        if why is None and self._has_v:
            why = ("the voltage has no usable rising zero crossings or mains-like cycles (is it DC, zero, "
                   "noise, or disconnected?); check the voltage channel, or push voltage=None to frame "
                   "cycles on the current")
        if why is not None:
            warnings.warn(f"no mains cycle in the first {_WATCH_S:g} s of the stream: {why}",
                          InputWarning, stacklevel=3)

    def _prepare(self, current, voltage) -> tuple[np.ndarray, np.ndarray | None]:
        """Checked arrays of one sample type; starts the stream on the first call."""
        i, v = as_pair(current, voltage, allow_empty=True, check_finite=False)
        has_v = v is not None
        if self._stream is None:
            self._start(has_v, i.dtype)
        elif has_v != self._has_v:
            raise InputError("this stream started " + ("with" if self._has_v else "without")
                             + " a voltage channel; give the voltage on every push or on none.")
        if i.shape[0] and i.dtype.kind in "iu":
            # float samples: the kernel checks the range in its NaN pass (stream_push, code 6)
            self._check_range(i, self._cal.current_scale, self._cal.current_offset, "current")
            if has_v:
                self._check_range(v, self._cal.voltage_scale, self._cal.voltage_offset, "voltage")
        if has_v and v.dtype != i.dtype:
            # the kernel reads one sample type per call; int16 with float -> float
            dt = np.result_type(i.dtype, v.dtype)
            dt = dt if dt in (np.float32, np.float64) else np.float64
            i, v = i.astype(dt), v.astype(dt)
        return i, v

    def _push(self, i: np.ndarray, v: np.ndarray | None, has_v: bool, executor=None, workers: int = 1) -> CycleTable:
        noise_k = self._noise_k
        # the kernel applies both screens below to each cycle it can decide clearly (``info``: flags
        # of the tests left to NumPy here; same decisions, see _core._screen)
        code, info, data, harm_i, harm_v, wave_i, wave_v = _stream_push(
            self._stream, i, v if has_v else i, executor, workers, MAX_VALUE, self._thd_floor, noise_k,
            _MIN_FUNDAMENTAL)
        if code != 0:
            if code == 6:
                if info == 0:
                    self._check_range(i, self._cal.current_scale, self._cal.current_offset, "current")
                else:
                    self._check_range(v, self._cal.voltage_scale, self._cal.voltage_offset, "voltage")
            if code == 4:
                which = "current" if info < i.shape[0] and not np.isfinite(i[info]) else "voltage"
                raise NonFiniteError(
                    f"{which} contains NaN or infinity (first at sample {self.samples_seen + info} of the stream); "
                    "replace dropouts (e.g. with 0 or interpolation) before analysing."
                )
            if code == 5:
                raise InputError(
                    "a cycle's values overflow float64 (samples or calibration scales near 1e308); "
                    "check the Calibration scales and the units of the input (the stream is left unchanged)."
                )
            raise RuntimeError(f"internal error in the cycle kernel: {_core.ERRORS.get(code, code)}")
        if data.shape[1] == 0:
            return self._empty()
        if info & _SCREEN_THD and self._thd_floor > 0:
            noise = data[_RESIDUAL] * noise_k
            data[_THD, np.abs(harm_i[:, 0]) < np.maximum(self._thd_floor, noise)] = np.nan
        table = _new_table(data, harm_i, harm_v, self.fs, has_v, self._npts,
                           (wave_i, wave_v) if self.waveforms else None, self._calibrated)
        if has_v and info & _SCREEN_VOLTAGE:
            # a mains voltage is nearly sinusoidal: its fundamental holds > 99 % of the RMS in every
            # cycle of the shared recordings (IEC 61000-2-2 compatibility level: THD 8 %). Below
            # _MIN_FUNDAMENTAL (THD ~100 %) the "cycle" is noise crossing zero (a disconnected or
            # wrong channel): it is dropped, per cycle, so streaming still equals batch
            ok = np.abs(harm_v[:, 0]) >= _MIN_FUNDAMENTAL * table.v_rms
            if not ok.all():
                table = table[ok] if ok.any() else self._empty()
        return table

    def _check_range(self, x: np.ndarray, scale: float, offset: float, what: str) -> None:
        """Refuse samples so large that a cycle's sums of squares would overflow (see :data:`MAX_VALUE`)."""
        if x.dtype.kind in "iu":
            big = (max(abs(float(np.iinfo(x.dtype).min)), float(np.iinfo(x.dtype).max)) + abs(offset)) * scale
            if big <= MAX_VALUE:
                return
        hi, lo = float(np.max(x)), float(np.min(x))
        if not (math.isfinite(hi) and math.isfinite(lo)):
            return               # NaN or infinity: the kernel reports it with its position
        big = (max(abs(hi), abs(lo)) + abs(offset)) * scale
        if big > MAX_VALUE:
            raise InputError(
                f"{what} reaches {big:.3g} after calibration, beyond the {MAX_VALUE:g} the analysis can "
                "square and sum without overflowing; check the calibration scale and the units of the input.")

    # -- persistence (used by the Monitor) -----------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue the stream in another process.

        A dict of NumPy arrays, numbers and strings (encode it with
        ``currentprint._state.encode`` for JSON).
        """
        if self._stream is None:
            return {"started": False}
        return {"started": True, "has_voltage": self._has_v, "dtype": self._clip_dtype,
                "stream": self._stream.state_arrays()}

    def load_state(self, state: dict) -> "CycleAnalyzer":
        """Restore :meth:`state_dict` output into an analyzer with the same parameters.

        Every number is checked against what it indexes before the kernel
        sees it: the sample counters against the kept samples, the pending
        crossings against the buffer and the cycle length limits, the scan
        state for finiteness and flags.

        Raises
        ------
        CorruptFileError
            The state is damaged or could not have been produced by an
            analyser of these parameters (the analyser is then reset).
        """
        self.reset()
        if not isinstance(state, dict) or not isinstance(state.get("started"), bool):
            raise CorruptFileError("not a CycleAnalyzer state (no 'started' flag)")
        if not state["started"]:
            check_keys(state, ("started",), "CycleAnalyzer state")
            return self
        check_keys(state, ("started", "has_voltage", "dtype", "stream"), "CycleAnalyzer state")
        if not isinstance(state["has_voltage"], bool) or state["dtype"] not in _STATE_DTYPES:
            raise CorruptFileError(f"damaged state data: CycleAnalyzer dtype {str(state['dtype'])[:20]!r} or "
                                   "voltage flag is not one the analyser uses")
        self._start(state["has_voltage"], np.dtype(state["dtype"]))
        try:
            arrays = self._check_stream(state["stream"])
            self._stream.load_arrays(arrays)
        except BaseException:
            self.reset()
            raise
        return self

    def _check_stream(self, st: dict) -> dict:
        """The kernel stream state of a file, checked against this analyser (see :meth:`load_state`)."""
        st = check_keys(st, ("scan_state", "buf_i", "buf_v", "buf_start", "total", "pending"), "stream state")
        stream = self._stream
        total = check_int(st["total"], "stream total samples", 0, 2 ** 53)
        start = check_int(st["buf_start"], "stream buffer start", 0, total)
        bi = check_array(st["buf_i"], "stream buffer", ndim=1, finite=True)
        check_array(st["buf_v"], "stream buffer", shape=bi.shape, finite=True)
        # the kernel keeps at most a cycle (plus interpolation margins) of samples
        if start + bi.shape[0] != total or bi.shape[0] > int(stream.max_period) + 64:
            raise CorruptFileError(f"damaged state data: stream buffer of {bi.shape[0]} samples from {start} "
                                   f"does not end at the stream total {total}")
        scan = check_array(st["scan_state"], "stream scan state", shape=(_core.STATE_LEN,))
        # layout of the S_* entries in _core.pyx: flags, peak, previous samples, filter, last crossing, position
        check_int(scan[0], "scan armed flag", 0, 1)
        check_int(scan[5], "scan sample count", 0, 3)
        check_float(scan[1], "scan peak", 0.0, 1e300)
        for k in (2, 6, 7, 8, 9, 10, 11, 12, 13):
            check_float(scan[k], "scan sample or filter value", -1e300, 1e300)
        check_int(scan[4], "scan position", total, total)
        last = check_float(scan[3], "scan last crossing", 0.0, total, nan=True)
        pend = check_array(st["pending"], "pending crossings", ndim=1, finite=True)
        if pend.shape[0] > 16 or np.any(np.diff(pend) < stream.min_period * (1 - 1e-9)):
            raise CorruptFileError("damaged state data: pending crossings are not crossings of this stream")
        if pend.shape[0]:
            # the first pending crossing's cycle reads from 2 samples (Lagrange margin) before it;
            # all of them lie in the samples seen, the last one is the scan's last crossing
            if pend[0] < (start + 2 if start > 0 else 0) or pend[-1] > total or not pend[-1] <= last:
                raise CorruptFileError("damaged state data: pending crossings outside the kept samples")
        return {"scan_state": scan, "buf_i": bi, "buf_v": st["buf_v"], "buf_start": start, "total": total,
                "pending": pend}


_THD = list(_core.COLUMNS).index("thd")
_SCREEN_THD = _core.SCREEN_THD
_SCREEN_VOLTAGE = _core.SCREEN_VOLTAGE
_stream_push = _core.stream_push
_new_table = CycleTable._from_kernel
_RESIDUAL = list(_core.COLUMNS).index("i_residual")


# Helper threads of analyze(workers=N): the calling thread computes too, so N - 1 of them. They are
# kept between calls (starting and joining threads is serial work on every call) and idle on a
# queue in between; the pool makes a thread only when every one it has is busy, up to one per CPU
# (several callers at once), or N - 1 if more. A caller whose task has not started when it needs
# the result does that part itself (see _core.stream_push), so a busy pool slows nobody down.
# A larger pool replaces a smaller one without shutting it down (a caller may still be submitting
# to it); its idle threads end at exit. A forked child starts without threads, so with a new pool.
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _helper_pool(n: int) -> ThreadPoolExecutor:
    """The module's pool of at least ``n`` helper threads (made on first use, enlarged on demand)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < n:
            _pool_size = max(n, os.cpu_count() or 1)
            _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="currentprint-analyze")
        return _pool


def _forget_pool_in_child() -> None:
    global _pool, _pool_size, _pool_lock
    _pool_lock = threading.Lock()
    _pool = None
    _pool_size = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def analyze(current, voltage=None, *, fs: float, mains_hz: float | None = None, harmonics: int | None = None,
            calibration: Calibration | None = None, workers: int | None = None, **options) -> CycleTable:
    """Describe every complete mains cycle of a recording.

    Parameters
    ----------
    current : array_like, 1-D
        Current samples: A, or ADC counts (int16) with ``calibration``.
    voltage : array_like, 1-D, optional
        Voltage samples (V or counts), same length. Cycles are framed on its
        rising zero crossings; without it, on the current's fundamental, and
        phase-referenced quantities are NaN.
    fs : float
        Sample rate, Hz.
    mains_hz : float or None
        Nominal mains frequency, Hz (None: detected, 45–65 Hz).
    harmonics : int or None
        Highest harmonic order stored; default 25, or as many as ``fs``
        resolves (:func:`default_harmonics`).
    calibration : Calibration, optional
        Scales, sign, offsets and phase correction of the channels.
    workers : int, optional
        Threads computing the cycles of a long recording (the kernel releases
        the GIL): the calling thread and ``workers - 1`` helper threads, which
        are kept (idle) between calls. With 2 or more, the current's NaN/range
        check also runs beside the voltage's, and the framing scan of a
        recording of 20 s or more at 6.4 kHz (``_core.SPLIT_SCAN_MIN_SAMPLES``
        samples) is split over two threads exactly. ``None`` or 1: the calling
        thread only. The table is identical for any value.
    **options
        ``n_points``, ``shoulder_fraction``, ``hysteresis``, ``waveforms``,
        ``thd_floor``: see :class:`CycleAnalyzer`.

    Returns
    -------
    CycleTable
        The tables of a recording from ~6 s on (outputs of 128 kB or more,
        ``_core.POOL_MIN_BYTES``: about 330 cycles with 25 harmonics) are carved from a few buffers the kernel keeps and reuses once
        no table, column or view refers to them any more, so that repeated
        analyses do not pay the operating system's page faults and zero-fill
        for fresh memory. At most 160 MB is kept;
        ``currentprint._core.set_buffer_pool(False)`` frees it and stops it.

    Raises
    ------
    InputError
        Empty, not 1-D, non-numeric, NaN/inf, or mismatched channels.
    SampleRateError
        ``fs`` not positive, or too low for ``harmonics``.
    MainsFrequencyError
        No cycle was found but the signal crosses zero periodically at a
        frequency outside the mains range: ``fs`` or ``mains_hz`` is wrong
        (the message names the likely sample rate or grid frequency).
    NoZeroCrossingError
        A voltage was given but has no rising zero crossings over at least
        two mains periods (DC, zero, or a disconnected channel).
    TypeError
        An unknown keyword.

    Warns
    -----
    ClippingWarning
        Some cycles hold samples at the ADC's full scale (the streaming
        :class:`CycleAnalyzer` does not warn; read ``i_clipped``).

    Examples
    --------
    >>> import numpy as np, currentprint as cp
    >>> t = np.arange(6400) / 6400
    >>> v = 325 * np.sin(2 * np.pi * 50 * t)
    >>> table = cp.analyze(v / 50, v, fs=6400)
    >>> round(float(table.pf[0]), 6), round(float(table.thd[0]), 6)
    (1.0, 0.0)
    """
    unknown = sorted(set(options) - set(_ANALYZE_OPTIONS))
    if unknown:
        raise TypeError(f"currentprint.analyze() got an unexpected keyword argument {unknown[0]!r}; "
                        f"options are fs, mains_hz, harmonics, calibration, {', '.join(_ANALYZE_OPTIONS)}.")
    an = CycleAnalyzer(fs, mains_hz, harmonics, calibration, **options)
    # push() accepts empty chunks (streams); a whole recording may not be empty
    current, voltage = as_pair(current, voltage, check_finite=False)
    if workers is not None and (not isinstance(workers, (int, np.integer)) or isinstance(workers, bool)
                                or workers < 1):
        raise InputError(f"workers must be a positive integer or None, got {workers!r}.")
    if workers is not None and workers > 1 and len(current) >= _core.MIN_CYCLES_PER_WORKER * 2 * an.fs / 45.0:
        i, v = an._prepare(current, voltage)
        table = an._push(i, v, v is not None, _helper_pool(int(workers) - 1), int(workers))
    else:
        an._watch = None             # a whole recording gets the error below, not the stream's warning
        table = an.push(current, voltage)
    if len(table):
        n_clip = int(np.count_nonzero(table.i_clipped)) + (
            int(np.count_nonzero(table.v_clipped)) if table.has_voltage else 0)
        if n_clip:
            warnings.warn(
                f"{n_clip} cycle(s) contain samples at the ADC's full scale (see the i_clipped and v_clipped "
                "columns): their peaks, RMS and harmonics under-read. Lower the gain, or give "
                "Calibration(adc_full_scale=...) if the converter saturates below its integer range.",
                ClippingWarning, stacklevel=2)
    fmin, _ = frequency_limits(mains_hz)
    if len(table) == 0 and an.samples_seen >= 2.0 * an.fs / fmin:
        why = diagnose_frequency(voltage if voltage is not None else current, an.fs, mains_hz)
        if why is not None:
            raise MainsFrequencyError(why)
        if voltage is not None:
            raise NoZeroCrossingError(
                "the voltage has no usable rising zero crossings or mains-like cycles (is it DC, zero, noise, "
                "or disconnected?); check the voltage channel, or pass voltage=None to frame cycles on the current."
            )
    return table


def analyze_many(currents: Sequence, voltages: Sequence | None = None, *, fs: float, workers: int | None = None,
                 **kwargs) -> list[CycleTable]:
    """Analyse several channels on threads (the kernels release the GIL).

    Parameters
    ----------
    currents : sequence of 1-D arrays
        One current per channel.
    voltages : sequence of 1-D arrays or None, optional
        One voltage per channel (or ``None`` entries); a single voltage for
        all channels may be given as ``[v] * n``.
    fs : float
        Sample rate, Hz (the same for all channels).
    workers : int, optional
        Threads; default the number of channels, at most ``os.cpu_count()``.
    **kwargs
        Passed to :func:`analyze`.

    Raises
    ------
    TypeError
        An unknown keyword (checked before any thread starts).

    Returns
    -------
    list of CycleTable, in channel order.
    """
    import os
    unknown = sorted(set(kwargs) - {"mains_hz", "harmonics", "calibration", *_ANALYZE_OPTIONS})
    if unknown:
        raise TypeError(f"currentprint.analyze_many() got an unexpected keyword argument {unknown[0]!r}.")
    currents = list(currents)
    if voltages is None:
        voltages = [None] * len(currents)
    voltages = list(voltages)
    if len(voltages) != len(currents):
        raise InputError(f"{len(currents)} currents but {len(voltages)} voltages.")
    n = workers or min(len(currents), os.cpu_count() or 1)
    if n <= 1 or len(currents) <= 1:
        return [analyze(i, v, fs=fs, **kwargs) for i, v in zip(currents, voltages)]
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(analyze, i, v, fs=fs, **kwargs) for i, v in zip(currents, voltages)]
        return [f.result() for f in futures]
