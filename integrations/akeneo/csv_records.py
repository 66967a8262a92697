"""Turn rows of an Akeneo CSV export into records shaped like the REST API's JSON.

The mapper reads only the API shape, so the CSV path and the API path share one mapper.
Value columns are named `<attribute>[-<locale>][-<channel>]`, with `-<currency>` for price
collections and `-unit` beside a metric's amount column; which parts a column has follows
from the attribute being localizable, scopable, a price or a metric.
"""

from integrations.akeneo.issues import WARNING, ImportIssue, Location, yes_no
from integrations.akeneo.issues import deferred_gettext as _

PRICE = "pim_catalog_price_collection"
METRIC = "pim_catalog_metric"
MULTI_SELECT = "pim_catalog_multiselect"
ASSOCIATION_SUFFIXES = {"groups", "products", "product_models", "quantified"}
PRODUCT_FIELDS = {"categories", "enabled", "family", "parent", "groups"}
MODEL_FIELDS = {"code", "family_variant", "parent", "categories"}


def split_list(value):
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def flag(value):
    """Return True/False for Akeneo's 1/0 flags, None for an empty cell."""
    value = (value or "").strip()
    if value == "":
        return None
    return value in ("1", "true", "True")


def enabled_flag(value):
    """Return True/False for 1/0/true/false, True for an empty cell, else the text unchanged.

    The mapper rejects a product whose `enabled` is not a boolean, so a typo such as "maybe"
    is reported instead of silently disabling the product.
    """
    text = (value or "").strip()
    if text == "":
        return True
    if text.lower() in ("1", "true"):
        return True
    if text.lower() in ("0", "false"):
        return False
    return text


def clean_text(value):
    return (value or "").replace("\r\n", "\n")


def labels_of(row, prefix="label-"):
    return {column[len(prefix):]: clean_text(value) for column, value in row.items() if column.startswith(prefix) and value}


def channel_record(row):
    return {
        "code": row["code"],
        "locales": split_list(row.get("locales")),
        "currencies": split_list(row.get("currencies")),
        "category_tree": row.get("tree") or None,
        "labels": labels_of(row),
    }


def locale_record(row):
    return {"code": row["code"], "enabled": flag(row.get("activated")) or False}


def category_record(row):
    return {"code": row["code"], "parent": row.get("parent") or None, "labels": labels_of(row)}


def attribute_record(row):
    sort_order = (row.get("sort_order") or "0").strip()
    return {
        "code": row["code"],
        "type": row["type"],
        "group": row.get("group") or "",
        "localizable": bool(flag(row.get("localizable"))),
        "scopable": bool(flag(row.get("scopable"))),
        "unique": bool(flag(row.get("unique"))),
        "decimals_allowed": flag(row.get("decimals_allowed")),
        "negative_allowed": flag(row.get("negative_allowed")),
        "metric_family": row.get("metric_family") or None,
        "default_metric_unit": row.get("default_metric_unit") or None,
        "sort_order": int(sort_order) if sort_order.isdigit() else 0,
        "labels": labels_of(row),
    }


def option_record(row):
    sort_order = (row.get("sort_order") or "0").strip()
    return {
        "code": row["code"],
        "attribute": row["attribute"],
        "sort_order": int(sort_order) if sort_order.isdigit() else 0,
        "labels": labels_of(row),
    }


def family_record(row):
    return {
        "code": row["code"],
        "attributes": split_list(row.get("attributes")),
        "attribute_as_label": row.get("attribute_as_label") or None,
        "attribute_as_image": row.get("attribute_as_image") or None,
        "labels": labels_of(row),
    }


def family_variant_record(row):
    sets = []
    for level in (1, 2):
        axes = split_list(row.get(f"variant-axes_{level}"))
        if axes:
            sets.append({"level": level, "axes": axes, "attributes": split_list(row.get(f"variant-attributes_{level}"))})
    return {"code": row["code"], "family": row["family"], "labels": labels_of(row), "variant_attribute_sets": sets}


class ValueColumns:
    """How the value columns of one products.csv or product_models.csv header map to attributes.

    `attributes` maps attribute codes to dicts with at least type, localizable and scopable.
    """

    def __init__(self, header, attributes, file_name, base_fields):
        self.file_name = file_name
        self.columns = {}
        self.ignored = []
        self.issues = []
        for column in header:
            if column in base_fields:
                continue
            key = self.parse(column, attributes)
            if key is None:
                continue
            self.columns[column] = key

    def parse(self, column, attributes):
        parts = column.split("-")
        attribute = attributes.get(parts[0])
        if attribute is None:
            if len(parts) == 2 and parts[1] in ASSOCIATION_SUFFIXES:
                # Associations (cross-sell, upsell ...) have no canonical model yet.
                self.ignored.append(column)
                return None
            self.issues.append(
                ImportIssue(
                    entity="",
                    code="unknown_attribute",
                    message=_("Column %(column)s names no known attribute, so its values were not imported. Import attributes.csv with the attribute first, or remove the column.")
                    % {"column": column},
                    source=self.file_name,
                    line=1,
                    column=column,
                    value="",
                    severity=WARNING,
                )
            )
            return None

        rest = parts[1:]
        suffix = ""
        if attribute["type"] == PRICE and rest:
            suffix = rest.pop()
        elif attribute["type"] == METRIC and rest and rest[-1] == "unit":
            suffix = rest.pop()
        locale = rest.pop(0) if attribute["localizable"] and rest else None
        scope = rest.pop(0) if attribute["scopable"] and rest else None
        if rest:
            self.issues.append(
                ImportIssue(
                    entity="",
                    code="unknown_column",
                    message=_("Column %(column)s does not fit attribute %(attribute)s (localizable: %(localizable)s, scopable: %(scopable)s), so its values were not imported.")
                    % {"column": column, "attribute": parts[0], "localizable": yes_no(attribute["localizable"]), "scopable": yes_no(attribute["scopable"])},
                    source=self.file_name,
                    line=1,
                    column=column,
                    value="",
                    severity=WARNING,
                )
            )
            return None
        return (parts[0], locale, scope, suffix)

    def values_of(self, row, attributes):
        """Return the API-shaped `values` of one row and the column header of each value."""
        values = {}
        locations = {}
        metrics = {}
        prices = {}
        for column, (code, locale, scope, suffix) in self.columns.items():
            cell = row.get(column)
            if cell is None or cell == "":
                continue
            locations[(code, locale, scope, suffix)] = column
            kind = attributes[code]["type"]
            if kind == PRICE:
                prices.setdefault((code, locale, scope), []).append({"amount": cell.strip(), "currency": suffix})
                continue
            if kind == METRIC:
                metrics.setdefault((code, locale, scope), {})["unit" if suffix else "amount"] = cell.strip()
                continue
            locations[(code, locale, scope, "")] = column
            data = split_list(cell) if kind == MULTI_SELECT else clean_text(cell)
            values.setdefault(code, []).append({"locale": locale, "scope": scope, "data": data})

        for (code, locale, scope), data in prices.items():
            values.setdefault(code, []).append({"locale": locale, "scope": scope, "data": data})
        for (code, locale, scope), parts in metrics.items():
            amount, unit = parts.get("amount"), parts.get("unit")
            # Akeneo also accepts "500 GRAM" in the amount column without a unit column.
            if amount and not unit and " " in amount:
                amount, unit = amount.split(None, 1)
            values.setdefault(code, []).append({"locale": locale, "scope": scope, "data": {"amount": amount, "unit": unit}})
            locations.setdefault((code, locale, scope, ""), locations.get((code, locale, scope, "unit")))
        return values, locations


class ProductRows:
    """Converter of products.csv rows into API-shaped product records."""

    def __init__(self, header, attributes, file_name):
        identifier = next((code for code, attribute in attributes.items() if attribute["type"] == "pim_catalog_identifier"), None)
        self.identifier = identifier or header[0]
        self.columns = ValueColumns(header, attributes, file_name, PRODUCT_FIELDS | {self.identifier})
        self.file_name = file_name

    def record(self, csv_record, attributes):
        row = csv_record.row
        values, locations = self.columns.values_of(row, attributes)
        values.pop(self.identifier, None)
        location = Location(self.file_name, csv_record.line, locations)
        record = {
            "identifier": (row.get(self.identifier) or "").strip(),
            "enabled": enabled_flag(row.get("enabled")),
            "family": (row.get("family") or "").strip() or None,
            "parent": (row.get("parent") or "").strip() or None,
            "categories": split_list(row.get("categories")),
            "groups": split_list(row.get("groups")),
            "values": values,
        }
        return record, location


class ProductModelRows:
    """Converter of product_models.csv rows into API-shaped product model records."""

    def __init__(self, header, attributes, file_name):
        self.columns = ValueColumns(header, attributes, file_name, MODEL_FIELDS)
        self.file_name = file_name

    def record(self, csv_record, attributes):
        row = csv_record.row
        values, locations = self.columns.values_of(row, attributes)
        location = Location(self.file_name, csv_record.line, locations)
        record = {
            "code": (row.get("code") or "").strip(),
            "family_variant": (row.get("family_variant") or "").strip() or None,
            "parent": (row.get("parent") or "").strip() or None,
            "categories": split_list(row.get("categories")),
            "values": values,
        }
        return record, location


REFERENCE_RECORDS = {
    "channels": channel_record,
    "locales": locale_record,
    "categories": category_record,
    "attributes": attribute_record,
    "options": option_record,
    "product_types": family_record,
    "variant_schemes": family_variant_record,
}
