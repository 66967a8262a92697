"""The only module that speaks HTTP to Odoo, over either of its two external APIs.

JSON-2 (Odoo 19 and later): POST /json/2/<model>/<method> with a bearer API key, the named
parameters as the JSON body, the bare result on HTTP 200 and an error object
{name, message, arguments, context, debug} with a 4xx or 5xx status.

JSON-RPC (all versions, deprecated in 19): POST /jsonrpc calling execute_kw on the "object"
service with the database, the uid from common.authenticate and the API key in the password
slot. Errors come back with HTTP 200 and an `error` object whose data has the same fields.

Both protocols take the same model, method, record ids and named parameters and return the same
results, so the rest of the connector does not know which one a connection uses.
"""

import logging
import re
from dataclasses import dataclass
from itertools import count

from django.utils.translation import gettext_lazy as _

from integrations.errors import (
    AuthError,
    Conflict,
    InvalidResponse,
    InvalidSetting,
    NotFound,
    ServerError,
    ValidationFailed,
    check_base_url,
)
from integrations.odoo.stopping import call_stop_bounded
from integrations.services.clients import http_client_for

logger = logging.getLogger(__name__)

JSON2 = "json2"
JSONRPC = "jsonrpc"

# JSON-2 exists from Odoo 19.0 on; older versions only have XML-RPC and JSON-RPC.
FIRST_JSON2_MAJOR_VERSION = 19

USER_AGENT = "Kontor integration hub (odoo connector)"

# Odoo exception names (the `name` of its error object) and the Kontor error for each.
_ERRORS_BY_NAME = {
    "odoo.exceptions.AccessDenied": AuthError,
    "odoo.exceptions.AccessError": AuthError,
    "werkzeug.exceptions.Unauthorized": AuthError,
    "werkzeug.exceptions.Forbidden": AuthError,
    "odoo.exceptions.MissingError": NotFound,
    "werkzeug.exceptions.NotFound": NotFound,
    "odoo.exceptions.UserError": ValidationFailed,
    "odoo.exceptions.ValidationError": ValidationFailed,
    "odoo.exceptions.RedirectWarning": ValidationFailed,
    # A concurrent update at the remote: the same call succeeds once the other transaction ends.
    "psycopg2.errors.SerializationFailure": Conflict,
    "psycopg2.errors.LockNotAvailable": Conflict,
    "odoo.exceptions.ConcurrencyError": Conflict,
}


# The admin label of the version setting, also named in the error about an invalid version.
VERSION_LABEL = _("Odoo version, such as 17.0 or 19.0")


def major_version(version):
    """Return the major version of an Odoo version string such as "19.0" or "saas~18.3".

    Raises InvalidSetting, which is also a ValueError, when the text contains no number.
    """
    match = re.search(r"(\d+)", str(version or ""))
    if match is None:
        raise InvalidSetting(
            f"Odoo version {version!r} has no major version number",
            setting=VERSION_LABEL,
            value=version,
            expected=_("Enter the version as shown under Settings > About in Odoo, such as 17.0 or 19.0."),
        )
    return int(match.group(1))


def clean_version(value):
    """Return `value` if it is an Odoo version that Kontor can use. The admin checks the setting with it."""
    major_version(value)
    return value


def protocol_for(version):
    """Return JSON2 for Odoo 19 and later, JSONRPC for older versions."""
    return JSON2 if major_version(version) >= FIRST_JSON2_MAJOR_VERSION else JSONRPC


@dataclass(frozen=True)
class OdooSettings:
    """The per-connection settings of an Odoo connection, read from its credentials."""

    database: str
    login: str
    api_key: str
    version: str

    @property
    def protocol(self):
        return protocol_for(self.version)

    @classmethod
    def from_connection(cls, connection):
        credentials = connection.credentials
        return cls(
            database=str(credentials.get("database") or ""),
            login=str(credentials.get("login") or ""),
            api_key=str(credentials.get("api_key") or ""),
            version=str(credentials.get("version") or "19.0"),
        )


# Characters of Odoo's error message shown in a support message. Odoo's constraint messages
# can run to several lines with the model and field names.
MAX_REASON_CHARS = 300


def odoo_field_errors(body):
    """Read an Odoo error object into {exception name: [message]} for ValidationFailed.

    Odoo reports no errors per field, only its exception's name and message. JSON-2 sends the
    object {name, message, arguments, context, debug} as the body, and JSON-RPC sends it as the
    `data` of its `error` member.
    """
    if not isinstance(body, dict):
        return {}
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    name = data.get("name")
    if not name:
        return {}
    return {str(name): [str(data.get("message") or "")]}


def as_sentence(text, max_chars=MAX_REASON_CHARS):
    """Return Odoo's message on one line, at most `max_chars` long, ending in one full stop.

    Support messages continue after it with a new sentence, and Odoo's messages may or may not
    end in a full stop.
    """
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] + " …"
    text = text.rstrip(" .:;,")
    if not text:
        return ""
    if text.endswith(("!", "?", "…")):
        return text
    return text + "."


class OdooRejected(ValidationFailed):
    """Odoo's UserError or ValidationError (HTTP 422 over JSON-2, an error object over JSON-RPC).

    Odoo sends one message for the whole call, not errors per field. `field_errors` keeps
    {exception name: [message]} for callers, but the support message shows only the message:
    the exception's class name means nothing to a merchant, and the technical text names it.
    """

    reason_message_template = _(
        "%(connection)s rejected the data: %(reason)s Correct the record or its mapping in "
        "Kontor, then retry."
    )

    def message_params(self):
        params = super().message_params()
        messages = [message for errors in self.field_errors.values() for message in errors]
        params["reason"] = as_sentence(messages[0]) if messages else ""
        return params

    @property
    def support_message(self):
        params = self.message_params()
        template = self.reason_message_template if params["reason"] else self.message_template
        return str(template) % params


def error_from_odoo(data, *, connection, status=None):
    """Return the ConnectorError for an Odoo error object {name, message, ...}."""
    name = str(data.get("name") or "")
    error_class = _ERRORS_BY_NAME.get(name, ServerError)
    # Name only in the technical text: Odoo's message may repeat customer data.
    text = f"Odoo raised {name or 'an unnamed error'}"
    if error_class is ValidationFailed:
        return OdooRejected(text, field_errors={name: [str(data.get("message") or "")]}, connection=connection, status=status)
    return error_class(text, connection=connection, status=status)


# Model methods that only read. Odoo's APIs send every call as a POST, so the client tells the
# HTTP layer which calls cannot have changed anything (see integrations.http.recording_sends).
READ_METHODS = {"search_read", "read", "search", "search_count", "fields_get", "context_get", "name_search"}


class OdooClient:
    """Calls Odoo model methods for one connection over the protocol its version needs."""

    _uids = {}
    _request_ids = count(1)

    def __init__(self, connection):
        self.connection = connection
        self.settings = OdooSettings.from_connection(connection)
        self.protocol = self.settings.protocol
        check_base_url(connection.base_url, connection=connection.name)
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json; charset=utf-8"}
        if self.settings.database:
            headers["X-Odoo-Database"] = self.settings.database
        if self.protocol == JSON2:
            headers["Authorization"] = f"bearer {self.settings.api_key}"
        self.http = http_client_for(
            connection,
            default_headers=headers,
            mask_fields=("api_key",),
            error_parser=odoo_field_errors,
        )

    # Protocol-neutral calls

    def call(self, model, method, ids=None, **params):
        """Call `method` of `model` on `ids` (None for a model-level method) with named params."""
        if self.protocol == JSON2:
            return self._call_json2(model, method, ids, params)
        return self._call_jsonrpc(model, method, ids, params)

    def search_read(self, model, domain, fields, *, limit=None, offset=0, order=None, context=None):
        params = {"domain": domain, "fields": list(fields), "offset": offset}
        if limit is not None:
            params["limit"] = limit
        if order:
            params["order"] = order
        if context:
            params["context"] = context
        return self.call(model, "search_read", **params)

    def read(self, model, ids, fields):
        if not ids:
            return []
        return self.call(model, "read", ids=list(ids), fields=list(fields))

    def create(self, model, values):
        """Create one record and return its id."""
        created = self.call(model, "create", vals_list=[values])
        if isinstance(created, list):
            if len(created) != 1:
                raise InvalidResponse(f"{model}.create returned {len(created)} ids for one record", connection=self.connection.name)
            return created[0]
        return created

    def write(self, model, ids, values):
        return self.call(model, "write", ids=list(ids), vals=values)

    def download(self, path):
        """Return the bytes of a file served by Odoo, such as a report PDF."""
        headers = {"Authorization": f"bearer {self.settings.api_key}"}
        return call_stop_bounded(
            self.connection.name, f"GET {path}", lambda: self.http.request("GET", path, headers=headers).content
        )

    def server_version(self):
        """Return Odoo's server_version text; needs no authentication over JSON-RPC."""
        if self.protocol == JSON2:
            # JSON-2 has no version call; context_get proves that the API key works.
            self.call("res.users", "context_get")
            return self.settings.version
        return self._rpc("common", "version", [])["server_version"]

    # JSON-2

    def _call_json2(self, model, method, ids, params):
        body = dict(params)
        if ids is not None:
            body["ids"] = list(ids)
        return self._post_json(f"/json/2/{model}/{method}", body, changes_remote=method not in READ_METHODS)

    def _post_json(self, path, body, *, changes_remote):
        """POST `body` and return the JSON response. A 400 or 422 with Odoo's error object raises OdooRejected.

        In a worker of a stopping cluster the call raises CallStopped instead of waiting for Odoo.
        """
        try:
            return call_stop_bounded(
                self.connection.name,
                f"POST {path}",
                lambda: self.http.request_json("POST", path, json=body, changes_remote=changes_remote),
            )
        except ValidationFailed as error:
            if not error.field_errors:
                raise
            raise OdooRejected(
                str(error), field_errors=error.field_errors, connection=error.connection, status=error.status
            ) from None

    # JSON-RPC

    def _call_jsonrpc(self, model, method, ids, params):
        params = dict(params)
        if method == "create":
            # Odoo's create takes its values positionally in execute_kw; as a keyword it fails
            # in versions before 17.
            args = [params.pop("vals_list")]
        elif ids is not None:
            args = [list(ids)]
        else:
            args = []
        uid = self._uid()
        try:
            return self._rpc("object", "execute_kw", [
                self.settings.database, uid, self.settings.api_key, model, method, args, params,
            ], changes_remote=method not in READ_METHODS)
        except AuthError:
            # The uid may belong to a login that was renamed or re-created; look it up once more.
            self._uids.pop(self._uid_key(), None)
            raise

    def _uid_key(self):
        return (self.connection.pk, self.connection.updated_at)

    def _uid(self):
        key = self._uid_key()
        uid = self._uids.get(key)
        if uid is None:
            uid = self._rpc("common", "authenticate", [
                self.settings.database, self.settings.login, self.settings.api_key, {},
            ])
            if not uid:
                raise AuthError("Odoo common.authenticate returned no uid", connection=self.connection.name)
            self._uids[key] = uid
        return uid

    def _rpc(self, service, method, args, *, changes_remote=False):
        """Call `method` of an Odoo service; `changes_remote` is True for a model method that writes."""
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._request_ids),
        }
        answer = self._post_json("/jsonrpc", body, changes_remote=changes_remote)
        if not isinstance(answer, dict):
            raise InvalidResponse("Odoo /jsonrpc returned no JSON object", connection=self.connection.name)
        if answer.get("error"):
            error = answer["error"]
            data = error.get("data") if isinstance(error.get("data"), dict) else {}
            raise error_from_odoo(data, connection=self.connection.name)
        if "result" not in answer:
            raise InvalidResponse("Odoo /jsonrpc returned neither result nor error", connection=self.connection.name)
        return answer["result"]
