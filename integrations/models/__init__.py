from integrations.models.connections import Connection

__all__ = ["Connection"]
