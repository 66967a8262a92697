"""The one mapper from Akeneo records (API JSON, or CSV rows in the same shape) to the catalog.

Mapping resolves codes against a CatalogIndex and returns plain data (MappedRecord), which
the writers store in bulk. Every problem becomes an ImportIssue that names the source, line,
column and value; errors reject the record, warnings drop one value and keep the record.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from catalog.models import AttributeType
from catalog.models.products import unnamed_product_name
from core.validators import validate_gtin
from integrations.akeneo.index import PREFERRED_CHANNELS
from integrations.akeneo.issues import (
    ERROR,
    WARNING,
    ImportIssue,
    RecordRejected,
    ValidationMessage,
    yes_no,
)
from integrations.akeneo.issues import deferred_gettext as _
from integrations.akeneo.values import ValueInvalid, clean_text, typed_columns

NAME_MAX_LENGTH = 500
SKU_MAX_LENGTH = 100
DOCUMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".zip")


@dataclass
class MappedRecord:
    """A product or product model in canonical form, with codes not yet resolved to ids."""

    key: str
    fields: dict
    categories: list
    values: list
    translations: dict = field(default_factory=dict)
    prices: list = field(default_factory=list)
    media: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    location: object = None

    def content(self):
        """Return what the fingerprint covers: everything the writers store for the record."""
        return {
            "fields": self.fields,
            "categories": self.categories,
            "values": self.values,
            "translations": self.translations,
            "prices": self.prices,
        }


class RecordMapper:
    """Maps products and product models; `index` is the CatalogIndex of the running import."""

    def __init__(self, index, decimal_separator="."):
        self.index = index
        self.decimal_separator = decimal_separator

    def issue(self, entity, location, record_key, code, message, column="", value="", severity=ERROR):
        return ImportIssue(
            entity=entity,
            code=code,
            message=message,
            source=location.source,
            line=location.line,
            column=column,
            value=str(value)[:200],
            record=record_key,
            severity=severity,
        )

    def map_values(self, entity, record_key, values, location, issues):
        """Return [(attribute code, locale, channel, columns)] sorted, adding issues for bad values."""
        mapped = []
        for code in sorted(values or {}):
            attribute = self.index.attributes.get(code)
            if attribute is None:
                issues.append(self.issue(
                    entity, location, record_key, "unknown_attribute",
                    _("Attribute %(code)s does not exist in Kontor, so its value was not imported. Import the attribute first.") % {"code": code},
                    column=location.column_of(code), severity=WARNING,
                ))
                continue
            for entry in values[code]:
                locale, scope, data = entry.get("locale") or "", entry.get("scope") or "", entry.get("data")
                column = location.column_of(code, entry.get("locale"), entry.get("scope"))
                if data in (None, "", []):
                    continue
                if bool(locale) != attribute.localizable or bool(scope) != attribute.scopable:
                    issues.append(self.issue(
                        entity, location, record_key, "wrong_scope",
                        _(
                            "Attribute %(code)s (localizable: %(localizable)s, scopable: %(scopable)s) takes no value for "
                            "locale '%(locale)s' and channel '%(scope)s', so the value was not imported."
                        )
                        % {"code": code, "localizable": yes_no(attribute.localizable), "scopable": yes_no(attribute.scopable), "locale": locale, "scope": scope},
                        column=column, value=data, severity=WARNING,
                    ))
                    continue
                if attribute.type in (AttributeType.TEXT, AttributeType.RICH_TEXT, AttributeType.IDENTIFIER):
                    data, removed = clean_text(data)
                    if removed:
                        issues.append(self.issue(
                            entity, location, record_key, "nul_character",
                            _("The text contains NUL characters, which were removed. Check the source text for binary garbage."),
                            column=column, value=data, severity=WARNING,
                        ))
                try:
                    columns = typed_columns(attribute, data, self.index.options, self.decimal_separator)
                except ValueInvalid as error:
                    if attribute.type == AttributeType.PRICE:
                        column = self.price_column(location, code, entry, data)
                    issues.append(self.issue(entity, location, record_key, error.code, error.message, column=column, value=data))
                    continue
                if columns is not None:
                    mapped.append([code, locale, scope, columns])
        return mapped

    def price_column(self, location, code, entry, data):
        for price in data if isinstance(data, list) else []:
            column = location.columns.get((code, entry.get("locale"), entry.get("scope"), price.get("currency")))
            if column:
                return column
        return location.column_of(code, entry.get("locale"), entry.get("scope"))

    def resolve_categories(self, entity, record_key, codes, location, issues):
        known = []
        for code in codes or []:
            if code in self.index.categories:
                known.append(code)
            else:
                issues.append(self.issue(
                    entity, location, record_key, "unknown_category",
                    _("Category %(value)s does not exist. Import categories.csv with it first, or correct the code.") % {"value": code},
                    column=location.columns.get(("categories", None, None, ""), "categories"), value=code,
                ))
        return sorted(set(known))

    def texts_of(self, values, family):
        """Return {locale: {"name", "description"}} from the family's label and description attributes."""
        name_attribute = (family.label_attribute if family else "") or "name"
        description_attribute = (family.description_attribute if family else "") or "description"
        locales = self.index.locales or sorted({value[1] for value in values if value[1]})
        texts = {}
        for locale in locales:
            name = pick_text(values, name_attribute, locale)
            description = pick_text(values, description_attribute, locale)
            if name or description:
                texts[locale] = {"name": name, "description": description}
        return texts

    def name_fallback(self, translations, sku, family, location, issues):
        """Return `translations` with the name Akeneo shows for an unnamed product, "[SKU]", in every locale.

        The product and its parent models have no label, so without a name a channel would show
        an empty one. The warning names the label attribute to fill in.
        """
        fallback = unnamed_product_name(sku)
        attribute = (family.label_attribute if family else "") or "name"
        if family:
            message = _(
                "Product %(sku)s has no name: attribute %(attribute)s, the label of family %(family)s, is empty. "
                "Kontor names it %(fallback)s, as Akeneo does, until you fill in %(attribute)s in Akeneo."
            ) % {"sku": sku, "attribute": attribute, "family": family.code, "fallback": fallback}
        else:
            message = _(
                "Product %(sku)s has no name: it has no family, and its attribute %(attribute)s is empty. "
                "Kontor names it %(fallback)s, as Akeneo does, until you fill in %(attribute)s in Akeneo."
            ) % {"sku": sku, "attribute": attribute, "fallback": fallback}
        issues.append(self.issue("products", location, sku, "missing_name", message, severity=WARNING))

        named = {locale: dict(texts, name=fallback) for locale, texts in translations.items()}
        for locale in self.index.locales:
            named.setdefault(locale, {"name": fallback, "description": ""})
        return {locale: named[locale] for locale in sorted(named)}

    def media_of(self, values, family):
        media = []
        for code, _locale, _scope, columns in values:
            path = columns.get("media")
            if not path:
                continue
            if path.lower().endswith(DOCUMENT_EXTENSIONS):
                role = "document"
            elif family and family.image_attribute == code:
                role = "main"
            else:
                role = "gallery"
            media.append([code, path, role])
        return media

    def map_product(self, record, location):
        """Return a MappedRecord for an API-shaped product; raise RecordRejected on errors."""
        issues = []
        sku = (record.get("identifier") or "").strip()
        key = sku
        if not sku:
            raise RecordRejected([self.issue("products", location, "", "missing_sku", _("The product has no SKU. Fill in the identifier column."), column="sku")])
        if len(sku) > SKU_MAX_LENGTH:
            issues.append(self.issue("products", location, key, "sku_too_long", _("SKU %(value)s is longer than %(max)s characters. Shorten it in Akeneo.") % {"value": sku, "max": SKU_MAX_LENGTH}, column="sku", value=sku))

        family = None
        family_code = record.get("family")
        if family_code:
            family = self.index.families.get(family_code)
            if family is None:
                issues.append(self.issue(
                    "products", location, key, "unknown_family",
                    _("Family %(value)s does not exist. Import families.csv with it first, or correct the family code.") % {"value": family_code},
                    column="family", value=family_code,
                ))

        parent = record.get("parent")
        parent_inherited = {}
        if parent:
            if self.index.model_id(parent) is None:
                issues.append(self.issue(
                    "products", location, key, "unknown_parent",
                    _("Product model %(value)s does not exist. Import product_models.csv with it first, or correct the parent code.") % {"value": parent},
                    column="parent", value=parent,
                ))
            else:
                parent_inherited = self.index.model_inherited.get(parent) or self.index.model_inherited.get(parent.lower(), {})
                if parent not in self.index.models:
                    issues.append(self.issue(
                        "products", location, key, "parent_case",
                        _("Parent %(value)s matches a product model only when case is ignored, as Akeneo does. Write the code exactly as in product_models.csv.") % {"value": parent},
                        column="parent", value=parent, severity=WARNING,
                    ))

        enabled = True if record.get("enabled") is None else record.get("enabled")
        if not isinstance(enabled, bool):
            issues.append(self.issue(
                "products", location, key, "invalid_enabled",
                _("%(value)s is not a valid enabled flag. Write 1 to enable the product or 0 to disable it.") % {"value": enabled},
                column="enabled", value=enabled,
            ))

        categories = self.resolve_categories("products", key, record.get("categories"), location, issues)
        values = self.map_values("products", key, record.get("values"), location, issues)
        gtin = self.gtin_of(values, location, key, issues)

        errors = [issue for issue in issues if issue.severity == ERROR]
        if errors:
            raise RecordRejected(errors)

        translations = merge_texts(self.texts_of(values, family), parent_inherited.get("texts", {}))
        if not any(texts["name"] for texts in translations.values()):
            translations = self.name_fallback(translations, sku, family, location, issues)
        prices = next((columns["json_value"] for code, _l, _s, columns in values if self.index.attributes[code].type == AttributeType.PRICE), None)
        if prices is None:
            prices = parent_inherited.get("prices", [])
        mapped = MappedRecord(
            key=sku,
            fields={
                "gtin": gtin,
                "enabled": enabled,
                "product_type": family.code if family else None,
                "parent": parent,
            },
            categories=categories,
            values=values,
            translations=truncate_names(translations, location, key, issues, self),
            prices=prices,
            issues=issues,
            location=location,
        )
        mapped.media = self.media_of(values, family)
        return mapped

    def gtin_of(self, values, location, key, issues):
        code = self.index.gtin_attribute
        raw = next((columns.get("text_value") for value_code, _l, _s, columns in values if value_code == code), None)
        if not raw:
            return None
        try:
            validate_gtin(raw.strip())
        except ValidationError as error:
            issues.append(self.issue(
                "products", location, key, error.code or "invalid_gtin",
                _("%(problem)s The product was imported without GTIN; its %(attribute)s value is kept as text.") % {"problem": ValidationMessage(validate_gtin, raw.strip()), "attribute": code},
                column=location.column_of(code), value=raw, severity=WARNING,
            ))
            return None
        return raw.strip()

    def map_product_model(self, record, location):
        """Return a MappedRecord for an API-shaped product model; raise RecordRejected on errors."""
        issues = []
        code = (record.get("code") or "").strip()
        if not code:
            raise RecordRejected([self.issue("product_models", location, "", "missing_code", _("The product model has no code. Fill in the code column."), column="code")])

        scheme_code = record.get("family_variant")
        scheme = self.index.schemes.get(scheme_code or "")
        family = None
        if scheme is None:
            issues.append(self.issue(
                "product_models", location, code, "unknown_family_variant",
                _("Family variant %(value)s does not exist. Import family_variants.csv with it first, or correct the code.") % {"value": scheme_code or ""},
                column="family_variant", value=scheme_code or "",
            ))
        else:
            family = self.index.family_by_id(scheme[1])

        parent = record.get("parent")
        parent_inherited = {}
        if parent:
            if self.index.model_id(parent) is None:
                issues.append(self.issue(
                    "product_models", location, code, "unknown_parent",
                    _("Parent model %(value)s does not exist. List it in product_models.csv before its sub-models, or correct the code.") % {"value": parent},
                    column="parent", value=parent,
                ))
            else:
                parent_inherited = self.index.model_inherited.get(parent) or self.index.model_inherited.get(parent.lower(), {})

        categories = self.resolve_categories("product_models", code, record.get("categories"), location, issues)
        values = self.map_values("product_models", code, record.get("values"), location, issues)
        errors = [issue for issue in issues if issue.severity == ERROR]
        if errors:
            raise RecordRejected(errors)

        texts = merge_texts(self.texts_of(values, family), parent_inherited.get("texts", {}))
        prices = next((columns["json_value"] for value_code, _l, _s, columns in values if self.index.attributes[value_code].type == AttributeType.PRICE), None)
        self.index.model_inherited[code] = {"texts": texts, "prices": prices if prices is not None else parent_inherited.get("prices", [])}
        mapped = MappedRecord(
            key=code,
            fields={"product_type": family.code if family else None, "variant_scheme": scheme_code, "parent": parent},
            categories=categories,
            values=values,
            issues=issues,
            location=location,
        )
        mapped.media = self.media_of(values, family)
        return mapped


def pick_text(values, attribute_code, locale):
    """Return the value of a text attribute for a locale, preferring the usual web channels."""
    candidates = {}
    for code, value_locale, channel, columns in values:
        if code == attribute_code and value_locale in (locale, ""):
            candidates[channel] = columns.get("text_value", "")
    for channel in ("", *PREFERRED_CHANNELS, *sorted(candidates)):
        if candidates.get(channel):
            return candidates[channel]
    return ""


def merge_texts(own, inherited):
    merged = {locale: dict(texts) for locale, texts in inherited.items()}
    for locale, texts in own.items():
        target = merged.setdefault(locale, {"name": "", "description": ""})
        for key, text in texts.items():
            if text:
                target[key] = text
    return {locale: merged[locale] for locale in sorted(merged)}


def truncate_names(translations, location, key, issues, mapper):
    for locale, texts in translations.items():
        if len(texts["name"]) > NAME_MAX_LENGTH:
            issues.append(mapper.issue(
                "products", location, key, "name_too_long",
                _("The %(locale)s name has %(length)s characters; Kontor keeps the first %(max)s. Shorten it in Akeneo.")
                % {"locale": locale, "length": len(texts["name"]), "max": NAME_MAX_LENGTH},
                value=texts["name"][:60], severity=WARNING,
            ))
            texts["name"] = texts["name"][:NAME_MAX_LENGTH]
    return translations
