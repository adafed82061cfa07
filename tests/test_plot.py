"""currentprint.plot: every function draws on the given (or a new) axes, returns it, never shows."""

from __future__ import annotations

import functools

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import currentprint as cp  # noqa: E402
from currentprint import plot  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("currentprint.plot must never call plt.show()")
    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


@functools.lru_cache(maxsize=None)
def _data():
    sig = cp.synth.synth_signal(duration_s=2.0, fs=6400, loads={"k": cp.synth.Resistive(1500.0),
                                                               "pc": cp.synth.Rectifier(150.0)},
                                schedule=[(0.5, "k", "on")], seed=2)
    table = cp.analyze(sig.current, sig.voltage, fs=sig.fs, waveforms=True)
    alerts = [cp.Alert(kind="event", sample=3200, detail={"kind": "on"}), cp.Alert(kind="arc_fault", sample=9000)]
    return sig, table, alerts


def test_waveform_marks_cycles_events_alerts():
    sig, table, alerts = _data()
    n = 1600
    ax = plot.plot_waveform(sig.current[:n + 3200][3200:], sig.voltage[3200:3200 + n], fs=sig.fs, cycles=table,
                            events=[3300], alerts=alerts, start=3200)
    assert isinstance(ax, matplotlib.axes.Axes)
    t = ax.lines[0].get_xdata()
    assert abs(t[0] - 0.5) < 1e-12 and len(t) == n
    vertical = [ln for ln in ax.lines if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]]
    assert len(vertical) >= 12 + 2             # 12 cycle starts in 0.25 s + event + the alert at 0.5 s
    texts = [t.get_text() for t in ax.texts]
    assert "on" in texts and "arc_fault" not in texts      # the arc alert at 1.41 s is outside the slice


def test_waveform_on_given_axes_with_calibration():
    sig, _, _ = _data()
    fig, ax = plt.subplots()
    cal = cp.Calibration(current_scale=2.0)
    out = plot.plot_waveform(sig.current[:640], fs=sig.fs, ax=ax, calibration=cal)
    assert out is ax
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 2.0 * sig.current[:640])


def test_timeline():
    _, table, alerts = _data()
    ax = plot.plot_timeline(table, quantities=("i_rms", "p", "thd"), events=alerts[:1], alerts=alerts[1:])
    assert isinstance(ax, matplotlib.axes.Axes)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), table.i_rms)
    assert "i_rms" in ax.get_ylabel()
    with pytest.raises(KeyError, match="no column"):
        plot.plot_timeline(table, quantities=("nope",))


def test_spectrum():
    _, table, _ = _data()
    ax = plot.plot_spectrum(table, cycle=slice(40, 90))
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == table.n_harmonics and heights[0] == pytest.approx(100.0)
    ax2 = plot.plot_spectrum(table, cycle=50, relative=False)
    assert ax2.patches[0].get_height() == pytest.approx(float(table.harmonic_magnitudes[50, 0]))


def test_vi_from_table_and_arrays():
    _, table, _ = _data()
    ax = plot.plot_vi(table, cycle=slice(40, 90), normalise=True)
    x, y = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    assert x[0] == x[-1] and y[0] == y[-1]          # closed loop
    assert np.max(np.abs(x)) == pytest.approx(1.0) and np.max(np.abs(y)) == pytest.approx(1.0)
    fig, given = plt.subplots()
    assert plot.plot_vi(table.i_wave[50], table.v_wave[50], ax=given) is given
    with pytest.raises(ValueError, match="voltage"):
        plot.plot_vi(table.i_wave[50])
    no_waves = cp.analyze(_data()[0].current, _data()[0].voltage, fs=6400)
    with pytest.raises(ValueError, match="waveforms=True"):
        plot.plot_vi(no_waves)


def test_overview_figure(tmp_path):
    sig, table, alerts = _data()
    fig = plot.plot_overview(table, alerts, current=sig.current, voltage=sig.voltage, fs=sig.fs)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) >= 3
    fig.savefig(tmp_path / "o.png")
    assert (tmp_path / "o.png").stat().st_size > 1000


def test_missing_matplotlib_message(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"pip install 'currentprint\[plot\]'"):
        plot.plot_spectrum(_data()[1])
