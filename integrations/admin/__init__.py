from integrations.admin import connections, inbox, leading, mappings, outbox, sync  # noqa: F401
