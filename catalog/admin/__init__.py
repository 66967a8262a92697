"""Admin for the canonical catalog, split by concept: products, attributes, categories,
prices, media and stock."""

from catalog.admin import attributes, categories, media, pricing, products, stock  # noqa: F401
