"""Data problems of one order or record with Odoo, shown to support staff as sync errors.

They are not retried automatically: the same order fails the same way until someone creates
the missing record in Odoo or fixes the order.
"""

from django.utils.translation import gettext_lazy as _

from integrations.itemerrors import ItemError


class ProductMissing(ItemError):
    code = "odoo_product_missing"
    message_template = _(
        "%(connection)s has no product with the internal reference %(skus)s, so order "
        "%(order)s was not sent. Create the products in Odoo with these internal references "
        "(or correct the SKUs), then retry."
    )


class TaxMissing(ItemError):
    code = "odoo_tax_missing"
    message_template = _(
        "%(connection)s has no sales tax of %(rate)s%% (%(basis)s), so order %(order)s was "
        "not sent. Create that tax in Odoo under Accounting > Configuration > Taxes, then retry."
    )


class PricelistMissing(ItemError):
    code = "odoo_pricelist_missing"
    message_template = _(
        "%(connection)s has no pricelist in %(currency)s, so order %(order)s was not sent. "
        "Create a pricelist in %(currency)s in Odoo, then retry."
    )


class CountryMissing(ItemError):
    code = "odoo_country_missing"
    message_template = _(
        "%(connection)s does not know the country %(country)s of order %(order)s. "
        "Activate the country in Odoo, then retry."
    )


class StatusRejected(ItemError):
    code = "odoo_status_rejected"
    message_template = _(
        "%(connection)s moved order %(order)s to %(status)s, which its current status "
        "%(current)s does not allow. Check the order in Odoo and in Kontor and correct the status by hand."
    )


class StockItemInvalid(ItemError):
    code = "odoo_stock_item_invalid"
    message_template = _(
        "%(connection)s reported stock of product %(product)s in warehouse %(warehouse)s that "
        "Kontor cannot read (%(problem)s), so the stock was not changed. Check the product's "
        "stock in Odoo; its next stock change is read again."
    )
