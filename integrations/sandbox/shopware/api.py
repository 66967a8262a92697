"""Views of the simulated Shopware 6 Admin API: search, CRUD, Sync API and state transitions.

Paths, payloads and errors follow the public Admin API contract: entity routes use dashed
names (/api/order-delivery), JSON bodies, `{"total", "data", "aggregations"}` for searches and
JSON:API `errors[]` with a `source.pointer` for write errors.
"""

import json

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime

from integrations.sandbox import store
from integrations.sandbox.shopware import criteria as criteria_module
from integrations.sandbox.shopware.auth import error_response
from integrations.sandbox.shopware.orders import TransitionError, apply_transition, assemble
from integrations.sandbox.shopware.state import SYSTEM, ensure_seeded, now_iso
from integrations.sandbox.shopware.writes import ENTITIES, WriteError, entity_for_route, is_id
from integrations.sandbox.shopware.writes import delete as delete_record
from integrations.sandbox.shopware.writes import upsert as upsert_record


def _not_found_entity(name):
    return error_response(404, "FRAMEWORK__DEFINITION_NOT_FOUND", "Not Found", f'Definition for entity "{name}" does not exist.')


def _read_json(request):
    try:
        return json.loads(request.body or b"{}"), None
    except ValueError:
        return None, error_response(400, "FRAMEWORK__INVALID_REQUEST_PARAMETER", "Bad Request", "The request body is not valid JSON.")


def _lower_bound_of_change(filters):
    """Return the earliest createdAt/updatedAt bound every match must pass, or None.

    Lets the database skip records not changed since then before the full filter runs.
    """
    bounds = []
    for item in filters:
        bound = _range_bound(item)
        if bound is None and item.get("type") == "multi" and str(item.get("operator", "AND")).upper() == "OR":
            inner = [_range_bound(query) for query in item.get("queries") or []]
            bound = min(inner) if inner and None not in inner else None
        if bound is not None:
            bounds.append(bound)
    return max(bounds) if bounds else None


def _range_bound(item):
    if item.get("type") != "range" or str(item.get("field", "")).split(".")[-1] not in ("createdAt", "updatedAt"):
        return None
    parameters = item.get("parameters") or {}
    value = parameters.get("gte", parameters.get("gt"))
    moment = parse_datetime(str(value).replace(" ", "T", 1)) if value else None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


def run_search(entity, body):
    """Return (page of records, total) for a criteria body; raise CriteriaError for bad criteria."""
    criteria = criteria_module.parse(body)
    rows = store.rows(SYSTEM, entity.name)
    if criteria.ids is not None:
        rows = rows.filter(record_id__in=criteria.ids)
    changed_since = _lower_bound_of_change(criteria.filters)
    if changed_since is not None:
        rows = rows.filter(changed_at__gte=changed_since)
    for item in criteria.filters:
        if entity.natural_key and item.get("field") in (entity.natural_key, f"{entity.name}.{entity.natural_key}"):
            if item.get("type") == "equals" and item.get("value") is not None:
                rows = rows.filter(natural_key=str(item["value"]))
            elif item.get("type") == "equalsAny" and isinstance(item.get("value"), list):
                rows = rows.filter(natural_key__in=[str(value) for value in item["value"]])

    records = [row.data for row in rows.order_by("changed_at", "record_id")]
    page, total = criteria_module.apply(records, criteria, entity.name)
    if entity.name == "order":
        page = assemble(page, criteria.associations)
    page = [criteria_module.apply_includes(record, criteria.includes, entity.name) for record in page]
    return page, total


def search(request, entity_route):
    """POST /api/search/{entity} with a criteria body."""
    entity = entity_for_route(entity_route)
    if entity is None:
        return _not_found_entity(entity_route)
    ensure_seeded()
    body, error = _read_json(request)
    if error:
        return error
    try:
        page, total = run_search(entity, body)
    except criteria_module.CriteriaError as exc:
        return error_response(400, "FRAMEWORK__INVALID_CRITERIA_PARAMETERS", "Bad Request", exc.detail, exc.pointer)
    return JsonResponse({"total": total, "data": page, "aggregations": []})


def search_ids(request, entity_route):
    """POST /api/search-ids/{entity}: only the ids and the total."""
    entity = entity_for_route(entity_route)
    if entity is None:
        return _not_found_entity(entity_route)
    body, error = _read_json(request)
    if error:
        return error
    try:
        page, total = run_search(entity, body)
    except criteria_module.CriteriaError as exc:
        return error_response(400, "FRAMEWORK__INVALID_CRITERIA_PARAMETERS", "Bad Request", exc.detail, exc.pointer)
    return JsonResponse({"total": total, "data": [record["id"] for record in page]})


def entity_collection(request, entity_route):
    """GET /api/{entity}?page=&limit= lists; POST /api/{entity} creates one record."""
    entity = entity_for_route(entity_route)
    if entity is None:
        return _not_found_entity(entity_route)
    ensure_seeded()
    if request.method == "GET":
        body = {"page": request.GET.get("page", 1), "limit": request.GET.get("limit", 25), "total-count-mode": 1}
        try:
            page, total = run_search(entity, body)
        except criteria_module.CriteriaError as exc:
            return error_response(400, "FRAMEWORK__INVALID_CRITERIA_PARAMETERS", "Bad Request", exc.detail, exc.pointer)
        return JsonResponse({"total": total, "data": page, "aggregations": []})

    body, error = _read_json(request)
    if error:
        return error
    return _write_one(request, entity, body)


def entity_detail(request, entity_route, record_id):
    """GET, PATCH or DELETE /api/{entity}/{id}."""
    entity = entity_for_route(entity_route)
    if entity is None:
        return _not_found_entity(entity_route)
    record = store.get(SYSTEM, entity.name, record_id)
    if record is None:
        return error_response(404, "FRAMEWORK__ENTITY_NOT_FOUND", "Not Found", f'Could not find entity "{entity.name}" with id "{record_id}".')

    if request.method == "GET":
        if entity.name == "order":
            record = assemble([record], {"lineItems": {}, "deliveries": {}, "transactions": {}})[0]
        return JsonResponse({"data": record})
    if request.method == "DELETE":
        delete_record(entity.name, {"id": record_id})
        return HttpResponse(status=204)

    body, error = _read_json(request)
    if error:
        return error
    if not isinstance(body, dict):
        return error_response(400, "FRAMEWORK__INVALID_REQUEST_PARAMETER", "Bad Request", "The body must be a JSON object.")
    return _write_one(request, entity, {**body, "id": record_id})


def _write_one(request, entity, body):
    try:
        with transaction.atomic():
            written = upsert_record(entity.name, body)
    except WriteError as error:
        return JsonResponse({"errors": error.errors}, status=400)
    if request.GET.get("_response") in ("basic", "detail", "true"):
        return JsonResponse({"data": store.get(SYSTEM, entity.name, written[entity.name][0])})
    response = HttpResponse(status=204)
    response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{written[entity.name][0]}")
    return response


def _operations(body):
    """Return [(key, operation)] from a sync body given as a list or a keyed object."""
    if isinstance(body, dict):
        return list(body.items())
    if isinstance(body, list):
        return [(str(index), operation) for index, operation in enumerate(body)]
    return None


def sync(request):
    """POST /api/_action/sync: upsert and delete operations, each record in its own savepoint.

    With `fail-on-error: true` (the default) any error rolls the whole request back and the
    response is 400 with every error's pointer (/<operation key>/<record index>/<field>). With
    `fail-on-error: false` the records that are valid are written and the response is 200 with a
    result per record: the entities written, or the errors of that record.
    """
    ensure_seeded()
    body, error = _read_json(request)
    if error:
        return error
    operations = _operations(body)
    if operations is None:
        return error_response(400, "FRAMEWORK__SYNC_INVALID_PAYLOAD", "Bad Request", "The body must be a list or an object of operations.")
    fail_on_error = request.headers.get("fail-on-error", "true").lower() not in ("0", "false")

    data, all_errors = {}, []
    with transaction.atomic():
        for key, operation in operations:
            result, errors = _run_operation(key, operation)
            data[key] = {"result": result, "extensions": []}
            all_errors.extend(errors)
        if all_errors and fail_on_error:
            transaction.set_rollback(True)

    if all_errors and fail_on_error:
        return JsonResponse({"errors": all_errors}, status=400)
    return JsonResponse({"success": not all_errors, "data": data, "deleted": [], "notFound": []})


def _run_operation(key, operation):
    if not isinstance(operation, dict) or operation.get("entity") not in ENTITIES or operation.get("action") not in ("upsert", "delete"):
        error = {"code": "FRAMEWORK__SYNC_INVALID_OPERATION", "status": "400", "title": "Bad Request",
                 "detail": "An operation needs a known entity and an action upsert or delete.", "meta": {"parameters": []},
                 "source": {"pointer": f"/{key}"}}
        return [], [error]

    if operation["action"] == "upsert" and operation["entity"] == "product":
        results = _stock_updates(operation.get("payload") or [])
        if results is not None:
            return results, []

    results, errors = [], []
    for index, item in enumerate(operation.get("payload") or []):
        try:
            with transaction.atomic():
                if operation["action"] == "upsert":
                    written = upsert_record(operation["entity"], item)
                else:
                    written = {}
                    if delete_record(operation["entity"], item):
                        record_id = item.get("id") if isinstance(item, dict) else item
                        written = {operation["entity"]: [record_id]}
            results.append({"entities": written, "errors": []})
        except WriteError as error:
            record_errors = [{**item_error, "source": {"pointer": f"/{key}/{index}{item_error['source']['pointer']}"}} for item_error in error.errors]
            results.append({"entities": [], "errors": record_errors})
            errors.extend(record_errors)
    return results, errors


def _stock_updates(payload):
    """Write stock figures of existing products with one lock and one UPDATE; return the results.

    Returns None for any other payload, which then takes the general path. Kontor's stock push
    sends only [{"id", "stock"}] items of products the shop has, and the general path costs a
    savepoint, two locked reads and a write per item. The outcome is the same: stock and
    availableStock set, updatedAt renewed, one result per item.
    """
    plain = all(
        isinstance(item, dict) and set(item) == {"id", "stock"} and is_id(item["id"])
        and isinstance(item["stock"], int) and not isinstance(item["stock"], bool)
        for item in payload
    )
    ids = [item["id"] for item in payload] if plain else []
    if not ids or len(set(ids)) != len(ids):
        return None
    # Locked in id order, as the general path and order placement lock products.
    rows = {row.record_id: row for row in store.rows(SYSTEM, "product").filter(record_id__in=ids).select_for_update().order_by("record_id")}
    if len(rows) != len(ids):
        # A new product must be validated as a whole: the general path does that.
        return None

    now = now_iso()
    for item in payload:
        row = rows[item["id"]]
        row.data = {**row.data, "stock": item["stock"], "availableStock": item["stock"], "updatedAt": now}
    store.update_rows(rows.values())
    return [{"entities": {"product": [item["id"]]}, "errors": []} for item in payload]


def transition(request, entity, record_id, transition_name):
    """POST /api/_action/{order|order_delivery|order_transaction}/{id}/state/{transition}."""
    try:
        new_state = apply_transition(entity, record_id, transition_name)
    except TransitionError as error:
        return JsonResponse({"errors": [error.error]}, status=error.status)
    return JsonResponse(new_state)
