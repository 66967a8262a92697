"""Bindings: which canonical record is which external id in a connection, and its sync state."""

import hashlib
import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.utils import timezone

from integrations.models import Binding


def fingerprint_of(payload):
    """Return a SHA-256 hex digest of a payload, independent of key order."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def binding_for(connection, record):
    """Return the binding of a canonical record in a connection, or None."""
    content_type = ContentType.objects.get_for_model(record)
    return Binding.objects.filter(
        connection=connection, content_type=content_type, object_id=str(record.pk)
    ).first()


def find_record(connection, model, external_id):
    """Return the canonical record of `model` bound to `external_id`, or None."""
    content_type = ContentType.objects.get_for_model(model)
    binding = Binding.objects.filter(
        connection=connection, content_type=content_type, external_id=str(external_id)
    ).first()
    if binding is None:
        return None
    return model._default_manager.filter(pk=binding.object_id).first()


def bindings_of(connection, records):
    """Return {record pk: binding} for many records of one model in a connection, with one query."""
    records = list(records)
    if not records:
        return {}
    content_type = ContentType.objects.get_for_model(records[0])
    rows = Binding.objects.filter(
        connection=connection, content_type=content_type, object_id__in=[str(record.pk) for record in records]
    )
    by_key = {str(record.pk): record.pk for record in records}
    return {by_key[row.object_id]: row for row in rows}


def find_records(connection, model, external_ids):
    """Return {external id as text: record} of `model` bound to these ids, with two queries.

    An id without a binding, or whose record is gone, is left out.
    """
    external_ids = sorted({str(external_id) for external_id in external_ids})
    if not external_ids:
        return {}
    content_type = ContentType.objects.get_for_model(model)
    bound = dict(
        Binding.objects.filter(connection=connection, content_type=content_type, external_id__in=external_ids).values_list(
            "external_id", "object_id"
        )
    )
    records = {str(pk): record for pk, record in model._default_manager.in_bulk(list(bound.values())).items()}
    return {external_id: records[object_id] for external_id, object_id in bound.items() if object_id in records}


def bind(connection, record, external_id):
    """Create or return the binding of a record to an external id.

    A record already bound to another external id keeps its binding; the caller sees the
    stored external id on the returned row.
    """
    content_type = ContentType.objects.get_for_model(record)
    binding, _created = Binding.objects.get_or_create(
        connection=connection,
        content_type=content_type,
        object_id=str(record.pk),
        defaults={"external_id": str(external_id)},
    )
    return binding


def bind_many(connection, records_and_ids):
    """Bind many records ([(record, external id)]) with one INSERT; return nothing.

    The rule is bind's: a record already bound keeps its binding, and so does an external id
    already bound to another record. Two workers binding the same record at once both succeed.
    """
    rows = [
        Binding(
            connection=connection,
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            external_id=str(external_id),
        )
        for record, external_id in records_and_ids
    ]
    if rows:
        Binding.objects.bulk_create(rows, ignore_conflicts=True)


def record_pulled(connection, record, external_id, fingerprint):
    """Store that `record` was read from the connection with this content fingerprint."""
    binding = bind(connection, record, external_id)
    binding.pulled_fingerprint = fingerprint
    binding.pulled_at = timezone.now()
    binding.save(update_fields=["pulled_fingerprint", "pulled_at"])
    return binding


def record_pushed(connection, content_type, object_id, fingerprint, external_id=""):
    """Store that a record was pushed with this fingerprint; create the binding when new.

    Two workers may push the same new record at once. The binding is created with
    get_or_create, which falls back to reading the other worker's row when the unique
    constraint rejects the second insert, so both end with the same binding.
    """
    lookup = {"connection": connection, "content_type": content_type, "object_id": str(object_id)}
    binding = Binding.objects.filter(**lookup).first()
    if binding is None:
        if not external_id:
            # Without a remote id there is nothing to bind yet; the next pull binds it.
            return None
        try:
            binding, _created = Binding.objects.get_or_create(**lookup, defaults={"external_id": str(external_id)})
        except IntegrityError:
            # The other worker bound the same external id first, under this record's key.
            binding = Binding.objects.get(
                connection=connection, content_type=content_type, external_id=str(external_id)
            )
    binding.pushed_fingerprint = fingerprint
    binding.pushed_at = timezone.now()
    binding.save(update_fields=["pushed_fingerprint", "pushed_at"])
    return binding


def push_is_redundant(connection, content_type, object_id, fingerprint):
    """Return whether the connection already has exactly this content for the record."""
    return Binding.objects.filter(
        connection=connection,
        content_type=content_type,
        object_id=str(object_id),
        pushed_fingerprint=fingerprint,
    ).exists()


def forget_pushed(connection, records):
    """Make the next push of each record to `connection` go out, even with unchanged content.

    For a remote copy that the remote system changed on its own, so that what Kontor pushed
    last is no longer what the remote system holds.
    """
    records = list(records)
    if not records:
        return
    content_type = ContentType.objects.get_for_model(records[0])
    Binding.objects.filter(
        connection=connection, content_type=content_type, object_id__in=[str(record.pk) for record in records]
    ).update(pushed_fingerprint="")
