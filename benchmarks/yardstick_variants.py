"""The independent yardstick's ratio in variants of its signal: other seeds, durations, mains, rates.

    cd /tmp && python /path/to/benchmarks/yardstick_variants.py [FS:SEED:DURATION_S[:MAINS_HZ] ...]

``../shared/bench/ratio.py`` times one signal per case (seed 3, 600 s); a held-back check uses
others. Each variant is timed as ``ratio.py`` times its cases: the yardstick's pipeline
(``reference.run_pipeline``, its event stage excluded) and ``cp.analyze`` on the same float64
signal, one warm-up, then 5 interleaved rounds; printed are the median per-round ratio and both
sides' median microseconds per mains cycle. Needs ../shared/bench beside the checkout and
numpy/scipy; meaningful only on a quiet machine (the load is printed). Without arguments a default
set runs.

Why the duration matters: the yardstick's per-cycle cost falls when its arrays fit in the CPU
cache (measured on the lead's machine, 2026-11-28: ~4.3 us/cycle at 60 s against ~6.8-7.0 us at
600 s), while ``cp.analyze`` streams each sample once and costs the same per cycle at any length.
"""
import os
import statistics
import sys
import time

import currentprint as cp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
import reference  # noqa: E402
import synth  # noqa: E402

DEFAULT = ["6400:3:600", "6400:7:600", "6400:11:600", "6400:1:600", "6400:3:120", "6400:3:60",
           "6400:3:10", "6400:7:300:60", "30000:7:150"]


def variant(fs: float, seed: int, duration: float, mains: float = 50.0, rounds: int = 5) -> dict:
    """Median yardstick/currentprint time ratio of one signal (see the module docstring)."""
    kw = {} if mains == 50.0 else {"f_lo": mains - 0.2, "f_hi": mains + 0.2}
    s = synth.synthesize(fs=fs, duration=duration, seed=seed, **kw)
    i, v = s.i, s.v

    def yardstick() -> float:
        tm: dict = {}
        t0 = time.perf_counter()
        reference.run_pipeline(v, i, fs, n_harm=25, timings=tm, f_nom=mains)
        return time.perf_counter() - t0 - tm["events"]

    def ours() -> float:
        t0 = time.perf_counter()
        cp.analyze(i, v, fs=fs, mains_hz=mains, harmonics=25)
        return time.perf_counter() - t0

    yardstick(), ours()
    r, o = [], []
    for _ in range(rounds):
        r.append(yardstick())
        o.append(ours())
    n_cycles = duration * mains
    return {"fs": fs, "seed": seed, "duration_s": duration, "mains_hz": mains,
            "ratio": round(statistics.median(a / b for a, b in zip(r, o)), 2),
            "yardstick_us_per_cycle": round(statistics.median(r) / n_cycles * 1e6, 2),
            "currentprint_us_per_cycle": round(statistics.median(o) / n_cycles * 1e6, 3)}


def main() -> None:
    specs = sys.argv[1:] or DEFAULT
    print(f"load {os.getloadavg()[0]:.1f}, simd {cp._core.simd_path()}")
    for spec in specs:
        parts = spec.split(":")
        mains = float(parts[3]) if len(parts) > 3 else 50.0
        x = variant(float(parts[0]), int(parts[1]), float(parts[2]), mains)
        print(f"{x['fs'] / 1000:5.1f} kHz  seed {x['seed']:3d}  {x['duration_s']:6.0f} s  {x['mains_hz']:g} Hz mains  "
              f"ratio {x['ratio']:5.2f}x  (currentprint {x['currentprint_us_per_cycle']:.3f} us/cycle, "
              f"yardstick {x['yardstick_us_per_cycle']:.2f})", flush=True)


if __name__ == "__main__":
    main()
