"""What the arc detector adds to ``cp.analyze``, in instructions (callgrind), not time.

The machine this project is built on is shared and its timings are noise;
instruction counts of the same work are repeatable. Run from the repository
root (needs ``valgrind``)::

    python benchmarks/arc_instructions.py [--src src] [--passes]

Two signals at 6.4 kHz: the household mix of ``benchmarks/conftest.py``
(60 s, a PC supply, kettle, fridge and a dimmer switching) and 20 s of a
500 W dimmer at 90 deg plus a 300 W SMPS (masking loads with edges every
cycle, the costly case for the masking-proof evidence). For each, one
process per stage under ``valgrind --tool=callgrind``: the set-up alone,
``cp.analyze``, ``cp.analyze(waveforms=ArcFaultDetector.needs_waveforms)`` + ``ArcFaultDetector().update``
and the same without the masking-proof evidence. Reported: each stage's
instructions beyond the set-up and the detector's share of ``cp.analyze``.
``--src`` points at another checkout's ``src`` to compare two versions.
``--passes`` also counts one ``update`` pass alone (several passes over one
analysed table minus one pass: the set-up and the analysis cancel, so the
detector's own change is seen without the ±1-2 % the whole-process counts
move between runs), over the whole table and in chunks of 50 and 1 cycles.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

FS = 6400.0
HERE = Path(__file__).resolve().parent


def _signals(tmp: Path) -> dict[str, Path]:
    os.environ.setdefault("CP_BENCH_SECONDS", "60")
    sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
    from conftest import signal  # benchmarks/conftest.py
    import eval_arc as E
    from currentprint import circuits as C
    s = signal(FS)
    out = {"household 60 s": tmp / "household.npz", "dimmer + SMPS 20 s": tmp / "masking.npz"}
    np.savez(out["household 60 s"], i=s.current, v=s.voltage)
    v = E.supply(0, 20.0)
    m = (C.masking_load("dimmer", v, FS, power_w=500, seed=0, firing_deg=90)
         + C.masking_load("smps", v, FS, power_w=300, seed=0))
    np.savez(out["dimmer + SMPS 20 s"], i=m, v=v)
    return out


_STAGE = """
import sys, numpy as np
import currentprint as cp
from currentprint.detectors.arc import ArcFaultDetector
d = np.load(sys.argv[2]); i, v = d["i"], d["v"]; fs = 6400.0; stage = sys.argv[1]
if stage == "analyze":
    cp.analyze(i, v, fs=fs)
elif stage == "arc":
    # (the waveforms a Monitor analyses with for it: "current" from branch arcfuse on)
    ArcFaultDetector().update(cp.analyze(i, v, fs=fs, waveforms=ArcFaultDetector.needs_waveforms))
elif stage == "arc_nomask":
    ArcFaultDetector(masking=False).update(cp.analyze(i, v, fs=fs))
elif stage.startswith("passes"):
    # one analysis, then stage[6:] whole-table updates (fresh detectors), whole or in chunks of sys.argv[3] cycles
    tab = cp.analyze(i, v, fs=fs, waveforms=True)
    ch = int(sys.argv[3])
    for _ in range(int(stage[6:])):
        det = ArcFaultDetector()
        for s in range(0, len(tab), ch or len(tab)):
            det.update(tab[s:s + ch] if ch else tab)
"""


def _count(stage: str, sig: Path, src: str, tmp: Path, chunk: int = 0) -> int:
    out = tmp / f"cg.{stage}.{sig.stem}"
    env = {**os.environ, "PYTHONPATH": src, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", _STAGE,
                    stage, str(sig), str(chunk)], env=env, check=True, capture_output=True)
    m = re.search(r"^summary: (\d+)", out.read_text(), re.M)
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="src", help="the src folder to import currentprint from")
    ap.add_argument("--passes", action="store_true",
                    help="also: instructions of one ArcFaultDetector().update pass over the analysed table "
                         "(11 passes minus 1, so the set-up and the analysis cancel), whole and in chunks "
                         "of 50 and 1 cycles (the Monitor's streaming)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for name, sig in _signals(tmp).items():
            c = {s: _count(s, sig, a.src, tmp) for s in ("setup", "analyze", "arc", "arc_nomask")}
            base = c["analyze"] - c["setup"]
            print(f"{name}: cp.analyze {base / 1e6:.1f} M instructions; arc detector (waveforms + update) "
                  f"+{(c['arc'] - c['analyze']) / 1e6:.1f} M = {100 * (c['arc'] - c['analyze']) / base:.1f} %; "
                  f"without masking evidence +{100 * (c['arc_nomask'] - c['analyze']) / base:.1f} %", flush=True)
            if a.passes:
                per = []
                for ch in (0, 50, 1):
                    r = 11 if ch != 1 else 3      # (one-cycle pushes: fewer passes, they are slow under valgrind)
                    d = (_count(f"passes{r}", sig, a.src, tmp, ch) - _count("passes1", sig, a.src, tmp, ch)) / (r - 1)
                    per.append(f"{'whole' if ch == 0 else f'chunks of {ch}'} {d / 1e6:.2f} M")
                print(f"  one update pass over the table: {'; '.join(per)} instructions", flush=True)


if __name__ == "__main__":
    main()
