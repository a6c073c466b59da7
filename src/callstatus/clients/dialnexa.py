"""DialNexa's clients: the paged call listing under canonical filters (``list_calls``) and call logs by id."""

from __future__ import annotations

from .base import AsyncClientBase, ClientBase

__all__ = ["AsyncDialNexaClient", "DialNexaClient"]


class DialNexaClient(ClientBase):
    """Blocking DialNexa client (``https://api.dialnexa.com/v1``, Bearer key, CALLSTATUS_DIALNEXA_API_KEY).

    ``list_calls`` reads ``GET /calls`` in whichever documented envelope the server sends."""

    vendor = "dialnexa"


class AsyncDialNexaClient(AsyncClientBase):
    """Async twin of ``DialNexaClient``."""

    vendor = "dialnexa"
