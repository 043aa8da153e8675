"""Relay global IDs: UUID keys inside, `base64("Type:uuid")` outside."""

from uuid import UUID

from strawberry.relay import GlobalID

from api.core.errors import BadInput


def encode_id(type_name: str, key: UUID) -> str:
    return str(GlobalID(type_name, str(key)))


def decode_id(value: str, type_name: str, *, field: str) -> UUID:
    """The UUID inside a global ID of `type_name`; BadInput naming `field` otherwise."""
    try:
        global_id = GlobalID.from_id(value)
        if global_id.type_name != type_name:
            raise ValueError
        return UUID(global_id.node_id)
    except Exception:
        raise BadInput(f"{field} is not a valid {type_name} ID.", field=field) from None


def decode_optional_id(value: str | None, type_name: str, *, field: str) -> UUID | None:
    return None if value is None else decode_id(value, type_name, field=field)


def parse_uuid(value: str) -> UUID | None:
    """A UUID, or None for anything else (an unknown id loads as null)."""
    try:
        return UUID(value)
    except ValueError:
        return None
