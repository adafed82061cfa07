import numpy as np
import currentprint.detectors.events as E
W = 25
MIN = 6
orig = E.EventDetector._features
def feat(self, cycles):
    x = orig(self, cycles)
    tail = getattr(self, "_ftail", None)
    if tail is None:
        tail = np.empty((0, x.shape[1]))
    z = np.concatenate([tail, x])
    n0 = tail.shape[0]
    Z = z.shape[0]
    d1 = np.full(Z, np.nan); d2 = np.full(Z, np.nan)
    if Z > 1: d1[1:] = np.sum((z[1:] - z[:-1]) ** 2, axis=1)
    if Z > 2: d2[2:] = np.sum((z[2:] - z[:-2]) ** 2, axis=1)
    mode = np.zeros(x.shape[0], bool)
    for j in range(x.shape[0]):
        k = n0 + j          # decide cycle k from the differences up to k-1
        lo = max(2, k - W)
        if k - lo < MIN:
            continue
        m1 = np.median(d1[lo:k]); m2 = np.median(d2[lo:k])
        mode[j] = m2 < 0.1 * m1
    prev = z[n0 - 1:n0] if n0 else x[:1]
    xp = np.concatenate([prev, x[:-1]])
    y = np.where(mode[:, None], 0.5 * (x + xp), x)
    self._ftail = z[-(W + 2):].copy()
    self._pairmode = getattr(self, "_pairmode", 0) + int(mode.sum())
    return np.ascontiguousarray(y)
def install():
    E.EventDetector._features = feat
