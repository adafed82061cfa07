"""A third-party currentprint detector, installed separately (used by tests/test_plugin_entrypoint.py).

It implements ``__init__`` and ``update`` only, as the plugin contract allows.
"""

import currentprint as cp


class EBikeChargerDetector(cp.BaseDetector):
    """Alert when a distorted (rectifier-like) load of charger size runs for ``min_duration_s``.

    Parameters
    ----------
    min_power_w, max_power_w : float
        Active power band of a charger, W.
    min_thd : float
        Current THD above which the load looks like a capacitor-input rectifier.
    min_duration_s : float
        How long the condition must hold, s.
    """

    name = "ebike_charger"

    def __init__(self, min_power_w=60.0, max_power_w=400.0, min_thd=0.5, min_duration_s=2.0):
        self.min_power_w = min_power_w
        self.max_power_w = max_power_w
        self.min_thd = min_thd
        self.min_duration_s = min_duration_s
        self._since = None
        self._alerted = False

    def update(self, cycles):
        alerts = []
        ok = (cycles.p >= self.min_power_w) & (cycles.p <= self.max_power_w) & (cycles.thd >= self.min_thd)
        for start, hit in zip(cycles.start.tolist(), ok.tolist()):
            if not hit:
                self._since, self._alerted = None, False
                continue
            if self._since is None:
                self._since = start
            if not self._alerted and start - self._since >= self.min_duration_s * cycles.fs:
                self._alerted = True
                alerts.append(cp.Alert(kind="ebike_charger", sample=int(start),
                                       detail={"since_sample": int(self._since)},
                                       explanation="charger-like load running"))
        return alerts
