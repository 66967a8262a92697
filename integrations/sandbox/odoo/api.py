"""Model method calls of the simulated Odoo, shared by its JSON-2 and JSON-RPC endpoints.

Both protocols end in `execute(model, method, ids, params)` with named parameters; JSON-RPC's
positional arguments are named first by the method's signature, as Odoo's execute_kw does.
"""

from integrations.sandbox.odoo import business, records
from integrations.sandbox.odoo.domain import DomainError
from integrations.sandbox.odoo.records import MODELS, UserError


class OdooFault(Exception):
    """An error the simulated server answers with its name, message and HTTP status (for JSON-2)."""

    def __init__(self, name, message, status):
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


# Positional parameter names of the ORM methods, for execute_kw's args.
SIGNATURES = {
    "search_read": ["domain", "fields", "offset", "limit", "order"],
    "search": ["domain", "offset", "limit", "order"],
    "search_count": ["domain"],
    "read": ["ids", "fields"],
    "write": ["ids", "vals"],
    "create": ["vals_list"],
    "unlink": ["ids"],
}


def named_params(method, args, kwargs):
    """Name execute_kw's positional args by the method's signature (record methods take ids)."""
    names = SIGNATURES.get(method, ["ids"])
    if len(args) > len(names):
        raise OdooFault("builtins.TypeError", f"{method}() takes {len(names)} positional arguments but {len(args)} were given", 422)
    params = dict(zip(names, args, strict=False))
    params.update(kwargs or {})
    return params


def _search_read(model, params):
    found = records.search(
        model, params.get("domain") or [], offset=params.get("offset") or 0,
        limit=params.get("limit"), order=params.get("order"),
    )
    return records.read_many(model, found, params.get("fields") or None)


def _read(model, params):
    found = [records.get(model, record_id) for record_id in params.get("ids") or []]
    return records.read_many(model, found, params.get("fields") or None)


def _create(model, params):
    vals_list = params.get("vals_list")
    single = isinstance(vals_list, dict)
    if single:
        vals_list = [vals_list]
    if not isinstance(vals_list, list) or not all(isinstance(values, dict) for values in vals_list):
        raise OdooFault("builtins.TypeError", "create() expects a list of value dicts in vals_list", 422)
    if model == "sale.order":
        ids = [data["id"] for data in business.create_sale_orders(vals_list)]
    elif model == "stock.quant":
        ids = [business.create_quant(values)["id"] for values in vals_list]
    else:
        ids = [data["id"] for data in records.create_many(model, vals_list)]
    return ids[0] if single else ids


def _write(model, params):
    values = params.get("vals") or {}
    if model == "sale.order" and "order_line" in values:
        raise OdooFault("odoo.exceptions.UserError", "Order lines cannot be rewritten in this simulation.", 422)
    for record_id in params.get("ids") or []:
        records.write(model, record_id, values)
    return True


def _unlink(model, params):
    if model == "sale.order":
        return business.unlink_sale_orders(params.get("ids") or [])
    for record_id in params.get("ids") or []:
        records.unlink(model, record_id)
    return True


GENERIC = {
    "search_read": _search_read,
    "search": lambda model, params: [data["id"] for data in records.search(model, params.get("domain") or [], offset=params.get("offset") or 0, limit=params.get("limit"), order=params.get("order"))],
    "search_count": lambda model, params: len(records.search(model, params.get("domain") or [])),
    "read": _read,
    "create": _create,
    "write": _write,
    "unlink": _unlink,
}

ACTIONS = {
    ("sale.order", "action_confirm"): business.confirm_sale_orders,
    ("sale.order", "action_cancel"): business.cancel_sale_orders,
    ("sale.order", "action_done"): business.lock_sale_orders,
    ("stock.picking", "button_validate"): business.validate_pickings,
    ("account.move", "action_post"): business.post_moves,
    ("stock.quant", "action_apply_inventory"): business.apply_inventory,
}


def execute(model, method, ids, params):
    """Run one model method and return its JSON-ready result, or raise OdooFault."""
    if model not in MODELS:
        raise OdooFault("werkzeug.exceptions.NotFound", f"Model {model!r} does not exist.", 404)
    if method.startswith("_"):
        raise OdooFault("odoo.exceptions.AccessError", f"Private methods (such as '{method}') cannot be called remotely.", 403)
    params = dict(params)
    if ids is not None:
        params["ids"] = ids
    try:
        if model == "res.users" and method == "context_get":
            return {"lang": "en_US", "tz": "UTC", "uid": 2}
        action = ACTIONS.get((model, method))
        if action is not None:
            return action(list(params.get("ids") or []))
        handler = GENERIC.get(method)
        if handler is None:
            raise OdooFault("werkzeug.exceptions.NotFound", f"Method {model}.{method} does not exist.", 404)
        return handler(model, params)
    except UserError as error:
        status = 404 if isinstance(error, records.MissingError) else 422
        raise OdooFault(error.odoo_name, str(error), status) from error
    except DomainError as error:
        raise OdooFault("builtins.ValueError", str(error), 422) from error
