"""Probe: what a 6.4 kHz terminal can see of a series arc in an *inductive* (R-L) branch.

Not part of the detector. Measures four candidate evidences, computed in NumPy on the
resampled cycles (``cp.analyze(waveforms=True).raw_waves``, the masking-proof evidence's domain),
on the circuit-driven Ayrton arc of ``tests/arc_models.py`` in a 20-45 deg R-L branch and on the
second circuit-driven arc (``recovery_arc_branch``, 15-60 deg) (alone and under the masking loads
of ``eval_arc.py --only physical``; seeds 0-1 and 2-5) and on every false-alarm source of
``benchmarks/eval_arc.py`` (plus TRIAC speed controls at 40 and 50 deg). For each candidate and each signal it counts the
half-cycles with evidence: in the first second of an arc, or the most in any 1 s window of a
signal without one (gb14287 needs 14; the false-alarm margin is 7). Results: docs/arc-fault.md,
"An arc in an inductive branch: what is left to see".

Per half-cycle, against the cycle one **and** two before (d = this cycle - reference, on the same
phase points), within the first 3 ms after the voltage zero (a 20-45 deg branch's current zero and
its re-strike):

* ``kink``: K[k] = (d[k+2] - 2 d[k] + d[k-2]) / 2, the slope change of d (a change of di/dt at
  the branch's zero: 2 u_arc / L); evidence when the largest |K| >= 6 x its robust noise
  (1.4826 x median |K| over the cycle) and >= 0.15 A.
* ``kink, no jump``: K[k] = slope after (3 points) - slope before (3 points); the largest |K| >= 4 x
  its noise and >= 0.05 A, and no single-point jump of d around k beyond the larger slope plus
  half the kink (a moved step is not a kink).
* ``R-L deficit``: a re-strike delayed by t_d leaves the branch short of the healthy current by
  a deficit that, once the arc burns in both cycles, obeys L dΔi/dt = -R Δi: d is quiet
  (< 25 % of the peak) for 4 points, reaches its peak within 4 points, and then stays on that
  side for 12 points (1.9 ms) and decays to <= 60 % of the peak. Evidence when the peak is
  >= 3 x the noise of d and >= ``floor`` A (0.1 and 0.2).

* ``R-L relaxation``: see :func:`relaxation`.

Usage: ``PYTHONPATH=src python benchmarks/arc_inductive_probe.py [--jobs 2] [--quick] [--groups "a;b"]``
(needs ``../shared/data``; about 10-25 min on 2 cores).
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import arc_models as am
import eval_arc as E

import currentprint as cp
from currentprint import circuits as C

WIN_MS = 3.0


def _diffs(X, off):
    """Yield (ref lag r, cycle c, d) for r = 1, 2: this cycle minus the reference on the same phase points."""
    n, npts = X.shape
    idx = np.arange(npts)
    for r in (1, 2):
        for c in range(r, n):
            yield r, c, X[c] - np.interp(idx + off[c] - off[c - r], idx, X[c - r])


RELAX_AFTER = 16       # points fitted after the break (2.5 ms at 128 points per cycle)
RELAX_BEFORE = 6       # points fitted before it (0.94 ms)
RELAX_PHI = (6, 22)    # break 6..21 points after the voltage zero: a branch lagging 17-59 deg

_BASIS = {}


def _relax_designs(npts, scale=1.0):
    """Per break offset: design matrices of the relaxation (alternative) and of a smooth quadratic (null)."""
    offs = np.arange(*RELAX_PHI)
    tau = scale * np.tan(offs * 2 * np.pi / npts) * npts / (2 * np.pi)
    x = np.arange(-RELAX_BEFORE, RELAX_AFTER + 1, dtype=float)
    alt = []
    for t in tau:
        g = np.where(x >= 0, 1.0 - np.exp(-np.maximum(x, 0) / t), 0.0)
        alt.append(np.stack([np.ones_like(x), np.where(x < 0, x, 0.0), g], 1))
    null = np.stack([np.ones_like(x), x, x * x], 1)
    return offs, tau, x, np.array(alt), null


def _rss(Y, X):
    """Least squares of each row of Y on its design X (m, n, p) or (n, p): coefficients and residual sums."""
    if X.ndim == 2:
        X = np.broadcast_to(X, (Y.shape[0],) + X.shape)
    coef = np.linalg.solve(np.einsum("mnp,mnq->mpq", X, X), np.einsum("mnp,mn->mp", X, Y)[..., None])[..., 0]
    res = Y - np.einsum("mnp,mp->mn", X, coef)
    return coef, np.sum(res * res, 1), X


def relaxation(d, lo, npts, sd, floor=0.1):
    """R-L relaxation of the cycle difference from a break at the branch's current zero.

    An arc column whose voltage U_h changes from one current half-cycle to the next (its length
    moves) drives the R-L branch with a step of the voltage difference at the branch's zero, so
    d relaxes there, with the branch's own time constant, from where it was towards a new level:
    d[b + s] = c + A (1 - exp(-s / tau)) after b, a line before it (continuous at b, the slope
    changes). For an R-L branch whose current zero lies phi after the voltage zero,
    L / R = tan(phi) / omega, so tau follows from the break's position (tau = tan(phi) npts / 2 pi
    points). A TRIAC-controlled R-L load breaks later than its own zero (phi > its lag), so its
    relaxation is faster than the position implies.
    Evidence when, for some break b 6-21 points after the voltage zero (the fit over 6 points
    before and 16 after): the change seen in the window, |A| (1 - exp(-16 / tau)), is >= ``floor``
    A and >= 5 x its standard error; the relaxation fits >= 2 x better (residual sum) than a smooth
    quadratic and better than with tau / 2 or 2 tau; the slope changes at b by at least half of the
    relaxation's initial slope; and d does not jump at b (a moved edge is not a relaxation): both
    first differences at b within the fitted slopes plus 4 x the noise of d.
    """
    if npts not in _BASIS:
        _BASIS[npts] = tuple(_relax_designs(npts, k) for k in (1.0, 0.5, 2.0))
    (offs, tau, x, alt, null), (_, _, _, alt_h, _), (_, _, _, alt_d, _) = _BASIS[npts]
    b = lo + offs
    Y = d[b[:, None] + x.astype(int)[None, :]]
    coef, rss, X = _rss(Y, alt)
    _, rss0, _ = _rss(Y, null)
    _, rss_h, _ = _rss(Y, alt_h)
    _, rss_d, _ = _rss(Y, alt_d)
    n = len(x)
    var = np.maximum(rss / (n - 3), sd * sd)
    cov = np.linalg.inv(np.einsum("mnp,mnq->mpq", X, X))
    a = coef[:, 2]
    m = coef[:, 1]
    se = np.sqrt(var * cov[:, 2, 2])
    frac = 1.0 - np.exp(-RELAX_AFTER / tau)
    seen = np.abs(a) * frac
    slope0 = a / tau
    j_after = np.abs(d[b + 1] - d[b] - a * (1.0 - np.exp(-1.0 / tau)))
    j_before = np.abs(d[b] - d[b - 1] - m)
    ok = ((seen >= floor) & (np.abs(a) >= 5 * se) & (rss0 >= 2 * rss) & (rss < rss_h) & (rss < rss_d)
          & (np.abs(slope0 - m) >= 0.5 * np.abs(slope0))
          & (j_after <= 4 * sd + 0.5 * np.abs(slope0)) & (j_before <= 4 * sd + 0.5 * np.abs(m)))
    return bool(ok.any())


def features(i, v):
    """Per half-cycle evidence flags of the candidates: dict name -> bool array (2 n)."""
    t = cp.analyze(i, v, fs=E.FS, waveforms=True)
    X = np.asarray(t.raw_waves[0], float)
    off = (np.ceil(t.start) - t.start) * t.n_points / t.period
    n, npts = X.shape
    half = npts // 2
    w = round(WIN_MS * 1e-3 * 50 * npts)
    names = ("kink", "kink, no jump", "R-L deficit 0.1 A", "R-L deficit 0.2 A", "R-L relaxation")
    ok = {k: np.ones((n, 2, 2), bool) for k in names}
    for k in names:
        ok[k][:2] = False
    for r, c, d in _diffs(X, off):
        # kink: 2-point second difference
        K = np.zeros(npts)
        K[2:-2] = (d[4:] - 2 * d[2:-2] + d[:-4]) / 2
        sk = 1.4826 * np.median(np.abs(K[2:-2])) + 1e-12
        # kink without a jump: 3-point slopes
        sb = np.zeros(npts)
        sa = np.zeros(npts)
        sb[3:-3] = (d[3:-3] - d[:-6]) / 3
        sa[3:-3] = (d[6:] - d[3:-3]) / 3
        K3 = sa - sb
        s3 = 1.4826 * np.median(np.abs(K3[3:-3])) + 1e-12
        add = np.abs(np.diff(d))
        jmp = np.zeros(npts)
        jmp[3:-3] = np.maximum.reduce([add[1:-4], add[2:-3], add[3:-2]])
        sd = 1.4826 * np.median(add) / np.sqrt(2) + 1e-12
        for q in (0, 1):
            lo = q * half
            seg = np.abs(K[lo + 2:lo + 2 + w])
            ok["kink"][c, q, r - 1] &= bool(seg.max() >= max(6 * sk, 0.15))
            a = lo + 3 + int(np.argmax(np.abs(K3[lo + 3:lo + 3 + w])))
            kk = abs(K3[a])
            ok["kink, no jump"][c, q, r - 1] &= bool(
                kk >= max(4 * s3, 0.05) and jmp[a] - max(abs(sb[a]), abs(sa[a])) <= 0.5 * kk)
            best = 0.0
            for k in range(lo + 1, lo + 20):
                if k - 4 < 0 or k + 4 + 12 >= npts:
                    continue
                a = k + int(np.argmax(np.abs(d[k:k + 4])))
                p = d[a]
                if abs(p) <= best or np.max(np.abs(d[k - 4:k])) > 0.25 * abs(p):
                    continue
                tail = d[a + 1:a + 13] * np.sign(p) / abs(p)
                if np.any(tail[:4] <= 0) or np.any(tail <= -0.15) or tail[-1] > 0.6:
                    continue
                if abs(p) >= 3 * sd:
                    best = abs(p)
            ok["R-L deficit 0.1 A"][c, q, r - 1] &= best >= 0.1
            ok["R-L deficit 0.2 A"][c, q, r - 1] &= best >= 0.2
            ok["R-L relaxation"][c, q, r - 1] &= relaxation(d, lo, npts, sd)
    loaded = np.asarray(t.i_rms)[:, None] >= 1.0
    return {k: (x.all(axis=2) & loaded).reshape(-1) for k, x in ok.items()}, np.asarray(t.start)


def count(flags, start, k0_s):
    """Evidence half-cycles in the arc's first second, or the most in any 1 s window."""
    if k0_s is not None:
        k = 2 * int(np.searchsorted(start, k0_s * E.FS))
        return int(flags[k:k + 100].sum())
    c = np.concatenate([[0], np.cumsum(flags)])
    return int(c[-1] if len(flags) <= 100 else (c[100:] - c[:-100]).max())


_JOBS: list = []


def _job(n):
    group, name, make, k0 = _JOBS[n]   # inherited by the forked workers (closures do not pickle)
    i, v = make()
    f, start = features(i, v)
    return group, name, {k: count(x, start, k0) for k, x in f.items()}


def _lag(seed, amps, model="ayrton"):
    if model == "recovery":
        return np.random.default_rng(8000 + seed * 97 + int(amps)).uniform(15.0, 60.0)
    return np.random.default_rng(7000 + seed * 97 + int(amps)).uniform(20.0, 45.0)


def jobs(quick: bool):
    out = []
    for first, nseed in ((0, 2), (2, 4)):
        for seed in range(first, first + nseed):
            tag = "0-1" if first == 0 else "2-5"

            def arc(seed=seed, m=None, amps=5.0, model="ayrton"):
                v = E.supply(seed)
                mm = np.zeros_like(v) if m is None else E.physical_masks(v, seed)[m]
                return mm + E.physical_branch(v, amps, True, seed * 97 + int(amps), model=model), v
            for model, label in (("ayrton", "inductive arc"), ("recovery", "recovery-arc model (R-L)")):
                for m in [None, *(E.physical_masks(E.supply(seed), seed))]:
                    for amps in (5.0, 10.0, 16.0):
                        grp = f"{label}, {'alone' if m is None else 'masked'}, seeds {tag}"
                        out.append((grp, f"{m} {amps:g} A lag {_lag(seed, amps, model):.1f}",
                                    lambda seed=seed, m=m, amps=amps, model=model: arc(seed, m, amps, model),
                                    E.START))

            def own(seed=seed, m=None, amps=5.0):
                v = E.supply(seed)
                mm = np.zeros_like(v) if m is None else E.masks(v, seed)[m]
                return mm + C.arcing_branch(v, E.FS, i_rms=amps, kind="motor", start_s=E.START,
                                            seed=seed * 97 + int(amps)), v
            for m in [None, *E.masks(E.supply(seed), seed)]:
                for amps in (5.0, 16.0):
                    out.append((f"own motor model, seeds {tag}", f"{m} {amps:g}",
                                lambda seed=seed, m=m, amps=amps: own(seed, m, amps), E.START))
    step = 8 if quick else 1
    files = sorted(E.DATA.glob("hfhadc/*.npz"))
    for p in files[::step]:
        out.append(("false: real recordings", p.stem, lambda p=p: E.physical(p)[:2], None))
    rng = np.random.default_rng(7)
    for m in range(120):
        picks = rng.choice(len(files), size=int(rng.integers(2, 4)), replace=False)
        extra = [(p, float(rng.uniform(0.2, 2.0))) for p in picks[1:]]
        extra = [(p, on, float(rng.uniform(on + 0.3, 3.0)) if rng.random() < 0.5 else None) for p, on in extra]

        def mix(picks=picks, extra=extra):
            i0, v0, lab0 = E.physical(files[picks[0]])
            circ = C.Circuit(v0, E.FS)
            circ.add_branch(i0, label=lab0)
            for p, on, off in extra:
                i1, v1, lab1 = E.physical(files[p])
                circ.add_current(i1, v1, E.FS, label=lab1, on_s=on, off_s=off, resistive=lab1 in E.C_RESISTIVE)
            return circ.current, circ.voltage
        if not quick or m % 8 == 0:
            out.append(("false: real mixtures", str(m), mix, None))
    for seed in range(2):
        for name in {**E.masks(E.supply(seed), seed), **E.independent_masks(E.supply(seed), seed)}:
            out.append(("false: masking loads alone", name, lambda seed=seed, name=name: (
                {**E.masks(E.supply(seed), seed), **E.independent_masks(E.supply(seed), seed)}[name],
                E.supply(seed)), None))
    for seed in range(10, 12):
        v = E.supply(seed)
        for name in {**E.masks(v, seed), **E.independent_masks(v, seed)}:
            for kind in ("resistive", "motor"):
                for amps in (5.0, 10.0, 16.0):
                    def hb(seed=seed, name=name, kind=kind, amps=amps):
                        v = E.supply(seed)
                        m = {**E.masks(v, seed), **E.independent_masks(v, seed)}[name]
                        return m + C.arcing_branch(v, E.FS, i_rms=amps, kind=kind, start_s=100.0,
                                                   seed=seed * 31 + int(amps)), v
                    out.append(("false: masking load + healthy branch", f"{name} {kind} {amps:g}", hb, None))
        for name in E.physical_masks(v, seed):
            for b in [None] + [(ind, amps) for ind in (True, False) for amps in (5.0, 10.0, 16.0)]:
                def pb(seed=seed, name=name, b=b):
                    v = E.supply(seed)
                    m = E.physical_masks(v, seed)[name]
                    return (m if b is None else m + E.physical_branch(v, b[1], b[0], seed * 31 + int(b[1]),
                                                                         start=100.0)), v
                out.append(("false: physical-family loads, alone and + healthy branch", f"{name} {b}", pb, None))
    for seed in range(50, 52):
        for a, ka, b, pw in E.two_load_combos():
            def two(seed=seed, a=a, ka=ka, b=b, pw=pw):
                v = E.supply(seed, 6.0)
                return (C.masking_load(a[0], v, E.FS, power_w=a[1], seed=seed, **ka)
                        + C.masking_load(b, v, E.FS, power_w=pw, seed=seed + 7)), v
            out.append(("false: two masking loads, 6 s", f"{a[0]} {ka} + {b}", two, None))
    for seed in range(10, 12):
        for ang in (40, 50):
            # the TRIAC speed control closer to the motor's own lag: the same R-L physics as a delayed re-strike
            for b in [None, (True, 10.0), (False, 10.0)]:
                def vac(seed=seed, ang=ang, b=b):
                    v = E.supply(seed)
                    m = am.speed_controlled_vacuum(v, E.FS, power_w=1200, firing_deg=ang,
                                                   rng=np.random.default_rng(9100 + seed + ang))
                    return (m if b is None else m + E.physical_branch(v, b[1], b[0], seed * 31 + int(b[1]),
                                                                         start=100.0)), v
                out.append(("false: physical-family loads, alone and + healthy branch", f"vacuum {ang} deg {b}",
                            vac, None))
    for seed in range(70, 72):
        for ang in (60, 90, 120):
            for b in [None] + [(k, amps) for k in ("resistive", "motor") for amps in (5.0, 10.0, 16.0)]:
                def sc(seed=seed, ang=ang, b=b):
                    v = E.supply(seed)
                    m = E.speed_controlled_motor(v, seed, ang)
                    return (m if b is None else m + C.arcing_branch(v, E.FS, i_rms=b[1], kind=b[0], start_s=100.0,
                                                                        seed=seed * 31 + int(b[1]))), v
                out.append(("false: speed controller", f"{ang} {b}", sc, None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="every 8th recording and mixture")
    ap.add_argument("--save", default="", help="also pickle the per-signal counts to this file")
    ap.add_argument("--groups", default="", help="substrings separated by ;: only the groups whose name has one")
    a = ap.parse_args()
    _JOBS[:] = [j for j in jobs(a.quick) if not a.groups or any(g in j[0] for g in a.groups.split(";"))]
    with mp.get_context("fork").Pool(a.jobs) as pool:
        res = pool.map(_job, range(len(_JOBS)), chunksize=4)
    if a.save:
        import pickle
        with open(a.save, "wb") as fh:
            pickle.dump(res, fh)
    groups = collections.defaultdict(list)
    for g, name, c in res:
        groups[g].append((name, c))
    cands = list(res[0][2])
    print("| source | signals | " + " | ".join(cands) + " |")
    print("|---|---|" + "---|" * len(cands))
    for g, lst in groups.items():
        if g.startswith("false"):
            cells = []
            for k in cands:
                top = max(lst, key=lambda x: x[1][k])
                cells.append(f"max {top[1][k]} ({top[0]})" if top[1][k] >= 7 else f"max {top[1][k]}")
        else:
            cells = [f"{np.mean([c[k] >= 14 for _, c in lst]):.0%} (median {np.median([c[k] for _, c in lst]):.0f})"
                     for k in cands]
        print(f"| {g} | {len(lst)} | " + " | ".join(cells) + " |")
    bins = ((0, 20), (20, 28), (28, 31.5), (31.5, 34), (34, 45), (45, 60))
    for prefix in ("inductive arc", "recovery-arc model"):
        for cand in ("R-L deficit 0.1 A", "R-L relaxation"):
            cases = [(float(name.rsplit(" ", 1)[1]), c[cand]) for g, lst in groups.items() if g.startswith(prefix)
                     for name, c in lst]
            if not cases or cand not in cands:
                continue
            print(f"\n{cand}, {prefix} by branch lag (alone and masked, all seeds): mean count, share >= 14")
            for lo, hi in bins:
                x = np.array([n for lag, n in cases if lo <= lag < hi])
                if len(x):
                    print(f"  lag {lo:g}-{hi:g} deg: {len(x)} cases, mean {x.mean():.1f}, >= 14: {np.mean(x >= 14):.0%}")

if __name__ == "__main__":
    main()
