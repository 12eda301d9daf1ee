"""Load test: simulated staff against a real ASGI server (uvicorn), over a realistic mix of pages and writes.

Each simulated staff member is a thread with its own keep-alive HTTP connection and signed-in session, looping
until the deadline with at most one request in flight. With ``think=0`` it is a closed loop without think time
(the next request leaves as soon as the answer arrives: on a small machine the queue, not the page, sets the
latency). With ``think=T`` each staff member pauses after every answer for a random time, exponential with mean
T seconds (staff read a page before the next click), and starts after such a pause. Writes
go through the real forms: the attendance sheet is fetched, every attended row's modality toggled between in
person and video (with a correction reason) and posted; a draft note the staff member wrote is fetched and signed.
"""

from __future__ import annotations

import http.client
import random
import statistics
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

from htmlforms import form_fields


@dataclass
class Actor:
    """One staff login: its cookie and the URLs it may open."""

    cookie: dict[str, str]
    charts: list[str]
    sheets: list[str]
    drafts: list[str] = field(default_factory=list)  # note pages of drafts this user wrote


@dataclass
class Sample:
    label: str
    status: int
    ms: float


class Browser:
    def __init__(self, host: str, port: int, cookie: dict[str, str]) -> None:
        self.host, self.port, self.cookies = host, port, dict(cookie)
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn = None  # a keep-alive connection the server closed: retry once on a new one
                if attempt == 2:
                    raise
        ms = (time.perf_counter() - started) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, ms

    def get(self, path: str) -> tuple[int, str, float]:
        return self._request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str, float]:
        return self._request("POST", path, urllib.parse.urlencode(fields))


def _no_pause() -> None:
    return None


def _mark(browser: Browser, actor: Actor, rng: random.Random, out: list[Sample], pause=_no_pause) -> None:
    sheet = rng.choice(actor.sheets)
    status, html, ms = browser.get(sheet)
    out.append(Sample("attendance sheet", status, ms))
    if status != 200:
        return
    pause()  # the facilitator reads the sheet before saving it
    action, fields = form_fields(html, action_contains=sheet)
    toggled, changed = [], 0
    for name, value in fields:
        if name.startswith("modality-") and value in {"in_person", "video"}:
            value, changed = ("video" if value == "in_person" else "in_person"), changed + 1
        if name != "action":
            toggled.append((name, value))
    if not changed:
        return  # nobody attended: nothing to change on this sheet
    toggled.append(("correction_reason", "load test"))
    status, _, ms = browser.post(action or sheet, toggled)
    out.append(Sample("mark attendance (POST)", status, ms))


def _sign(browser: Browser, actor: Actor, rng: random.Random, out: list[Sample], lock: threading.Lock,
          pause=_no_pause) -> None:
    with lock:
        note = actor.drafts.pop() if actor.drafts else None
    if note is None:
        status, _, ms = browser.get(rng.choice(actor.charts))
        out.append(Sample("chart tab", status, ms))
        return
    status, html, ms = browser.get(note)
    out.append(Sample("note screen", status, ms))
    if status != 200:
        return
    try:
        action, fields = form_fields(html, form_id="note-form")
    except LookupError:
        return  # a draft this user may no longer edit (signed meanwhile, or not a group note screen)
    pause()  # the author reads the note before signing it
    status, _, ms = browser.post(action, [*fields, ("action", "sign")])
    out.append(Sample("sign note (POST)", status, ms))


MIX = (("chart", 40), ("calendar", 15), ("sheet", 15), ("mark", 15), ("today", 10), ("sign", 5))


def run_load(
    host: str, port: int, actors: list[Actor], *, users: int, seconds: float, week_url: str, seed: int = 7,
    sample_connections=None,  # a callable returning the server's connection count
    think: float = 0.0,  # mean think time in seconds (exponential); 0: closed loop without think time
) -> dict:
    deadline = time.monotonic() + seconds
    samples: list[Sample] = []
    failures: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    kinds = [k for k, w in MIX for _ in range(w)]

    def staff(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        actor = actors[i % len(actors)]
        browser = Browser(host, port, actor.cookie)
        local: list[Sample] = []

        def pause() -> None:
            if think > 0:  # never past the deadline
                time.sleep(max(0.0, min(rng.expovariate(1 / think), deadline - time.monotonic())))

        pause()  # staff do not all click at the same instant
        while time.monotonic() < deadline:
            kind = rng.choice(kinds)
            try:
                if kind == "chart":
                    status, _, ms = browser.get(rng.choice(actor.charts))
                    local.append(Sample("chart tab", status, ms))
                elif kind == "calendar":
                    status, _, ms = browser.get(week_url)
                    local.append(Sample("week calendar", status, ms))
                elif kind == "sheet":
                    status, _, ms = browser.get(rng.choice(actor.sheets))
                    local.append(Sample("attendance sheet", status, ms))
                elif kind == "mark":
                    _mark(browser, actor, rng, local, pause)
                elif kind == "today":
                    status, _, ms = browser.get("/")
                    local.append(Sample("today", status, ms))
                else:
                    _sign(browser, actor, rng, local, lock, pause)
            except Exception as exc:  # noqa: BLE001 - counted as an error of the run
                with lock:
                    failures[type(exc).__name__] += 1
                browser.conn = None
            pause()
        with lock:
            samples.extend(local)

    threads = [threading.Thread(target=staff, args=(i,), daemon=True) for i in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    connections = []
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 300:
        if sample_connections is not None:
            connections.append(sample_connections())
        time.sleep(0.5)
    for t in threads:
        t.join(timeout=1)
    elapsed = time.monotonic() - started
    return {"samples": samples, "failures": dict(failures), "elapsed": elapsed, "connections": connections}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summarize(result: dict) -> list[str]:
    samples: list[Sample] = result["samples"]
    by_label: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_label[s.label].append(s)
    lines = ["| request | count | p50 ms | p95 ms | p99 ms | 2xx/3xx | 4xx | 5xx |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label in sorted(by_label):
        group = by_label[label]
        ms = [s.ms for s in group]
        ok = sum(1 for s in group if s.status < 400)
        client = sum(1 for s in group if 400 <= s.status < 500)
        server = sum(1 for s in group if s.status >= 500)
        lines.append(
            f"| {label} | {len(group)} | {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | "
            f"{percentile(ms, 99):.0f} | {ok} | {client} | {server} |"
        )
    all_ms = [s.ms for s in samples]
    errors = sum(1 for s in samples if s.status >= 500) + sum(result["failures"].values())
    lines.append(
        f"| **all** | {len(samples)} | {percentile(all_ms, 50):.0f} | {percentile(all_ms, 95):.0f} | "
        f"{percentile(all_ms, 99):.0f} | {sum(1 for s in samples if s.status < 400)} | "
        f"{sum(1 for s in samples if 400 <= s.status < 500)} | {sum(1 for s in samples if s.status >= 500)} |"
    )
    lines.append("")
    client_errors = defaultdict(int)
    for s in samples:
        if 400 <= s.status < 500:
            client_errors[f"{s.label} {s.status}"] += 1
    if client_errors:
        note = " (409: two staff changed the same rows at once; refused by the conflict check)" if any(
            k.endswith(" 409") for k in client_errors) else ""
        lines.append("4xx answers: " + ", ".join(f"{k} ×{v}" for k, v in sorted(client_errors.items())) + note)
    lines.append(
        f"throughput {len(samples) / result['elapsed']:.1f} requests/s over {result['elapsed']:.0f} s; "
        f"errors (5xx + failed connections) {errors}"
        + (f" {result['failures']}" if result["failures"] else "")
    )
    if result["connections"]:
        lines.append(
            f"server connections to the database during the run: max {max(result['connections'])}, "
            f"median {statistics.median(result['connections']):.0f}"
        )
    return lines
