"""Writers for Akeneo's reference data: channels, categories, attributes, options, families
and family variants. These are small (hundreds of rows), so each writer loads the entity's
stored rows and bindings into memory, saves each changed record on its own and writes the
bindings in bulk. A fingerprint in the record's Binding lets an unchanged record be skipped.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from apiclients.cache import bump_catalog
from catalog.models import (
    Attribute,
    AttributeOption,
    Category,
    Channel,
    ProductType,
    VariantAxis,
    VariantScheme,
)
from integrations.akeneo.issues import ERROR, WARNING, ImportIssue, RecordRejected
from integrations.akeneo.issues import deferred_gettext as _
from integrations.akeneo.values import TYPE_MAP
from integrations.models import Binding
from integrations.services.bindings import fingerprint_of

logger = logging.getLogger(__name__)

MODELS = {
    "channels": Channel,
    "categories": Category,
    "attributes": Attribute,
    "options": AttributeOption,
    "product_types": ProductType,
    "variant_schemes": VariantScheme,
}
# Fields that identify a stored record of the entity, in the order of its lookup key.
LOOKUP_FIELDS = {"options": ("attribute_id", "code")}


def reject(entity, location, key, code, message, column="", value=""):
    raise RecordRejected([ImportIssue(entity, code, message, location.source, location.line, column, str(value), key, ERROR)])


def first_label(labels, fallback):
    return labels.get("en_US") or next(iter(labels.values()), "") or fallback


class ReferenceWriter:
    """Writes one entity's records; `build` returns (key, lookup, defaults, after_save)."""

    def __init__(self, importer, entity):
        self.importer = importer
        self.entity = entity
        self.model = MODELS[entity]
        self.lookup_fields = LOOKUP_FIELDS.get(entity, ("code",))
        self.content_type = ContentType.objects.get_for_model(self.model)
        self.bindings = {
            binding.external_id: binding
            for binding in Binding.objects.filter(connection=importer.connection, content_type=self.content_type)
        }
        self.instances = {self.key_of(instance): instance for instance in self.model.objects.all()}
        self.instances_by_pk = {instance.pk: instance for instance in self.instances.values()}
        self.stored_ids = {str(pk) for pk in self.instances_by_pk}
        self.changed_bindings = {}

    def key_of(self, instance):
        return tuple(getattr(instance, name) for name in self.lookup_fields)

    def write(self, records):
        # One transaction per entity: these are few rows, and a commit per row costs more than the row.
        with transaction.atomic():
            bump_catalog(content=True)
            self.write_records(records)
            self.save_bindings()

    def write_records(self, records):
        stats = self.importer.stats
        for record, location in records:
            try:
                key, lookup, defaults, after_save = getattr(self, f"build_{self.entity}")(record, location)
            except RecordRejected as rejected:
                stats.add(self.entity, "failed")
                self.importer.report(rejected.issues)
                for issue_key in {issue.record for issue in rejected.issues if issue.record}:
                    self.importer.note_read(self.entity, issue_key, rejected=True)
                continue
            self.importer.note_read(self.entity, key)

            fingerprint = fingerprint_of([defaults, after_save[1] if after_save else None])
            binding = self.bindings.get(key)
            if binding is not None and binding.pulled_fingerprint == fingerprint and binding.object_id in self.stored_ids:
                stats.add(self.entity, "unchanged")
                continue

            instance = self.instances.get(tuple(lookup[name] for name in self.lookup_fields))
            outcome = "updated" if instance else "created"
            if instance is None:
                instance = self.model(**lookup)
            for name, value in defaults.items():
                setattr(instance, name, value)
            if self.entity == "categories" and instance.parent_id:
                # The parent is stored already (tree order), so save() computes the path without a query.
                instance.parent = self.instances_by_pk[instance.parent_id]
            instance.save()
            self.instances[self.key_of(instance)] = instance
            self.instances_by_pk[instance.pk] = instance
            self.stored_ids.add(str(instance.pk))
            if after_save:
                after_save[0](instance)
            self.remember(key, instance, fingerprint)
            stats.add(self.entity, outcome)

    def remember(self, key, instance, fingerprint):
        binding = self.bindings.get(key)
        if binding is None:
            binding = Binding(connection=self.importer.connection, content_type=self.content_type, external_id=key)
            self.bindings[key] = binding
        binding.object_id = str(instance.pk)
        binding.pulled_fingerprint = fingerprint
        binding.pulled_at = timezone.now()
        self.changed_bindings[key] = binding

    def save_bindings(self):
        new = [binding for binding in self.changed_bindings.values() if binding.pk is None]
        stored = [binding for binding in self.changed_bindings.values() if binding.pk is not None]
        Binding.objects.bulk_create(new, batch_size=1000)
        Binding.objects.bulk_update(stored, ["object_id", "pulled_fingerprint", "pulled_at"], batch_size=500)
        self.changed_bindings = {}

    def build_channels(self, record, location):
        code = record["code"]
        labels = record.get("labels") or {}
        defaults = {
            "name": first_label(labels, code),
            "locales": list(record.get("locales") or []),
            "currencies": list(record.get("currencies") or []),
        }
        return code, {"code": code}, defaults, None

    def build_categories(self, record, location):
        code = record["code"]
        parent_code = record.get("parent")
        parent = None
        if parent_code:
            parent = self.instances.get((parent_code,))
            if parent is None:
                reject("categories", location, code, "unknown_parent", _("Parent category %(value)s does not exist. Add it to categories.csv.") % {"value": parent_code}, "parent", parent_code)
        defaults = {"parent_id": parent.pk if parent else None, "labels": record.get("labels") or {}, "position": record.get("position", 0)}
        return code, {"code": code}, defaults, None

    def build_attributes(self, record, location):
        code = record["code"]
        kind = TYPE_MAP.get(record.get("type"))
        if kind is None:
            reject(
                "attributes", location, code, "unsupported_attribute_type",
                _("Attribute %(code)s has type %(value)s, which Kontor cannot store yet. Its values are skipped.") % {"code": code, "value": record.get("type")},
                "type", record.get("type"),
            )
        defaults = {
            "type": kind,
            "labels": record.get("labels") or {},
            "group": record.get("group") or "",
            "localizable": bool(record.get("localizable")),
            "scopable": bool(record.get("scopable")),
            "unique": bool(record.get("unique")),
            "decimals_allowed": record.get("decimals_allowed") is not False,
            "negative_allowed": record.get("negative_allowed") is not False,
            "unit_family": record.get("metric_family") or "",
            "default_unit": record.get("default_metric_unit") or "",
            "position": record.get("sort_order") or 0,
        }
        return code, {"code": code}, defaults, None

    def build_options(self, record, location):
        attribute_code, code = record.get("attribute"), record["code"]
        attribute = self.importer.index.attributes.get(attribute_code)
        if attribute is None:
            reject("options", location, f"{attribute_code}.{code}", "unknown_attribute", _("Attribute %(value)s does not exist. Import it with attributes.csv first.") % {"value": attribute_code}, "attribute", attribute_code)
        lookup = {"attribute_id": attribute.id, "code": code}
        defaults = {"labels": record.get("labels") or {}, "position": record.get("sort_order") or 0}
        return f"{attribute_code}.{code}", lookup, defaults, None

    def build_product_types(self, record, location):
        code = record["code"]
        attributes = self.importer.index.attributes
        known = sorted(name for name in record.get("attributes") or [] if name in attributes)
        unknown = sorted(set(record.get("attributes") or []) - set(known))
        if unknown:
            self.importer.report([ImportIssue(
                "product_types", "unknown_attribute",
                _("Attributes %(value)s do not exist and were left out of the family. Import them with attributes.csv first.") % {"value": ", ".join(unknown)},
                location.source, location.line, "attributes", ", ".join(unknown), code, WARNING,
            )])
        label = record.get("attribute_as_label")
        if record.get("attribute_as_image"):
            self.importer.index.image_attributes[code] = record["attribute_as_image"]
        defaults = {
            "labels": record.get("labels") or {},
            "label_attribute_id": attributes[label].id if label in attributes else None,
        }
        attribute_ids = sorted(attributes[name].id for name in known)

        def set_attributes(product_type):
            product_type.attributes.set(attribute_ids)

        return code, {"code": code}, defaults, (set_attributes, [known, record.get("attribute_as_image")])

    def build_variant_schemes(self, record, location):
        code = record["code"]
        family = ProductType.objects.filter(code=record.get("family")).first()
        if family is None:
            reject("variant_schemes", location, code, "unknown_family", _("Family %(value)s does not exist. Import families.csv with it first.") % {"value": record.get("family")}, "family", record.get("family"))
        attributes = self.importer.index.attributes
        axes = []
        for attribute_set in record.get("variant_attribute_sets") or []:
            level = attribute_set.get("level")
            for position, axis in enumerate(attribute_set.get("axes") or []):
                if axis not in attributes:
                    reject("variant_schemes", location, code, "unknown_axis", _("Variant axis %(value)s is not a known attribute. Import it with attributes.csv first.") % {"value": axis}, f"variant-axes_{level}", axis)
                if level not in (1, 2):
                    reject("variant_schemes", location, code, "invalid_level", _("Level %(value)s is not supported; Kontor has variant levels 1 and 2.") % {"value": level}, "variant_attribute_sets", level)
                axes.append([level, axis, position])

        def set_axes(scheme):
            scheme.axes.all().delete()
            VariantAxis.objects.bulk_create(
                VariantAxis(scheme=scheme, level=level, attribute_id=attributes[axis].id, position=position)
                for level, axis, position in axes
            )

        defaults = {"product_type_id": family.pk, "labels": record.get("labels") or {}}
        return code, {"code": code}, defaults, (set_axes, axes)


def categories_in_tree_order(records):
    """Return category records with every parent before its children, keeping file order otherwise."""
    records = list(records)
    by_code = {record["code"]: item for item in records for record in [item[0]]}
    ordered, seen = [], set()

    def visit(code, trail):
        if code in seen or code not in by_code or code in trail:
            return
        parent = by_code[code][0].get("parent")
        if parent:
            visit(parent, trail | {code})
        seen.add(code)
        ordered.append(by_code[code])

    for position, (record, _location) in enumerate(records):
        record.setdefault("position", position)
        visit(record["code"], frozenset())
    return ordered
