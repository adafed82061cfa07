"""Figure for docs/arc-fault.md: a series arc found under a running real appliance.

A real HFHAD-C air-conditioner recording (6.4 kHz, ../shared/data) keeps
running; a 10 A resistive branch on the same mains (``circuits.arcing_branch``)
starts arcing at 1.5 s. The total current is pushed one cycle at a time
through ``Monitor(6400, detectors=[ArcFaultDetector()])``.

Run ``python docs/arc_masking_figure.py`` (needs matplotlib and the shared data);
writes ``docs/arc-fault-masking.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import currentprint as cp
from currentprint import circuits as C
from currentprint.core.analyzer import analyze
from currentprint.detectors.arc import ArcFaultDetector, _MBITS

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("CURRENTPRINT_DATA", HERE.parents[1] / "shared" / "data"))


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = np.load(DATA / "hfhadc" / "air_conditioner_25.npz")
    fs = float(d["fs"])
    i_ac = d["current"] * float(d["current_scale"])
    v = d["voltage"] * float(d["voltage_scale"])
    branch = C.arcing_branch(v, fs, i_rms=10.0, kind="resistive", start_s=1.5, seed=11)
    total = i_ac + branch
    alerts = cp.Monitor(fs, detectors=[ArcFaultDetector()]).run(total, v, chunk=128)
    t_alarm = alerts[0].time if alerts else None

    table = analyze(total, v, fs=fs, waveforms=True)
    ev = ArcFaultDetector().evidence(table)
    counted = (ev["code"] & _MBITS["counted"]) != 0
    t_half = ev["sample"] / fs

    fig, ax = plt.subplots(3, 1, figsize=(9, 7.2), sharex=False)
    t = np.arange(len(total)) / fs
    a, b = int(1.40 * fs), int(1.62 * fs)
    ax[0].plot(t[a:b], i_ac[a:b], color="0.6", lw=0.8, label="air conditioner alone (real)")
    ax[0].plot(t[a:b], total[a:b], color="C0", lw=0.9, label="total: + 10 A branch, arc from 1.5 s")
    ax[0].axvline(1.5, color="C3", ls=":", lw=1)
    ax[0].set_ylabel("current (A)")
    ax[0].legend(loc="upper right", fontsize=8)
    ax[0].set_title("a series arc in one branch while a real air conditioner keeps running")

    # the same two consecutive cycles on the voltage grid, and what changed
    j = int(np.searchsorted(table.start, 1.56 * fs))
    X = table.raw_waves[0]
    ph = np.arange(X.shape[1]) / X.shape[1] * 360.0
    ax[1].plot(ph, X[j - 1], color="C1", lw=0.9, label=f"cycle {j - 1}")
    ax[1].plot(ph, X[j], color="C0", lw=0.9, label=f"cycle {j}")
    ax[1].plot(ph, X[j] - X[j - 1], color="C3", lw=1.0, label="difference (what the arc changed)")
    ax[1].set_xlabel("phase of the voltage cycle (deg)")
    ax[1].set_ylabel("current (A)")
    ax[1].legend(loc="upper right", fontsize=8)

    ax[2].plot(t_half, np.cumsum(counted), color="C2", lw=1.2, drawstyle="steps-post",
               label="half-cycles with re-ignition steps moved since 1 and 2 cycles before, or new (lone)")
    ax[2].axvline(1.5, color="C3", ls=":", lw=1, label="arc starts")
    if t_alarm is not None:
        ax[2].axvline(t_alarm, color="k", lw=1.2, label=f"alarm at {t_alarm:.3f} s")
    ax[2].set_xlabel("time (s)")
    ax[2].set_ylabel("counted (cumulative)")
    ax[2].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "arc-fault-masking.png", dpi=90)
    print("alarm:", alerts[0].explanation if alerts else None)


if __name__ == "__main__":
    main()
