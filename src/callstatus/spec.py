"""The vendor table format: the model a TOML table is validated against, and the source of its JSON Schema.

One model serves both, so ``schemas/adapter.schema.json`` and the loader cannot disagree. The semantic checks
a schema cannot express (enum targets that contradict, documented values left unmapped) live in ``tables``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .events import EventType
from .vocabulary import AnsweredBy, CallStatus, Direction, EndedBy, EndReason

__all__ = [
    "AnalysisSpec",
    "ApiSpec",
    "DefaultEventSpec",
    "EndpointSpec",
    "ErrorEnvelopeSpec",
    "EventEntry",
    "EventVocabularySpec",
    "FieldSpec",
    "FieldsSpec",
    "FilterSpec",
    "PagesSpec",
    "PathSpec",
    "ReasonEntry",
    "ReasonPatternSpec",
    "ReasonVocabularySpec",
    "RetriesSpec",
    "ShapeSpec",
    "SignatureScheme",
    "SignatureSpec",
    "StandardInfoSpec",
    "StandardSpec",
    "StatusEntry",
    "StatusVocabularySpec",
    "TableSpec",
    "TimeSpec",
    "VendorSpec",
    "WebhookSpec",
]

Unit = Literal["s", "ms", "min"]
TimeFormat = Literal["iso8601", "epoch_s", "epoch_ms", "rfc2822", "auto"]
Path = str
_PATH_DOC = "A dotted key path from the record object, or from the payload root when it starts with '$.'."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorSpec(_Strict):
    """Who the table describes and where its facts come from."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Adapter id, as users pass it in vendor=...")
    name: str = Field(description="The vendor's name for people.")
    docs: list[str] = Field(min_length=1, description="Where the documented values come from.")
    checked: date = Field(description="When the documented values were last compared with the docs.")
    timezone: str = Field(default="UTC", description="IANA zone of timestamps the vendor sends without an offset.")
    default_region: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 region of the national numbers the vendor sends (Exotel's '09876543210': 'IN'); "
        "unset, digits without '+' are read as international form.",
    )
    note: str | None = None


class ShapeSpec(_Strict):
    """Where a call record sits in one kind of payload, and how to recognise that kind."""

    name: str = Field(description="What the shape is, e.g. 'webhook' or 'live status'.")
    at: Path = Field(default="$", description="Path of the record object; '$' is the payload itself.")
    all: list[Path] = Field(default_factory=list, description="Paths that must all hold a value. " + _PATH_DOC)
    any: list[Path] = Field(default_factory=list, description="Paths of which at least one must hold a value.")
    none: list[Path] = Field(default_factory=list, description="Paths that must not hold a value.")
    match: dict[Path, str] = Field(
        default_factory=dict,
        description="Path -> regular expression its whole string must match (full match; RE2 syntax: no "
        "lookaround, no backreferences).",
    )
    status: CallStatus | StatusEntry | None = Field(
        default=None,
        description="The status of a record of this shape that carries none, e.g. 'ended' for a call detail "
        "record, which exists once the call is over; its reason then decides, under the outcome laws.",
    )
    note: str | None = None


class PathSpec(_Strict):
    """One path of a field, with the unit or format that applies to this path only."""

    path: Path
    unit: Unit | None = None
    format: TimeFormat | None = None


class FieldSpec(_Strict):
    """Vendor paths of a canonical field, first present wins, and how to read the value."""

    paths: list[Path | PathSpec] = Field(min_length=1, description="Alternatives in order. " + _PATH_DOC)
    unit: Unit | None = Field(default=None, description="Unit of a duration (s, ms, min).")
    format: TimeFormat | None = Field(default=None, description="Format of a timestamp.")
    offset: int | None = Field(
        default=None, description="Added to an integer, e.g. 1 to turn a retry count into an attempt."
    )
    map: dict[str, str] | None = Field(default=None, description="Raw token -> canonical value, for enum fields.")
    note: str | None = None


PathsOrSpec = list[Path | PathSpec] | FieldSpec


class FieldsSpec(_Strict):
    """Canonical record field -> where the vendor keeps it."""

    call_id: PathsOrSpec
    direction: FieldSpec | None = None
    ended_by: FieldSpec | None = None
    answered_by: FieldSpec | None = None
    from_number: PathsOrSpec | None = None
    to_number: PathsOrSpec | None = None
    contact_number: PathsOrSpec | None = Field(
        default=None,
        description="The other party's number when the vendor does not say which side it is: the callee on "
        "outbound calls, the caller on inbound ones. from_number/to_number win when present.",
    )
    agent_id: PathsOrSpec | None = None
    campaign_id: PathsOrSpec | None = None
    contact_id: PathsOrSpec | None = None
    attempt: PathsOrSpec | None = None
    created_at: PathsOrSpec | None = None
    started_at: PathsOrSpec | None = None
    ended_at: PathsOrSpec | None = None
    duration_seconds: PathsOrSpec | None = None
    recording_url: PathsOrSpec | None = None
    cost: PathsOrSpec | None = None
    connected: PathsOrSpec | None = Field(
        default=None,
        description="Whether the call connected, from the vendor's own talk or answer time: a number above zero "
        "or true means it did, zero or false that it did not, absent that it is not known. A path with a 'format' "
        "is an answer time: present means it connected. Never a duration derived from dial-start timestamps.",
    )


_RETRIES_DOC = (
    "Whether the vendor retries this outcome by itself (its docs say so: true; they say the outcome is final: "
    "false; unset: they say nothing). A status's word holds while the call keeps that status; where the reason "
    "changes the status, or the status says nothing, the reason's word holds."
)


class StatusEntry(_Strict):
    """What one raw status means; ``by_reason`` holds the joint (status, reason) rules."""

    status: CallStatus
    reason: EndReason | None = Field(default=None, description="Reason implied when the payload gives none.")
    reason_wins: bool = Field(
        default=False, description="The status's own reason beats the payload's (retries exhausted says more)."
    )
    ended_by: EndedBy | None = None
    answered_by: AnsweredBy | None = None
    by_reason: dict[EndReason, CallStatus] = Field(
        default_factory=dict,
        description="Overrides: resolved canonical reason -> the status this raw status takes with it, where the "
        "outcome laws alone would decide otherwise. The loader refuses an override that breaks a law, repeats "
        "what the laws decide, or never applies.",
    )
    vendor_retries: bool | None = Field(default=None, description=_RETRIES_DOC)
    note: str | None = None
    deprecated: bool = False


class ReasonEntry(_Strict):
    """What one raw reason or error code means."""

    reason: EndReason
    if_connected: EndReason | None = Field(
        default=None, description="The reason instead, when the call connected (see fields.connected)."
    )
    ended_by: EndedBy | None = None
    answered_by: AnsweredBy | None = None
    vendor_retries: bool | None = Field(default=None, description=_RETRIES_DOC)
    note: str | None = None
    deprecated: bool = False


class ReasonPatternSpec(ReasonEntry):
    """A family of raw reasons (free-text errors, namespaced codes) recognised by a regular expression."""

    match: str = Field(
        description="Regular expression, full-matched against the pre-normalised token (lower snake case, e.g. "
        "'network_connectivity_issue'); RE2 syntax: no lookaround, no backreferences."
    )


class _Vocabulary(_Strict):
    paths: list[Path] = Field(min_length=1, description="Where the value is found, first present wins.")
    docs: str = Field(description="Where this list of values is documented.")
    values: list[str] = Field(min_length=1, description="Every documented value, spelled as the docs spell it.")
    note: str | None = None


class StatusVocabularySpec(_Vocabulary):
    """A documented vocabulary of statuses, the paths that carry it, and what each value means."""

    map: dict[str, CallStatus | StatusEntry] = Field(description="Raw value (any spelling) -> status or entry.")


class ReasonVocabularySpec(_Vocabulary):
    """A documented vocabulary of end reasons or error codes, the paths that carry it, and what each means."""

    standard: str | None = Field(
        default=None,
        description="A shared vocabulary of adapters/standards/ (q850, sip) whose values, map and patterns this one "
        "takes; the values, map and patterns written here add to it, and win where they overlap.",
    )
    values: list[str] = Field(
        default_factory=list,
        description="Every documented value, spelled as the docs spell it (may be empty with a standard).",
    )
    map: dict[str, EndReason | ReasonEntry] = Field(
        default_factory=dict, description="Raw value (any spelling) -> reason or entry."
    )
    patterns: list[ReasonPatternSpec] = Field(
        default_factory=list,
        description="Ordered pattern rules, tried after the exact map; the first that full-matches wins. Each must "
        "match a documented value that nothing before it does.",
    )


class RetriesSpec(_Strict):
    """The vendor's own retries of unanswered calls, as its docs describe them."""

    docs: str = Field(description="Where the retry behaviour is documented.")
    max_attempts: int | None = Field(
        default=None,
        ge=1,
        description="Documented default attempts in all: no vendor retry once a known attempt reaches it.",
    )
    delays: dict[EndReason, float] = Field(
        default_factory=dict, description="Documented default seconds before a retry, by canonical end reason."
    )
    same_call_id: bool = Field(
        default=False,
        description="Retries reuse the call id: merge then orders a call's attempts by their start time.",
    )
    requires: list[Literal["campaign_id", "agent_id", "contact_id"]] = Field(
        default_factory=list,
        description="Record fields that must hold a value for a retry to be possible (retries are a batch "
        "setting: campaign_id); without them a 'true' from the entries reads as not known.",
    )
    note: str | None = None


class AnalysisSpec(_Strict):
    """Post-call results copied as given into ``CallRecord.analysis`` under these keys."""

    summary: list[Path] | None = None
    metrics: list[Path] | None = None
    outcome: list[Path] | None = None
    sentiment: list[Path] | None = None
    transcript_url: list[Path] | None = None
    extra: dict[str, list[Path]] = Field(default_factory=dict, description="Further analysis key -> paths.")


class EventEntry(_Strict):
    """What one raw webhook event name means."""

    event: EventType
    call: bool | None = Field(
        default=None,
        description="Whether the event carries a call record. Unset: call events do, batch and verification "
        "events never do, other events when the payload holds one.",
    )
    note: str | None = None
    deprecated: bool = False


class EventVocabularySpec(_Vocabulary):
    """The documented webhook event names, where a webhook keeps its name, and what each name means."""

    pattern: str | None = Field(
        default=None,
        description="Regular expression with a named group 'type', full-matched against the raw event: the part "
        "that names it (e.g. Atoms' '<agentId>.<eventType>'). A raw event it does not match is an unknown event.",
    )
    map: dict[str, EventType | EventEntry] = Field(description="Raw event name (any spelling) -> event type or entry.")
    requires: list[Path] = Field(
        default_factory=list,
        description="Paths that must all hold a value for the name to be read, where the name's key and values "
        "are common to other vendors' bodies (Vonage's 'status'); without them the default event applies. " + _PATH_DOC,
    )


class DefaultEventSpec(_Strict):
    """The event a webhook without an event name reports, and how to tell that kind of webhook."""

    event: EventType
    requires: list[Path] = Field(
        default_factory=list, description="Paths that must all hold a value for the default to apply. " + _PATH_DOC
    )
    note: str | None = None


class TimeSpec(_Strict):
    """Paths of a timestamp, first present wins, and its format."""

    paths: list[Path] = Field(min_length=1)
    format: TimeFormat = "auto"
    note: str | None = None


SignatureScheme = Literal[
    "hmac-sha256", "token", "hmac-sha1-url", "hmac-sha256-url-nonce", "hmac-sha256-timestamp", "ed25519", "jwt"
]


class SignatureSpec(_Strict):
    """How the vendor proves a webhook is its own: a scheme and its parameters (checked per scheme at load)."""

    scheme: SignatureScheme = Field(
        description="hmac-sha256: HMAC-SHA256 of the raw body in a header, keyed by the shared secret. "
        "token: the secret itself in 'Authorization: Bearer' or a named header (also a vendor's header secret). "
        "hmac-sha1-url: HMAC-SHA1 of the request URL followed by the sorted form parameters, each name then its "
        "value (Twilio); needs parse_webhook(url=...). "
        "hmac-sha256-url-nonce: HMAC-SHA256 of the URL with its query sorted, then the sorted form parameters, "
        "then '.' and the nonce header's value (Plivo V3); needs parse_webhook(url=...). "
        "hmac-sha256-timestamp: HMAC-SHA256 of 'message' built from the body and a signed timestamp, with a "
        "replay window. "
        "ed25519: an Ed25519 signature of 'message' checked with the vendor's public key (the secret, base64), "
        "with a replay window; needs the 'signatures' extra. "
        "jwt: an HS256 JSON Web Token keyed by the secret, whose 'body_claim' is the hex SHA-256 of the body and "
        "whose 'iat' is within the window; needs the 'signatures' extra."
    )
    headers: list[str] = Field(
        default_factory=list,
        description="Headers that carry the signature (every scheme but token needs at least one) or token "
        "(further names).",
    )
    prefix: str | None = Field(
        default=None, description="Optional prefix before the signature, e.g. 'sha256=' or 'Bearer '."
    )
    encoding: Literal["hex", "base64"] | None = Field(
        default=None,
        description="How the signature is written. Default: hex for hmac-sha256 and hmac-sha256-timestamp, base64 "
        "for hmac-sha1-url, hmac-sha256-url-nonce and ed25519.",
    )
    message: str | None = Field(
        default=None,
        description="What is signed (hmac-sha256-timestamp, ed25519): text with the placeholders {body} (the raw "
        "body, required) and {timestamp} (the timestamp as sent), e.g. '{timestamp}|{body}' or '{body}{timestamp}'.",
    )
    timestamp_header: str | None = Field(
        default=None, description="The header that carries the signed timestamp (or give timestamp_field)."
    )
    timestamp_field: str | None = Field(
        default=None,
        description="The key of the timestamp inside a signature header of comma-separated key=value fields, "
        "e.g. 'v' in 'v=<timestamp>,d=<digest>'.",
    )
    signature_field: str | None = Field(
        default=None,
        description="The key of the signature inside such a header, e.g. 'd'. Unset: the whole value is the signature.",
    )
    timestamp_unit: Literal["s", "ms"] = Field(default="s", description="The unit of the epoch timestamp.")
    tolerance: int | None = Field(
        default=None,
        gt=0,
        description="Replay window in seconds (timestamped schemes and jwt, default 300): a timestamp further than "
        "this from now, in the past or the future, is refused.",
    )
    body_hash_query: str | None = Field(
        default=None,
        description="hmac-sha1-url: the query parameter of the signed URL that holds the hex SHA-256 of a body that "
        "is not a form (e.g. Twilio's 'bodySHA256'). Unset: only form bodies (or empty ones) are accepted.",
    )
    body_claim: str | None = Field(
        default=None, description="jwt: the claim that holds the hex SHA-256 of the body (e.g. 'payload_hash')."
    )
    nonce_header: str | None = Field(
        default=None,
        description="hmac-sha256-url-nonce: the header whose value is signed after the URL and form (e.g. "
        "'X-Plivo-Signature-V3-Nonce').",
    )
    docs: str | None = None
    note: str | None = None


class WebhookSpec(_Strict):
    """Webhook intake: event names, envelope fields and authenticity. Paths are from the webhook body's root."""

    event: EventVocabularySpec
    default_event: EventType | DefaultEventSpec | None = Field(
        default=None, description="The event of a webhook that carries no event name (e.g. a bare callback)."
    )
    occurred_at: list[Path] | TimeSpec | None = Field(default=None, description="When the event happened.")
    batch_id: list[Path] = Field(
        default_factory=list, description="The batch or campaign id; call events fall back to the call's campaign."
    )
    delivery_id: list[Path] = Field(
        default_factory=list, description="The vendor's id of the delivery, equal across its retries."
    )
    signature: SignatureSpec | None = Field(
        default=None, description="Unset: no documented scheme, a shared token is checked when a secret is given."
    )
    note: str | None = None


class ErrorEnvelopeSpec(_Strict):
    """Where the vendor's error body keeps its message and code. Paths are from the body's root."""

    message: list[Path] = Field(
        min_length=1, description="First present wins; a list of messages is joined with '; '. " + _PATH_DOC
    )
    code: list[Path] = Field(default_factory=list, description="The vendor's error code, e.g. INSUFFICIENT_CREDITS.")
    existing_call_id: list[Path] = Field(
        default_factory=list, description="On 409: the id of the call already in progress, when the vendor says it."
    )
    note: str | None = None


class PagesSpec(_Strict):
    """How list endpoints page: the query parameters and where a page says whether more follow."""

    page: str = Field(default="page", description="Query parameter of the page number.")
    limit: str = Field(default="limit", description="Query parameter of the page size.")
    first: int = Field(default=1, ge=0, description="Number of the first page.")
    size: int = Field(default=100, ge=1, description="Page size asked for unless the caller says otherwise.")
    max_size: int | None = Field(default=None, ge=1, description="Largest page size the vendor documents.")
    has_more: list[Path] = Field(default_factory=list, description="A boolean: more pages follow.")
    total_pages: list[Path] = Field(default_factory=list, description="How many pages there are.")
    total: list[Path] = Field(
        default_factory=list,
        description="How many records there are. Without any of the three, a short page is the last.",
    )
    note: str | None = None


class FilterSpec(_Strict):
    """One canonical listing filter and the query parameter that carries it."""

    param: str = Field(description="The vendor's query parameter.")
    vocabulary: str | None = Field(
        default=None,
        description="Status filters: the status vocabulary whose raw values are sent, chosen by the reverse map "
        "of the canonical statuses asked for.",
    )
    values: list[str] | None = Field(
        default=None,
        description="Raw values the parameter accepts (status filters); default: the vocabulary's documented values.",
    )
    unlisted: list[str] = Field(
        default_factory=list,
        description="Documented values the listing never returns (e.g. webhook-only statuses). Any other documented "
        "value the parameter does not accept keeps the statuses it can resolve to from being filtered on the server.",
    )
    values_of: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Enum filters (direction): canonical value -> the vendor's spelling(s) to send; a canonical value "
        "absent here is checked by the client alone.",
    )
    join: str = Field(default=",", description="Separator of several values in one parameter.")
    format: Literal["text", "iso8601", "date"] = Field(default="text", description="How times are written.")
    docs: str | None = None
    note: str | None = None


class EndpointSpec(_Strict):
    """One documented endpoint the clients call, by the name the client method uses."""

    method: Literal["GET", "POST"] = "GET"
    path: str = Field(pattern=r"^/", description="Path under the base URL; {name} is filled from an argument.")
    params: dict[str, str] = Field(
        default_factory=dict, description="Argument name -> query parameter, e.g. call_id = 'callId'."
    )
    query: dict[str, str] = Field(default_factory=dict, description="Fixed query parameters, e.g. limit = 'all'.")
    body: dict[str, str] = Field(default_factory=dict, description="POST: argument name -> JSON body key.")
    chunk: int | None = Field(
        default=None, ge=1, description="Most values of a list body argument per request; longer lists are split."
    )
    records: list[Path] = Field(
        min_length=1,
        description="Where the record (or the list of records) is in a success body, first present wins; '$' is "
        "the whole body. Anything else is not the documented shape.",
    )
    many: bool = Field(default=False, description="The records path holds a list.")
    paged: bool = Field(default=False, description="Pages through [api.pages].")
    filters: list[str] = Field(default_factory=list, description="Names of the [api.filters] this endpoint takes.")
    ok: list[Path] = Field(
        default_factory=list, description="A success flag in the body: present and false means the call failed."
    )
    fallback: str | None = Field(
        default=None, description="Endpoint asked instead when this one answers a fallback_on status."
    )
    fallback_on: list[int] = Field(default_factory=lambda: [404], description="HTTP statuses that mean: ask fallback.")
    fresh_days: int | None = Field(
        default=None, ge=1, description="A record whose call started longer ago than this is re-read from fallback."
    )
    docs: str | None = None
    note: str | None = None


class WalkSpec(_Strict):
    """A vendor without a call listing: ``list_calls`` lists the parents (batches), then each parent's calls."""

    parents: str = Field(description="Endpoint listing the parents, e.g. 'batches'.")
    parent_id: list[Path] = Field(min_length=1, description="Where a parent item's id is. " + _PATH_DOC)
    children: str = Field(description="Endpoint listing one parent's calls (its fallback is asked on a miss).")
    argument: str = Field(description="The children endpoint's argument that takes the parent id.")
    docs: str | None = None
    note: str | None = None


class ApiSpec(_Strict):
    """The vendor's REST API as the clients speak it: base URL, credentials, errors, pages, filters, endpoints."""

    base_url: str = Field(pattern=r"^https?://", description="The documented base URL, without a trailing slash.")
    auth: Literal["bearer"] = Field(default="bearer", description="bearer: 'Authorization: Bearer <api key>'.")
    credentials: dict[str, str] = Field(
        default_factory=dict,
        description="Further account ids sent as a query parameter on every request: argument -> parameter "
        "(e.g. Dialgen's user_id = 'userId').",
    )
    errors: ErrorEnvelopeSpec
    pages: PagesSpec | None = None
    filters: dict[str, FilterSpec] = Field(default_factory=dict, description="Canonical filter name -> parameter.")
    rate_limit_remaining: str | None = Field(
        default=None, description="Response header: requests left in the window; at 0 the client waits."
    )
    rate_limit_reset: str | None = Field(default=None, description="Response header: seconds until the window resets.")
    endpoints: dict[str, EndpointSpec] = Field(min_length=1)
    walk: WalkSpec | None = Field(default=None, description="How to list calls without a call listing endpoint.")
    docs: list[str] = Field(default_factory=list)
    note: str | None = None


class StandardInfoSpec(_Strict):
    """What a shared vocabulary is and where it is defined."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Its name, as tables give it in 'standard'.")
    name: str
    docs: list[str] = Field(min_length=1)
    checked: date
    note: str | None = None


class StandardSpec(_Strict):
    """A shared reason vocabulary any table can use (``adapters/standards/<id>.toml``): a telecom standard's codes
    (Q.850 causes, SIP responses) and what each means, defined once."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="callstatus shared vocabulary")

    standard: StandardInfoSpec
    values: list[str] = Field(min_length=1, description="Every value of the standard, as written.")
    map: dict[str, EndReason | ReasonEntry] = Field(default_factory=dict)
    patterns: list[ReasonPatternSpec] = Field(default_factory=list)


class TableSpec(_Strict):
    """A vendor table: ``adapters/<vendor>.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="callstatus adapter table")

    vendor: VendorSpec
    shapes: list[ShapeSpec] = Field(min_length=1, description="Record shapes, most specific first.")
    lists: list[Path] = Field(
        default_factory=list, description="Where list responses keep their records ('$': a root array)."
    )
    fields: FieldsSpec
    status: dict[str, StatusVocabularySpec] = Field(min_length=1, description="Status vocabularies, tried in order.")
    reason: dict[str, ReasonVocabularySpec] = Field(
        default_factory=dict, description="Reason vocabularies, tried in order."
    )
    analysis: AnalysisSpec | None = None
    retries: RetriesSpec | None = Field(default=None, description="The vendor's own retries of unanswered calls.")
    webhook: WebhookSpec | None = Field(default=None, description="Webhook intake, for parse_webhook.")
    api: ApiSpec | None = Field(default=None, description="The REST API, for the HTTP clients.")


# Kept in one place so the semantic checks and the compiler agree on what each field is.
ENUM_FIELDS: dict[str, type[Direction] | type[EndedBy] | type[AnsweredBy]] = {
    "direction": Direction,
    "ended_by": EndedBy,
    "answered_by": AnsweredBy,
}
