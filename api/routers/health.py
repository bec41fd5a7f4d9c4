"""Liveness of the API and of what it depends on."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep, get_temporal

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    db: str
    temporal: str


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request, session: SessionDep) -> JSONResponse:
    """Whether the API, its database and Temporal are up."""
    db_state = temporal_state = "ok"
    try:
        await session.execute(text("SELECT 1"))
    except Exception:
        db_state = "unavailable"
    try:
        client = await get_temporal(request)
        await asyncio.wait_for(client.service_client.check_health(), timeout=5)
    except Exception:
        temporal_state = "unavailable"
    healthy = db_state == temporal_state == "ok"
    body = Health(status="ok" if healthy else "degraded", db=db_state, temporal=temporal_state)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
