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
