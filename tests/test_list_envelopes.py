"""List responses: ``normalize_many`` finds each vendor's records inside its envelope, in order."""

from __future__ import annotations

import json
from typing import Any

import pytest

import callstatus

# seeds/003_653366448065be83.txt: GET /v1/calls, first example (meta with totalPages)
DIALNEXA_CALLS_PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "call_abc123",
            "agent_id": "agt_abc123",
            "agent_version_number": 1,
            "to_phone_number": "+919876543210",
            "from_phone_number": "+912234567890",
            "status": "completed",
            "duration_seconds": 145,
            "recording_url": "https://recordings.dialnexa.com/call_abc123.mp3",
            "metadata": {"customer_name": "Priya Sharma", "account_id": "ACC-9912"},
            "created_at": "2024-03-01T10:00:00.000Z",
            "ended_at": "2024-03-01T10:02:25.000Z",
        }
    ],
    "meta": {"page": 1, "limit": 20, "total": 150, "totalPages": 8},
}

# seeds/003_653366448065be83.txt: second example (duration_sec, no-answer, meta without totalPages)
DIALNEXA_CALLS_PAGE_NO_TOTAL_PAGES: dict[str, Any] = {
    "data": [
        {
            "id": "call_x9y3zp4mq7r1",
            "status": "completed",
            "agent_id": "agt_k7m2nq9xw4p8",
            "to_phone_number": "+919876543210",
            "duration_sec": 142,
            "created_at": "2024-05-01T14:22:00.000Z",
        },
        {
            "id": "call_a2b4cd6ef8gh",
            "status": "no-answer",
            "agent_id": "agt_k7m2nq9xw4p8",
            "to_phone_number": "+919123456789",
            "duration_sec": 0,
            "created_at": "2024-05-01T14:18:00.000Z",
        },
    ],
    "meta": {"page": 1, "limit": 20, "total": 47},
}

# research/vendors.md §2: the OpenAPI GET /v1/calls returns a root array with no metadata
DIALNEXA_ROOT_ARRAY: list[dict[str, Any]] = DIALNEXA_CALLS_PAGE_NO_TOTAL_PAGES["data"] + DIALNEXA_CALLS_PAGE["data"]

# research/vendors.md §3 and calls.yaml: GET /conversation {status, data: {logs, pagination}}
ATOMS_CONVERSATION_PAGE: dict[str, Any] = {
    "status": True,
    "data": {
        "logs": [
            {
                "_id": "60d0fe4f5311236168a109ca",
                "callId": "CALL-1737000000123-xyz789",
                "status": "completed",
                "duration": 185,
                "from": "+15551234567",
                "to": "+15559876543",
                "type": "telephony_outbound",
                "agentId": "60d0fe4f5311236168a109ca",
                "agentName": "John Doe",
                "recordingUrl": "https://storage.atoms.ai/recordings/call-xyz789.mp3",
                "recordingDualUrl": "https://storage.atoms.ai/recordings/call-xyz789-dual.mp3",
                "disconnectionReason": "user_hangup",
                "retryCount": 1,
                "createdAt": "2025-01-15T10:30:00.000Z",
                "dispositionMetrics": {"interested": "yes", "follow_up_needed": "no"},
            },
            {
                "_id": "60d0fe4f5311236168a109cb",
                "callId": "CALL-1737000000456-abc123",
                "status": "failed",
                "duration": 0,
                "from": "+15551234567",
                "to": "+15559870000",
                "type": "telephony_outbound",
                "agentId": "60d0fe4f5311236168a109ca",
                "disconnectionReason": "dial_no_answer",
                "retryCount": 0,
                "createdAt": "2025-01-15T10:31:00.000Z",
            },
            {
                "_id": "60d0fe4f5311236168a109cc",
                "callId": "CALL-1737000000789-def456",
                "status": "in_queue",
                "duration": 0,
                "from": "+15551234567",
                "to": "+15559871111",
                "type": "telephony_outbound",
                "agentId": "60d0fe4f5311236168a109ca",
                "retryCount": 0,
                "createdAt": "2025-01-15T10:32:00.000Z",
            },
        ],
        "pagination": {"total": 3, "page": 1, "limit": 5, "hasMore": False, "totalPages": 1},
    },
}

# https://docs.dialgen.ai/api-reference/endpoint/get-batch-stats: GET /api/v1/batch/check-status
DIALGEN_BATCH_STATS: dict[str, Any] = {
    "batchId": "batch_1767385567962_a1",
    "status": "completed",
    "priority": 5,
    "statistics": {
        "total": 2,
        "processed": 2,
        "succeeded": 1,
        "failed": 1,
        "pending": 0,
        "percentComplete": 100,
        "successRate": 50,
    },
    "performance": {"callsPerSecond": 0.01, "estimatedTimeRemaining": None, "elapsedTime": 72},
    "timestamps": {
        "createdAt": "2026-01-02T20:27:34.060Z",
        "startedAt": "2026-01-02T20:27:34.059Z",
        "completedAt": "2026-01-02T20:28:46.214Z",
    },
    "recentCalls": [
        {
            "id": "cmjxbsai4001",
            "callSid": "CA123",
            "status": "COMPLETED",
            "duration": 46,
            "createdAt": "2026-01-02T20:27:34.060Z",
            "phoneNumber": "+1234567890",
            "contactName": "John Doe",
        },
        {
            "id": "cmjxbsai4002",
            "callSid": "CA124",
            "status": "MISSED",
            "duration": 0,
            "createdAt": "2026-01-02T20:27:35.100Z",
            "phoneNumber": "+1234567891",
            "contactName": "Jane Doe",
        },
    ],
    "webhooks": None,
    "agentId": "cmghxkg2p01",
    "userId": "user_33m01",
}


def _ids_and_statuses(payloads: Any, vendor: str | None = None) -> list[tuple[str, str, str]]:
    return [(r.vendor, r.call_id, r.status.value) for r in callstatus.normalize_many(payloads, vendor=vendor)]


@pytest.mark.parametrize("vendor", [None, "dialnexa"])
def test_dialnexa_calls_page_with_total_pages(vendor: str | None) -> None:
    assert _ids_and_statuses(DIALNEXA_CALLS_PAGE, vendor) == [("dialnexa", "call_abc123", "completed")]


@pytest.mark.parametrize("vendor", [None, "dialnexa"])
def test_dialnexa_calls_page_without_total_pages(vendor: str | None) -> None:
    assert _ids_and_statuses(DIALNEXA_CALLS_PAGE_NO_TOTAL_PAGES, vendor) == [
        ("dialnexa", "call_x9y3zp4mq7r1", "completed"),
        ("dialnexa", "call_a2b4cd6ef8gh", "no_answer"),
    ]


@pytest.mark.parametrize("vendor", [None, "dialnexa"])
def test_dialnexa_calls_page_as_json_text(vendor: str | None) -> None:
    assert _ids_and_statuses(json.dumps(DIALNEXA_CALLS_PAGE_NO_TOTAL_PAGES), vendor) == [
        ("dialnexa", "call_x9y3zp4mq7r1", "completed"),
        ("dialnexa", "call_a2b4cd6ef8gh", "no_answer"),
    ]


ROOT_ARRAY_RECORDS = [
    ("dialnexa", "call_x9y3zp4mq7r1", "completed"),
    ("dialnexa", "call_a2b4cd6ef8gh", "no_answer"),
    ("dialnexa", "call_abc123", "completed"),
]


@pytest.mark.parametrize("vendor", [None, "dialnexa"])
def test_dialnexa_root_array(vendor: str | None) -> None:
    assert _ids_and_statuses(DIALNEXA_ROOT_ARRAY, vendor) == ROOT_ARRAY_RECORDS


@pytest.mark.parametrize("vendor", [None, "dialnexa"])
def test_dialnexa_root_array_as_json_bytes(vendor: str | None) -> None:
    assert _ids_and_statuses(json.dumps(DIALNEXA_ROOT_ARRAY).encode(), vendor) == ROOT_ARRAY_RECORDS


@pytest.mark.parametrize("vendor", [None, "atoms"])
def test_atoms_conversation_logs_page(vendor: str | None) -> None:
    assert _ids_and_statuses(ATOMS_CONVERSATION_PAGE, vendor) == [
        ("atoms", "CALL-1737000000123-xyz789", "completed"),
        ("atoms", "CALL-1737000000456-abc123", "no_answer"),  # failed + dial_no_answer
        ("atoms", "CALL-1737000000789-def456", "queued"),
    ]


@pytest.mark.parametrize("vendor", [None, "dialgen"])
def test_dialgen_batch_stats_recent_calls(vendor: str | None) -> None:
    assert _ids_and_statuses(DIALGEN_BATCH_STATS, vendor) == [
        ("dialgen", "cmjxbsai4001", "completed"),
        ("dialgen", "cmjxbsai4002", "no_answer"),
    ]


def test_dialgen_recent_calls_keep_contact_number_and_duration() -> None:
    records = list(callstatus.normalize_many(DIALGEN_BATCH_STATS))
    assert [(r.to_number, r.duration_seconds) for r in records] == [("+1234567890", 46.0), ("+1234567891", 0.0)]
    assert [r.raw for r in records] == DIALGEN_BATCH_STATS["recentCalls"]


def test_envelopes_of_different_vendors_in_one_stream() -> None:
    records = callstatus.normalize_many([DIALGEN_BATCH_STATS, ATOMS_CONVERSATION_PAGE, DIALNEXA_CALLS_PAGE])
    assert [(r.vendor, r.call_id) for r in records] == [
        ("dialgen", "cmjxbsai4001"),
        ("dialgen", "cmjxbsai4002"),
        ("atoms", "CALL-1737000000123-xyz789"),
        ("atoms", "CALL-1737000000456-abc123"),
        ("atoms", "CALL-1737000000789-def456"),
        ("dialnexa", "call_abc123"),
    ]
