"""Bulk writers for products and product models.

Each batch costs a fixed number of queries whatever its size: one lookup of the bindings
(with the fingerprint of the last import) and of the existing rows, then bulk inserts and
updates. A record whose fingerprint is unchanged is skipped without a write. A changed one
has its values, translations, categories and media replaced, and its prices updated in place.
"""

from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from apiclients.cache import bump_catalog
from catalog.models import (
    AttributeValue,
    Price,
    PriceList,
    Product,
    ProductMedia,
    ProductModel,
    ProductTranslation,
)
from integrations.akeneo.copy import insert_rows
from integrations.akeneo.issues import ERROR, ImportIssue
from integrations.akeneo.issues import deferred_gettext as _
from integrations.models import Binding
from integrations.services.bindings import fingerprint_of

PRICE_LIST_CODE = "pim"
INSERT_BATCH = 2000
# Django's bulk_update builds one CASE expression per field, which grows slow with the batch.
UPDATE_BATCH = 250
PRICE_COLUMNS = ("product_id", "price_list_id", "channel_id", "currency", "amount", "is_gross", "valid_from", "valid_until", "created_at", "updated_at")
BINDING_COLUMNS = ("connection_id", "content_type_id", "object_id", "external_id", "pulled_fingerprint", "pulled_at", "pushed_fingerprint", "pushed_at", "created_at")
VALUE_COLUMNS = ("text_value", "number_value", "boolean_value", "date_value", "option_id", "json_value", "unit", "media_id")
EMPTY_VALUE = {"text_value": "", "number_value": None, "boolean_value": None, "date_value": None, "option_id": None, "json_value": None, "unit": "", "media_id": None}


class RecordWriter:
    """Writes batches of MappedRecords of one entity: "products" or "product_models"."""

    def __init__(self, importer, entity):
        self.importer = importer
        self.entity = entity
        self.index = importer.index
        if entity == "products":
            self.model, self.key_field, self.owner = Product, "sku", "product"
            self.update_fields = ["gtin", "product_type_id", "parent_id", "enabled", "updated_at"]
        else:
            self.model, self.key_field, self.owner = ProductModel, "code", "product_model"
            self.update_fields = ["product_type_id", "variant_scheme_id", "parent_id", "updated_at"]
        self.content_type = ContentType.objects.get_for_model(self.model)
        self.category_link = self.model.categories.through
        self.price_list = None
        if entity == "products":
            self.price_list, _created = PriceList.objects.get_or_create(code=PRICE_LIST_CODE, defaults={"name": "PIM"})

    def write_batch(self, records):
        stats = self.importer.stats
        media = self.importer.media_store.resolve([path for record in records for _code, path, _role in record.media])
        fingerprints = {
            record.key: fingerprint_of([record.content(), {path: media[path][1] if media.get(path) else None for _code, path, _role in record.media}])
            for record in records
        }
        keys = [record.key for record in records]
        bindings = {
            binding.external_id: binding
            for binding in Binding.objects.filter(connection=self.importer.connection, content_type=self.content_type, external_id__in=keys)
        }
        existing = dict(self.model.objects.filter(**{f"{self.key_field}__in": keys}).values_list(self.key_field, "id"))

        new, changed = [], []
        for record in records:
            binding = bindings.get(record.key)
            if record.key not in existing:
                new.append(record)
            elif binding is None or binding.pulled_fingerprint != fingerprints[record.key] or binding.object_id != str(existing[record.key]):
                changed.append(record)
            else:
                stats.add(self.entity, "unchanged")
                stats.add("prices", "unchanged", len(record.prices))

        if self.entity == "products":
            new, changed = self.reject_gtin_conflicts(new, changed)
        if not new and not changed:
            return

        now = timezone.now()
        with transaction.atomic():
            bump_catalog(content=True)
            created = self.model.objects.bulk_create([self.instance(record, None, now) for record in new], batch_size=INSERT_BATCH)
            ids = {record.key: instance.pk for record, instance in zip(new, created, strict=True)}
            changed_ids = [existing[record.key] for record in changed]
            self.model.objects.bulk_update([self.instance(record, existing[record.key], now) for record in changed], self.update_fields, batch_size=UPDATE_BATCH)
            ids.update({record.key: existing[record.key] for record in changed})
            if self.entity == "product_models":
                for record in new:
                    self.index.add_model(record.key, ids[record.key])

            self.delete_children(changed_ids)
            written = new + changed
            self.insert_children(written, ids, media)
            if self.entity == "products":
                self.write_prices(new, changed, ids, now)
            self.save_bindings(written, ids, bindings, fingerprints, now)

        stats.add(self.entity, "created", len(new))
        stats.add(self.entity, "updated", len(changed))

    def instance(self, record, pk, now):
        fields = record.fields
        family = self.index.families.get(fields["product_type"] or "")
        parent_id = self.index.model_id(fields["parent"]) if fields["parent"] else None
        values = {self.key_field: record.key, "product_type_id": family.id if family else None, "parent_id": parent_id, "updated_at": now}
        if self.entity == "products":
            values.update(gtin=fields["gtin"], enabled=fields["enabled"])
        else:
            values["variant_scheme_id"] = self.index.schemes[fields["variant_scheme"]][0]
        if pk is None:
            values["created_at"] = now
        return self.model(pk=pk, **values)

    def reject_gtin_conflicts(self, new, changed):
        """Reject records whose GTIN another product already has, in the database or this batch."""
        candidates = [record for record in new + changed if record.fields["gtin"]]
        if not candidates:
            return new, changed
        gtin_owners = dict(
            Product.objects.filter(gtin__in=[record.fields["gtin"] for record in candidates])
            .exclude(sku__in=[record.key for record in candidates])
            .values_list("gtin", "sku")
        )
        rejected = set()
        for record in candidates:
            gtin = record.fields["gtin"]
            if gtin in gtin_owners:
                location = record.location
                self.importer.report([ImportIssue(
                    "products", "duplicate_gtin",
                    _("GTIN %(value)s already belongs to product %(other)s. Each product needs its own GTIN; correct one of them.") % {"value": gtin, "other": gtin_owners[gtin]},
                    location.source, location.line, location.column_of(self.index.gtin_attribute), gtin, record.key, ERROR,
                )])
                rejected.add(record.key)
                self.importer.stats.add("products", "failed")
            else:
                gtin_owners[gtin] = record.key
        return [r for r in new if r.key not in rejected], [r for r in changed if r.key not in rejected]

    def delete_children(self, ids):
        if not ids:
            return
        owner_in = {f"{self.owner}_id__in": ids}
        AttributeValue.objects.filter(**owner_in).delete()
        ProductMedia.objects.filter(**owner_in).exclude(attribute_code="").delete()
        self.category_link.objects.filter(**{f"{self.owner_field()}__in": ids}).delete()
        if self.entity == "products":
            ProductTranslation.objects.filter(product_id__in=ids).delete()

    def owner_field(self):
        return "product_id" if self.entity == "products" else "productmodel_id"

    def insert_children(self, records, ids, media):
        owner_column = f"{self.owner}_id"
        values, links, translations, usages = [], [], [], []
        for record in records:
            owner_id = ids[record.key]
            for code, locale, channel, columns in record.values:
                values.append(self.attribute_value(owner_id, code, locale, channel, columns, media))
            for code in record.categories:
                links.append((owner_id, self.index.categories[code]))
            for locale, texts in record.translations.items():
                translations.append((owner_id, locale, texts["name"], texts["description"]))
            for position, (code, path, role) in enumerate(record.media):
                if media.get(path):
                    usages.append((owner_id, media[path][0], role, code, position))

        insert_rows(AttributeValue, (owner_column, "attribute_id", "locale", "channel", *VALUE_COLUMNS), values)
        insert_rows(self.category_link, (self.owner_field(), "category_id"), links)
        insert_rows(ProductTranslation, ("product_id", "locale", "name", "description"), translations)
        insert_rows(ProductMedia, (owner_column, "asset_id", "role", "attribute_code", "position"), usages)

    def attribute_value(self, owner_id, code, locale, channel, columns, media):
        """Return one AttributeValue row as a tuple: owner, attribute, locale, channel, VALUE_COLUMNS."""
        attribute = self.index.attributes[code]
        typed = dict(EMPTY_VALUE)
        for name, data in columns.items():
            if name == "number_value":
                typed["number_value"] = Decimal(data)
            elif name == "date_value":
                typed["date_value"] = date.fromisoformat(data)
            elif name == "option":
                typed["option_id"] = self.index.option_ids[(attribute.id, data)]
            elif name == "media":
                # The Akeneo file path stays in text_value, so a file missing from the export
                # keeps its reference and can be attached later.
                typed["text_value"] = data
                typed["media_id"] = media[data][0] if media.get(data) else None
            else:
                typed[name] = data
        return (owner_id, attribute.id, locale, channel, *(typed[name] for name in VALUE_COLUMNS))

    def write_prices(self, new, changed, ids, now):
        stats = self.importer.stats
        prices = []
        for record in new:
            for price in record.prices:
                prices.append((ids[record.key], self.price_list.pk, None, price["currency"], Decimal(price["amount"]), True, None, None, now, now))
        stats.add("prices", "created", len(prices))

        existing = {}
        changed_ids = [ids[record.key] for record in changed]
        if changed_ids:
            for price in Price.objects.filter(product_id__in=changed_ids, price_list=self.price_list, channel__isnull=True, valid_from__isnull=True):
                existing[(price.product_id, price.currency)] = price
        updated, keep = [], set()
        for record in changed:
            product_id = ids[record.key]
            for price in record.prices:
                key = (product_id, price["currency"])
                keep.add(key)
                amount = Decimal(price["amount"])
                current = existing.get(key)
                if current is None:
                    prices.append((product_id, self.price_list.pk, None, price["currency"], amount, True, None, None, now, now))
                    stats.add("prices", "created")
                elif current.amount != amount:
                    current.amount, current.updated_at = amount, now
                    updated.append(current)
                    stats.add("prices", "updated")
                else:
                    stats.add("prices", "unchanged")
        stale = [price.pk for key, price in existing.items() if key not in keep]

        insert_rows(Price, PRICE_COLUMNS, prices)
        Price.objects.bulk_update(updated, ["amount", "updated_at"], batch_size=UPDATE_BATCH)
        if stale:
            Price.objects.filter(pk__in=stale).delete()

    def save_bindings(self, records, ids, bindings, fingerprints, now):
        created, updated = [], []
        for record in records:
            binding = bindings.get(record.key)
            if binding is None:
                created.append((self.importer.connection.pk, self.content_type.pk, str(ids[record.key]), record.key, fingerprints[record.key], now, "", None, now))
            else:
                binding.object_id = str(ids[record.key])
                binding.pulled_fingerprint = fingerprints[record.key]
                binding.pulled_at = now
                updated.append(binding)
        insert_rows(Binding, BINDING_COLUMNS, created)
        Binding.objects.bulk_update(updated, ["object_id", "pulled_fingerprint", "pulled_at"], batch_size=UPDATE_BATCH)
