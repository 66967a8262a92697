"""Odoo search domains evaluated against simulated records.

A domain is a list of leaves [field, operator, value] and the prefix operators "&", "|" and
"!", with "&" implied between consecutive terms, as in Odoo's ORM. A field may be a dotted path
through many2one fields ("location_id.usage"), resolved with `resolve(model, id)`.
"""

OPERATORS = {"=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "ilike", "=like", "=ilike", "not ilike"}


class DomainError(ValueError):
    """An invalid domain; the simulation answers it like Odoo, as a ValueError."""


def _normalize(domain):
    """Return the domain as one prefix expression, with the implicit "&" made explicit."""
    if not isinstance(domain, list):
        raise DomainError(f"Invalid domain {domain!r}: expected a list")
    terms = []
    expected = 1
    for term in domain:
        if expected == 0:
            terms.insert(0, "&")
            expected = 1
        if term in ("&", "|"):
            expected += 1
        elif term != "!":
            if not (isinstance(term, (list, tuple)) and len(term) == 3):
                raise DomainError(f"Invalid domain term {term!r}")
            if term[1] not in OPERATORS:
                raise DomainError(f"Invalid operator {term[1]!r} in {term!r}")
            expected -= 1
        terms.append(term)
    return terms


def _compare(value, operator, target):
    if value is False or value is None:
        value = False
    if operator == "=":
        return value == target or (target is False and value in (None, "", False))
    if operator == "!=":
        return not _compare(value, "=", target)
    if operator in ("in", "not in"):
        found = value in (target or [])
        return found if operator == "in" else not found
    if operator in ("like", "ilike", "not ilike"):
        text, pattern = str(value or ""), str(target or "")
        if operator != "like":
            text, pattern = text.lower(), pattern.lower()
        found = pattern.replace("%", "") in text
        return not found if operator == "not ilike" else found
    if operator in ("=like", "=ilike"):
        text, pattern = str(value or ""), str(target or "")
        if operator == "=ilike":
            text, pattern = text.lower(), pattern.lower()
        return text == pattern
    if value is False:
        return False
    if operator == "<":
        return value < target
    if operator == "<=":
        return value <= target
    if operator == ">":
        return value > target
    return value >= target


def _field_value(record, path, model, resolve):
    names = path.split(".")
    value = record.get(names[0], False)
    current_model = model
    for previous, name in zip(names, names[1:], strict=False):
        if not value:
            return False
        current_model, target = resolve(current_model, previous, value)
        if target is None:
            return False
        value = target.get(name, False)
    return value


def matches(record, domain, model, resolve):
    """Return whether `record` satisfies `domain`.

    `resolve(model, field, id)` returns (target model, target record or None) for a many2one.
    """
    return matcher(domain, model, resolve)(record)


def matcher(domain, model, resolve):
    """Return a function record -> whether it satisfies `domain`, with the domain checked once."""
    terms = _normalize(domain)
    return lambda record: _evaluate(record, terms, model, resolve)


def _evaluate(record, terms, model, resolve):
    position = 0

    def evaluate():
        nonlocal position
        term = terms[position]
        position += 1
        if term == "&":
            left = evaluate()
            right = evaluate()
            return left and right
        if term == "|":
            left = evaluate()
            right = evaluate()
            return left or right
        if term == "!":
            return not evaluate()
        field, operator, target = term
        value = _field_value(record, field, model, resolve)
        if isinstance(value, list) and operator in ("in", "not in"):
            found = any(item in (target or []) for item in value)
            return found if operator == "in" else not found
        return _compare(value, operator, target)

    if not terms:
        return True
    return evaluate()


def implied_condition(domain, leaf_condition):
    """Return a condition that every record matching `domain` meets, or None when there is none.

    `leaf_condition(leaf)` returns such a condition for one leaf (a Django Q object, for example)
    or None. Conditions of "&" are combined with &, those of "|" with | when both sides have one,
    and "!" gives none, so the result may be weaker than the domain but never stricter. It lets
    a search narrow rows in the database even where the domain has "|", such as a poller's
    `write_date > X or (write_date = X and id > Y)`.
    """
    terms = _normalize(domain)
    position = 0

    def walk():
        nonlocal position
        term = terms[position]
        position += 1
        if term in ("&", "|"):
            left, right = walk(), walk()
            if term == "&":
                # A side that cannot narrow in the database leaves the other side alone.
                if left is None:
                    return right
                if right is None:
                    return left
                return left & right
            return None if left is None or right is None else left | right
        if term == "!":
            walk()
            return None
        return leaf_condition(term)

    return walk() if terms else None
