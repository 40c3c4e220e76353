"""One facade, two implementations: the library over a store and the same over HTTP offer every
method of `deconfliction.facade.Facade` with the same parameters, so the CLI runs on either."""

from __future__ import annotations

import inspect

import pytest

from deconfliction.client import RemoteDeconfliction
from deconfliction.facade import Facade
from deconfliction.service import Deconfliction

METHODS = sorted(name for name, value in vars(Facade).items() if not name.startswith("_") and inspect.isfunction(value))


def parameters(function) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_the_facade_names_what_the_cli_and_the_api_call():
    assert {"file_notice", "change_notice", "check", "conflicts", "send_message", "verify_audit", "channels"} <= set(METHODS)


@pytest.mark.parametrize("implementation", [Deconfliction, RemoteDeconfliction])
@pytest.mark.parametrize("name", METHODS)
def test_each_implementation_takes_the_facade_s_parameters(implementation, name):
    assert parameters(getattr(implementation, name)) == parameters(getattr(Facade, name))
