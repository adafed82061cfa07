"""Per-cycle analysis: the compiled core against the NumPy reference, stage by stage.

On 10 minutes of synthetic household current/voltage at 6.4 kHz and 30 kHz:

* framing (rising voltage zero crossings);
* the per-cycle pass -- the kernel does resampling, FFT, features, harmonics
  1..25 and the half-cycle arc evidence in one pass per cycle; the reference
  does them as separate NumPy stages, each timed on its own and summed;
* the whole batch analysis (``cp.analyze`` vs ``analyze_reference``);
* streaming one cycle (20 ms) per push (``CycleAnalyzer.push`` vs
  ``ReferenceStream.push``).

Each benchmark also records the peak memory of one run (tracemalloc).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import currentprint as cp
from currentprint import _core
from currentprint.core import _reference as ref
from currentprint.core.framing import ZeroCrossingScanner

from conftest import DURATION_S, RESULTS, peak_memory_mb, record

H = 25
_STAGE_INPUTS: dict[float, dict] = {}


def _stage_inputs(sig) -> dict:
    """Cycles, resampled cycles and spectra of a signal (computed once, untimed)."""
    fs = sig.fs
    if fs not in _STAGE_INPUTS:
        i, v = sig.current, sig.voltage
        t0, t1 = ref.frame_reference(v, fs)
        cfg = ref._Settings(fs, None, H, None, None, 0.05, 0.1, i.dtype)
        nc, npts = t0.shape[0], cfg.npts
        ri, rv = np.empty((nc, npts)), np.empty((nc, npts))
        fi, fv = np.empty((nc, npts // 2 + 1), complex), np.empty((nc, npts // 2 + 1), complex)
        for lo in range(0, nc, cfg.block):
            sl = slice(lo, lo + cfg.block)
            ri[sl] = ref.resample_reference(i, t0[sl], t1[sl], npts)
            rv[sl] = ref.resample_reference(v, t0[sl], t1[sl], npts)
            fi[sl] = ref.spectra_reference(ri[sl])
            fv[sl] = ref.spectra_reference(rv[sl])
        _STAGE_INPUTS[fs] = dict(t0=t0, t1=t1, cfg=cfg, ri=ri, rv=rv, fi=fi, fv=fv)
    return _STAGE_INPUTS[fs]


def _blocks(cfg, nc):
    return [slice(lo, lo + cfg.block) for lo in range(0, nc, cfg.block)]


# --- reference stages ---------------------------------------------------------
def ref_framing(sig, d):
    ref.frame_reference(sig.voltage, sig.fs)


def ref_resampling(sig, d):
    cfg, t0, t1 = d["cfg"], d["t0"], d["t1"]
    for sl in _blocks(cfg, t0.shape[0]):
        ref.resample_reference(sig.current, t0[sl], t1[sl], cfg.npts)
        ref.resample_reference(sig.voltage, t0[sl], t1[sl], cfg.npts)


def ref_spectrum(sig, d):
    for sl in _blocks(d["cfg"], d["t0"].shape[0]):
        ref.spectra_reference(d["ri"][sl])
        ref.spectra_reference(d["rv"][sl])


def ref_features(sig, d):
    for sl in _blocks(d["cfg"], d["t0"].shape[0]):
        ref.features_reference(d["ri"][sl], d["rv"][sl], d["fi"][sl], d["fv"][sl], H)


def ref_harmonics(sig, d):
    for sl in _blocks(d["cfg"], d["t0"].shape[0]):
        ref.harmonics_reference(d["fi"][sl], d["fv"][sl], H)
        ref.harmonics_reference(d["fv"][sl], d["fv"][sl], H)


def ref_evidence(sig, d):
    cfg, t0, t1 = d["cfg"], d["t0"], d["t1"]
    norm = math.sqrt(2.0) / cfg.npts
    for sl in _blocks(cfg, t0.shape[0]):
        ref.evidence_reference(sig.current, sig.voltage, t0[sl], t1[sl], d["fi"][sl, 1] * norm)


REF_STAGES = {
    "framing": ref_framing,
    "resampling": ref_resampling,
    "spectrum (rfft)": ref_spectrum,
    "features": ref_features,
    "harmonics 1..25": ref_harmonics,
    "arc evidence": ref_evidence,
}
PASS_STAGES = ("resampling", "spectrum (rfft)", "features", "harmonics 1..25", "arc evidence")


# --- kernel stages --------------------------------------------------------------
def kernel_framing(sig, d):
    ZeroCrossingScanner(sig.fs).push(sig.voltage)


def kernel_pass(sig, d):
    """Resampling + FFT + features + harmonics + evidence: one call, all cycles."""
    t0, t1, cfg = d["t0"], d["t1"], d["cfg"]
    nc = t0.shape[0]
    out = np.empty((len(_core.COLUMNS), nc))
    hi = np.empty((nc, H), complex)
    hv = np.zeros((nc, H), complex)
    w = np.empty((0, cfg.npts))
    err = _core.cycle_features(sig.current, sig.voltage, True, t0, t1, 0, _core.FFTPlan(cfg.npts), H,
                               1.0, 0.0, 1.0, 0.0, math.inf, 0.0, 0.05, sig.fs, out, hi, hv, w, w)
    assert err == 0


@pytest.mark.parametrize("stage", list(REF_STAGES))
def test_stage_reference(benchmark, sig, stage):
    d = _stage_inputs(sig)
    fn = REF_STAGES[stage]
    benchmark.group = f"stage {sig.fs:g} Hz"
    benchmark.pedantic(fn, args=(sig, d), rounds=3, iterations=1)
    record("stage", sig.fs, stage, "reference", benchmark, peak_mb=peak_memory_mb(fn, sig, d))
    # the per-cycle pass of the reference is the sum of its stages
    parts = [RESULTS.get(("stage", sig.fs, s, "reference")) for s in PASS_STAGES]
    if all(p is not None for p in parts):
        record("stage", sig.fs, "pass (resample..evidence)", "reference", seconds=sum(p["seconds"] for p in parts),
               median=sum(p["median"] for p in parts), peak_mb=max(p["peak_mb"] for p in parts))


@pytest.mark.parametrize("stage", ["framing", "pass (resample..evidence)"])
def test_stage_kernel(benchmark, sig, stage):
    d = _stage_inputs(sig)
    fn = kernel_framing if stage == "framing" else kernel_pass
    benchmark.group = f"stage {sig.fs:g} Hz"
    benchmark.pedantic(fn, args=(sig, d), rounds=5, iterations=1, warmup_rounds=1)
    record("stage", sig.fs, stage, "kernel", benchmark, peak_mb=peak_memory_mb(fn, sig, d))


# --- whole analysis -------------------------------------------------------------
@pytest.mark.parametrize("impl", ["kernel", "reference"])
def test_batch(benchmark, sig, impl):
    if impl == "kernel":
        fn, rounds = (lambda: cp.analyze(sig.current, sig.voltage, fs=sig.fs)), 5
    else:
        fn, rounds = (lambda: ref.analyze_reference(sig.current, sig.voltage, fs=sig.fs)), 3
    benchmark.group = f"batch {sig.fs:g} Hz"
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1 if impl == "kernel" else 0)
    record("batch", sig.fs, "analyze (all stages)", impl, benchmark, peak_mb=peak_memory_mb(fn))


def _stream(make, sig):
    step = int(round(0.02 * sig.fs))      # one 50 Hz cycle per push
    an = make(sig.fs)
    i, v = sig.current, sig.voltage
    n = 0
    for a in range(0, i.shape[0], step):
        out = an.push(i[a:a + step], v[a:a + step])
        n += 0 if out is None else len(out["start"]) if isinstance(out, dict) else len(out)
    return n


@pytest.mark.parametrize("impl", ["kernel", "reference"])
def test_stream_one_cycle_per_push(benchmark, sig, impl):
    make = cp.CycleAnalyzer if impl == "kernel" else ref.ReferenceStream
    benchmark.group = f"stream {sig.fs:g} Hz"
    rounds = 3 if impl == "kernel" else 1
    n = benchmark.pedantic(_stream, args=(make, sig), rounds=rounds, iterations=1)
    assert n > 0.9 * DURATION_S * 50 * 0.9
    record("stream", sig.fs, "push 20 ms (all stages)", impl, benchmark,
           peak_mb=peak_memory_mb(_stream, make, sig))
