"""nnengine.profiler (torch.profiler) and nnengine.autograd.profiler: ops and backward nodes timed, ranges and
self times, the schedule and on_trace_ready against torch's, the table, the Chrome trace, and the official
profiler recipe run with only its imports changed."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from test_torch_scripts import run

import nnengine as ne
import nnengine.nn as nn
from nnengine.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


def _work():
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    x = ne.randn(4, 8)
    return m, x


def test_ops_ranges_and_self_times():
    m, x = _work()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("step"):
            with record_function("fwd"):
                out = m(x)
            out.sum().backward()
    ev = prof.events()
    names = [e.name for e in ev]
    assert "step" in names and "fwd" in names and any(n.endswith("Backward") for n in names)
    step = next(e for e in ev if e.name == "step")
    fwd = next(e for e in ev if e.name == "fwd")
    assert fwd in step.cpu_children and fwd.cpu_time_total <= step.cpu_time_total
    inner = sum(c.cpu_time_total for c in step.cpu_children)
    assert step.self_cpu_time_total == pytest.approx(step.cpu_time_total - inner, abs=1e-6)
    assert all(e.self_cpu_time_total >= -1e-6 for e in ev)
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["step"].count == 1 and sum(a.count for a in avg.values()) == len(ev)
    grouped = prof.key_averages(group_by_input_shape=True)
    assert any(a.input_shapes and a.input_shapes[0] == [4, 8] for a in grouped)
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and lines[3].split()[0] == "step" and len(lines) == 3 + 3 + 2  # header, rows, rule and total
    with pytest.raises(ValueError, match="sort_by"):
        prof.key_averages().table(sort_by="nope")
    assert prof.key_averages().table(sort_by="self_cuda_time_total")  # device keys sort as zeros
    assert ne._tape.set_profiler(None) is None  # the hook is gone after the profile
    with pytest.raises(TypeError, match="callable"):
        ne._tape.set_profiler(3)


def test_nothing_recorded_outside_and_when_disabled():
    m, x = _work()
    m(x)
    with ne.autograd.profiler.profile(enabled=False) as prof:
        m(x)
    assert len(prof.function_events) == 0
    import nnengine.autograd.profiler as legacy  # the submodule spelling works too

    with legacy.profile(record_shapes=True) as prof:
        m(x)
    assert prof.total_average().count == len(prof.function_events) > 0 and prof.self_cpu_time_total > 0


@pytest.mark.parametrize("kw", [dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=0, active=1, repeat=3),
                                dict(skip_first=3, wait=2, warmup=1, active=3, repeat=2)])
def test_schedule_and_trace_ready_match_torch(torch, kw):
    ours, theirs = schedule(**kw), torch.profiler.schedule(**kw)
    assert [ours(i).name for i in range(25)] == [theirs(i).name for i in range(25)]
    calls = {}
    for lib, mod in (("ne", ne), ("torch", torch)):
        seen = []
        with mod.profiler.profile(activities=[mod.profiler.ProfilerActivity.CPU], schedule=mod.profiler.schedule(**kw),
                                  on_trace_ready=lambda p, seen=seen: seen.append(p.step_num)) as p:
            for _ in range(12):
                mod.ones(3).exp()
                p.step()
        calls[lib] = seen
    assert calls["ne"] == calls["torch"]
    with pytest.raises(ValueError, match="active"):
        schedule(wait=1, warmup=0, active=0)
    assert schedule(wait=0, warmup=1, active=1)(0) is ProfilerAction.WARMUP


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    m, x = _work()
    with profile(on_trace_ready=ne.profiler.tensorboard_trace_handler(str(tmp_path / "tb"), worker_name="w")) as prof:
        m(x).sum().backward()
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    trace = json.loads((tmp_path / "t.json").read_text())
    evs = trace["traceEvents"]
    assert evs and all(e["ph"] == "X" and e["dur"] >= 0 for e in evs)
    files = os.listdir(tmp_path / "tb")
    assert len(files) == 1 and files[0].startswith("w.") and files[0].endswith(".pt.trace.json")
    assert not any(n.endswith(".tmp") or ".tmp" in n for n in os.listdir(tmp_path))


def test_record_function_decorator_and_threads():
    @record_function("decorated")
    def f(a):
        return a.exp()

    with profile() as prof:
        f(ne.ones(2))
    assert [e.name for e in prof.events()][0] == "decorated"
    assert np.isfinite(prof.events()[0].cpu_time_total)


RECIPE = '''
import torch
import torchvision.models as models
from torch.profiler import profile, ProfilerActivity, record_function

model = models.resnet18()
inputs = torch.randn(5, 3, 224, 224)

with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        model(inputs)

print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
print(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10))

with profile(activities=[ProfilerActivity.CPU],
        profile_memory=True, record_shapes=True) as prof:
    model(inputs)

print(prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=10))
print(prof.key_averages().table(sort_by="cpu_memory_usage", row_limit=10))

with profile(activities=[ProfilerActivity.CPU]) as prof:
    model(inputs)

prof.export_chrome_trace("trace.json")

from torch.profiler import schedule

my_schedule = schedule(
    skip_first=10,
    wait=5,
    warmup=1,
    active=3,
    repeat=2)

def trace_handler(p):
    output = p.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    print(output)
    p.export_chrome_trace("trace_" + str(p.step_num) + ".json")

saved = []
with profile(
    activities=[ProfilerActivity.CPU],
    schedule=torch.profiler.schedule(
        wait=1,
        warmup=1,
        active=2),
    on_trace_ready=lambda p: (trace_handler(p), saved.append(p.step_num))
) as p:
    for idx in range(8):
        model(inputs)
        p.step()
print("RESULT saves=%d first=%d" % (len(saved), saved[0]))
'''


def test_profiler_recipe(torch, tmp_path):
    """recipes_source/recipes/profiler_recipe.py (its CPU parts; torchvision's resnet18 as nnengine.vision's)."""
    from test_torch_scripts import result

    ours = run(RECIPE, "nnengine", tmp_path, torchvision=True)
    assert "model_inference" in ours and "Conv2dFn" in ours and "Self CPU time total" in ours
    assert result(ours) == {"saves": 2.0, "first": 4.0}
    assert json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    assert (tmp_path / "trace_4.json").exists() and (tmp_path / "trace_8.json").exists()
