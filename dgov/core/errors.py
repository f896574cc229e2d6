"""One error hierarchy for the whole platform.

Every error has a stable machine `code`, a human `message` (translated, Chinese by default) and
optional `details`. The API maps them to `{"code", "message", "details"}` with the class's HTTP
status; views map them to form errors.
"""

from django.utils.translation import gettext_lazy as _


class DgovError(Exception):
    status = 400
    code = "error"
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, code: str | None = None, details=None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.details = details if details is not None else {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "details": self.details}

    def sentences(self) -> list[str]:
        """What a page shows of the error: its field messages, or else its message."""
        details = self.details if isinstance(self.details, dict) else {}
        found = [str(m) for ms in details.values() for m in (ms if isinstance(ms, (list, tuple)) else [ms])]
        return found or [str(self.message)]


class ValidationError(DgovError):
    """Bad input. `details` maps field names to lists of messages."""

    status = 422
    code = "invalid"
    default_message = _("Some of the data is not valid.")

    @classmethod
    def from_django(cls, exc) -> "ValidationError":
        if hasattr(exc, "message_dict"):
            details = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        else:
            details = {"__all__": [str(m) for m in exc.messages]}
        return cls(details=details)


class NotAuthenticated(DgovError):
    status = 401
    code = "not_authenticated"
    default_message = _("Please log in first.")


class AuthenticationFailed(DgovError):
    status = 401
    code = "invalid_credentials"
    default_message = _("The username or password is incorrect.")


class AccountLocked(DgovError):
    status = 403
    code = "account_locked"
    default_message = _("Too many failed attempts: the account is locked. Try again later.")


class OtpRequired(DgovError):
    status = 401
    code = "otp_required"
    default_message = _("A one-time code from your authenticator app is required.")


class OtpInvalid(DgovError):
    status = 401
    code = "otp_invalid"
    default_message = _("The one-time code is incorrect or has expired.")


class PermissionDenied(DgovError):
    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFound(DgovError):
    status = 404
    code = "not_found"
    default_message = _("The object does not exist or is outside your data scope.")


class Conflict(DgovError):
    status = 409
    code = "conflict"
    default_message = _("The request conflicts with the current state.")
