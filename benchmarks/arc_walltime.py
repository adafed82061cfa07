"""Wall time the arc detector adds to ``cp.analyze``, measured in one process, rounds interleaved.

Companion of ``arc_instructions.py`` (same two 6.4 kHz signals: the household
mix of ``benchmarks/conftest.py`` and 20 s of a dimmer at 90 deg plus an SMPS).
Each round times ``cp.analyze(i, v, fs=fs)`` and
``ArcFaultDetector().update(cp.analyze(i, v, fs=fs, waveforms=W))`` back to
back, alternating which goes first, with ``W`` the detector's
``needs_waveforms`` (what a ``Monitor`` analyses with: ``"current"`` from the
round of branch arcfuse on, True before); ``--full`` also times ``W = True``
(both channels' cycles written) in the same rounds. The share is taken from the fastest round
of each (the least disturbed by other processes) and from the medians. CPU time
(``time.process_time``) is reported next to wall time: on a shared machine it
is the steadier of the two; so are the minor page faults per call (fresh memory
touched for the first time costs the kernel time that instruction counts miss). Run from the repository root::

    python benchmarks/arc_walltime.py [--rounds 31] [--full] [--inductive]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--full", action="store_true", help="also time the detector on waveforms=True")
    ap.add_argument("--inductive", action="store_true",
                    help="also time ArcFaultDetector(inductive=True) (the inductive-branch evidence)")
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from arc_instructions import FS, _signals
    import currentprint as cp
    from currentprint.detectors.arc import ArcFaultDetector
    with tempfile.TemporaryDirectory() as t:
        sigs = {name: np.load(p) for name, p in _signals(Path(t)).items()}
        for name, d in sigs.items():
            i, v = np.array(d["i"]), np.array(d["v"])

            def plain() -> None:
                cp.analyze(i, v, fs=FS)

            def arc() -> None:
                ArcFaultDetector().update(cp.analyze(i, v, fs=FS, waveforms=ArcFaultDetector.needs_waveforms))

            def arc_full() -> None:
                ArcFaultDetector().update(cp.analyze(i, v, fs=FS, waveforms=True))

            def arc_ind() -> None:
                ArcFaultDetector(inductive=True).update(
                    cp.analyze(i, v, fs=FS, waveforms=ArcFaultDetector.needs_waveforms))

            fns = ([("plain", plain), ("arc", arc)] + ([("full", arc_full)] if a.full else [])
                   + ([("ind", arc_ind)] if a.inductive else []))
            for _, fn in fns:
                fn()                # warm-up (imports, first allocations)
            res: dict[str, list[tuple[float, float, float]]] = {k: [] for k, _ in fns}
            for r in range(a.rounds):
                for key, fn in fns if r % 2 == 0 else fns[::-1]:
                    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                    w0, c0 = time.perf_counter(), time.process_time()
                    fn()
                    res[key].append((time.perf_counter() - w0, time.process_time() - c0,
                                     resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0))
            p, q = np.array(res["plain"]), np.array(res["arc"])
            print(f"{name}: cp.analyze {1e3 * p[:, 0].min():.2f} ms; with the arc detector "
                  f"+{100 * (q[:, 0].min() / p[:, 0].min() - 1):.1f} % (fastest rounds), "
                  f"+{100 * (np.median(q[:, 0]) / np.median(p[:, 0]) - 1):.1f} % (medians); CPU time "
                  f"+{100 * (q[:, 1].min() / p[:, 1].min() - 1):.1f} % (fastest) "
                  f"+{100 * (np.median(q[:, 1]) / np.median(p[:, 1]) - 1):.1f} % (medians); page faults per call "
                  f"{np.median(p[:, 2]):.0f} / {np.median(q[:, 2]):.0f}; {a.rounds} rounds "
                  f"(waveforms={ArcFaultDetector.needs_waveforms!r})")
            if a.full:
                f = np.array(res["full"])
                print(f"  with waveforms=True: +{100 * (f[:, 0].min() / p[:, 0].min() - 1):.1f} % (fastest rounds), "
                      f"+{100 * (np.median(f[:, 0]) / np.median(p[:, 0]) - 1):.1f} % (medians); CPU time "
                      f"+{100 * (f[:, 1].min() / p[:, 1].min() - 1):.1f} % (fastest)")
            if a.inductive:
                f = np.array(res["ind"])
                print(f"  with inductive=True: +{100 * (f[:, 0].min() / p[:, 0].min() - 1):.1f} % (fastest rounds), "
                      f"+{100 * (np.median(f[:, 0]) / np.median(p[:, 0]) - 1):.1f} % (medians); CPU time "
                      f"+{100 * (f[:, 1].min() / p[:, 1].min() - 1):.1f} % (fastest)")


if __name__ == "__main__":
    main()
