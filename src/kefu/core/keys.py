"""Key ring maintenance: which rows each key encrypted, and re-encryption under the current key."""

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count

from . import crypto
from .fields import encrypted_fields, index_fields, key_field


def encrypted_models(app_registry=apps) -> list:
    return [m for m in app_registry.get_models() if key_field(m) is not None]


def status() -> dict:
    """{model label: {key id ('' = not yet encrypted): rows}}."""
    return {m._meta.label: dict(m.objects.values_list(key_field(m).name).annotate(n=Count("pk")).values_list(key_field(m).name, "n"))
            for m in encrypted_models()}


def rotate(model, *, batch_size=500, progress=None) -> int:
    """Re-encrypt MODEL's rows that are not under the current key, and re-index them, one
    committed batch at a time in primary-key order. Interrupted, it resumes where it stopped
    when run again: rows already done carry the current key id and are not read again."""
    if not model.objects.exists():
        return 0  # a fresh database needs no key yet
    key_name = key_field(model).name
    columns = [f.name for f in encrypted_fields(model) + index_fields(model)] + [key_name]
    current = crypto.ring().current.id
    done, last = 0, None
    while True:
        with transaction.atomic():
            qs = model.objects.exclude(**{key_name: current}).order_by("pk")
            if last is not None:
                qs = qs.filter(pk__gt=last)
            batch = list(qs.select_for_update()[:batch_size])
            if not batch:
                return done
            for obj in batch:
                # Values were decrypted on load; saving encrypts them under the current key.
                for f in index_fields(model):
                    setattr(obj, f.attname, crypto.blind_index(getattr(obj, f.source), f.purpose))
                setattr(obj, key_name, current)
            _write(model, batch, columns)
        last, done = batch[-1].pk, done + len(batch)
        if progress:
            progress(model, done)


def _write(model, objs, names):
    """One UPDATE per row through executemany: far cheaper than bulk_update's CASE per column."""
    fields = [model._meta.get_field(n) for n in names]
    qn = connection.ops.quote_name
    sql = (f"UPDATE {qn(model._meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} "
           f"WHERE {qn(model._meta.pk.column)} = %s")
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
