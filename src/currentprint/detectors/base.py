"""The detector interface and the registry of detectors.

A detector reads the per-cycle analysis (:class:`~currentprint.CycleTable`)
that the :class:`~currentprint.Monitor` computes once per chunk, and returns
:class:`~currentprint.Alert` objects. Third parties subclass
:class:`BaseDetector`, implement ``__init__`` (explicit keyword parameters,
stored unchanged) and :meth:`~BaseDetector.update`, and either call
:func:`register_detector` or declare an entry point in the group
``currentprint.detectors``::

    [project.entry-points."currentprint.detectors"]
    ebike_charger = "mypkg.detectors:EBikeChargerDetector"

The model is scikit-learn's estimator API for parameters and numcodecs'
registry for plugins.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import warnings
from typing import Any, ClassVar, TypeVar

import numpy as np

from .._state import check_keys, decode, encode
from ..errors import CorruptFileError, InputError, RegistryError

__all__ = ["BaseDetector", "register_detector", "get_detector", "available_detectors", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "currentprint.detectors"

# built-in detectors, imported on first use so that importing currentprint stays light
_BUILTIN: dict[str, str] = {
    "events": "currentprint.detectors.events:EventDetector",
    "arc_fault": "currentprint.detectors.arc:ArcFaultDetector",
    "resistive_load": "currentprint.detectors.resistive:ResistiveLoadDetector",
    "phase_chopper": "currentprint.detectors.chopper:PhaseChopperDetector",
    "overload": "currentprint.detectors.overload:OverloadDetector",
    "appliances": "currentprint.detectors.ledger:ApplianceTracker",
}

_registry: dict[str, type] = {}
_entry_points_loaded = False

_D = TypeVar("_D", bound="BaseDetector")


def _wave_need(library: Any, dets: Any) -> bool | str:
    """The resampled cycles an analyser must keep for ``dets`` (detectors or their classes): True (both
    channels) for a fingerprint library or a detector that needs them, ``"current"`` when every detector
    that needs any reads the current's alone (``needs_waveforms = "current"``: half the memory
    written), else False."""
    needs = [getattr(d, "needs_waveforms", False) for d in dets]
    if library is not None or any(n != "current" and bool(n) for n in needs):
        return True
    return "current" if any(n == "current" for n in needs) else False


class BaseDetector:
    """Base class of every detector.

    Subclasses set the class attribute :attr:`name`, take every parameter
    as an explicit keyword argument of ``__init__`` and store it unchanged
    under the same attribute name (so :meth:`get_params` can find it), and
    implement :meth:`update`. Running state lives in other attributes;
    the defaults of :meth:`reset`, :meth:`state_dict` and :meth:`load_state`
    handle it generically (NumPy arrays, numbers, strings, lists, dicts and
    nested detectors), so a subclass rarely overrides them.

    How a detector declares its state (saved by :meth:`state_dict`, read
    back by :meth:`load_state`; the file format is data only):

    * every attribute set by ``__init__`` that is not a parameter is state;
      it must hold data (``None``, bool, int, float, str, list, tuple, dict,
      numeric NumPy array) or a detector the constructor built (restored
      through its own ``load_state``, e.g. ``self.event_source``). Objects
      of other types cannot be saved: keep their numbers instead.
    * ``__init__`` sets every state attribute to its initial value with its
      final type (an empty ``np.empty((0, 2))`` rather than ``None`` when it
      will hold a 2-D array): a restored value must have the type, dtype and
      number of dimensions of the fresh one, and a dict with string keys the
      same keys.
    * :meth:`check_state` checks ranges: every number that indexes an
      array or a kernel's state (ring positions, counts, cycle indices),
      array lengths against the parameters, finiteness. A restored state
      must be one the code could have produced; a detector whose state goes
      into a compiled kernel must override it.
    * a detector with derived or bulky state may override
      :meth:`state_dict`/:meth:`load_state` (e.g. ``EventDetector``), with
      the same guarantees.

    Class attributes
    ----------------
    name : str
        Registry name, also written into each alert's ``detector`` field.
    needs_waveforms : bool or "current"
        True when :meth:`update` reads ``cycles.i_wave`` / ``v_wave``; the
        Monitor then keeps the resampled cycles in the table. ``"current"``:
        it reads the current's alone (``i_wave`` / ``raw_waves[0]``), and a
        Monitor whose detectors need no more keeps only those (half the
        memory written per cycle; see ``waveforms`` of
        :class:`~currentprint.CycleAnalyzer`).
    """

    name: ClassVar[str] = "base"
    needs_waveforms: ClassVar[bool | str] = False

    # -- parameters (scikit-learn convention) ---------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        sig = inspect.signature(init)
        names = []
        for p in sig.parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must list its parameters explicitly (no *args/**kwargs)")
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor parameters and their current values."""
        out = {}
        for key in self._param_names():
            if not hasattr(self, key):
                raise AttributeError(f"{type(self).__name__} must store parameter {key!r} as self.{key}")
            out[key] = getattr(self, key)
        return out

    def set_params(self, **params) -> "BaseDetector":
        """Change parameters; the running state is reset."""
        valid = set(self._param_names())
        for key in params:
            if key not in valid:
                raise InputError(f"{type(self).__name__} has no parameter {key!r}; valid: {sorted(valid)}")
        merged = {**self.get_params(), **params}
        fresh = type(self)(**merged)
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # -- the work -----------------------------------------------------------
    def update(self, cycles) -> list:
        """Read the next cycles of the stream; return the alerts they raise.

        Parameters
        ----------
        cycles : CycleTable
            Consecutive complete cycles (possibly none). ``cycles.start``
            holds absolute sample positions; ``cycles.fs`` the sample rate.

        Returns
        -------
        list of Alert
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update(cycles)")

    def finish(self) -> list:
        """End of the stream: alerts for anything still pending (default: none).

        The Monitor calls it from :meth:`~currentprint.Monitor.flush` at the
        end of a recording; a live stream never ends.
        """
        return []

    def reset(self: _D) -> _D:
        """Forget everything seen; parameters stay."""
        fresh = type(self)(**self.get_params())
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)
        return self

    # -- persistence --------------------------------------------------------
    def state_dict(self) -> dict:
        """Running state as JSON-safe data (parameters excluded).

        ``{"state": <encoded attributes>, "nested": {attribute: state_dict}}``:
        every attribute that is not a parameter, encoded by
        :func:`currentprint._state.encode` (data only); attributes holding a
        detector (e.g. ``event_source``) store that detector's own state
        under ``"nested"``, never its class.
        """
        params = set(self._param_names())
        plain, nested = {}, {}
        for k, v in self.__dict__.items():
            if k in params:
                continue
            if isinstance(v, BaseDetector):
                nested[k] = v.state_dict()
            else:
                plain[k] = v
        out: dict[str, Any] = {"state": encode(plain)}
        if nested:
            out["nested"] = nested
        return out

    def check_state(self, state: dict) -> None:
        """Refuse restored state the code could not have produced (override to add range checks).

        Called by :meth:`load_state` with the decoded attributes (a dict
        ``name -> value``), after the generic checks (same attributes as a
        detector of these parameters, same types, arrays of the same dtype
        and number of dimensions) and before anything is assigned. A
        detector whose state feeds a compiled kernel or indexes an array
        must check here every number against what it indexes (integral,
        inside its range, finite where NaN cannot occur), and shapes
        against the parameters; raise
        :class:`~currentprint.errors.CorruptFileError` (the helpers
        ``currentprint._state.check_int``, ``check_float``, ``check_array``
        do). The default accepts what the generic checks accept.
        """

    def load_state(self, state: dict) -> "BaseDetector":
        """Restore :meth:`state_dict` output into a detector made with the same parameters.

        Nothing in ``state`` names a class: the values are checked against
        this detector's own attributes (see :meth:`check_state`) and nested
        detectors are restored into the ones its constructor built.

        Raises
        ------
        CorruptFileError
            The state is damaged, of another detector or configuration, or
            holds values this detector could not have produced (the
            detector is then reset).
        """
        if not isinstance(state, dict) or "state" not in state or set(state) - {"state", "nested"}:
            raise CorruptFileError(f"not a {type(self).__name__} state")
        params = set(self._param_names())
        current = {k: v for k, v in self.__dict__.items() if k not in params and not isinstance(v, BaseDetector)}
        children = {k: v for k, v in self.__dict__.items() if k not in params and isinstance(v, BaseDetector)}
        restored = decode(state["state"])
        check_keys(restored, current, f"{type(self).__name__} state")
        for k, v in restored.items():
            _same_kind(v, current[k], f"{type(self).__name__}.{k}")
        nested = state.get("nested", {})
        check_keys(nested, children, f"{type(self).__name__} nested detectors")
        self.check_state(restored)
        try:
            for k, child in children.items():
                child.load_state(nested[k])
        except BaseException:
            self.reset()
            raise
        self.__dict__.update(copy.deepcopy(restored))
        return self


def _same_kind(new: Any, cur: Any, what: str, depth: int = 0) -> None:
    """``new`` (restored) has the type ``cur`` (a fresh detector's value) has."""
    if cur is None or depth > 8:
        return          # set later by the detector: its check_state judges it
    if isinstance(cur, np.ndarray):
        if not isinstance(new, np.ndarray) or new.dtype != cur.dtype or new.ndim != cur.ndim:
            raise CorruptFileError(f"damaged state data: {what} must be a {cur.ndim}-D {cur.dtype} array")
        return
    if isinstance(cur, bool) or isinstance(cur, np.bool_):
        ok = isinstance(new, (bool, np.bool_))
    elif isinstance(cur, (int, np.integer)):
        ok = isinstance(new, (int, np.integer)) and not isinstance(new, bool)
    elif isinstance(cur, (float, np.floating)):
        ok = isinstance(new, (float, int, np.floating, np.integer)) and not isinstance(new, bool)
    elif isinstance(cur, str):
        ok = isinstance(new, str)
    elif isinstance(cur, tuple):
        ok = isinstance(new, tuple)
    elif isinstance(cur, list):
        ok = isinstance(new, list)
        if ok and cur:
            for k, x in enumerate(new):
                _same_kind(x, cur[0], f"{what}[{k}]", depth + 1)
    elif isinstance(cur, dict):
        ok = isinstance(new, dict)
        if ok and cur and all(isinstance(k, str) for k in cur):
            check_keys(new, cur, what)
            for k in cur:
                _same_kind(new[k], cur[k], f"{what}.{k}", depth + 1)
    else:
        ok = True
    if not ok:
        raise CorruptFileError(f"damaged state data: {what} must be of type {type(cur).__name__}, "
                               f"got {type(new).__name__}")


def register_detector(cls: type | None = None, *, name: str | None = None, replace: bool = False):
    """Register a detector class under ``name`` (default ``cls.name``).

    Usable as a decorator (``@register_detector``) or a call.
    """
    def do(c: type) -> type:
        if not (isinstance(c, type) and issubclass(c, BaseDetector)):
            raise InputError(f"{c!r} is not a BaseDetector subclass")
        key = name or c.name
        if not key or key == "base":
            raise InputError(f"{c.__name__} needs a class attribute name")
        if key in _registry and _registry[key] is not c and not replace:
            raise InputError(f"a detector named {key!r} is already registered ({_registry[key].__name__}); "
                             "pass replace=True to override it")
        _registry[key] = c
        return c
    return do if cls is None else do(cls)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points
    try:
        eps = entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # broken metadata must never break the library
        warnings.warn(f"could not read currentprint detector plugins: {exc}", RuntimeWarning, stacklevel=3)
        return
    for ep in eps:
        if ep.name in _registry or ep.name in _BUILTIN:
            continue
        try:
            cls = ep.load()
            register_detector(cls, name=ep.name)
        except Exception as exc:
            warnings.warn(f"skipping currentprint detector plugin {ep.name!r} ({ep.value}): {exc}",
                          RuntimeWarning, stacklevel=3)


def _resolve(name: str) -> type:
    if name in _registry:
        return _registry[name]
    if name in _BUILTIN:
        module, _, qual = _BUILTIN[name].partition(":")
        cls = getattr(importlib.import_module(module), qual)
        _registry.setdefault(name, cls)
        return cls
    _load_entry_points()
    if name in _registry:
        return _registry[name]
    raise RegistryError(f"no detector named {name!r}; available: {', '.join(available_detectors())}")


def get_detector(name: str, **params) -> BaseDetector:
    """A new instance of the detector registered as ``name``.

    Examples
    --------
    >>> det = get_detector("overload", rated_current_a=10.0)
    >>> type(det).__name__, det.get_params()["rated_current_a"]
    ('OverloadDetector', 10.0)
    >>> "arc_fault" in available_detectors()
    True
    """
    return _resolve(name)(**params)


def available_detectors() -> list[str]:
    """Names of the built-in, registered and plugin detectors."""
    _load_entry_points()
    return sorted(set(_BUILTIN) | set(_registry))
