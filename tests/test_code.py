"""The card's PyTorch lines have one source, gradlab.runs.code, and every line there does what the runs do."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
import torch

from gradlab.lesson.sentences import first_pass_code, loop_text, step_code
from gradlab.runs import code
from gradlab.runs.grads import update, zero_grads
from gradlab.runs.lifecycle import CODE, SGD_STEP_CODE
from gradlab.runs.model import forward, make_data, make_params, mse
from gradlab.runs.stages import run_stages
from gradlab.runs.stepper import SUBSTEPS, Stepper
from gradlab.settings.config import RunConfig
from gradlab.views.export import to_script

ROOT = Path(__file__).resolve().parents[1]
CARD = RunConfig()


def _tensors(config: RunConfig = CARD) -> dict[str, object]:
    device = torch.device("cpu")
    X, y = make_data(config, device)
    w, b = make_params(config, device)
    return {"torch": torch, "X": X, "y": y, "w": w, "b": b, "lr": config.lr}


def _run(lines: str, space: dict[str, object]) -> dict[str, object]:
    exec(compile(lines, "<card>", "exec"), space)
    return space


def test_the_forward_and_loss_lines_are_what_the_model_computes():
    space = _run(f"{code.FORWARD}\n{code.LOSS}", _tensors())
    X, y, w, b = (space[k] for k in ("X", "y", "w", "b"))
    assert torch.equal(space["y_hat"], forward(X, w, b))
    assert torch.equal(space["loss"], mse(forward(X, w, b), y))
    assert space["loss"].grad_fn is not None  # recorded, like the model's own


@pytest.mark.parametrize("rule", ["manual", "sgd"])
def test_the_update_lines_are_what_the_runs_do(rule: str):
    config = CARD.with_(update=rule)
    shown, ours = _tensors(config), _tensors(config)
    for space in (shown, ours):
        _run(f"{code.FORWARD}\n{code.LOSS}\n{code.BACKWARD}", space)
    if rule == "sgd":
        _run(code.OPTIMIZER, shown)
        ours["opt"] = torch.optim.SGD([ours["w"], ours["b"]], lr=config.lr)
    _run(code.UPDATE[rule], shown)
    update((ours["w"], ours["b"]), config.lr, ours.get("opt"))
    assert torch.equal(shown["w"], ours["w"]) and torch.equal(shown["b"], ours["b"])
    assert shown["w"].is_leaf and not torch.equal(shown["w"].detach(), torch.tensor(CARD.w0))


@pytest.mark.parametrize(("rule", "zeroing"), itertools.product(["manual", "sgd"], ["zero", "none", "never"]))
def test_the_zeroing_lines_are_what_the_runs_do(rule: str, zeroing: str):
    config = CARD.with_(update=rule, zeroing=zeroing)
    shown, ours = _tensors(config), _tensors(config)
    for space in (shown, ours):
        _run(f"{code.OPTIMIZER}\n{code.FORWARD}\n{code.LOSS}\n{code.BACKWARD}", space)
    _run(code.zero_code(rule, zeroing), shown)
    zero_grads((ours["w"], ours["b"]), zeroing, ours["opt"] if rule == "sgd" else None)
    for name in ("w", "b"):
        a, b = shown[name].grad, ours[name].grad
        assert (a is None) == (b is None) and (a is None or torch.equal(a, b)), (name, a, b)


def test_the_step_through_logs_the_same_lines():
    assert [name for name, _ in SUBSTEPS] == list(code.epoch_code(CARD))
    assert dict(SUBSTEPS) == {name: code.one_line(c) for name, c in code.epoch_code(CARD).items()}
    stepper = Stepper(CARD.with_(update="sgd", zeroing="none"))
    logged = {s.name: s.code for s in stepper.step_epoch()}
    assert logged["update"] == code.UPDATE["sgd"] and logged["zero"] == "opt.zero_grad(set_to_none=True)"
    assert code.one_line(code.UPDATE["manual"]) == "with torch.no_grad(): w -= lr * w.grad; b -= lr * b.grad"


def test_the_lab_the_stages_the_script_and_the_sentences_show_the_same_lines():
    assert CODE["forward"] == f"{code.FORWARD}\n{code.LOSS}"
    assert CODE["step"] == code.UPDATE["manual"] and CODE["zero"] == code.ZERO_GRAD
    assert code.OPTIMIZER in SGD_STEP_CODE and code.UPDATE["sgd"] in SGD_STEP_CODE
    assert [s.code.splitlines()[0] for s in run_stages(CARD).stages[2:]] == [code.FORWARD, code.LOSS, code.BACKWARD]
    for rule, zeroing in itertools.product(["manual", "sgd"], ["zero", "none", "never"]):
        script = to_script(CARD.with_(update=rule, zeroing=zeroing))
        for line in (*code.UPDATE[rule].splitlines(), *code.zero_code(rule, zeroing).splitlines()):
            assert f"    {line}\n" in script, line
        for line in (code.FORWARD, code.LOSS, code.BACKWARD):
            assert f"    {line}" in script
        assert ("`" + code.UPDATE["sgd"] + "`" in loop_text(CARD.with_(update=rule))) == (rule == "sgd")
    assert [ln.split("  #")[0].rstrip() for ln in step_code().splitlines()] == [
        code.BACKWARD,
        *code.UPDATE["manual"].splitlines(),
        *code.ZERO_GRAD.splitlines(),
    ]
    assert first_pass_code(run_stages(CARD)).startswith(f"{code.FORWARD}\n{code.LOSS}\n{code.BACKWARD}\n")


def _strings(path: Path) -> list[str]:
    return [n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Constant)]


def test_no_other_module_writes_the_cards_lines_as_text():
    files = [ROOT / "streamlit_app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    files += [p for p in (ROOT / "gradlab").rglob("*.py") if p != ROOT / "gradlab" / "runs" / "code.py"]
    found = [
        f"{p.relative_to(ROOT)}: {s!r}"
        for p in files
        for s in _strings(p)
        if isinstance(s, str) and ("X @ w + b" in s or "** 2).mean()" in s)
    ]
    assert found == []
    assert any("X @ w + b" in s for s in _strings(ROOT / "gradlab" / "runs" / "code.py"))  # the scan can see it
