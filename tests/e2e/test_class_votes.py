"""Class votes in Chromium (issue 22): a teacher's projector at 1280×720 and two students' phones at 390×844.

A whole round: the teacher starts class votes in presentation mode, the phones open the QR code's link and vote,
the projector counts them as they arrive (never the split), *Show votes* draws the bars, *Vote again* opens a
second round beside the first, *Reveal* puts PyTorch's answer on the projector and on every phone. It runs on one
server with the in-process store, and through nginx with two replicas sharing Redis (the teacher on one
replica, the students on both). Then: Redis stopped mid-vote, and the teacher token in nothing a student gets.
Screenshots of every step go to artifacts/screenshots/class-votes/.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_checks import FAILING, describe, missing_axe, run_axe
from browser_helpers import metric, open_page, settle
from conftest import REPO_ROOT, SCREENSHOTS, require

from gradlab.lesson.prompts import grad_before_backward
from gradlab.runs.stages import run_stages
from gradlab.settings.config import RunConfig
from harness import DIRECT, Server
from harness.nginx import Proxy, missing_nginx, proxy
from harness.redis import RedisServer, missing_redis

pytestmark = pytest.mark.e2e

TEACHER = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
SECRET = {"STREAMLIT_SERVER_COOKIE_SECRET": "gradlab-e2e-class-votes-the-same-secret-on-every-replica"}
QUESTION = grad_before_backward(run_stages(RunConfig()))  # Data Flow's first question
ANSWER = QUESTION.answer  # "None"
SHOTS = SCREENSHOTS / "class-votes"
WAIT_MS = 15_000  # how long a page may take to follow: the phones poll every 2 s, the projector every 0.5 s, and a
# busy test machine may add seconds (a bound on waiting, not a timing assertion; the benchmark measures it)
_CODE = re.compile(r"\b([0-9A-Z]{3}-[0-9A-Z]{4})\b")

# Whether the page needs scrolling, in the window and in Streamlit's own scroll container.
_SCROLLS_JS = """
() => [document.scrollingElement, document.querySelector('[data-testid="stMain"]')]
  .filter((e) => e).map((e) => e.scrollHeight - e.clientHeight)
"""


def assert_accessible(page, where: str) -> None:
    """No critical or serious axe-core finding on `page` now (skipped where axe-core is not installed)."""
    if missing_axe() is not None:
        return
    bad = [v for v in run_axe(page, ()) if v.impact in FAILING]
    assert not bad, f"{where}:\n" + "\n".join(describe(v, v.nodes) for v in bad)


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def box_on_screen(teacher) -> None:
    """Scroll the projector to the top of the class-vote question's box, as a teacher would."""
    box = teacher.locator("[class*='st-key-gl-predict-']").filter(has=teacher.get_by_role("button", name="Reveal"))
    box.first.evaluate("(e) => e.scrollIntoView({block: 'start'})")
    time.sleep(0.3)  # the scroll itself, before a screenshot


def option(phone, letter: str):
    return phone.get_by_role("button", name=re.compile(rf"^{letter} · "))


def tap(phone, letter: str) -> None:
    option(phone, letter).tap()
    settle(phone)


def join_link(teacher) -> str:
    """The link the projector's QR code holds (the SVG's title names it)."""
    title = teacher.locator(".gl-qr title").first.text_content() or ""
    return title.removeprefix("QR code of the join link ").strip()


def assert_fits_a_phone(phone, step: str) -> None:
    overflow = phone.evaluate(_SCROLLS_JS)
    assert max(overflow) <= 1, f"{step}: the phone page scrolls by {overflow} px"


def whole_round(teacher, phones: list, expect, name: str) -> str:
    """Start → join → vote (count live) → show → vote again → show → reveal, with screenshots of each step.

    The phones open the link the QR code holds; returns it.
    """
    button = teacher.get_by_role("button", name="Start class votes")
    button.first.click()
    settle(teacher)
    expect(metric(teacher, "Votes so far")).to_have_text("0")
    link = join_link(teacher)
    code = _CODE.search(teacher.get_by_test_id("stMain").inner_text()).group(1).replace("-", "")
    assert link.endswith(f"/Join?room={code}"), link
    box_on_screen(teacher)
    shoot(teacher, f"{name}-1-start-projector")

    for p in phones:
        open_page(p, "", link)
        expect(p.get_by_text(QUESTION.question)).to_be_visible()
        expect(option(p, "C")).to_be_visible()
        assert_fits_a_phone(p, "voting")
    shoot(phones[0], f"{name}-1-start-phone")
    one, two = phones
    tap(one, "B")
    tap(two, "A")
    tap(two, "B")  # changed: still one vote
    expect(two.get_by_text("Your vote: B · a tensor of zeros", exact=False)).to_be_visible()
    # No click on the projector: its count refreshes itself.
    expect(metric(teacher, "Votes so far")).to_have_text("2", timeout=WAIT_MS)
    assert "a tensor of zeros 2" not in teacher.get_by_test_id("stMain").inner_text()
    box_on_screen(teacher)
    shoot(teacher, f"{name}-2-voting-projector")
    shoot(two, f"{name}-2-voting-phone")
    if name == "one-server":
        assert_accessible(two, "a phone while voting")
        assert_accessible(teacher, "the projector while voting")

    teacher.get_by_role("button", name="Show votes").click()
    settle(teacher)
    chart = teacher.locator("[aria-label*='no answer marked']")
    expect(chart).to_have_count(1)
    assert "B (a tensor of zeros) 2" in chart.get_attribute("aria-label")
    for p in phones:
        expect(p.get_by_text("The votes are on the projector", exact=False)).to_be_visible(timeout=WAIT_MS)
        expect(option(p, "A")).to_have_count(0)  # voting has closed
    box_on_screen(teacher)
    shoot(teacher, f"{name}-3-shown-projector")
    shoot(one, f"{name}-3-shown-phone")
    if name == "one-server":
        assert_accessible(teacher, "the projector with the votes shown")

    teacher.get_by_role("button", name="Vote again").click()
    settle(teacher)
    for p in phones:
        expect(p.get_by_text("Second vote", exact=False)).to_be_visible(timeout=WAIT_MS)
        tap(p, "A")
        assert_fits_a_phone(p, "round 2")
    expect(metric(teacher, "Votes in round 2")).to_have_text("2", timeout=WAIT_MS)
    teacher.get_by_role("button", name="Show votes").click()
    settle(teacher)
    charts = teacher.locator("[aria-label*='no answer marked']")
    expect(charts).to_have_count(2)
    assert "round 1" in charts.nth(0).get_attribute("aria-label")
    assert "round 2" in charts.nth(1).get_attribute("aria-label")
    assert "A (None) 2" in charts.nth(1).get_attribute("aria-label")
    left, right = (charts.nth(i).bounding_box() for i in range(2))
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 5  # side by side
    box_on_screen(teacher)
    shoot(teacher, f"{name}-4-round-two-projector")
    shoot(one, f"{name}-4-round-two-phone")

    teacher.get_by_role("button", name="Reveal", exact=True).click()
    settle(teacher)
    expect(teacher.get_by_text(f"PyTorch: {ANSWER}.", exact=False).first).to_be_visible()
    for p in phones:
        expect(p.get_by_text(f"PyTorch: {ANSWER}. {QUESTION.why}", exact=False)).to_be_visible(timeout=WAIT_MS)
        assert_fits_a_phone(p, "revealed")
    shoot(teacher, f"{name}-5-revealed-projector")
    shoot(two, f"{name}-5-revealed-phone")
    if name == "one-server":
        assert_accessible(two, "a phone after the reveal")
    for p in (teacher, *phones):
        expect(p.get_by_test_id("stException")).to_have_count(0)
    return link


def test_a_whole_round_on_one_server(app_url, new_context, expect):
    teacher = open_page(new_context(**TEACHER).new_page(), app_url, "/Data_Flow?present=1")
    phones = [new_context(**PHONE).new_page() for _ in range(2)]
    whole_round(teacher, phones, expect, "one-server")


# --- two replicas behind nginx, sharing rooms through Redis ------------------------------------------------------
@pytest.fixture(scope="module")
def redis_for_replicas() -> Iterator[RedisServer]:
    require(missing_redis())
    server = RedisServer()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replicas(redis_for_replicas, tmp_path_factory) -> Iterator[tuple[Proxy, list[Server]]]:
    require(missing_nginx())
    logs = tmp_path_factory.mktemp("class-replicas")
    env = {**SECRET, "GRADLAB_REDIS_URL": redis_for_replicas.url}
    servers = [Server("streamlit_app.py", REPO_ROOT, env=env, log_path=logs / f"replica{i}.log") for i in (1, 2)]
    try:
        for s in servers:
            s.wait_healthy()
        with proxy([f"127.0.0.1:{s.port}" for s in servers]) as p:
            yield p, servers
    finally:
        for s in servers:
            s.stop()


def affinity_cookies(p: Proxy) -> dict[str, str]:
    """For each replica's address, an affinity cookie value that nginx's hash sends to it."""
    found: dict[str, str] = {}
    for i in range(64):
        value = f"class-votes-{i}"
        request = urllib.request.Request(f"{p.url}/_stcore/health", headers={"Cookie": f"gradlab_affinity={value}"})
        with DIRECT.open(request, timeout=5) as r:
            assert r.status == 200
        time.sleep(0.05)  # the access log line is written when the request ends
        rows = [row for row in p.access_log() if row[0] == value]
        if rows:
            found.setdefault(rows[-1][1], value)
        if len(found) == 2:
            return found
    pytest.fail(f"no cookie found for each replica: {found}")


def test_a_whole_round_through_nginx_with_two_replicas_and_redis(replicas, browser, expect):
    p, servers = replicas
    host = p.url.split("//")[1]
    cookie_for = affinity_cookies(p)
    first, second = (cookie_for[f"127.0.0.1:{s.port}"] for s in servers)
    contexts = []

    def context(kind: dict, cookie: str):
        ctx = browser.new_context(**kind)
        ctx.set_default_timeout(15_000)
        ctx.add_cookies([{"name": "gradlab_affinity", "value": cookie, "domain": host.split(":")[0], "path": "/"}])
        contexts.append(ctx)
        return ctx.new_page()

    try:
        teacher = open_page(context(TEACHER, first), p.url, "/Data_Flow?present=1")
        phones = [context(PHONE, first), context(PHONE, second)]  # one student beside the teacher, one not
        whole_round(teacher, phones, expect, "replicas")
    finally:
        for ctx in contexts:
            ctx.close()  # nginx logs each WebSocket when it closes
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        streams = {(row[0], row[1]) for row in p.access_log() if "/_stcore/stream" in row[3]}
        if {c for c, _ in streams} >= {first, second}:
            break
        time.sleep(0.2)
    assert {(first, f"127.0.0.1:{servers[0].port}"), (second, f"127.0.0.1:{servers[1].port}")} <= streams


# --- Redis stopped in the middle of a vote -------------------------------------------------------------------------
@pytest.fixture
def server_on_redis(tmp_path) -> Iterator[tuple[Server, RedisServer]]:
    require(missing_redis())
    redis = RedisServer()
    redis.wait_ready()
    s = Server("streamlit_app.py", REPO_ROOT, env={"GRADLAB_REDIS_URL": redis.url}, log_path=tmp_path / "server.log")
    try:
        s.wait_healthy()
        yield s, redis
    finally:
        s.stop()
        redis.stop()


def test_redis_stopped_mid_vote_says_votes_are_unavailable_and_ask_the_room_goes_on(server_on_redis, new_context,
                                                                                     expect):  # fmt: skip
    s, redis = server_on_redis
    teacher = open_page(new_context(**TEACHER).new_page(), s.url, "/Data_Flow?present=1")
    teacher.get_by_role("button", name="Start class votes").click()
    settle(teacher)
    phone = open_page(new_context(**PHONE).new_page(), "", join_link(teacher))
    tap(phone, "A")
    expect(metric(teacher, "Votes so far")).to_have_text("1", timeout=WAIT_MS)

    redis.stop()  # mid-vote
    # The projector's live count says so, and so does the phone's poll.
    expect(teacher.get_by_text("unavailable", exact=False).first).to_be_visible(timeout=WAIT_MS)
    expect(phone.get_by_text("unavailable", exact=False).first).to_be_visible(timeout=WAIT_MS)
    shoot(teacher, "outage-projector")
    shoot(phone, "outage-phone")
    teacher.get_by_role("button", name="Reveal", exact=True).click()  # Ask the room: hands up, then Reveal
    settle(teacher)
    expect(teacher.get_by_text(f"PyTorch: {ANSWER}.", exact=False).first).to_be_visible()
    expect(teacher.get_by_role("heading", name=re.compile(r"^2\. Model"))).to_be_visible()  # the lesson goes on
    for page in (teacher, phone):
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert "Traceback" not in page.content()


# --- the teacher token ------------------------------------------------------------------------------------------
@pytest.fixture
def spied_server(tmp_path) -> Iterator[tuple[Server, Path]]:
    """A server that notes each teacher token it draws in a file (tests/e2e/token_spy/sitecustomize.py)."""
    spy = tmp_path / "tokens.txt"
    env = {"PYTHONPATH": str(Path(__file__).parent / "token_spy"), "GRADLAB_TOKEN_SPY": str(spy)}
    s = Server("streamlit_app.py", REPO_ROOT, env=env, log_path=tmp_path / "server.log")
    try:
        s.wait_healthy()
        yield s, spy
    finally:
        s.stop()


def _received(page) -> list[bytes]:
    """Collect every WebSocket frame the page receives from now on (the app's whole protocol)."""
    frames: list[bytes] = []

    def on_socket(ws) -> None:
        ws.on(
            "framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode())
        )

    page.on("websocket", on_socket)
    return frames


def test_the_teacher_token_is_in_nothing_a_student_gets(spied_server, new_context, expect):
    s, spy = spied_server
    teacher = new_context(**TEACHER).new_page()
    seen_by_teacher = _received(teacher)
    open_page(teacher, s.url, "/Data_Flow?present=1")
    phone_context = new_context(**PHONE)
    phone = phone_context.new_page()
    seen_by_phone = _received(phone)
    responses: list[str] = []
    phone.on("response", lambda r: responses.append(r.url + " " + " ".join(f"{k}: {v}" for k, v in r.headers.items())))
    link = whole_round(teacher, [phone, new_context(**PHONE).new_page()], expect, "token")

    (token,) = spy.read_text().split()  # the one room this test started
    assert len(token) >= 43
    everything = {
        "the page's DOM": phone.content(),
        "its address": phone.url,
        "its links": " ".join(phone.eval_on_selector_all("a[href]", "(as) => as.map((a) => a.href)")),
        "its cookies": repr(phone_context.cookies()) + phone.evaluate("document.cookie"),
        "its storage": phone.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"),
        "the HTTP responses": "\n".join(responses),
        "the join link (the QR code's)": link,
        "the projector's DOM": teacher.content(),
    }
    for what, text in everything.items():
        assert token not in text, f"the teacher token is in {what}"
    frames = b"".join(seen_by_phone)
    assert len(frames) > 10_000 and token.encode() not in frames  # every message the server sent the phone
    assert token.encode() not in b"".join(seen_by_teacher)  # not even to the teacher's own browser
    with contextlib.suppress(Exception):
        phone_context.close()
