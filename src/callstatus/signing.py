"""Webhook authenticity: secrets kept out of sight, a vendor's scheme checked, and deliveries signed for tests.

A secret lives only inside a ``Secret``; the expected digest is computed and compared inside its methods, which
return a bool and never raise, so no frame of a refusal's traceback holds either (error reporters record locals).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Iterator, Mapping

from .errors import UsageError
from .registry import default_registry
from .webhooktable import Signature

__all__ = ["ENVIRONMENT_PREFIX", "MAX_SIGNATURES", "Secret", "WebhookSecrets"]

MAX_SIGNATURES = 8
"""A delivery presenting more signature or token values than this is refused rather than tried."""
ENVIRONMENT_PREFIX = "CALLSTATUS_SECRET_"


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

    def signature_headers(self, signature: Signature, body: bytes) -> dict[str, str]:
        """The headers a vendor using this scheme would send with this body."""
        if signature.scheme == "hmac-sha256":
            return {signature.headers[0]: self.hexdigest(body)}
        return {"authorization": "Bearer " + self._value.decode("utf-8", "replace")}


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
