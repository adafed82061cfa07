import sys, runpy
sys.path.insert(0, "/work/i12/scratch")
import ev3
if "pair" in sys.argv: ev3.install()
sys.argv = ["eval_events.py", "--quick"]
runpy.run_path("benchmarks/eval_events.py", run_name="__main__")
