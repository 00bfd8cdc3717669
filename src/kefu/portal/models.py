from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginCode(models.Model):
    """One request for a sign-in code. Only the number's blind index and the code's salted hash
    are kept. A request for a number that belongs to no customer is recorded too (without a
    customer or a code), and counted against the number's rate limit alike
    (contacts.services.take_sms_slot), so that it answers the same way: the portal never tells
    who is a customer."""

    phone_bidx = models.CharField(_("mobile number (blind index)"), max_length=32, editable=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)  # old rows are pruned
    expires_at = models.DateTimeField(_("expires at"))
    tries = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        # Each request ends the earlier codes of its number.
        indexes = [models.Index(fields=["phone_bidx", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M}"
