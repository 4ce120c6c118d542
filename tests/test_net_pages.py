"""Home, Data Flow and Prediction Trace with the network (`model=net`, issue 21): every page renders in normal and
presentation mode, shows the network's numbers as plain PyTorch computes them, and asks before it reveals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gradlab.fmt import num
from gradlab.lesson.net_prompts import net_data_flow_prompts, net_share_sign, net_share_value, net_value_is_asked
from gradlab.lesson.sentences import NET_STEP, nested, net_first_pass_code, net_slope_example, net_step_code
from gradlab.probes.net_backward import non_leaf
from gradlab.probes.net_sample import entry_names, hidden_text, net_sum_table, share_table, trace_net_sample
from gradlab.runs.net_stages import run_net_stages
from gradlab.runs.train import train
from gradlab.settings.config import RunConfig
from tests.apptest import open_page, text_of
from ui.guide import NET_EXPERIMENTS
from ui.net.sample import NET_STEPS

NET = RunConfig(model="net")
SEED = {  # issue 21's starting values, typed here from the issue, not read from gradlab
    "hidden.weight": [[0.5, -0.5], [0.3, -0.2], [-0.4, 0.3]],
    "hidden.bias": [0.0, 0.1, -0.1],
    "out.weight": [[1.0, -1.0, 0.5]],
    "out.bias": [0.0],
}


class PlainNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.out = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.hidden(x)))


def plain(config: RunConfig = NET) -> tuple[PlainNet, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Plain PyTorch's first pass: the model after backward(), the loss, h (retained) and ŷ."""
    model = PlainNet()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(SEED[name]))
    X, y = torch.tensor(config.X), torch.tensor(config.y).view(-1, 1)
    h = model.act(model.hidden(X))
    h.retain_grad()
    y_hat = model.out(h)
    loss = nn.functional.mse_loss(y_hat, y)
    loss.backward()
    return model, loss.detach(), h, y_hat.detach()


def _lock(at, choice: str | None = None, number: float | None = None):
    """Answer the open prediction and commit it (one click, as the browser sends the form)."""
    if number is not None:
        at.main.number_input[0].set_value(number)
    else:
        radio, label = next((r, o) for r in at.main.radio for o in r.options if o.endswith(f" · {choice}"))
        radio.set_value(label)
    next(b for b in at.main.button if b.label == "Lock in my prediction").click().run()
    return at


def _headers(at) -> list[str]:
    return [h.value for h in at.header]


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


# --- the lesson parts the pages show ----------------------------------------------------------------------------


def test_the_seed_figures_are_plain_pytorchs():
    model, loss, _, _ = plain()
    run = run_net_stages(NET)
    assert num(run.loss) == num(float(loss))
    assert num(run.grads["out.bias"][0]) == num(float(model.out.bias.grad[0]))
    assert run.grad_shapes == {n: tuple(p.shape) for n, p in model.named_parameters()}


def test_nested_follows_the_shape_and_refuses_a_wrong_one():
    assert nested((1.0, 2.0, 3.0, 4.0, 5.0, 6.0), (3, 2)) == "[[1, 2], [3, 4], [5, 6]]"
    assert nested((-13.5,), (1,)) == "[-13.5]"
    with pytest.raises(ValueError, match="holds 6 values"):
        nested((1.0, 2.0), (3, 2))


def test_the_first_pass_code_carries_every_grad_or_hides_them_all():
    model, loss, _, _ = plain()
    run = run_net_stages(NET)
    shown = net_first_pass_code(run)
    for name, p in model.named_parameters():
        flat = tuple(p.grad.reshape(-1).tolist())
        assert f"model.{name}.grad  # {nested(flat, tuple(p.shape))}" in shown
    hidden = net_first_pass_code(run, reveal=False)
    assert num(float(model.out.bias.grad[0])) not in hidden and num(float(loss)) in hidden


def test_the_step_code_runs_and_does_what_its_comments_say():
    model, _, _, _ = plain()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    lr = 0.01
    code = "\n".join(NET_STEP[1:])  # backward() already ran in plain()
    exec(code, {"torch": torch, "model": model, "lr": lr})
    for n, p in model.named_parameters():
        assert torch.equal(p.detach(), before[n] - lr * grads[n])  # a step against .grad
        assert p.grad is None  # model.zero_grad() sets to None by default
    assert all(line.split("#")[0].rstrip() in NET_STEP for line in net_step_code().splitlines())


def test_the_slope_example_is_the_real_loss_change():
    _, loss, _, _ = plain()
    model, _, _, _ = plain()
    with torch.no_grad():
        model.out.bias += 1.0
        X, y = torch.tensor(NET.X), torch.tensor(NET.y).view(-1, 1)
        after = float(nn.functional.mse_loss(model(X), y))
    text = net_slope_example(run_net_stages(NET))
    assert text is not None
    assert f"from {num(float(loss))} to {num(after)}, by {num(after - float(loss))}" in text


def test_data_flow_questions_are_asked_before_the_stage_that_answers_them():
    run, facts = run_net_stages(NET), non_leaf(NET)
    asks = net_data_flow_prompts(run, facts)
    assert [p.pid for p in asks[3]] == ["df_net_h_grad"]  # stage 3's table already calls h a non-leaf
    assert {p.pid for p in asks[5]} == {"df_net_hidden_shape", "df_net_sign_out.weight_0_0"}
    model, _, _, _ = plain()
    sign = asks[5][1]
    assert sign.judge({1: "positive", -1: "negative"}[int(torch.sign(model.out.weight.grad[0, 0]))]).correct


def test_the_sample_text_and_shares_are_plain_pytorchs():
    trace = train(NET)
    s = trace_net_sample(trace, 1, 3)
    model, _, _, _ = plain()
    x = torch.tensor(NET.X[3])
    z = model.hidden(x)
    for j, zj in enumerate(z.tolist()):
        assert hidden_text(s).splitlines()[j].endswith(f"= {num(zj)}")
    # This sample's share of each .grad: autograd of its loss term alone, in plain PyTorch.
    model.zero_grad()
    term = (model(x.view(1, 2)) - NET.y[3]) ** 2 / NET.n_samples
    term.sum().backward()
    _, rows = share_table(s)
    by_label = {r[0]: r for r in rows}
    for name, p in model.named_parameters():
        for label, flat in entry_names(s):
            if label.startswith(name + "["):
                assert by_label[label][2] == num(float(p.grad.reshape(-1)[flat]))
    # Σ shares beside .grad: the last column is the first pass's .grad.
    first, _, _, _ = plain()
    _, sums = net_sum_table(s)
    assert sums[-1][-1] == num(float(first.out.bias.grad[0]))


def test_the_share_questions_judge_against_autograd():
    s = trace_net_sample(train(NET), 1, 0)
    _, _, h, y_hat = plain()
    share = float(2 / NET.n_samples * (y_hat[0, 0] - NET.y[0]) * h[0, 0].detach())
    sign, value = net_share_sign(s), net_share_value(s)
    assert sign.judge("positive" if share > 0 else "negative").correct
    assert value.judge(repr(share)).correct and not value.judge(repr(-share)).correct
    assert net_value_is_asked(s, "positive") and not net_value_is_asked(s, "zero")


def test_the_prediction_trace_experiment_is_true_for_the_card():
    assert "row 4" in NET_EXPERIMENTS["Prediction Trace"].text
    trace = train(NET)
    shares = [abs(trace_net_sample(trace, 1, r).share["out.bias"][0]) for r in range(NET.n_samples)]
    assert int(np.argmax(shares)) == 3


# --- the pages in AppTest ----------------------------------------------------------------------------------------


def test_data_flow_asks_then_reveals_the_networks_grad():
    at = open_page("data_flow", {"model": "net"})
    _no_exception(at)
    model, loss, h, _ = plain()
    assert _headers(at)[:2] == ["1. Data input", "2. Model initialisation"]
    assert "3. Forward pass" not in _headers(at)  # waits for the h.grad question
    text = text_of(at)
    assert "is being accessed" not in text and num(float(model.out.bias.grad[0])) not in text
    _lock(at, "a tensor of zeros")  # wrong: h.grad is None
    assert any("You predicted:** a tensor of zeros" in w.value for w in at.warning)
    assert "4. Loss calculation" in _headers(at) and "5. Backward pass" not in _headers(at)
    assert f"tensor({float(loss):.4f}" in text_of(at)  # the loss as PyTorch prints it (stage 4)
    _lock(at, "[3, 2]")
    assert "5. Backward pass" not in _headers(at)
    _lock(at, "negative")  # wrong: out.weight.grad[0, 0] is positive on the card's data
    _no_exception(at)
    assert "5. Backward pass" in _headers(at)
    text = text_of(at)
    for metric in at.metric:
        if metric.label == "out.bias.grad":
            assert metric.value == nested((float(model.out.bias.grad[0]),), (1,))
        if metric.label == "loss":
            assert metric.value == num(float(loss))
    assert f"{float(model.out.bias.grad[0]):.4f}" in text  # the seed figure, −13.2678, as computed
    assert "is being accessed" in text  # PyTorch's own warning for h.grad
    for value in h.grad.reshape(-1).tolist():
        assert num(value) in text  # h.grad after retain_grad()
    assert "The hook received exactly the tensor" in text


@pytest.mark.parametrize("query", [{"predict": "0"}, {"present": "1", "predict": "0"}])
def test_data_flow_without_questions_shows_everything(query):
    at = open_page("data_flow", {"model": "net", **query})
    _no_exception(at)
    headers = _headers(at)
    assert "5. Backward pass" in headers and any("h.grad" in h for h in headers)
    assert not any(b.label == "Lock in my prediction" for b in at.main.button)


def test_data_flow_projected_asks_the_room_and_reveals_on_request():
    at = open_page("data_flow", {"model": "net", "present": "1"})
    _no_exception(at)
    assert any("Ask the room" in m.value for m in at.markdown) and not at.main.radio
    for _ in range(3):
        assert "5. Backward pass" not in _headers(at)
        next(b for b in at.main.button if b.label == "Reveal").click().run()
        _no_exception(at)
    assert "5. Backward pass" in _headers(at)


def test_home_keeps_the_networks_grad_until_data_flow_was_answered():
    at = open_page("home", {"model": "net"})
    _no_exception(at)
    model, loss, _, _ = plain()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["loss"] == num(float(loss)) and metrics["out.bias.grad"] == "?"
    assert metrics["hidden.weight.grad shape"] == "?"
    assert num(float(model.out.bias.grad[0])) not in text_of(at)
    assert "model.zero_grad()" in text_of(at)  # the network's step, not w and b's
    at.switch_page("pages/1_Data_Flow.py").run()
    _lock(_lock(_lock(at, "None"), "[3, 2]"), "positive")
    at.switch_page("streamlit_app.py").run()
    _no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["out.bias.grad"] == nested((float(model.out.bias.grad[0]),), (1,))
    assert metrics["hidden.weight.grad shape"] == "[3, 2]"


@pytest.mark.parametrize("query", [{"predict": "0"}, {"present": "1"}])
def test_home_renders_with_the_network(query):
    at = open_page("home", {"model": "net", **query})
    _no_exception(at)
    assert "The worked example, live: the network" in _headers(at)


def test_prediction_trace_asks_sign_then_value_before_the_shares():
    at = open_page("prediction_trace", {"model": "net"})
    _no_exception(at)
    assert _headers(at)[:5] == list(NET_STEPS[:5])
    assert NET_STEPS[5] not in _headers(at)
    _lock(at, "positive")
    assert NET_STEPS[5] not in _headers(at)
    _lock(at, number=5.0)  # far from the true share
    _no_exception(at)
    assert NET_STEPS[5] in _headers(at) and NET_STEPS[6] in _headers(at)
    model, _, h, y_hat = plain()
    share = float(2 / NET.n_samples * (y_hat[0, 0] - NET.y[0]) * h[0, 0].detach())
    assert any(num(share) in w.value for w in at.warning)
    assert num(float(model.out.bias.grad[0])) in text_of(at)  # .grad beside Σ shares


@pytest.mark.parametrize("query", [{"present": "1"}, {"predict": "0"}, {"lr": "0.5", "zeroing": "never"}])
def test_prediction_trace_renders_with_the_network(query):
    at = open_page("prediction_trace", {"model": "net", **query})
    _no_exception(at)
    assert _headers(at)[:5] == list(NET_STEPS[:5])
    if query.get("zeroing") == "never":
        trace = train(NET.with_(lr=0.5, zeroing="never"))
        assert trace.end_loss > trace.start_loss  # the run this case is about diverged
        assert any("Training diverged" in w.value for w in at.warning)


def test_the_networks_graph_has_node_ids_graphviz_can_parse():
    import re

    from gradlab.probes.graph import graph_for_net

    graph = graph_for_net(NET)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n.node_id) for n in graph.nodes)  # DOT's unquoted ID
    assert {n.label.split(" (leaf)")[0] for n in graph.nodes if n.kind == "leaf"} == set(SEED)


def test_the_sum_table_keeps_its_width_for_many_rows():
    rows = tuple((0.1 * r, 1.0 - 0.05 * r) for r in range(20))
    config = NET.with_(X=rows, y=tuple(float(r % 3) for r in range(20)))
    s = trace_net_sample(train(config), 1, 5)
    header, table = net_sum_table(s)
    assert header == ["entry", "row 6 (this sample)", "the other 19 rows", "Σ shares", ".grad"]
    last = table[-1]  # out.bias: the shares add up to .grad
    assert float(last[1]) + float(last[2]) == pytest.approx(float(last[3]), abs=1e-4)
    assert last[4] == num(s.grads["out.bias"][0])


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")
@pytest.mark.parametrize("name", ["data_flow", "prediction_trace", "home"])
def test_the_network_pages_on_cuda(name):
    at = open_page(name, {"model": "net", "device": "cuda", "predict": "0"})
    _no_exception(at)
    if name == "prediction_trace":
        s_gpu = trace_net_sample(train(NET.with_(device="cuda")), 1, 0)
        s_cpu = trace_net_sample(train(NET), 1, 0)
        for n in s_cpu.share:
            assert np.allclose(s_gpu.share[n], s_cpu.share[n], rtol=1e-5, atol=1e-6)
    else:
        assert "cuda" in text_of(at)  # the tensors' device (Data Flow), the worked example's (Home)
        _, loss, _, _ = plain()
        metrics = {m.label: m.value for m in at.metric}
        assert float(metrics["loss"]) == pytest.approx(float(loss), rel=1e-5)


def test_a_pre_activation_that_is_zero_in_decimals_says_why_float32_gives_otherwise():
    """z[1] = 0.3·1 + (-0.2)·2 + 0.1 is 0 in decimals; plain PyTorch's float32 sum is not, and the line says why."""
    from gradlab.probes.net_sample import hidden_text, trace_net_sample
    from gradlab.runs.train import train
    from gradlab.settings.config import RunConfig

    z1 = (torch.tensor(0.3) * 1 + torch.tensor(-0.2) * 2 + torch.tensor(0.1)).item()
    lines = hidden_text(trace_net_sample(train(RunConfig(model="net")), 1, 0)).splitlines()
    assert z1 != 0 and "float32 stores them only approximately" in lines[1]
    assert "approximately" not in lines[0] + lines[2]  # -0.5 and 0.1 are not near-cancellations
