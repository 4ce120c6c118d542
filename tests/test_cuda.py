"""The lesson on a real GPU: every page and lab tab, the quiz, the lab's clicks, the nudge and the backward()
walk run on CUDA and agree with the CPU. Skipped, with the reason, where there is no CUDA device."""

from __future__ import annotations

import pytest
import torch

from gradlab.probes.chain import walk_backward
from gradlab.probes.nudge import nudge
from gradlab.runs.lifecycle import GradLifecycle
from gradlab.settings.config import RunConfig
from tests.apptest import PAGES, assert_specs_finite, open_page, text_of
from tests.quizruns import fresh_quiz
from ui.lab import TAB

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)"),
]

CPU, GPU = RunConfig(), RunConfig(device="cuda")
TABS = (
    "① .grad lifecycle", "② Step-through training", "③ Loss landscape", "④ Autograd graph",
    "⑤ Gradient check", "⑥ Pitfalls", "⑦ Your data", "⑧ Inside nn.Module",
)  # fmt: skip


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_runs_on_cuda_without_a_fallback_note(name: str):
    at = open_page(name, {"device": "cuda", "predict": "0"})
    assert not at.exception
    assert "CUDA is not available" not in text_of(at)
    assert_specs_finite(at)


def test_every_grad_lab_tab_runs_on_cuda():
    at = open_page("grad_lab", {"device": "cuda", "predict": "0"})
    for tab in TABS:
        at.session_state[TAB] = tab
        at.run()
        assert not at.exception, tab
        assert_specs_finite(at)


def test_data_flow_tensors_live_on_the_gpu():
    at = open_page("data_flow", {"device": "cuda", "predict": "0"})
    devices = {
        d.split(" / ")[1] for t in at.table if "dtype / device" in t.value.columns for d in t.value["dtype / device"]
    }
    assert devices == {"cuda:0"}


def test_lab_clicks_on_cuda_give_the_cpu_grads():
    grads = []
    for cfg in (CPU, GPU):
        lab = GradLifecycle(cfg)
        for action in ("forward", "backward", "backward_again"):
            event = lab.run(action)
        assert event.ok
        grads.append(event.w_grad)
    assert grads[0] == grads[1] == (-75.0, -101.0)  # exact in binary on both


def test_quiz_answer_keys_on_cuda_match_the_cpu_within_float32():
    cpu = {q.qid: q for q in fresh_quiz(CPU)}
    gpu = {q.qid: q for q in fresh_quiz(GPU)}
    assert cpu.keys() == gpu.keys()
    for qid in ("data_loss", "data_b_grad", "data_twice", "live_diverges"):
        assert cpu[qid].right == gpu[qid].right, qid


def test_nudge_and_walk_on_cuda_agree_with_the_cpu():
    a = nudge(CPU, CPU.w0, CPU.b0, "w1", 1.0)
    b = nudge(GPU, GPU.w0, GPU.b0, "w1", 1.0)
    assert (a.loss, a.grad, a.new_loss) == (b.loss, b.grad, b.new_loss) == (47.25, -37.5, 17.25)
    assert b.device.startswith("cuda")
    cpu_walk, gpu_walk = walk_backward(CPU), walk_backward(GPU)
    assert gpu_walk.device.startswith("cuda")
    assert sorted(s.node for s in cpu_walk.steps) == sorted(s.node for s in gpu_walk.steps)
    assert all(s.agrees for s in gpu_walk.steps)
