"""The shipped receiver, served by uvicorn on 127.0.0.1 and sent real deliveries over HTTP: what lands and what is
refused, streamed size caps, repeated signature headers, the on_event hook, the read route and ``callstatus serve``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from callstatus import CallTracker, UsageError, WebhookSecrets
from callstatus.receiver import create_app
from callstatus.testing import sign
from callstatus.tracker import Observation

FIXTURES = Path(__file__).parent / "fixtures"
SECRETS = {"dialnexa": "nexa-secret-9f2", "atoms": "atoms-secret-41c", "dialgen": "dialgen-token-77a"}
TIMEOUT = httpx.Timeout(20.0)


def _payload(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8"))["payload"])


DELIVERIES = {
    "dialnexa": _payload("dialnexa/webhook_call_ended_completed.json"),
    "atoms": _payload("atoms/webhook_post_conversation.json"),
    "dialgen": _payload("dialgen/webhook_call_completed.json"),
}


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app served by uvicorn (h11) in a thread, on a socket bound and listening before the thread starts, so
    requests queue until it is up: no port is guessed and nothing waits by sleeping."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, http="h11", lifespan="on", log_level="warning", loop="asyncio"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        assert not thread.is_alive()


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[CallTracker]:
    with CallTracker(tmp_path / "calls.db") as opened:
        yield opened


@pytest.fixture
def base(tracker: CallTracker) -> Iterator[str]:
    with serving(create_app(SECRETS, tracker, max_bytes=65_536)) as url:
        yield url


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers or {}, timeout=TIMEOUT)


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.parametrize("vendor", sorted(DELIVERIES))
@pytest.mark.parametrize("detect", [False, True])
def test_signed_deliveries_of_every_vendor_land(base: str, tracker: CallTracker, vendor: str, detect: bool) -> None:
    body = _body(DELIVERIES[vendor])
    url = f"{base}/webhooks" if detect else f"{base}/webhooks/{vendor}"
    first = _post(url, body, sign(vendor, body, SECRETS[vendor]))
    assert first.status_code == 200, first.text
    answer = first.json()
    assert (answer["vendor"], answer["duplicate"], answer["changed"]) == (vendor, False, True)
    stored = tracker.get(vendor, answer["call_id"])
    assert stored is not None and stored.status.value == answer["status"]
    again = _post(url, body, sign(vendor, body, SECRETS[vendor]))
    assert again.status_code == 200
    assert (again.json()["duplicate"], again.json()["changed"]) == (True, False)
    assert tracker.get(vendor, answer["call_id"]) == stored


def test_forged_unsigned_and_tampered_deliveries_are_refused(base: str, tracker: CallTracker) -> None:
    forged = _body({"id": "victim_call", "status": "completed"})
    nexa = _body(DELIVERIES["dialnexa"])
    tampered = nexa.replace(b"completed", b"failed", 1)
    cases = [
        (f"{base}/webhooks", forged, {}),  # the hole of the old example: the detecting route checked nothing
        (f"{base}/webhooks", forged, sign("dialnexa", forged, "not-the-secret")),
        (f"{base}/webhooks/dialnexa", nexa, {}),
        (f"{base}/webhooks", nexa, sign("atoms", nexa, SECRETS["atoms"])),  # another vendor's secret
        (f"{base}/webhooks", nexa, sign("dialgen", nexa, SECRETS["dialgen"])),
        (f"{base}/webhooks/dialnexa", tampered, sign("dialnexa", nexa, SECRETS["dialnexa"])),
        (f"{base}/webhooks", tampered, sign("dialnexa", nexa, SECRETS["dialnexa"])),
    ]
    for url, body, headers in cases:
        response = _post(url, body, headers)
        assert response.status_code == 401, (url, body[:40], response.text)
    assert list(tracker.records()) == []


def test_a_forged_terminal_delivery_cannot_hide_the_real_outcome(tracker: CallTracker) -> None:
    seen: queue.Queue[Observation] = queue.Queue()
    app = create_app(SECRETS, tracker, on_event=lambda event, observation: seen.put(observation))
    with serving(app) as base:
        forged = _body({"event_type": "call_ended", "payload": {"call": {"id": "victim_call", "status": "completed"}}})
        assert _post(f"{base}/webhooks", forged).status_code == 401
        call = {"id": "victim_call", "status": "no_answer", "from_number": "12137771234", "duration": 0}
        body = _body({"event_type": "call_ended", "payload": {"call": call}})
        assert _post(f"{base}/webhooks", body, sign("dialnexa", body, SECRETS["dialnexa"])).status_code == 200
        observation = seen.get(timeout=20)
    assert observation.record is not None and observation.record.call_id == "victim_call"
    assert observation.became_terminal
    assert observation.record.status.value == "no_answer"
    assert seen.empty()


@pytest.mark.parametrize("good_first", [True, False])
def test_every_value_of_a_repeated_signature_header_is_tried(base: str, good_first: bool) -> None:
    body = _body(DELIVERIES["dialnexa"])
    good = sign("dialnexa", body, SECRETS["dialnexa"])["x-dialnexa-signature"]
    values = [good, "0" * 64] if good_first else ["0" * 64, good]
    headers = [("x-dialnexa-signature", value) for value in values]
    response = httpx.post(f"{base}/webhooks/dialnexa", content=body, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200
    wrong = [("x-dialnexa-signature", "0" * 64), ("x-dialnexa-signature", "1" * 64)]
    assert httpx.post(f"{base}/webhooks", content=body, headers=wrong, timeout=TIMEOUT).status_code == 401
    many = [("x-dialnexa-signature", "0" * 64)] * 8 + [("x-dialnexa-signature", good)]
    assert httpx.post(f"{base}/webhooks", content=body, headers=many, timeout=TIMEOUT).status_code == 401


def _status_line(sock: socket.socket) -> bytes:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer.split(b"\r\n", 1)[0]


def test_an_oversized_chunked_body_is_refused_while_it_streams(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    chunk = b"x" * 16_384
    sent = 0
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(b"POST /webhooks/dialnexa HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        # 64 KiB cap: keep streaming (up to 64 MiB) until the server answers; it must answer near the cap
        while sent < 64 * 1_048_576:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status = _status_line(sock)
    assert status.startswith(b"HTTP/1.1 413"), status
    assert sent < 64 * 1_048_576  # answered long before the client was done


def test_a_declared_oversized_body_is_refused_before_it_is_sent(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(b"POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 400000000\r\n\r\n")
        assert _status_line(sock).startswith(b"HTTP/1.1 413")


def test_a_body_that_does_not_arrive_in_time_is_408(tracker: CallTracker) -> None:
    with serving(create_app(SECRETS, tracker, body_timeout=0.5)) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as sock:
            sock.sendall(b"POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            assert _status_line(sock).startswith(b"HTTP/1.1 408")


def test_unknown_vendors_junk_and_health(base: str) -> None:
    assert _post(f"{base}/webhooks/acme", b"{}").status_code == 404
    assert (
        _post(
            f"{base}/webhooks/dialnexa", b"{not json", sign("dialnexa", b"{not json", SECRETS["dialnexa"])
        ).status_code
        == 400
    )
    assert httpx.get(f"{base}/healthz", timeout=TIMEOUT).json() == {"ok": True}
    assert httpx.get(f"{base}/webhooks", timeout=TIMEOUT).status_code == 405
    assert httpx.get(f"{base}/calls/dialnexa/call_done001", timeout=TIMEOUT).status_code == 404  # no read token


def test_unsigned_is_per_vendor_and_logged_at_start(tracker: CallTracker, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app({"dialnexa": SECRETS["dialnexa"]}, tracker, allow_unsigned={"dialgen"})
    with caplog.at_level(logging.INFO, logger="callstatus.receiver"), serving(app) as base:
        dialgen = _body(DELIVERIES["dialgen"])
        assert _post(f"{base}/webhooks", dialgen).status_code == 200
        atoms = _body(DELIVERIES["atoms"])
        assert _post(f"{base}/webhooks", atoms).status_code == 401  # no secret, not allowed unsigned
        assert _post(f"{base}/webhooks/atoms", atoms, sign("atoms", atoms, "anything")).status_code == 401
        nexa = _body(DELIVERIES["dialnexa"])
        assert _post(f"{base}/webhooks", nexa).status_code == 401  # dialgen's opening is not dialnexa's
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("UNSIGNED" in message and "dialgen" in message for message in warnings)


def test_the_read_route_needs_the_bearer_token(tracker: CallTracker) -> None:
    with serving(create_app(SECRETS, tracker, read_token="read-token-5d1")) as base:
        body = _body(DELIVERIES["dialnexa"])
        call_id = _post(f"{base}/webhooks", body, sign("dialnexa", body, SECRETS["dialnexa"])).json()["call_id"]
        url = f"{base}/calls/dialnexa/{call_id}"
        assert httpx.get(url, timeout=TIMEOUT).status_code == 401
        assert httpx.get(url, headers={"authorization": "Bearer nope"}, timeout=TIMEOUT).status_code == 401
        good = httpx.get(url, headers={"authorization": "Bearer read-token-5d1"}, timeout=TIMEOUT)
        assert good.status_code == 200
        assert good.json()["call_id"] == call_id and "raw" not in good.json()
        missing = httpx.get(f"{base}/calls/dialnexa/nope", headers={"authorization": "Bearer read-token-5d1"})
        assert missing.status_code == 404


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_on_event_runs_after_the_delivery_is_stored_and_its_failure_loses_nothing(
    tracker: CallTracker, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen: queue.Queue[tuple[str, bool]] = queue.Queue()

    def sync_hook(event: Any, observation: Observation) -> None:
        seen.put((event.vendor, tracker.get(event.vendor, event.call.call_id) is not None))
        raise RuntimeError("the retry queue is down")

    async def async_hook(event: Any, observation: Observation) -> None:
        await asyncio.sleep(0)
        sync_hook(event, observation)

    hook = sync_hook if kind == "sync" else async_hook
    app = create_app(SECRETS, tracker, on_event=hook)
    with caplog.at_level(logging.ERROR, logger="callstatus.receiver"), serving(app) as base:
        body = _body(DELIVERIES["atoms"])
        response = _post(f"{base}/webhooks/atoms", body, sign("atoms", body, SECRETS["atoms"]))
        assert response.status_code == 200
        assert seen.get(timeout=20) == ("atoms", True)
    assert "on_event failed" in caplog.text and "retry queue is down" in caplog.text
    assert tracker.get("atoms", response.json()["call_id"]) is not None


def test_configuration_mistakes_are_usage_errors(tracker: CallTracker) -> None:
    with pytest.raises(UsageError, match="no vendor can deliver"):
        create_app({}, tracker)
    with pytest.raises(UsageError, match="acme"):
        create_app({"acme": "s"}, tracker)
    with pytest.raises(UsageError, match="choose one"):
        create_app({"dialgen": "s"}, tracker, allow_unsigned={"dialgen"})
    with pytest.raises(UsageError):
        create_app(SECRETS, tracker, allow_unsigned="dialgen")


def test_secrets_and_digests_appear_in_no_log_line(base: str, caplog: pytest.LogCaptureFixture) -> None:
    body = _body(DELIVERIES["dialnexa"])
    expected = sign("dialnexa", body + b" ", SECRETS["dialnexa"])["x-dialnexa-signature"]
    with caplog.at_level(logging.DEBUG):
        assert _post(f"{base}/webhooks", body + b" ", sign("dialnexa", body, SECRETS["dialnexa"])).status_code == 401
    assert caplog.text  # the refusal is logged ...
    for secret in (*SECRETS.values(), expected):  # ... without a secret or the digest the body would need
        assert secret not in caplog.text
    assert "nexa-secret" not in repr(WebhookSecrets(SECRETS))


def test_callstatus_serve_then_export(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLSTATUS_")}
    env.update({f"CALLSTATUS_SECRET_{vendor.upper()}": secret for vendor, secret in SECRETS.items()})
    command = [sys.executable, "-m", "callstatus", "serve", "--port", "0", "--db", str(db)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    log = b""
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        while b"Uvicorn running on" not in log or not log.endswith(b"\n"):
            readable, _, _ = select.select([process.stderr], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(process.stderr.fileno(), 65_536) if readable else b""  # unbuffered: select sees all
            assert chunk, log.decode(errors="replace")
            log += chunk
        url = log.split(b"Uvicorn running on ", 1)[1].split()[0].decode()
        for vendor, payload in DELIVERIES.items():
            body = _body(payload)
            assert _post(f"{url}/webhooks", body, sign(vendor, body, SECRETS[vendor])).status_code == 200
    finally:
        process.terminate()
        rest = process.communicate(timeout=30)[1]
    log += rest
    for secret in SECRETS.values():
        assert secret.encode() not in log
    out = tmp_path / "calls.csv"
    done = subprocess.run(
        [sys.executable, "-m", "callstatus", "export", "--db", str(db), "-o", str(out), "--terminal"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("vendor,call_id,status,")
    assert sorted(line.split(",", 1)[0] for line in lines[1:]) == sorted(DELIVERIES)


def test_serve_refuses_a_database_url_on_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "callstatus", "serve", "--db", "postgresql://user:hunter2@db/calls"],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert b"CALLSTATUS_DATABASE_URL" in done.stderr and b"hunter2" not in done.stderr


def test_the_example_receiver_runs_its_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import runpy

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLSTATUS_SECRET_ATOMS", SECRETS["atoms"])
    example = runpy.run_path(str(Path(__file__).resolve().parents[1] / "examples" / "webhook_receiver.py"))
    with caplog.at_level(logging.WARNING, logger="example"), serving(example["app"]) as base:
        body = _body(DELIVERIES["atoms"])
        assert _post(f"{base}/webhooks", body, sign("atoms", body, SECRETS["atoms"])).status_code == 200
    example["app"].state.tracker.close()
    assert "ended: completed" in caplog.text
    assert (tmp_path / "calls.db").exists()


def test_a_url_signed_form_delivery_is_checked_against_the_public_url(tracker: CallTracker) -> None:
    import base64
    import hashlib
    import hmac
    import urllib.parse

    from test_webhook_schemes import _registry

    secret, public = "twilio-like-secret-3e1", "https://hooks.example.com/base"
    form = {"Event": "call.done", "CallSid": "CA9", "CallStatus": "completed"}
    signed_url = public + "/webhooks/acme?tenant=7"
    signed = signed_url + "".join(name + form[name] for name in sorted(form))
    signature = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}
    body = urllib.parse.urlencode(form).encode()
    for public_url, status in ((public, 200), (None, 401)):  # behind a proxy the app sees another URL
        app = create_app({"acme": secret}, tracker, public_url=public_url, registry=_registry("twilio"))
        with serving(app) as base:
            assert _post(f"{base}/webhooks/acme?tenant=7", body, headers).status_code == status
    stored = tracker.get("acme", "CA9")
    assert stored is not None and stored.status.value == "completed" and stored.raw["CallSid"] == "CA9"
