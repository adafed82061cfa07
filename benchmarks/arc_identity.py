"""Digest of every arc-detector result over ``eval_arc.py``'s cases: check that a speed-up changed nothing.

Runs ``benchmarks/eval_arc.py`` (its table is printed as usual) with
:class:`~currentprint.detectors.arc.ArcFaultDetector` wrapped so that every
``evidence`` call's arrays (bit patterns, NaNs included) and every alert
(sample, time, explanation, detail) are recorded per detector, in the order
the detectors are made; then the two 6.4 kHz signals of ``arc_instructions.py``
in one batch and streamed in chunks of 128, 1000 and 7919 samples. Writes one
digest per detector to a file; ``--compare`` lists the detectors whose results
differ between two such files. Run from the repository root::

    PYTHONPATH=src python benchmarks/arc_identity.py OUT.json [--seeds 2] [--quick]
    python benchmarks/arc_identity.py --compare BEFORE.json AFTER.json

Run it on both SIMD paths (``CURRENTPRINT_SIMD=baseline`` forces the portable one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _record(out: list) -> None:
    from currentprint.detectors import arc as A
    cls = A.ArcFaultDetector
    evidence, update = cls.evidence, cls.update

    def rec(self) -> dict:
        # one record per detector, in the order of their first call (reset() keeps it: the
        # record is created here, not in __init__)
        if "_identity" not in self.__dict__:
            self._identity = {"digest": hashlib.sha256(), "calls": 0, "alerts": []}
            out.append(self._identity)
        return self._identity

    def w_evidence(self, cycles):
        ev = evidence(self, cycles)
        r = rec(self)
        r["calls"] += 1
        for key in sorted(ev):
            x = np.ascontiguousarray(ev[key])
            r["digest"].update(f"{key}{x.dtype}{x.shape}".encode())
            r["digest"].update(x.tobytes())
        return ev

    def w_update(self, cycles):
        alerts = update(self, cycles)
        rec(self)["alerts"] += [repr((a.kind, a.sample, a.time, a.explanation, a.detail)) for a in alerts]
        return alerts

    cls.evidence, cls.update = w_evidence, w_update


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?")
    ap.add_argument("--seeds", default="2")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    a = ap.parse_args()
    if a.compare:
        x, y = (json.loads(Path(p).read_text()) for p in a.compare)
        bad = [k for k in range(max(len(x), len(y))) if k >= len(x) or k >= len(y) or x[k] != y[k]]
        print(f"{len(x)} / {len(y)} detectors, {sum(len(d['alerts']) for d in x)} / "
              f"{sum(len(d['alerts']) for d in y)} alerts; {len(bad)} differ" + (f": {bad[:20]}" if bad else ""))
        sys.exit(1 if bad else 0)
    dets: list = []
    _record(dets)
    sys.path[:0] = [str(HERE)]
    import eval_arc
    sys.argv = ["eval_arc.py", "--seeds", a.seeds] + (["--quick"] if a.quick else [])
    eval_arc.main()
    import currentprint as cp
    from arc_instructions import FS, _signals
    from currentprint.detectors.arc import ArcFaultDetector
    with tempfile.TemporaryDirectory() as t:
        for p in _signals(Path(t)).values():
            d = np.load(p)
            i, v = d["i"], d["v"]
            ArcFaultDetector().update(cp.analyze(i, v, fs=FS, waveforms=True))
            for chunk in (128, 1000, 7919):
                for mode in ("gb14287", "iec62606"):
                    cp.Monitor(FS, detectors=[ArcFaultDetector(mode=mode)]).run(i, v, chunk=chunk)
    res = [{"evidence": d["digest"].hexdigest(), "calls": d["calls"], "alerts": d["alerts"]} for d in dets]
    Path(a.out).write_text(json.dumps(res))
    print(f"{len(res)} detectors, {sum(r['calls'] for r in res)} evidence calls, "
          f"{sum(len(r['alerts']) for r in res)} alerts -> {a.out}")


if __name__ == "__main__":
    main()
