"""Domain errors. Services raise these; the API's exception handler maps them to HTTP."""


class DomainError(Exception):
    """A business rule refused the operation. `code` is machine-readable; `field` names the input at fault."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule (sizes do not sum to quantity, due date unreachable)."""

    status_code = 400
    default_code = "invalid"


class IllegalTransition(DomainError):
    """A state change the state machine does not allow (accepting an expired offer, cancelling a shipped order)."""

    status_code = 409
    default_code = "illegal_transition"


class Conflict(DomainError):
    """The request conflicts with the current state (idempotency key reused with another body)."""

    status_code = 409
    default_code = "conflict"


class NotFound(DomainError):
    """The object does not exist for this caller (another tenant's ids answer the same)."""

    status_code = 404
    default_code = "not_found"
