"""Alerts: what a detector tells the application."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

__all__ = ["Alert"]


@dataclass
class Alert:
    """One finding of a detector.

    Parameters
    ----------
    kind : str
        What was found: ``"arc_fault"``, ``"resistive_load"``,
        ``"phase_chopper"``, ``"overload"``, ``"event"``, or a plugin's kind.
    sample : int
        Where, in the caller's samples counted from the first sample pushed.
    time : float or None
        The same position in seconds; the Monitor fills it in when None.
    detail : dict
        JSON-safe facts behind the alert (numbers, strings, lists).
    explanation : str
        One line a person can read: why this alert was raised.
    detector : str or None
        Registered name of the detector that raised it.
    timestamp : datetime or None
        Wall-clock time of ``sample`` (UTC), when the Monitor was given a
        ``start_time``; written as ISO 8601 by :meth:`to_dict`.

    Examples
    --------
    >>> a = Alert("overload", 6400, detail={"i_rms_a": 40.0})
    >>> a.explanation
    'overload at sample 6400'
    >>> Alert.from_dict(a.to_dict()) == a
    True
    """

    kind: str
    sample: int
    time: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""
    detector: str | None = None
    timestamp: datetime | None = None

    def __post_init__(self) -> None:
        self.sample = int(self.sample)
        if isinstance(self.timestamp, str):
            self.timestamp = datetime.fromisoformat(self.timestamp)
        if self.time is not None:
            self.time = float(self.time)
        if not self.explanation:
            self.explanation = f"{self.kind} at sample {self.sample}"

    def to_dict(self) -> dict:
        """JSON-safe dict (NaN/inf as null)."""
        out = {"kind": self.kind, "sample": self.sample, "time": self.time,
               "detail": _plain(self.detail), "explanation": self.explanation, "detector": self.detector}
        if self.timestamp is not None:
            out["timestamp"] = self.timestamp.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Alert":
        """Inverse of :meth:`to_dict`; :class:`~currentprint.errors.CorruptFileError` for anything else."""
        from ..errors import CorruptFileError
        keys = {"kind", "sample", "time", "detail", "explanation", "detector"}
        ok = isinstance(data, dict) and set(data) <= keys and {"kind", "sample"} <= set(data)
        if ok:
            s, t = data["sample"], data.get("time")
            ok = (isinstance(data["kind"], str) and type(s) is int and abs(s) < 2 ** 62
                  and (t is None or (type(t) in (int, float) and math.isfinite(t)))
                  and isinstance(data.get("detail", {}), dict)
                  and isinstance(data.get("explanation", ""), str)
                  and (data.get("detector") is None or isinstance(data["detector"], str)))
        if not ok:
            raise CorruptFileError(f"not an alert: {str(data)[:200]}")
        return cls(**data)

    def __str__(self) -> str:
        when = f"{self.time:.3f} s" if self.time is not None else f"sample {self.sample}"
        if self.timestamp is not None:
            when = self.timestamp.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
        return f"[{self.kind}] {when}: {self.explanation}"


def _plain(obj):
    """Numbers and containers as plain JSON types (NaN/inf become None)."""
    t = type(obj)
    # exact-type dispatch first: alerts may carry a few hundred numbers
    if t is float:
        return obj if math.isfinite(obj) else None
    if t is int or t is str or t is bool or obj is None:
        return obj
    if t is dict:
        return {str(k): _plain(v) for k, v in obj.items()}
    if t is list or t is tuple:
        if all(type(v) is float for v in obj):
            return [v if math.isfinite(v) else None for v in obj]
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    return obj
