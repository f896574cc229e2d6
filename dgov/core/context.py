"""Per-request context (request id, client address, acting user) shared by logging and audit.

Set by RequestIdMiddleware for web requests; commands set it through `use_context` so that audit
entries written from the command line carry who ran them.
"""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str | None = None
    user: object | None = None  # set explicitly (API token auth, CLI); else read from `request`
    request: object | None = None
    source: str = "web"  # web | api | cli | task

    def actor(self):
        """The authenticated user acting in this context, or None."""
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
        return None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("dgov_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


@contextlib.contextmanager
def use_context(ctx: RequestContext):
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_context(ctx: RequestContext):
    return _current.set(ctx)


def reset_context(token) -> None:
    _current.reset(token)
