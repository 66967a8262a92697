"""Names of the records that sync errors and outbound messages refer to, and labels of choice columns, for the integration admin."""

import functools
import operator
import re
from functools import reduce

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.text import capfirst

from integrations.recordnames import NAME_FIELDS, PAYLOAD_NUMBERS, attach_record_names

# The admin searches these payload fields, so support can find such an error or inbound event
# by its number.
PAYLOAD_SEARCH_FIELDS = sorted({f"payload__{field}" for field, _label in PAYLOAD_NUMBERS.values()})


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


# The domain of rows that name a record type but store no record, such as a shop order that
# failed validation before Kontor stored it.
LABEL_DOMAINS = {("catalog", "product"): "products", ("orders", "order"): "orders", ("customers", "customer"): "customers"}


@functools.cache
def record_type_labels():
    """Return {label: (app label, model name)} for the named record types (see NAME_FIELDS) in every admin language.

    The labels are lower case: the words that record_label_of puts before a name, such as
    "order" and "bestellung". Cached, because the translations do not change while Kontor runs.
    """
    labels = {}
    for app_label, model_name in NAME_FIELDS:
        verbose_name = apps.get_model(app_label, model_name)._meta.verbose_name
        for language, _language_name in settings.LANGUAGES:
            with translation.override(language):
                labels[str(verbose_name).lower()] = (app_label, model_name)
    return labels


def split_record_label(term):
    """Return (record type, rest) for a search `term` that starts with a record type label, else (None, term).

    Support copies names as the lists show them, in either language, so "Bestellung 10109"
    becomes (("orders", "order"), "10109"). A term that is only a label, such as "Order", is
    returned unchanged.
    """
    labels = record_type_labels()
    # Longest first, so a label that starts with a shorter one is removed whole.
    alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    match = re.fullmatch(r"(" + alternatives + r")\s+(\S.*)", term, re.IGNORECASE | re.DOTALL)
    if match is None:
        return None, term
    return labels[match.group(1).lower()], match.group(2)


def without_record_label(term):
    """Return the search `term` without a leading record type label, so "Bestellung 10109" becomes "10109"."""
    return split_record_label(term)[1]


class RecordNameSearchMixin:
    """A model admin of sync errors or outbound messages whose search also finds a row by its record's name.

    The list shows a record by its name, such as "Order 10042", but the rows store only the
    record's id, which the search fields cannot match. A term copied from the list, with its
    record type label in either language, finds the record as its bare name does, and only rows
    of that record type: "Bestellung 10041" does not find product 1004114.
    """

    def get_search_results(self, request, queryset, search_term):
        record_type, term = split_record_label(search_term.strip())
        found, may_have_duplicates = super().get_search_results(request, queryset, term)
        if not term:
            return found, may_have_duplicates
        # NOTE: the whole term is matched against the name, unlike the search fields, which match
        # each word. A name such as a SKU with a space is found, "10042 10043" finds neither order.
        found = found | queryset.filter(record_name_condition(term))
        if record_type is not None:
            app_label, model_name = record_type
            found = found.filter(
                Q(content_type__app_label=app_label, content_type__model=model_name)
                | Q(content_type__isnull=True, entity=LABEL_DOMAINS[record_type])
            )
        return found, may_have_duplicates


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
