"""Accuracy of the per-cycle harmonics on exact synthetic signals.

Prints, for several sample rates and mains frequencies, the THD of a pure
sine (0 in truth) and the worst relative amplitude error of each harmonic of
a current with known, decaying harmonics (10 A fundamental, 2 A 3rd, 1 A 5th,
0.5 A 7th, 0.3 A 11th, 0.2 A 13th; random phases), over one second.

    python benchmarks/accuracy.py
"""

import numpy as np

import currentprint as cp

AMPS = {1: 10.0, 3: 2.0, 5: 1.0, 7: 0.5, 11: 0.3, 13: 0.2}


def main() -> None:
    rng = np.random.default_rng(0)
    print("fs [Hz]  mains [Hz]  sine THD   worst |amplitude error| per harmonic order")
    for fs, f in ((6400, 50), (6400, 49.5), (6400, 60), (8000, 50), (8000, 49.5), (10000, 50), (10000, 60), (12800, 60),
                  (16000, 50), (30000, 50)):
        t = np.arange(int(fs)) / fs
        v_phase = 0.7
        v = 325 * np.sin(2 * np.pi * f * t + v_phase)
        phases = {k: rng.uniform(-np.pi, np.pi) for k in AMPS}
        # cosine phase relative to the voltage fundamental's zero phase
        i = sum(np.sqrt(2) * a * np.cos(2 * np.pi * k * f * t + phases[k] + k * (v_phase - np.pi / 2))
                for k, a in AMPS.items())
        sine = cp.analyze(v / 10, v, fs=fs)
        tab = cp.analyze(i, v, fs=fs)
        errs = {k: np.max(np.abs(np.abs(tab.harmonics[:, k - 1]) / a - 1)) for k, a in AMPS.items()}
        print(f"{fs:7.0f}  {f:10.1f}  {sine.thd.max():8.1e}   "
              + "  ".join(f"{k}: {e:.0e}" for k, e in errs.items()))


if __name__ == "__main__":
    main()
