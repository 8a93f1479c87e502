"""Making user text safe for Slack."""

from datetime import UTC, datetime, timedelta
from typing import Any


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def slack_date(moment: datetime, format: str = "{date_short_pretty} {time}") -> str:
    """A time each reader sees in their own time zone (Slack's date formatting), with a UTC
    fallback for clients that cannot format it."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{format}|{fallback}>"


def duration(span: timedelta) -> str:
    """`2 h 5 min`, `40 min`, `3 d 4 h`: as long as it needs to be, to the minute."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    if days or hours:
        parts[2] = f"{minutes} min" if minutes else ""
    return " ".join(part for part in parts if part) or "0 min"
