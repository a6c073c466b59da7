"""``sqlplan.key_groups``: which key sets share a select. Each group's select must be valid for every row in it
(its keys hold every key the tables read in each member set), no set is in two groups, the sets no table fits
are the careful ones, and the limits hold."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import callstatus
from callstatus import sqlplan

ADAPTERS = [callstatus.get_adapter(vendor) for vendor in callstatus.vendors()]
READ = sorted({key for adapter in ADAPTERS for key in sqlplan._top_keys(adapter)})
KEYS = st.sampled_from([*READ, "custom_field", "metadata", "x"])
FOUND = st.lists(
    st.tuples(st.integers(1, 5_000), st.lists(KEYS, min_size=1, max_size=10, unique=True)), max_size=60
).map(lambda sets: [(index, rows, keys) for index, (rows, keys) in enumerate(sets)])


def _groups(found: list[tuple[int, int, list[str]]], keyed: tuple[int, int]) -> tuple[list[Any], list[int]]:
    saved = sqlplan.KEYED
    sqlplan.KEYED = keyed
    try:
        return sqlplan.key_groups(ADAPTERS, found)
    finally:
        sqlplan.KEYED = saved


@given(found=FOUND, least=st.integers(1, 8_000), most=st.integers(1, 70))
def test_each_group_holds_every_read_key_of_its_sets_and_the_limits_hold(
    found: list[tuple[int, int, list[str]]], least: int, most: int
) -> None:
    groups, careful = _groups(found, (least, most))
    by_hash = {keyed: set(keys) for keyed, _, keys in found}
    seen: list[int] = list(careful)
    for hashes, keys in groups:
        assert hashes, keys
        for keyed in hashes:
            assert by_hash[keyed] & set(READ) <= keys  # no key a row holds is taken for absent
        seen += hashes
    assert len(seen) == len(set(seen))
    assert len(groups) <= most
    if len(groups) < most:  # nothing was left out: every set has a select
        assert set(seen) == set(by_hash)
    assert (groups, careful) == _groups(list(found), (least, most))


@given(found=FOUND)
def test_key_sets_that_differ_only_in_keys_no_table_reads_share_one_select(
    found: list[tuple[int, int, list[str]]],
) -> None:
    assert "custom_field" not in READ
    known = (999, 1, ["id", "status", "to_phone_number"])  # a DialNexa call: some table fits it
    plain = [(keyed, rows, keys) for keyed, rows, keys in [*found, known] if "custom_field" not in keys]
    padded = [(keyed + 1_000, rows, [*keys, "custom_field"]) for keyed, rows, keys in plain]
    groups, _ = _groups(plain + padded, (1, 1_000))
    group_of = {keyed: index for index, (hashes, _) in enumerate(groups) for keyed in hashes}
    assert 999 in group_of
    for keyed, _, _ in plain:
        assert group_of.get(keyed) == group_of.get(keyed + 1_000)
