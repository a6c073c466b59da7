"""The shipped receiver from your own code, with a hook that acts on each call once it is over.

    pip install 'callstatus[receiver]'
    CALLSTATUS_SECRET_DIALNEXA=... uvicorn examples.webhook_receiver:app --port 8000

Without a hook, ``callstatus serve --db calls.db`` does the same. Secrets come from CALLSTATUS_SECRET_<VENDOR>.
"""

import logging

from callstatus import WebhookSecrets
from callstatus.receiver import create_app

logger = logging.getLogger("example")


def on_event(event, observation):
    """Runs after each delivery is stored: hand a call that just ended to your retry policy, CRM, billing..."""
    if observation.became_terminal:
        record = observation.record
        logger.warning("call %s/%s ended: %s (%s)", record.vendor, record.call_id, record.status, record.end_reason)


app = create_app(WebhookSecrets.from_environment(), "calls.db", on_event=on_event)
