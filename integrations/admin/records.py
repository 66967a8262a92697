"""Names of the records that sync errors refer to, for the sync error list."""

from collections import defaultdict

from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError

# The field that people know a record by. Other record types are shown with their primary key.
NAME_FIELDS = {
    ("catalog", "product"): "sku",
    ("orders", "order"): "external_number",
    ("customers", "customer"): "email",
}


def record_names(sync_errors):
    """Return {(content type id, object id): name} for the records that `sync_errors` refer to.

    Runs one query per record type, so a list page costs the same number of queries at any length.
    Records that were deleted, or whose type has no name field, are left out.
    """
    object_ids = defaultdict(set)
    content_types = {}
    for sync_error in sync_errors:
        if sync_error.content_type_id and sync_error.object_id:
            object_ids[sync_error.content_type_id].add(sync_error.object_id)
            content_types[sync_error.content_type_id] = sync_error.content_type

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


class SyncErrorChangeList(ChangeList):
    """The sync error list, which looks up the names of a page's records in one query per record type."""

    def get_results(self, request):
        super().get_results(request)
        names = record_names(self.result_list)
        # The template iterates this same evaluated queryset, so its rows keep these attributes.
        for sync_error in self.result_list:
            sync_error.record_name = names.get((sync_error.content_type_id, sync_error.object_id))
