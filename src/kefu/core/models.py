from django.db import models
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class VersionedModel(TimestampedModel):
    """Optimistic concurrency: writers state the version they read; services bump it."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True
