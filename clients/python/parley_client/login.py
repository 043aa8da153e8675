from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .fragments import ErrorFields
from .parley_client_scalars import parse_datetime


class Login(BaseModel):
    login: Union[
        "LoginLoginLoginPayload",
        "LoginLoginInvalidCredentialsError",
        "LoginLoginRateLimitedError",
        "LoginLoginValidationError",
        "LoginLoginNotFoundError",
    ] = Field(discriminator="typename__")


class LoginLoginLoginPayload(BaseModel):
    typename__: Literal["LoginPayload"] = Field(alias="__typename")
    token: str
    expires_at: Annotated[datetime, BeforeValidator(parse_datetime)] = Field(
        alias="expiresAt"
    )
    user: "LoginLoginLoginPayloadUser"
    workspace: "LoginLoginLoginPayloadWorkspace"


class LoginLoginLoginPayloadUser(BaseModel):
    id: str
    name: str
    email: str


class LoginLoginLoginPayloadWorkspace(BaseModel):
    id: str
    name: str


class LoginLoginInvalidCredentialsError(ErrorFields):
    typename__: Literal["InvalidCredentialsError"] = Field(alias="__typename")


class LoginLoginRateLimitedError(ErrorFields):
    typename__: Literal["RateLimitedError"] = Field(alias="__typename")
    retry_after_seconds: int = Field(alias="retryAfterSeconds")


class LoginLoginValidationError(ErrorFields):
    typename__: Literal["ValidationError"] = Field(alias="__typename")


class LoginLoginNotFoundError(ErrorFields):
    typename__: Literal["NotFoundError"] = Field(alias="__typename")


Login.model_rebuild()
LoginLoginLoginPayload.model_rebuild()
