"""Regenerate the seed corpus of the fuzz targets (run after a file format change).

    python tests/fuzz/make_corpus.py
"""

from __future__ import annotations

import io
import json
import os
import struct
import wave

import numpy as np

import currentprint as cp

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target: str, name: str, data: bytes) -> None:
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    with open(os.path.join(HERE, target, name), "wb") as fh:
        fh.write(data)


def main() -> None:
    sig = cp.synth.example(schedule=[(1.0, "pc", "on"), (2.0, "kettle", "on")], duration_s=3.0)
    import tempfile
    tmp = os.path.join(tempfile.mkdtemp(), "state.json")
    # monitor states: small (one detector) and every built-in detector, cut mid-cycle
    for name, dets, n in (("overload", ["overload"], 6400), ("arc", ["arc_fault"], 6430),
                          ("all", ["events", "arc_fault", "resistive_load", "phase_chopper", "overload"], 12850),
                          ("fresh", ["events"], 0)):
        mon = cp.Monitor(sig.fs, detectors=dets)
        mon.run(sig.current[:n], sig.voltage[:n], chunk=640)
        mon.save(tmp)
        with open(tmp, "rb") as fh:
            put("monitor_load", f"{name}.json", fh.read())
    # a library of the example's switch-on events
    lib = cp.FingerprintLibrary()
    full = cp.synth.example()
    for ev in cp.detect_events(full.current, full.voltage, fs=full.fs):
        if ev.kind == "on":
            lib.enroll(f"load{ev.sample}", cp.fingerprint(event=ev), meta={"room": "kitchen"})
    lib.save(tmp)
    with open(tmp, "rb") as fh:
        put("library_load", "example.json", fh.read())
    os.remove(tmp)
    # recordings: first byte picks the type (0 npz, 1 wav, 2 csv)
    i16 = np.round(sig.current[:1280] * 100).astype(np.int16)
    v16 = np.round(sig.voltage[:1280] * 10).astype(np.int16)
    buf = io.BytesIO()
    np.savez(buf, current=i16, voltage=v16, fs=6400.0, current_scale=0.01, voltage_scale=0.1)
    put("load_recording", "small.npz", b"\0" + buf.getvalue())
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(6400)
        w.writeframes(np.stack([i16, v16], axis=1).tobytes())
    put("load_recording", "small.wav", b"\1" + buf.getvalue())
    rows = "\n".join(f"{k / 6400:.6f},{a:.4f},{b:.3f}" for k, (a, b) in
                     enumerate(zip(sig.current[:640], sig.voltage[:640])))
    put("load_recording", "small.csv", b"\2" + ("time,current,voltage\n" + rows + "\n").encode())
    # analyser: header (fs, dtype, voltage, chunk) + samples
    put("analyzer_push", "f64.bin", bytes([1, 0, 1, 20]) + sig.current[:1280].tobytes() + sig.voltage[:1280].tobytes())
    put("analyzer_push", "i16.bin", bytes([1, 2, 1, 3]) + i16.tobytes() + v16.tobytes())
    put("analyzer_push", "i16_nov.bin", bytes([1, 2, 0, 90]) + i16.tobytes() + v16.tobytes())
    put("analyzer_push", "f32.bin", bytes([2, 1, 1, 1]) + sig.current[:800].astype(np.float32).tobytes() * 2)
    # a WAV whose rate field is hostile, and one whose fmt chunk runs past the end
    hdr = b"RIFF" + struct.pack("<I", 36 + 8) + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 0xFFFFEC00,
                                                                              0, 4, 16)
    put("load_recording", "hostile_rate.wav", b"\1" + hdr + b"data" + struct.pack("<I", 8) + b"\0" * 8)
    put("load_recording", "short_fmt.wav", b"\1" + b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0")
    json.dumps({})


if __name__ == "__main__":
    main()
