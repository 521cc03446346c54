"""Handlers of Swagger Petstore 1.0.0: one function per operation of openapi.json.

Yours to edit. `dosirak gen` wrote this file once and never overwrites it: operations
the document gains later get stubs in handlers_new.py. Each stub answers 501 until you
fill it in; `dosirak serve DIR` serves them. A handler returns the body of the
operation's first success response (set `context.response.status_code` for another
declared one) and raises a `dosirak.exceptions` error to refuse a request.
"""

from __future__ import annotations

from dosirak import Context as _Context
from dosirak.exceptions import NotImplementedOperation

from .server import models as _models


async def find_pets(
    *, tags: list[str] | None, limit: int | None, context: _Context
) -> _models.FindPetsResponseBody:
    """GET /pets

    Returns all pets from the system that the user has access to Nam sed condimentum
    est. Maecenas tempor sagittis sapien, nec rhoncus sem sagittis sit amet. Aenean at
    gravida augue, ac iaculis sem. Curabitur odio lorem, ornare eget elementum nec,
    cursus id lectus. Duis mi turpis, pulvinar ac eros ac, tincidunt varius justo. In
    hac habitasse platea dictumst. Integer at adipiscing ante, a sagittis ligula. Aenean
    pharetra tempor ante molestie imperdiet. Vivamus id aliquam diam. Cras quis velit
    non tortor eleifend sagittis. Praesent at enim pharetra urna volutpat venenatis eget
    eget mauris. In eleifend fermentum facilisis. Praesent enim enim, gravida ac sodales
    sed, placerat id erat. Suspendisse lacus dolor, consectetur non augue vel, vehicula
    interdum libero. Morbi euismod sagittis libero sed lacinia.

    Sed tempus felis lobortis leo pulvinar rutrum. Nam mattis velit nisl, eu condimentum
    ligula luctus nec. Phasellus semper velit eget aliquet faucibus. In a mattis elit.
    Phasellus vel urna viverra, condimentum lorem id, rhoncus nibh. Ut pellentesque
    posuere elementum. Sed a varius odio. Morbi rhoncus ligula libero, vel eleifend nunc
    tristique vitae. Fusce et sem dui. Aenean nec scelerisque tortor. Fusce malesuada
    accumsan magna vel tempus. Quisque mollis felis eu dolor tristique, sit amet auctor
    felis gravida. Sed libero lorem, molestie sed nisl in, accumsan tempor nisi. Fusce
    sollicitudin massa ut lacinia mattis. Sed vel eleifend lorem. Pellentesque vitae
    felis pretium, pulvinar elit eu, euismod sapien.
    """
    raise NotImplementedOperation("findPets")


async def add_pet(body: _models.NewPet, *, context: _Context) -> _models.Pet:
    """POST /pets

    Creates a new pet in the store. Duplicates are allowed
    """
    raise NotImplementedOperation("addPet")


async def find_pet_by_id(*, id: int, context: _Context) -> _models.Pet:
    """GET /pets/{id}

    Returns a user based on a single ID, if the user does not have access to the pet
    """
    raise NotImplementedOperation("find pet by id")


async def delete_pet(*, id: int, context: _Context) -> None:
    """DELETE /pets/{id}

    deletes a single pet based on the ID supplied
    """
    raise NotImplementedOperation("deletePet")
