"""Webhook authenticity: secrets kept out of sight, a vendor's scheme checked, and deliveries signed for tests.

A secret lives only inside a ``Secret``; the expected digest is computed and compared inside its methods, which
return a bool and never raise, so no frame of a refusal's traceback holds either (error reporters record locals).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import os
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from types import ModuleType
from typing import Any

from .errors import UsageError
from .registry import default_registry
from .webhooktable import BODY, TIMESTAMP, Signature

__all__ = ["ENVIRONMENT_PREFIX", "MAX_SIGNATURES", "SIGNATURES_EXTRA", "Secret", "WebhookSecrets", "optional"]

MAX_SIGNATURES = 8
"""A delivery presenting more signature or token values than this is refused rather than tried."""
ENVIRONMENT_PREFIX = "CALLSTATUS_SECRET_"
SIGNATURES_EXTRA = "signatures"
"""The extra that installs what the ed25519 and jwt schemes need: ``pip install 'callstatus[signatures]'``."""


def optional(module: str, scheme: str) -> ModuleType:
    """An optional dependency of a signature scheme, or a ``UsageError`` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(
            f"the {scheme} signature scheme needs the {module.partition('.')[0]!r} package: "
            f"pip install 'callstatus[{SIGNATURES_EXTRA}]'"
        ) from None


class Secret:
    """One webhook secret: never shown, only used to sign, verify or match."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        if not isinstance(value, str | bytes):
            raise UsageError("the webhook secret must be str or bytes")
        self._value = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if not self._value:
            raise UsageError("the webhook secret is empty")

    def __repr__(self) -> str:
        return "<secret>"

    def hexdigest(self, body: bytes) -> str:
        """The hex HMAC-SHA256 of a body: what a vendor signing with this secret sends."""
        return hmac.new(self._value, body, hashlib.sha256).hexdigest()

    def signs(self, body: bytes, presented: Iterable[bytes]) -> bool:
        """Whether any presented hex digest is this secret's signature of the body, each compared in constant time."""
        expected = hmac.new(self._value, body, hashlib.sha256).hexdigest().encode("ascii")
        return any([hmac.compare_digest(expected, value) for value in presented])

    def matches(self, presented: Iterable[str]) -> bool:
        """Whether any presented token is this secret, each compared in constant time."""
        return any([hmac.compare_digest(self._value, token.encode("utf-8", "replace")) for token in presented])

    def hmac_signs(self, pairs: Iterable[tuple[bytes, bytes]], algorithm: str = "sha256") -> bool:
        """Whether any (message, signature) pair holds this secret's HMAC of the message (raw digest bytes)."""
        return any([hmac.compare_digest(hmac.digest(self._value, message, algorithm), sig) for message, sig in pairs])

    def ed25519_verifies(self, pairs: Iterable[tuple[bytes, bytes]]) -> bool | None:
        """Whether any (message, signature) pair verifies under this public key (base64 of 32 bytes).

        None: this secret is not such a key (a configuration error for the caller to report).
        """
        ed25519 = optional("cryptography.hazmat.primitives.asymmetric.ed25519", "ed25519")
        invalid = optional("cryptography.exceptions", "ed25519").InvalidSignature
        try:
            key = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(self._value, validate=True))
        except (ValueError, binascii.Error):
            return None
        verified = False
        for message, signature in pairs:
            try:
                key.verify(signature, message)
            except invalid:
                continue
            verified = True
        return verified

    def jwt_verifies(self, tokens: Iterable[str], claim: str, body: bytes, now: float, tolerance: int) -> bool:
        """Whether any token is an HS256 JWT under this secret, issued within ``tolerance`` seconds of ``now``,
        unexpired, whose ``claim`` is the hex SHA-256 of the body."""
        jwt = optional("jwt", "jwt")
        digest = hashlib.sha256(body).hexdigest().encode("ascii")
        unchecked = {"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False}
        verified = False
        for token in tokens:
            try:
                with warnings.catch_warnings():  # a short vendor secret is the vendor's choice, not the caller's
                    warnings.simplefilter("ignore")
                    claims = jwt.decode(token, self._value, algorithms=["HS256"], options=unchecked)
            except jwt.InvalidTokenError:
                continue
            if isinstance(claims, dict) and _fresh(claims, now, tolerance):
                presented = claims.get(claim)
                if isinstance(presented, str):
                    verified = hmac.compare_digest(digest, presented.lower().encode("utf-8", "replace")) or verified
        return verified

    def signature_headers(self, signature: Signature, body: bytes, *, now: float | None = None) -> dict[str, str]:
        """The headers a vendor using this scheme would send with this body (at ``now``, epoch seconds).

        Not for ed25519 (signed with a private key the verifying secret is not) nor the URL schemes (they sign a URL).
        """
        now = time.time() if now is None else now
        scheme = signature.scheme
        header = signature.headers[0] if signature.headers else "authorization"
        if scheme == "token":
            return {"authorization": "Bearer " + self._value.decode("utf-8", "replace")}
        if scheme == "hmac-sha256":
            return {header: _encode(hmac.digest(self._value, body, "sha256"), signature.encoding)}
        if scheme == "hmac-sha256-timestamp":
            stamp = str(int(now * 1000) if signature.timestamp_unit == "ms" else int(now))
            message = b"".join(signed_part(part, body, stamp) for part in signature.message)
            value = _encode(hmac.digest(self._value, message, "sha256"), signature.encoding)
            if signature.timestamp_header is not None:
                return {header: value, signature.timestamp_header: stamp}
            return {header: f"{signature.timestamp_field}={stamp},{signature.signature_field}={value}"}
        if scheme == "jwt":
            claims = {"iat": int(now), signature.body_claim or "": hashlib.sha256(body).hexdigest()}
            token = optional("jwt", "jwt").encode(claims, self._value, algorithm="HS256")
            return {header: (signature.prefix or "").title() + token}
        raise UsageError(f"the {scheme} scheme cannot be signed here: sign with the vendor's algorithm in your test")


def signed_part(part: str, body: bytes, timestamp: str) -> bytes:
    """One part of a timestamped scheme's signed message: the body, the timestamp or literal text."""
    if part == BODY:
        return body
    return (timestamp if part == TIMESTAMP else part).encode("utf-8")


def _encode(digest: bytes, encoding: str) -> str:
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode("ascii")


def _fresh(claims: dict[str, Any], now: float, tolerance: int) -> bool:
    """Issued within the window of now, and neither expired nor not yet valid."""

    def number(name: str) -> float | None:
        value = claims.get(name)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    issued, expires, not_before = number("iat"), number("exp"), number("nbf")
    return (
        issued is not None
        and abs(now - issued) <= tolerance
        and (expires is None or now < expires)
        and (not_before is None or not_before <= now + tolerance)
    )


class WebhookSecrets(Mapping[str, Secret]):
    """Each vendor's webhook secret, and the vendors explicitly allowed to deliver unsigned.

    A vendor that has neither is refused: ``parse_webhook`` and the receiver authenticate every delivery with
    the secret of the vendor it is for. The repr names the vendors, never a secret.
    """

    __slots__ = ("_secrets", "unsigned")

    def __init__(self, secrets: Mapping[str, str | bytes | Secret], *, allow_unsigned: Iterable[str] = ()) -> None:
        if not isinstance(secrets, Mapping):
            raise UsageError("secrets must map vendor ids to their webhook secrets")
        self._secrets = {
            str(vendor): value if isinstance(value, Secret) else Secret(value) for vendor, value in secrets.items()
        }
        del secrets  # wrapped before any check can raise: no frame of the error holds a secret in clear
        if isinstance(allow_unsigned, str | bytes):
            raise UsageError("allow_unsigned takes a set of vendor ids, e.g. {'dialgen'}")
        self.unsigned = frozenset(allow_unsigned)
        both = sorted(self.unsigned & self._secrets.keys())
        if both:
            raise UsageError(f"vendors {both} have a secret and are allowed unsigned: choose one")

    @classmethod
    def from_environment(
        cls,
        vendors: Iterable[str] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        allow_unsigned: Iterable[str] = (),
    ) -> WebhookSecrets:
        """The secrets in ``CALLSTATUS_SECRET_<VENDOR>`` variables (vendor id upper-cased, '-' as '_'), for
        ``vendors`` (default: every registered vendor with a webhook table)."""
        environ = os.environ if environ is None else environ
        if vendors is None:
            vendors = [adapter.id for adapter in default_registry() if adapter.webhook is not None]
        found: dict[str, str | bytes | Secret] = {}
        for vendor in vendors:
            value = environ.get(ENVIRONMENT_PREFIX + vendor.upper().replace("-", "_"))
            if value:
                found[vendor] = Secret(value)
        return cls(found, allow_unsigned=allow_unsigned)

    def __getitem__(self, vendor: str) -> Secret:
        return self._secrets[vendor]

    def __iter__(self) -> Iterator[str]:
        return iter(self._secrets)

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"WebhookSecrets(vendors={sorted(self._secrets)}, allow_unsigned={sorted(self.unsigned)})"
