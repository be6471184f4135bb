"""Graph's date-times (Edm.DateTimeOffset, written `2029-01-31T00:00:00Z`) read into `datetime`,
in one place for every part that compares them."""

from __future__ import annotations

from datetime import datetime, timedelta

RETRIED_WRITE_WINDOW = timedelta(minutes=15)
"""How close in creation time two objects must be for the second to be what a retried POST
left (the azuread provider's retries of one create span at most its timeout, 5 minutes by
default for a signing certificate; the margin covers clock skew between Graph's replicas)."""


def graph_moment(value: object) -> datetime | None:
    """`value` as an aware `datetime`, or None when it is not an RFC 3339 date-time with a time
    zone (a missing property, a malformed reply)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
