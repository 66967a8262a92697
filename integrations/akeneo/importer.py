"""Import an Akeneo catalog (CSV export or REST API) into the canonical catalog.

Reference data is imported first, in dependency order, then product models (root models
before sub-models) and products in streamed batches. Every issue is kept as a SyncError of
the run, so support staff see it in the admin with the file, line, column and value.
"""

import logging
from collections import Counter

from django.db import transaction
from django.utils import timezone

from integrations.akeneo.index import CatalogIndex
from integrations.akeneo.issues import ERROR, RecordRejected
from integrations.akeneo.mappers import RecordMapper
from integrations.akeneo.media import MediaStore
from integrations.akeneo.reference import ReferenceWriter, categories_in_tree_order
from integrations.akeneo.stats import ImportStats
from integrations.akeneo.writers import RecordWriter
from integrations.domains import Domain
from integrations.models import SyncDirection, SyncError, SyncRunKind
from integrations.services.syncruns import finish_sync_run, message_translations_of, start_sync_run

logger = logging.getLogger(__name__)

REFERENCE_ENTITIES = ("channels", "categories", "attributes", "options", "product_types", "variant_schemes")
BATCH_SIZE = 1000
ERROR_CODE_PREFIX = "akeneo_"
ENTITY_DOMAINS = {"categories": Domain.CATEGORIES}


class NoProgress:
    def __init__(self, *args, **kwargs):
        pass

    def update(self, count=1):
        pass

    def close(self):
        pass


class CatalogImport:
    """One import run from `source` into the catalog, recorded on `connection`."""

    def __init__(self, connection, source, *, decimal_separator=".", progress=NoProgress, batch_size=BATCH_SIZE):
        self.connection = connection
        self.source = source
        self.progress = progress
        self.batch_size = batch_size
        self.stats = ImportStats()
        self.index = CatalogIndex()
        self.mapper = RecordMapper(self.index, decimal_separator)
        self.media_store = MediaStore(self.stats, source.read_media, trust_source_url=source.trust_media_source_url)
        self.issue_counts = Counter()
        self.pending_errors = []
        self.sync_run = None

    def run(self):
        self.sync_run = start_sync_run(self.connection, SyncRunKind.PULL, Domain.PRODUCTS)
        logger.info("akeneo import started", extra={"connection_id": self.connection.pk, "sync_run_id": self.sync_run.pk})
        try:
            if self.source.full:
                self.resolve_previous_errors()
            for entity in REFERENCE_ENTITIES:
                if self.source.has(entity):
                    self.import_reference(entity)
            if self.source.has("product_models"):
                self.import_product_models()
            if self.source.has("products"):
                self.import_products()
            self.flush_errors()
        except Exception as error:
            self.flush_errors()
            self.finish(failed_with=error)
            logger.exception("akeneo import failed", extra={"connection_id": self.connection.pk, "sync_run_id": self.sync_run.pk})
            raise
        self.finish()
        return self.stats

    def finish(self, failed_with=None):
        run = self.sync_run
        run.created_count = self.stats.total("created")
        run.updated_count = self.stats.total("updated")
        run.skipped_count = self.stats.total("unchanged")
        run.failed_count = self.stats.failed
        run.read_count = run.created_count + run.updated_count + run.skipped_count + run.failed_count
        run.message = ", ".join(f"{code}: {count}" for code, count in self.issue_counts.most_common())[:2000]
        finish_sync_run(run, failed_with=failed_with)
        logger.info(
            "akeneo import finished",
            extra={"connection_id": self.connection.pk, "sync_run_id": run.pk, "created_count": run.created_count, "updated_count": run.updated_count, "failed_count": run.failed_count},
        )

    def import_reference(self, entity):
        records = self.source.reference_records(entity, self)
        if entity == "categories":
            records = categories_in_tree_order(records)
        ReferenceWriter(self, entity).write(records)
        self.index.reload_reference()
        self.flush_errors()

    def import_product_models(self):
        # Sub-models name their parent, so every root model is written before any sub-model.
        roots, subs = [], []
        for record, location in self.source.value_records("product_models", self):
            (subs if record.get("parent") else roots).append((record, location))
        writer = RecordWriter(self, "product_models")
        bar = self.progress(total=len(roots) + len(subs), desc="product models", unit="models")
        for group in (roots, subs):
            self.write_in_batches(writer, group, self.mapper.map_product_model, bar)
        bar.close()

    def import_products(self):
        writer = RecordWriter(self, "products")
        bar = self.progress(total=self.source.count("products"), desc="products", unit="products")
        self.write_in_batches(writer, self.source.value_records("products", self), self.mapper.map_product, bar)
        bar.close()

    def write_in_batches(self, writer, records, map_record, bar):
        batch = []
        for record, location in records:
            try:
                mapped = map_record(record, location)
            except RecordRejected as rejected:
                self.report(rejected.issues)
                self.stats.add(writer.entity, "failed")
                bar.update(1)
                continue
            self.report(mapped.issues)
            batch.append(mapped)
            if len(batch) >= self.batch_size:
                self.write_batch(writer, batch, bar)
                batch = []
        if batch:
            self.write_batch(writer, batch, bar)

    def write_batch(self, writer, batch, bar):
        if not self.source.full:
            self.resolve_previous_errors([record.key for record in batch])
        writer.write_batch(batch)
        self.flush_errors()
        bar.update(len(batch))

    def report(self, issues):
        for issue in issues:
            self.issue_counts[issue.code] += 1
            self.stats.add_issue(issue)
            self.pending_errors.append(issue)

    def flush_errors(self):
        if not self.pending_errors:
            return
        errors = [
            SyncError(
                connection=self.connection,
                direction=SyncDirection.INBOUND,
                entity=ENTITY_DOMAINS.get(issue.entity, Domain.PRODUCTS),
                external_id=issue.record[:255],
                sync_run=self.sync_run,
                payload={"entity": issue.entity, "source": issue.source, "line": issue.line, "column": issue.column, "value": issue.value, "severity": issue.severity},
                code=f"{ERROR_CODE_PREFIX}{issue.code}"[:50],
                message=str(issue),
                message_translations=message_translations_of(issue),
            )
            for issue in self.pending_errors
        ]
        SyncError.objects.bulk_create(errors, batch_size=1000)
        for code, count in Counter(issue.code for issue in self.pending_errors if issue.severity == ERROR).items():
            logger.warning("akeneo records rejected", extra={"connection_id": self.connection.pk, "sync_run_id": self.sync_run.pk, "code": code, "count": count})
        self.pending_errors = []

    @transaction.atomic
    def resolve_previous_errors(self, keys=None):
        """Mark earlier import errors resolved; this run reports again whatever is still wrong."""
        errors = SyncError.objects.filter(connection=self.connection, resolved=False, code__startswith=ERROR_CODE_PREFIX).exclude(sync_run=self.sync_run)
        if keys is not None:
            errors = errors.filter(external_id__in=keys)
        errors.update(resolved=True, resolved_at=timezone.now())
