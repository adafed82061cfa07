"""Hand-written mutation run: does the suite fail on each deliberate bug?

Each mutant is one textual change to a module of a *non-editable* install
(``pip install --target``; the checkout is never modified). Python mutants
edit the installed file; kernel mutants (``.pyx``/``.pxi``) are built into
their own install. For each, the named test files run (``-x``) against the
mutated install; a mutant is *killed* when they fail. The tests named are
the ones expected to catch it -- a killed mutant therefore also fails the
whole suite.

    python benchmarks/mutations.py            # all mutants
    python benchmarks/mutations.py K1 P4      # some of them

Prints a Markdown table (id, where, change, killed, seconds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = "currentprint"

# id, file (inside the package), old text, new text, what it breaks, tests that must fail
PY = [
    ("P1", "detectors/arc.py", "ok = (cnt >= need)", "ok = (cnt > need)",
     "arc alarm at 15 counted half-cycles instead of 14", ["test_rules_arc.py"]),
    ("P2", "detectors/events.py", '{"steady": 200.0,', '{"steady": 400.0,',
     "default event threshold doubled", ["test_rules_events.py"]),
    ("P3", "detectors/events.py", '{"steady": 200.0,', '{"steady": 100.0,',
     "default event threshold halved", ["test_rules_events.py"]),
    ("P4", "_state.py", 'fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")',
     "fd, tmp = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), str(path)",
     "atomic_write_json writes straight into the target", ["test_atomic_saves.py"]),
    ("P5", "fingerprints/library.py", "radius = np.maximum(self.unknown_factor * q_label",
     "radius = np.maximum(2 * self.unknown_factor * q_label", "open-set radius doubled", ["test_rules_library.py"]),
    ("P6", "fingerprints/library.py", "np.quantile(vals[np.isfinite(vals)], 0.9)",
     "np.quantile(vals[np.isfinite(vals)], 0.8)", "radius from the 80th percentile", ["test_rules_library.py"]),
    ("P7", "fingerprints/library.py", "if best.confidence < 0.5:", "if best.confidence < 0.45:",
     "open-set cut moved", ["test_rules_library.py"]),
    ("P8", "fingerprints/library.py", "scale = np.fmax(scale, self.spread_floor * np.nan_to_num(total))",
     "scale = np.fmax(scale, 0.5 * self.spread_floor * np.nan_to_num(total))", "spread floor halved",
     ["test_rules_library.py"]),
    ("P9", "detectors/resistive.py", "return 0.975 - 0.025", "return 0.97 - 0.025", "heater PF floor lowered",
     ["test_rules_loads.py"]),
    ("P10", "detectors/resistive.py", "max(0.01, 0.5 * f[\"v_thd\"])", "max(0.01, 0.6 * f[\"v_thd\"])",
     "voltage-copy tolerance loosened", ["test_rules_loads.py"]),
    ("P11", "detectors/resistive.py", "<= self.whitelist_tolerance * self._whitelist",
     "<= 1.2 * self.whitelist_tolerance * self._whitelist", "whitelist band widened", ["test_rules_loads.py"]),
    ("P12", "detectors/overload.py", "trip_ratio: float = 1.3,", "trip_ratio: float = 1.2,",
     "overload trip ratio lowered", ["test_rules_loads.py"]),
    ("P13", "detectors/overload.py", "tau_s: float = 60.0,", "tau_s: float = 45.0,", "overload time constant",
     ["test_rules_loads.py"]),
    ("P14", "detectors/arc.py", "_IEC_SHARE = 0.15", "_IEC_SHARE = 0.2",
     "IEC 62606 quota raised", ["test_rules_arc.py"]),
    ("P15", "detectors/arc.py", "count_threshold: int = 14,", "count_threshold: int = 15,",
     "arc count threshold default", ["test_rules_arc.py"]),
    ("P16", "core/signal.py", "return self.current_sign * self.current_scale", "return self.current_scale",
     "current sign ignored in Calibration", ["test_input.py", "test_kernel.py", "test_monitor.py"]),
    ("P17", "core/analyzer.py", "self._phase_rad = math.radians(cal.phase_deg)",
     "self._phase_rad = -math.radians(cal.phase_deg)", "phase correction applied the wrong way",
     ["test_input.py", "test_kernel.py", "test_reference.py", "test_streaming.py"]),
    ("P18", "monitor.py", "self._cycles = int(state[\"cycles\"])", "self._cycles = 0",
     "Monitor.load_state forgets the cycle count", ["test_monitor.py"]),
    ("P19", "monitor.py", "self._pending = [Alert.from_dict(a) for a in state[\"pending\"]]", "self._pending = []",
     "Monitor.load_state drops pending alerts", ["test_monitor.py", "test_state_restore.py"]),
    ("P20", "_state.py", "if payload.get(\"version\") not in versions:", "if False:",
     "state files of any version accepted", ["test_monitor.py", "test_library.py"]),
    ("P21", "_state.py", "return tuple(decode(x) for x in data[\"__tuple__\"])",
     "return [decode(x) for x in data[\"__tuple__\"]]", "tuples restored as lists",
     ["test_state_restore.py", "test_monitor.py"]),
    ("P22", "detectors/events.py", "gradual_threshold: float = 200.0,", "gradual_threshold: float = 150.0,",
     "gradual-change threshold default", ["test_rules_events.py"]),
    ("P23", "detectors/testing.py", "min_alerts: int = 1", "min_alerts: int = 0",
     "check_detector passes a silent detector", ["test_detector_interface.py"]),
    ("P24", "core/signal.py", "if abs(self.phase_deg) >= 90:", "if abs(self.phase_deg) >= 900:",
     "implausible sensor phase accepted", ["test_input.py"]),
    ("P25", "core/analyzer.py", "cal.signed_current_scale, cal.current_offset, cal.voltage_scale, cal.voltage_offset,",
     "cal.signed_current_scale, cal.current_offset, 1.0, cal.voltage_offset,", "voltage scale ignored",
     ["test_input.py", "test_kernel.py", "test_monitor.py"]),
    ("P26", "core/analyzer.py", "cal.signed_current_scale, cal.current_offset, cal.voltage_scale, cal.voltage_offset,",
     "cal.signed_current_scale, -cal.current_offset, cal.voltage_scale, cal.voltage_offset,",
     "current offset applied with the wrong sign", ["test_input.py", "test_kernel.py", "test_monitor.py"]),
    ("P27", "fingerprints/library.py", "lib = cls(**dict(data[\"params\"]))", "lib = cls()",
     "library file loses its parameters", ["test_library.py"]),
    ("P28", "_state.py", "payload.get(\"schema\") != schema:", "False:",
     "files of another kind accepted", ["test_state_restore.py"]),
    ("P29", "monitor.py", "getattr(det, \"finish\", lambda: [])()", "[]",
     "Monitor.flush forgets the detectors' finish()", ["test_monitor.py", "test_events.py"]),
    ("P30", "detectors/arc.py", "(cpos[j] >= self._last_alarm + self.rearm_s * fs)", "(cpos[j] >= self._last_alarm)",
     "arc re-arm time ignored", ["test_rules_arc.py", "test_arc.py"]),
    ("P31", "core/signal.py", "return asdict(self)", "return {k: v for k, v in asdict(self).items() if k != \"phase_deg\"}",
     "Calibration.to_dict drops the phase", ["test_state_restore.py"]),
]
# kernel mutants: (id, file, old, new, what, tests)
KERNEL = [
    ("K1", "_arc.pxi", "            if state[AS_RUN] > par[AP_RUN_MAX]:",
     "            if state[AS_RUN] > par[AP_RUN_MAX] + 2.0:", "arc long-run discount loosened",
     ["test_kernel_arc_branches.py"]),
    ("K2", "_cycle_tmpl.h", "            if (k >= 2)\n                hsum = hsum", "            if (k >= 3)\n                hsum = hsum",
     "THD drops the 2nd harmonic", ["test_kernel.py"]),
    ("K3", "_events.pxi", "                        trig = stat > h\n                        if trig:",
     "                        trig = stat > 1.5 * h\n                        if trig:", "steady trigger at 1.5 x threshold",
     ["test_kernel_event_params.py"]),
]


def _install(src_root: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(src_root)], check=True, stdout=subprocess.DEVNULL)


def _run_tests(target: Path, tests: list[str]) -> bool:
    """True when the tests pass (the mutant survives)."""
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONDONTWRITEBYTECODE": "1"}
    check = subprocess.run([sys.executable, "-c", f"import {PKG}; print({PKG}.__file__)"], env=env,
                           capture_output=True, text=True, cwd=tempfile.gettempdir())
    assert str(target) in check.stdout, f"tests would not import the mutated install: {check.stdout}"
    res = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                          *[str(ROOT / "tests" / t) for t in tests]], env=env, capture_output=True, text=True,
                         cwd=ROOT)
    return res.returncode == 0


def _mutate(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"{path}: the text to mutate occurs {text.count(old)} times: {old!r}")
    path.write_text(text.replace(old, new))
    return text


def main(only: list[str]) -> int:
    rows = []
    work = Path(tempfile.mkdtemp(prefix="cp-mut-"))
    try:
        base = work / "base"
        py = [m for m in PY if not only or m[0] in only]
        if py:
            _install(ROOT, base)
            assert _run_tests(base, sorted({t for m in py for t in m[5]})), "the unmutated install fails"
        for mid, rel, old, new, what, tests in py:
            f = base / PKG / rel
            t0 = time.perf_counter()
            orig = _mutate(f, old, new)
            try:
                survived = _run_tests(base, tests)
            finally:
                f.write_text(orig)
            rows.append((mid, rel, what, not survived, time.perf_counter() - t0))
            print(rows[-1], flush=True)
        for mid, rel, old, new, what, tests in (m for m in KERNEL if not only or m[0] in only):
            t0 = time.perf_counter()
            src = work / f"src-{mid}"
            shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.so", "scratch",
                                                                      "__pycache__", "*.egg-info"))
            (src / "src" / PKG / "_core.c").unlink(missing_ok=True)
            _mutate(src / "src" / PKG / rel, old, new)
            target = work / f"inst-{mid}"
            _install(src, target)
            survived = _run_tests(target, tests)
            rows.append((mid, rel, what, not survived, time.perf_counter() - t0))
            print(rows[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| id | where | deliberate bug | killed | s |\n|---|---|---|---|---|")
    for mid, rel, what, killed, dt in rows:
        print(f"| {mid} | `{rel}` | {what} | {'yes' if killed else '**no**'} | {dt:.0f} |")
    killed = sum(r[3] for r in rows)
    print(f"\nkilled {killed} of {len(rows)}")
    return 0 if killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
