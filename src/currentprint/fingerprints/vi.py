"""V–I trajectory descriptors and the binary V–I image.

The V–I trajectory of a load is the closed curve traced by (voltage,
current) over one mains cycle. Both channels are normalised by their peak
absolute value, as in Hassan et al. (2014), so the curve lives in the square
[-1, 1]^2 and its shape does not depend on the power drawn.

References
----------
* Lam, H. Y., Fung, G. S. K., Lee, W. K. (2007). "A novel method to construct
  taxonomy of electrical appliances based on load signatures." IEEE Trans.
  Consumer Electronics 53(2), 653-660. (area, asymmetry, looping direction,
  curvature of the mean line, self-intersection, slope of the middle
  segment, peak of the middle segment.)
* Hassan, T., Javed, F., Arshad, N. (2014). "An empirical investigation of
  V-I trajectory based load signatures for non-intrusive load monitoring."
  IEEE Trans. Smart Grid 5(2), 870-878. (peak normalisation, definitions
  used for the shape descriptors.)
* Wang, A. L., Chen, B. X., Wang, C. G., Hua, D. (2018). "Non-intrusive load
  monitoring algorithm based on features of V-I trajectory." Electric Power
  Systems Research 157, 134-144. (largest distance; binary V–I image.)
* Gao, J., Kara, E. C., Giri, S., Bergés, M. (2015). "A feasibility study of
  automated plug-load identification from high-frequency measurements."
  IEEE GlobalSIP. (the n×n binary V–I image.)

Where a paper leaves a detail open (which points form the "middle segment",
how the asymmetry distance is taken), the choice made here is stated in the
function docstring and in ``docs/fingerprints.md``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["VI_NAMES", "vi_descriptors", "vi_image", "MID_BAND"]

#: names of the trajectory descriptors, in the order :func:`vi_descriptors` returns them
VI_NAMES: tuple[str, ...] = ("vi_area", "vi_direction", "vi_asymmetry", "vi_curvature", "vi_intersections",
                             "vi_mid_slope", "vi_mid_peak", "vi_max_distance")

#: the "middle segment" is where the normalised voltage satisfies |v| <= MID_BAND
MID_BAND = 0.25

def normalise(v: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Voltage and current divided by their peak absolute values (Hassan et al. 2014)."""
    vmax = np.max(np.abs(v))
    imax = np.max(np.abs(i))
    vn = v / vmax if vmax > 0 else np.zeros_like(v)
    inn = i / imax if imax > 0 else np.zeros_like(i)
    return vn, inn


def vi_descriptors(vn: np.ndarray, inn: np.ndarray) -> np.ndarray:
    """Shape descriptors of a peak-normalised V–I trajectory.

    Parameters
    ----------
    vn, inn : numpy.ndarray, shape (m,)
        One mains cycle of normalised voltage and current, starting at the
        rising voltage zero, ``m`` even (uniform samples in time).

    Returns
    -------
    numpy.ndarray, shape (8,)
        In the order of :data:`VI_NAMES`:

        ``vi_area``
            Enclosed area |½ Σ (v_k i_{k+1} − v_{k+1} i_k)| (shoelace formula,
            Lam 2007 / Hassan 2014), dimensionless (0 for a resistor, π for
            a pure inductance or capacitance).
        ``vi_direction``
            Looping direction: sign of the signed area in the (v, i) plane,
            +1 counter-clockwise (current lags: inductive), −1 clockwise
            (current leads: capacitive), 0 for no area (Lam 2007).
        ``vi_asymmetry``
            RMS distance between each point and the point half a cycle later
            rotated by 180° (``p(t) + p(t + T/2)``): 0 for half-wave
            symmetric loads. A point-wise variant of Hassan's
            Hausdorff-distance asymmetry (cheaper, same zero set).
        ``vi_curvature``
            1 − |r|, r the correlation coefficient of the mean line's points
            (Lam 2007; mean line = average of the two points of the same
            voltage on the rising and falling branch); 0 for a straight line.
        ``vi_intersections``
            Number of self-intersections of the closed polyline (Lam 2007).
        ``vi_mid_slope``
            Least-squares slope di/dv of the mean line where |v| <= 0.25
            (the middle segment, Lam 2007 / Hassan 2014).
        ``vi_mid_peak``
            Largest |i| of the trajectory where |v| <= 0.25 (peak of the
            middle segment).
        ``vi_max_distance``
            Largest distance of a trajectory point from the origin (Wang
            et al. 2018), between 0 and √2.
    """
    m = vn.shape[0]
    h = m // 2
    vr = np.concatenate((vn[1:], vn[:1]))
    ir = np.concatenate((inn[1:], inn[:1]))
    signed = 0.5 * float((vn * ir - vr * inn).sum())
    area = abs(signed)
    direction = 0.0 if area < 1e-9 else (1.0 if signed > 0 else -1.0)
    # half-wave symmetry: p(t) = -p(t + T/2) for a symmetric load
    dv = vn[:h] + vn[h:]
    di = inn[:h] + inn[h:]
    asym = math.sqrt(float((dv * dv + di * di).sum()) / h)
    # mean line: with the cycle starting at the voltage zero, sample k and
    # sample h - k have (nearly) the same voltage on the two branches
    mirror = _mirror(m)
    mv = 0.5 * (vn + vn[mirror])
    mi = 0.5 * (inn + inn[mirror])
    sv = mv - mv.sum() / m
    si = mi - mi.sum() / m
    den = math.sqrt(float((sv * sv).sum()) * float((si * si).sum()))
    curvature = 1.0 - abs(float((sv * si).sum())) / den if den > 0 else 0.0
    mid = np.abs(mv) <= MID_BAND
    x = mv[mid]
    y = mi[mid]
    slope = 0.0
    if x.size >= 2:
        xc = x - x.sum() / x.size
        sxx = float((xc * xc).sum())
        if sxx > 0:
            slope = float((xc * y).sum()) / sxx
    midp = np.abs(vn) <= MID_BAND
    mid_peak = float(np.abs(inn[midp]).max()) if midp.any() else 0.0
    maxd = math.sqrt(float((vn * vn + inn * inn).max()))
    return np.array([area, direction, asym, curvature, float(_intersections(vn, inn, vr, ir)), slope, mid_peak,
                     maxd])


_mirror_cache: dict[int, np.ndarray] = {}


def _mirror(m: int) -> np.ndarray:
    got = _mirror_cache.get(m)
    if got is None:
        got = (m // 2 - np.arange(m)) % m
        _mirror_cache[m] = got
    return got


def _intersections(vn: np.ndarray, inn: np.ndarray, vr: np.ndarray | None = None,
                   ir: np.ndarray | None = None) -> int:
    """Proper crossings between non-adjacent segments of the closed polyline.

    Segment a runs from P_a to P_{a+1}. With C[a, j] = cross(d_a, P_j - P_a),
    segments a and b cross when P_b and P_{b+1} lie on opposite sides of a
    (C[a, b] C[a, b+1] < 0) and vice versa.
    """
    m = vn.shape[0]
    x1 = np.roll(vn, -1) if vr is None else vr
    y1 = np.roll(inn, -1) if ir is None else ir
    dx = x1 - vn
    dy = y1 - inn
    c = dx[:, None] * (inn[None, :] - inn[:, None]) - dy[:, None] * (vn[None, :] - vn[:, None])
    e = c[:, :-1] * c[:, 1:]
    side = np.empty((m, m), dtype=bool)
    side[:, :-1] = e < 0
    side[:, -1] = c[:, -1] * c[:, 0] < 0
    both = side & side.T
    return int(np.count_nonzero(both[_upper_mask(m)]))


_upper_cache: dict[int, np.ndarray] = {}


def _upper_mask(m: int) -> np.ndarray:
    """Pairs a < b of non-adjacent segments of a closed polyline of m points."""
    got = _upper_cache.get(m)
    if got is None:
        got = np.triu(np.ones((m, m), dtype=bool), k=2)
        got[0, m - 1] = False  # first and last segments share a point
        _upper_cache[m] = got
    return got


def vi_image(vn: np.ndarray, inn: np.ndarray, n: int = 32) -> np.ndarray:
    """Binary n×n image of a normalised V–I trajectory (Gao et al. 2015).

    The trajectory is linearly interpolated (at least 4 points per pixel
    along each segment) and every pixel it passes through is set. Row 0 is
    the largest current (image orientation), column 0 the most negative
    voltage.

    Returns
    -------
    numpy.ndarray of bool, shape (n, n)

    Examples
    --------
    A resistive load's current follows its voltage: the trajectory is the
    rising diagonal (a reactive load would draw an ellipse).

    >>> import numpy as np
    >>> theta = 2 * np.pi * np.arange(128) / 128
    >>> vn, inn = normalise(325.0 * np.sin(theta), 10.0 * np.sin(theta))
    >>> print(vi_image(vn, inn, n=8).astype(int))
    [[0 0 0 0 0 0 0 1]
     [0 0 0 0 0 0 1 0]
     [0 0 0 0 0 1 0 0]
     [0 0 0 0 1 0 0 0]
     [0 0 0 1 1 0 0 0]
     [0 0 1 0 0 0 0 0]
     [0 1 0 0 0 0 0 0]
     [1 0 0 0 0 0 0 0]]
    """
    n = int(n)
    if n < 2:
        raise ValueError(f"vi_image needs n >= 2 pixels, got {n}")
    m = vn.shape[0]
    steps = max(2, int(np.ceil(4 * n / m)) * 2)
    t = np.arange(m * steps) / steps
    vv = np.interp(t, np.arange(m + 1), np.append(vn, vn[0]))
    ii = np.interp(t, np.arange(m + 1), np.append(inn, inn[0]))
    col = np.clip(np.floor((vv + 1.0) * 0.5 * n), 0, n - 1).astype(np.intp)
    row = np.clip(np.floor((1.0 - ii) * 0.5 * n), 0, n - 1).astype(np.intp)
    img = np.zeros((n, n), dtype=bool)
    img[row, col] = True
    return img
