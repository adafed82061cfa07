"""Regenerate the figures of the detector pages (needs the ``plot`` extra).

    python docs/figures.py

Synthetic signals from :mod:`currentprint.synth` (seeded), so the figures
are reproducible; the numbers printed are what the pages quote.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import currentprint as cp  # noqa: E402
from currentprint import synth  # noqa: E402
from currentprint.plot import plot_waveform  # noqa: E402

HERE = Path(__file__).resolve().parent


def _run(sig, detector):
    mon = cp.Monitor(sig.fs, detectors=[detector])
    alerts = []
    for k in range(0, len(sig.current), int(sig.fs / 50)):      # one cycle per push
        alerts += mon.push(sig.current[k:k + int(sig.fs / 50)], sig.voltage[k:k + int(sig.fs / 50)])
    return alerts


def arc_figure() -> None:
    fs = 6400.0
    heater = {"heater": synth.Resistive(2000)}
    arc = synth.synth_signal(3.0, fs, loads=heater, arc=synth.ArcModel(1.0, 3.0, load="heater"), seed=7)
    dimmer = synth.synth_signal(3.0, fs, loads={"lamp": synth.PhaseCut(1000, 90)}, seed=7)
    fig, axes = plt.subplots(2, 1, figsize=(11, 6), constrained_layout=True)
    for ax, sig, title in ((axes[0], arc, "2 kW heater, series arc from 1.0 s"),
                           (axes[1], dimmer, "1 kW lamp behind a dimmer at 90° (masking load)")):
        alerts = _run(sig, cp.ArcFaultDetector())
        a, b = int(0.96 * fs), int(1.24 * fs)
        plot_waveform(sig.current[a:b], fs=fs, start=a, alerts=[x for x in alerts if a <= x.sample < b], ax=ax)
        first = f"alarm at {alerts[0].time:.3f} s" if alerts else "no alarm"
        ax.set_title(f"{title}: {first}")
        print(title, "->", first, f"({len(alerts)} alerts in 3 s)")
    fig.savefig(HERE / "arc-fault-example.png", dpi=90)


if __name__ == "__main__":
    arc_figure()
