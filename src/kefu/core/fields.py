"""Model fields for personal data at rest: encrypted text and its blind index (see crypto.py)."""

from django.db import models
from django.db.models.lookups import Exact

from . import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted with the current field key. Only emptiness can be filtered on: an exact
    lookup goes through the model's blind index instead (see BlindIndexField)."""

    def __init__(self, *args, max_chars=None, **kwargs):
        self.max_chars = max_chars  # validated on the plaintext; the stored text is longer
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.max_chars is not None:
            kwargs["max_chars"] = self.max_chars
        return name, path, args, kwargs

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        return value if value is None else crypto.decrypt(value, self._context())

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or crypto.is_encrypted(value):
            return value
        return crypto.encrypt(value, self._context())

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull", "exact"}:
            return None  # no LIKE or range on ciphertext: it would silently match nothing
        return super().get_lookup(lookup_name)

    def formfield(self, **kwargs):
        # A one-line input in the admin, as the plain CharField it replaces.
        kwargs.setdefault("max_length", self.max_chars)
        return models.CharField(max_length=self.max_chars).formfield(**{**kwargs, "label": self.verbose_name,
                                                                          "required": not self.blank,
                                                                          "help_text": self.help_text})


@EncryptedTextField.register_lookup
class _ExactEmpty(Exact):
    """`field=""` stays possible (blank values are stored as they are); comparing with a value
    is refused, since the ciphertext never equals it: look up by the blind index instead."""

    lookup_name = "exact"

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise TypeError(f"{self.lhs.target.name} is encrypted: filter on its blind index (crypto.lookup_hashes)")
        return super().get_prep_lookup()


class _ComputedField(models.CharField):
    """An indexed column the model never edits: its value is computed from the row on every
    save (COMPUTE), and its fixed options stay out of migrations."""

    LENGTH = 32
    FIXED = ("max_length", "blank", "editable", "db_index")

    def __init__(self, *args, **kwargs):
        kwargs.update(max_length=self.LENGTH, blank=True, editable=False, db_index=True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for fixed in self.FIXED:
            kwargs.pop(fixed, None)
        return name, path, args, kwargs

    def compute(self, model_instance) -> str:
        raise NotImplementedError  # each kind of computed column says how

    def pre_save(self, model_instance, add):
        value = self.compute(model_instance)
        setattr(model_instance, self.attname, value)
        return value


class BlindIndexField(_ComputedField):
    """The keyed hash of SOURCE's plaintext, kept in step on every save (crypto.blind_index)."""

    def __init__(self, *args, source: str, purpose: str, **kwargs):
        self.source, self.purpose = source, purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        return name, path, args, kwargs

    def compute(self, model_instance):
        return crypto.blind_index(getattr(model_instance, self.source), self.purpose)


class KeyIdField(_ComputedField):
    """Which ring key encrypted the row's fields: what `kefu keys rotate` looks for."""

    LENGTH = 16

    def compute(self, model_instance):
        return crypto.ring().current.id


def encrypted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def index_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def key_field(model):
    return next((f for f in model._meta.concrete_fields if isinstance(f, KeyIdField)), None)


class EncryptedFieldsMixin:
    """A save naming only some fields still keeps their blind indexes and key id in step."""

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None:
            model = type(self)
            update_fields = set(update_fields)
            update_fields |= {f.name for f in index_fields(model) if f.source in update_fields}
            if key_field(model) and any(f.name in update_fields for f in encrypted_fields(model)):
                update_fields.add(key_field(model).name)
        super().save(*args, update_fields=update_fields, **kwargs)  # type: ignore[misc]  # mixed into models
