"""Token pre-normalisation: spelling variants look alike, and normalising twice changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callstatus.testing import spelling_variants
from callstatus.tokens import token


@given(st.text())
def test_token_is_idempotent(text: str) -> None:
    assert token(token(text)) == token(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("no-answer", "no_answer"),
        ("NO ANSWER", "no_answer"),
        ("noAnswer", "no_answer"),
        (" no_answer ", "no_answer"),
        ("IN_QUEUE", "in_queue"),
        ("telephonyOutbound", "telephony_outbound"),
        ("cancelled", "canceled"),
        ("Cancelled", "canceled"),
        ("complete", "completed"),
        ("transfer_complete", "transfer_completed"),
        ("call.started", "call.started"),
    ],
)
def test_documented_spellings(raw: str, expected: str) -> None:
    assert token(raw) == expected


@given(
    st.sampled_from(["did_not_pick", "no-answer", "IN_QUEUE", "user_did_not_pick_up", "retry_expired"]).flatmap(
        lambda raw: st.tuples(st.just(raw), spelling_variants(raw))
    )
)
def test_variants_share_a_token(pair: tuple[str, str]) -> None:
    raw, variant = pair
    assert token(variant) == token(raw)
