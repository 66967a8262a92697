"""Akeneo records read through the REST API, as deltas with the `updated` filter.

Products and product models are read with `search_after` pagination, which Akeneo
recommends for full and delta syncs. The delta cursor is the largest `updated` time seen,
stored in the framework's DeltaCursor once the whole run has finished.
"""

import json
from datetime import timedelta

from django.utils import timezone

from integrations.akeneo.client import AkeneoClient
from integrations.akeneo.issues import Location
from integrations.domains import Domain
from integrations.models import DeltaCursor
from integrations.timezones import from_utc, to_utc

SELECT_TYPES = ("pim_catalog_simpleselect", "pim_catalog_multiselect")
# Re-read this much before the cursor, because items written while a page was read may carry
# an earlier `updated` time. Fingerprints make the re-read items no-ops.
OVERLAP = timedelta(minutes=5)
ENDPOINTS = {
    "channels": "/channels",
    "categories": "/categories",
    "attributes": "/attributes",
    "product_types": "/families",
    "products": "/products",
    "product_models": "/product-models",
}


class ApiSource:
    trust_media_source_url = True

    def __init__(self, connection, full=False, client=None):
        self.connection = connection
        self.client = client or AkeneoClient.for_connection(connection)
        self.cursor = DeltaCursor.objects.filter(connection=connection, entity=Domain.PRODUCTS).first()
        self.full = full or self.cursor is None or self.cursor.updated_at is None
        self.select_attributes = []
        self.families = []
        self.max_updated = None

    def describe(self):
        return self.connection.slug

    def has(self, entity):
        return entity in ENDPOINTS or entity in ("options", "variant_schemes")

    def count(self, entity):
        return None

    def reads_every_record(self, entity):
        """Return whether the run reads every record: reference data always, products and product models in a full run."""
        return self.full or entity not in ("products", "product_models")

    def reads_every_row(self, entity):
        return self.reads_every_record(entity)

    def location(self, path):
        return Location(f"GET /api/rest/v1{path}")

    def reference_records(self, entity, importer):
        if entity == "options":
            for attribute in self.select_attributes:
                path = f"/attributes/{attribute}/options"
                for item in self.client.iter_items(path):
                    yield item, self.location(path)
            return
        if entity == "variant_schemes":
            for family in self.families:
                path = f"/families/{family}/variants"
                for item in self.client.iter_items(path):
                    yield {**item, "family": family}, self.location(path)
            return

        path = ENDPOINTS[entity]
        for item in self.client.iter_items(path):
            if entity == "attributes" and item.get("type") in SELECT_TYPES:
                self.select_attributes.append(item["code"])
            if entity == "product_types":
                self.families.append(item["code"])
            yield item, self.location(path)

    def value_records(self, entity, importer):
        path = ENDPOINTS[entity]
        params = {"pagination_type": "search_after"}
        if not self.full:
            since = from_utc(self.cursor.updated_at - OVERLAP, self.connection.time_zone)
            params["search"] = json.dumps({"updated": [{"operator": ">", "value": since.strftime("%Y-%m-%d %H:%M:%S")}]})
        for item in self.client.iter_items(path, params):
            self.note_updated(item.get("updated"))
            yield item, self.location(path)

    def note_updated(self, value):
        if not value:
            return
        updated = to_utc(value, self.connection.time_zone)
        if self.max_updated is None or updated > self.max_updated:
            self.max_updated = updated

    def read_media(self, code):
        return self.client.download_media(code)

    def commit_cursors(self):
        """Store the newest `updated` time read, after the run has written everything."""
        if self.max_updated is None:
            return
        DeltaCursor.objects.update_or_create(
            connection=self.connection,
            entity=Domain.PRODUCTS,
            defaults={"updated_at": self.max_updated, "advanced_at": timezone.now()},
        )
