"""ui.settings_state: the one owner of the settings' session state, job by job."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from gradlab.settings.links import DEFAULTS
from gradlab.settings.stability import NET_LIMIT_NOTE
from gradlab.settings.userdata import CARD_DATA, parse_dataset, rows_text
from tests.apptest import open_page
from ui.lab import TAB
from ui.lab.data import ERROR, VERSION, entry_key
from ui.settings_state import DATA, DATA_SET, LAST_GOOD, NOTES, SETTING, use_data

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
OWN = parse_dataset([(1.0, 0.0, 2.0), (0.0, 1.0, 3.0)], [0.0, 0.0], 0.0)


def test_every_setting_has_one_session_key():
    assert list(SETTING) == list(DEFAULTS)
    assert len(set(SETTING.values())) == len(SETTING)


@pytest.mark.parametrize("data", [OWN, None, CARD_DATA], ids=["own", "none", "the-cards-own"])
def test_use_data_writes_only_the_settings_own_keys(data):
    """The data tab's keys are the data tab's: setting the data leaves them alone."""
    state = {ERROR: "an old refusal", VERSION: 3, "unrelated": 1}
    use_data(state, data)
    use_data(state, data)
    assert state[ERROR] == "an old refusal" and state[VERSION] == 3 and state["unrelated"] == 1
    assert state[DATA_SET] == 2
    assert state.get(DATA) == (OWN if data is OWN else None)  # the card's own data is no data of one's own
    assert set(state) <= {ERROR, VERSION, "unrelated", DATA, DATA_SET}


def test_the_data_tab_starts_afresh_when_the_data_is_set_elsewhere():
    """A refusal and the typed text go once *Reset settings* (or a link, or Apply) sets the data."""
    at = open_page("grad_lab", {"predict": "0"}, run=False)
    at.session_state[TAB] = "⑦ Your data"
    at.run()
    at.text_area(key=entry_key("rows", 0)).set_value("abc, 1, 1").run()
    next(b for b in at.main.button if b.label == "Apply my data").click().run()
    assert any("`abc` is not a number" in e.value for e in at.error)
    assert at.text_area(key=entry_key("rows", 0)).value == "abc, 1, 1"  # kept to be fixed
    next(b for b in at.sidebar.button if b.label == "Reset settings").click().run()
    assert not at.error and not at.exception
    assert at.text_area(key=entry_key("rows", 1)).value == rows_text(CARD_DATA)  # the card's rows again


def _config_script() -> None:
    import streamlit as st

    from ui.settings_state import run_config

    values = {"lr": 0.02, "epochs": 3, "device": "cpu", "zeroing": "zero", "update": "manual"}
    if st.session_state.get("break"):
        values["lr"] = "abc"
    st.session_state["made"] = run_config(values, None)


def test_settings_that_cannot_make_a_config_fall_back_to_the_last_good_one_with_a_message():
    at = AppTest.from_function(_config_script, default_timeout=30).run()
    good = at.session_state["made"]
    assert good.lr == 0.02 and not at.error
    at.session_state["break"] = True
    at.run()
    assert at.session_state["made"] == good
    assert "can't be used" in at.error[0].value and "last good settings" in at.error[0].value


def test_the_model_flows_from_the_link_to_the_widget_the_config_and_back_to_the_link():
    """`model=net` in a link reaches the session, the sidebar's Model radio and the RunConfig; the radio rewrites it."""
    at = open_page("grad_lab", {"model": "net", "predict": "0"}, run=False)
    at.session_state[TAB] = "⑦ Your data"  # a tab that runs nothing of the model (the pages follow in phase 2b)
    at.run()
    assert not at.exception
    radio = at.sidebar.radio(key="model")
    assert radio.label == "Model" and radio.value == "net"
    assert radio.options == ["linear ŷ = Xw + b", "network (nn.Module)"]
    assert at.session_state[SETTING["model"]] == "net" and at.session_state[LAST_GOOD].model == "net"
    assert any(NET_LIMIT_NOTE in c.value for c in at.sidebar.caption)  # the network has no single stable limit
    radio.set_value("linear").run()
    assert at.session_state[LAST_GOOD].model == "linear" and "model" not in at.query_params
    at.sidebar.radio(key="model").set_value("net").run()
    assert at.session_state[LAST_GOOD].model == "net" and at.query_params["model"] == "net"


def test_an_unknown_model_in_a_link_is_noted_and_falls_back_to_the_linear_model():
    at = open_page("grad_lab", {"model": "resnet", "predict": "0"}, run=False)
    at.session_state[TAB] = "⑦ Your data"
    at.run()
    assert at.sidebar.radio(key="model").value == "linear" and at.session_state[LAST_GOOD].model == "linear"
    assert any("`resnet` is not one of linear, net" in text for text in at.session_state[NOTES])
