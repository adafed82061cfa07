import numpy as np, currentprint as cp, glob
# 230 V nominal: ~0.056 V per voltage count; the current scale is unknown: use counts as relative (calibrated=False)
for f in sorted(glob.glob("../shared/data/tabanelli/*.npz")):
    d = np.load(f)
    mon = cp.Monitor(fs=float(d["fs"]), detectors=[cp.ResistiveLoadDetector(calibrated=False, min_power_w=1e4)])
    al = mon.run(d["current"], d["voltage"], chunk=2000) + mon.flush()
    print(f.split("/")[-1], [(a.sample, round(a.detail["features"]["inrush"], 4), round(a.detail["power_w"])) for a in al])
