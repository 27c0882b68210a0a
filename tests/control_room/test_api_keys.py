"""Integrator API keys: shown once, stored hashed, read only their scopes, revocable, last use recorded."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select, text, update

from control_room.api.deps import authenticate_api_key
from control_room.audit import Actor
from control_room.security.api_scopes import parse_key
from control_room.store.models import ApiKey
from tests.control_room.accounts_support import audit_rows
from tests.support.stack import ControlRoom


def test_key_is_shown_once_and_stored_hashed(cr: ControlRoom) -> None:
    with cr.client() as admin:
        r = admin.post("/api/v1/api-keys", json={"name": "bluelight-dashboard", "scopes": ["lighting:read"]})
        assert r.status_code == 201, r.text
        created = r.json()
        key = created["key"]
        assert key.startswith(created["prefix"]) and created["prefix"] == f"ce_{created['id']}_"
        listed = admin.get("/api/v1/api-keys").json()
        assert [k["name"] for k in listed] == ["bluelight-dashboard"] and "key" not in listed[0]
        assert key not in admin.get("/api/v1/api-keys").text
        assert (
            admin.post("/api/v1/api-keys", json={"name": "bluelight-dashboard", "scopes": ["pa:read"]}).status_code
            == 409
        )
        assert admin.post("/api/v1/api-keys", json={"name": "x", "scopes": ["users:write"]}).status_code == 422
        assert admin.post("/api/v1/api-keys", json={"name": "x", "scopes": []}).status_code == 422
    parsed = parse_key(key)
    assert parsed is not None
    with cr.ctx.store.session() as s:
        row = s.get(ApiKey, created["id"])
        assert row is not None and row.secret_hash == hashlib.sha256(parsed[1].encode()).hexdigest()
        # nowhere in the store: not in any column of any table
        for table in ("api_keys", "audit_log"):
            dump = str(s.execute(text(f"SELECT * FROM {table}")).all())
            assert parsed[1] not in dump and key not in dump
    row_audit = audit_rows(cr, "apikey.create")[-1]
    assert row_audit.actor == "admin" and row_audit.params == {
        "name": "bluelight-dashboard",
        "scopes": ["lighting:read"],
    }


def test_key_reads_its_scopes_only_and_never_writes(cr: ControlRoom) -> None:
    with cr.client() as admin:
        key = admin.post("/api/v1/api-keys", json={"name": "dash", "scopes": ["lighting:read", "nodes:read"]}).json()
    secret = key["key"]
    with httpx.Client(base_url=cr.url, timeout=20) as http:
        assert http.get("/api/v1/lighting/zones", headers={"X-API-Key": secret}).status_code == 200
        assert http.get("/api/v1/nodes", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        pa = http.get("/api/v1/pa/zones", headers={"X-API-Key": secret})
        assert pa.status_code == 403 and "pa:read" in pa.text
        write = http.post("/api/v1/lighting/zones/z/level", json={"level": 5}, headers={"X-API-Key": secret})
        assert write.status_code == 403 and "only read" in write.text
        assert http.get("/api/v1/users/me", headers={"X-API-Key": secret}).status_code == 403
        assert http.get("/api/v1/api-keys", headers={"X-API-Key": secret}).status_code == 403
        both = {"X-API-Key": secret, "Authorization": f"Bearer {secret}"}
        assert http.get("/api/v1/nodes", headers=both).status_code == 401
        assert http.get("/api/v1/nodes", headers={"X-API-Key": secret[:-2] + "zz"}).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(cr: ControlRoom) -> None:
    with cr.client() as admin:
        key = admin.post("/api/v1/api-keys", json={"name": "dash", "scopes": ["nodes:read"]}).json()
    assert key["last_used_at"] is None
    headers = {"X-API-Key": key["key"]}
    assert httpx.get(f"{cr.url}/api/v1/nodes", headers=headers, timeout=20).status_code == 200
    with cr.ctx.store.session() as s:
        first = s.execute(select(ApiKey.last_used_at)).scalar_one()
    assert first is not None
    assert httpx.get(f"{cr.url}/api/v1/nodes", headers=headers, timeout=20).status_code == 200
    with cr.ctx.store.session() as s:
        assert s.execute(select(ApiKey.last_used_at)).scalar_one() == first  # within the minute: not rewritten
        s.execute(update(ApiKey).values(last_used_at=first.replace(year=first.year - 1)))
    assert httpx.get(f"{cr.url}/api/v1/nodes", headers=headers, timeout=20).status_code == 200
    with cr.ctx.store.session() as s:
        assert s.execute(select(ApiKey.last_used_at)).scalar_one() >= first


def test_revoked_key_answers_401(cr: ControlRoom) -> None:
    with cr.client() as admin:
        key = admin.post("/api/v1/api-keys", json={"name": "dash", "scopes": ["nodes:read"]}).json()
        headers = {"X-API-Key": key["key"]}
        assert httpx.get(f"{cr.url}/api/v1/nodes", headers=headers, timeout=20).status_code == 200
        revoked = admin.delete(f"/api/v1/api-keys/{key['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "admin"
        assert admin.delete(f"/api/v1/api-keys/{key['id']}").json()["revoked_at"] == revoked.json()["revoked_at"]
        assert admin.delete("/api/v1/api-keys/4242").status_code == 404
    assert httpx.get(f"{cr.url}/api/v1/nodes", headers=headers, timeout=20).status_code == 401
    assert [r.actor for r in audit_rows(cr, "apikey.revoke")] == ["admin"]  # once, not twice


def test_key_caller_is_audited_as_integrator(cr: ControlRoom) -> None:
    with cr.client() as admin:
        key = admin.post("/api/v1/api-keys", json={"name": "dash", "scopes": ["cameras:read"]}).json()["key"]
    caller = authenticate_api_key(cr.ctx, key, "10.1.2.3", "GET", "/api/v1/cameras")
    assert caller.actor == Actor("apikey:dash", "integrator", "10.1.2.3")
