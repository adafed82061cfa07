"""Where the arc detector's time goes: each part timed alone, in % of ``cp.analyze``.

Companion of ``arc_walltime.py`` (same two 6.4 kHz signals). Rounds interleave
the parts; each part's fastest call is reported (the least disturbed by other
processes). Parts: the resampled-cycle table (``waveforms=True`` and
``"current"`` against none), ``ArcFaultDetector.evidence`` with and without the
masking-proof evidence, ``arcmask_scan`` alone over the whole table, the rest
of ``update`` (``evidence`` replaced by a copy of its result) and the whole
``update``. Parts timed alone run on cache-hot data, so they add up to less
than the whole. Run from the repository root::

    python benchmarks/arc_parts.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from arc_instructions import FS, _signals
    import currentprint as cp
    from currentprint import _core
    from currentprint.detectors.arc import ArcFaultDetector
    W = ArcFaultDetector.needs_waveforms
    with tempfile.TemporaryDirectory() as t:
        for name, p in _signals(Path(t)).items():
            d = np.load(p)
            i, v = np.array(d["i"]), np.array(d["v"])
            tab = cp.analyze(i, v, fs=FS, waveforms=W)
            n, npts = len(tab), int(tab.n_points)
            det = ArcFaultDetector()
            det.update(tab)
            waves = np.ascontiguousarray(tab.raw_waves[0])
            rms = np.ascontiguousarray(tab.i_rms, dtype=float)
            off = (np.ceil(tab.start) - tab.start) * npts / tab.period     # as evidence() passes it
            par = det._mask_params(npts, det._is_calibrated(tab))
            mcode, w4, size = np.zeros(2 * n, np.int32), np.empty(4 * n), np.empty(2 * n)
            ev0 = {k: x.copy() for k, x in ArcFaultDetector().evidence(tab).items()}

            class Given(ArcFaultDetector):
                def evidence(self, cycles):
                    return {k: x.copy() for k, x in ev0.items()}

            fns = {
                "cp.analyze": lambda: cp.analyze(i, v, fs=FS),
                "cp.analyze(waveforms=True)": lambda: cp.analyze(i, v, fs=FS, waveforms=True),
                "cp.analyze(waveforms='current')": lambda: cp.analyze(i, v, fs=FS, waveforms="current"),
                "evidence, masking=False": lambda: ArcFaultDetector(masking=False).evidence(tab),
                "evidence": lambda: ArcFaultDetector().evidence(tab),
                "arcmask_scan alone": lambda: _core.arcmask_scan(waves, off, rms, _core.new_arcmask_state(npts),
                                                                 par, mcode, w4, size),
                "copy of evidence's result": lambda: {k: x.copy() for k, x in ev0.items()},
                "update, evidence given": lambda: Given().update(tab),
                "update": lambda: ArcFaultDetector().update(tab),
            }
            res: dict[str, list[float]] = {k: [] for k in fns}
            for r in range(a.rounds):
                for k, f in (fns.items() if r % 2 == 0 else list(fns.items())[::-1]):
                    for _ in range(3):
                        w0 = time.perf_counter()
                        f()
                        res[k].append(time.perf_counter() - w0)
            best = {k: 1e6 * min(x) for k, x in res.items()}
            best["update, evidence given"] -= best.pop("copy of evidence's result")
            base = best["cp.analyze"]
            print(f"{name} ({n} cycles): " + "; ".join(
                f"{k} {x:.0f} us" + ("" if k == "cp.analyze" else f" ({100 * x / base:.1f} %)")
                for k, x in best.items()))


if __name__ == "__main__":
    main()
