"""Conformance checks for detectors, for third parties' own test suites.

Call :func:`check_detector` on an instance of your detector from a test::

    from currentprint.testing import check_detector

    def test_my_detector_conforms():
        check_detector(MyDetector())

It raises :class:`AssertionError` with a message naming the rule that was
broken. The model is scikit-learn's ``check_estimator``.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from typing import Any

import numpy as np

from .alerts import Alert
from ..core.cycles import CycleTable
from .base import BaseDetector, _wave_need

__all__ = ["check_detector", "conformance_signal", "alerts_close"]


@functools.lru_cache(maxsize=4)
def _default_table(waveforms: bool | str) -> tuple[CycleTable, int]:
    from ..core.analyzer import analyze
    sig = conformance_signal()
    table = analyze(sig.current, sig.voltage, fs=sig.fs, waveforms=waveforms)
    return table, sig.n_samples


def conformance_signal():
    """The synthetic recording :func:`check_detector` uses by default.

    10 s at 6.4 kHz, 230 V 50 Hz: a 2 kW heater on at 1 s and off at 7 s
    with a series arc from 5.5 s to 6.8 s, a 400 W motor (PF 0.8) on at
    2.5 s, a 300 W dimmed lamp (90° firing angle) on at 4 s, a 150 W
    switch-mode supply on at 5 s; seed 7.

    Returns
    -------
    currentprint.synth.SynthSignal
    """
    from .. import synth
    return synth.synth_signal(
        duration_s=10.0, fs=6400.0,
        loads={"heater": synth.Resistive(2000.0), "motor": synth.Motor(400.0, pf=0.8),
               "dimmer": synth.PhaseCut(300.0, firing_angle_deg=90.0), "smps": synth.Rectifier(150.0)},
        schedule=[(1.0, "heater", "on"), (2.5, "motor", "on"), (4.0, "dimmer", "on"),
                  (5.0, "smps", "on"), (7.0, "heater", "off")],
        arc=synth.ArcModel(5.5, 6.8, "heater"), seed=7,
    )


def _fail(det: BaseDetector, rule: str, message: str) -> None:
    raise AssertionError(f"{type(det).__name__} fails check_detector [{rule}]: {message}")


def _is_json_safe(obj: Any) -> bool:
    if obj is None or isinstance(obj, (bool, str)):
        return True
    if isinstance(obj, (int, float)) and not isinstance(obj, (np.integer,)):
        return True
    if isinstance(obj, (list, tuple)):
        return all(_is_json_safe(x) for x in obj)
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _is_json_safe(v) for k, v in obj.items())
    return False


def _same_value(a: Any, b: Any, rtol: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k], rtol) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, numbers.Real) and isinstance(b, numbers.Real)) or isinstance(a, bool) \
                or isinstance(b, bool):
            return False
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= rtol * max(abs(a), abs(b), 1e-12)
    return a == b


def alerts_close(a: list[Alert], b: list[Alert], *, rtol: float = 1e-9) -> bool:
    """True when two alert lists agree: same kinds and samples, numbers within ``rtol``."""
    if len(a) != len(b):
        return False
    return all(_same_value(x.to_dict(), y.to_dict(), rtol) for x, y in zip(a, b))


def _describe(alerts: list[Alert], limit: int = 4) -> str:
    head = ", ".join(f"{a.kind}@{a.sample}" for a in alerts[:limit])
    more = f", … ({len(alerts)} in all)" if len(alerts) > limit else ""
    return f"[{head}{more}]"


def _copy(table: CycleTable) -> CycleTable:
    """A table with its own arrays (a misbehaving detector cannot spoil the shared one)."""
    waves = None if table._waves is None else (table._waves[0].copy(), table._waves[1].copy())
    return CycleTable(table._data.copy(), table._harm_i.copy(), table._harm_v.copy(), fs=table.fs,
                      has_voltage=table.has_voltage, n_points=table.n_points, waves=waves,
                      calibrated=table.calibrated)


def _feed(det: BaseDetector, table: CycleTable, bounds: list[int]) -> list[Alert]:
    out: list[Alert] = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        got = det.update(_copy(table[lo:hi]))
        if not isinstance(got, list):
            _fail(det, "returns-list", f"update returned {type(got).__name__}, not a list of Alert")
        out.extend(got)
    return out


def _snapshot(table: CycleTable) -> list[np.ndarray]:
    arrays = [table._data, table._harm_i, table._harm_v]
    if table._waves is not None:
        arrays += list(table._waves)
    return [a.copy() for a in arrays]


def check_detector(det: BaseDetector, *, signal=None, rtol: float = 1e-9, min_alerts: int = 1) -> dict:
    """Check that a detector follows the currentprint detector contract.

    The checks:

    1. ``name`` is a non-empty string other than ``"base"``;
    2. every ``__init__`` parameter is stored unchanged under its own name,
       ``get_params`` returns them and ``set_params`` round-trips;
    3. ``update`` on an empty table returns ``[]``;
    4. ``update`` returns a list of :class:`~currentprint.Alert` whose
       ``sample`` is absolute (inside the stream), whose ``kind`` and
       ``explanation`` are strings and whose ``detail`` is JSON-safe;
    5. streaming invariance: the same cycles fed whole, one cycle at a time
       and in random chunks (empty ones included) give the same alerts;
    6. ``reset()`` returns the detector and makes it behave like a new one;
    7. ``state_dict()`` is JSON-serialisable and ``load_state`` into a new
       detector mid-stream gives the same subsequent alerts;
    8. ``update`` does not modify the table it is given;
    9. it raised at least ``min_alerts`` alerts on the signal: checks 5-7
       prove nothing about a detector that stays silent.

    Parameters
    ----------
    det : BaseDetector
        An instance (it is not modified: the checks run on copies made from
        its parameters).
    signal : SynthSignal or tuple, optional
        ``(current, voltage, fs)`` or a :class:`~currentprint.synth.SynthSignal`
        to run on; default :func:`conformance_signal`.
    rtol : float
        Relative tolerance on numbers in alerts between chunkings.
    min_alerts : int
        Alerts the detector must raise on the signal (default 1). Pass a
        ``signal`` on which it should fire; ``min_alerts=0`` only to check
        that it stays silent where nothing happens.

    Returns
    -------
    dict
        ``{"alerts": n}``: how many alerts the detector raised on the whole
        signal (so a test can also insist it found something).

    Raises
    ------
    AssertionError
        Naming the rule that was broken.

    Examples
    --------
    An overload detector rated far below the conformance signal's current
    must raise its alert, the same way in every chunking:

    >>> from currentprint.detectors.overload import OverloadDetector
    >>> check_detector(OverloadDetector(rated_current_a=0.5))
    {'alerts': 1}
    """
    if not isinstance(det, BaseDetector):
        raise AssertionError(f"{det!r} is not a currentprint.BaseDetector instance")
    cls = type(det)
    # 1. name
    if not isinstance(cls.name, str) or not cls.name or cls.name == "base":
        _fail(det, "name", "set a class attribute name = '...' (the registry name)")
    # 2. parameters
    try:
        params = det.get_params()
    except (AttributeError, TypeError) as exc:
        _fail(det, "params", str(exc))
    try:
        clone = cls(**params)
    except Exception as exc:  # noqa: BLE001 - we report whatever the constructor raised
        _fail(det, "params", f"cannot rebuild from get_params() ({type(exc).__name__}: {exc})")
    for key, value in params.items():
        got = clone.get_params()[key]
        if not (got is value or (type(got) is type(value) and _same_value(got, value, 0.0))):
            _fail(det, "params", f"parameter {key!r} given as {value!r} is stored as {got!r}; "
                                 "store __init__ arguments unchanged and validate them in update")
    other = cls(**params).set_params(**params)
    if not isinstance(other, cls):
        _fail(det, "params", "set_params must return the detector itself")
    if not _same_value(other.get_params(), params, 0.0):
        _fail(det, "params", "set_params(**get_params()) changed the parameters")

    # the cycle table
    if signal is None:
        table, n_samples = _default_table(_wave_need(None, [cls]))
    else:
        from ..core.analyzer import analyze
        if hasattr(signal, "current"):
            current, voltage, fs = signal.current, signal.voltage, signal.fs
        else:
            current, voltage, fs = signal
        table = analyze(current, voltage, fs=fs, waveforms=_wave_need(None, [cls]))
        n_samples = len(current)
    nc = len(table)

    # 3. empty table
    fresh = cls(**params)
    got = fresh.update(table[0:0])
    if got != []:
        _fail(det, "empty", f"update on an empty table must return [], got {got!r}")

    # 4. + 8. one pass over the whole table, checking the output and the input
    given = _copy(table)
    ref = cls(**params).update(given)
    if not isinstance(ref, list):
        _fail(det, "returns-list", f"update returned {type(ref).__name__}, not a list of Alert")
    for a, b in zip(_snapshot(table), _snapshot(given)):
        if not np.array_equal(a, b, equal_nan=True):
            _fail(det, "no-mutation", "update modified the cycle table it was given; copy arrays before "
                                      "changing them")
    for a in ref:
        if not isinstance(a, Alert):
            _fail(det, "alerts", f"update returned a {type(a).__name__}, not currentprint.Alert")
        if not isinstance(a.kind, str) or not a.kind:
            _fail(det, "alerts", f"alert kind must be a non-empty string, got {a.kind!r}")
        if not 0 <= a.sample <= n_samples:
            _fail(det, "absolute-samples", f"alert sample {a.sample} is outside the stream (0..{n_samples}); "
                                           "use cycles.start, which is absolute, not row numbers")
        if not isinstance(a.explanation, str):
            _fail(det, "alerts", "alert explanation must be a string")
        if not isinstance(a.detail, dict) or not _is_json_safe(a.detail):
            _fail(det, "json-detail", f"alert detail must be a dict of plain JSON types (str keys; "
                                      f"int/float/str/bool/None/list/dict), got {a.detail!r}")
        try:
            json.dumps(a.to_dict(), allow_nan=False)
        except (TypeError, ValueError) as exc:
            _fail(det, "json-detail", f"alert is not JSON-serialisable: {exc}")

    # 9. something to compare: a silent detector passes 5-7 trivially
    if len(ref) < min_alerts:
        _fail(det, "alerts-found", f"it raised {len(ref)} alerts on the signal (at least {min_alerts} needed): "
                                   "the streaming and state checks compare nothing; pass a signal=(current, "
                                   "voltage, fs) on which it fires, or min_alerts=0 for a silence check")

    # 5. streaming invariance
    rng = np.random.default_rng(12345)
    chunkings = {"one cycle at a time": list(range(nc + 1))}
    bounds = [0]
    while bounds[-1] < nc:
        bounds.append(min(nc, bounds[-1] + int(rng.integers(0, 40))))
    chunkings["random chunks (some empty)"] = bounds
    for what, bounds in chunkings.items():
        got = _feed(cls(**params), table, bounds)
        if not alerts_close(ref, got, rtol=rtol):
            _fail(det, "streaming", f"fed {what} it raised {_describe(got)}, fed the whole table "
                                    f"{_describe(ref)}; keep running state between update calls")

    # 6. reset
    used = cls(**params)
    _feed(used, table, [0, nc // 2, nc])
    back = used.reset()
    if back is not used:
        _fail(det, "reset", "reset() must return the detector itself")
    got = _feed(used, table, [0, nc])
    if not alerts_close(ref, got, rtol=rtol):
        _fail(det, "reset", f"after reset() it raised {_describe(got)}, a new detector {_describe(ref)}")

    # 7. state round trip through JSON, at several cuts
    for cut in sorted({nc // 3, nc // 2, (2 * nc) // 3, nc - 1} - {-1}):
        first = cls(**params)
        head = _feed(first, table, [0, cut])
        try:
            text = json.dumps(first.state_dict(), allow_nan=False)
        except Exception as exc:  # noqa: BLE001 - any failure to save is the finding
            _fail(det, "state", f"state_dict() is not JSON-serialisable ({exc}); keep state in numbers, "
                                "strings, lists, dicts or NumPy arrays")
        restored = cls(**params)
        try:
            back = restored.load_state(json.loads(text))
        except Exception as exc:  # noqa: BLE001
            _fail(det, "state", f"load_state(state_dict()) raised {type(exc).__name__}: {exc}")
        if back is not restored:
            _fail(det, "state", "load_state() must return the detector itself")
        tail = _feed(restored, table, [cut, nc])
        cont = _feed(first, table, [cut, nc])
        if not alerts_close(ref, head + cont, rtol=rtol):
            _fail(det, "streaming", f"fed cycles [0, {cut}) then [{cut}, {nc}) it raised {_describe(head + cont)}, "
                                    f"fed the whole table {_describe(ref)}; keep running state between update calls")
        if not alerts_close(ref, head + tail, rtol=rtol):
            _fail(det, "state", f"restored after cycle {cut} of {nc}, the alerts were {_describe(head + tail)} "
                                f"instead of {_describe(ref)}")
    return {"alerts": len(ref)}
