"""Type stubs of the compiled core (see _core.pyx for the documentation)."""

from typing import Final

import numpy as np
from numpy.typing import NDArray

COLUMNS: Final[tuple[str, ...]]
ERRORS: Final[dict[int, str]]
MARGIN_BEFORE: Final[int]
MARGIN_AFTER: Final[int]
STATE_LEN: Final[int]
N_SECTIONS: Final[int]

class FFTPlan:
    n: int
    def __init__(self, n: int) -> None: ...

def rfft_batch(x: NDArray[np.float64], plan: FFTPlan | None = ...) -> NDArray[np.complex128]: ...
def dft_harmonics_batch(x: NDArray[np.float64], harmonics: int) -> NDArray[np.complex128]: ...
def new_scan_state() -> NDArray[np.float64]: ...
def scan_crossings(
    x: NDArray[np.float64] | NDArray[np.float32] | NDArray[np.int16],
    state: NDArray[np.float64],
    out: NDArray[np.float64],
    decay: float,
    hysteresis: float,
    min_period: float,
    sos: NDArray[np.float64],
    use_filter: bool,
) -> int: ...
def cycle_features(
    current: NDArray[np.float64] | NDArray[np.float32] | NDArray[np.int16],
    voltage: NDArray[np.float64] | NDArray[np.float32] | NDArray[np.int16],
    has_voltage: bool,
    t0: NDArray[np.float64],
    t1: NDArray[np.float64],
    base: int,
    plan: FFTPlan,
    harmonics: int,
    i_scale: float,
    i_offset: float,
    v_scale: float,
    v_offset: float,
    clip: float,
    phase_rad: float,
    shoulder_fraction: float,
    fs: float,
    out: NDArray[np.float64],
    harm_i: NDArray[np.complex128],
    harm_v: NDArray[np.complex128],
    wave_i: NDArray[np.float64],
    wave_v: NDArray[np.float64],
) -> int: ...
def __getattr__(name: str) -> object: ...  # event and arc scans (see _events.pxi, _arc.pxi)
