import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.utils.translation import gettext as _

SESSION_KEY = "dgov_last_activity"
TOUCH_EVERY = 60  # seconds: avoid a session write on every request


class IdleTimeoutMiddleware:
    """Officials' browser sessions end after DGOV_IDLE_TIMEOUT_MINUTES without activity (MLPS:
    session timeout). API tokens are unaffected (they expire on their own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_official", False) \
                and not request.path.startswith("/api/"):
            now = time.time()
            last = request.session.get(SESSION_KEY)
            limit = settings.DGOV_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - last > limit:
                logout(request)
                # This middleware answers before MessageMiddleware (further down the list) has run,
                # so it sets up the message storage itself, as that middleware would.
                storage = default_storage(request)
                storage.add(messages.INFO,
                            _("You were logged out after a period of inactivity. Please log in again."))
                response = redirect_to_login(request.get_full_path())
                storage.update(response)
                return response
            if last is None or now - last > TOUCH_EVERY:
                request.session[SESSION_KEY] = now
        return self.get_response(request)
