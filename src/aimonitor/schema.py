"""The one module that imports pydantic: the validation-model API used by the config, the
rule models and the LLM extraction engine, so a breaking pydantic release lands here only."""

from __future__ import annotations

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "BaseModel",
    "ConfigDict",
    "Field",
    "PydanticCustomError",
    "ValidationError",
    "ValidationInfo",
    "field_validator",
    "model_validator",
]
