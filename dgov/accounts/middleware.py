import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
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
                messages.info(request, _("You were logged out after a period of inactivity. Please log in again."))
                return redirect_to_login(request.get_full_path())
            if last is None or now - last > TOUCH_EVERY:
                request.session[SESSION_KEY] = now
        return self.get_response(request)
