"""Names of the records that sync errors and outbound messages refer to, such as "Order 10042".

The admin lists and the models' titles use them, so they live outside the admin package.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

# The field that people know a record by. Other record types are shown with their primary key.
NAME_FIELDS = {
    ("catalog", "product"): "sku",
    ("orders", "order"): "external_number",
    ("customers", "customer"): "email",
}

# An inbound item that failed before Kontor stored a record, such as a shop order that failed
# validation, has only its external id, which for Shopware is the order's UUID. Its stored
# payload contains the order number that the merchant uses. Keyed by connector kind and entity:
# the payload field with that number and the label that shows it.
PAYLOAD_NUMBERS = {
    ("shopware", "orders"): ("orderNumber", _("Order %(number)s")),
}

def record_names(items):
    """Return {(content type id, object id): name} for the records that `items` refer to.

    `items` are sync errors or outbound messages, or anything else with a content type and an
    object id.
    Runs one query per record type, so a list page costs the same number of queries at any length.
    Records that were deleted, or whose type has no name field, are left out.
    """
    object_ids = defaultdict(set)
    content_types = {}
    for item in items:
        if item.content_type_id and item.object_id:
            object_ids[item.content_type_id].add(item.object_id)
            content_types[item.content_type_id] = item.content_type

    names = {}
    for type_id, ids in object_ids.items():
        content_type = content_types[type_id]
        field = NAME_FIELDS.get((content_type.app_label, content_type.model))
        model = content_type.model_class()
        if field is None or model is None:
            continue
        keys = _valid_keys(model, ids)
        rows = model._base_manager.filter(pk__in=keys).values_list("pk", field)
        names.update({(type_id, str(pk)): name for pk, name in rows})
    return names


def _valid_keys(model, object_ids):
    """Return the ids that are valid primary keys of `model`, because the filter rejects the others."""
    keys = []
    for object_id in object_ids:
        try:
            keys.append(model._meta.pk.to_python(object_id))
        except ValidationError:
            continue
    return keys


def attach_record_names(items):
    """Set `record_name` on each of `items` to its record's name, or None (see record_names)."""
    names = record_names(items)
    for item in items:
        item.record_name = names.get((item.content_type_id, item.object_id))


def payload_number_label(sync_error):
    """Return the label of the number in an inbound error's payload, such as "Order 10042", or None."""
    entry = PAYLOAD_NUMBERS.get((sync_error.connection.kind, sync_error.entity))
    if entry is None or not isinstance(sync_error.payload, dict):
        return None
    field, label = entry
    number = sync_error.payload.get(field)
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)
    # A Shopware order.written event stores only the order's id, and a malformed order may lack
    # the number. Such errors keep their external id as the name.
    if not isinstance(number, str) or not number.strip():
        return None
    return label % {"number": number.strip()}


def record_label_of(item):
    """Return the name of the record of a sync error or outbound message, such as "Order 10042".

    A stored record is named by its type and name field (see NAME_FIELDS), else its primary key.
    A sync error without a stored record is named by the number in its payload (see
    PAYLOAD_NUMBERS), else its external id. An outbound message always has a record type, so the
    first rule names it even after its record was deleted. Rows of a list should have
    `record_name` set by attach_record_names, because a single row looks its name up with one query.
    """
    if item.content_type_id:
        if not hasattr(item, "record_name"):
            attach_record_names([item])
        name = item.record_name or item.object_id
        # Capitalized like the payload labels, so an order reads "Order 10042" in either case.
        return f"{capfirst(item.content_type.name)} {name}"
    return payload_number_label(item) or item.external_id
