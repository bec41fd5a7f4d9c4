"""Video rooms for teleconsultations: a Protocol, and LiveKit access tokens signed locally
(`livekit-api`; no network is needed to issue them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from livekit import api as livekit

from core.settings import VideoSettings


class VideoRooms(Protocol):
    name: str
    url: str

    def join_token(self, *, room: str, identity: str, display_name: str, now: datetime,
                   expires_at: datetime) -> str:
        """A token to join `room` as `identity`, valid until `expires_at`."""
        ...


class LiveKitRooms:
    """LiveKit: a JWT signed with the API secret, granting this room to this person only."""

    name = "livekit"

    def __init__(self, settings: VideoSettings) -> None:
        self.url = settings.livekit_url
        self._key = settings.livekit_api_key
        self._secret = settings.livekit_api_secret.get_secret_value()

    def join_token(self, *, room: str, identity: str, display_name: str, now: datetime,
                   expires_at: datetime) -> str:
        ttl = max(expires_at - now, timedelta(seconds=1))
        return (livekit.AccessToken(self._key, self._secret)
                .with_identity(identity).with_name(display_name).with_ttl(ttl)
                .with_grants(livekit.VideoGrants(room_join=True, room=room,
                                                 can_publish=True, can_subscribe=True))
                .to_jwt())


def build_video_rooms(settings: VideoSettings) -> VideoRooms:
    return LiveKitRooms(settings)
