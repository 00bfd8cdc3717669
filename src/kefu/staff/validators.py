"""Password rules beyond Django's: the operators' security baselines ask for mixed characters."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]


class CharacterClassValidator:
    """At least MIN_CLASSES of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(
                _("The password must mix at least %(n)s of: lower-case letters, upper-case letters, digits, other characters.")
                % {"n": self.min_classes}, code="password_too_simple")

    def get_help_text(self):
        return _("Your password must mix at least %(n)s of: lower-case letters, upper-case letters, digits, other characters.") % {
            "n": self.min_classes}
