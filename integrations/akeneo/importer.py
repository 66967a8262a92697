"""Import an Akeneo catalog (CSV export or REST API) into the canonical catalog.

Reference data is imported first, in dependency order, then product models (root models
before sub-models) and products in streamed batches. Every issue is kept as a SyncError, so
support staff see it in the admin with the file, line, column and value. An issue that a later
import finds again updates its error; an error is resolved once an import read its record
again without finding it, so a partial export leaves the errors of other records open.
"""

import logging
from collections import Counter, defaultdict

from django.db.models import Q
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
from integrations.services.syncruns import (
    RecordFailure,
    finish_sync_run,
    record_sync_errors,
    start_sync_run,
)

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
        # Records read since the last resolve, per entity: {entity: [(key, rejected)]}.
        self.pending_reads = defaultdict(list)
        # Keys of rejected records per entity, whose warnings the run could not check again.
        self.rejected_keys = defaultdict(set)
        self.sync_run = None

    def run(self):
        self.sync_run = start_sync_run(self.connection, SyncRunKind.PULL, Domain.PRODUCTS)
        logger.info("akeneo import started", extra={"connection_id": self.connection.pk, "sync_run_id": self.sync_run.pk})
        try:
            for entity in REFERENCE_ENTITIES:
                if self.source.has(entity):
                    self.import_reference(entity)
            if self.source.has("product_models"):
                self.import_product_models()
            if self.source.has("products"):
                self.import_products()
            self.flush_errors()
            self.resolve_errors_of_entities_read()
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
        self.resolve_fixed_errors()

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
                for key in {issue.record for issue in rejected.issues if issue.record}:
                    self.note_read(writer.entity, key, rejected=True)
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
        self.flush_errors()
        self.resolve_fixed_errors()

    def write_batch(self, writer, batch, bar):
        for record in batch:
            self.note_read(writer.entity, record.key)
        writer.write_batch(batch)
        self.flush_errors()
        self.resolve_fixed_errors()
        bar.update(len(batch))

    def report(self, issues):
        for issue in issues:
            self.issue_counts[issue.code] += 1
            self.stats.add_issue(issue)
            self.pending_errors.append(issue)

    def note_read(self, entity, key, rejected=False):
        """Note that the run read record `key` of `entity` again, so its earlier errors can be checked."""
        self.pending_reads[entity].append((key, rejected))
        if rejected:
            self.rejected_keys[entity].add(key)

    def flush_errors(self):
        """Record the pending issues, one open sync error per record, problem and place.

        An issue that an earlier import found already updates that error (the run that saw it
        last, its message and how many imports found it), so a re-import adds no duplicates.
        """
        if not self.pending_errors:
            return
        groups = {}
        for issue in self.pending_errors:
            groups.setdefault(error_identity(issue), []).append(issue)
        record_sync_errors(
            self.connection, SyncDirection.INBOUND,
            [RecordFailure(RecordIssues(issues), entity, external_id, payload_of(issues)) for (entity, external_id, _code), issues in groups.items()],
            sync_run=self.sync_run,
        )
        # Rejected records are summed up per code; each error is in the admin.
        for code, count in Counter(issue.code for issue in self.pending_errors if issue.severity == ERROR).items():
            logger.warning("akeneo records rejected", extra={"connection_id": self.connection.pk, "sync_run_id": self.sync_run.pk, "code": code, "count": count})
        self.pending_errors = []

    def open_errors(self):
        return SyncError.objects.filter(
            connection=self.connection, direction=SyncDirection.INBOUND, resolved=False, code__startswith=ERROR_CODE_PREFIX
        )

    def resolve_fixed_errors(self):
        """Resolve the earlier errors of the records read since the last call that this run did not find again.

        A rejected record was checked only up to its errors, so its earlier warnings stay open.
        """
        reads, self.pending_reads = self.pending_reads, defaultdict(list)
        for entity, keys in reads.items():
            read = {key for key, rejected in keys if not rejected}
            rejected = {key for key, rejected in keys if rejected} - read
            scope = Q(external_id__in=read)
            if rejected:
                scope |= Q(external_id__in=rejected, payload__severity=ERROR)
            self.resolve(self.earlier_errors(entity).filter(scope))

    def resolve_errors_of_entities_read(self):
        """Resolve earlier errors that no record or row of this run's input has any more.

        Problems of a line or column rather than a record are checked again whenever the whole
        file (or endpoint) is read. Errors of records that this run did not read are resolved
        only when the source read every record of the entity, because then such a record no
        longer exists. A CSV export may contain just a few products, and the others keep their errors.
        """
        for entity in (*REFERENCE_ENTITIES, "product_models", "products"):
            if not self.source.has(entity):
                continue
            earlier = self.earlier_errors(entity)
            if self.source.reads_every_row(entity):
                self.resolve(earlier.filter(Q(payload__record="") | Q(external_id="")))
            if self.source.reads_every_record(entity):
                kept = Q(external_id__in=self.rejected_keys[entity]) & ~Q(payload__severity=ERROR)
                self.resolve(earlier.exclude(kept))

    def earlier_errors(self, entity):
        """Return the open import errors of `entity` that this run has not recorded again."""
        return self.open_errors().filter(payload__entity=entity).exclude(sync_run=self.sync_run)

    def resolve(self, errors):
        count = errors.update(resolved=True, resolved_at=timezone.now())
        if count:
            logger.info("akeneo import errors resolved", extra={"connection_id": self.connection.pk, "sync_run_id": self.sync_run.pk, "count": count})


class RecordIssues:
    """The issues of one record with the same code, recorded as one sync error."""

    def __init__(self, issues):
        self.issues = issues
        self.code = f"{ERROR_CODE_PREFIX}{issues[0].code}"[:50]

    @property
    def support_message(self):
        return "\n".join(str(issue) for issue in self.issues)


def error_identity(issue):
    """Return (domain, external id, code) that identify the sync error of an issue.

    An issue of a line or column without a record (a row that cannot be read, an unknown
    column) is identified by its place instead, such as "products.csv, line 7".
    """
    return (str(ENTITY_DOMAINS.get(issue.entity, Domain.PRODUCTS)), (issue.record or place_of(issue))[:255], f"{ERROR_CODE_PREFIX}{issue.code}"[:50])


def place_of(issue):
    parts = [issue.source]
    if issue.line:
        parts.append(f"line {issue.line}")
    if issue.column:
        parts.append(f"column {issue.column}")
    return ", ".join(parts)


def payload_of(issues):
    first = issues[0]
    payload = {"entity": first.entity, "source": first.source, "line": first.line, "column": first.column, "value": first.value, "severity": first.severity}
    if not first.record:
        payload["record"] = ""
    if len(issues) > 1:
        payload["more"] = [{"line": issue.line, "column": issue.column, "value": issue.value} for issue in issues[1:]]
    return payload
