"""Input layer: calibration of ADC counts and validation of sample arrays.

The rule here (as in scipy.signal) is that Python validates and converts,
and the compiled kernels receive contiguous arrays of a type they know:
float64, float32 or int16. Those three are passed through without a float64
copy of the whole signal; calibration is applied to the per-cycle results.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError, LengthMismatchError, NonFiniteError, SampleRateError

__all__ = ["Calibration", "as_samples", "check_fs", "KERNEL_DTYPES"]

#: dtypes handed to the kernel unchanged (no copy of the signal)
KERNEL_DTYPES = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int16))
_KERNEL_SET = frozenset(KERNEL_DTYPES)   # (a set lookup: the fast path of every push)


@dataclass(frozen=True)
class Calibration:
    """How to turn raw samples (ADC counts or sensor volts) into A and V.

    Parameters
    ----------
    current_scale : float
        Amperes per input unit of the current channel (A/count). Default 1.
    voltage_scale : float
        Volts per input unit of the voltage channel (V/count). Default 1.
    current_sign : {1, -1}
        Multiply the current by this sign, for a current transformer mounted
        the wrong way round (a resistive load then shows P < 0).
    phase_deg : float
        Phase error of the current sensor at the mains fundamental, in
        degrees; positive when the sensor makes the current *lag*. It is
        corrected as a pure time delay (harmonic k is rotated by k times this
        angle), which is how CT/anti-alias phase errors behave at low order.
    current_offset, voltage_offset : float
        ADC offset in input units, subtracted before scaling (counts).
    adc_full_scale : float or None
        Absolute input value at which the ADC saturates (counts, e.g. 8191 for
        a 14-bit converter). Samples with ``|x| >= adc_full_scale`` are counted
        as clipped. ``None``: the limits of the input integer type (e.g.
        32767 for int16); float input is never counted as clipped.
    counts : bool
        True when the scales do not give amperes and volts (raw ADC counts
        whose sign, offsets, phase or full scale are corrected): results are
        then labelled in counts (``CycleTable.calibrated`` False) and
        detectors with absolute limits stay silent. Default False: a
        Calibration states A and V.

    Examples
    --------
    >>> cal = Calibration(current_scale=1 / 41.4738, voltage_scale=1 / 21.3872)
    >>> cal.current_scale * 41.4738
    1.0
    """

    current_scale: float = 1.0
    voltage_scale: float = 1.0
    current_sign: int = 1
    phase_deg: float = 0.0
    current_offset: float = 0.0
    voltage_offset: float = 0.0
    adc_full_scale: float | None = None
    counts: bool = False

    def __post_init__(self) -> None:
        for name in ("current_scale", "voltage_scale", "current_sign", "phase_deg", "current_offset",
                     "voltage_offset", "adc_full_scale"):
            value = getattr(self, name)
            if name == "adc_full_scale" and value is None:
                continue
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise InputError(f"Calibration.{name} must be a number, got {value!r}.")
        for name in ("current_scale", "voltage_scale"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise InputError(
                    f"Calibration.{name} must be a positive finite number (units per count), "
                    f"got {value!r}; use current_sign=-1 to flip the current's polarity."
                )
        if self.current_sign not in (1, -1):
            raise InputError(f"Calibration.current_sign must be 1 or -1, got {self.current_sign!r}.")
        for name in ("phase_deg", "current_offset", "voltage_offset"):
            if not np.isfinite(getattr(self, name)):
                raise InputError(f"Calibration.{name} must be finite, got {getattr(self, name)!r}.")
        if abs(self.phase_deg) >= 90:
            raise InputError(
                f"Calibration.phase_deg={self.phase_deg} is not a plausible sensor phase error; "
                "it must lie within (-90, 90) degrees."
            )
        if not isinstance(self.counts, (bool, np.bool_)):
            raise InputError(f"Calibration.counts must be True or False, got {self.counts!r}.")
        if self.adc_full_scale is not None and not (self.adc_full_scale > 0):
            raise InputError(f"Calibration.adc_full_scale must be positive or None, got {self.adc_full_scale!r}.")

    def to_dict(self) -> dict:
        """JSON-safe dict of the parameters."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)

    @property
    def signed_current_scale(self) -> float:
        """A per input unit including the sign."""
        return self.current_sign * self.current_scale


#: highest sample rate accepted (Hz): 10 MHz is 200 000 samples per 50 Hz cycle,
#: beyond any current sensor used for mains analysis; a larger value is a unit
#: error (kHz given as Hz twice) or a damaged file header
MAX_FS = 10e6


def check_fs(fs) -> float:
    """Validate a sample rate in Hz (positive, finite, at most :data:`MAX_FS`) and return it as float."""
    if isinstance(fs, (str, bytes, bool)) or (isinstance(fs, np.ndarray) and fs.ndim):
        raise SampleRateError(f"fs must be a number in Hz, got {fs!r}.")
    try:
        value = float(fs)
    except (TypeError, ValueError, OverflowError):
        raise SampleRateError(f"fs must be a number in Hz, got {fs!r}.") from None
    if not math.isfinite(value) or value <= 0:
        raise SampleRateError(f"fs must be a positive finite sample rate in Hz, got {fs!r}.")
    if value > MAX_FS:
        raise SampleRateError(f"fs={value:g} Hz is above the {MAX_FS:g} Hz currentprint analyses; "
                              "is the rate in Hz (not mHz), and the file header intact?")
    return value


def clip_level(dtype: np.dtype, calibration: Calibration | None) -> float:
    """Input value at which a sample counts as clipped (inf: never)."""
    if calibration is not None and calibration.adc_full_scale is not None:
        return float(calibration.adc_full_scale)
    if dtype.kind in "iu":           # (np.issubdtype(dtype, np.integer), without its cost per stream)
        return float(np.iinfo(dtype).max)
    return float("inf")


def as_samples(x, name: str = "current", *, allow_empty: bool = False, check_finite: bool = True) -> np.ndarray:
    """Return ``x`` as a 1-D contiguous array of float64, float32 or int16.

    Arrays already of one of those dtypes are returned without a copy when
    contiguous. Other integer types (uint16, int32, ...) are converted to
    float64 because the kernel reads only the three types above; booleans,
    complex numbers, strings and objects are refused.

    Raises
    ------
    InputError
        Not 1-D, empty, or not a real numeric type.
    NonFiniteError
        NaN or infinity in float input.
    """
    if type(x) is np.ndarray and x.ndim == 1 and x.dtype in _KERNEL_SET and x.flags.c_contiguous:
        # fast path: the common case on a terminal, one small push per cycle
        return _check_values(x, name, allow_empty, check_finite)
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be a 1-D array of samples, got shape {arr.shape}; "
            "pass one channel at a time (use currentprint.analyze_many for several channels)."
        )
    kind = arr.dtype.kind
    if kind not in "iuf":
        raise InputError(
            f"{name} has dtype {arr.dtype}, which is not a real number type; "
            "give float64, float32 or int16 ADC counts."
        )
    if arr.dtype not in KERNEL_DTYPES:
        # int32/uint16/float16/...: convert once, the kernel reads three types only
        arr = arr.astype(np.float64)
    return _check_values(np.ascontiguousarray(arr), name, allow_empty, check_finite)


def _check_values(arr: np.ndarray, name: str, allow_empty: bool, check_finite: bool) -> np.ndarray:
    if arr.size == 0 and not allow_empty:
        raise InputError(f"{name} is empty: give at least a few mains cycles of samples.")
    if check_finite and arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise NonFiniteError(
            f"{name} contains NaN or infinity (first at sample {bad}); "
            "replace dropouts (e.g. with 0 or interpolation) before analysing."
        )
    return arr


def as_pair(current, voltage, *, allow_empty: bool = False, check_finite: bool = True):
    """Validate a current and an optional voltage of equal length.

    ``check_finite=False`` leaves the NaN/inf test to the caller (the
    streaming kernel does it while it reads the samples anyway).
    """
    i = as_samples(current, "current", allow_empty=allow_empty, check_finite=check_finite)
    if voltage is None:
        return i, None
    v = as_samples(voltage, "voltage", allow_empty=allow_empty, check_finite=check_finite)
    if v.shape[0] != i.shape[0]:
        raise LengthMismatchError(
            f"current has {i.shape[0]} samples but voltage has {v.shape[0]}; "
            "both channels must be sampled together and have the same length."
        )
    return i, v
