"""Turning a workflow's business failure into the HTTP answer it stands for."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem
from domain.errors import HTTP_STATUS, BusinessError


def problem_from_temporal(
    err: Exception, *, closed_detail: str = "This process is over."
) -> Problem:
    """Map an update failure (ApplicationError type) or a closed workflow to a Problem."""
    if isinstance(err, WorkflowUpdateFailedError):
        cause: BaseException | None = err.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = getattr(cause, "cause", None)
        if isinstance(cause, ApplicationError) and cause.type:
            try:
                status = HTTP_STATUS[BusinessError(cause.type)]
            except ValueError:
                status = 409
            return Problem(status, cause.message)
        return Problem(409, closed_detail)
    if isinstance(err, RPCError) and err.status in (
        RPCStatusCode.NOT_FOUND,
        RPCStatusCode.FAILED_PRECONDITION,
    ):
        return Problem(409, closed_detail)
    return Problem(503, "The workflow engine could not complete the request.")
