import numpy as np, currentprint as cp
class PairED(cp.EventDetector):
    _prev = None
    def _features(self, cycles):
        x = super()._features(cycles)
        prev = x[:1] if self._prev is None else self._prev
        y = 0.5 * (x + np.concatenate([prev, x[:-1]]))
        self._prev = x[-1:].copy()
        return np.ascontiguousarray(y)
