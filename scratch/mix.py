"""Scratch phase-aligned mixer (prototype only; the lead's circuits.py replaces it)."""
import numpy as np, glob, os
D = "/work/shared/data/hfhadc"
LABELS = ["refrigerator","desktop_pc","tv","range_hood","washing_machine","water_heater","kettle",
          "induction_cooker","rice_cooker","air_conditioner","laptop","water_dispenser"]
HEATERS = ["kettle","water_heater","rice_cooker","water_dispenser"]
_cache = {}
def load(label, n):
    k = (label, n)
    if k not in _cache:
        d = np.load(f"{D}/{label}_{n:02d}.npz")
        i = d["current"].astype(float) * float(d["current_scale"])
        v = d["voltage"].astype(float) * float(d["voltage_scale"])
        _cache[k] = (i, v)
    return _cache[k]

def zc(v):
    """mean fractional position of rising zeros modulo 128 (sub-sample)"""
    s = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    fr = s + (-v[s]) / (v[s + 1] - v[s])
    ph = np.angle(np.mean(np.exp(2j * np.pi * fr / 128.0)))
    return (ph / (2 * np.pi) * 128.0) % 128.0

def _shift(x, d):
    n = len(x); k = np.fft.rfftfreq(n) 
    return np.fft.irfft(np.fft.rfft(x) * np.exp(2j * np.pi * k * d), n=n)
def phase_shift(i, v):
    """shift so that voltage rising zeros fall on sample 0 mod 128"""
    z = zc(v)
    return _shift(i, z), _shift(v, z)

from scipy.interpolate import CubicSpline
def phase_of(v):
    s = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    fr = s + (-v[s]) / (v[s + 1] - v[s])
    t = np.arange(len(v))
    return np.interp(t, fr, np.arange(len(fr)), left=np.nan, right=np.nan), fr
def align_to(base_v, ia, va):
    """current of recording a at base's voltage phase, cycle for cycle"""
    pb, _ = phase_of(base_v)
    pa, fra = phase_of(va)
    # time in a at which a's phase equals base's phase (cycle offset 0)
    ta = np.interp(pb, np.arange(len(fra)), fra)
    ok = np.isfinite(pb) & (pb <= len(fra) - 1)
    out = np.zeros(len(base_v)); outv = np.zeros(len(base_v))
    cs = CubicSpline(np.arange(len(ia)), ia); cv = CubicSpline(np.arange(len(va)), va)
    out[ok] = cs(ta[ok]); outv[ok] = cv(ta[ok])
    return out, outv, ok
def mix(base, add, t_on=1.5, t_off=None, heater=False, fs=6400):
    ib, vb = load(*base)
    ia, va, ok = align_to(vb, *load(*add))
    a0, a1 = np.flatnonzero(ok)[[0, -1]]
    ib, vb, ia, va = ib[a0:a1], vb[a0:a1], ia[a0:a1], va[a0:a1]
    n = len(ib)
    if heater:
        g = np.dot(ia, va) / np.dot(va, va)
        ia = g * vb + (ia - g * va)
    m = np.zeros(n)
    k0 = int(t_on * fs)
    k1 = n if t_off is None else int(t_off * fs)
    m[k0:k1] = 1
    return ib + m * ia, vb, k0
