"""The judged evaluation on real recordings (HFHAD-C, Tabanelli), asserting the issue's thresholds.

HFHAD-C: 12 appliances x 40 steady recordings at 6.4 kHz / 50 Hz. Fingerprints
of whole recordings and of short windows (2 and 10 cycles). Nothing here is
tuned to these files: the library learns its scaling and acceptance radii
from what is enrolled, the classifier uses physical thresholds.
"""

from __future__ import annotations

import collections
import types

import numpy as np
import pytest

import currentprint as cp
from currentprint.fingerprints.classify import classify_load
from currentprint.fingerprints.fingerprint import fingerprint
from currentprint.fingerprints.library import FingerprintLibrary

from conftest import hfhadc_files, load_hfhadc, tabanelli_files

WINDOWS = {"full": None, "2cyc": [(10, 12), (40, 42), (70, 72)], "10cyc": [(20, 30), (80, 90)]}


@pytest.fixture(scope="module")
def hfhadc():
    """{recording: (label, number, {window: [Fingerprint, ...]})}"""
    files = hfhadc_files()
    if len(files) < 12 * 40:
        pytest.skip("HFHAD-C recordings not available")
    out = {}
    for f in files:
        i, v, fs, cal, label = load_hfhadc(f)
        table = cp.analyze(i, v, fs=fs, calibration=cal, waveforms=True, harmonics=15)
        fps = {"full": [fingerprint(table=table)]}
        for name in ("2cyc", "10cyc"):
            fps[name] = [fingerprint(table=table[a:b]) for a, b in WINDOWS[name]]
        out[f.stem] = (label, int(f.stem[-2:]), fps)
    return out


def _split(data, lo, hi):
    return [k for k, (_, n, _) in data.items() if lo <= n <= hi]


def _library(data, keys, window="full", exclude=None, **kw):
    lib = FingerprintLibrary(**kw)
    for k in keys:
        label, _, fps = data[k]
        if label != exclude:
            for fp in fps[window]:
                lib.enroll(label, fp)
    return lib


def _accuracy(lib, data, keys, window="full", how="identify"):
    hits = []
    for k in keys:
        label, _, fps = data[k]
        for fp in fps[window]:
            got = lib.identify(fp).label if how == "identify" else lib.match(fp, k=1)[0].label
            hits.append(got == label)
    return float(np.mean(hits))


def _open_set(data, train, test, window="full"):
    labels = sorted({lab for lab, _, _ in data.values()})
    unknown, known = [], []
    for left_out in labels:
        lib = _library(data, train, window, exclude=left_out)
        u, kn = [], []
        for k in test:
            label, _, fps = data[k]
            for fp in fps[window]:
                got = lib.identify(fp).label
                (u if label == left_out else kn).append(got == ("unknown" if label == left_out else label))
        unknown.append(np.mean(u))
        known.append(np.mean(kn))
    return float(np.mean(unknown)), float(np.mean(known)), {lab: round(float(u), 3) for lab, u in zip(labels, unknown)}


@pytest.mark.parametrize("train,test", [((1, 20), (21, 40)), ((21, 40), (1, 20))])
def test_closed_set_accuracy(hfhadc, train, test):
    lib = _library(hfhadc, _split(hfhadc, *train))
    acc = _accuracy(lib, hfhadc, _split(hfhadc, *test))
    print(f"closed set identify accuracy {train}->{test}: {acc:.4f}")
    assert acc >= 0.99


def test_open_set(hfhadc):
    unknown, known, per = _open_set(hfhadc, _split(hfhadc, 1, 20), _split(hfhadc, 21, 40))
    print(f"open set: left-out -> unknown {unknown:.4f}, enrolled identified {known:.4f}; per label {per}")
    assert unknown >= 0.80
    assert known >= 0.95


def test_short_windows_against_full_enrolment(hfhadc):
    """2- and 10-cycle queries against whole-recording enrolment: the nearest label stays right."""
    lib = _library(hfhadc, _split(hfhadc, 1, 20))
    test = _split(hfhadc, 21, 40)
    for window in ("2cyc", "10cyc"):
        acc = _accuracy(lib, hfhadc, test, window, how="match")
        print(f"{window} match(k=1) accuracy vs full-window library: {acc:.4f}")
        assert acc >= 0.97


def test_short_windows_enrolled_alike(hfhadc):
    """Enrol windows as long as the queries: the radii then account for short-window noise."""
    train, test = _split(hfhadc, 1, 20), _split(hfhadc, 21, 40)
    for window in ("2cyc", "10cyc"):
        acc = _accuracy(_library(hfhadc, train, window), hfhadc, test, window)
        unknown, known, _ = _open_set(hfhadc, train, test, window)
        print(f"{window}: closed identify {acc:.4f}; open set unknown {unknown:.4f} known {known:.4f}")
        assert acc >= 0.97
        assert unknown >= 0.80 and known >= 0.95


def _macro_f1(y, p):
    f1 = []
    for lab in sorted(set(y)):
        tp = sum(a == lab and b == lab for a, b in zip(y, p))
        fp = sum(a != lab and b == lab for a, b in zip(y, p))
        fn = sum(a == lab and b != lab for a, b in zip(y, p))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1))


def test_leave_one_recording_out_beats_baseline_on_two_cycles(hfhadc):
    """The judged protocol: match(k=1), leave-one-recording-out, vs 1-NN on log-RMS + |I_2..15| (z-scored)."""
    keys = sorted(hfhadc)[::2]  # every other recording keeps the test quick (240 recordings)
    fps = [hfhadc[k][2]["2cyc"][0] for k in keys]
    y = [hfhadc[k][0] for k in keys]
    x = np.array([[np.log(f.i_rms)] + [f.features[f"h{h}_mag"] * f.i1_rms for h in range(2, 16)] for f in fps])
    base, ours = [], []
    idx = np.arange(len(fps))
    for q in idx:
        tr = idx != q
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-12
        z = (x - mu) / sd
        base.append(y[idx[tr][np.argmin(((z[tr] - z[q]) ** 2).sum(1))]])
        lib = FingerprintLibrary()
        for t in idx[tr]:
            lib.enroll(y[t], fps[t])
        ours.append(lib.match(fps[q], k=1)[0].label)
    f_base, f_ours = _macro_f1(y, base), _macro_f1(y, ours)
    print(f"LORO macro-F1 on 2-cycle windows: library {f_ours:.4f}, baseline 1-NN {f_base:.4f}")
    assert f_ours >= f_base
    assert f_ours >= 0.97


def test_classify_load_on_hfhadc(hfhadc):
    expect = {"kettle": "resistive", "water_heater": "resistive", "rice_cooker": "resistive",
              "water_dispenser": "resistive", "laptop": "rectifier", "desktop_pc": "rectifier",
              "refrigerator": "inductive"}
    for window in ("full", "2cyc"):
        counts = collections.defaultdict(collections.Counter)
        for label, _, fps in hfhadc.values():
            for fp in fps[window]:
                counts[label][classify_load(fp).kind] += 1
        for label, kind in expect.items():
            share = counts[label][kind] / sum(counts[label].values())
            print(f"{window} {label}: {share:.3f} {kind} {dict(counts[label])}")
            assert share >= 0.95, (label, dict(counts[label]))
        # no heating appliance hides among the others, and no other appliance is called resistive
        for label, c in counts.items():
            if label not in expect:
                assert c["resistive"] / sum(c.values()) < 0.05, (label, dict(c))


def test_save_load_identical_answers(hfhadc, tmp_path):
    lib = _library(hfhadc, _split(hfhadc, 1, 20))
    lib.save(tmp_path / "hfhadc.json")
    back = FingerprintLibrary.load(tmp_path / "hfhadc.json")
    for k in _split(hfhadc, 21, 40):
        for fp in hfhadc[k][2]["full"] + hfhadc[k][2]["2cyc"]:
            assert back.match(fp, k=3) == lib.match(fp, k=3)
            assert back.identify(fp) == lib.identify(fp)
    raw = (tmp_path / "hfhadc.json").read_bytes()
    (tmp_path / "bad.json").write_bytes(raw[:-100])
    with pytest.raises(cp.errors.CorruptFileError):
        FingerprintLibrary.load(tmp_path / "bad.json")


def test_tabanelli_switch_on_fingerprints():
    """Event fingerprints (after minus before) at 10 kHz.

    The moka pot is a heater; the laptop supply and the signal generator are
    full-wave rectifiers; the small chargers (power bank, phone, headphones)
    draw one narrow pulse per cycle in the positive half only (single-diode
    supplies, visible in the raw waveform), i.e. half-wave.
    """
    files = [f for f in tabanelli_files() if "Nothing" not in f.stem]
    if not files:
        pytest.skip("Tabanelli recordings not available")
    expect = {"ElectricMoka": "resistive", "Laptop": "rectifier", "WaveFormGenerator": "rectifier",
              "PowerBank": "half_wave", "SmartPhoneCharger": "half_wave", "HeadPhones": "half_wave"}
    for f in files:
        d = np.load(f)
        app = str(d["appliance"])
        if app not in expect:
            continue
        fs = float(d["fs"])
        table = cp.analyze(d["current"], d["voltage"], fs=fs, waveforms=True, harmonics=15)
        ev = int(d["event_samples"][0])
        pre = table[(table.start < ev - 0.1 * fs) & (table.start > ev - 2 * fs)]
        post = table[(table.start > ev + 1.0 * fs) & (table.start < ev + 1.5 * fs)]
        event = types.SimpleNamespace(
            pre=types.SimpleNamespace(i_wave=pre.i_wave.mean(0), v_wave=pre.v_wave.mean(0)),
            post=types.SimpleNamespace(i_wave=post.i_wave.mean(0), v_wave=post.v_wave.mean(0), n_cycles=len(post)),
            transient={})
        fp = fingerprint(event=event, fs=fs)
        got = classify_load(fp)
        assert got.kind == expect[app], (f.stem, got)


def test_voelkerb_switch_on_at_2khz():
    """Another country and rate (Germany, 2 kHz): fridge compressor, TV supply, kettle."""
    from conftest import data_path
    d = np.load(data_path("voelkerb", "switch_on.npz"))
    fs = float(d["fs"])
    expect = {"fridge": "inductive", "television": "rectifier", "kettle": "resistive"}
    for name, kind in expect.items():
        i, v = d[f"{name}_current"].astype(float), d[f"{name}_voltage"].astype(float)
        table = cp.analyze(i, v, fs=fs, waveforms=True, harmonics=15)
        pre, post = table[table.time < 0.45], table[table.time > 1.0]
        event = types.SimpleNamespace(
            pre=types.SimpleNamespace(i_wave=pre.i_wave.mean(0), v_wave=pre.v_wave.mean(0)),
            post=types.SimpleNamespace(i_wave=post.i_wave.mean(0), v_wave=post.v_wave.mean(0)), transient={})
        by_event = classify_load(fingerprint(event=event, fs=fs))
        steady = classify_load(fingerprint(i[int(fs):], v[int(fs):], fs=fs))  # the last 0.5 s, zero background
        assert by_event.kind == kind, (name, by_event)
        assert steady.kind == kind, (name, steady)
