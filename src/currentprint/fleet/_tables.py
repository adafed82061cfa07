"""Reading the tables a fleet run wrote, and the per-terminal alert summary."""

from __future__ import annotations

from ._archive import posix_join
from ._replay import TABLES, get_fs, schemas

__all__ = ["read_table", "summary"]

_ORDER = {"alerts": ["terminal", "segment", "time", "sample", "kind"],
          "events": ["terminal", "segment", "time", "sample"],
          "minutes": ["terminal", "segment", "minute"],
          "ledger": ["terminal", "segment", "time", "sample"],
          "errors": ["terminal", "segment", "part", "file", "stage"]}


def read_table(out, name: str):
    """One table of a fleet run as a ``pyarrow.Table``, with its ``terminal`` column, sorted.

    Parameters
    ----------
    out : str or path
        The output folder (or fsspec URL) of :func:`currentprint.fleet.run`.
    name : {"alerts", "events", "minutes", "ledger", "errors"}

    Rows are sorted by terminal, then time (for ``errors``: terminal,
    segment, part, file). ``pandas``: ``read_table(out, "alerts").to_pandas()``.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds
    if name not in TABLES:
        raise ValueError(f"no table {name!r}; the tables are {', '.join(TABLES)}")
    fs, root = get_fs(str(out))
    path = posix_join(root, name)
    schema = schemas()[name].append(pa.field("terminal", pa.string()))
    if not fs.exists(path):
        return schema.empty_table()
    part = ds.partitioning(pa.schema([("terminal", pa.string())]), flavor="hive")
    table = ds.dataset(path, filesystem=fs, format="parquet", partitioning=part, schema=schema).to_table()
    cols = ["terminal"] + [c for c in table.column_names if c != "terminal"]
    table = table.select(cols)
    return table.sort_by([(c, "ascending") for c in _ORDER[name]])


def summary(out):
    """Alerts per terminal and kind (``terminal``, ``kind``, ``alerts``, ``first``, ``last``), plus errors.

    Switching events are counted under kind ``"event"``; rows of the errors
    table under ``"error"``.
    """
    import pyarrow as pa
    alerts = read_table(out, "alerts")
    events = read_table(out, "events")
    errors = read_table(out, "errors")
    rows: dict[tuple, list] = {}

    def add(terminal, kind, t):
        r = rows.setdefault((terminal, kind), [0, t, t])
        r[0] += 1
        if t is not None:
            r[1] = t if r[1] is None else min(r[1], t)
            r[2] = t if r[2] is None else max(r[2], t)

    for term, kind, t in zip(alerts["terminal"].to_pylist(), alerts["kind"].to_pylist(),
                             alerts["time"].to_pylist()):
        add(term, kind, t)
    for term, t in zip(events["terminal"].to_pylist(), events["time"].to_pylist()):
        add(term, "event", t)
    for term in errors["terminal"].to_pylist():
        add(term, "error", None)
    ts = pa.timestamp("us", tz="UTC")
    schema = pa.schema([("terminal", pa.string()), ("kind", pa.string()), ("alerts", pa.int64()),
                        ("first", ts), ("last", ts)])
    data = [{"terminal": k[0], "kind": k[1], "alerts": v[0], "first": v[1], "last": v[2]}
            for k, v in sorted(rows.items())]
    return pa.Table.from_pylist(data, schema=schema)
