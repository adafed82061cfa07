"""Series arc-fault detection from per-half-cycle time-domain evidence.

At 6.4 kHz the 2–100 kHz arc noise band used by commercial AFDDs is out of
reach, so the evidence is read from the waveform shape, half-cycle by
half-cycle (columns of :class:`~currentprint.CycleTable`):

* **shoulder** — the current stays flat around its zero for longer than a
  sine would (the arc extinguishes near zero and re-ignites only when the
  gap voltage reaches the re-strike voltage);
* **step** — an abrupt re-ignition jump, large against the typical
  sample-to-sample step of the same stream (running median of ordinary
  half-cycles) and, with calibrated input, above an absolute floor in A;
* **irregular** — the shoulder differs from the same polarity one *and* two
  cycles before: arcs are random, while dimmers, switch-mode supplies and
  burst-fired heaters repeat the same shape cycle after cycle;
* **skip** — a dark half-cycle between conducting ones;
* **hf** — residual energy above harmonic H rises (reported, not required).

A half-cycle *counts* when it shows shoulder, step, irregularity and the same
load as a cycle before (so a switch-on is not an arc), or when it is skipped.
Counting rules:

* ``mode="gb14287"``: alarm at >= 14 counted half-cycles within 1 s, the
  usual practice of Chinese arc-fault detectors (GB 14287.4-2014, "electrical
  fire monitoring systems — part 4: arc fault detectors");
* ``mode="iec62606"``: alarm within the IEC 62606:2013 maximum break time for
  the measured current (Table 1 at 230 V: 2.5 A -> 1 s, 5 A -> 0.5 s, 10 A ->
  0.25 s, 16 A -> 0.15 s, 32 A and 63 A -> 0.12 s; interpolated log-log). The
  window is the break time and the required count scales with it
  (15 % of its half-cycles, between 6 and 14). Without calibrated input the
  current is unknown: the gb14287 rule is used and each alert says so.

Masking-proof evidence (``masking=True``, the default; the kernel is in
``_arcmask.pxi``): on a real circuit other loads run in parallel and fill the
flat shoulder in, so each cycle of the *total* current is also compared with
the same points of the voltage cycle one and two cycles before. A half-cycle
counts when it holds an abrupt, persistent re-ignition step whose partner (a
step of the same sign) sits at another place in the reference cycle, neither
matched by a step of the other cycle (the same re-ignition moved by the
random dead time), and whose signed width differs from the last pair found
(a dimmer knob being turned moves its edge steadily). Both steps rise in the
positive half and fall in the negative (a series branch re-ignites into the
current of its half-cycle) and the other cycle is smooth where each step is,
without an edge of the step's own sign there (a masking edge that the step
test finds in one cycle and just misses in the other).
A *lone* re-ignition (calibrated input) needs only this cycle's step: new
against both cycles before, judged on the difference with each of them (its
noise, largest same-sign J, persistence) where they are smooth. Its noise is
that of the difference's 16-point block or, where that block is mostly the
branch's own conduction, the noise on each side of the step (a re-ignition
steps from a dark branch into a conducting one, so the dark side's low noise
counts five times and the conducting side's once; ``lone_local`` in the
alert). The steps of a pair may beat the noise on each side of them the same
way, in both cycles (``pair_local``). Dimmers and
SMPS repeat their edges, a switch-on is one step without a partner, commutator
spikes do not persist, burst-mode loads are compared two cycles back as well.
The shoulder evidence is not read where the half-cycle's crest factor is far
above a sine's (a parallel rectifier pulse makes any sine look flat near zero).

Masking immunity besides irregularity: evidence that forms an unbroken run
longer than ``run_max_s`` is discounted (a load, not an arc); a learning
period and a whitelist discount benign signatures (shoulder length, step).

Inductive-branch evidence (``inductive=True``, off by default; kernel
``_arcind.pxi``, reference ``_arcind_reference.py``): through an inductance the
branch current has no re-ignition step, so the cycle difference is read for
the R-L responses an arc leaves instead -- the deficit of a delayed re-strike
decaying with the branch's own L/R (larger than a TRIAC's firing jitter), the
relaxation to a changed arc voltage, a half-wave missed once. A separate
criterion with its own bits (``_IND_SHIFT``) and alert fields.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import _core
from . import _arcind_reference
from .alerts import Alert
from .base import BaseDetector
from .._state import check_array, check_float, check_int
from ..core.cycles import _INDEX as _TABLE_INDEX
from ..errors import CorruptFileError, InputError

__all__ = ["ArcFaultDetector", "iec62606_break_time", "PRESETS"]

#: evidence thresholds of the sensitivity presets
PRESETS: dict[str, dict[str, float]] = {
    # min_current_a: cycle RMS floor (A) below which a half-cycle is not judged
    #   (IEC 62606 tests arcs from 2.5 A; 'high' looks lower).
    # shoulder_ms: flat time beyond a sine's own that counts as a shoulder.
    # step_min / step_ratio: re-ignition step, relative to the half peak, and
    #   against the running median step.
    "low": {"min_current_a": 2.0, "shoulder_ms": 0.4, "step_min": 0.15, "step_ratio": 3.0},
    "medium": {"min_current_a": 1.0, "shoulder_ms": 0.25, "step_min": 0.10, "step_ratio": 2.5},
    "high": {"min_current_a": 0.5, "shoulder_ms": 0.2, "step_min": 0.08, "step_ratio": 2.0},
}

# IEC 62606:2013 Table 1 (230 V): test current (A) -> maximum break time (s)
_IEC_I = np.array([2.5, 5.0, 10.0, 16.0, 32.0, 63.0])
_IEC_T = np.array([1.0, 0.5, 0.25, 0.15, 0.12, 0.12])

_BITS = _core.ARC_BITS
#: masking-proof evidence bits (``_core.ARCMASK_BITS``) are stored shifted by this
#: many bits in the detector's per-half-cycle code
_MASK_SHIFT = _core.ARCEV_MASK_SHIFT
_MBITS = {name: bit << _MASK_SHIFT for name, bit in _core.ARCMASK_BITS.items()}
#: inductive-branch evidence bits (``_core.ARCIND_BITS``, ``inductive=True``) are stored
#: shifted by this many bits (above the masking-proof evidence's eight)
_IND_SHIFT = 16
_IBITS = {name: bit << _IND_SHIFT for name, bit in _core.ARCIND_BITS.items()}
_CRITERIA = ("shoulder", "step", "irregular", "skip", "hf", "run", "counted")
_MASK_CRITERIA = ("pair1", "pair2", "random1", "random2", "pair_local", "lone", "lone_local")
# masking-proof evidence: k_noise, persistence, match (ms), widest pair (ms), randomness (points),
# step floor relative to the cycle RMS (ADC counts have no absolute floor)
# (calibrated input: 2.8 x the robust noise. With the partner test below and the 1.5-sample
# shoulder tolerance, benchmarks/eval_arc.py's false-alarm rows at *half* the alarm counts gave
# 0 alarms on 480 recordings and 120 mixtures and 3 of 216 iec62606 on a masking load beside a
# healthy branch; with 3.5 and without those tests: 8)
_MASK_K_NOISE = 2.8
_MASK_K_NOISE_COUNTS = 4.5   # uncalibrated input (raw ADC counts)
_MASK_PERSIST = 0.5
_MASK_MATCH_MS = 0.3     # steps closer than this (and at least _MASK_MATCH_MIN points) are the same edge
_MASK_MATCH_MIN = 2.0
# the match distance against one cycle back (ms, at least one point): a masking edge moves by
# well under this per cycle (a dimmer knob turned at 90 deg/s: 0.1 ms, 0.6 point at 128 points
# per cycle); two cycles back keep the _MASK_MATCH_MS / _MASK_MATCH_MIN distance (twice the drift)
_MASK_MATCH1_MS = 0.15
# shoulders are measured in whole samples: shoulders one sample apart are quantisation, not
# an arc's randomness (a 30 deg dimmer's flat stretch toggles by one sample from cycle to
# cycle); the "regular" tolerance is at least this many samples
_REG_TOL_MIN = 1.5
_MASK_COUNTS_FLOOR = 4.0
# re-ignitions follow the branch current's zero by at most the dead time (~2.5 ms) and the
# branch lags the voltage by at most ~45 deg (2.5 ms): steps later than this after the
# voltage zero of their half-cycle are not a series arc's
_MASK_SPAN_MS = 6.0  # smallest step in raw ADC counts (uncalibrated input)
_MASK_WMAX_MS = 4.0
_MASK_RAND_TOL = 1.0
_MASK_REL_FLOOR = 0.01
# where a step is, the other cycle must be smooth (its |J| within the match distance below
# this share of the step): a re-ignition steps where the other cycle's branch is dark or
# conducting smoothly; noise inside a masking load's current pulse is rough in both cycles
_MASK_SMOOTH = 1.0
# and it must not hold an edge of the step's own sign of at least this share of the step there:
# a masking load's edge (a dimmer's firing, a rectifier pulse's front) whose step test flickers
# across its noise threshold from cycle to cycle is the same edge, not a moved re-ignition
# (measured: dimmer + rectifier pairs alarmed within 10 s without it)
_MASK_SAME = 0.5
# lone re-ignitions (one cycle's step, new against both cycles before; the same smoothness
# with this share) with calibrated input only: they are judged against the 1 A load floor and
# the 0.2 A step floor; raw ADC counts have neither, and an idle channel's noise makes lone
# steps (measured: the Tabanelli "Nothing" recordings alarmed with them)
_MASK_LONE = 0.5
# longest flat stretch beyond a sine's (ms) that an arc's dead time explains
_SHOULDER_MAX_MS = 4.0
# largest half-cycle crest factor (half peak / half RMS) at which the shoulder, measured
# against the half peak, is read: a sine has 1.41, a sine with an arc's flat shoulders
# about 1.5 (the dead time takes only near-zero current); an SMPS pulse on a healthy
# branch's sine raises it to ~2 and makes the sine look flat near zero (measured: a 300 W
# SMPS beside a healthy 5 A heater alarmed on shoulders alone)
_SHOULDER_CREST = 1.8
# iec62606 rule: share of the break time's half-cycles that must count (the
# masking-proof evidence finds ~30-45 % of an arc's half-cycles under a
# parallel load; 15 % of the window is reached within the break time)
_IEC_SHARE = 0.15
# at least 6 counted half-cycles: a switch-mode supply beside a healthy 10-16 A load gives a few
# scattered pairs (measured: 4 in a 0.15-0.25 s window happened, 6 did not)
_IEC_MIN = 6
# iec62606 rule: a half-cycle that shows three independent signatures of a burning arc counts
# twice: a moved or new re-ignition in the cycle difference (the masking-proof evidence), an
# irregular flat shoulder in the total current (flat near the zero beyond a sine's, differing
# from both half-cycles of its polarity before, at a consistent peak) and broadband noise above
# the stream's own ("hf": an arc column is a broadband source, the basis of HF detection in
# UL 1699 / IEC 62606 devices). The break time at 10-16 A (0.15-0.25 s, 15-25 half-cycles) leaves
# room for few arcing half-cycles. Measured (benchmarks/eval_arc.py, iec62606 within the break
# time): seeds 0-1 93.5 -> 95.4 %, held-out seeds 2-5 89.4 -> 93.3 %; every false-alarm row 0,
# and at half the alarm counts unchanged. Without the noise signature the real induction cooker's
# burst starts (a new step and an irregular shoulder where the load was off) reached half the
# counts on 4 recordings and 2 mixtures. The gb14287 rule counts half-cycles, as GB 14287.4
# states it, and does not weight them.
_TWICE_BITS = _BITS["shoulder"] | _BITS["irregular"] | _BITS["loaded"] | _BITS["hf"]
# the alert's per-criterion counts, in its order
_COUNT_NAMES = _CRITERIA + _MASK_CRITERIA + ("masked",)
_COUNT_BITS = np.array([_BITS[nm] for nm in _CRITERIA] + [_MBITS[nm] for nm in _MASK_CRITERIA]
                       + [_MBITS["counted"]], dtype=np.int32)
# rows of arc_evidence's output, and where its columns are in a CycleTable's data
_EO_POS, _EO_SH_MS, _EO_STEP, _EO_OFFSET = 0, 2, 3, 7
_EV_ROWS = np.array([_TABLE_INDEX[c] for c in _core.ARCEV_COLUMNS], dtype=np.intp)
_EV_ROWS_STACKED = np.arange(len(_core.ARCEV_COLUMNS), dtype=np.intp)
_HIST_COLS = ("start", "i_rms", "shoulder_pos", "shoulder_neg", "step_pos", "step_neg", "hc_peak_pos",
              "hc_peak_neg")
_HIST_ROWS = np.array([_TABLE_INDEX[c] for c in _HIST_COLS], dtype=np.intp)


# per-half-cycle names of the inductive-branch evidence in the alert
_IND_NAMES = {"dr1": "rl_deficit1", "dr2": "rl_deficit2", "rx1": "rl_relaxation1", "rx2": "rl_relaxation2",
              "dark": "rl_dark_half"}
_IND_TABLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _ind_tables(npts: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameters and constant tables of ``_core.arcind_scan`` for ``npts`` points per cycle (built once, read-only)."""
    got = _IND_TABLES.get(npts)
    if got is None:
        par = _arcind_reference.arcind_params(npts)
        tab = _arcind_reference.arcind_tables(npts, par)
        par.flags.writeable = False
        tab.flags.writeable = False
        got = _IND_TABLES[npts] = (par, tab)
    return got


def _scratch(n: int) -> np.ndarray:
    """A float64 block of (ARCEV_OUT_ROWS + 7) * 2n values for one evidence call (contents undefined).

    Large blocks (a long batch: ~0.2 MB per 1000 cycles) come from the kernel's output pool
    (:func:`currentprint._core.pooled_empty`): fresh memory on every call cost page faults
    (about a tenth of ``cp.analyze``'s time on a long batch).
    """
    return _core.pooled_empty(((_core.ARCEV_OUT_ROWS + 7) * 2 * n,), np.float64)


def _hist_rows(cycles, k: int) -> np.ndarray:
    """The ``_HIST_COLS`` of the last ``k`` cycles as rows (k, 8), read from a CycleTable's data when it has one."""
    data = getattr(cycles, "_data", None)
    if isinstance(data, np.ndarray) and data.ndim == 2 and data.shape[1] == len(cycles):
        return data[_HIST_ROWS, -k:].T
    return np.stack([np.asarray(getattr(cycles, c), dtype=float)[-k:] for c in _HIST_COLS], axis=1)


#: parameter vectors of the compiled evidence calls by their inputs (read-only; the same for every
#: detector with the same settings): building them with NumPy cost microseconds on every call, a
#: large share of a one-cycle Monitor push
_VEC_CACHE: dict[tuple, np.ndarray] = {}


def _const_vector(key: tuple, values) -> np.ndarray:
    """The read-only float64 vector of ``values()`` for ``key``, built once."""
    vec = _VEC_CACHE.get(key)
    if vec is None:
        if len(_VEC_CACHE) >= 256:
            _VEC_CACHE.clear()
        vec = np.array(values(), dtype=np.float64)
        vec.setflags(write=False)
        _VEC_CACHE[key] = vec
    return vec


def iec62606_break_time(current_a) -> np.ndarray:
    """IEC 62606 maximum break time (s) for a series arc at ``current_a`` (A RMS).

    Log-log interpolation of Table 1; 1 s below 2.5 A (no requirement
    there, the slowest time is kept) and 0.12 s above 63 A.

    Examples
    --------
    >>> iec62606_break_time([2.5, 5.0, 10.0, 32.0, 63.0]).round(2)
    array([1.  , 0.5 , 0.25, 0.12, 0.12])
    """
    i = np.clip(np.asarray(current_a, dtype=float), _IEC_I[0], _IEC_I[-1])
    i = np.where(np.isfinite(i), i, _IEC_I[0])
    return np.exp(np.interp(np.log(i), np.log(_IEC_I), np.log(_IEC_T)))


class ArcFaultDetector(BaseDetector):
    """Series arc faults from half-cycle shoulders, re-ignition steps and randomness.

    Parameters
    ----------
    sensitivity : {"low", "medium", "high"}
        Preset of the evidence thresholds (:data:`PRESETS`); explicit
        parameters below override it.
    mode : {"gb14287", "iec62606"}
        Counting rule (see the module docstring).
    min_current_a : float or None
        Cycle RMS current (A) below which no half-cycle is judged; only used
        with calibrated input.
    shoulder_ms : float or None
        Flat time (ms) beyond a sine's own near-zero stretch that makes a
        shoulder (never less than 2 samples).
    step_min : float or None
        Smallest re-ignition step, relative to the half-cycle peak.
    step_ratio : float or None
        The step must also exceed this times the running median step of
        ordinary half-cycles.
    regular_ms : float
        Shoulders within this many ms (at least 1.5 samples: they are
        measured in whole samples) of the same polarity one or two cycles
        before are "regular" and do not count.
    count_threshold : int
        Counted half-cycles within ``window_s`` that raise the alarm
        (GB 14287.4 practice: 14 in 1 s).
    window_s : float
        Counting window of the gb14287 rule, s.
    run_max_s : float
        Unbroken runs of shoulder+step evidence longer than this (s) are a
        load's normal shape and stop counting.
    learn_s : float
        Learning period at the start of the stream, s: evidence seen then is
        recorded as benign instead of counted.
    whitelist : sequence of (shoulder_ms, step)
        Benign signatures: counted half-cycles whose shoulder (ms, beyond a
        sine's) is within 0.2 ms and whose step is within 25 % of an entry
        are discounted.
    calibrated : bool or None
        Whether the table is in A. ``None``: the table's ``calibrated``
        attribute when it has one, else True. Uncalibrated input disables the
        absolute floors and the iec62606 rule.
    rearm_s : float
        After an alarm the detector stays silent this long, s.
    shoulder_fraction : float
        The ``shoulder_fraction`` the cycle table was computed with (0.05 by
        default), used to subtract a sine's own flat stretch.
    masking : bool
        Also use the masking-proof evidence (cycle-to-cycle step pairs, see
        the module docstring); needs the resampled cycles
        (``waveforms=True``, which the Monitor provides). Tables without
        waveforms are judged on the shoulder evidence alone.
    mask_step_a : float or None
        Smallest re-ignition step (A, calibrated input) of the masking-proof
        evidence; default 0.2 x ``min_current_a`` (0.2 A at "medium").
    inductive : bool
        Also use the inductive-branch evidence (off by default; calibrated
        input with the resampled cycles): the R-L response an arc leaves in
        the cycle difference of an inductive (motor) branch, which has no
        re-ignition step -- the deficit of a delayed re-strike decaying with
        the branch's own L/R, the relaxation to a changed arc voltage, or a
        half-wave missed once (no re-strike)
        (``_core.arcind_scan``; physics, tests and measured rates in
        docs/arc-fault.md, "An arc in an inductive branch"). Such half-cycles
        count like any other; the alert lists them (``rl_deficit``,
        ``rl_relaxation``, ``rl_dark_half``, ``inductive`` in ``detail["criteria"]``).

    Examples
    --------
    A 5 A heater whose cord starts arcing at 1 s, beside a running 300 W
    switch-mode supply (synthetic models from :mod:`currentprint.circuits`):

    >>> import currentprint as cp
    >>> from currentprint import circuits, synth
    >>> fs = 6400.0
    >>> v, _ = synth.mains_voltage(int(3 * fs), fs, seed=0)
    >>> i = (circuits.arcing_branch(v, fs, i_rms=5.0, start_s=1.0, seed=3)
    ...      + circuits.masking_load("smps", v, fs, power_w=300.0, seed=3))
    >>> mon = cp.Monitor(fs=fs, mains_hz=50.0, detectors=[ArcFaultDetector()])
    >>> alerts = mon.push(i, v) + mon.flush()
    >>> [a.kind for a in alerts], 1.0 < alerts[0].time < 2.0
    (['arc_fault'], True)
    """

    name = "arc_fault"
    # (the masking-proof scan reads the current's resampled cycles alone)
    needs_waveforms = "current"

    def __init__(self, sensitivity: str = "medium", mode: str = "gb14287", *, min_current_a: float | None = None,
                 shoulder_ms: float | None = None, step_min: float | None = None, step_ratio: float | None = None,
                 regular_ms: float = 0.1, count_threshold: int = 14, window_s: float = 1.0,
                 run_max_s: float = 1.0, learn_s: float = 0.0, whitelist: Sequence = (),
                 calibrated: bool | None = None, rearm_s: float = 10.0, shoulder_fraction: float = 0.05,
                 masking: bool = True, mask_step_a: float | None = None, inductive: bool = False) -> None:
        self.sensitivity = sensitivity
        self.mode = mode
        self.min_current_a = min_current_a
        self.shoulder_ms = shoulder_ms
        self.step_min = step_min
        self.step_ratio = step_ratio
        self.regular_ms = regular_ms
        self.count_threshold = count_threshold
        self.window_s = window_s
        self.run_max_s = run_max_s
        self.learn_s = learn_s
        self.whitelist = whitelist
        self.calibrated = calibrated
        self.rearm_s = rearm_s
        self.shoulder_fraction = shoulder_fraction
        self.masking = masking
        self.mask_step_a = mask_step_a
        self.inductive = inductive
        if not isinstance(masking, (bool, np.bool_)):
            raise InputError(f"masking must be True or False, got {masking!r}.")
        if not isinstance(inductive, (bool, np.bool_)):
            raise InputError(f"inductive must be True or False, got {inductive!r}.")
        if mask_step_a is not None and not (isinstance(mask_step_a, (int, float)) and math.isfinite(mask_step_a)
                                            and mask_step_a >= 0):
            raise InputError(f"mask_step_a must be a finite number >= 0 (A) or None, got {mask_step_a!r}.")
        if sensitivity not in PRESETS:
            raise InputError(f"sensitivity must be one of {sorted(PRESETS)}, got {sensitivity!r}.")
        if mode not in ("gb14287", "iec62606"):
            raise InputError(f"mode must be 'gb14287' or 'iec62606', got {mode!r}.")
        preset = PRESETS[sensitivity]
        self._p = {k: float(preset[k] if getattr(self, k) is None else getattr(self, k)) for k in preset}
        for key, val in {**self._p, "regular_ms": regular_ms, "window_s": window_s, "run_max_s": run_max_s,
                         "rearm_s": rearm_s}.items():
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val >= 0):
                raise InputError(f"{key} must be a finite number >= 0, got {val!r}.")
        if window_s <= 0:
            raise InputError("window_s must be > 0 s.")
        if not (isinstance(count_threshold, (int, np.integer)) and count_threshold >= 1):
            raise InputError(f"count_threshold must be a positive integer, got {count_threshold!r}.")
        if not (isinstance(learn_s, (int, float)) and learn_s >= 0):
            raise InputError(f"learn_s must be >= 0 s, got {learn_s!r}.")
        if not 0.0 < shoulder_fraction < 1.0:
            raise InputError(f"shoulder_fraction must be in (0, 1), got {shoulder_fraction!r}.")
        try:
            wl = [(float(a), float(b)) for a, b in whitelist]
        except (TypeError, ValueError):
            raise InputError("whitelist must be a sequence of (shoulder_ms, step) pairs.") from None
        self._whitelist = np.array(wl, dtype=float).reshape(-1, 2)
        self._state = _core.new_arc_state()
        self._sh_hist = np.empty(0)       # the last four half-cycle shoulders (samples beyond a sine's)
        self._mstate: np.ndarray | None = None   # masking-proof scan state, made for the first table's n_points
        self._istate: np.ndarray | None = None   # inductive-branch scan state (inductive=True), likewise
        self._t_first = math.nan          # first cycle start seen (samples)
        self._learned = np.empty((0, 2))  # signatures recorded while learning
        self._counted = np.empty(0)       # samples of counted half-cycles since the last alarm
        self._counted_i = np.empty(0)     # the current level at each of them (A)
        self._win_pos = np.empty(0)       # every half-cycle of the last window: sample
        self._win_code = np.empty(0, dtype=np.int32)
        self._win_w = np.empty((0, 2))    # masking-proof pair widths (ms) of those half-cycles
        self._hist = np.empty((0, len(_HIST_COLS)))
        self._hist_len = 0          # cycles in 500 ms, set by the first update
        self._hc_per_s = 0.0        # half-cycles per second of the mains, set by the first cycles
        self._last_alarm = -math.inf

    # -- helpers ----------------------------------------------------------
    def _is_calibrated(self, cycles) -> bool:
        if self.calibrated is not None:
            return bool(self.calibrated)
        return bool(getattr(cycles, "calibrated", True))

    def _params(self, fs: float, calibrated: bool) -> np.ndarray:
        """Thresholds of :func:`~currentprint._core.arc_evidence` (AP_* layout; read-only, cached)."""
        key = ("arc", fs, bool(calibrated), self._hc_per_s, self.regular_ms, self.run_max_s, *self._p.values())
        return _const_vector(key, lambda: self._params_new(fs, calibrated))

    def _params_new(self, fs: float, calibrated: bool) -> np.ndarray:
        p = self._p
        par = np.zeros(_core.ARC_PARAM_LEN)
        par[0] = max(1.5, p["shoulder_ms"] * 1e-3 * fs)             # AP_SH_MIN (excess samples)
        par[1] = max(_REG_TOL_MIN, self.regular_ms * 1e-3 * fs)     # AP_REG_TOL
        par[2] = p["step_min"]
        par[3] = p["step_ratio"]
        par[4] = p["min_current_a"] if calibrated else 0.0          # half peak floor (A)
        par[5] = 0.15                                                # dark half-cycle: < 15 % of its predecessors
        par[6] = 2.0
        par[7] = self.run_max_s * self._hc_per_s                     # half-cycles in run_max_s
        par[8] = 0.25 * p["min_current_a"] if calibrated else 0.0   # absolute step floor (A)
        return par

    def evidence(self, cycles) -> dict[str, np.ndarray]:
        """Score the half-cycles of ``cycles`` (advancing the state like :meth:`update`).

        Returns
        -------
        dict
            ``sample`` (absolute position of each half-cycle's starting zero),
            ``code`` (int bits, see ``currentprint._core.ARC_BITS``),
            ``shoulder_ms`` (flat time beyond a sine's), ``step`` (relative),
            ``mask_width_ms`` (signed widths of the masking-proof pairs against
            one and two cycles back, ms; NaN: none) and ``mask_step`` (smaller
            step of the widest pair, A).

        Notes
        -----
        The half-cycle arrays, :func:`~currentprint._core.arc_scan` and the
        shoulder checks run in one compiled pass
        (:func:`~currentprint._core.arc_evidence`; its NumPy reference is
        ``_arc_reference.arc_evidence_reference``). Shoulder checks: an arc's
        dead time is a few ms (IEC 62606 / UL 1699 test arcs: up to ~2.5 ms
        around the zero) while a capacitor-input load is off for most of each
        half-cycle, so flat stretches beyond ``_SHOULDER_MAX_MS`` do not count;
        a dimmer knob being turned moves its flat stretch steadily, so a
        shoulder within ``regular_ms`` of the straight-line continuation of
        the same polarity one and two cycles before (``2 sh1 - sh2``) is a
        trend, not randomness; and the shoulder is measured against the half
        peak, so where a parallel load's current pulse raises the half-cycle
        crest factor above ``_SHOULDER_CREST`` any sine looks flat near its
        zero and the shoulder is not read there (the masking-proof evidence
        is). Skipped half-cycles keep counting.
        """
        n = len(cycles)
        fs = float(cycles.fs)
        if self._hc_per_s == 0.0 and n:
            # half-cycles per second of this stream's mains, from its first cycle
            self._hc_per_s = 2.0 * fs / float(cycles.period[0])
        calibrated = self._is_calibrated(cycles)
        data = getattr(cycles, "_data", None)
        if (isinstance(data, np.ndarray) and data.dtype == np.float64 and data.ndim == 2 and data.shape[1] == n
                and data.strides[1] == data.itemsize):
            rows = _EV_ROWS
        else:
            # not a CycleTable: its columns, stacked
            data = np.array([np.asarray(getattr(cycles, c), dtype=np.float64) for c in _core.ARCEV_COLUMNS])
            rows = _EV_ROWS_STACKED
        # every per-call array in one block (reused across calls when no result refers to it)
        scratch = _scratch(n)
        out = scratch[:_core.ARCEV_OUT_ROWS * 2 * n].reshape(_core.ARCEV_OUT_ROWS, 2 * n)
        code = scratch[_core.ARCEV_OUT_ROWS * 2 * n:(_core.ARCEV_OUT_ROWS + 1) * 2 * n].view(np.int32)[:2 * n]
        shh = np.zeros(5)
        m = self._sh_hist.shape[0]
        shh[0] = m
        shh[1:1 + m] = self._sh_hist
        # a sine's own flat share of the period (natural shoulder = this * period, samples)
        npts = float(cycles.n_points)
        fpar = _const_vector(("fpar", self.shoulder_fraction, fs, self.regular_ms, npts), lambda: [
            2.0 * math.asin(self.shoulder_fraction) / (2.0 * math.pi), fs, _SHOULDER_MAX_MS * 1e-3 * fs,
            max(1.0, self.regular_ms * 1e-3 * fs), _SHOULDER_CREST, npts])
        if _core.arc_evidence(data, rows, self._state, self._params(fs, calibrated), shh, fpar, out, code):
            raise RuntimeError("internal error in arc_evidence: shape mismatch")
        self._sh_hist = shh[1:1 + int(shh[0])].copy()
        # pair widths (points, then ms) and step sizes of the masking-proof evidence (NaN: none), one block
        blk = scratch[(_core.ARCEV_OUT_ROWS + 2) * 2 * n:(_core.ARCEV_OUT_ROWS + 7) * 2 * n]
        width, wms, size = blk[:4 * n].reshape(2 * n, 2), blk[4 * n:8 * n].reshape(2 * n, 2), blk[8 * n:]
        if not (self.masking and cycles.has_waveforms and n):
            blk.fill(np.nan)
        else:
            # arcmask_scan writes every width and size (NaN where no pair) and arc_mask_merge every
            # width in ms: no fill of the block first
            self._mask_scan(cycles, calibrated, out[_EO_OFFSET, :n], code, width, size, wms,
                            scratch[(_core.ARCEV_OUT_ROWS + 1) * 2 * n:(_core.ARCEV_OUT_ROWS + 2) * 2 * n])
        if self.inductive and calibrated and cycles.has_waveforms and n:
            self._ind_scan(cycles, out[_EO_OFFSET, :n], code)
        return {"sample": out[_EO_POS], "code": code, "shoulder_ms": out[_EO_SH_MS], "step": out[_EO_STEP],
                "mask_width_ms": wms, "mask_step": size}

    def _mask_params(self, npts: int, calibrated: bool) -> np.ndarray:
        """Thresholds of :func:`~currentprint._core.arcmask_scan` (MP_* layout) for ``npts`` points per cycle.

        Read-only, built once per setting (see ``_const_vector``).
        """
        key = ("mask", npts, bool(calibrated), self._hc_per_s, self._p["min_current_a"], self.mask_step_a)
        return _const_vector(key, lambda: self._mask_params_new(npts, calibrated))

    def _mask_params_new(self, npts: int, calibrated: bool) -> np.ndarray:
        floor_a = (0.2 * self._p["min_current_a"] if self.mask_step_a is None else float(self.mask_step_a))
        # widest pair in points, from the stream's first cycle (not per chunk)
        wmax = _MASK_WMAX_MS * 1e-3 * 0.5 * self._hc_per_s * npts
        # raw ADC counts: a step of a few counts is quantisation, not a re-ignition
        floor = floor_a if calibrated else _MASK_COUNTS_FLOOR
        match = max(_MASK_MATCH_MIN, _MASK_MATCH_MS * 1e-3 * 0.5 * self._hc_per_s * npts)
        match1 = max(1.0, _MASK_MATCH1_MS * 1e-3 * 0.5 * self._hc_per_s * npts)
        span = _MASK_SPAN_MS * 1e-3 * 0.5 * self._hc_per_s * npts
        # raw counts have no absolute floors (0.2 A step, 1 A load) to keep small noisy loads
        # out, so their steps must stand further above the noise
        k_noise = _MASK_K_NOISE if calibrated else _MASK_K_NOISE_COUNTS
        lone = _MASK_LONE if calibrated else 0.0
        # a step (lone: of d; pairs: of both rows) may also beat the same multiple of the noise on
        # each side of it instead of its 16-point block's (raw counts: the block alone, see k_noise)
        lone_local = k_noise if calibrated else 0.0
        return np.array([floor, _MASK_REL_FLOOR, k_noise, _MASK_PERSIST, match, wmax, _MASK_RAND_TOL, span,
                         _MASK_SMOOTH, lone, _MASK_SAME, match1, lone_local, lone_local])

    def _mask_scan(self, cycles, calibrated: bool, offset: np.ndarray, code: np.ndarray, width: np.ndarray,
                   size: np.ndarray, wms: np.ndarray, spare: np.ndarray) -> None:
        """Masking-proof evidence: its bits (shifted by ``_MASK_SHIFT``) into ``code``, pairs into the rest.

        ``offset``: where each row's first point lies after the cycle start, in
        points (``(ceil(start) - start) * npts / period``); ``spare``: 2n float64
        of scratch (the kernel's codes are written there).
        """
        n = len(cycles)
        npts = int(cycles.n_points)
        mstate = self._mstate
        if mstate is None or int(mstate[0]) != npts:
            mstate = self._mstate = _core.new_arcmask_state(npts)
        waves = np.ascontiguousarray(cycles.raw_waves[0], dtype=np.float64)
        rms = np.ascontiguousarray(cycles.i_rms, dtype=np.float64)
        mcode = spare.view(np.int32)[:2 * n]
        # the kernel writes every pair width straight into ``width`` (a view of its rows)
        w4 = width.reshape(4 * n)
        err = _core.arcmask_scan(waves, offset, rms, mstate, self._mask_params(npts, calibrated), mcode, w4, size)
        if err:
            raise RuntimeError("internal error in arcmask_scan: shape mismatch")
        # a half-cycle is judged only with enough current (calibrated input); pair widths in ms
        err = _core.arc_mask_merge(mcode, rms, np.ascontiguousarray(cycles.period, dtype=np.float64),
                                   self._p["min_current_a"], calibrated, float(cycles.fs), float(npts), w4,
                                   wms.reshape(4 * n), code)
        if err:
            raise RuntimeError("internal error in arc_mask_merge: shape mismatch")

    def _ind_scan(self, cycles, offset: np.ndarray, code: np.ndarray) -> None:
        """Inductive-branch evidence (``inductive=True``): its bits (shifted by ``_IND_SHIFT``) into ``code``.

        Calibrated input only (its floors are in A); a half-cycle is judged only
        with the cycle RMS at least ``min_current_a``. See
        ``detectors/_arcind_reference.py`` for the physics and the tests.
        """
        n = len(cycles)
        npts = int(cycles.n_points)
        st = self._istate
        if st is None or int(st[0]) != npts:
            st = self._istate = _core.new_arcind_state(npts)
        par, tab = _ind_tables(npts)
        waves = np.ascontiguousarray(cycles.raw_waves[0], dtype=np.float64)
        icode = np.empty(2 * n, dtype=np.int32)
        if _core.arcind_scan(waves, np.ascontiguousarray(offset, dtype=np.float64), st, par, tab, icode):
            raise RuntimeError("internal error in arcind_scan: shape mismatch")
        low = ~(np.asarray(cycles.i_rms, dtype=float) >= self._p["min_current_a"])
        if low.any():
            icode[np.repeat(low, 2)] = 0
        if icode.any():
            code |= icode << _IND_SHIFT
            code[(icode & _core.ARCIND_BITS["counted"]) != 0] |= _BITS["counted"]

    def _benign(self, sh_ms: np.ndarray, step: np.ndarray) -> np.ndarray:
        sigs = np.concatenate([self._whitelist, self._learned]) if len(self._learned) else self._whitelist
        if len(sigs) == 0 or len(sh_ms) == 0:
            return np.zeros(len(sh_ms), bool)
        d_sh = np.abs(sh_ms[:, None] - sigs[None, :, 0]) <= 0.2
        d_st = np.abs(step[:, None] - sigs[None, :, 1]) <= 0.25 * np.maximum(sigs[None, :, 1], 1e-9)
        return np.any(d_sh & d_st, axis=1)

    # -- persistence ------------------------------------------------------
    def check_state(self, state: dict) -> None:
        """Ring position and count, run length, window and history sizes (see :meth:`BaseDetector.check_state`)."""
        st = check_array(state["_state"], "arc state", shape=(_core.ARC_STATE_LEN,))
        ring = 16      # ARC_RING of _arc.pxi
        check_int(st[9], "arc step ring position", 0, ring - 1)
        n = check_int(st[10], "arc step ring count", 0, ring)
        check_int(st[11], "arc evidence run", 0, 2 ** 40)
        for k in (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13):
            check_float(st[k], "arc state value", -1e300, 1e300, nan=True)
        check_array(st[16:16 + n], "arc step ring", finite=True)
        for key in ("_whitelist", "_learned"):
            check_array(state[key], f"arc {key}", shape=(None, 2), finite=True)
        if len(state["_learned"]) > 64 or not np.array_equal(state["_whitelist"], self._whitelist):
            raise CorruptFileError("damaged state data: arc signatures do not match the detector's whitelist")
        n_c = len(check_array(state["_counted"], "arc counted half-cycles", ndim=1, finite=True))
        check_array(state["_counted_i"], "arc counted levels", shape=(n_c,))
        n_w = len(check_array(state["_win_pos"], "arc window", ndim=1, finite=True))
        check_array(state["_win_code"], "arc window codes", dtype=np.int32, shape=(n_w,), lo=0)
        if "_win_w" in state:
            check_array(state["_win_w"], "arc window pair widths", shape=(n_w, 2))
        if "_sh_hist" in state and len(check_array(state["_sh_hist"], "arc shoulder history", ndim=1)) > 4:
            raise CorruptFileError("damaged state data: arc shoulder history longer than the detector keeps")
        ms = state.get("_mstate")
        if ms is not None:
            # the masking-proof scan's state (_arcmask.pxi): points per row, rows held, then the rows
            ms = check_array(ms, "arc masking state", ndim=1)
            if ms.shape[0] < _core.ARCMASK_HEADER:
                raise CorruptFileError("damaged state data: arc masking state too short")
            npts = check_int(ms[0], "arc masking points per cycle", 4, 2 ** 16)
            if ms.shape[0] != _core.ARCMASK_HEADER + 4 * npts:
                raise CorruptFileError("damaged state data: arc masking state does not fit its points per cycle")
            check_int(ms[1], "arc masking rows held", 0, 2)
        ist = state.get("_istate")
        if ist is not None:
            # the inductive-branch scan's state (_arcind.pxi): points per row, rows held, offsets, two rows
            ist = check_array(ist, "arc inductive state", ndim=1)
            if ist.shape[0] < _core.ARCIND_HEADER:
                raise CorruptFileError("damaged state data: arc inductive state too short")
            npts = check_int(ist[0], "arc inductive points per cycle", 8, 4096)
            if ist.shape[0] != _core.ARCIND_HEADER + 2 * npts:
                raise CorruptFileError("damaged state data: arc inductive state does not fit its points per cycle")
            check_int(ist[1], "arc inductive rows held", 0, 2)
        hl = check_int(state["_hist_len"], "arc history length", 0, 10_000)
        check_array(state["_hist"], "arc history", shape=(None, len(_HIST_COLS)))
        if len(state["_hist"]) > max(hl, 1) or max(n_c, n_w) > 10 ** 6:
            raise CorruptFileError("damaged state data: arc history or window longer than the detector keeps")
        check_float(state["_hc_per_s"], "arc half-cycles per second", 0.0, 1000.0)
        check_float(state["_t_first"], "arc first sample", 0.0, 2.0 ** 62, nan=True)
        check_float(state["_last_alarm"], "arc last alarm", -math.inf, 2.0 ** 62)
        if set(state["_p"]) != set(self._p) or state["_p"] != self._p:
            raise CorruptFileError("damaged state data: arc thresholds differ from the detector's parameters")

    # -- the work -----------------------------------------------------------
    def update(self, cycles) -> list[Alert]:
        """Read the next cycles; return arc-fault alerts (kind ``"arc_fault"``)."""
        n = len(cycles)
        if n == 0:
            return []
        fs = float(cycles.fs)
        if not math.isfinite(self._t_first):
            self._t_first = float(cycles.start[0])
        calibrated = self._is_calibrated(cycles)
        ev = self.evidence(cycles)
        pos, code = ev["sample"], ev["code"]
        counted = (code & _BITS["counted"]) != 0
        any_counted = bool(counted.any())

        # learning period / whitelist
        if any_counted:
            idx = np.flatnonzero(counted)
            learning = pos[idx] < self._t_first + self.learn_s * fs
            if learning.any() and len(self._learned) < 64:
                new = np.c_[ev["shoulder_ms"][idx[learning]], ev["step"][idx[learning]]]
                self._learned = np.concatenate([self._learned, new])[:64]
            benign = learning | self._benign(ev["shoulder_ms"][idx], ev["step"][idx])
            if benign.any():
                code[idx[benign]] &= ~_BITS["counted"]
                counted[idx[benign]] = False
                any_counted = bool(counted.any())

        # per-cycle history (RMS, snapshot) and the current level of each half-cycle; the
        # snapshot columns are stacked only when an alert needs them (and for the kept rows)
        hist = None
        if self._hist_len == 0:
            # cycles in 500 ms (25 at 50 Hz, 30 at 60 Hz), from the stream's first cycle
            self._hist_len = max(1, int(round(0.5 * fs / float(cycles.period[0]))))
        k = self._hist_len
        if any_counted:
            # the level is only read for counted half-cycles: compute it for their cycles alone,
            # gathering each one's window of k cycle RMS values (k - 1 before it, NaN before the
            # stream) from the kept history and this chunk without joining them whole
            cyc = np.flatnonzero(counted[0::2] | counted[1::2])
            head = np.concatenate([np.full(k - 1, np.nan), self._hist[:, 1]])
            lh = head.shape[0]          # rows before this chunk's first cycle
            idx = (cyc + (lh - k + 1))[:, None] + np.arange(k)
            win = np.asarray(cycles.i_rms, dtype=float)[np.maximum(idx - lh, 0)]
            early = idx < lh
            if early.any():
                win[early] = head[idx[early]]
            # the largest RMS of the window ignoring NaN; NaN when all are (fmax, as nanmax)
            level = np.fmax.reduce(win, axis=1)

        alerts: list[Alert] = []
        all_pos = all_code = all_w = None    # the window's rows joined with this chunk's: for an alert only
        iec = self.mode == "iec62606" and calibrated
        if any_counted:
            sel = np.flatnonzero(counted)
            if iec:
                # counted twice (see _TWICE_BITS): the half-cycle's position appears twice in the list
                c_sel = code[sel]
                twice = ((c_sel & _TWICE_BITS) == _TWICE_BITS) & ((c_sel & _MBITS["counted"]) != 0)
                if twice.any():
                    sel = np.concatenate([sel, sel[twice]])
            order = np.argsort(pos[sel], kind="stable")     # time order (a cycle may start with its negative half)
            cpos = np.concatenate([self._counted, pos[sel][order]])
            # each counted half-cycle's level is its cycle's (cyc lists those cycles in order)
            clev = np.concatenate([self._counted_i, level[np.searchsorted(cyc, sel[order] >> 1)]])
        else:
            cpos, clev = self._counted, self._counted_i
        n_prev = len(self._counted)
        start_j = n_prev
        while start_j < len(cpos):
            if iec:
                t_break = iec62606_break_time(clev[start_j:])
                w = t_break * fs
                need = np.clip(np.round(_IEC_SHARE * self._hc_per_s * t_break), _IEC_MIN, 14)
            else:
                w = np.full(len(cpos) - start_j, self.window_s * fs)
                need = np.full(len(cpos) - start_j, float(self.count_threshold))
            j = np.arange(start_j, len(cpos))
            first = np.searchsorted(cpos, cpos[j] - w, side="right")
            cnt = j - first + 1
            ok = (cnt >= need) & (cpos[j] >= self._last_alarm + self.rearm_s * fs)
            if not np.any(ok):
                break
            jj = int(j[np.argmax(ok)])
            t_alarm = cpos[jj]
            window = float(w[jj - start_j])
            if hist is None:
                hist = np.concatenate([self._hist, _hist_rows(cycles, n)])
            if all_pos is None:
                all_pos = np.concatenate([self._win_pos, pos])
                all_code = np.concatenate([self._win_code, code])
                all_w = np.concatenate([self._win_w, ev["mask_width_ms"]])
            alerts.append(self._alert(cycles, t_alarm, cpos[first[jj - start_j]:jj + 1], clev[jj],
                                      all_pos, all_code, all_w, hist, window / fs, int(need[jj - start_j]), iec,
                                      calibrated, fs))
            self._last_alarm = t_alarm
            cpos = cpos[jj + 1:]
            clev = clev[jj + 1:]
            start_j = 0

        # keep what the next chunk needs: counted half-cycles and all codes of the last window
        keep_s = max(self.window_s, 1.0) * fs
        pmax = pos.max()
        if len(cpos):
            keep = cpos >= float(pmax) - keep_s
            self._counted, self._counted_i = cpos[keep], clev[keep]
        else:
            # (nothing counted within the window: the usual case, no indexing)
            self._counted, self._counted_i = cpos, clev
        thr = pmax - keep_s
        if all_pos is not None or n <= 32:
            # (short chunks, e.g. one cycle per push: fewest NumPy calls)
            if all_pos is None:
                all_pos = np.concatenate([self._win_pos, pos])
                all_code = np.concatenate([self._win_code, code])
                all_w = np.concatenate([self._win_w, ev["mask_width_ms"]])
            assert all_code is not None and all_w is not None    # set together with all_pos
            keepw = all_pos >= thr
            i0 = int(np.argmax(keepw))
            if keepw[i0:].all():
                # the kept half-cycles are one run at the end (the usual time order): slices
                self._win_pos, self._win_code, self._win_w = all_pos[i0:], all_code[i0:], all_w[i0:]
            else:
                self._win_pos, self._win_code, self._win_w = all_pos[keepw], all_code[keepw], all_w[keepw]
        else:
            # long chunks: keep the window's part of each without joining them whole
            kw = self._win_pos >= thr
            kn = pos >= thr
            i0 = int(np.argmax(kn))     # this chunk's first kept half-cycle (0 when none: kn then selects none)
            kn = kn[i0:]
            self._win_pos = np.concatenate([self._win_pos[kw], pos[i0:][kn]])
            self._win_code = np.concatenate([self._win_code[kw], code[i0:][kn]])
            self._win_w = np.concatenate([self._win_w[kw], ev["mask_width_ms"][i0:][kn]])
        if hist is None:
            hist = np.concatenate([self._hist, _hist_rows(cycles, k)])
        self._hist = hist[-k:]
        return alerts

    def _alert(self, cycles, t_alarm, counted_pos, level, all_pos, all_code, all_w, hist, window_s, need, iec,
               calibrated, fs) -> Alert:
        in_win = (all_pos > t_alarm - window_s * fs) & (all_pos <= t_alarm)
        codes = all_code[in_win]
        # every criterion's count in one pass (criteria, masking criteria, then "masked")
        sums = ((codes[:, None] & _COUNT_BITS[None, :]) != 0).sum(axis=0).tolist()
        counts = dict(zip(_COUNT_NAMES, sums))
        if self.inductive:
            ic = codes >> _IND_SHIFT
            counts["rl_deficit"] = int(((ic & (_core.ARCIND_BITS["dr1"] | _core.ARCIND_BITS["dr2"])) != 0).sum())
            counts["rl_relaxation"] = int((((ic & _core.ARCIND_BITS["rx1"]) != 0)
                                           & ((ic & _core.ARCIND_BITS["rx2"]) != 0)).sum())
            counts["rl_dark_half"] = int(((ic & _core.ARCIND_BITS["dark"]) != 0).sum())
            counts["inductive"] = int(((ic & _core.ARCIND_BITS["counted"]) != 0).sum())
        counts["half_cycles"] = len(codes)
        # which evidence made each counted half-cycle count (Python numbers: no NumPy scalar per item)
        per_half = []
        p_first = float(counted_pos[0])
        for p_, c_, w_ in zip(all_pos[in_win].tolist(), codes.tolist(), all_w[in_win].tolist()):
            if not c_ & _BITS["counted"] or p_ < p_first:
                continue
            names = [nm for nm in ("shoulder", "step", "irregular", "loaded", "skip", "hf") if c_ & _BITS[nm]]
            names += [nm for nm in _MASK_CRITERIA if c_ & _MBITS[nm]]
            if c_ >> _IND_SHIFT:
                names += [_IND_NAMES[nm] for nm in ("dr1", "dr2", "rx1", "rx2", "dark") if c_ & _IBITS[nm]]
            shift = [None if not math.isfinite(x) else round(float(x), 4) for x in w_]
            # iec62606: masking-proof evidence, an irregular flat shoulder and broadband noise count twice
            k = 2 if (iec and (c_ & _TWICE_BITS) == _TWICE_BITS and c_ & _MBITS["counted"]) else 1
            per_half.append({"sample": int(round(p_)), "evidence": names, "pair_shift_ms": shift, "counts": k})
        upto = hist[hist[:, 0] <= t_alarm]
        recent = upto[upto[:, 0] > t_alarm - 0.5 * fs]
        snap = upto[-5:]
        rule = ("iec62606" if iec else "gb14287")
        note = ""
        if self.mode == "iec62606" and not iec:
            note = " (input not calibrated: the IEC 62606 break time needs the current in A, gb14287 rule used)"
        unit = "A" if calibrated else "counts"
        detail: dict[str, Any] = {
            "rule": rule,
            "mode": self.mode,
            "note": note.strip(" ()"),
            "counted": int(len(counted_pos)),
            # the counted list holds a doubled half-cycle twice (the alarm may come at its first copy)
            "counted_twice": int(len(counted_pos) - len(per_half)),
            "required": int(need),
            "window_s": float(window_s),
            "criteria": counts,
            "half_cycles": sorted(e["sample"] for e in per_half),
            "current": float(level) if math.isfinite(level) else None,
            "current_unit": unit,
            "rms_history": {"sample": [int(round(x)) for x in recent[:, 0].tolist()], "i_rms": recent[:, 1].tolist()},
            "snapshot": {c: snap[:, k].tolist() for k, c in enumerate(_HIST_COLS)},
            "sensitivity": self.sensitivity,
            "evidence": per_half,
        }
        lvl = f"{level:.3g} {unit}" if math.isfinite(level) else "unknown current"
        n_twice = detail["counted_twice"]
        twice_txt = (f" ({n_twice} of them counted twice: a moved or new re-ignition, an irregular flat "
                     f"shoulder and broadband noise in the same half-cycle)" if n_twice else "")
        ind_txt = (f", {counts['inductive']} with the R-L response of an arc in an inductive branch "
                   f"({counts['rl_deficit']} delayed re-strikes, {counts['rl_relaxation']} relaxations to a changed "
                   f"arc voltage, {counts['rl_dark_half']} half-waves missed once)" if self.inductive else "")
        expl = (f"series arc suspected: {len(counted_pos) - n_twice} arcing half-cycles{twice_txt} within "
                f"{window_s:.3g} s (rule {rule} needs {need}) at {lvl}; {counts['shoulder']} flat shoulders, "
                f"{counts['step']} re-ignition steps, {counts['irregular']} irregular, {counts['skip']} skipped, "
                f"{counts['masked']} with re-ignition steps moved from one and two cycles before "
                f"({counts['random1']} / {counts['random2']}; {counts['pair_local']} with a step that beat only the "
                f"noise on each side of it) or new against both ({counts['lone']} lone, {counts['lone_local']} of them "
                f"against the noise on each side of the step)"
                f"{ind_txt}{note}")
        return Alert("arc_fault", int(round(t_alarm)), time=t_alarm / fs, detail=detail, explanation=expl,
                     detector=self.name)
