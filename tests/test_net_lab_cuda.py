"""The network's Grad Lab on CUDA: the lifecycle, the walk, the check and the pitfalls run on the device and agree
with the CPU within float32 tolerance. Skipped, with the reason, where there is no CUDA device."""

from __future__ import annotations

import pytest
import torch

from gradlab.probes.net_pitfall_outcomes import run_all_net, target_for
from gradlab.probes.net_verify import gradient_check_net
from gradlab.probes.net_walk import walk_net
from gradlab.runs.net_lifecycle import NetLifecycle
from gradlab.settings.config import RunConfig

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)"),
]
CPU, GPU = RunConfig(model="net"), RunConfig(model="net", device="cuda")


def test_the_lifecycle_runs_on_the_device_and_matches_the_cpu():
    cpu, gpu = NetLifecycle(CPU), NetLifecycle(GPU)
    assert gpu.device.type == "cuda" and all(p.device.type == "cuda" for p in gpu.model.parameters())
    for action in ("forward", "backward", "step", "forward", "backward", "backward_again"):
        a, b = cpu.run(action), gpu.run(action)
        assert (a.ok, a.raised_by) == (b.ok, b.raised_by), action
        for name, g in a.grads.items():
            assert g is not None and b.grads[name] is not None
            assert torch.allclose(torch.tensor(g), torch.tensor(b.grads[name]), rtol=1e-5, atol=1e-5)


def test_the_walk_check_and_pitfalls_on_the_device():
    assert walk_net(GPU).accumulate_matches
    assert gradient_check_net(GPU).device.startswith("cuda") and gradient_check_net(GPU).agrees
    assert str(target_for(GPU)).startswith("cuda")
    outcomes = {p.key: p for p in run_all_net(GPU)}
    assert outcomes["net_tensor_to"].behaviour == "warning" and "ToCopyBackward0" in outcomes["net_tensor_to"].outcome
    assert outcomes["net_frozen_in_optimizer"].behaviour == "silent"
