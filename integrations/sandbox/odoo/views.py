"""HTTP endpoints of the simulated Odoo: /json/2, /jsonrpc, report PDFs and a control endpoint.

JSON-2 answers errors with a 4xx or 5xx status and Odoo's error object {name, message,
arguments, context, debug}; JSON-RPC answers them with HTTP 200 and {"error": {code, message,
data}}. Request faults of the "odoo" sandbox system apply to all three API endpoints; their
bodies are rewritten into Odoo's error object.
"""

import json
import logging
import re
from http import HTTPStatus

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from integrations.sandbox import faults
from integrations.sandbox.odoo import business, records, seed
from integrations.sandbox.odoo.api import OdooFault, execute, named_params

logger = logging.getLogger(__name__)

SYSTEM = "odoo"


def _error_object(name, message, context=None):
    return {"name": name, "message": message, "arguments": [message], "context": context or {}, "debug": f"Traceback (simulated)\n{name}: {message}\n"}


def _json2_error(name, message, status):
    return JsonResponse(_error_object(name, message), status=status)


# The exception named in the error object of a fault's status. Odoo 19's JSON-2 dispatcher
# (Json2Dispatcher.handle_error in odoo/http.py) responds to an odoo.exceptions error with the
# class's http_status and to a werkzeug HTTP exception with its code.
# NOTE: 422 for ValidationError is what the simulation's own errors use. The 403 and 404 of
# AccessError and MissingError are not checked against Odoo's source.
FAULT_EXCEPTIONS = {
    400: "werkzeug.exceptions.BadRequest",
    401: "werkzeug.exceptions.Unauthorized",
    403: "odoo.exceptions.AccessError",
    404: "odoo.exceptions.MissingError",
    409: "werkzeug.exceptions.Conflict",
    422: "odoo.exceptions.ValidationError",
    429: "werkzeug.exceptions.TooManyRequests",
    500: "werkzeug.exceptions.InternalServerError",
    502: "werkzeug.exceptions.BadGateway",
    503: "werkzeug.exceptions.ServiceUnavailable",
    504: "werkzeug.exceptions.GatewayTimeout",
}


def fault_exception_name(status):
    """Return the exception name of an Odoo error object for a fault's HTTP status."""
    if status in FAULT_EXCEPTIONS:
        return FAULT_EXCEPTIONS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "werkzeug.exceptions.HTTPException"
    return "werkzeug.exceptions." + "".join(word[:1].upper() + word[1:] for word in re.split(r"\W+", phrase))


def _with_odoo_faults(view):
    """Apply the sandbox's request faults, answered with Odoo-shaped error bodies."""

    def wrapped(request, *args, **kwargs):
        fault = faults.injected_fault(SYSTEM)
        if fault is None:
            return view(request, *args, **kwargs)
        response = _json2_error(fault_exception_name(fault.status_code), "Simulated failure.", fault.status_code)
        for header in ("Retry-After", faults.TIMEOUT_HEADER):
            if header in fault:
                response[header] = fault[header]
        return response

    wrapped.__name__ = view.__name__
    return wrapped


def _body(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
@_with_odoo_faults
def json2(request, model, method):
    """POST /json/2/<model>/<method> with a bearer API key (Odoo 19 and later)."""
    config = seed.ensure_seeded()
    if seed.major_version(config["version"]) < 19:
        return _json2_error("werkzeug.exceptions.NotFound", "404 Not Found: JSON-2 needs Odoo 19 or later.", 404)
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or key != config["api_key"]:
        return _json2_error("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401)
    database = request.headers.get("X-Odoo-Database")
    if database and database != config["database"]:
        return _json2_error("werkzeug.exceptions.NotFound", f"Database {database!r} not found.", 404)

    body = _body(request)
    if body is None:
        return _json2_error("werkzeug.exceptions.BadRequest", "The body must be a JSON object.", 400)
    ids = body.pop("ids", None)
    body.pop("context", None)
    try:
        result = execute(model, method, ids, body)
    except OdooFault as fault:
        return _json2_error(fault.name, fault.message, fault.status)
    return JsonResponse(result, safe=False)


def _rpc_result(request_id, result):
    return JsonResponse({"jsonrpc": "2.0", "id": request_id, "result": result})


def _rpc_error(request_id, name, message):
    return JsonResponse({
        "jsonrpc": "2.0",
        "id": request_id,
        "error": {"code": 200, "message": "Odoo Server Error", "data": _error_object(name, message)},
    })


@csrf_exempt
@require_POST
@_with_odoo_faults
def jsonrpc(request):
    """POST /jsonrpc: the "common" (version, login, authenticate) and "object" (execute_kw) services."""
    config = seed.ensure_seeded()
    body = _body(request)
    if body is None or not isinstance(body.get("params"), dict):
        return _rpc_error(None, "werkzeug.exceptions.BadRequest", "Invalid JSON-RPC request.")
    request_id = body.get("id")
    params = body["params"]
    service, method, args = params.get("service"), params.get("method"), params.get("args") or []

    if service == "common" and method == "version":
        return _rpc_result(request_id, {"server_version": config["version"], "server_serie": config["version"], "protocol_version": 1})
    if service == "common" and method in ("login", "authenticate"):
        database, login, key = (list(args) + [None, None, None])[:3]
        valid = database == config["database"] and login == config["login"] and key == config["api_key"]
        return _rpc_result(request_id, config["uid"] if valid else False)
    if service != "object" or method != "execute_kw":
        return _rpc_error(request_id, "werkzeug.exceptions.NotFound", f"Unknown service method {service}.{method}.")

    if len(args) < 5:
        return _rpc_error(request_id, "builtins.TypeError", "execute_kw() needs db, uid, password, model and method.")
    database, uid, key, model, model_method = args[:5]
    if database != config["database"] or uid != config["uid"] or key != config["api_key"]:
        return _rpc_error(request_id, "odoo.exceptions.AccessDenied", "Access Denied")
    positional = args[5] if len(args) > 5 else []
    keywords = dict(args[6]) if len(args) > 6 and isinstance(args[6], dict) else {}
    keywords.pop("context", None)
    try:
        params = named_params(model_method, positional, keywords)
        ids = params.pop("ids", None)
        if model_method == "create" and isinstance(params.get("vals_list"), dict):
            # execute_kw create with one dict returns one id, with a list it returns a list.
            result = execute(model, "create", None, params)
        else:
            result = execute(model, model_method, ids, params)
    except OdooFault as fault:
        return _rpc_error(request_id, fault.name, fault.message)
    return _rpc_result(request_id, result)


def minimal_pdf(title, lines):
    """Return a one-page PDF with a title and some text lines, enough for a PDF viewer."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in [title, *lines])
    stream = f"BT /F1 12 Tf 14 TL 50 800 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    output += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    output += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return output


REPORT_MODELS = {"account.report_invoice": "account.move", "stock.report_deliveryslip": "stock.picking"}


@require_http_methods(["GET"])
@_with_odoo_faults
def report_pdf(request, report_name, record_id):
    """GET /report/pdf/<report>/<id>: the PDF of an invoice, credit note or delivery slip.

    NOTE: a real Odoo serves reports to a logged-in web session only; the simulation accepts
    the API key as a bearer token so the connector can fetch them without a browser login.
    """
    config = seed.ensure_seeded()
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or key != config["api_key"]:
        return _json2_error("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401)
    model = REPORT_MODELS.get(report_name)
    data = records.browse(model, record_id) if model else None
    if data is None:
        return _json2_error("werkzeug.exceptions.NotFound", f"Report {report_name} has no record {record_id}.", 404)
    lines = [f"{name}: {data.get(name)}" for name in ("invoice_origin", "origin", "amount_untaxed", "amount_tax", "amount_total") if data.get(name)]
    response = HttpResponse(minimal_pdf(data["name"], lines), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{data["name"].replace("/", "_")}.pdf"'
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def control(request):
    """Operator actions on the simulated Odoo, for demos, tests and benchmarks.

    GET returns the settings. POST {"action": ...} with one of: configure (version, api_key,
    login, database, tax_rounding), set_stock (sku, quantity, warehouse), deliver (sale_order),
    invoice (sale_order), refund (sale_order), cancel (sale_order), lock (sale_order).
    """
    config = seed.ensure_seeded()
    if request.method == "GET":
        return JsonResponse({key: value for key, value in config.items() if key != "api_key"})
    body = _body(request) or {}
    try:
        result = run_control_action(body)
    except (OdooFault, records.UserError, KeyError, ValueError) as error:
        return JsonResponse({"error": f"{type(error).__name__}: {error}"}, status=400)
    return JsonResponse(result, safe=False)


def run_control_action(body):
    action = body.get("action")
    if action == "configure":
        return {key: value for key, value in seed.configure(**{k: v for k, v in body.items() if k != "action"}).items() if key != "api_key"}
    if action == "set_stock":
        quant = seed.set_stock(body["sku"], body["quantity"], body.get("warehouse", seed.DEFAULT_WAREHOUSE))
        return {"quant_id": quant["id"], "quantity": quant["quantity"]}
    order = seed.sale_order_by_ref(body["sale_order"])
    if action == "deliver":
        pickings = [picking_id for picking_id in order.get("picking_ids", []) if records.get("stock.picking", picking_id)["state"] not in ("done", "cancel")]
        business.validate_pickings(pickings)
        return {"validated": pickings}
    if action in ("invoice", "refund"):
        move = business.invoice_sale_order(order["id"], refund=action == "refund")
        return {"move_id": move["id"], "name": move["name"]}
    if action == "cancel":
        return {"cancelled": business.cancel_sale_orders([order["id"]])}
    if action == "lock":
        return {"locked": business.lock_sale_orders([order["id"]])}
    raise ValueError(f"unknown action {action!r}")
