"""Counts of one import run: created, updated, unchanged and failed records per entity."""

from collections import Counter, defaultdict

from django.utils.translation import pgettext_lazy

ENTITIES = (
    "channels",
    "categories",
    "attributes",
    "options",
    "product_types",
    "variant_schemes",
    "product_models",
    "products",
    "prices",
    "media",
)
# Entity names in the summary that the import command prints. The context keeps other
# catalogues' translations of the same words (such as "products") out of the summary.
ENTITY_LABELS = {
    "channels": pgettext_lazy("import summary entity", "channels"),
    "categories": pgettext_lazy("import summary entity", "categories"),
    "attributes": pgettext_lazy("import summary entity", "attributes"),
    "options": pgettext_lazy("import summary entity", "options"),
    "product_types": pgettext_lazy("import summary entity", "families"),
    "variant_schemes": pgettext_lazy("import summary entity", "family variants"),
    "product_models": pgettext_lazy("import summary entity", "product models"),
    "products": pgettext_lazy("import summary entity", "products"),
    "prices": pgettext_lazy("import summary entity", "prices"),
    "media": pgettext_lazy("import summary entity", "media files"),
}
OUTCOMES = ("created", "updated", "unchanged", "failed")
# Issues kept in memory per (severity, code) for the summary; all are stored as SyncErrors.
EXAMPLES_PER_CODE = 3


class ImportStats:
    def __init__(self):
        self.counts = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
        self.issue_counts = Counter()
        self.issue_examples = defaultdict(list)
        # Media files the export refers to but does not contain, with one example path.
        self.missing_media = 0
        self.missing_media_example = ""

    def add(self, entity, outcome, count=1):
        self.counts[entity][outcome] += count

    def add_issue(self, issue):
        key = (issue.severity, issue.code)
        self.issue_counts[key] += 1
        if len(self.issue_examples[key]) < EXAMPLES_PER_CODE:
            self.issue_examples[key].append(issue)

    @property
    def issues(self):
        """Return the example issues, errors first."""
        return [issue for key in sorted(self.issue_examples) for issue in self.issue_examples[key]]

    def total(self, outcome):
        return sum(counts[outcome] for counts in self.counts.values())

    @property
    def failed(self):
        return self.total("failed")

    @property
    def changed(self):
        return self.total("created") + self.total("updated")

    def rows(self):
        """Yield (entity, created, updated, unchanged, failed) for every entity in import order."""
        for entity in ENTITIES:
            counts = self.counts.get(entity, dict.fromkeys(OUTCOMES, 0))
            yield (entity, *(counts[outcome] for outcome in OUTCOMES))
