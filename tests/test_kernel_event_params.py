"""Event-scan kernel == reference with every threshold drawn.

``test_events.py`` compares the compiled scan with its reference at the
default thresholds; a changed comparison against a threshold the defaults
never approach (onset, step, gradual, steadiness, timeout, CUSUM drift,
noise memory, relative floor) would pass there. Here every parameter is
drawn over the range where it decides, on features with abrupt steps,
ramps (gradual changes), spikes, slow transients and NaN cycles, in any
chunking, with and without the final flush.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from currentprint import _core
from currentprint.detectors import _events_reference as ref
from currentprint.detectors.events import EventDetector


def _features(rng, n: int, d: int) -> np.ndarray:
    x = np.empty((n, d))
    cur = rng.normal(0, 1, d)
    noise = float(rng.choice([0.003, 0.01, 0.05]))
    ramp_left, ramp_step = 0, np.zeros(d)
    for c in range(n):
        u = rng.random()
        if u < 0.03:                                   # abrupt step, small to large
            cur = cur + rng.normal(0, float(rng.choice([0.02, 0.2, 2.0])), d)
        elif u < 0.05 and ramp_left == 0:              # a ramp over 5..40 cycles
            ramp_left = int(rng.integers(5, 40))
            ramp_step = rng.normal(0, float(rng.choice([0.005, 0.05])), d)
        if ramp_left:
            cur = cur + ramp_step
            ramp_left -= 1
        x[c] = cur + rng.normal(0, noise, d)
        if rng.random() < 0.02:                        # spike
            x[c] += rng.normal(0, 1.0, d)
        if rng.random() < 0.01:                        # a cycle without a value
            x[c, int(rng.integers(0, d))] = np.nan
    return x


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 220), d=st.integers(1, 5),
       method=st.sampled_from(["steady", "cusum", "glr"]), window=st.integers(2, 14), settle=st.integers(2, 8),
       max_transient=st.integers(1, 60), threshold=st.floats(1.0, 400.0), onset=st.floats(5.0, 2000.0),
       step=st.floats(1.0, 300.0), gradual=st.floats(1.0, 400.0), steadiness=st.floats(0.5, 20.0),
       rel_floor=st.sampled_from([0.0, 0.001, 0.02]), drift=st.floats(0.5, 8.0), memory=st.integers(1, 80),
       chunks=st.lists(st.integers(1, 50), min_size=1, max_size=5), flush=st.booleans())
def test_event_scan_equals_reference_over_its_parameters(seed, n, d, method, window, settle, max_transient,
                                                          threshold, onset, step, gradual, steadiness, rel_floor,
                                                          drift, memory, chunks, flush):
    x = _features(np.random.default_rng(seed), n, d)
    det = EventDetector(method=method, window=window, settle=settle, max_transient=max_transient,
                        threshold=threshold, onset_threshold=onset, step_threshold=step,
                        gradual_threshold=gradual, steadiness=steadiness, rel_floor=rel_floor, cusum_drift=drift,
                        noise_memory=memory)
    prm = det._params.copy()
    prm[1] = d
    size = _core.event_state_size(d, window, settle)
    s_k, s_r = np.zeros(size), np.zeros(size)
    out_k, out_r = np.zeros((n + 1, _core.EVENT_FIELDS)), np.zeros((n + 1, ref.EO_NFIELD))
    nk = _core.event_scan(np.ascontiguousarray(x), prm, s_k, out_k, flush)
    nr = ref.event_scan(x, prm, s_r, out_r, flush)
    assert nk == nr >= 0
    np.testing.assert_array_equal(out_k[:nk], out_r[:nr])
    np.testing.assert_array_equal(s_k, s_r)
    # any chunking: the same records and state
    s_c = np.zeros(size)
    recs, pos, k = [], 0, 0
    while pos < n:
        part = np.ascontiguousarray(x[pos:pos + chunks[k % len(chunks)]])
        o = np.zeros((len(part), _core.EVENT_FIELDS))
        recs.append(o[:_core.event_scan(part, prm, s_c, o)])
        pos += len(part)
        k += 1
    if flush:
        o = np.zeros((1, _core.EVENT_FIELDS))
        recs.append(o[:_core.event_scan(np.zeros((0, d)), prm, s_c, o, True)])
    np.testing.assert_array_equal(np.concatenate(recs) if recs else np.zeros((0, _core.EVENT_FIELDS)), out_k[:nk])
    np.testing.assert_array_equal(s_c, s_k)
