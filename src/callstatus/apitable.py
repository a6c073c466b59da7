"""The compiled ``[api]`` section of a vendor table: what the HTTP clients need to speak that vendor's API.

Built by ``callstatus.tables``; the clients in ``callstatus.clients`` read it and know no vendor by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .errors import TableError
from .meanings import StatusMeaning, Vocabulary
from .spec import ApiSpec, EndpointSpec, FilterSpec, PagesSpec
from .vocabulary import CallStatus

__all__ = ["ApiTable", "Endpoint", "Filter", "Pages", "Walk", "compile_api", "read_first"]

Keys = tuple[str, ...]


def _keys(path: str) -> Keys:
    path = path.removeprefix("$").removeprefix(".")
    return tuple(path.split(".")) if path else ()


def read_first(body: Any, paths: Sequence[Keys]) -> Any:
    """The value at the first of ``paths`` present in a decoded JSON body, or None."""
    for keys in paths:
        value = body
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


@attrs.frozen
class Pages:
    """Paging parameters and where a page says whether more follow."""

    page: str
    limit: str
    first: int
    size: int
    max_size: int | None
    has_more: tuple[Keys, ...]
    total_pages: tuple[Keys, ...]
    total: tuple[Keys, ...]

    def more(self, body: Any, page: int, size: int, count: int) -> bool:
        """Whether a page after ``page`` (which held ``count`` records) exists, by what the body says."""
        if count == 0:
            return False
        has_more = read_first(body, self.has_more)
        if isinstance(has_more, bool):
            return has_more
        done = page - self.first + 1
        total_pages = read_first(body, self.total_pages)
        if isinstance(total_pages, int) and not isinstance(total_pages, bool):
            return done < total_pages
        total = read_first(body, self.total)
        if isinstance(total, int) and not isinstance(total, bool):
            return done * size < total
        return count >= size


@attrs.frozen
class Filter:
    """One canonical filter: its query parameter, and for status filters the reverse map of the table."""

    name: str
    param: str
    join: str
    format: str
    reverse: Mapping[CallStatus, tuple[str, ...]] | None = None
    """Canonical status -> the raw values that can resolve to it, by themselves or with any reason of the table
    under the outcome laws."""
    values_of: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Enum filters (direction): canonical value -> the vendor's spellings to send; a value absent is not sent."""

    def raw_statuses(self, wanted: Sequence[CallStatus]) -> tuple[str, ...]:
        """The raw values to ask the vendor for so that every call in one of ``wanted`` comes back."""
        reverse = self.reverse or {}
        found: dict[str, None] = {}
        for status in wanted:
            found.update(dict.fromkeys(reverse.get(status, ())))
        return tuple(found)


@attrs.frozen
class Endpoint:
    """One endpoint the clients call by name."""

    name: str
    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, str]
    chunk: int | None
    records: tuple[Keys, ...]
    many: bool
    paged: bool
    filters: tuple[str, ...]
    ok: tuple[Keys, ...]
    fallback: str | None
    fallback_on: frozenset[int]
    fresh_days: int | None


@attrs.frozen
class Walk:
    """How a vendor without a call listing lists calls: its parents (batches), then each parent's calls."""

    parents: str
    children: str
    parent_id: tuple[Keys, ...]
    argument: str


@attrs.frozen
class ApiTable:
    """A vendor's compiled ``[api]`` section."""

    vendor: str
    source: str
    """The table file, for errors."""
    base_url: str
    credentials: Mapping[str, str]
    error_message: tuple[Keys, ...]
    error_code: tuple[Keys, ...]
    existing_call_id: tuple[Keys, ...]
    pages: Pages | None
    filters: Mapping[str, Filter]
    endpoints: Mapping[str, Endpoint]
    rate_limit_remaining: str | None
    rate_limit_reset: str | None
    walk: Walk | None = None

    def endpoint(self, name: str) -> Endpoint:
        """The endpoint a client method calls; a ``TableError`` when the table does not describe it."""
        try:
            return self.endpoints[name]
        except KeyError:
            raise TableError(
                "the table describes no such endpoint", source=self.source, path=f"api.endpoints.{name}", value=name
            ) from None


def _paths(paths: Sequence[str]) -> tuple[Keys, ...]:
    return tuple(_keys(path) for path in paths)


def _pages(spec: PagesSpec) -> Pages:
    return Pages(
        page=spec.page,
        limit=spec.limit,
        first=spec.first,
        size=spec.size if spec.max_size is None else min(spec.size, spec.max_size),
        max_size=spec.max_size,
        has_more=_paths(spec.has_more),
        total_pages=_paths(spec.total_pages),
        total=_paths(spec.total),
    )


def _filter(name: str, spec: FilterSpec, statuses: Mapping[str, Vocabulary[StatusMeaning]], source: str) -> Filter:
    if spec.vocabulary is None:
        values_of = {key: tuple([value] if isinstance(value, str) else value) for key, value in spec.values_of.items()}
        return Filter(name=name, param=spec.param, join=spec.join, format=spec.format, values_of=values_of)
    where = f"api.filters.{name}"
    vocabulary = statuses.get(spec.vocabulary)
    if vocabulary is None:
        raise TableError("no such status vocabulary", source=source, path=f"{where}.vocabulary", value=spec.vocabulary)
    meanings = []
    for raw in spec.values if spec.values is not None else vocabulary.values:
        meaning = vocabulary.meaning(raw)
        if meaning is None:
            raise TableError("not a value of the vocabulary", source=source, path=f"{where}.values", value=raw)
        meanings.append((raw, meaning))
    reverse: dict[CallStatus, list[str]] = {}
    for raw, meaning in meanings:  # values that mean the status by themselves come first
        reverse.setdefault(meaning.status, []).append(raw)
    for raw, meaning in meanings:  # then those that reach it with a reason, under the outcome laws
        for status in sorted(meaning.reachable, key=lambda status: (status.rank, status.value)):
            if raw not in reverse.setdefault(status, []):
                reverse[status].append(raw)
    # A status that a documented value the parameter does not accept can also reach cannot be asked for on the
    # server without losing those calls: it is filtered on this side alone.
    accepted = {id(meaning) for _raw, meaning in meanings}
    for raw in spec.unlisted:
        if vocabulary.meaning(raw) is None:
            raise TableError("not a value of the vocabulary", source=source, path=f"{where}.unlisted", value=raw)
    unlisted = {id(vocabulary.meaning(raw)) for raw in spec.unlisted}
    for raw in vocabulary.values:
        meaning = vocabulary.meaning(raw)
        if meaning is not None and id(meaning) not in accepted and id(meaning) not in unlisted:
            for status in meaning.reachable:
                reverse.pop(status, None)
    return Filter(
        name=name,
        param=spec.param,
        join=spec.join,
        format=spec.format,
        reverse={status: tuple(raws) for status, raws in reverse.items()},
    )


def _endpoint(name: str, spec: EndpointSpec, api: ApiSpec, source: str) -> Endpoint:
    where = f"api.endpoints.{name}"
    for filter_name in spec.filters:
        if filter_name not in api.filters:
            raise TableError(
                "no such filter in [api.filters]", source=source, path=f"{where}.filters", value=filter_name
            )
    if spec.paged and api.pages is None:
        raise TableError("a paged endpoint needs [api.pages]", source=source, path=f"{where}.paged", value=True)
    if spec.fallback is not None and spec.fallback not in api.endpoints:
        raise TableError("no such endpoint", source=source, path=f"{where}.fallback", value=spec.fallback)
    return Endpoint(
        name=name,
        method=spec.method,
        path=spec.path,
        params=dict(spec.params),
        query=dict(spec.query),
        body=dict(spec.body),
        chunk=spec.chunk,
        records=_paths(spec.records),
        many=spec.many,
        paged=spec.paged,
        filters=tuple(spec.filters),
        ok=_paths(spec.ok),
        fallback=spec.fallback,
        fallback_on=frozenset(spec.fallback_on),
        fresh_days=spec.fresh_days,
    )


def _walk(api: ApiSpec, source: str) -> Walk | None:
    spec = api.walk
    if spec is None:
        return None
    for where, name in (("parents", spec.parents), ("children", spec.children)):
        if name not in api.endpoints:
            raise TableError("no such endpoint", source=source, path=f"api.walk.{where}", value=name)
    if spec.argument not in api.endpoints[spec.children].params:
        raise TableError(
            "not an argument of the children endpoint", source=source, path="api.walk.argument", value=spec.argument
        )
    return Walk(parents=spec.parents, children=spec.children, parent_id=_paths(spec.parent_id), argument=spec.argument)


def compile_api(spec: ApiSpec, vendor: str, statuses: Sequence[Vocabulary[StatusMeaning]], source: str) -> ApiTable:
    """Check and compile an ``[api]`` section against the table's status vocabularies."""
    by_name = {vocabulary.name: vocabulary for vocabulary in statuses}
    return ApiTable(
        vendor=vendor,
        source=source,
        base_url=spec.base_url.rstrip("/"),
        credentials=dict(spec.credentials),
        error_message=_paths(spec.errors.message),
        error_code=_paths(spec.errors.code),
        existing_call_id=_paths(spec.errors.existing_call_id),
        pages=None if spec.pages is None else _pages(spec.pages),
        filters={name: _filter(name, f, by_name, source) for name, f in spec.filters.items()},
        endpoints={name: _endpoint(name, e, spec, source) for name, e in spec.endpoints.items()},
        rate_limit_remaining=spec.rate_limit_remaining,
        rate_limit_reset=spec.rate_limit_reset,
        walk=_walk(spec, source),
    )
