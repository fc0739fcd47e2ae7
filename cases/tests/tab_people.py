"""Who the tab tests ask about, and how they sign in (None is the anonymous visitor)."""

HTMX = {"HTTP_HX_REQUEST": "true"}
PEOPLE = ["in_charge", "coordinator_a", "caseworker_a", "caseworker_b", "case_interpreter", "interpreter_a", None]


def sign_in(client, world, who):
    if who is not None:
        client.force_login(getattr(world, who))
