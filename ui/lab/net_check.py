"""Grad Lab ⑤ for the network: every parameter's `.grad` against float64 autograd, central finite differences and
`torch.autograd.gradcheck` in float64 (gradlab.probes.net_verify), at any epoch."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gradlab.fmt import num
from gradlab.probes.net_verify import NetGradCheck
from gradlab.runs.trace import Trace
from ui.cache import get_net_check
from ui.panels import CHECK_EPOCH_DEFAULT


def check_frame(check: NetGradCheck) -> pd.DataFrame:
    """One row per parameter entry: the three gradients and the two differences beside what rounding explains."""
    return pd.DataFrame(
        {
            "parameter": [f"{r.param}{list(r.index)}" for r in check.rows],
            ".grad (float32)": [num(r.autograd32) for r in check.rows],
            "autograd float64": [num(r.autograd64) for r in check.rows],
            "finite difference": [num(r.finite_diff) for r in check.rows],
            "|f64 − f32|": [num(r.autograd_diff, 2) for r in check.rows],
            "rounding bound": [num(r.rounding_bound, 2) for r in check.rows],
            "|fd − f64|": [num(r.fd_diff, 2) for r in check.rows],
            "fd bound": [num(r.fd_bound, 2) for r in check.rows],
        }
    ).set_index("parameter")


def net_check_tab(trace: Trace) -> None:
    """An epoch box and the network's check at that epoch's parameters."""
    epoch = int(
        st.number_input("Epoch", 1, len(trace), min(CHECK_EPOCH_DEFAULT, len(trace)), key=f"lab_net_check_{len(trace)}")
    )
    check = get_net_check(trace, epoch)
    st.markdown(
        f"At epoch {epoch}'s parameters (on **{check.device}**): each entry of every parameter's `.grad` "
        "as autograd computed it in float32, beside autograd in float64 and a central finite difference in float64 "
        "on the same float32 values of X, y and the parameters."
    )
    st.table(check_frame(check))
    settings = ", ".join(f"{k}={v:g}" for k, v in check.gradcheck_settings.items())
    passed = [n for n, ok in check.gradcheck.items() if ok]
    failed = [n for n, ok in check.gradcheck.items() if not ok]
    st.markdown(
        f"`torch.autograd.gradcheck` in float64 ({settings}): "
        + (f"passed for {', '.join(passed)}" if passed else "passed for no parameter")
        + (f"; **failed** for {', '.join(failed)}" if failed else "")
        + f"; all four together: **{'passed' if check.gradcheck_all else 'failed'}**."
    )
    worst = check.max_diffs()
    lines = [
        f"- `{n}`: max |float64 − float32| = {num(a, 2)}, max |finite difference − float64| = {num(f, 2)}"
        for n, (a, f) in worst.items()
    ]
    st.markdown("\n".join(lines))
    if check.agrees:
        st.caption(
            "Every difference is within what float32 rounding (for autograd) and the difference quotient's "
            "truncation and float64 rounding (for finite differences) can produce here, and gradcheck passed."
        )
    else:
        st.warning(
            "Not every difference is within its bound"
            + ("" if check.gradcheck_all and all(check.gradcheck.values()) else ", or gradcheck failed")
            + ": see the table."
        )
