"""Records of the simulated Odoo: create, read, write, search and unlink on the sandbox store.

Each Odoo model is a store collection and each record a JSON document with integer ids, Odoo's
create_date and write_date ("YYYY-MM-DD HH:MM:SS", UTC) and many2one fields kept as ids. They
are read the Odoo way: a many2one as [id, display name], an unset field as false.
"""

import json
from datetime import UTC, timedelta

from django.db.models import BigIntegerField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from integrations.sandbox import store
from integrations.sandbox.models import SandboxRecord
from integrations.sandbox.odoo.domain import implied_condition, matcher

SYSTEM = "odoo"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# many2one fields and the model they point to.
MANY2ONE = {
    "sale.order": {
        "partner_id": "res.partner", "partner_invoice_id": "res.partner", "partner_shipping_id": "res.partner",
        "pricelist_id": "product.pricelist", "currency_id": "res.currency", "warehouse_id": "stock.warehouse",
    },
    "res.partner": {"country_id": "res.country", "parent_id": "res.partner"},
    "product.pricelist": {"currency_id": "res.currency"},
    "stock.quant": {"product_id": "product.product", "location_id": "stock.location", "warehouse_id": "stock.warehouse"},
    "stock.location": {"warehouse_id": "stock.warehouse"},
    "stock.warehouse": {"lot_stock_id": "stock.location"},
    "stock.picking": {"partner_id": "res.partner", "sale_id": "sale.order", "location_id": "stock.location"},
    "account.move": {"partner_id": "res.partner", "currency_id": "res.currency"},
}

# The field kept as the store's natural key of a model, for indexed lookups by it.
NATURAL_KEYS = {
    "sale.order": "client_order_ref",
    "product.product": "default_code",
    "res.partner": "email",
    "account.move": "name",
    "stock.picking": "name",
    "res.country": "code",
    "res.currency": "name",
}

# Models that exist in the simulation. A call on any other model fails with NotFound, as in Odoo.
MODELS = {
    "res.partner", "res.country", "res.currency", "res.company", "res.users",
    "product.product", "product.pricelist", "account.tax", "sale.order",
    "stock.warehouse", "stock.location", "stock.quant", "stock.picking", "account.move",
}


class UserError(Exception):
    """Raised where Odoo raises odoo.exceptions.UserError or ValidationError."""

    odoo_name = "odoo.exceptions.UserError"


class MissingError(UserError):
    odoo_name = "odoo.exceptions.MissingError"


def format_datetime(moment):
    return moment.astimezone(UTC).strftime(DATETIME_FORMAT)


def _natural_key(model, data):
    if model == "stock.quant":
        return f"{data.get('product_id')}@{data.get('location_id')}"
    field = NATURAL_KEYS.get(model)
    value = data.get(field) if field else ""
    if model == "res.partner":
        return str(value or "").strip().lower()
    return str(value or "")


def _save(model, data, now):
    data["write_date"] = format_datetime(now)
    row, _created = store.put(SYSTEM, model, str(data["id"]), data, natural_key=_natural_key(model, data), now=now)
    return row


def create(model, values, now=None):
    """Create a record and return its data with its new id."""
    now = now or timezone.now()
    record_id = store.next_number(SYSTEM, f"id:{model}", start=0)
    data = {"id": record_id, **values, "create_date": format_datetime(now)}
    _save(model, data, now)
    return data


def create_many(model, values_list, now=None):
    """Create many records with two queries (their ids and one INSERT); return their data in order."""
    now = now or timezone.now()
    ids = store.next_numbers(SYSTEM, f"id:{model}", len(values_list), start=0)
    created = []
    for record_id, values in zip(ids, values_list, strict=True):
        data = {"id": record_id, **values, "create_date": format_datetime(now), "write_date": format_datetime(now)}
        created.append(data)
    store.insert_many(SYSTEM, model, [(str(data["id"]), data, _natural_key(model, data)) for data in created], now=now)
    return created


def browse_many(model, record_ids):
    """Return {id: data} of many records, read with one query; unknown ids are left out."""
    rows = SandboxRecord.objects.filter(system=SYSTEM, collection=model, record_id__in={str(record_id) for record_id in record_ids})
    return {row.data["id"]: row.data for row in rows}


def lock_many(model, record_ids):
    """Lock many records in id order with one query; return {id: row}. Unknown ids are left out."""
    rows = (
        SandboxRecord.objects.select_for_update()
        .filter(system=SYSTEM, collection=model, record_id__in={str(record_id) for record_id in record_ids})
        .order_by(Cast("record_id", BigIntegerField()))
    )
    return {row.data["id"]: row for row in rows}


def write_rows(model, rows, now=None):
    """Save records whose locked rows (from lock_many) had their data changed, with one UPDATE."""
    now = now or timezone.now()
    for row in rows:
        row.data["write_date"] = format_datetime(now)
        row.natural_key = _natural_key(model, row.data)
    store.update_rows(rows, now=now)


def browse(model, record_id, *, lock=False):
    """Return the data of one record, or None."""
    row = store.get_row(SYSTEM, model, str(record_id), lock=lock)
    return None if row is None else row.data


def get(model, record_id, *, lock=False):
    """Return the data of one record or raise MissingError as Odoo does."""
    data = browse(model, record_id, lock=lock)
    if data is None:
        raise MissingError(f"Record does not exist or has been deleted. (Record: {model}({record_id},))")
    return data


def write(model, record_id, values, now=None):
    """Update fields of one record (its row locked) and return its new data."""
    data = get(model, record_id, lock=True)
    data.update(values)
    _save(model, data, now or timezone.now())
    return data


def unlink(model, record_id):
    return store.delete(SYSTEM, model, str(record_id))


def resolve(model, field, value):
    """Return (target model, target record) of a many2one value, for dotted domain paths."""
    target_model = MANY2ONE.get(model, {}).get(field)
    if target_model is None or not value:
        return target_model, None
    record_id = value[0] if isinstance(value, list) else value
    return target_model, browse(target_model, record_id)


def _narrowed_rows(model, domain):
    """Return the store rows that can match, narrowed in the database by indexed leaves."""
    rows = SandboxRecord.objects.filter(system=SYSTEM, collection=model)
    condition = implied_condition(domain, lambda leaf: _leaf_condition(model, leaf))
    return rows if condition is None else rows.filter(condition)


def _leaf_condition(model, leaf):
    """Return a Q on indexed columns that every record matching the leaf meets, or None."""
    field, operator, value = leaf
    natural_field = NATURAL_KEYS.get(model)
    if field == "id" and operator == "=":
        return Q(record_id=str(value))
    if field == "id" and operator == "in":
        return Q(record_id__in=[str(item) for item in value])
    if field == natural_field and operator in ("=", "=ilike") and isinstance(value, str):
        return Q(natural_key=value.lower() if model == "res.partner" else value)
    if field == natural_field and operator == "in":
        return Q(natural_key__in=[str(item) for item in value])
    if model == "stock.quant" and field == "product_id" and operator == "in":
        if not value:
            # Matches nothing: a condition no row meets.
            return Q(pk__in=[])
        condition = Q()
        for product_id in value:
            condition |= Q(natural_key__startswith=f"{product_id}@")
        return condition
    if field == "write_date" and isinstance(value, str):
        return _write_date_condition(operator, value)
    return None


def _write_date_condition(operator, text):
    """Translate a write_date leaf to the indexed changed_at column (write_date is changed_at to the second)."""
    from datetime import datetime

    try:
        moment = datetime.strptime(text, DATETIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        # Not Odoo's format: no narrowing, the record-by-record match compares the text.
        return None
    next_second = moment + timedelta(seconds=1)
    if operator == ">":
        return Q(changed_at__gte=next_second)
    if operator == ">=":
        return Q(changed_at__gte=moment)
    if operator == "<":
        return Q(changed_at__lt=moment)
    if operator == "<=":
        return Q(changed_at__lt=next_second)
    if operator == "=":
        return Q(changed_at__gte=moment, changed_at__lt=next_second)
    return None


def _memoized(resolve):
    """Return `resolve` remembering its results for one search.

    A dotted leaf such as location_id.usage otherwise reads the same location once per quant.
    """
    results = {}

    def cached(model, field, value):
        key = (model, field, json.dumps(value))
        if key not in results:
            results[key] = resolve(model, field, value)
        return results[key]

    return cached


def _sort_key(order):
    keys = []
    for part in (order or "id asc").split(","):
        words = part.split()
        if words:
            keys.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    return keys


def _sortable(value):
    # Unset values sort last, as NULLs do in PostgreSQL's ascending order.
    if value is False or value is None:
        return (1, 0)
    if isinstance(value, list):
        value = value[0] if value else 0
    return (0, value)


def search(model, domain, *, offset=0, limit=None, order=None):
    """Return the data of the records matching `domain`, sorted by `order`, paged."""
    found = [row.data for row in _narrowed_rows(model, domain).iterator()]
    is_match = matcher(domain, model, _memoized(resolve))
    found = [data for data in found if is_match(data)]
    for field, descending in reversed(_sort_key(order)):
        found.sort(key=lambda data, field=field: _sortable(data.get(field, False)), reverse=descending)
    end = None if limit is None else offset + limit
    return found[offset:end]


def display_name(model, data):
    if model == "product.product":
        code = data.get("default_code")
        return f"[{code}] {data.get('name', '')}" if code else data.get("name", "")
    return data.get("name") or data.get("code") or str(data["id"])


def _targets(model, records, names):
    """Load the records that the many2one fields `names` of `records` point to, one query per model."""
    relations = MANY2ONE.get(model, {})
    wanted = {}
    for data in records:
        for name in names:
            if name in relations and data.get(name):
                wanted.setdefault(relations[name], set()).add(str(data[name]))
    targets = {}
    for target_model, ids in wanted.items():
        rows = SandboxRecord.objects.filter(system=SYSTEM, collection=target_model, record_id__in=ids)
        targets.update({(target_model, row.data["id"]): row.data for row in rows})
    return targets


def read_many(model, records, fields=None):
    """Return records as Odoo's read gives them: many2one as [id, name], unset as false."""
    results = []
    relations = MANY2ONE.get(model, {})
    all_names = fields or sorted({name for data in records for name in data if not name.startswith("_")})
    targets = _targets(model, records, all_names)
    for data in records:
        names = fields or [name for name in data if not name.startswith("_")]
        result = {"id": data["id"]}
        for name in names:
            if name == "id":
                continue
            value = data.get(name, False)
            if name in relations and value:
                target = targets.get((relations[name], value))
                value = [value, display_name(relations[name], target) if target else str(value)]
            elif value is None:
                value = False
            result[name] = value
        results.append(result)
    return results
