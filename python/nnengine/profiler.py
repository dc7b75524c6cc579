"""``torch.profiler`` for nnengine: time every op's forward and backward on the CPU.

While a :class:`profile` records, the tape times each ``Function.apply`` forward (named by its Function class,
e.g. ``LinearFn``) and each node's backward (``LinearFnBackward``); :class:`record_function` adds named ranges
around user code (their self time is what the ops inside do not account for). ``key_averages().table()``
prints torch's table, ``export_chrome_trace`` writes the trace JSON that chrome://tracing and Perfetto read,
``schedule`` / ``on_trace_ready`` / ``step()`` / ``tensorboard_trace_handler`` run as torch's. CPU only: other
activities are accepted and warned about once; memory, FLOP and stack collection are not done.

Example:
    >>> from nnengine.profiler import profile, record_function
    >>> with profile() as prof:
    ...     with record_function("forward"):
    ...         _ = nn.Linear(4, 2)(ne.ones(3, 4)).relu()
    >>> sorted(e.key for e in prof.key_averages())
    ['ActivationFn', 'LinearFn', 'forward']
"""

from __future__ import annotations

import enum
import gzip
import json
import os
import socket
import threading
import time
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional

from . import _tape

__all__ = ["ProfilerActivity", "ProfilerAction", "profile", "record_function", "schedule",
           "tensorboard_trace_handler", "EventList", "FunctionEvent", "FunctionEventAvg"]


class ProfilerActivity(enum.Enum):
    """What to profile (torch's names); nnengine profiles the CPU.

    Example:
        >>> ne.profiler.ProfilerActivity.CPU
        <ProfilerActivity.CPU: 0>
    """

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a :func:`schedule` says a step does.

    Example:
        >>> ne.profiler.schedule(wait=1, warmup=0, active=1)(0)
        <ProfilerAction.NONE: 0>
    """

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0,
             skip_first: int = 0, skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """torch's profiler schedule: after ``skip_first`` steps, cycles of ``wait`` idle, ``warmup`` and ``active``
    recorded steps (the last one saves: ``on_trace_ready``), ``repeat`` cycles (0: forever).

    Example:
        >>> s = ne.profiler.schedule(wait=1, warmup=1, active=2)
        >>> [s(i).name for i in range(4)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    for name, v, low in (("wait", wait, 0), ("warmup", warmup, 0), ("active", active, 1), ("repeat", repeat, 0),
                         ("skip_first", skip_first, 0), ("skip_first_wait", skip_first_wait, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name}: expected an int >= {low}, got {v!r}")

    def fn(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait and wait:
            step += wait  # the first cycle starts with its warmup
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        m = step % cycle
        if m < wait:
            return ProfilerAction.NONE
        if m < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if m < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return fn


class FunctionEvent:
    """One timed op or range: ``name``, start and end (microseconds), ``input_shapes``, ``cpu_time_total``,
    ``self_cpu_time_total`` (without the events nested in it), ``thread``.

    Example:
        >>> with ne.profiler.profile() as p:
        ...     _ = ne.ones(3).exp()
        >>> e = p.events()[0]; e.name, e.count
        ('ExpFn', 1)
    """

    def __init__(self, name: str, start_ns: int, end_ns: int, shapes: Any, thread: int, kind: str) -> None:
        self.name = self.key = name
        self.start_us, self.end_us = start_ns / 1000.0, end_ns / 1000.0
        self.input_shapes = [list(s) if s is not None else [] for s in shapes] if shapes is not None else []
        self.thread = thread
        self.kind = kind
        self.cpu_time_total = self.end_us - self.start_us
        self.self_cpu_time_total = self.cpu_time_total
        self.count = 1
        self.cpu_children: List[FunctionEvent] = []
        self.cuda_time_total = self.self_cuda_time_total = self.device_time_total = 0.0
        self.self_device_time_total = self.cpu_memory_usage = self.self_cpu_memory_usage = 0

    def __repr__(self) -> str:
        return f"<FunctionEvent {self.name} cpu_time_total={self.cpu_time_total:.1f}us>"


class FunctionEventAvg:
    """Events with one key (and input shapes when grouped by them) summed: ``count``, ``cpu_time_total``,
    ``self_cpu_time_total`` (microseconds), ``cpu_time`` (average per call).

    Example:
        >>> with ne.profiler.profile() as p:
        ...     _ = ne.ones(3).exp()
        >>> a = p.key_averages()[0]; a.key, a.count
        ('ExpFn', 1)
    """

    def __init__(self, key: str, input_shapes: Any) -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cuda_time_total = self.self_cuda_time_total = self.device_time_total = 0.0
        self.self_device_time_total = self.cpu_memory_usage = self.self_cpu_memory_usage = 0

    @property
    def cpu_time(self) -> float:
        """The average CPU time per call (microseconds).

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> a = p.key_averages()[0]; a.cpu_time == a.cpu_time_total / a.count
            True
        """
        return self.cpu_time_total / max(self.count, 1)

    def add(self, e: Any) -> FunctionEventAvg:
        """Fold event (or average) ``e`` in; returns self.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> FunctionEventAvg('all', None).add(p.events()[0]).count
            1
        """
        self.count += e.count
        self.cpu_time_total += e.cpu_time_total
        self.self_cpu_time_total += e.self_cpu_time_total
        return self

    def __repr__(self) -> str:
        return f"<FunctionEventAvg key={self.key} count={self.count} cpu_time_total={self.cpu_time_total:.1f}us>"


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events (or of averages, from :meth:`key_averages`) with torch's ``table`` and export.

    Example:
        >>> with ne.profiler.profile() as p:
        ...     _ = ne.ones(3).exp()
        >>> type(p.events()).__name__, len(p.events())
        ('EventList', 1)
    """

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """One :class:`FunctionEventAvg` per op name (and input shapes), in first-seen order.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> [a.key for a in p.events().key_averages()]
            ['ExpFn']
        """
        groups: Dict[Any, FunctionEventAvg] = {}
        for e in self:
            shapes = str(e.input_shapes) if group_by_input_shape else None
            k = (e.key, shapes)
            if k not in groups:
                groups[k] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape else None)
            groups[k].add(e)
        return EventList(groups.values())

    def total_average(self) -> FunctionEventAvg:
        """All events summed under the key ``"Total"``.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> p.events().total_average().count
            1
        """
        total = FunctionEventAvg("Total", None)
        for e in self:
            total.add(e)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        """The events' self times summed (microseconds).

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> p.events().self_cpu_time_total > 0
            True
        """
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: Optional[str] = None, row_limit: int = 100, max_name_column_width: int = 55,
              header: Optional[str] = None, top_level_events_only: bool = False, **_: Any) -> str:
        """torch's table: name, self CPU % and time, CPU total % and time, average, calls (and shapes when the
        averages were grouped by them), sorted by ``sort_by`` (an attribute such as ``"cpu_time_total"``,
        ``"self_cpu_time_total"``, ``"count"``; device keys sort as zeros), largest first.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> p.events().key_averages().table().splitlines()[1].split()[:3]
            ['Name', 'Self', 'CPU']
        """
        rows = list(self)
        if sort_by is not None:
            if not rows or not hasattr(rows[0], sort_by):
                if rows:
                    raise ValueError(f"sort_by: unknown key {sort_by!r}")
            else:
                rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        total_self = sum(e.self_cpu_time_total for e in self) or 1.0
        shapes = any(getattr(e, "input_shapes", None) for e in rows) and isinstance(rows[0], FunctionEventAvg) \
            and rows[0].input_shapes is not None
        width = max([len("Name")] + [min(len(e.key), max_name_column_width) for e in rows])
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in cols) + ("  " + "-" * 40 if shapes else "")
        out = [header] if header else []
        out += [line, f"{'Name':>{width}}  " + "  ".join(f"{c:>12}" for c in cols)
                + (f"  {'Input Shapes':>40}" if shapes else ""), line]
        for e in rows:
            name = e.key if len(e.key) <= width else e.key[:width - 3] + "..."
            cells = [f"{100 * e.self_cpu_time_total / total_self:.2f}%", _fmt_us(e.self_cpu_time_total),
                     f"{100 * e.cpu_time_total / total_self:.2f}%", _fmt_us(e.cpu_time_total),
                     _fmt_us(e.cpu_time_total / max(e.count, 1)), str(e.count)]
            out.append(f"{name:>{width}}  " + "  ".join(f"{c:>12}" for c in cells)
                       + (f"  {str(e.input_shapes)[:40]:>40}" if shapes else ""))
        out += [line, f"Self CPU time total: {_fmt_us(total_self)}", ""]
        return "\n".join(out)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (JSON ``traceEvents``, complete events), atomically.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> import tempfile; d = tempfile.mkdtemp(); p.events().export_chrome_trace(d + '/t.json')
            >>> os.path.exists(d + '/t.json')
            True
        """
        _write_trace(self, str(path), gzip_it=str(path).endswith(".gz"))


def _write_trace(events: Iterable[FunctionEvent], path: str, gzip_it: bool) -> None:
    pid = os.getpid()
    trace = {"traceEvents": [{"name": e.name, "ph": "X", "cat": e.kind, "ts": e.start_us,
                              "dur": e.cpu_time_total, "pid": pid, "tid": e.thread,
                              "args": {"Input Dims": e.input_shapes}} for e in events],
             "displayTimeUnit": "ms", "deviceProperties": []}
    data = json.dumps(trace).encode()
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(data) if gzip_it else data)
    os.replace(tmp, path)


_ACTIVE: List[profile] = []  # profilers recording now (the tape hook fans out to them)
_lock = threading.Lock()


def _on_op(name: str, t0: int, t1: int, shapes: Any) -> None:
    for p in _ACTIVE:
        p._add(name, t0, t1, shapes, "cpu_op")


def _sync_hook() -> None:
    _tape.set_profiler(_on_op if _ACTIVE else None)


class profile:
    """torch.profiler.profile on the CPU: a context manager (or ``start()``/``stop()``) that times nnengine's
    ops while it records; with ``schedule``, ``step()`` advances it and ``on_trace_ready(prof)`` runs at the end of
    each active cycle. ``record_shapes`` keeps the input shapes; ``events()``, ``key_averages()``,
    ``export_chrome_trace(path)`` read what was recorded (the last cycle with a schedule).

    Example:
        >>> with ne.profiler.profile(record_shapes=True) as prof:
        ...     _ = ne.ones(2, 3) @ ne.ones(3, 4)
        >>> "Input Shapes" in prof.key_averages(group_by_input_shape=True).table(row_limit=5)
        True
    """

    _warned = False

    def __init__(self, *, activities: Optional[Iterable[ProfilerActivity]] = None,
                 schedule: Optional[Callable[[int], ProfilerAction]] = None,
                 on_trace_ready: Optional[Callable[[profile], Any]] = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None, execution_trace_observer: Any = None,
                 acc_events: bool = False, use_cuda: Optional[bool] = None) -> None:
        acts = set(activities) if activities is not None else {ProfilerActivity.CPU}
        for a in acts:
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"activities: expected ProfilerActivity values, got {a!r}")
        if (acts - {ProfilerActivity.CPU} or use_cuda) and not profile._warned:
            profile._warned = True
            warnings.warn("nnengine.profiler: only the CPU is profiled (nnengine runs on the CPU)", stacklevel=2)
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule: expected a callable (profiler.schedule(...)), got {type(schedule).__name__}")
        if on_trace_ready is not None and not callable(on_trace_ready):
            raise TypeError(f"on_trace_ready: expected a callable, got {type(on_trace_ready).__name__}")
        self.activities = acts
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = bool(record_shapes)
        self.acc_events = bool(acc_events)
        self.step_num = 0
        self.current_action = ProfilerAction.RECORD if schedule is None else schedule(0)
        self._events: List[FunctionEvent] = []
        self._done: Optional[EventList] = None
        self._running = False

    # -------------------------------------------------------------- recording
    def _recording(self) -> bool:
        return self._running and self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def _add(self, name: str, t0: int, t1: int, shapes: Any, kind: str) -> None:
        if self._recording():
            self._events.append(FunctionEvent(name, t0, t1, shapes if self.record_shapes else None,
                                              threading.get_ident(), kind))

    def start(self) -> None:
        """Begin profiling (what ``with`` does on entry).

        Example:
            >>> p = ne.profiler.profile(); p.start(); _ = ne.ones(2).exp(); p.stop()
            >>> len(p.events())
            1
        """
        if self._running:
            return
        self._running = True
        with _lock:
            _ACTIVE.append(self)
            _sync_hook()

    def stop(self) -> None:
        """End profiling; without a schedule the recorded events become readable (what ``with`` does on exit).

        Example:
            >>> p = ne.profiler.profile(); p.start(); p.stop(); len(p.events())
            0
        """
        if not self._running:
            return
        if self.schedule is None or self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._finish_cycle()
        self._running = False
        with _lock:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            _sync_hook()

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def step(self) -> None:
        """Mark the end of a training step: the schedule moves on (saving a finished active cycle).

        Example:
            >>> p = ne.profiler.profile(schedule=ne.profiler.schedule(wait=1, warmup=0, active=1)); p.start()
            >>> p.step(); p.current_action.name
            'RECORD_AND_SAVE'
            >>> p.stop()
        """
        prev = self.current_action
        self.step_num += 1
        if self.schedule is None:
            return
        self.current_action = self.schedule(self.step_num)
        if prev == ProfilerAction.RECORD_AND_SAVE or (
                prev in (ProfilerAction.RECORD,) and self.current_action in (ProfilerAction.NONE,
                                                                               ProfilerAction.WARMUP)):
            self._finish_cycle()

    def _finish_cycle(self) -> None:
        events = _nest(self._events)
        self._events = []
        self._done = EventList(list(self._done or []) + events) if self.acc_events else EventList(events)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # -------------------------------------------------------------- results
    def events(self) -> EventList:
        """The recorded events (ops and ``record_function`` ranges), by start time.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> [e.name for e in p.events()]
            ['ExpFn']
        """
        if self._done is None:
            return EventList(_nest(self._events))
        return self._done

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """The events averaged per name (and input shapes): see :meth:`EventList.table`.

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> p.key_averages()[0].count
            1
        """
        return self.events().key_averages(group_by_input_shape)

    def export_chrome_trace(self, path: str) -> None:
        """Write a Chrome trace of the recorded events to ``path`` (gzipped when it ends in ``.gz``).

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> import tempfile; d = tempfile.mkdtemp(); p.export_chrome_trace(d + '/t.json')
            >>> 'traceEvents' in open(d + '/t.json').read()
            True
        """
        self.events().export_chrome_trace(path)

    @property
    def function_events(self) -> EventList:
        """The recorded events (the legacy autograd profiler's name for :meth:`events`).

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> len(p.function_events)
            1
        """
        return self.events()

    def table(self, *args: Any, **kwargs: Any) -> str:
        """``key_averages().table(...)`` (the legacy autograd profiler's spelling).

        Example:
            >>> with ne.profiler.profile() as p:
            ...     _ = ne.ones(3).exp()
            >>> 'ExpFn' in p.table()
            True
        """
        return self.key_averages().table(*args, **kwargs)


def _nest(events: List[FunctionEvent]) -> List[FunctionEvent]:
    """Sort by start and give each event its self time (its total minus that of the events directly inside it,
    on the same thread)."""
    events = sorted(events, key=lambda e: (e.thread, e.start_us, -e.end_us))
    stack: List[FunctionEvent] = []
    for e in events:
        e.cpu_children = []
        e.self_cpu_time_total = e.cpu_time_total
        while stack and (stack[-1].thread != e.thread or stack[-1].end_us <= e.start_us):
            stack.pop()
        if stack and e.end_us <= stack[-1].end_us:
            stack[-1].cpu_children.append(e)
            stack[-1].self_cpu_time_total -= e.cpu_time_total
        stack.append(e)
    return sorted(events, key=lambda e: e.start_us)


class record_function:
    """A named range in the profile (a context manager or a decorator), torch's ``record_function``.

    Example:
        >>> with ne.profiler.profile() as prof:
        ...     with ne.profiler.record_function("my_block"):
        ...         _ = ne.ones(3).exp()
        >>> [e.key for e in prof.key_averages()][:1]
        ['my_block']
    """

    def __init__(self, name: str, args: Optional[str] = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name: expected a str, got {type(name).__name__}")
        self.name = name
        self._t0 = 0

    def __enter__(self) -> record_function:
        self._t0 = time.perf_counter_ns()
        return self

    def __exit__(self, *exc: Any) -> None:
        t1 = time.perf_counter_ns()
        for p in _ACTIVE:
            p._add(self.name, self._t0, t1, None, "user_annotation")

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        name = self.name

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with record_function(name):
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = getattr(fn, "__name__", name), fn.__doc__
        return wrapper


def tensorboard_trace_handler(dir_name: str, worker_name: Optional[str] = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that writes each cycle's trace into ``dir_name`` as
    ``<worker>.<time>.pt.trace.json[.gz]`` (what TensorBoard's profiler plugin reads).

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> with ne.profiler.profile(on_trace_ready=ne.profiler.tensorboard_trace_handler(d)):
        ...     _ = ne.ones(2).exp()
        >>> any(n.endswith(".pt.trace.json") for n in os.listdir(d))
        True
    """
    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        _write_trace(prof.events(), os.path.join(dir_name, name), gzip_it=use_gzip)

    return handler
