"""The OAuth2 client-credentials access token that PayPal, MTN MoMo and Orange Money each
hand out, cached until shortly before it expires."""

from __future__ import annotations

import time

import httpx


class CachedAccessToken:
    def __init__(
        self,
        url: str,
        client_id: str | None,
        client_secret: str | None,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._url = url
        self._auth = (client_id or "", client_secret or "")
        self._form = form
        self._headers = headers or {}
        self._token: tuple[str, float] | None = None

    async def get(self, http: httpx.AsyncClient) -> str:
        if self._token is None or self._token[1] < time.monotonic() + 30:
            response = await http.post(self._url, data=self._form, auth=self._auth,
                                       headers=self._headers)
            response.raise_for_status()
            data = response.json()
            self._token = (data["access_token"],
                           time.monotonic() + float(data.get("expires_in", 3600)))
        return self._token[0]
