"""Fleet scale: replay a fleet's archive of recordings through Monitors on Dask.

Needs the optional extra ``fleet`` (``pip install 'currentprint[fleet]'``:
dask[distributed], pyarrow, fsspec). See ``docs/fleet.md``.

>>> from currentprint import fleet                              # doctest: +SKIP
>>> fleet.write_demo("archive", terminals=4, hours=0.1)         # doctest: +SKIP
>>> fleet.run("archive", "out", workers=2)                      # doctest: +SKIP
>>> fleet.summary("out").to_pandas()                            # doctest: +SKIP
"""

from __future__ import annotations

from ._archive import DEFAULT_DETECTORS, TerminalConfig, format_start, parse_start, parse_terminal_config
from ._demo import write_demo
from ._run import RunReport, local_cluster, run, run_sequential, scan_archive
from ._tables import read_table, summary

__all__ = ["run", "run_sequential", "local_cluster", "RunReport", "read_table", "summary", "write_demo", "scan_archive",
           "TerminalConfig", "parse_terminal_config", "parse_start", "format_start", "DEFAULT_DETECTORS"]
