from django.contrib.auth.backends import ModelBackend

from dgov.accounts.models import User


class LockoutModelBackend(ModelBackend):
    """Django's backend, refusing locked accounts. Interactive logins go through
    `services.login` (lockout counting, second factor, audit); this backend serves the session
    machinery and any code calling `django.contrib.auth.authenticate`."""

    def user_can_authenticate(self, user: User) -> bool:
        return super().user_can_authenticate(user) and not user.is_locked
