"""In-memory maps of the catalog's reference data (codes to ids), loaded once per import.

Reference data is small (hundreds of attributes, options, families and categories), so
keeping it in memory lets the product import resolve every code without a query per row.
"""

from dataclasses import dataclass

from catalog.models import (
    Attribute,
    AttributeOption,
    Category,
    Channel,
    ProductModel,
    ProductType,
    VariantScheme,
)

GTIN_ATTRIBUTE_CODES = ("gtin", "ean", "ean13", "upc")
DESCRIPTION_ATTRIBUTE_CODES = ("description", "short_description", "variation_description", "meta_description")
# Channel whose scoped description becomes the product description, when the product has one.
PREFERRED_CHANNELS = ("ecommerce", "web", "mobile")


@dataclass(frozen=True)
class AttributeInfo:
    id: int
    code: str
    type: str
    localizable: bool
    scopable: bool
    decimals_allowed: bool | None
    negative_allowed: bool | None
    default_unit: str


@dataclass(frozen=True)
class FamilyInfo:
    id: int
    code: str
    label_attribute: str
    image_attribute: str
    description_attribute: str
    attribute_codes: frozenset = frozenset()


class CatalogIndex:
    """Codes of the stored reference data and the ids they resolve to."""

    def __init__(self):
        # Family code -> its attribute_as_image, filled while families are imported, because
        # ProductType has no field for it; it only decides which image becomes the main one.
        self.image_attributes = {}
        self.reload_reference()
        self.models = {}
        self.model_inherited = {}
        self.load_models()

    def reload_reference(self):
        self.attributes = {}
        for attribute in Attribute.objects.all():
            self.attributes[attribute.code] = AttributeInfo(
                id=attribute.pk,
                code=attribute.code,
                type=attribute.type,
                localizable=attribute.localizable,
                scopable=attribute.scopable,
                decimals_allowed=attribute.decimals_allowed,
                negative_allowed=attribute.negative_allowed,
                default_unit=attribute.default_unit,
            )
        self.attributes_by_id = {info.id: info for info in self.attributes.values()}

        self.options = {}
        self.option_ids = {}
        for option_id, attribute_id, code in AttributeOption.objects.values_list("id", "attribute_id", "code"):
            attribute_code = self.attributes_by_id[attribute_id].code
            self.options[(attribute_code, code)] = code
            self.options.setdefault((attribute_code.lower(), code.lower()), code)
            self.option_ids[(attribute_id, code)] = option_id

        self.families = {}
        for product_type in ProductType.objects.prefetch_related("attributes").select_related("label_attribute"):
            codes = {attribute.code for attribute in product_type.attributes.all()}
            description = next((code for code in DESCRIPTION_ATTRIBUTE_CODES if code in codes), "")
            self.families[product_type.code] = FamilyInfo(
                id=product_type.pk,
                code=product_type.code,
                label_attribute=product_type.label_attribute.code if product_type.label_attribute_id else "",
                image_attribute=self.image_attributes.get(product_type.code, ""),
                description_attribute=description,
                attribute_codes=frozenset(codes),
            )

        self.schemes = {code: (pk, type_id) for pk, code, type_id in VariantScheme.objects.values_list("id", "code", "product_type_id")}
        self.categories = dict(Category.objects.values_list("code", "id"))
        channels = list(Channel.objects.values_list("code", "locales"))
        self.channels = {code for code, _locales in channels}
        self.locales = sorted({locale for _code, locales in channels for locale in locales or []})

        self.gtin_attribute = next((code for code in GTIN_ATTRIBUTE_CODES if code in self.attributes), "")

    def load_models(self):
        for pk, code in ProductModel.objects.values_list("id", "code"):
            self.add_model(code, pk)

    def add_model(self, code, pk):
        self.models[code] = pk
        self.models.setdefault(code.lower(), pk)

    def model_id(self, code):
        """Return the id of a product model; codes match without regard to case, as in Akeneo."""
        return self.models.get(code) or self.models.get(code.lower())

    def family_by_id(self, type_id):
        return next((family for family in self.families.values() if family.id == type_id), None)
