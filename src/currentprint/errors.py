"""Exceptions and warnings raised by currentprint.

Every error the library raises on purpose is a :class:`CurrentprintError`.
Errors caused by the caller's data or arguments also subclass
:class:`ValueError`, so ``except ValueError`` keeps working for code that does
not know about currentprint.
"""

from __future__ import annotations

__all__ = [
    "CurrentprintError",
    "InputError",
    "NonFiniteError",
    "LengthMismatchError",
    "SampleRateError",
    "NoZeroCrossingError",
    "MainsFrequencyError",
    "CorruptFileError",
    "MissingFileError",
    "RegistryError",
    "ClippingWarning",
    "InputWarning",
]


class CurrentprintError(Exception):
    """Base class of every error raised by currentprint."""


class InputError(CurrentprintError, ValueError):
    """The samples or arguments given cannot be analysed as they are."""


class NonFiniteError(InputError):
    """The samples contain NaN or infinity."""


class LengthMismatchError(InputError):
    """Current and voltage do not have the same number of samples."""


class SampleRateError(InputError):
    """The sample rate is invalid or too low for what was asked."""


class NoZeroCrossingError(InputError):
    """The voltage has no usable rising zero crossings (DC, zero or dead channel)."""


class MainsFrequencyError(NoZeroCrossingError):
    """Zero crossings exist but not at an accepted mains frequency: ``fs`` or ``mains_hz`` is likely wrong."""


class CorruptFileError(CurrentprintError, ValueError):
    """A saved library or state file is damaged, truncated or not ours."""


class MissingFileError(CurrentprintError, FileNotFoundError):
    """A file to read does not exist (also a :class:`FileNotFoundError`)."""


class RegistryError(CurrentprintError, KeyError):
    """A detector name is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class ClippingWarning(UserWarning):
    """ADC samples at full scale were found: values near the peak are unreliable."""


class InputWarning(UserWarning):
    """A file was read with an assumption the caller should check (irregular time stamps, unused columns)."""
