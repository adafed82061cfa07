"""Size of a Monitor state file after a long run with every built-in detector.

    python benchmarks/state_size.py [MINUTES]     (default 60)

A minute of synthetic signal (6.4 kHz, 230 V 50 Hz; a PC supply, a kettle and
a fridge switched 12 times at random, seed 7) is pushed MINUTES times in
0.2 s chunks into a Monitor with events, arc_fault, resistive_load,
phase_chopper and overload; the state is then saved and loaded back. The
size stays bounded: every detector keeps a bounded history, and the cycles
several detectors hold alike are stored once (issue 14, item 9: <= 200 kB).
"""

import os
import sys
import tempfile
import time

import currentprint as cp
from currentprint.synth import Motor, Rectifier, Resistive

minutes = int(sys.argv[1]) if len(sys.argv) > 1 else 60
sig = cp.synth.synth_signal(60.0, 6400.0, loads={"pc": Rectifier(120.0), "kettle": Resistive(2000.0),
                                                 "fridge": Motor(150.0, pf=0.75)}, n_events=12, seed=7)
mon = cp.Monitor(sig.fs, detectors=["events", "arc_fault", "resistive_load", "phase_chopper", "overload"])
t = time.perf_counter()
for _ in range(minutes):
    mon.run(sig.current, sig.voltage, chunk=1280)
run_s = time.perf_counter() - t
path = os.path.join(tempfile.mkdtemp(), "monitor.json")
mon.save(path)
t = time.perf_counter()
cp.Monitor.load(path)
print(f"{minutes} min of signal ({run_s:.1f} s to run): state file {os.path.getsize(path) / 1000:.1f} kB, "
      f"loaded in {time.perf_counter() - t:.2f} s")
