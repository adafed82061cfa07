"""A synthetic fleet archive with its ground truth (``currentprint fleet demo``)."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import wave
from pathlib import Path

import numpy as np

from ._archive import TERMINAL_SCHEMA, TERMINAL_VERSION, FileEntry, format_start

__all__ = ["write_demo"]

T0 = _dt.datetime(2026, 1, 5, 0, 0, 0, tzinfo=_dt.timezone.utc)


def _loads(rng: np.random.Generator, heater: bool) -> dict:
    from .. import synth as sy
    loads = {"fridge": sy.Motor(110.0 + 40.0 * rng.random(), pf=0.7 + 0.1 * rng.random(), inrush=3.0),
             "pc": sy.Rectifier(80.0 + 80.0 * rng.random()),
             "kettle": sy.Resistive(1800.0 + 400.0 * rng.random()),
             "lamp": sy.PhaseCut(60.0 + 40.0 * rng.random(), firing_angle_deg=60.0 + 40.0 * rng.random())}
    if heater:
        loads["heater"] = sy.Resistive(1500.0 + 1000.0 * rng.random())
    return loads


def _schedule(rng, names: list[str], on: set[str], duration_s: float, rate_per_min: float,
              arc: tuple[float, float] | None, arc_load: str | None) -> list[tuple]:
    """Random switchings at least 2 s apart, 1 s clear of the ends; the arc's load kept on through the arc.

    In the file with the arc the other loads are switched off before it and
    stay off (a heater left running alone): the currents of other loads in
    parallel fill the flat shoulders near current zero that a series-arc
    detector at the panel looks for, and the demo's truth should not depend
    on how well a detector sees through them.
    """
    n = 0 if arc else rng.poisson(rate_per_min * duration_s / 60.0)
    times = np.sort(rng.uniform(1.0, max(1.5, duration_s - 1.0), size=n))
    kept: list[float] = []
    for t in times:
        if not kept or t - kept[-1] >= 2.0:
            kept.append(float(t))
    state = set(on)
    sched = []
    for t in kept:
        choices = names
        name = choices[int(rng.integers(len(choices)))]
        act = "off" if name in state else "on"
        state.symmetric_difference_update({name})
        sched.append((round(t, 4), name, act))
    if arc is not None and arc_load is not None:
        a0, a1 = arc
        for k, other in enumerate(sorted(on - {arc_load})):
            sched.append((round(a0 - 3.0 - 0.5 * k, 4), other, "off"))
        if arc_load not in on:
            sched.append((round(a0 - 2.0, 4), arc_load, "on"))
        sched.append((round(min(a1 + 3.0, duration_s - 0.6), 4), arc_load, "off"))
    return sched


def _write_wav(path: Path, i: np.ndarray, v: np.ndarray, fs: float) -> None:
    frames = np.empty(2 * i.shape[0], dtype="<i2")
    frames[0::2], frames[1::2] = i, v
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(int(fs))
        w.writeframes(frames.tobytes())


def write_demo(out: str | os.PathLike, *, terminals: int = 4, hours: float = 0.25, file_s: float = 300.0,
               fs: float = 6400.0, seed: int = 0, heaters: int | None = None, arcs: int | None = None) -> dict:
    """Write a synthetic fleet archive: recordings, ``terminal.json``, manifest and truth.

    Each terminal records ``hours`` hours in files of ``file_s`` seconds (int16
    ADC counts; ``.npz``, every third terminal ``.wav``), in stretches of 1–4
    contiguous files separated by gaps of 1–20 minutes. Household loads
    switch at random (a fridge motor, a PC, a kettle, a dimmed lamp); a few
    terminals run a forbidden heater, and a few of those have a series arc
    in it for some seconds. Every 6th terminal is on 60 Hz mains.

    Parameters
    ----------
    out : path
        Folder to create (must not hold a ``manifest.parquet`` already).
    terminals : int
        Number of terminals, ``T0000``, ``T0001``, ...
    hours : float
        Recorded hours per terminal.
    file_s : float
        Length of one recording, s.
    fs : float
        Sample rate, Hz (6400 Hz: 128 samples per 50 Hz cycle).
    seed : int
        Seed of every random choice: the same arguments write the same archive.
    heaters, arcs : int, optional
        Terminals with a heater (default a quarter), and with an arc among
        those (default half of them).

    Returns
    -------
    dict
        ``terminals``, ``files``, ``seconds`` (recorded) and ``truth`` (the
        path of ``truth.parquet``: terminal, kind ``on``/``off``/``arc``,
        load, start and end UTC time, expected delta_p in W).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .. import synth as sy
    from ._run import write_manifest

    if terminals < 1 or not (hours > 0) or not (file_s > 2.0):
        raise ValueError("need terminals >= 1, hours > 0 and file_s > 2 s")
    out = Path(out)
    if (out / "manifest.parquet").exists():
        raise FileExistsError(f"{out} already holds an archive; choose an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    heaters = max(1, terminals // 4) if heaters is None else heaters
    arcs = max(1, heaters // 2) if arcs is None else arcs
    root = np.random.SeedSequence(seed)
    truth: list[dict] = []
    files: list[FileEntry] = []
    total_s = hours * 3600.0
    for k, ss in enumerate(root.spawn(terminals)):
        rng = np.random.default_rng(ss)
        tid = f"T{k:04d}"
        folder = out / tid
        folder.mkdir(exist_ok=True)
        mains = 60.0 if k % 6 == 5 else 50.0
        has_heater, has_arc = k < heaters, k < arcs
        loads = _loads(rng, has_heater)
        names = sorted(loads)
        i_fs, v_fs = 60.0, 400.0        # ADC full scale: A and V peak
        scale_i, scale_v = i_fs / 32767.0, v_fs / 32767.0
        cfg = {"schema": TERMINAL_SCHEMA, "version": TERMINAL_VERSION, "fs": fs, "mains_hz": mains,
               "calibration": {"current_scale": scale_i, "voltage_scale": scale_v},
               "detectors": {"events": {}, "arc_fault": {}, "resistive_load": {}, "overload": {}},
               "site": f"demo site {k // 10}"}
        (folder / "terminal.json").write_text(json.dumps(cfg, indent=1), encoding="utf-8")
        suffix = ".wav" if k % 3 == 2 else ".npz"
        t = T0 + _dt.timedelta(seconds=float(rng.uniform(0, 600)))
        n_files = max(1, math.ceil(total_s / file_s))
        arc_file = int(rng.integers(n_files)) if has_arc else -1
        on = set(rng.choice(names, size=2, replace=False).tolist()) - {"heater"}
        phase = float(rng.uniform(0, 2 * math.pi))
        left_in_stretch = int(rng.integers(1, 5))
        for f in range(n_files):
            dur = min(file_s, total_s - f * file_s)
            if dur < 2.0:
                break
            arc = None
            if f == arc_file and dur > 20.0:
                a0 = float(rng.uniform(5.5, dur - 15.0))
                arc = (a0, a0 + float(rng.uniform(3.0, 6.0)))
            sched = _schedule(rng, names, on, dur, rate_per_min=1.5, arc=arc, arc_load="heater" if arc else None)
            s = sy.synth_signal(duration_s=dur, fs=fs, mains_hz=mains, loads=loads, schedule=sched,
                                initial_on=on, v_phase=phase, seed=int(rng.integers(2**31)), dtype=np.int16,
                                adc_full_scale=(i_fs, v_fs), noise_a=0.01,
                                v_harmonics={3: (0.02, 0.2), 5: (0.012, 1.0)},
                                arc=None if arc is None else sy.ArcModel(arc[0], arc[1], "heater"))
            name = format_start(t) + suffix
            if suffix == ".npz":
                np.savez(folder / name, current=s.current, voltage=s.voltage, fs=np.float64(fs))
            else:
                _write_wav(folder / name, s.current, s.voltage, fs)
            files.append(FileEntry(tid, name, t, s.n_samples, fs))
            for ev in s.events:
                when = t + _dt.timedelta(seconds=ev.sample / fs)
                truth.append({"terminal": tid, "kind": ev.kind, "load": ev.load, "start": when, "end": when,
                              "delta_p": float(ev.delta_p)})
                if ev.kind == "on":
                    on.add(ev.load)
                elif ev.kind == "off":
                    on.discard(ev.load)
            for a0, a1 in s.arc_segments:
                truth.append({"terminal": tid, "kind": "arc", "load": "heater",
                              "start": t + _dt.timedelta(seconds=a0 / fs), "end": t + _dt.timedelta(seconds=a1 / fs),
                              "delta_p": None})
            # the next file continues the same mains phase and the same loads
            phase = float(s.phase[-1]) + 2 * math.pi * mains / fs
            t = t + _dt.timedelta(seconds=s.n_samples / fs)
            left_in_stretch -= 1
            if left_in_stretch == 0:
                gap = float(rng.uniform(60.0, 1200.0))
                t = t + _dt.timedelta(seconds=gap)
                phase += 2 * math.pi * mains * gap
                left_in_stretch = int(rng.integers(1, 5))
    write_manifest(str(out), files)
    schema = pa.schema([("terminal", pa.string()), ("kind", pa.string()), ("load", pa.string()),
                        ("start", pa.timestamp("us", tz="UTC")), ("end", pa.timestamp("us", tz="UTC")),
                        ("delta_p", pa.float64())])
    pq.write_table(pa.Table.from_pylist(truth, schema=schema), out / "truth.parquet")
    return {"terminals": terminals, "files": len(files), "seconds": sum(f.duration_s for f in files),
            "truth": str(out / "truth.parquet")}
