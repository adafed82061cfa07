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


# ---------------------------------------------------------------------------
# A circuit-driven series arc (Ayrton V-I characteristic) and masking loads of other constructions.
#
# Written for evaluation and tests only, separately from currentprint.circuits and from the
# phenomenological arc above: here the dead time is not drawn, it follows from the circuit. The
# arc burns with the static characteristic of Ayrton (H. Ayrton, "The Electric Arc", 1902),
# u_arc = A + B d + (C + D d) / |i| for an arc of length d (mm); it goes out where the supply can
# no longer drive the load current through that voltage (near each current zero: the falling
# current raises C/|i| until no current satisfies the circuit), and re-strikes only when the gap
# voltage - the full supply voltage, since no current flows - reaches a re-strike voltage that is
# random from one half-cycle to the next (gap cooling, electrode surface; the test arcs of
# IEC 62606:2013 9.9.2 / UL 1699 between a carbon and a copper electrode re-strike at tens to a
# couple of hundred volts). Some half-cycles never reach it (the gap cooled too far). The arc
# length wanders (vibrating, burning-back electrodes) and the arc voltage carries broadband
# fluctuation. In an inductive branch the current cannot jump: after re-strike it grows at
# (u - u_arc - R i) / L, so the re-ignition is a ramp, not a step.
# ---------------------------------------------------------------------------

def _periodic_start(v: np.ndarray, fs: float, r: float, l_h: float, f: float = 50.0) -> float:
    """Branch current (A) at t = 0 of an R-L branch in steady state (two periods integrated, then reused)."""
    n = int(round(fs / f))
    i = 0.0
    if l_h <= 0.0 or len(v) < n:
        return float(v[0] / r) if len(v) else 0.0
    a = math.exp(-r / (l_h * fs))
    for _ in range(3):
        for k in range(n):
            i = i * a + (1.0 - a) * v[k] / r
    return i


def ayrton_arc_branch(v: np.ndarray, fs: float, *, i_rms: float, lag_deg: float = 0.0, start_s: float,
                      rng: np.random.Generator, v_rms: float | None = None, f: float = 50.0,
                      restrike_v: tuple[float, float] = (30.0, 170.0), no_restrike: float = 0.06,
                      gap_mm: tuple[float, float] = (0.3, 2.0), substeps: int = 8) -> np.ndarray:
    """Current (A) of an R (``lag_deg=0``) or R-L branch with an Ayrton series arc from ``start_s``.

    The branch draws ``i_rms`` (A) at ``lag_deg`` without the arc. Per case:
    electrode constants A 15-25 V, B 1.5-2.5 V/mm, C 8-15 W, D 8-12 W/mm,
    arc-voltage fluctuation 0.5-3 V RMS. Per half-cycle: re-strike voltage
    uniform in ``restrike_v`` (V), no re-strike at all with ``no_restrike``;
    the gap length walks within ``gap_mm``. Integrated with ``substeps`` per
    sample (exact R-L step, supply linear between samples).
    """
    v = np.asarray(v, dtype=float)
    n = len(v)
    vr = float(np.sqrt(np.mean(v * v))) if v_rms is None else float(v_rms)
    z = vr / i_rms
    phi = math.radians(lag_deg)
    r = z * math.cos(phi)
    l_h = z * math.sin(phi) / (TWO_PI * f)
    a_v, b_v = rng.uniform(15.0, 25.0), rng.uniform(1.5, 2.5)
    c_w, d_w = rng.uniform(8.0, 15.0), rng.uniform(8.0, 12.0)
    sig_v = rng.uniform(0.5, 3.0)
    i_ext = rng.uniform(0.1, 0.5)            # below this the arc column cannot be held (A)
    k0 = int(start_s * fs)
    out = np.empty(n)
    i = _periodic_start(v, fs, r, l_h, f)
    dt = 1.0 / (fs * substeps)
    a_step = math.exp(-r * dt / l_h) if l_h > 0 else 0.0
    burning, sgn_prev = True, 0.0
    gap = rng.uniform(*gap_mm)
    u_r = rng.uniform(*restrike_v)
    noise = rng.normal(0.0, sig_v, n)
    v_prev = v[0]
    for k in range(n):
        vk = v[k]
        if k < k0:
            # healthy branch: no arc
            if l_h > 0:
                for s in range(substeps):
                    vs = v_prev + (vk - v_prev) * (s + 1) / substeps
                    i = i * a_step + (1.0 - a_step) * vs / r
            else:
                i = vk / r
            out[k] = i
            v_prev = vk
            continue
        sv = 1.0 if vk >= 0 else -1.0
        if sv != sgn_prev:
            # a new half-cycle of the supply: new re-strike voltage and gap length
            sgn_prev = sv
            u_r = math.inf if rng.random() < no_restrike else rng.uniform(*restrike_v)
            gap = float(np.clip(gap + rng.normal(0.0, 0.15), *gap_mm))
        ua = a_v + b_v * gap + noise[k]
        cd = c_w + d_w * gap
        if l_h <= 0:
            if not burning and abs(vk) >= u_r:
                burning = True
            if burning:
                x = abs(vk) - ua
                disc = x * x - 4.0 * r * cd
                if x <= 0 or disc < 0:
                    burning, i = False, 0.0
                else:
                    i = sv * (x + math.sqrt(disc)) / (2.0 * r)
                    if abs(i) < i_ext:
                        burning, i = False, 0.0
            else:
                i = 0.0
        else:
            for s in range(substeps):
                vs = v_prev + (vk - v_prev) * (s + 1) / substeps
                if not burning:
                    if abs(vs) >= u_r:
                        burning = True
                        i = math.copysign(i_ext, vs)
                    else:
                        i = 0.0
                        continue
                si = 1.0 if i >= 0 else -1.0
                u_arc = si * (ua + cd / max(abs(i), i_ext))
                i_new = i * a_step + (1.0 - a_step) * (vs - u_arc) / r
                if i_new * si <= i_ext:
                    burning, i = False, 0.0
                else:
                    i = i_new
        out[k] = i
        v_prev = vk
    return out


def recovery_arc_branch(v: np.ndarray, fs: float, *, i_rms: float, lag_deg: float = 0.0, start_s: float,
                        rng: np.random.Generator, v_rms: float | None = None, f: float = 50.0,
                        arc_v: tuple[float, float] = (15.0, 40.0), no_restrike: float = 0.03,
                        length_scatter: float = 0.3, substeps: int = 16) -> np.ndarray:
    """Current (A) of an R or R-L branch with a series arc whose gap recovers its strength after each zero.

    A second circuit-driven arc, written to check evidence designed on :func:`ayrton_arc_branch`
    against different physics (for evaluation and tests only):

    * the column is a constant-voltage arc (Cassie, CIGRE report 102, 1939), u = U_h sign(i); the
      contact of a loose terminal moves and the column's length with it: per current half-cycle a
      length factor lambda (1 -/+ ``length_scatter``: 0.7-1.3) scales the case's column voltage
      (20-30 V; U_h clipped to ``arc_v``, V) and the cold gap's strength U_max (below); below the
      column's holding current (0.2-0.6 A per case) the voltage rises as U_h (i_c / |i|)^0.5 as
      the column cools towards the zero (after the Mayr picture of a conductance that follows the
      power input: Mayr, Archiv fuer Elektrotechnik 37, 1943);
    * the arc goes out where the current reaches zero (it never jumps: the branch's inductance
      holds it, the column's voltage brings it to zero);
    * dielectric recovery: after the zero the gap withstands
      U_b(t) = U_0 + (U_max - U_0) (1 - exp(-t / tau_r)), with U_0 drawn per half-cycle in
      10-120 V (a hot, ionised gap), U_max lambda x 150-300 V, at most 280 V (the cold carbonised
      path, below the supply peak: the arc is not over after a dark half-cycle) and tau_r
      0.2-2 ms per case; it re-strikes when the supply across the open gap exceeds U_b, and with
      ``no_restrike`` it stays open for the whole next current half-cycle;
    * 1-5 V RMS broadband fluctuation of the arc voltage; the branch lags by ``lag_deg``
      (R-L, exact step per sub-step, supply linear between samples).
    """
    v = np.asarray(v, dtype=float)
    n = len(v)
    vr = float(np.sqrt(np.mean(v * v))) if v_rms is None else float(v_rms)
    z = vr / i_rms
    phi = math.radians(lag_deg)
    r = z * math.cos(phi)
    l_h = z * math.sin(phi) / (TWO_PI * f)
    i_c = rng.uniform(0.2, 0.6)
    u_max_case = rng.uniform(150.0, 300.0)   # a cold carbonised gap: below the supply peak
    u_h_case = rng.uniform(20.0, 30.0)

    def draw():
        lam = rng.uniform(1.0 - length_scatter, 1.0 + length_scatter)   # this half-cycle's column length
        # the cold strength stays below the supply's peak (280 V): the arc is not over
        return float(np.clip(u_h_case * lam, *arc_v)), min(u_max_case * lam, 280.0), rng.uniform(10.0, 120.0)
    tau_r = rng.uniform(0.2e-3, 2.0e-3)
    sig_v = rng.uniform(1.0, 5.0)
    noise = rng.normal(0.0, sig_v, n)
    k0 = int(start_s * fs)
    dt = 1.0 / (fs * substeps)
    a_step = math.exp(-r * dt / l_h) if l_h > 0 else 0.0
    i = _periodic_start(v, fs, r, l_h, f)
    out = np.empty(n)
    burning = True
    u_h, u_max, u_0 = draw()
    t_open = 0.0
    blocked = 0.0              # != 0: no re-strike until the supply turns to this sign again
    rising = False
    sv_prev = 1.0 if v[0] >= 0 else -1.0
    v_prev = v[0]
    for k in range(n):
        vk = v[k]
        if k < k0:
            if l_h > 0:
                for s in range(substeps):
                    vs = v_prev + (vk - v_prev) * (s + 1) / substeps
                    i = i * a_step + (1.0 - a_step) * vs / r
            else:
                i = vk / r
            out[k] = i
            v_prev = vk
            sv_prev = 1.0 if vk >= 0 else -1.0
            continue
        sv = 1.0 if vk >= 0 else -1.0
        if sv != sv_prev:
            sv_prev = sv
            if abs(blocked) == 2.0:
                blocked = 0.5 * blocked      # the other sign came: now wait for the old one
            elif sv == blocked:
                blocked = 0.0
        for s in range(substeps):
            vs = v_prev + (vk - v_prev) * (s + 1) / substeps
            if not burning:
                t_open += dt
                u_b = u_0 + (u_max - u_0) * (1.0 - math.exp(-t_open / tau_r))
                if blocked != 0.0 or abs(vs) < max(u_b, u_h):   # the column cannot burn below its voltage
                    i = 0.0
                    continue
                burning = True       # re-strike: the current starts from zero
                i = 0.0
                rising = True
            si = math.copysign(1.0, i) if i != 0.0 else math.copysign(1.0, vs)
            ai = abs(i)
            if ai >= i_c:
                rising = False
            # the low-current rise only as the column cools towards the zero, not as it forms
            rise = 1.0 if rising or ai >= i_c else math.sqrt(i_c / max(ai, 1e-4))
            u_arc = si * (u_h * rise + noise[k])
            if l_h > 0:
                i_new = i * a_step + (1.0 - a_step) * (vs - u_arc) / r
            else:
                i_new = (vs - u_arc) / r
            if i_new * si <= 0.0:
                # current zero: the arc goes out; the next half-cycle draws its own column
                # (a resistive branch goes out before the supply's zero, an R-L one after it: either
                # way a blocked gap stays open until the supply has the old current's sign again,
                # after one full supply half-cycle of the other sign)
                blocked = si if rng.random() < no_restrike else 0.0
                if blocked != 0.0 and sv == si:
                    blocked = 2.0 * si       # first the supply must turn to the other sign
                burning, i, t_open = False, 0.0, 0.0
                u_h, u_max, u_0 = draw()
            else:
                i = i_new
        out[k] = i
        v_prev = vk
    return out


def valley_fill_led(v: np.ndarray, fs: float, *, power_w: float, rng: np.random.Generator,
                    c_uf: float | None = None, r_s: float = 8.0, ripple: float = 0.04) -> np.ndarray:
    """LED driver with a passive valley-fill stage (two capacitors charged in series, discharged in parallel), A.

    The converter takes constant power from the higher of the line (rectified)
    and the capacitor voltage: above the capacitor voltage the line feeds it
    (P/|v|), the capacitors recharge in series through ``r_s`` near the crest,
    and in the valleys the line current is zero. A switching ripple (tens of
    kHz, aliased) rides on the line current.
    """
    v = np.asarray(v, dtype=float)
    c = (c_uf if c_uf is not None else 0.5 * power_w) * 1e-6
    dt = 1.0 / fs
    vpk = float(np.max(np.abs(v[: int(fs / 25)])))
    vc = 0.5 * vpk
    out = np.empty_like(v)
    for k, vk in enumerate(np.abs(v)):
        i_line = 0.0
        if vk > vc:
            i_line = power_w / vk
            i_ch = max(0.0, (vk - 2.0 * vc - 1.4) / r_s)
            vc += i_ch * dt / c          # series charging: both capacitors get the same current
            i_line += i_ch
        else:
            vc -= 0.5 * (power_w / max(vc, 1.0)) * dt / c
        out[k] = i_line
    f_sw = rng.uniform(40e3, 90e3)
    t = np.arange(len(v)) / fs
    hf = ripple * np.cos(TWO_PI * f_sw * t + rng.uniform(0, TWO_PI))
    return np.sign(v) * out * (1.0 + hf) + rng.normal(0.0, 0.002, len(v))


def electronic_transformer_hf(v: np.ndarray, fs: float, *, power_w: float, rng: np.random.Generator,
                              v_rms: float = 230.0, depth: float = 0.25) -> np.ndarray:
    """Self-oscillating half-bridge halogen transformer without a bulk capacitor, A.

    The lamp's power follows the line (current proportional to |v|), chopped at a
    switching frequency that rises with the line voltage (~30-45 kHz, aliased at
    the sampling rate: a pattern that never repeats from cycle to cycle). The
    oscillator stops below its hold voltage near each zero and restarts only when
    the DIAC fires (30-40 V, with a start delay jitter of a few switching periods):
    every half-cycle begins with an abrupt start.
    """
    v = np.asarray(v, dtype=float)
    g = power_w / v_rms ** 2
    n = len(v)
    t = np.arange(n) / fs
    f0 = rng.uniform(28e3, 34e3)
    vpk = float(np.max(np.abs(v[: int(fs / 25)])))
    inst_f = f0 * (1.0 + 0.35 * np.abs(v) / vpk)
    phase = TWO_PI * np.cumsum(inst_f) / fs
    v_diac = rng.uniform(30.0, 40.0)
    v_hold = 0.6 * v_diac
    on = np.zeros(n, bool)
    running, delay = False, 0.0
    t_arm = 0.0
    for k in range(n):
        a = abs(v[k])
        if running:
            if a < v_hold:
                running = False
        elif a >= v_diac:
            if delay <= 0.0:
                delay = rng.uniform(0.0, 80e-6)
                t_arm = t[k]
            if t[k] - t_arm >= delay:
                running, delay = True, 0.0
        on[k] = running
    i = g * v * (1.0 + depth * np.cos(phase))
    return np.where(on, i, 0.0) + rng.normal(0.0, 0.003, n)


def speed_controlled_vacuum(v: np.ndarray, fs: float, *, power_w: float, firing_deg: float,
                            rng: np.random.Generator, v_rms: float = 230.0, f: float = 50.0,
                            lag_deg: float = 30.0, substeps: int = 8) -> np.ndarray:
    """Vacuum cleaner: universal motor behind a TRIAC speed control (firing at ``firing_deg``), A.

    The series motor is an R-L circuit whose back-EMF is proportional to speed
    times current (an added resistance that wanders with the airflow, +-5 %
    over seconds), with commutation ripple (12 slots at ~30,000 rpm: 6 kHz,
    aliased) and brush sparking (bursts of tens of volts lasting one
    integration step). Both are voltages in the motor's circuit: its current
    goes through the inductance and cannot jump, so they reach the current
    integrated (a first version put them on the current as one-sample dips of
    up to 15 %, which an inductive motor cannot draw, and alarmed beside a
    healthy branch). The TRIAC fires at the firing angle (+-0.5 deg per
    half-cycle) and conducts until the current's zero: the inductance makes
    each start a ramp.
    """
    v = np.asarray(v, dtype=float)
    n = len(v)
    z = v_rms ** 2 / power_w
    phi = math.radians(lag_deg)
    r0, l_h = z * math.cos(phi), z * math.sin(phi) / (TWO_PI * f)
    wander = np.cumsum(rng.normal(0.0, 1.0, n))
    wander = 1.0 + 0.05 * wander / max(1e-9, float(np.max(np.abs(wander))))
    t = np.arange(n) / fs
    f_c = rng.uniform(5.5e3, 6.5e3)
    ph_c = rng.uniform(0, TWO_PI)
    # brush sparking: a burst of 0-40 V in 2 % of the integration steps
    spark = (rng.random((n, substeps)) < 0.02) * rng.uniform(-40.0, 40.0, (n, substeps))
    dt = 1.0 / (fs * substeps)
    out = np.empty(n)
    i, conducting = 0.0, False
    sgn_prev, fire_v = 0.0, 0.0
    vpk = float(np.max(np.abs(v[: int(fs / 25)])))
    v_prev = v[0]
    for k in range(n):
        vk = v[k]
        sv = 1.0 if vk >= 0 else -1.0
        if sv != sgn_prev:
            sgn_prev = sv
            ang = math.radians(firing_deg + rng.uniform(-0.5, 0.5))
            fire_v = vpk * math.sin(ang) if ang <= math.pi / 2 else None
        r = r0 * wander[k]
        a = math.exp(-r * dt / l_h)
        for s in range(substeps):
            vs = v_prev + (vk - v_prev) * (s + 1) / substeps
            if not conducting:
                # fire on the rising flank at fire_v, or past the crest once |v| falls to the angle's value
                if fire_v is not None and abs(vs) >= fire_v:
                    conducting = True
                elif fire_v is None and abs(vs) <= vpk * math.sin(math.radians(firing_deg)) and abs(vs) < abs(v_prev):
                    conducting = True
                else:
                    continue
            # back-EMF ripple of the commutation (3 % of the motor's voltage) and the sparks
            e = 0.03 * r * i * math.cos(TWO_PI * f_c * (t[k] + (s + 1) * dt) + ph_c) + spark[k, s]
            i_new = i * a + (1.0 - a) * (vs - e) / r
            if i != 0.0 and i_new * i <= 0.0:
                conducting, i = False, 0.0
            else:
                i = i_new
        out[k] = i
        v_prev = vk
    return out
