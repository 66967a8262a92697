"""Resolve attribute values for one locale chain and channel, the way a front end shows them.

A variant inherits the values of its product model and that model's parent; its own value
wins. Among the rows of one attribute, a value for the channel beats one for all channels,
and the first locale of the chain beats later ones.
"""

from catalog.models import AttributeType


def localized(labels, chain):
    """Return the label for the first locale of `chain` that has one, else any label, else ""."""
    labels = labels or {}
    for locale in chain:
        if labels.get(locale):
            return labels[locale]
    return next((label for label in labels.values() if label), "")


def _rank(value, chain, channel_code):
    locale_rank = chain.index(value.locale) if value.locale in chain else (-1 if value.locale == "" else len(chain))
    channel_rank = 0 if value.channel == channel_code else 1
    return (channel_rank, locale_rank)


def pick_values(rows_by_owner, chain, channel_code):
    """Return {attribute code: AttributeValue} from owner row lists, nearest owner first."""
    picked = {}
    for rows in rows_by_owner:
        best = {}
        for value in rows:
            code = value.attribute.code
            if code in picked:
                continue
            current = best.get(code)
            if current is None or _rank(value, chain, channel_code) < _rank(current, chain, channel_code):
                best[code] = value
        picked.update(best)
    return picked


def render_value(value, chain, option_labels, media_url):
    """Return the JSON form of one attribute value."""
    kind = value.attribute.type
    if kind in (AttributeType.TEXT, AttributeType.RICH_TEXT, AttributeType.IDENTIFIER):
        return value.text_value
    if kind == AttributeType.NUMBER:
        return None if value.number_value is None else _decimal(value.number_value)
    if kind == AttributeType.MEASUREMENT:
        if value.number_value is None:
            return None
        return {"amount": _decimal(value.number_value), "unit": value.unit}
    if kind == AttributeType.BOOLEAN:
        return value.boolean_value
    if kind == AttributeType.DATE:
        return value.date_value.isoformat() if value.date_value else None
    if kind == AttributeType.SINGLE_SELECT:
        if not value.option_id:
            return None
        return {"code": value.option.code, "label": localized(value.option.labels, chain)}
    if kind == AttributeType.MULTI_SELECT:
        codes = value.json_value or []
        return [{"code": code, "label": option_labels.get((value.attribute_id, code), code)} for code in codes]
    if kind == AttributeType.PRICE:
        return value.json_value or []
    if kind == AttributeType.MEDIA:
        return media_url(value.media) if value.media_id else None
    return None


def _decimal(number):
    # normalize() drops the trailing zeros of the 10-place column; "f" keeps 1E+1 out of the JSON.
    return format(number.normalize(), "f")
