"""``torch.autograd.profiler`` (the legacy spelling of the profiler): ``profile``, ``record_function`` and the
event classes, on :mod:`nnengine.profiler`. Also importable as ``nnengine.autograd.profiler``.

Example:
    >>> with ne.autograd.profiler.profile() as prof:
    ...     _ = ne.ones(3).exp()
    >>> prof.key_averages()[0].count
    1
"""

from __future__ import annotations

from typing import Any, Optional

from .profiler import EventList, FunctionEvent, FunctionEventAvg, ProfilerActivity, record_function
from .profiler import profile as _profile

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):
    """``torch.autograd.profiler.profile(enabled=True, *, use_cuda=False, record_shapes=False, ...)``: records
    while ``enabled``; read it with ``key_averages()``, ``table()``, ``function_events``, ``total_average()``,
    ``self_cpu_time_total``, ``export_chrome_trace``.

    Example:
        >>> with ne.autograd.profiler.profile(record_shapes=True) as prof:
        ...     _ = ne.ones(2, 2).sum()
        >>> prof.total_average().count >= 1
        True
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: Optional[str] = None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config: Any = None, acc_events: bool = False,
                 custom_trace_id_callback: Any = None) -> None:
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if use_cuda or use_device else [])
        super().__init__(activities=acts, record_shapes=record_shapes, acc_events=acc_events)
        self.enabled = bool(enabled)

    def start(self) -> None:
        if self.enabled:
            super().start()

    def total_average(self) -> FunctionEventAvg:
        """Every event summed (key ``"Total"``)."""
        return self.events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of the events' self times (microseconds)."""
        return self.events().self_cpu_time_total
