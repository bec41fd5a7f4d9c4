"""Composing account emails from the database, so addresses and secrets stay out of
workflow histories: a workflow names the message, the activity fills it in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from activities.messaging import MessagingActivities
from db.models import User
from domain.messages import Channel, SendMessage


def local_time(moment: datetime, timezone: str | None) -> str:
    """A moment as the reader expects it: in their timezone once they have given one."""
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def full_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}"


async def email_user(
    messaging: MessagingActivities,
    user: User,
    *,
    key: str,
    template: str,
    data: dict[str, Any],
    to: str | None = None,
) -> None:
    address = to or user.email
    if address is None:  # an expired account has no address left to write to
        return
    await messaging.send_message(
        SendMessage(
            idempotency_key=key,
            channel=Channel.email,
            to=address,
            template=template,
            language=user.language,
            data={"first_name": user.first_name, **data},
            user_id=user.id,
        )
    )
