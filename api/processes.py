"""What the API asks Temporal about a process it starts."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode


async def process_exists(client: Client, workflow_id: str) -> bool | None:
    """Whether a run of `workflow_id` exists (running or closed); None when Temporal cannot
    tell (unreachable)."""
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        return False if err.status is RPCStatusCode.NOT_FOUND else None
    return True
