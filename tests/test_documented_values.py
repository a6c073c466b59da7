"""Totality against the vendors' documented values, written out here by hand from the docs in shared/seeds and
the research notes: a table that forgets a documented value fails this, whatever the table itself lists."""

from __future__ import annotations

import pytest

import callstatus

DOCUMENTED = {
    "dialgen": {
        "status": ["SCHEDULED", "ONGOING", "COMPLETED", "MISSED", "FAILED"],
        "reason": ["INVALID_NUMBER", "BUSY", "NO_ANSWER", "NETWORK_ERROR", "INSUFFICIENT_CREDITS",
                   "USER_HANGUP", "SILENCE", "TIMEOUT",
                   # the call-status guide's descriptions of its error codes (FAILED: 'Error message available')
                   "Phone number is invalid", "Line is busy", "Call was not answered", "Network connectivity issue",
                   "Not enough credits to place call"],
    },
    "dialnexa": {
        "status": ["initiated", "in-progress", "completed", "failed", "busy", "no-answer", "created", "sent",
                   "received", "did_not_pick", "no_answer", "cancelled", "retry_expired", "hangup"],
        "reason": ["user_disconnected", "agent_disconnected", "user_did_not_pick_up", "user_busy", "user_unreachable",
                   "invalid_phone_number", "destination_forbidden", "network_failure", "voicemail_detected",
                   "unallocated_phone_number", "sip_auth_failed", "sip_trunk_unreachable", "unknown"],
    },
    "atoms": {
        "status": ["completed", "failed", "in_progress", "no_answer", "busy", "pending", "in_queue", "processing",
                   "active", "cancelled", "no-answer", "canceled", "IN_QUEUE", "ACTIVE", "COMPLETED", "FAILED",
                   "NO_ANSWER"],
        "reason": ["user_hangup", "agent_hangup", "dial_no_answer", "timeout", "connection_error", "system_error",
                   "transfer_complete"],
    },
}  # fmt: skip

CASES = [
    (vendor, kind, raw) for vendor, kinds in DOCUMENTED.items() for kind, values in kinds.items() for raw in values
]


@pytest.mark.parametrize(("vendor", "kind", "raw"), CASES, ids=[f"{v}-{k}-{r}" for v, k, r in CASES])
def test_every_documented_value_is_mapped(vendor: str, kind: str, raw: str) -> None:
    adapter = callstatus.get_adapter(vendor)
    vocabularies = adapter.statuses if kind == "status" else adapter.reasons
    assert any(vocabulary.meaning(raw) is not None for vocabulary in vocabularies), f"{vendor} {kind} {raw!r}"


# The smallest payload of each vendor's documented shapes that carries a status: written by hand.
MINIMAL = {
    "dialgen": {"callId": "c1", "contactId": "k1"},
    "dialnexa": {"id": "c1", "agent_id": "a1"},
    "atoms": {"callId": "c1", "agentId": "a1"},
}


@pytest.mark.parametrize("vendor", sorted(DOCUMENTED))
def test_a_documented_status_never_normalizes_to_unknown(vendor: str) -> None:
    for raw in DOCUMENTED[vendor]["status"]:
        record = callstatus.normalize({**MINIMAL[vendor], "status": raw}, vendor, strict=True)
        assert record.status != "unknown" and record.raw_status == raw
