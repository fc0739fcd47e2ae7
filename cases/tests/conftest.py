"""Fixtures of the case page's tab tests."""

import pytest

from cases.services import case_assign, case_transition


@pytest.fixture
def case(world, person, grant):
    """case_a, active, in the charge of a Brussels caseworker (caseworker_a is not in charge).

    A test module that means another case defines its own `case` fixture, which wins."""
    world.in_charge = person("in_charge")
    grant(world.in_charge, world.brussels, "caseworker")
    case_assign(case=world.case_a, to=world.in_charge, by=world.coordinator_a)
    return case_transition(case=world.case_a, to="active", by=world.in_charge)
