"""Password validators (identity numbers and credit codes: dgov.core.validators). Messages are Chinese
through i18n."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class CharacterClassValidator:
    """Passwords must mix character classes (MLPS: complexity): lower, upper, digit, symbol."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
        if classes < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_classes")

    def get_help_text(self):
        return ngettext(
            "The password must contain at least %(n)d of: lower-case letters, capital letters, digits, symbols.",
            "The password must contain at least %(n)d of: lower-case letters, capital letters, digits, symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}
