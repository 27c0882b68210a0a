"""schemathesis against the app's own OpenAPI spec, as an admin: valid and invalid requests to every operation
(the edge side answers through a real broker), and no answer may be a server error."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import update

from control_room.store.models import User
from tests.control_room.accounts_support import bearer
from tests.support.stack import ControlRoom

# Examples per operation and generation mode: small, so the whole run stays around a minute or two.
EXAMPLES = 6
CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def fresh_admin(cr: ControlRoom) -> dict[str, str]:
    """An enabled admin with a session of its own: a generated PATCH /users/1 may have demoted or disabled it, a
    generated logout may have ended the last session."""
    with cr.ctx.store.session() as s:
        s.execute(update(User).where(User.username == "admin").values(role="admin", disabled=False))
    return bearer(cr, "admin")


def fuzz(cr: ControlRoom, operation: Any, mode: GenerationMode, statuses: Counter[str], errors: list[str]) -> None:
    """Send up to EXAMPLES generated requests of one operation; collect statuses and server errors."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        # the credentials are ours (bad credentials are test_route_security's subject): drop generated ones
        for name in [h for h in case.headers or {} if h.lower() in CREDENTIAL_HEADERS]:
            del case.headers[name]
        response = case.call(base_url=cr.url, headers=fresh_admin(cr), timeout=15)
        statuses[f"{mode.value} {response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {case.as_curl_command()}\n{response.text[:300]}")

    try:
        run()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE, operation.label  # nothing in this operation can be made invalid


@pytest.mark.slow
def test_no_request_gets_a_server_error(cr: ControlRoom) -> None:
    schema = schemathesis.openapi.from_dict(cr.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    statuses: Counter[str] = Counter()
    errors: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(cr, operation, mode, statuses, errors)
    assert not errors, "\n\n".join(errors[:10])
    # the requests got past authentication and validation often enough to mean something
    assert statuses["positive 2xx"] >= len(operations) // 2, statuses
    assert statuses["negative 4xx"] >= 100 and statuses["positive 4xx"] + statuses["negative 2xx"] >= 1, statuses
    assert not any(k.endswith("1xx") or k.endswith("3xx") for k in statuses), statuses
