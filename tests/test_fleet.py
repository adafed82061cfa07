"""currentprint.fleet: archive replay on Dask equals a plain Monitor loop; faults; resumption; bad archives.

Needs the ``fleet`` extra (dask[distributed], pyarrow, fsspec); the parts that
use it skip cleanly without it. The archives are small (a few terminals,
about two minutes each) so that the whole module runs in well under a minute;
``benchmarks/bench_fleet.py`` runs the full-size case.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import currentprint as cp
from currentprint.errors import CorruptFileError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::pytest.PytestUnraisableExceptionWarning")

GAP_TOL = 1.0


def _need_extra():
    pytest.importorskip("pyarrow")
    pytest.importorskip("fsspec")


def _need_dask():
    _need_extra()
    pytest.importorskip("distributed")


# -- terminal.json and names: no extra needed ----------------------------------------

def test_parse_start_names():
    from currentprint.fleet import format_start, parse_start
    t = parse_start("20260105T080000.25Z")
    assert t == _dt.datetime(2026, 1, 5, 8, 0, 0, 250000, tzinfo=_dt.timezone.utc)
    assert parse_start("2026-01-05T08-00-00Z") == t.replace(microsecond=0)
    assert parse_start(format_start(t)) == t
    for bad in ("20260105T080000", "2026015T080000Z", "20261305T080000Z", "kettle", "20260105T250000Z"):
        with pytest.raises(cp.errors.InputError):
            parse_start(bad)


def test_rows_table_equals_from_pylist():
    # the tables are built from JSON lines (no pandas import in the workers): the same values,
    # exactly, as pyarrow's own conversion, for every table's columns
    _need_extra()
    import pyarrow as pa
    import pyarrow.parquet  # noqa: F401
    from hypothesis import given, settings, strategies as st

    from currentprint.fleet._replay import rows_table, schemas
    finite = st.floats(allow_nan=False, allow_infinity=False)
    times = st.datetimes(min_value=_dt.datetime(1970, 1, 1), max_value=_dt.datetime(2200, 1, 1),
                         timezones=st.sampled_from([_dt.timezone.utc, _dt.timezone(_dt.timedelta(hours=-5))]))
    value = {pa.float64(): st.one_of(st.none(), finite, st.sampled_from([5e-324, -0.0, 1e308, 0.1])),
             pa.int32(): st.one_of(st.none(), st.integers(-2**31, 2**31 - 1)),
             pa.int64(): st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)),
             pa.string(): st.one_of(st.none(), st.text(st.characters(exclude_categories=["Cs"]), max_size=20)),
             pa.bool_(): st.one_of(st.none(), st.booleans())}

    def rows_of(schema):
        cols = {f.name: times if pa.types.is_timestamp(f.type) else value[f.type] for f in schema}
        return st.lists(st.fixed_dictionaries(cols), max_size=5)

    for name, schema in schemas().items():
        @settings(max_examples=25, deadline=None)
        @given(rows=rows_of(schema))
        def check(rows):
            assert rows_table(rows, schema).equals(pa.Table.from_pylist(rows, schema=schema))
        check()
    # what JSON cannot hold goes through pyarrow's own conversion
    schema = schemas()["minutes"]
    odd = [{"segment": np.int32(1), "p_max": float("inf"), "minute": _dt.datetime(2026, 1, 1)}]
    assert rows_table(odd, schema).equals(pa.Table.from_pylist(odd, schema=schema))
    # ... and the usual rows take the JSON path: a fresh process writing them imports no pandas
    code = """if True:
        import datetime as dt, sys
        from currentprint.fleet._replay import get_fs, write_partition
        t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        row = {"segment": 0, "part": 0, "time": t, "file": "f", "sample": 7, "change": "on", "delta_p": 1.5,
               "delta_q": None, "label": None, "confidence": None, "detector": "events", "detail": "{}",
               "explanation": "x"}
        write_partition(*get_fs(sys.argv[1]), "events", "T1", "s0", [row])
        write_partition(*get_fs(sys.argv[1]), "errors", "T1", "s0", [])
        assert "pandas" not in sys.modules
    """
    with __import__("tempfile").TemporaryDirectory() as d:
        proc = subprocess.run([sys.executable, "-c", code, d], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert pa.parquet.read_table(Path(d) / "events" / "terminal=T1" / "s0.parquet").num_rows == 1


def test_terminal_json_is_data_only_and_checked():
    from currentprint.fleet import parse_terminal_config
    ok = {"fs": 6400, "mains_hz": 50, "calibration": {"current_scale": 0.001, "voltage_scale": 0.01},
          "detectors": {"arc_fault": {"sensitivity": "high"}, "events": {}}, "library": "lib.json"}
    cfg = parse_terminal_config(json.dumps(ok))
    assert cfg.fs == 6400.0 and cfg.detectors["arc_fault"] == {"sensitivity": "high"} and cfg.library == "lib.json"
    assert parse_terminal_config(json.dumps({"fs": 6400, "detectors": ["events"]})).detectors == {"events": {}}
    bad = [
        b"\xff\xfe not json",
        "[1, 2]",
        json.dumps({"mains_hz": 50}),                                          # no fs
        json.dumps({"fs": "6400"}),                                            # string number
        json.dumps({"fs": 1e12}),                                              # out of range
        json.dumps({"fs": 6400, "mains_hz": 400}),
        json.dumps({"fs": 6400, "harmonics": 2.5}),
        json.dumps({"fs": 6400, "calibration": {"current_scale": -1.0}}),
        json.dumps({"fs": 6400, "calibration": {"gain": 2.0}}),
        json.dumps({"fs": 6400, "detectors": {"os:system": {}}}),             # not a registered name
        json.dumps({"fs": 6400, "detectors": {"arc_fault": {"__class__": "x"}}}),
        json.dumps({"fs": 6400, "detectors": {"arc_fault": {"sensitivity": {"a": 1}}}}),
        json.dumps({"fs": 6400, "detectors": {"overload": {"rated_current_a": -5}}}),
        json.dumps({"fs": 6400, "library": "../../etc/passwd"}),
        json.dumps({"fs": 6400, "schema": "something.else"}),
        json.dumps({"fs": 6400, "version": 99}),
        json.dumps({"fs": 6400, "python": "import os"}),                        # unknown field
        '{"fs": NaN}',
    ]
    for raw in bad:
        with pytest.raises(CorruptFileError):
            parse_terminal_config(raw)


def test_plan_cuts_at_gaps_and_long_stretches():
    from currentprint.fleet._archive import FileEntry, plan_pieces
    t0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    sec = _dt.timedelta(seconds=1)
    files = [FileEntry("T", f"f{k}", t0 + s * sec, 6400 * 10, 6400.0)
             for k, s in enumerate([0, 10, 20.5, 30.5, 100, 110])]     # 20.5: within tolerance; 100: a gap
    pieces = plan_pieces("T", files[::-1], gap_tolerance_s=GAP_TOL, max_piece_s=25.0)
    assert [(p.segment, p.part, [f.file for f in p.files]) for p in pieces] == [
        (0, 0, ["f0", "f1"]), (0, 1, ["f2", "f3"]), (1, 0, ["f4", "f5"])]
    assert pieces[0].n_parts == 2 and pieces[2].n_parts == 1


# -- a small demo archive, and what a plain loop of Monitors says about it -------------------

@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    _need_extra()
    from currentprint import fleet
    root = tmp_path_factory.mktemp("fleet") / "archive"
    fleet.write_demo(root, terminals=6, hours=0.025, file_s=25.0, seed=7, heaters=2, arcs=1)
    return root


def _plain_loop(archive: Path, terminals=None) -> list[tuple]:
    """The judged reference: per terminal, files in time order through one Monitor, new one at a gap."""
    import pyarrow.parquet as pq
    manifest = pq.read_table(archive / "manifest.parquet").to_pylist()
    rows = []
    for terminal in sorted({r["terminal"] for r in manifest}):
        if terminals is not None and terminal not in terminals:
            continue
        cfg = json.loads((archive / terminal / "terminal.json").read_text())
        cal = cp.Calibration(**cfg["calibration"])
        files = sorted((r for r in manifest if r["terminal"] == terminal), key=lambda r: r["start"])
        mon, origin, end = None, None, None

        def emit(alerts):
            for a in alerts:
                t = origin + _dt.timedelta(microseconds=round(a.sample * 1e6 / cfg["fs"]))
                d = a.to_dict()
                rows.append((terminal, t, a.sample, a.kind, a.detector,
                             json.dumps(d["detail"], separators=(",", ":"), sort_keys=True), a.explanation))

        for r in files:
            rec = cp.io.load_recording(archive / terminal / r["file"])
            if mon is None or abs((r["start"] - end).total_seconds()) > GAP_TOL:
                if mon is not None:
                    emit(mon.flush())
                mon = cp.Monitor(fs=cfg["fs"], mains_hz=cfg["mains_hz"], calibration=cal,
                                 detectors=list(cfg["detectors"]))
                origin = r["start"]
            emit(mon.run(rec.current, rec.voltage))
            end = r["start"] + _dt.timedelta(seconds=rec.current.shape[0] / cfg["fs"])
        emit(mon.flush())
    return rows


def _fleet_rows(out: Path, terminals=None) -> list[tuple]:
    from currentprint import fleet
    rows = []
    for name in ("alerts", "events"):
        t = fleet.read_table(out, name).to_pylist()
        for r in t:
            if terminals is not None and r["terminal"] not in terminals:
                continue
            kind = r["kind"] if name == "alerts" else "event"
            rows.append((r["terminal"], r["time"], r["sample"], kind, r["detector"], r["detail"],
                         r["explanation"]))
    return rows


def _same(a: list[tuple], b: list[tuple]) -> None:
    key = lambda r: (r[0], r[1], r[2], r[4], r[3])  # noqa: E731
    a, b = sorted(a, key=key), sorted(b, key=key)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x[0] == y[0] and x[2:] == y[2:]
        assert abs((x[1] - y[1]).total_seconds()) <= 2e-6      # µs rounding of the UTC time


def _subset(archive: Path, dst: Path, terminals) -> Path:
    """A copy of some terminals of the archive (the manifest's other rows are never looked at)."""
    dst.mkdir()
    shutil.copy(archive / "manifest.parquet", dst / "manifest.parquet")
    for t in terminals:
        shutil.copytree(archive / t, dst / t)
    return dst


def _tables(out: Path) -> dict:
    from currentprint import fleet
    return {n: fleet.read_table(out, n) for n in ("alerts", "events", "minutes", "ledger", "errors")}


@pytest.fixture(scope="module")
def reference(archive, tmp_path_factory) -> Path:
    """The same archive replayed by ``run_sequential`` (no Dask), one file per piece."""
    from currentprint import fleet
    out = tmp_path_factory.mktemp("fleet") / "seq"
    rep = fleet.run_sequential(archive, out, max_piece_s=30.0)
    assert rep.failed == 0 and rep.errors == 0 and rep.replayed == rep.pieces > 6
    return out


@pytest.fixture(scope="module")
def client():
    _need_dask()
    from distributed import Client

    from currentprint import fleet
    # the cluster fleet.run starts itself; its dashboard on a free port (8787 may be taken on a shared machine)
    cluster = fleet.local_cluster(2, dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def plain(archive) -> list[tuple]:
    return _plain_loop(archive)


def _worker_settings():
    import dask
    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get("distributed.worker.profile.enabled"),
            dask.config.get("distributed.admin.tick.interval"))


def test_local_cluster_worker_settings(client):
    # glibc's own malloc tuning (Dask's MALLOC_TRIM_THRESHOLD_ costs up to +60 % CPU on a replay),
    # no statistical profiler, a slow event-loop health check: what local_cluster promises
    got = client.run(_worker_settings)
    assert len(got) == 2 and all(v == (None, False, "1s") for v in got.values()), got


def test_docs_worker_configuration_is_local_clusters():
    """The configuration docs/fleet.md gives for `dask worker` holds local_cluster's settings."""
    _need_dask()
    import re

    import yaml

    from currentprint.fleet._run import CLUSTER_CONFIG
    text = (Path(__file__).resolve().parents[1] / "docs" / "fleet.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) == 1
    cfg = yaml.safe_load(blocks[0])
    for key, want in CLUSTER_CONFIG.items():
        node = cfg
        for part in key.split("."):
            node = node[part]
        assert node == want, key


def test_sequential_equals_plain_monitor_loop(plain, reference):
    kinds = {r[3] for r in plain}
    assert {"event", "resistive_load", "arc_fault"} <= kinds, kinds     # the demo exercises the detectors
    _same(_fleet_rows(reference), plain)


def test_minutes_cover_every_cycle(archive, reference):
    import pyarrow.parquet as pq
    from currentprint import fleet
    minutes = fleet.read_table(reference, "minutes").to_pandas()
    manifest = pq.read_table(archive / "manifest.parquet").to_pandas()
    # about one cycle per 1/mains_hz of recording; a split cycle at each stretch's ends
    for terminal, m in minutes.groupby("terminal"):
        cfg = json.loads((archive / terminal / "terminal.json").read_text())
        seconds = manifest.loc[manifest.terminal == terminal, "duration_s"].sum()
        assert abs(m.cycles.sum() - seconds * cfg["mains_hz"]) <= 2 * m.segment.nunique()
        assert not m.duplicated(["segment", "minute"]).any()
        assert (m.i_max >= m.i_mean).all() and (m.p_max >= m.p_mean).all()
        assert m.minute.is_monotonic_increasing


def test_dask_run_equals_sequential_and_plain_loop(archive, reference, plain, client, tmp_path):
    from currentprint import fleet
    out = tmp_path / "dask"
    rep = fleet.run(archive, out, client=client, max_piece_s=60.0)       # other pieces than the reference
    assert rep.failed == 0 and rep.replayed == rep.pieces and rep.skipped == 0
    assert len(rep.replayed_terminals) == 6
    got, want = _tables(out), _tables(reference)
    for name in ("alerts", "events", "errors"):
        assert got[name].drop_columns(["part"]).equals(want[name].drop_columns(["part"])), name
    assert got["minutes"].drop_columns(["part"]).equals(want["minutes"].drop_columns(["part"]))
    _same(_fleet_rows(out), plain)
    # a second run finds everything complete
    again = fleet.run(archive, out, client=client, max_piece_s=60.0)
    assert again.replayed == 0 and again.skipped == rep.pieces


class _NotStarted(Exception):
    pass


@pytest.mark.parametrize("workers, processes, cpus, want", [
    (1, None, 2, None), (2, None, 1, None), (1, True, 2, True), (2, False, 2, False),
    (None, None, 1, None), (None, None, 4, None), (None, True, 1, True)])
def test_run_chooses_thread_or_process_workers(archive, tmp_path, monkeypatch, workers, processes, cpus, want):
    """fleet.run hands its worker choice to local_cluster (whose None is tested below), sized to the machine."""
    _need_dask()
    from currentprint.fleet import _run
    asked = []

    def spy(n, *, processes):
        asked.append((n, processes))
        raise _NotStarted
    monkeypatch.setattr(_run, "local_cluster", spy)
    monkeypatch.setattr(_run.os, "cpu_count", lambda: cpus)
    with pytest.raises(_NotStarted):
        _run.run(archive, tmp_path / "o", workers=workers, processes=processes)
    assert asked == [(workers or cpus, want)]


def test_processes_only_for_own_cluster(archive, tmp_path):
    _need_dask()
    from currentprint import fleet
    from currentprint.errors import InputError
    for processes in (True, False):
        with pytest.raises(InputError, match="leave it None"):
            fleet.run(archive, tmp_path / "o", client="tcp://127.0.0.1:1", processes=processes)
    assert not (tmp_path / "o").exists()        # refused before anything was written or connected


def test_one_worker_is_a_thread_of_this_process(archive, reference, plain, tmp_path, monkeypatch):
    """fleet.run(workers=1): an in-process worker with local_cluster's settings; the same tables."""
    _need_dask()
    from distributed import Nanny, Worker

    from currentprint import fleet
    from currentprint.fleet import _run
    started = []
    real = _run.local_cluster

    def spy(*args, **kwargs):
        cluster = real(*args, **kwargs)
        started.append((cluster, list(cluster.workers.values())))
        return cluster
    monkeypatch.setattr(_run, "local_cluster", spy)
    out = tmp_path / "threads"
    rep = fleet.run(archive, out, workers=1, max_piece_s=60.0)
    [(cluster, workers)] = started
    assert cluster.scheduler_address.startswith("inproc://") and len(workers) == 1
    [w] = workers
    assert isinstance(w, Worker) and not isinstance(w, Nanny) and w.state.nthreads == 1
    # no statistical profiler, no memory monitor that would pause on the caller's memory
    assert "profile" not in w.periodic_callbacks and not w.memory_manager.memory_limit
    assert cluster.status.name == "closed"
    assert rep.failed == 0 and rep.replayed == rep.pieces
    got, want = _tables(out), _tables(reference)
    for name in got:
        assert got[name].drop_columns(["part"]).equals(want[name].drop_columns(["part"])), name
    _same(_fleet_rows(out), plain)


@pytest.fixture(scope="module")
def mixed_client():
    """fleet.run(workers=2)'s default cluster: a thread worker here, a worker process joining."""
    _need_dask()
    from distributed import Client

    from currentprint import fleet
    cluster = fleet.local_cluster(2, processes=None, dashboard_address=":0")
    c = Client(cluster)
    c.wait_for_workers(2, timeout=120)
    yield c
    c.close()
    cluster.close()


def test_mixed_cluster_thread_worker_now_processes_later(archive, reference, plain, tmp_path, monkeypatch):
    """processes=None with 2 workers: a thread worker at once, a configured worker process later; same tables."""
    _need_dask()
    from distributed import Client, Nanny, Worker

    from currentprint import fleet
    from currentprint.fleet import _run
    cluster = fleet.local_cluster(2, processes=None, dashboard_address=":0")
    try:
        # returned before the worker process is up: the thread worker is there already
        first = list(cluster.workers.values())
        assert len(first) >= 1 and isinstance(first[0], Worker) and not isinstance(first[0], Nanny)
        assert not first[0].memory_manager.memory_limit and "profile" not in first[0].periodic_callbacks
        with Client(cluster) as c:
            c.wait_for_workers(2, timeout=120)
            ws = list(cluster.workers.values())
            assert len(ws) == 2 and sum(isinstance(w, Nanny) for w in ws) == 1, ws
            pids = c.run(os.getpid)
            assert sorted(p == os.getpid() for p in pids.values()) == [False, True]
            # the process was spawned after local_cluster returned, with its settings all the same
            # (the thread worker's were checked on the object above)
            got = c.run(_worker_settings, workers=[a for a, p in pids.items() if p != os.getpid()])
            assert list(got.values()) == [(None, False, "1s")], got
            limits = sorted(bool(w["memory_limit"]) for w in c.scheduler_info()["workers"].values())
            assert limits == [False, True]          # the process has its share of memory; the thread none
    finally:
        cluster.close()
    # fleet.run(workers=2) starts such a cluster itself, and the tables are the plain loop's
    started = []
    real = _run.local_cluster

    def spy(*args, **kwargs):
        started.append((args, kwargs))
        return real(*args, **kwargs)
    monkeypatch.setattr(_run, "local_cluster", spy)
    out = tmp_path / "mixed"
    rep = fleet.run(archive, out, workers=2, max_piece_s=60.0)
    assert started == [((2,), {"processes": None})]
    assert rep.failed == 0 and rep.replayed == rep.pieces
    got, want = _tables(out), _tables(reference)
    for name in got:
        assert got[name].drop_columns(["part"]).equals(want[name].drop_columns(["part"])), name
    _same(_fleet_rows(out), plain)


@pytest.mark.parametrize("cluster", ["processes", "mixed"])
def test_worker_killed_mid_run(archive, reference, request, tmp_path, cluster):
    from currentprint import fleet
    client = request.getfixturevalue("client" if cluster == "processes" else "mixed_client")
    out = tmp_path / "kill"
    result = {}
    th = threading.Thread(target=lambda: result.setdefault("rep", fleet.run(archive, out, client=client,
                                                                            max_piece_s=30.0)))
    # a worker process (never this process: the mixed cluster's thread worker lives here)
    pids = [p for p in client.run(os.getpid).values() if p != os.getpid()]
    th.start()
    done = out / "_done"
    deadline = time.monotonic() + 120
    while not (done.exists() and any(done.rglob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.01)
    n_done = len(list(done.rglob("*.json")))
    os.kill(pids[0], signal.SIGKILL)                 # a worker process dies mid-run
    th.join(180)
    rep = result["rep"]
    assert 0 < n_done < rep.pieces, "the kill came too late to test anything"
    assert rep.failed == 0 and rep.replayed == rep.pieces
    got, want = _tables(out), _tables(reference)
    for name in got:
        assert got[name].equals(want[name]), name
    client.wait_for_workers(2, timeout=60)


def _complete_terminals(out: Path, reference: Path) -> set:
    """Terminals all of whose pieces have a completion marker in ``out``."""
    want = {}
    for p in (reference / "_done").rglob("*.json"):
        want.setdefault(p.parent.name.split("=")[1], set()).add(p.name)
    have = {}
    for p in (out / "_done").rglob("*.json") if (out / "_done").exists() else []:
        have.setdefault(p.parent.name.split("=")[1], set()).add(p.name)
    return {t for t, names in want.items() if have.get(t) == names}


@pytest.mark.parametrize("how", ["run_sequential", "run_thread_worker", "run_mixed_workers"])
def test_interrupted_run_resumes_only_unfinished_terminals(archive, reference, client, tmp_path, how):
    from currentprint import fleet
    out = tmp_path / "interrupted"
    # killed: a plain loop, or fleet.run with its one worker in the same process, or with that
    # thread worker and a worker process (the process that dies is the caller's, its worker process
    # with it: no nanny restarts anything, and a re-run does only what is missing)
    call = {"run_sequential": "fleet.run_sequential(a, o, max_piece_s=30.0)",
            "run_thread_worker": "fleet.run(a, o, workers=1, max_piece_s=30.0)",
            "run_mixed_workers": "fleet.run(a, o, workers=2, max_piece_s=30.0)"}[how]
    code = (f"from currentprint import fleet\na, o = {str(archive)!r}, {str(out)!r}\n"
            f"if __name__ == '__main__':\n    {call}\n")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(_complete_terminals(out, reference)) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)            # our own child's process group
        proc.wait()
    finished = _complete_terminals(out, reference)
    all_terminals = {p.name for p in archive.iterdir() if p.is_dir()}
    assert 2 <= len(finished) < len(all_terminals), "the run was not interrupted mid-way"
    rep = fleet.run(archive, out, client=client, max_piece_s=30.0)
    assert set(rep.replayed_terminals) == all_terminals - finished
    assert rep.skipped > 0 and rep.failed == 0
    got, want = _tables(out), _tables(reference)
    for name in got:
        assert got[name].equals(want[name]), name
    assert not [p for p in out.rglob(".*") if p.is_file()], "temporary files left behind"


def test_other_settings_need_another_folder(archive, reference, tmp_path):
    from currentprint import fleet
    small = _subset(archive, tmp_path / "a", ["T0000", "T0003"])
    out = tmp_path / "o"
    fleet.run_sequential(small, out, max_piece_s=30.0)
    with pytest.raises(cp.errors.InputError, match="other settings"):
        fleet.run_sequential(small, out, detectors=["events"], max_piece_s=30.0)
    rep = fleet.run_sequential(small, out, detectors=["events"], max_piece_s=30.0, overwrite=True)
    assert rep.replayed == rep.pieces and fleet.read_table(out, "alerts").num_rows == 0
    want = fleet.read_table(reference, "events").to_pandas()
    got = fleet.read_table(out, "events").to_pandas()
    assert len(got) > 0 and got.equals(want[want.terminal.isin(["T0000", "T0003"])].reset_index(drop=True))


def test_bad_archive_reported_per_terminal(archive, reference, tmp_path):
    from currentprint import fleet
    bad = tmp_path / "bad"
    shutil.copytree(archive, bad)
    (bad / "manifest.parquet").unlink()                 # probe every file
    # T0001: a corrupt recording (truncated zip) in the middle of its history
    files = sorted((bad / "T0001").glob("*.npz"))
    files[2].write_bytes(files[2].read_bytes()[:1000])
    # T0002: terminal.json unreadable
    (bad / "T0002" / "terminal.json").write_text("{ not json")
    # T0003: no recordings at all
    for f in (bad / "T0003").iterdir():
        if f.name != "terminal.json":
            f.unlink()
    # T0004: a file whose name is no UTC time, and a recording with a wrong sample rate
    shutil.copy(next((bad / "T0004").glob("*.*Z.*")), bad / "T0004" / "kettle.npz")
    # a terminal folder without terminal.json, and one whose name is no terminal id
    (bad / "T0099").mkdir()
    (bad / "bad name!").mkdir()
    out = tmp_path / "out"
    rep = fleet.run_sequential(bad, out, max_piece_s=30.0)
    assert rep.failed == 0
    err = fleet.read_table(out, "errors").to_pylist()
    assert rep.errors == len(err) >= 6                  # counted from the partitions' footers
    by = {}
    for e in err:
        by.setdefault(e["terminal"], []).append(e)
    assert set(by) == {"T0001", "T0002", "T0003", "T0004", "T0099", "~invalid"}
    assert by["~invalid"][0]["file"] == "bad name!"
    assert [(e["file"], e["stage"]) for e in by["T0001"]] == [(files[2].name, "scan")]
    assert by["T0002"][0]["stage"] == "config" and "JSON" in by["T0002"][0]["message"]
    assert by["T0003"][0]["stage"] == "scan" and "no recordings" in by["T0003"][0]["message"]
    assert [(e["file"], e["stage"]) for e in by["T0004"]] == [("kettle.npz", "scan")]
    assert by["T0099"][0]["error"] == "FileNotFoundError"
    # the healthy terminals are processed exactly as in the clean run
    healthy = {"T0000", "T0005", "T0004"}
    _same(_fleet_rows(out, healthy), _fleet_rows(reference, healthy))
    # T0001 is processed except the corrupt file, with a fresh Monitor after it
    def cycles(o):
        m = fleet.read_table(o, "minutes").to_pandas()
        return m.loc[m.terminal == "T0001", "cycles"].sum()
    n_lost = np.load(sorted((archive / "T0001").glob("*.npz"))[2])["current"].shape[0] / 6400 * 50
    assert abs(cycles(reference) - cycles(out) - n_lost) <= 2
    # nothing silently dropped: each recording is replayed or in the errors table
    import pyarrow.parquet as pq
    replayed = {(r["terminal"], r["file"]) for r in pq.read_table(out / "manifest.parquet").to_pylist()}
    reported = {(e["terminal"], e["file"]) for e in err}
    for t in bad.iterdir():
        if t.is_dir():
            for f in t.iterdir():
                if f.suffix in (".npz", ".wav"):
                    said = (t.name, f.name) in reported or (t.name, "terminal.json") in reported
                    assert ((t.name, f.name) in replayed) != said, (t.name, f.name)


def test_corrupt_file_found_while_replaying(archive, reference, tmp_path):
    """A file the manifest lists but that cannot be read: error row, the stream restarts after it."""
    from currentprint import fleet
    bad = _subset(archive, tmp_path / "bad2", ["T0000", "T0005"])
    victim = sorted((bad / "T0005").glob("*.*Z.*"))[1]
    raw = bytearray(victim.read_bytes())
    victim.write_bytes(bytes(raw[: len(raw) // 2]))
    out = tmp_path / "out2"
    rep = fleet.run_sequential(bad, out, max_piece_s=30.0)
    err = fleet.read_table(out, "errors").to_pylist()
    assert [(e["terminal"], e["file"], e["stage"]) for e in err] == [("T0005", victim.name, "load")]
    assert rep.failed == 0
    _same(_fleet_rows(out, {"T0000"}), _fleet_rows(reference, {"T0000"}))


def test_cli_fleet_demo_run_summary(tmp_path, capsys, client):
    from currentprint.cli import main
    arch, out = tmp_path / "a", tmp_path / "o"
    assert main(["fleet", "demo", "--terminals", "2", "--hours", "0.005", "--file-s", "9", str(arch)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["terminals"] == 2 and (arch / "T0001" / "terminal.json").exists()
    assert main(["fleet", "run", str(arch), str(out), "--scheduler", client.scheduler.address, "--quiet"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["replayed"] == rep["pieces"] > 0 and rep["failed"] == 0
    assert main(["fleet", "summary", str(out)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split()[:2] == ["terminal", "event"] and text[-1].startswith("total")
    assert main(["fleet", "summary", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    from currentprint import fleet
    assert sum(r["alerts"] for r in rows if r["kind"] == "event") == fleet.read_table(out, "events").num_rows
    assert main(["fleet", "summary", str(tmp_path / "nothing")]) == 3


def test_cli_fleet_run_threads_or_processes(tmp_path, capsys):
    _need_dask()
    from currentprint.cli import main
    arch, out = tmp_path / "a", tmp_path / "o"
    assert main(["fleet", "demo", "--terminals", "2", "--hours", "0.005", "--file-s", "9", str(arch)]) == 0
    capsys.readouterr()
    assert main(["fleet", "run", str(arch), str(out), "--workers", "1", "--threads", "--quiet"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["replayed"] == rep["pieces"] > 0 and rep["failed"] == 0
    # a running cluster's workers are what they are: asking for threads there is a usage error
    assert main(["fleet", "run", str(arch), str(out), "--scheduler", "tcp://127.0.0.1:1", "--threads"]) == 2
    assert "leave it None" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["fleet", "run", str(arch), str(out), "--threads", "--processes"])
    assert exc.value.code == 2


def test_cli_fleet_without_the_extra(monkeypatch, tmp_path, capsys):
    from currentprint.cli import main
    monkeypatch.setitem(sys.modules, "distributed", None)        # as if dask were not installed
    assert main(["fleet", "run", str(tmp_path), str(tmp_path / "o")]) == 4
    assert "pip install 'currentprint[fleet]'" in capsys.readouterr().err


def test_docs_fleet_examples(archive, tmp_path, client, monkeypatch, capsys):
    """docs/fleet.md's Python blocks run (smaller archive, the test's 2-worker cluster)."""
    import re
    text = (Path(__file__).resolve().parents[1] / "docs" / "fleet.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    local, backtest = blocks
    demo = 'fleet.write_demo("fleet-archive", terminals=6, hours=0.05, file_s=60.0)'
    assert demo in local and local.count("workers=2") == 1
    local = local.replace(demo, f"__import__('shutil').copytree({str(archive)!r}, 'fleet-archive')")
    ns = {"__name__": "__main__"}
    exec(compile(local.replace("workers=2", "client=client"), "fleet.md", "exec"), {**ns, "client": client})
    assert (tmp_path / "fleet-out" / "alerts").is_dir()
    assert backtest.count("workers=2") == 2
    exec(compile(backtest.replace("workers=2", "client=client"), "fleet.md", "exec"), {**ns, "client": client})
    out = capsys.readouterr().out
    from currentprint import fleet
    long_heat = fleet.read_table(tmp_path / "replay-candidate", "alerts").to_pylist()
    # the demo's first terminal runs a heater: the new detector fires there and the backtest says so
    assert any(r["kind"] == "long_heat" for r in long_heat)
    assert "long_heat 0 -> " in out


def test_rerun_after_the_archive_changed(archive, tmp_path):
    """A changed terminal.json replays that terminal; a new recording after a gap replays one piece."""
    from currentprint import fleet
    from currentprint.fleet import format_start, parse_start
    small = _subset(archive, tmp_path / "a", ["T0001", "T0002"])
    out = tmp_path / "o"
    first = fleet.run_sequential(small, out, max_piece_s=30.0)
    cfg_path = small / "T0002" / "terminal.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["detectors"]["overload"] = {"rated_current_a": 2.0}
    cfg_path.write_text(json.dumps(cfg))
    last = sorted((small / "T0001").glob("*Z.npz"))[-1]
    later = parse_start(last.stem) + _dt.timedelta(hours=2)
    shutil.copy(last, small / "T0001" / (format_start(later) + ".npz"))
    rep = fleet.run_sequential(small, out, max_piece_s=30.0)
    t2 = [p for p in (out / "_done" / "terminal=T0002").iterdir()]
    assert rep.replayed_terminals == ["T0001", "T0002"]
    assert rep.replayed == len(t2) + 1 and rep.skipped == first.pieces - len(t2)
    assert rep.pieces == first.pieces + 1


def test_fsspec_urls_for_archive_and_output(archive, reference):
    """An archive and an output behind fsspec URLs (here memory://): the same rows as local folders."""
    import fsspec
    from currentprint import fleet
    mem = fsspec.filesystem("memory")
    for p in (archive / "T0003").iterdir():
        mem.pipe(f"/fleet-a/T0003/{p.name}", p.read_bytes())
    try:
        rep = fleet.run_sequential("memory://fleet-a", "memory://fleet-o", max_piece_s=30.0)
        assert rep.failed == 0 and rep.errors == 0 and rep.replayed == rep.pieces > 1
        _same(_fleet_rows("memory://fleet-o"), _fleet_rows(reference, {"T0003"}))
        assert mem.exists("/fleet-o/_done/terminal=T0003")
        assert not [p for p in mem.find("/fleet-o") if p.rsplit("/", 1)[-1].startswith(".")]
    finally:
        mem.rm("/fleet-a", recursive=True)
        if mem.exists("/fleet-o"):
            mem.rm("/fleet-o", recursive=True)


def test_ledger_where_a_library_is_given(archive, tmp_path):
    """A terminal with a fingerprint library gets an ApplianceTracker: its records form the ledger table."""
    from currentprint import fleet
    sy = cp.synth
    small = _subset(archive, tmp_path / "a", ["T0000"])
    lib = cp.FingerprintLibrary()
    for label, load in {"kettle": sy.Resistive(2000.0), "fridge": sy.Motor(130.0, pf=0.75, inrush=3.0),
                        "pc": sy.Rectifier(120.0), "lamp": sy.PhaseCut(80.0, firing_angle_deg=80.0)}.items():
        sig = sy.synth_signal(duration_s=1.0, loads={label: load}, seed=1)
        lib.enroll(label, cp.fingerprint(sig.current, sig.voltage, fs=sig.fs))
    lib.save(small / "T0000" / "library.json")
    cfg_path = small / "T0000" / "terminal.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["library"] = "library.json"
    cfg_path.write_text(json.dumps(cfg))
    out = tmp_path / "o"
    rep = fleet.run_sequential(small, out, max_piece_s=30.0)
    assert rep.failed == 0 and rep.errors == 0
    ledger = fleet.read_table(out, "ledger").to_pylist()
    assert ledger and {r["state"] for r in ledger} <= {"on", "off", "end"}  # "end": still on when the stretch of recordings ends
    assert any(r["paired"] and r["energy_wh"] > 0 and r["on_time"] < r["time"] for r in ledger)
    # the same records as a plain Monitor loop with the library and a tracker
    import pyarrow.parquet as pq
    files = sorted((r for r in pq.read_table(small / "manifest.parquet").to_pylist() if r["terminal"] == "T0000"),
                   key=lambda r: r["start"])
    want, mon, end = [], None, None
    loaded = cp.FingerprintLibrary.load(small / "T0000" / "library.json")
    for r in files:
        rec = cp.io.load_recording(small / "T0000" / r["file"])
        if mon is None or abs((r["start"] - end).total_seconds()) > GAP_TOL:
            if mon is not None:
                want += [a for a in mon.flush() if a.kind == "appliance"]
            mon = cp.Monitor(fs=cfg["fs"], mains_hz=cfg["mains_hz"], calibration=cp.Calibration(**cfg["calibration"]),
                             detectors=list(cfg["detectors"]) + [cp.ApplianceTracker()], library=loaded)
        want += [a for a in mon.run(rec.current, rec.voltage) if a.kind == "appliance"]
        end = r["start"] + _dt.timedelta(seconds=rec.current.shape[0] / cfg["fs"])
    want += [a for a in mon.flush() if a.kind == "appliance"]
    assert [(r["sample"], r["label"], r["state"], r["explanation"]) for r in ledger] == \
        [(a.sample, a.detail["label"], a.detail["state"], a.explanation) for a in want]
