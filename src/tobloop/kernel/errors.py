"""Base error types with stable codes; the API maps them to HTTP in one place."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorDetail:
    """Where (``loc``) and what (``msg``) went wrong inside a request or a file."""

    loc: tuple[str | int, ...]
    msg: str


@dataclass
class TobloopError(Exception):
    """A domain error a user can act on. ``code`` is stable; ``message`` is for people."""

    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    code: str = "error"
    status: int = 400

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidInput(TobloopError):
    code: str = "invalid_input"
    status: int = 422


@dataclass
class NotFound(TobloopError):
    code: str = "not_found"
    status: int = 404


@dataclass
class Conflict(TobloopError):
    code: str = "conflict"
    status: int = 409


@dataclass
class PermissionDenied(TobloopError):
    code: str = "permission_denied"
    status: int = 403


@dataclass
class NotAuthenticated(TobloopError):
    code: str = "not_authenticated"
    status: int = 401


@dataclass
class PayloadTooLarge(TobloopError):
    code: str = "payload_too_large"
    status: int = 413


@dataclass
class OverCapacity(TobloopError):
    """A valid request that needs more than the server is configured to give (memory): the
    same request fits with narrower bounds or a larger limit."""

    code: str = "over_capacity"
    status: int = 503
