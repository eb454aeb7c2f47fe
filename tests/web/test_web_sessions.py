"""Signing in and out of the pages: a new session at sign-in, sign-out that ends every
copy of the session, cookie flags, the idle timeout, failed sign-ins rate-limited per
account and per address, and the password page."""
from __future__ import annotations

from itsdangerous import TimestampSigner

from matchmaker.accounts.throttle import SignInThrottle
from tests.conftest import PASSWORD
from tests.web.conftest import Pages, signed_in


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_sign_in_starts_a_new_session_and_lands_on_the_start_page(world_app):
    pages = Pages(world_app.test_client())
    pages.get("/sign-in")
    with pages.client.session_transaction() as session:
        session["planted"] = "by someone else"
    r = pages.sign_in("ent_a_user", next=f"/enterprises/{world_app.world['ent_a']['id']}/needs")
    assert r.status_code == 302 and r.headers["Location"].endswith("/needs")
    with pages.client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == "ent_a_user:0"
        assert session.permanent


def test_next_may_only_point_inside_the_site(world_app):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = Pages(world_app.test_client()).sign_in("staff_user", next=target)
        assert r.headers["Location"] == "/staff/"


def test_session_cookie_is_httponly_samesite_and_secure_only_over_https(world_app):
    r = Pages(world_app.test_client()).sign_in("staff_user")
    cookie = session_cookie(r)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # permanent: the idle timeout is in the cookie too

    https = Pages(world_app.test_client())
    https.client.environ_base["wsgi.url_scheme"] = "https"
    page = https.client.get("/sign-in", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    r = https.client.post("/sign-in", base_url="https://localhost", headers={"Referer": "https://localhost/sign-in"},
                          data={"username": "staff_user", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert "Secure" in session_cookie(r)
    assert "max-age=" in r.headers["Strict-Transport-Security"]


def test_secure_cookies_can_be_forced_for_a_tls_proxy(world_app):
    world_app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in session_cookie(Pages(world_app.test_client()).sign_in("staff_user"))


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(world_app):
    mine = signed_in(world_app, "ent_a")
    cookie = mine.client.get_cookie("session").value
    thief = Pages(world_app.test_client())
    thief.client.set_cookie("session", cookie)
    assert thief.get("/account/password").status_code == 200  # a copied cookie works... until sign-out

    r = mine.sign_out()
    assert r.status_code == 302 and r.headers["Location"] == "/sign-in"
    assert mine.get("/account/password").status_code == 302
    r = thief.get("/account/password")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")
    assert world_app.world["backend"].get("users", "ent_a_user")["session_generation"] == 1


def test_sign_out_needs_a_post_with_a_token(world_app):
    mine = signed_in(world_app, "ent_a")
    assert mine.get("/sign-out").status_code == 405
    assert mine.client.post("/sign-out").status_code == 400
    assert mine.get("/account/password").status_code == 200


def test_idle_sessions_expire_on_the_server(world_app, monkeypatch):
    mine = signed_in(world_app, "ent_a")
    r = mine.get("/account/password")
    assert r.status_code == 200
    assert "session=" in ";".join(r.headers.getlist("Set-Cookie"))  # each request starts the timeout again

    lifetime = world_app.permanent_session_lifetime.total_seconds()
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + int(lifetime) + 5)
    r = mine.get("/account/password")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")


def test_wrong_password_says_so_and_keeps_the_username(world_app):
    r = Pages(world_app.test_client()).sign_in("ent_a_user", "wrong password!")
    assert r.status_code == 401
    body = r.get_data(as_text=True)
    assert 'value="ent_a_user"' in body and 'data-testid="sign-in-error"' in body


def test_five_failures_lock_the_account_for_a_while(world_app):
    pages = Pages(world_app.test_client())
    for _ in range(5):
        assert pages.sign_in("ent_a_user", "wrong password!").status_code == 401
    r = pages.sign_in("ent_a_user")  # the right password, too late
    assert r.status_code == 429
    assert "15" in r.get_data(as_text=True)  # minutes to wait
    # the API's token endpoint counts the same failures
    api = world_app.test_client().post("/api/v1/auth/token", json={"username": "ent_a_user", "password": PASSWORD})
    assert api.status_code == 429 and int(api.headers["Retry-After"]) > 800
    # other accounts are not locked
    assert Pages(world_app.test_client()).sign_in("ent_b_user").status_code == 302


def test_many_failures_from_one_address_lock_the_address(world_app):
    world_app.config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] = 6  # 20 by default
    pages = Pages(world_app.test_client())
    for n in range(6):
        pages.sign_in(f"nobody{n}", "wrong password!")
    assert pages.sign_in("staff_user").status_code == 429
    other = Pages(world_app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert other.sign_in("staff_user").status_code == 302


def test_throttle_forgets_after_the_lockout_and_a_success_clears_failures():
    now = [1000.0]
    throttle = SignInThrottle(max_failures=3, window=60, lockout=120, clock=lambda: now[0])
    for _ in range(2):
        throttle.failed("Alice", "1.1.1.1")
    throttle.succeeded("alice", "1.1.1.1")
    throttle.failed("alice", "1.1.1.1")
    throttle.failed("alice", "1.1.1.1")
    assert throttle.locked_for("ALICE", "2.2.2.2") == 0  # two since the success
    throttle.failed("alice", "1.1.1.1")
    assert throttle.locked_for("alice", "2.2.2.2") == 120
    now[0] += 119.5
    assert throttle.locked_for("alice", None) == 1
    now[0] += 1
    assert throttle.locked_for("alice", None) == 0
    # failures older than the window do not count
    throttle.failed("bob", None)
    throttle.failed("bob", None)
    now[0] += 61
    throttle.failed("bob", None)
    assert throttle.locked_for("bob", None) == 0


def test_throttle_memory_is_bounded():
    throttle = SignInThrottle(max_keys=100)
    for n in range(1000):
        throttle.failed(f"user{n}", f"10.0.{n // 250}.{n % 250}")
    assert len(throttle._failures) + len(throttle._locked_until) <= 100


def test_change_password_checks_like_the_api_and_ends_other_sessions(world_app):
    mine = signed_in(world_app, "ent_a")
    other = signed_in(world_app, "ent_a")
    backend = world_app.world["backend"]

    r = mine.post("/account/password", {"current_password": "wrong", "new_password": "a brand new pw", "confirm_password": "a brand new pw"})
    assert r.status_code == 422 and "field-error" in r.get_data(as_text=True)
    r = mine.post("/account/password", {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"})
    assert r.status_code == 422 and 'id="new_password-error"' in r.get_data(as_text=True)
    r = mine.post("/account/password", {"current_password": PASSWORD, "new_password": "a brand new pw", "confirm_password": "a different pw"})
    assert r.status_code == 422 and 'id="confirm_password-error"' in r.get_data(as_text=True)

    r = mine.post("/account/password", {"current_password": PASSWORD, "new_password": "a brand new pw", "confirm_password": "a brand new pw"})
    assert r.status_code == 302
    assert mine.get("/account/password").status_code == 200  # this session goes on
    assert other.get("/account/password").status_code == 302  # the other one ended
    assert Pages(world_app.test_client()).sign_in("ent_a_user", "a brand new pw").status_code == 302
    assert backend.get("users", "ent_a_user")["password_hash"] != world_app.world["users"]["ent_a"]["password_hash"]
