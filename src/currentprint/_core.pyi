"""Type stubs of the compiled core (see _core.pyx for the documentation)."""

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

COLUMNS: Final[tuple[str, ...]]
ERRORS: Final[dict[int, str]]
MARGIN_BEFORE: Final[int]
MARGIN_AFTER: Final[int]
STATE_LEN: Final[int]
N_SECTIONS: Final[int]
MIN_CYCLES_PER_WORKER: Final[int]
SPLIT_SCAN_MIN_SAMPLES: Final[int]
SCREEN_THD: Final[int]
SCREEN_VOLTAGE: Final[int]
POOL_MIN_BYTES: Final[int]
POOL_MAX_BYTES: Final[int]
POOL_SLOTS: Final[int]
POOL_TOTAL_BYTES: Final[int]
POOL_SCRATCH_MIN_BYTES: Final[int]
def set_buffer_pool(enabled: bool) -> None: ...
def pool_bytes() -> int: ...
def pooled_empty(shape: tuple[int, ...], dtype: Any = ..., min_bytes: int = ...) -> NDArray[Any]: ...
def _pool_list() -> list[NDArray[np.uint8]]: ...
def split_scan_counts() -> tuple[int, int, int]: ...

def set_simd(path: str = ...) -> str: ...
def simd_path() -> str: ...

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
    offset: float = ...,
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
class CycleStream:
    fs: float
    npts: int
    nh: int
    has_v: bool
    want_waves: bool
    wave_mode: int
    total: int
    buf_start: int
    buf_len: int
    n_pend: int
    def __init__(
        self, fs: float, max_period: float, min_period: float, npts: int, harmonics: int,
        i_scale: float, i_offset: float, v_scale: float, v_offset: float, clip: float,
        phase_rad: float, shoulder_fraction: float, decay: float, hysteresis: float,
        sos: NDArray[np.float64], has_voltage: bool, waveforms: int,
    ) -> None: ...
    def state_arrays(self) -> dict[str, object]: ...
    def load_arrays(self, state: dict[str, object]) -> None: ...

def stream_push(
    st: CycleStream,
    xi: NDArray[np.float64] | NDArray[np.float32] | NDArray[np.int16],
    xv: NDArray[np.float64] | NDArray[np.float32] | NDArray[np.int16],
    executor: Any = ...,
    workers: int = ...,
    max_value: float = ...,
    thd_floor: float = ...,
    noise_k: float = ...,
    min_fund: float = ...,
) -> tuple[int, int, NDArray[np.float64] | None, NDArray[np.complex128] | None,
           NDArray[np.complex128] | None, NDArray[np.float64] | None, NDArray[np.float64] | None]: ...

# event scans (_events.pxi)
EVENT_STATE_SCALARS: Final[int]
EVENT_PARAMS: Final[int]
EVENT_FIELDS: Final[int]
EVENT_STATE_MODE: Final[int]
EVENT_STATE_REF_FIRST: Final[int]
EVENT_STATE_ONSET: Final[int]
def event_state_size(d: int, window: int, settle: int) -> int: ...
def event_scan(features: NDArray[np.float64], params: NDArray[np.float64], state: NDArray[np.float64],
               out: NDArray[np.float64], flush: bool = ...) -> int: ...
def onset_refine(u: NDArray[np.float64], start: NDArray[np.float64], period: NDArray[np.float64],
                 k_sigma: float, back_sigma: float, step_frac: float = ..., back_frac: float = ...) -> float: ...

# arc-fault and thermal scans (_arc.pxi)
ARC_BITS: Final[dict[str, int]]
ARC_PARAM_LEN: Final[int]
ARC_STATE_LEN: Final[int]
def new_arc_state() -> NDArray[np.float64]: ...
def arc_scan(shoulder: NDArray[np.float64], step: NDArray[np.float64], peak: NDArray[np.float64],
             hf: NDArray[np.float64], state: NDArray[np.float64], par: NDArray[np.float64],
             code: NDArray[np.int32]) -> int: ...
def thermal_scan(i_rms: NDArray[np.float64], dt: NDArray[np.float64], state: NDArray[np.float64],
                 rated: float, tau: float, trip: float, rearm: float, fired: NDArray[np.int8],
                 theta_out: NDArray[np.float64]) -> int: ...

# masking-proof arc evidence (_arcmask.pxi)
ARCMASK_BITS: Final[dict[str, int]]
ARCMASK_PARAM_LEN: Final[int]
ARCMASK_HEADER: Final[int]
def new_arcmask_state(npts: int) -> NDArray[np.float64]: ...
def arcmask_scan(waves: NDArray[np.float64], offset: NDArray[np.float64], rms: NDArray[np.float64],
                 state: NDArray[np.float64], par: NDArray[np.float64], code: NDArray[np.int32],
                 width: NDArray[np.float64], size: NDArray[np.float64]) -> int: ...

# inductive-branch arc evidence (_arcind.pxi)
ARCIND_BITS: Final[dict[str, int]]
ARCIND_PARAM_LEN: Final[int]
ARCIND_HEADER: Final[int]
def new_arcind_state(npts: int) -> NDArray[np.float64]: ...
def arcind_scan(waves: NDArray[np.float64], offset: NDArray[np.float64], state: NDArray[np.float64],
                par: NDArray[np.float64], tab: NDArray[np.float64], code: NDArray[np.int32]) -> int: ...

# the arc detector's half-cycle pass (_arcev.pxi)
ARCEV_COLUMNS: Final[tuple[str, ...]]
ARCEV_OUT_ROWS: Final[int]
ARCEV_FPAR_LEN: Final[int]
ARCEV_MASK_SHIFT: Final[int]
def arc_evidence(data: NDArray[np.float64], rows: NDArray[np.intp], state: NDArray[np.float64],
                 par: NDArray[np.float64], sh_hist: NDArray[np.float64], fpar: NDArray[np.float64],
                 out: NDArray[np.float64], code: NDArray[np.int32]) -> int: ...
def arc_mask_merge(mcode: NDArray[np.int32], rms: NDArray[np.float64], period: NDArray[np.float64],
                   min_current: float, calibrated: bool, fs: float, npts: float, width: NDArray[np.float64],
                   width_ms: NDArray[np.float64], code: NDArray[np.int32]) -> int: ...
