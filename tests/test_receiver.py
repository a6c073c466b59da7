"""The example webhook receiver, started as users start it, on 127.0.0.1, and sent real payloads over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {"dialnexa": "nexa-secret-9f2", "atoms": "atoms-secret-41c", "dialgen": "dialgen-token-77a"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    db = tmp_path_factory.mktemp("receiver") / "calls.db"
    env = dict(os.environ, **{f"CALLSTATUS_SECRET_{vendor.upper()}": secret for vendor, secret in SECRETS.items()})
    log = db.with_suffix(".log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "webhook_receiver.py"), "--port", str(port), "--db", str(db)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(db.with_suffix(".log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        assert "Traceback" not in db.with_suffix(".log").read_text()


def _post(base: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        base + path, data=body, method="POST", headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _signed(vendor: str, payload: dict[str, Any], header: str, prefix: str = "") -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRETS[vendor].encode(), body, hashlib.sha256).hexdigest()
    return body, {header: prefix + digest}


def _nexa(event: str, status: str, **call: Any) -> dict[str, Any]:
    call = {"id": "call_rx1", "direction": "outbound", "status": status, "to_number": "12137771235", **call}
    return {"event_type": event, "payload": {"call": call}}


def test_a_dialnexa_call_told_late_twice_and_out_of_order(receiver: str) -> None:
    status, answer = _post(receiver, "/webhooks/dialnexa", *_signed("dialnexa", _nexa("call_initiated", "initiated"),
                                                                    "x-dialnexa-signature"))  # fmt: skip
    assert status == 200 and answer["status"] == "initiated" and not answer["duplicate"]
    ended = _signed("dialnexa", _nexa("call_ended", "hangup", hangup_reason="user_busy"), "x-nexa-signature", "sha256=")
    status, answer = _post(receiver, "/webhooks/dialnexa", *ended)
    assert status == 200 and answer["status"] == "busy" and answer["changed"]
    status, answer = _post(receiver, "/webhooks/dialnexa", *ended)
    assert status == 200 and answer["duplicate"] and not answer["changed"]
    late = _signed("dialnexa", _nexa("call_ended", "completed"), "x-dialnexa-signature")
    status, answer = _post(receiver, "/webhooks/dialnexa", *late)
    assert status == 200 and answer["status"] == "busy"
    with urllib.request.urlopen(receiver + "/calls/dialnexa/call_rx1", timeout=5) as response:
        record = json.loads(response.read())
    assert (record["status"], record["end_reason"], record["to_number"]) == ("busy", "busy", "+12137771235")


def test_bad_or_missing_signatures_get_401(receiver: str) -> None:
    body, _ = _signed("dialnexa", _nexa("call_ended", "completed"), "x-dialnexa-signature")
    assert _post(receiver, "/webhooks/dialnexa", body)[0] == 401
    forged = {"x-dialnexa-signature": "0" * 64}
    status, answer = _post(receiver, "/webhooks/dialnexa", body, forged)
    assert status == 401 and SECRETS["dialnexa"] not in json.dumps(answer)


def test_junk_and_oversized_bodies(receiver: str) -> None:
    assert _post(receiver, "/webhooks/dialnexa", *_signed_raw("dialnexa", b"{not json"))[0] == 400
    # The receiver answers 413 on the declared length, before any of the body: send only the headers, so the
    # answer never races an upload the server will not read.
    address = urllib.parse.urlsplit(receiver)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.putrequest("POST", "/webhooks/dialnexa")
        connection.putheader("content-type", "application/json")
        connection.putheader("content-length", "1100000")
        connection.endheaders()
        assert connection.getresponse().status == 413
    finally:
        connection.close()


def _signed_raw(vendor: str, body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {"x-dialnexa-signature": hmac.new(SECRETS[vendor].encode(), body, hashlib.sha256).hexdigest()}


def test_atoms_and_dialgen_deliveries(receiver: str) -> None:
    atoms = {
        "url": "https://example.com/webhook",
        "description": "agent endpoint",
        "event": "69fc7dd072a0c1d28d948ace.post-conversation",
        "metadata": {
            "agentId": "69fc7dd072a0c1d28d948ace",
            "eventType": "post-conversation",
            "callId": "CALL-1778226705739-7e4c17",
            "callData": {"callStatus": "no-answer", "callDuration": 0, "toNumber": "+916296641821"},
        },
        "id": "69fd96578d7c3809f58ce555",
    }
    status, answer = _post(receiver, "/webhooks/atoms", *_signed("atoms", atoms, "X-Signature"))
    assert status == 200 and answer["status"] == "no_answer"
    dialgen = {"success": True, "callData": {"id": "call_dg1", "status": "MISSED", "error": "BUSY",
                                             "phoneNumber": "+15551234567", "contactId": "c1"}}  # fmt: skip
    body = json.dumps(dialgen).encode()
    assert _post(receiver, "/webhooks/dialgen", body)[0] == 401
    status, answer = _post(receiver, "/webhooks/dialgen", body, {"authorization": f"Bearer {SECRETS['dialgen']}"})
    assert status == 200 and answer["status"] == "busy"
