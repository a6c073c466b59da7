"""A small third-party vendor table that tests load, change and register."""

ACME_TABLE = """
[vendor]
id = "acme"
name = "Acme Voice"
docs = ["https://example.com/docs"]
checked = 2026-11-01

[[shapes]]
name = "call"
all = ["uuid", "state"]

[fields]
call_id = ["uuid"]
to_number = ["to"]
duration_seconds = { paths = ["length_ms"], unit = "ms" }

[status.state]
paths = ["state"]
docs = "https://example.com/docs#states"
values = ["Queued", "Answered", "Done", "Busy"]
map = { Queued = "queued", Answered = "in_progress", Done = "completed", Busy = "busy" }
"""


def form_calls_table(vendor: str, name: str, fields: str = "") -> str:
    """The head of a table whose calls are Twilio-like form fields (CallSid, CallStatus), for webhook tests that
    add their own [webhook] section."""
    return f"""
[vendor]
id = "{vendor}"
name = "{name}"
docs = ["https://example.com/docs"]
checked = 2026-11-01

[[shapes]]
name = "call"
all = ["CallSid", "CallStatus"]

[fields]
call_id = ["CallSid"]
{fields}
[status.state]
paths = ["CallStatus"]
docs = "https://example.com/docs#states"
values = ["ringing", "completed"]
map = {{ ringing = "ringing", completed = "completed" }}
"""
