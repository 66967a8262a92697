"""Entity definitions and writes (upsert, delete) of the simulated Shopware shop.

An upsert with an unknown id creates the record with that id. An upsert with a known id
updates it field by field, as the Sync API and PATCH do. Validation errors come back as JSON:API errors whose
pointer names the field, relative to the record ("/price"); the caller prefixes the position.
Error codes are Symfony's constraint codes where Shopware uses them (not blank, wrong type)
and Shopware's exception codes otherwise.
"""

from dataclasses import dataclass, field

from integrations.sandbox import store
from integrations.sandbox.shopware.state import (
    DEFAULT_CURRENCY,
    SYSTEM,
    currency_id,
    new_id,
    now_iso,
)

NOT_BLANK = "c1051bb4-d103-4f74-8988-acbcafc7fdc3"
WRONG_TYPE = "ba785a8c-82cb-4283-967c-3cf342181b40"
DUPLICATE_PRODUCT_NUMBER = "CONTENT__DUPLICATE_PRODUCT_NUMBER"
UNKNOWN_REFERENCE = "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION"
INVALID_ID = "FRAMEWORK__INVALID_UUID"


@dataclass(frozen=True)
class Entity:
    name: str
    # Fields a new record must have; variants (products with parentId) inherit theirs.
    required: tuple = ()
    natural_key: str = ""
    unique_natural_key: bool = False
    # Field -> entity whose record it must reference.
    references: dict = field(default_factory=dict)
    integer_fields: tuple = ()


ENTITIES = {
    entity.name: entity
    for entity in (
        Entity("product", ("productNumber", "stock", "name", "taxId", "price"), "productNumber", True,
               {"parentId": "product", "taxId": "tax"}, ("stock",)),
        Entity("property_group", ("name",)),
        Entity("property_group_option", ("name", "groupId"), references={"groupId": "property_group"}),
        Entity("currency", ("isoCode",), "isoCode", True),
        Entity("tax", ("taxRate", "name")),
        Entity("sales_channel", ("name",)),
        Entity("country", ("iso",), "iso", True),
        Entity("customer", ("email",), "customerNumber"),
        Entity("order", ("orderNumber",), "orderNumber", True),
        Entity("order_line_item", ("orderId", "label", "quantity"), "orderId"),
        Entity("order_delivery", ("orderId",), "orderId"),
        Entity("order_transaction", ("orderId",), "orderId"),
    )
}

# Fields whose list merges by id on update, as Shopware adds to to-many associations.
MERGED_LISTS = {"options": "id", "properties": "id", "categories": "id", "visibilities": "salesChannelId", "configuratorSettings": "optionId"}
READ_ONLY = {"createdAt", "updatedAt", "availableStock", "apiAlias", "childCount"}


def entity_for_route(route_name):
    """Return the Entity for a route segment ("order-delivery") or an entity name, or None."""
    return ENTITIES.get(route_name.replace("-", "_"))


class WriteError(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors  # [{"code", "status", "detail", "source": {"pointer"}}]


def write_error(code, detail, pointer):
    return {"code": code, "status": "400", "title": "Bad Request", "detail": detail, "meta": {"parameters": []}, "source": {"pointer": pointer}}


def is_id(value):
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _validate(entity, data, existing):
    errors = []
    creating = existing is None
    merged = {**(existing or {}), **data}
    required = entity.required
    if entity.name == "product" and merged.get("parentId"):
        required = ("productNumber", "stock")

    for name in required:
        if creating and (merged.get(name) is None or merged.get(name) == ""):
            errors.append(write_error(NOT_BLANK, "This value should not be blank.", f"/{name}"))
    for name in entity.integer_fields:
        if name in data and (isinstance(data[name], bool) or not isinstance(data[name], int)):
            errors.append(write_error(WRONG_TYPE, f"This value should be of type int, got {data[name]!r}.", f"/{name}"))
    for name, target in entity.references.items():
        value = data.get(name)
        if value and store.get(SYSTEM, target, value) is None:
            errors.append(write_error(UNKNOWN_REFERENCE, f"The {target} with id {value} does not exist.", f"/{name}"))

    if entity.name == "product":
        errors.extend(_product_errors(data, merged))
    if entity.unique_natural_key and data.get(entity.natural_key):
        other = store.find_by_natural_key(SYSTEM, entity.name, str(data[entity.natural_key]))
        if other is not None and other.record_id != merged["id"]:
            errors.append(write_error(
                DUPLICATE_PRODUCT_NUMBER if entity.name == "product" else UNKNOWN_REFERENCE,
                f'{entity.name} with number "{data[entity.natural_key]}" already exists.',
                f"/{entity.natural_key}",
            ))
    return errors


def _product_errors(data, merged):
    errors = []
    if "price" in data:
        prices = data["price"]
        if not isinstance(prices, list) or not prices:
            return [write_error(NOT_BLANK, "The price must be a non-empty list of currency prices.", "/price")]
        for index, price in enumerate(prices):
            pointer = f"/price/{index}"
            if not isinstance(price, dict) or store.get(SYSTEM, "currency", str(price.get("currencyId"))) is None:
                errors.append(write_error(UNKNOWN_REFERENCE, "The currencyId does not exist.", pointer + "/currencyId"))
                continue
            for name in ("gross", "net"):
                if isinstance(price.get(name), bool) or not isinstance(price.get(name), (int, float)):
                    errors.append(write_error(WRONG_TYPE, f"This value should be of type float, got {price.get(name)!r}.", f"{pointer}/{name}"))
                elif price[name] < 0:
                    errors.append(write_error("CONTENT__PRODUCT_PRICE_NEGATIVE", "A price must not be negative.", f"{pointer}/{name}"))
        if not any(isinstance(p, dict) and p.get("currencyId") == currency_id(DEFAULT_CURRENCY) for p in prices):
            errors.append(write_error("CONTENT__PRODUCT_PRICE_MISSING_DEFAULT_CURRENCY", "No price for the default currency defined.", "/price"))
    for index, option in enumerate(data.get("options") or []):
        option_id = option.get("id") if isinstance(option, dict) else None
        if store.get(SYSTEM, "property_group_option", str(option_id)) is None:
            errors.append(write_error(UNKNOWN_REFERENCE, f"The property_group_option with id {option_id} does not exist.", f"/options/{index}/id"))
    return errors


def _merge(existing, data):
    merged = dict(existing)
    for name, value in data.items():
        if name in READ_ONLY:
            continue
        key = MERGED_LISTS.get(name)
        if key and isinstance(value, list) and isinstance(existing.get(name), list):
            by_key = {item.get(key): item for item in existing[name] if isinstance(item, dict)}
            for item in value:
                if isinstance(item, dict):
                    by_key[item.get(key)] = {**by_key.get(item.get(key), {}), **item}
            merged[name] = list(by_key.values())
        else:
            merged[name] = value
    return merged


def upsert(entity_name, data):
    """Create or update one record; return {entity: [ids written]} or raise WriteError."""
    entity = ENTITIES[entity_name]
    if not isinstance(data, dict):
        raise WriteError([write_error(WRONG_TYPE, "Each payload item must be a JSON object.", "")])
    data = dict(data)
    record_id = data.get("id") or new_id()
    if not is_id(record_id):
        raise WriteError([write_error(INVALID_ID, f"Value {record_id!r} is not a valid id (32 lower-case hex characters).", "/id")])
    data["id"] = record_id

    nested_options = data.pop("options", None) if entity_name == "property_group" else None
    row = store.get_row(SYSTEM, entity_name, record_id, lock=True)
    existing = row.data if row is not None else None
    errors = _validate(entity, data, existing)
    if errors:
        raise WriteError(errors)

    now = now_iso()
    if existing is None:
        record = {key: value for key, value in data.items() if key not in READ_ONLY}
        record.update({"apiAlias": entity_name, "createdAt": now, "updatedAt": None})
    else:
        record = _merge(existing, data)
        record["updatedAt"] = now
    if entity_name == "product":
        record.setdefault("parentId", None)
        record["availableStock"] = record.get("stock", 0)

    natural_key = str(record.get(entity.natural_key) or "") if entity.natural_key else ""
    store.put(SYSTEM, entity_name, record_id, record, natural_key=natural_key)
    written = {entity_name: [record_id]}

    for index, option in enumerate(nested_options or []):
        try:
            option_written = upsert("property_group_option", {**option, "groupId": record_id})
        except WriteError as error:
            raise WriteError([{**item, "source": {"pointer": f"/options/{index}{item['source']['pointer']}"}} for item in error.errors]) from None
        written.setdefault("property_group_option", []).extend(option_written["property_group_option"])
    return written


def delete(entity_name, data):
    """Delete one record by {"id": ...}; return True if it existed."""
    record_id = data.get("id") if isinstance(data, dict) else data
    return store.delete(SYSTEM, entity_name, str(record_id))
