"""Every file the package writes, as small builders shared by the atomic-save tests.

Each writer takes ``(path, variant)`` and writes ``path`` through the
package's own code path (Monitor.save, FingerprintLibrary.save, the CLI);
``variant`` ("old"/"new") changes the content so an overwrite is visible.
Imported by ``test_atomic_saves.py`` and by the child processes it starts.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

import currentprint as cp

FS = 6400


def _cli():
    return importlib.import_module("currentprint.cli")


def _bench_module():
    return importlib.import_module("currentprint.cli.bench")


def _wave(scale: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(int(0.4 * FS)) / FS
    v = 325.0 * np.sin(2 * np.pi * 50 * t)
    i = scale * (np.sin(2 * np.pi * 50 * t - 0.3) + 0.2 * np.sin(6 * np.pi * 50 * t))
    return i, v


def write_monitor(path: Path, variant: str) -> None:
    sig = cp.synth.synth_signal(duration_s=0.6 if variant == "old" else 1.2, fs=FS,
                                loads={"k": cp.synth.Resistive(2000.0)}, schedule=[(0.2, "k", "on")], seed=3)
    mon = cp.Monitor(fs=FS)
    mon.run(sig.current, sig.voltage)
    mon.save(path)


def write_library(path: Path, variant: str) -> None:
    lib = cp.FingerprintLibrary()
    for k, scale in enumerate((2.0, 2.1) if variant == "old" else (2.0, 2.1, 7.0, 7.2)):
        i, v = _wave(scale)
        lib.enroll(f"load{k // 2}", cp.fingerprint(i, v, fs=FS))
    lib.save(path)


def _recording(path: Path, scale: float) -> Path:
    rec = path.parent / f"rec_{scale:g}.npz"
    if not rec.exists():
        i, v = _wave(scale)
        np.savez(rec, current=i, voltage=v, fs=FS)
    return rec


def write_cli_enroll(path: Path, variant: str) -> None:
    recs = [_recording(path, 2.0), _recording(path, 5.0)]      # both exist before the first save
    rec = recs[0] if variant == "old" else recs[1]
    code = _cli().main(["enroll", str(path), str(rec), "--label", variant])
    if code != 0:
        raise OSError(f"currentprint enroll exited with {code}")


def write_cli_bench_json(path: Path, variant: str, monkeypatch=None) -> None:
    bench = _bench_module()
    row = {"stage": "analyze", "fs": 6400.0, "seconds": 0.01, "real_time_factor": 100.0, "per_cycle_us": 2.0,
           "peak_memory_mb": 1.0}
    report = {"currentprint": cp.__version__, "machine": {"variant": variant, "duration_s": 1.0, "repeats": 1},
              "results": [row] * (30 if variant == "new" else 1)}
    fake = lambda **kw: report  # noqa: E731
    if monkeypatch is not None:
        monkeypatch.setattr(bench, "run_bench", fake)
    else:
        bench.run_bench = fake
    code = _cli().main(["bench", "--quick", "--json", str(path)])
    if code != 0:
        raise OSError(f"currentprint bench exited with {code}")


def write_cli_plot(path: Path, variant: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    if variant == "old":
        path.write_bytes(b"an older figure")
        _recording(path, 2.0)
        return
    rec = _recording(path, 2.0)
    code = _cli().main(["analyze", str(rec), "--detectors", "none", "--plot", str(path)])
    if code != 0:
        raise OSError(f"currentprint analyze --plot exited with {code}")


WRITERS = {
    "monitor": write_monitor,
    "library": write_library,
    "cli_enroll": write_cli_enroll,
    "cli_bench_json": write_cli_bench_json,
    "cli_plot": write_cli_plot,
}
