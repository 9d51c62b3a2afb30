"""The base classes of every model object, apart from schema.py so area modules can share them.

An area of the model (resolvers, binds, routing rules...) lives in its own module and
`schema.py` imports its classes; those modules cannot import `schema.py` back, so the
bases and the port type they all use live here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .error_budget import check_key_count

Port = Annotated[int, Field(ge=1, le=65535)]


class Strict(BaseModel):
    """Base for every model object: unknown keys are errors, types are not coerced."""

    # defer_build: a class builds its validator when first used, not when defined. Only
    # LbModel's is used to validate a document (it holds the others' schemas inline), so the
    # other 60 classes' validators were built at import for nothing: importing the model
    # took 97 ms and now 64 ms, and the first validation builds LbModel's (best of 8 runs,
    # import plus first validation of 50,000 servers: 0.30 s before, 0.26 s after).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Single(Strict):
    """An object that is not an item of a list, so `Counted` does not check its keys."""

    _bounded_keys = model_validator(mode="before")(check_key_count)
