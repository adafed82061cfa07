"""Measure the judged properties of event detection (issue 3) and print them.

Run from the repository root::

    PYTHONPATH=src python benchmarks/eval_events.py [--method steady] [--quick]

Reports, with default parameters:

* Tabanelli (10 kHz, ADC counts, no calibration): recall and precision of the
  labelled state changes within +-0.5 s, events on the Nothing_* files;
* HFHAD-C (6.4 kHz, calibrated, steady 3 s files): share of files with at most
  one event, most events on an induction-cooker file;
* synthetic truth from ``cp.synth`` and from the independent generator
  :func:`independent_signal` below (steps >= 15 W at 230 V): F1 at +-0.1 s and
  the median onset error in samples at 6.4 kHz;
* time of the event scan relative to ``cp.analyze(..., waveforms=True)``.

The real recordings are read from ../shared/data (CURRENTPRINT_DATA overrides).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

import currentprint as cp
from currentprint.evaluate import event_scores, match_events
from currentprint.detectors.events import EventDetector, detect_events

DATA = Path(os.environ.get("CURRENTPRINT_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


# ---------------------------------------------------------------------------
# an independent synthetic generator (not cp.synth): its own supply and loads
# ---------------------------------------------------------------------------
def independent_signal(seed: int, *, fs: float = 6400.0, duration_s: float = 12.0, n_events: int = 8,
                       noise_a: float = 0.01, min_gap_s: float = 1.0, mains_hz: float | None = None,
                       adc_bits: int | None = 16):
    """A recording with random on/off switchings of varied loads (>= 15 W at 230 V).

    Supply: 230 V RMS, random frequency 49.8-50.2 Hz (or ``mains_hz``), 1-4 %
    third and fifth harmonics with random phase, 0.3 % voltage noise. Loads:
    resistive, lagging motor with decaying inrush, capacitor-input rectifier
    (current pulses at the voltage peaks), leading-edge dimmer. A background
    load of 0-1500 W runs throughout. Returns (current A, voltage V, fs, true
    onset samples, true delta P in W).
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    f = float(mains_hz) if mains_hz else rng.uniform(49.8, 50.2)
    t = np.arange(n) / fs
    th = 2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)
    h3, h5 = rng.uniform(0.01, 0.04), rng.uniform(0.005, 0.03)
    vshape = np.sin(th) + h3 * np.sin(3 * th + rng.uniform(0, 6.3)) + h5 * np.sin(5 * th + rng.uniform(0, 6.3))
    v = 230.0 * vshape / np.sqrt(np.mean(vshape ** 2)) * (1 + 0.003 * rng.standard_normal(n))

    def load_current(kind: str, p: float, start: int) -> np.ndarray:
        a = np.zeros(n)
        s = slice(start, n)
        tt = t[s] - t[start]
        if kind == "resistive":
            a[s] = v[s] * p / 230.0 ** 2
        elif kind == "motor":
            pf = rng.uniform(0.6, 0.9)
            i_amp = p / (230.0 * pf) * np.sqrt(2)
            phi = math.acos(pf)
            inrush = 1 + rng.uniform(2, 5) * np.exp(-tt / rng.uniform(0.05, 0.2))
            a[s] = i_amp * inrush * np.sin(th[s] - phi)
        elif kind == "rectifier":
            # conduction near the voltage peaks: narrow pulses, scaled to p
            pulse = np.clip(np.abs(vshape[s]) - rng.uniform(0.85, 0.95), 0, None) * np.sign(vshape[s])
            ref = np.mean(pulse * vshape[s] * 230.0) or 1.0
            a[s] = pulse * p / ref * (1 + 3 * np.exp(-tt / 0.02))
        else:  # leading-edge dimmer, firing angle alpha
            alpha = rng.uniform(0.2, 0.6) * np.pi
            ph = np.mod(th[s], np.pi)
            on = ph >= alpha
            full = v[s] * p / 230.0 ** 2
            frac = np.mean(on) or 1.0
            a[s] = np.where(on, full, 0.0) / frac ** 0.5
        return a

    i = np.zeros(n)
    bg = rng.uniform(0, 1500)
    if bg > 50:
        i += load_current("resistive", bg, 0)
    gap = int(min_gap_s * fs)
    margin = int(1.0 * fs)
    pos = np.sort(rng.choice(np.arange(margin, n - margin, gap // 2), size=n_events, replace=False))
    pos = pos[np.concatenate([[True], np.diff(pos) >= gap])]
    on_loads: list[np.ndarray] = []
    truth, dps = [], []
    for s0 in pos:
        s0 = int(s0 + rng.integers(0, 200))
        if on_loads and rng.random() < 0.4:
            k = int(rng.integers(len(on_loads)))
            a = on_loads.pop(k)
            cut = a.copy()
            cut[:s0] = 0
            i -= cut
            truth.append(s0)
            dps.append(-1.0)
        else:
            kind = str(rng.choice(["resistive", "motor", "rectifier", "dimmer"]))
            p = float(np.exp(rng.uniform(np.log(15), np.log(2500))))
            a = load_current(kind, p, s0)
            on_loads.append(a)
            i += a
            truth.append(s0)
            dps.append(p)
    i = i + noise_a * rng.standard_normal(n)
    if adc_bits:
        lsb_i = 40.0 / 2 ** (adc_bits - 1)
        lsb_v = 500.0 / 2 ** (adc_bits - 1)
        i = np.round(i / lsb_i) * lsb_i
        v = np.round(v / lsb_v) * lsb_v
    return i, v, fs, np.array(truth), np.array(dps)


# ---------------------------------------------------------------------------
def eval_tabanelli(method: str, **kw) -> dict:
    tp = fp = fn = 0
    nothing = 0
    for f in sorted((DATA / "tabanelli").glob("*.npz")):
        d = np.load(f)
        ev = detect_events(d["current"], d["voltage"], fs=float(d["fs"]), method=method, **kw)
        s = event_scores([e.sample for e in ev], d["event_samples"], tolerance=0.5 * float(d["fs"]))
        tp, fp, fn = tp + s["tp"], fp + s["fp"], fn + s["fn"]
        if "Nothing" in f.name:
            nothing += len(ev)
    return {"recall": tp / max(tp + fn, 1), "precision": tp / max(tp + fp, 1), "tp": tp, "fp": fp, "fn": fn,
            "nothing_events": nothing}


def eval_hfhadc(method: str, **kw) -> dict:
    counts: dict[str, list[int]] = {}
    for f in sorted((DATA / "hfhadc").glob("*.npz")):
        d = np.load(f)
        cal = cp.Calibration(current_scale=float(d["current_scale"]), voltage_scale=float(d["voltage_scale"]))
        ev = detect_events(d["current"], d["voltage"], fs=float(d["fs"]), calibration=cal, method=method, **kw)
        counts.setdefault(str(d["label"]), []).append(len(ev))
    allc = [c for v in counts.values() for c in v]
    return {"files": len(allc), "share_le_1": float(np.mean(np.array(allc) <= 1)) if allc else float("nan"),
            "cooker_max": max(counts.get("induction_cooker", [0])), "total_events": int(sum(allc))}


def _synth_case(seed: int, fs: float):
    from currentprint import synth
    rng = np.random.default_rng(1000 + seed)
    kinds = [lambda p: synth.Resistive(p), lambda p: synth.Motor(p, pf=float(rng.uniform(0.6, 0.95))),
             lambda p: synth.Rectifier(p), lambda p: synth.LEDDriver(p),
             lambda p: synth.PhaseCut(p, firing_angle_deg=float(rng.uniform(30, 120)))]
    loads = {}
    for k in range(4):
        p = float(np.exp(rng.uniform(np.log(15), np.log(2500))))
        loads[f"l{k}"] = kinds[int(rng.integers(len(kinds)))](p)
    sig = synth.synth_signal(duration_s=12.0, fs=fs, loads=loads, n_events=8, seed=seed, min_gap_s=0.8,
                             drift_hz=0.1)
    return sig.current, sig.voltage, fs, np.array([e.sample for e in sig.events])


def eval_synthetic(method: str, source: str, n: int, fs: float = 6400.0, min_gap_s: float = 1.0, **kw) -> dict:
    tp = fp = fn = 0
    errs = []
    for seed in range(n):
        if source == "synth":
            i, v, fs_, truth = _synth_case(seed, fs)
        else:
            i, v, fs_, truth, _ = independent_signal(seed, fs=fs, min_gap_s=min_gap_s)
        ev = detect_events(i, v, fs=fs_, method=method, **kw)
        pred = np.array([e.sample for e in ev])
        s = event_scores(pred, truth, tolerance=0.1 * fs_)
        tp, fp, fn = tp + s["tp"], fp + s["fp"], fn + s["fn"]
        ps, ts = np.sort(pred), np.sort(truth)
        for a, b in match_events(pred, truth, tolerance=0.1 * fs_):
            errs.append(abs(ps[a] - ts[b]))
    prec = tp / max(tp + fp, 1)
    rec = tp / max(tp + fn, 1)
    return {"f1": 2 * prec * rec / max(prec + rec, 1e-12), "precision": prec, "recall": rec, "tp": tp, "fp": fp,
            "fn": fn, "median_onset_error_samples": float(np.median(errs)) if errs else float("nan"),
            "p90_onset_error_samples": float(np.percentile(errs, 90)) if errs else float("nan")}


def eval_speed(method: str, repeats: int = 5) -> dict:
    f = DATA / "tabanelli" / "0212_1400_Microwave1.npz"
    d = np.load(f)
    best_a = best_s = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        table = cp.analyze(d["current"], d["voltage"], fs=float(d["fs"]), waveforms=True)
        best_a = min(best_a, time.perf_counter() - t0)
        t0 = time.perf_counter()
        EventDetector(method=method).push(table)
        best_s = min(best_s, time.perf_counter() - t0)
    return {"analyze_s": best_a, "events_s": best_s, "overhead": best_s / best_a}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="steady")
    ap.add_argument("--quick", action="store_true", help="fewer synthetic recordings")
    a = ap.parse_args(argv)
    n = 10 if a.quick else 40
    out = {}
    if (DATA / "tabanelli").exists():
        out["tabanelli"] = eval_tabanelli(a.method)
        print("tabanelli", out["tabanelli"], flush=True)
    if (DATA / "hfhadc").exists():
        out["hfhadc"] = eval_hfhadc(a.method)
        print("hfhadc", out["hfhadc"], flush=True)
    out["synth"] = eval_synthetic(a.method, "synth", n)
    print("cp.synth", out["synth"], flush=True)
    out["independent"] = eval_synthetic(a.method, "independent", n)
    print("independent", out["independent"], flush=True)
    out["independent_0.6s"] = eval_synthetic(a.method, "independent", n, min_gap_s=0.6)
    print("independent, events >= 0.6 s apart", out["independent_0.6s"], flush=True)
    out["synth_10k"] = eval_synthetic(a.method, "synth", n, fs=10000.0)
    print("cp.synth at 10 kHz", out["synth_10k"], flush=True)
    out["independent_30k"] = eval_synthetic(a.method, "independent", n // 2, fs=30000.0)
    print("independent at 30 kHz", out["independent_30k"], flush=True)
    if (DATA / "tabanelli").exists():
        out["speed"] = eval_speed(a.method)
        print("speed", out["speed"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
