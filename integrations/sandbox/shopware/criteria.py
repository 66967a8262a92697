"""Evaluation of Shopware search criteria (filter, sort, page, limit, ids, includes) on JSON records.

Supported filter types: equals, equalsAny, contains, prefix, suffix, range (gt, gte, lt, lte),
not and multi (operator AND/OR; not takes AND/OR too, negating the combination). Field paths
are dotted ("stateMachineState.technicalName"); a path through a list matches when any element
matches, as Shopware's to-many filters do. Time stamps compare as instants, not as text.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

TOTAL_COUNT_NONE, TOTAL_COUNT_EXACT, TOTAL_COUNT_NEXT_PAGES = 0, 1, 2
RANGE_OPERATORS = {"gt", "gte", "lt", "lte"}
FILTER_TYPES = {"equals", "equalsAny", "contains", "prefix", "suffix", "range", "not", "multi"}


class CriteriaError(ValueError):
    """Invalid criteria; `pointer` is the JSON pointer of the bad part, as the API reports it."""

    def __init__(self, detail, pointer):
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


@dataclass
class Criteria:
    filters: list = field(default_factory=list)
    sort: list = field(default_factory=list)
    page: int = 1
    limit: int | None = None
    ids: list | None = None
    includes: dict = field(default_factory=dict)
    associations: dict = field(default_factory=dict)
    total_count_mode: int = TOTAL_COUNT_NONE


def parse(body):
    """Read a criteria body into Criteria; raise CriteriaError for an invalid part."""
    if not isinstance(body, dict):
        raise CriteriaError("The criteria must be a JSON object.", "/")
    criteria = Criteria()
    for index, item in enumerate(body.get("filter") or body.get("post-filter") or []):
        _check_filter(item, f"/filter/{index}")
        criteria.filters.append(item)
    for index, item in enumerate(body.get("sort") or []):
        if not isinstance(item, dict) or not item.get("field"):
            raise CriteriaError("A sort needs a field.", f"/sort/{index}")
        criteria.sort.append((item["field"], str(item.get("order", "ASC")).upper()))

    criteria.page = _positive_int(body.get("page", 1), "/page")
    if body.get("limit") is not None:
        criteria.limit = _positive_int(body["limit"], "/limit")
    if body.get("ids") is not None:
        if not isinstance(body["ids"], list):
            raise CriteriaError("ids must be a list of ids.", "/ids")
        criteria.ids = [str(value) for value in body["ids"]]
    criteria.includes = body.get("includes") or {}
    criteria.associations = body.get("associations") or {}
    mode = body.get("total-count-mode", TOTAL_COUNT_NONE)
    names = {"none": TOTAL_COUNT_NONE, "exact": TOTAL_COUNT_EXACT, "next-pages": TOTAL_COUNT_NEXT_PAGES}
    criteria.total_count_mode = names.get(mode, mode) if isinstance(mode, str) else mode
    if criteria.total_count_mode not in (0, 1, 2):
        raise CriteriaError("total-count-mode must be 0, 1, 2, none, exact or next-pages.", "/total-count-mode")
    return criteria


def _positive_int(value, pointer):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CriteriaError(f"Expected a positive integer, got {value!r}.", pointer) from None
    if number < 1:
        raise CriteriaError(f"Expected a positive integer, got {value!r}.", pointer)
    return number


def _check_filter(item, pointer):
    if not isinstance(item, dict) or item.get("type") not in FILTER_TYPES:
        raise CriteriaError(f"Unknown filter type; use one of {sorted(FILTER_TYPES)}.", pointer + "/type")
    kind = item["type"]
    if kind in ("multi", "not"):
        for index, inner in enumerate(item.get("queries") or []):
            _check_filter(inner, f"{pointer}/queries/{index}")
        return
    if not item.get("field"):
        raise CriteriaError("The filter needs a field.", pointer + "/field")
    if kind == "range":
        parameters = item.get("parameters") or {}
        if not parameters or set(parameters) - RANGE_OPERATORS:
            raise CriteriaError("A range filter takes parameters gt, gte, lt or lte.", pointer + "/parameters")


def values_at(record, path):
    """Return every value at a dotted path; lists along the path fan out."""
    current = [record]
    for part in path.split("."):
        following = []
        for value in current:
            if isinstance(value, list):
                value_items = value
            else:
                value_items = [value]
            for item in value_items:
                if isinstance(item, dict) and part in item:
                    following.append(item[part])
        current = following
    flattened = []
    for value in current:
        flattened.extend(value if isinstance(value, list) else [value])
    return flattened or [None]


def _comparable(value):
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        moment = parse_datetime(value.replace(" ", "T", 1)) if len(value) > 10 else parse_datetime(value + "T00:00:00")
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value


def _compare(value, operator, bound):
    if value is None:
        return False
    left, right = _comparable(value), _comparable(bound)
    if isinstance(left, datetime) != isinstance(right, datetime):
        return False
    try:
        if operator == "gt":
            return left > right
        if operator == "gte":
            return left >= right
        if operator == "lt":
            return left < right
        return left <= right
    except TypeError:
        return False


def _field_name(path, entity):
    """Strip a leading entity name: Shopware accepts "product.productNumber" and "productNumber"."""
    prefix = entity + "."
    return path[len(prefix):] if path.startswith(prefix) else path


def matches(record, item, entity):
    kind = item["type"]
    if kind == "multi":
        results = [matches(record, inner, entity) for inner in item.get("queries") or []]
        return any(results) if str(item.get("operator", "AND")).upper() == "OR" else all(results)
    if kind == "not":
        results = [matches(record, inner, entity) for inner in item.get("queries") or []]
        combined = any(results) if str(item.get("operator", "AND")).upper() == "OR" else all(results)
        return not combined

    values = values_at(record, _field_name(item["field"], entity))
    if kind == "equals":
        expected = item.get("value")
        return any(_comparable(value) == _comparable(expected) for value in values)
    if kind == "equalsAny":
        expected = item.get("value")
        expected = expected.split("|") if isinstance(expected, str) else list(expected or [])
        return any(value in expected for value in values)
    if kind == "contains":
        return any(isinstance(value, str) and str(item.get("value", "")).lower() in value.lower() for value in values)
    if kind == "prefix":
        return any(isinstance(value, str) and value.startswith(str(item.get("value", ""))) for value in values)
    if kind == "suffix":
        return any(isinstance(value, str) and value.endswith(str(item.get("value", ""))) for value in values)
    parameters = item.get("parameters") or {}
    return any(all(_compare(value, operator, bound) for operator, bound in parameters.items()) for value in values)


def _sort_key(record, path, entity):
    value = _comparable(values_at(record, _field_name(path, entity))[0])
    # Nulls first in ascending order, as MySQL sorts them.
    if value is None:
        return (0, "")
    if isinstance(value, datetime):
        return (1, value.timestamp())
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))


def apply(records, criteria, entity):
    """Filter, sort and page records; return (page of records, total as the count mode defines it)."""
    selected = records
    if criteria.ids is not None:
        wanted = set(criteria.ids)
        selected = [record for record in selected if record.get("id") in wanted]
    selected = [record for record in selected if all(matches(record, item, entity) for item in criteria.filters)]

    # Sort by the last key first, so earlier keys win (stable sort).
    for path, order in reversed(criteria.sort or [("id", "ASC")]):
        selected.sort(key=lambda record, path=path: _sort_key(record, path, entity), reverse=(order == "DESC"))

    if criteria.limit is None:
        page = selected
    else:
        start = (criteria.page - 1) * criteria.limit
        page = selected[start:start + criteria.limit]

    if criteria.total_count_mode == TOTAL_COUNT_EXACT:
        total = len(selected)
    elif criteria.total_count_mode == TOTAL_COUNT_NEXT_PAGES and criteria.limit is not None:
        # Shopware counts at most the next five pages in this mode.
        start = (criteria.page - 1) * criteria.limit
        total = start + min(len(selected) - start, criteria.limit * 6)
    else:
        total = len(page)
    return page, total


def apply_includes(record, includes, entity):
    """Keep only the included fields of a record (apiAlias always stays)."""
    fields = includes.get(entity)
    if not fields:
        return record
    return {key: value for key, value in record.items() if key in fields or key == "apiAlias"}
