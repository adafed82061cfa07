"""Independent synthetic series-arc and masking-load models for the fire-detector tests.

Written separately from :mod:`currentprint.synth` (no code shared) so the
detectors are not tested against the same assumptions they were built on.
All currents in A, voltages in V, times in s; every generator is seeded.

Series arc (after the qualitative picture of UL 1699 / IEC 62606 test arcs,
e.g. Gregory, Wong & Dvorak, IEEE Trans. Ind. Appl. 40(4), 2004, and the
"flat shoulder" description of Müller et al., ICEC 2010): while the arc burns
the load current is interrupted around each of its zeros for a random time
(the arc extinguishes when the current falls below a few hundred mA and
re-ignites once the gap voltage reaches the re-strike voltage), then jumps
back to the load's value; some half-cycles do not re-ignite at all; the
conducting part is attenuated by the arc voltage (a random 5–25 %) and
carries broadband noise.
"""

from __future__ import annotations

import math

import numpy as np

TWO_PI = 2.0 * math.pi


def supply(duration_s: float, fs: float, *, v_rms: float = 230.0, f: float = 50.0, h3: float = 0.02,
           h5: float = 0.015, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distorted mains voltage (V) and its fundamental phase (rad)."""
    rng = rng or np.random.default_rng(0)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    f_true = f * (1.0 + rng.uniform(-0.002, 0.002))
    ph = TWO_PI * f_true * t + rng.uniform(0, TWO_PI)
    v = math.sqrt(2) * v_rms * (np.sin(ph) + h3 * np.sin(3 * ph + 0.3) + h5 * np.sin(5 * ph - 0.5))
    v += rng.normal(0.0, 0.3, n)
    return v, ph


def load_current(ph: np.ndarray, i_rms: float, *, lag_deg: float = 0.0, v: np.ndarray | None = None,
                 v_rms: float = 230.0) -> np.ndarray:
    """Resistive (copies the voltage, ``lag_deg=0``) or inductive (lagging sine) load current, A."""
    if lag_deg == 0.0 and v is not None:
        return v * (i_rms / v_rms)
    return math.sqrt(2) * i_rms * np.sin(ph - math.radians(lag_deg))


def add_series_arc(i: np.ndarray, ph: np.ndarray, fs: float, *, start_s: float, lag_deg: float = 0.0,
                   shoulder_ms: tuple[float, float] = (0.4, 2.5), pre_share: tuple[float, float] = (0.1, 0.5),
                   skip_prob: float = 0.08, drop: tuple[float, float] = (0.05, 0.25), noise_rel: float = 0.02,
                   rng: np.random.Generator | None = None) -> np.ndarray:
    """Current with a series arc burning from ``start_s`` to the end.

    Each load-current half-cycle (between zeros at ``ph - lag = m*pi``) gets a
    random dead time around its starting zero: uniform in ``shoulder_ms``,
    a random share ``pre_share`` of it before the zero (the current is cut
    early) and the rest after (late re-ignition); with ``skip_prob`` the
    whole half-cycle stays dark. The conducting part is scaled by
    ``1 - drop`` (random per half-cycle) plus white noise.
    """
    rng = rng or np.random.default_rng(0)
    out = i.copy()
    n = len(i)
    w = TWO_PI * 50.0  # only used to turn ms into phase at nominal frequency
    psi = ph - math.radians(lag_deg)
    k0 = int(math.ceil((psi[int(start_s * fs)]) / math.pi))
    k_end = int(psi[-1] // math.pi)
    conducting = np.ones(n, bool)
    scale = np.ones(n)
    i_pk = np.max(np.abs(i)) if n else 1.0
    for k in range(k0, k_end + 1):
        z = k * math.pi
        a = np.searchsorted(psi, z - math.pi * 0.5)
        b = np.searchsorted(psi, z + math.pi * 0.5)
        # the half-cycle that starts at zero z spans psi in [z, z + pi)
        h0 = np.searchsorted(psi, z)
        h1 = np.searchsorted(psi, z + math.pi)
        if rng.random() < skip_prob:
            conducting[h0:h1] = False
            continue
        dead = rng.uniform(*shoulder_ms) * 1e-3 * w       # rad
        pre = dead * rng.uniform(*pre_share)
        lo = np.searchsorted(psi, z - pre)
        hi = np.searchsorted(psi, z + dead - pre)
        conducting[max(lo, a):min(hi, b)] = False
        scale[h0:h1] = 1.0 - rng.uniform(*drop)
    arc = np.zeros(n, bool)
    arc[int(start_s * fs):] = True
    out = np.where(arc, np.where(conducting, out * scale + rng.normal(0, noise_rel * i_pk / math.sqrt(2), n), 0.0), out)
    # a dark interval is not perfectly zero (leakage, sensor noise)
    out[arc & ~conducting] += rng.normal(0.0, 0.003 * i_pk, int(np.sum(arc & ~conducting)))
    return out


def dimmer(v: np.ndarray, ph: np.ndarray, fs: float, *, power_w: float, firing_deg: float,
           v_rms: float = 230.0, jitter_deg: float = 0.5, rng: np.random.Generator | None = None) -> np.ndarray:
    """Resistive load behind a leading-edge TRIAC: conducts from the firing angle to the next zero."""
    rng = rng or np.random.default_rng(0)
    r = v_rms ** 2 / power_w
    half = np.floor(ph / math.pi).astype(np.int64)
    nh = half.max() - half.min() + 1
    jit = np.radians(rng.normal(0.0, jitter_deg, nh))[half - half.min()]
    on = np.mod(ph, math.pi) >= math.radians(firing_deg) + jit
    return np.where(on, v / r, 0.0)


def smps(v: np.ndarray, fs: float, *, power_w: float, c_uf_per_w: float = 1.0, r_series: float = 2.0,
         hf_ripple: float = 0.02, rng: np.random.Generator | None = None) -> np.ndarray:
    """Capacitor-input bridge rectifier with a constant-power DC load (switch-mode supply), A."""
    rng = rng or np.random.default_rng(0)
    c = c_uf_per_w * power_w * 1e-6
    dt = 1.0 / fs
    vc = 0.9 * np.max(np.abs(v[: int(fs / 50)]))
    out = np.empty_like(v)
    for k, vk in enumerate(np.abs(v)):
        i_load = power_w / max(vc, 1.0)
        i_in = max(0.0, (vk - 1.6 - vc) / r_series)
        vc += (i_in - i_load) * dt / c
        out[k] = i_in
    out = out * np.sign(v)
    return out + hf_ripple * (power_w / 230.0) * rng.normal(0.0, 1.0, len(v))


def brush_motor(ph: np.ndarray, fs: float, *, i_rms: float, lag_deg: float = 25.0, slots: int = 12,
                rpm: float = 18000.0, spike_rel: float = 0.25, rng: np.random.Generator | None = None) -> np.ndarray:
    """Universal (brush) motor: lagging current plus commutator spikes at slots*rpm/60 Hz, A."""
    rng = rng or np.random.default_rng(0)
    n = len(ph)
    base = math.sqrt(2) * i_rms * np.sin(ph - math.radians(lag_deg))
    f_comm = slots * rpm / 60.0
    t = np.arange(n) / fs
    # a short dip/spike each commutation, random height (sparking brushes)
    phase = np.mod(t * f_comm, 1.0)
    spikes = (phase < f_comm / fs).astype(float) * rng.normal(0.0, spike_rel, n)
    return base * (1.0 + spikes) + rng.normal(0.0, 0.01 * i_rms, n)


def led_driver(v: np.ndarray, fs: float, *, power_w: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Cheap LED driver: small-capacitor rectifier with a 40 kHz-ish switching ripple aliased in, A."""
    rng = rng or np.random.default_rng(0)
    i = smps(v, fs, power_w=power_w, c_uf_per_w=0.3, r_series=20.0, hf_ripple=0.0, rng=rng)
    return i + 0.05 * (power_w / 230.0) * rng.normal(0.0, 1.0, len(v))


def arc_case(seed: int, *, fs: float, i_rms: float, inductive: bool, duration_s: float = 3.0,
             start_s: float = 1.5) -> tuple[np.ndarray, np.ndarray, float]:
    """(current A, voltage V, arc start s) of one random series-arc scenario."""
    rng = np.random.default_rng(seed)
    v, ph = supply(duration_s, fs, rng=rng)
    lag = rng.uniform(20.0, 45.0) if inductive else 0.0
    i = load_current(ph, i_rms, lag_deg=lag, v=v)
    i = add_series_arc(i, ph, fs, start_s=start_s, lag_deg=lag, rng=rng)
    i += rng.normal(0.0, 0.01, len(i))
    return i, v, start_s
