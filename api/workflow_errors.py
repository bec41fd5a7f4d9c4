"""Turning a workflow's business failure into the HTTP answer it stands for."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.plan_gate import plan_required_problem
from api.problems import Problem
from domain.entitlements import PlanFeature
from domain.errors import HTTP_STATUS, BusinessError


def plan_required_from(cause: ApplicationError) -> Problem:
    """A process refused for the plan (`business_error(BusinessError.plan_required, detail,
    feature)`): the same problem as the API's own check."""
    feature = next((PlanFeature(d) for d in cause.details
                    if isinstance(d, str) and d in PlanFeature.__members__), None)
    return plan_required_problem(feature, cause.message)


def problem_from_temporal(
    err: Exception, *, closed_detail: str = "This process is over."
) -> Problem:
    """Map an update failure (ApplicationError type) or a closed workflow to a Problem."""
    if isinstance(err, WorkflowUpdateFailedError):
        cause: BaseException | None = err.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = getattr(cause, "cause", None)
        if isinstance(cause, ApplicationError) and cause.type:
            if cause.type == BusinessError.plan_required.value:
                return plan_required_from(cause)
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
