"""Names of the records that sync errors and outbound messages refer to, and labels of choice columns, for the integration admin."""

import functools
import operator
import re
from collections import defaultdict
from functools import reduce

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import translation
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

# The admin searches these payload fields, so support can find such an error or inbound event
# by its number.
PAYLOAD_SEARCH_FIELDS = sorted({f"payload__{field}" for field, _label in PAYLOAD_NUMBERS.values()})


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


class RecordNamesChangeList(ChangeList):
    """A change list of sync errors or outbound messages that names a page's records with one query per record type."""

    def get_results(self, request):
        super().get_results(request)
        # The template iterates this same evaluated queryset, so its rows keep these attributes.
        attach_record_names(self.result_list)


def record_name_condition(term):
    """Return a Q that matches items whose record's name (see NAME_FIELDS) contains `term`, ignoring case.

    Each record type is a subquery on its object ids, so the search costs no extra query.
    """
    conditions = []
    for (app_label, model_name), field in NAME_FIELDS.items():
        model = apps.get_model(app_label, model_name)
        # object_id is text, so the keys are compared as text.
        keys = (
            model._base_manager.filter(**{f"{field}__icontains": term})
            .annotate(key=Cast("pk", output_field=CharField()))
            .values("key")
        )
        conditions.append(Q(content_type__app_label=app_label, content_type__model=model_name, object_id__in=keys))
    return reduce(operator.or_, conditions)


@functools.cache
def record_type_labels():
    """Return the labels of the named record types (see NAME_FIELDS) in every admin language, lower case.

    These are the words that record_label_of puts before a name, such as "order" and "bestellung".
    Cached, because the translations do not change while Kontor runs.
    """
    labels = set()
    for app_label, model_name in NAME_FIELDS:
        verbose_name = apps.get_model(app_label, model_name)._meta.verbose_name
        for language, _language_name in settings.LANGUAGES:
            with translation.override(language):
                labels.add(str(verbose_name).lower())
    return labels


def without_record_label(term):
    """Return the search `term` without a leading record type label, so "Bestellung 10109" becomes "10109".

    Support copies names as the lists show them, in either language. A term that is only a
    label, such as "Order", is returned unchanged.
    """
    # Longest first, so a label that starts with a shorter one is removed whole.
    labels = sorted(record_type_labels(), key=len, reverse=True)
    pattern = r"(?:" + "|".join(re.escape(label) for label in labels) + r")\s+(\S.*)"
    match = re.fullmatch(pattern, term, re.IGNORECASE | re.DOTALL)
    return match.group(1) if match else term


class RecordNameSearchMixin:
    """A model admin of sync errors or outbound messages whose search also finds a row by its record's name.

    The list shows a record by its name, such as "Order 10042", but the rows store only the
    record's id, which the search fields cannot match. A term copied from the list, with its
    record type label in either language, finds the record as its bare name does.
    """

    def get_search_results(self, request, queryset, search_term):
        term = without_record_label(search_term.strip())
        found, may_have_duplicates = super().get_search_results(request, queryset, term)
        if not term:
            return found, may_have_duplicates
        # NOTE: the whole term is matched against the name, unlike the search fields, which match
        # each word. A name such as a SKU with a space is found, "10042 10043" finds neither order.
        return found | queryset.filter(record_name_condition(term)), may_have_duplicates


def choice_label_column(model, field_name):
    """Return a list column that shows the label of the choice field `field_name`, capitalized, such as "Orders".

    The English labels of data domains and lanes are lower case for use inside sentences, and
    in a column of their own they read like the stored codes, such as "orders" and "hot".
    The column sorts by the field.
    """
    field = model._meta.get_field(field_name)

    @admin.display(description=field.verbose_name, ordering=field_name)
    def column(modeladmin, item):
        label = getattr(item, f"get_{field_name}_display")()
        return capfirst(label) if label else modeladmin.get_empty_value_display()

    column.__name__ = f"{field_name}_label"
    return column
