"""Two replicas behind Debian's nginx with the committed deploy/nginx configuration: a learner stays on one.

Streamlit keeps a session's state in the process that opened it, so page switches, lab clicks and a download
only work if every request of that learner reaches the same replica. The proxy's access log names the replica
that served each request.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from browser_helpers import lettered_option, metric, open_page, settle, sidebar
from conftest import REPO_ROOT, require

from gradlab.settings.config import RunConfig
from harness import DIRECT, Server
from harness.nginx import Proxy, missing_nginx, proxy
from tests.quizruns import fresh_quiz

pytestmark = pytest.mark.e2e

SECRET = {"STREAMLIT_SERVER_COOKIE_SECRET": "gradlab-e2e-the-same-secret-on-every-replica"}
W_GRAD = "-37.5"  # w.grad[0] after one forward + backward on the card's data


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, list[Server]]]:
    require(missing_nginx())
    logs = tmp_path_factory.mktemp("replicas")
    servers = [Server("streamlit_app.py", REPO_ROOT, env=SECRET, log_path=logs / f"replica{i}.log") for i in (1, 2)]
    try:
        for s in servers:
            s.wait_healthy()
        with proxy([f"127.0.0.1:{s.port}" for s in servers]) as p:
            yield p, servers
    finally:
        for s in servers:
            s.stop()


def test_a_learner_stays_on_one_replica_through_pages_a_lab_click_and_a_download(replicas, new_context, expect):
    p, servers = replicas
    context = new_context(accept_downloads=True)
    page = open_page(context.new_page(), p.url, "/Training_Trace?epochs=7&predict=0")
    sidebar(page).get_by_role("link", name="Grad Lab", exact=True).click()
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text("Grad Lab")
    settle(page)
    lab = page.get_by_role("tabpanel", name="① .grad lifecycle")
    for label in ("forward + loss", "backward()"):
        lab.get_by_role("button", name=label, exact=True).click()
        settle(page)
    expect(lab.get_by_test_id("stTable").first).to_contain_text(W_GRAD)

    sidebar(page).get_by_role("link", name="Training Trace", exact=True).click()
    expect(page.get_by_test_id("stMain").locator("h1").first).to_have_text("Training Trace")
    settle(page)
    page.get_by_text("Download this run", exact=False).first.click()
    csv_button = page.get_by_role("button", name="Download the trace as CSV")
    expect(csv_button).to_be_enabled()  # the popover is open and its button drawn before the click
    with page.expect_download(timeout=30_000) as download:
        csv_button.click()
    csv = download.value.path().read_text()
    assert csv.startswith("epoch,loss") and len(csv.strip().splitlines()) == 1 + 7

    sidebar(page).get_by_role("link", name="Grad Lab", exact=True).click()
    settle(page)
    expect(page.get_by_role("tabpanel", name="① .grad lifecycle").get_by_test_id("stTable").first).to_contain_text(
        W_GRAD
    )  # the lab's live tensors are still there: the same process served every page

    (cookie,) = [c["value"] for c in context.cookies() if c["name"] == "gradlab_affinity"]
    context.close()  # nginx logs the WebSocket when it closes
    mine = wait_for_log(p, lambda rows: any("/_stcore/stream" in r[3] for r in rows if r[0] == cookie))
    mine = [row for row in mine if row[0] == cookie]
    assert len({row[1] for row in mine}) == 1, mine  # every request of this learner: one replica
    assert {row[1] for row in mine} <= {f"127.0.0.1:{s.port}" for s in servers}


def wait_for_log(p: Proxy, done: Callable[[list[tuple[str, str, str, str]]], bool]) -> list[tuple[str, str, str, str]]:
    """The access log once `done` holds for it (nginx writes a line when a request ends), at most 10 s."""
    deadline = time.monotonic() + 10
    while not done(rows := p.access_log()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return rows


def test_new_learners_are_spread_over_the_replicas(replicas):
    p, servers = replicas
    for _ in range(16):  # no cookie: each is a new learner
        with DIRECT.open(f"{p.url}/_stcore/health", timeout=5) as r:
            assert r.status == 200
    used = {row[1] for row in p.access_log() if "/_stcore/health" in row[3]}
    assert used == {f"127.0.0.1:{s.port}" for s in servers}


def _affinity_for(p: Proxy, replica: str) -> str:
    """An affinity id that nginx's hash sends to `replica` (found by asking the proxy, as a browser would)."""
    for i in range(64):
        cookie = f"gradlab-e2e-learner-{i}"
        req = urllib.request.Request(f"{p.url}/_stcore/health", headers={"Cookie": f"gradlab_affinity={cookie}"})
        with DIRECT.open(req, timeout=5) as r:
            assert r.status == 200
        served = wait_for_log(p, lambda rows, c=cookie: any(r[0] == c for r in rows))
        if any(r[0] == cookie and r[1] == replica for r in served):
            return cookie
    raise AssertionError(f"no affinity id among 64 reached {replica}")


def test_progress_is_the_browsers_so_every_replica_restores_it_and_two_tabs_merge(replicas, new_context, expect):
    """Issue 19 §4: two tabs of one browser on different replicas keep each other's work, and reloads restore it."""
    p, servers = replicas
    first, second = (_affinity_for(p, f"127.0.0.1:{s.port}") for s in servers)
    quiz = fresh_quiz(RunConfig())
    q1 = quiz[0]
    wrong = next(o for o in q1.options if o != q1.right)
    context = new_context()
    host = urllib.parse.urlsplit(p.url).hostname

    def pin(cookie: str) -> None:
        context.add_cookies([{"name": "gradlab_affinity", "value": cookie, "domain": host, "path": "/"}])

    pin(first)
    one = open_page(context.new_page(), p.url, "/Training_Trace")  # its WebSocket stays on the first replica
    pin(second)
    two = open_page(context.new_page(), p.url, "/Quiz")  # the second replica
    card = two.locator(f".st-key-quiz-q-{q1.qid}")
    card.get_by_test_id("stRadioOption").filter(has=two.get_by_text(lettered_option(wrong))).click()
    settle(two)
    check = card.get_by_role("button", name="Check", exact=False)
    if check.count():
        check.first.click()
        settle(two)
    sidebar(one).get_by_role("link", name="Data Flow", exact=True).click()  # tab 1 writes its progress
    settle(one)

    for page, cookie in ((two, second), (one, first)):  # each reload is a new session, on its own replica
        pin(cookie)
        page.goto(f"{p.url}/Quiz")
        settle(page)
        expect(page.locator(f".st-key-quiz-q-{q1.qid}").get_by_text("Not quite", exact=False)).to_be_visible()
        expect(metric(page, "first try")).to_have_text(f"0 / {len(quiz)}")
    log = p.access_log()
    for cookie, s in ((first, servers[0]), (second, servers[1])):
        assert {r[1] for r in log if r[0] == cookie} == {f"127.0.0.1:{s.port}"}
