"""Dev only (ESAME_ENV=dev): the API serves the page each emailed link leads to, so that a
new user can follow every email where no web app runs (`api/web_pages.py`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.web_pages import PAGES, Page, render
from domain.links import WebPage

router = APIRouter(tags=["dev"], include_in_schema=False)

# The pages call the API of their own origin; the token arrives in the link's query.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
                               "style-src 'unsafe-inline'; connect-src 'self'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
}


def _serve(page: Page):  # type: ignore[no-untyped-def]
    body = render(page)

    async def serve() -> HTMLResponse:
        return HTMLResponse(body, headers=_HEADERS)

    return serve


for _path, _page in PAGES.items():
    router.add_api_route(str(_path.value), _serve(_page), methods=["GET"],
                         response_class=HTMLResponse, name=f"page {_path.name}")

assert set(PAGES) == set(WebPage), "every page a link leads to is served"
