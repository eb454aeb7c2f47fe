"""Languages: Chinese by default, English one click away; money and numbers written the
way each language writes them; scoring reasons in the page's language."""
from __future__ import annotations

import pytest

from matchmaker.web.i18n import format_money, translate_message
from tests.web.conftest import Pages, signed_in


@pytest.mark.parametrize("amount,zh,en", [
    (15_000_000, "1,500万元", "CNY 15.0 million"),
    (230_000_000, "2.3亿元", "CNY 230.0 million"),
    (100_000_000, "1亿元", "CNY 100.0 million"),
    (123_456_789, "1.23亿元", "CNY 123.5 million"),
    (700_000, "70万元", "CNY 700,000"),
    (15_000, "1.5万元", "CNY 15,000"),
    (8_000, "8,000元", "CNY 8,000"),
    (-335_000, "-33.5万元", "-CNY 335,000"),
    (2_500_000_000, "25亿元", "CNY 2.50 billion"),
    (0, "0元", "CNY 0"),
    (None, "—", "—"),
])
def test_money_in_each_language(amount, zh, en):
    assert format_money(amount, "zh") == zh
    assert format_money(amount, "en") == en


def test_pages_are_chinese_by_default_and_english_one_click_away(world_app):
    pages = Pages(world_app.test_client())
    page = pages.get("/sign-in").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "登录" in page and "用户名" in page

    r = pages.client.post("/language", data={"lang": "en", "next": "/sign-in", "csrf_token": pages.token()})
    assert r.status_code == 302 and r.headers["Location"] == "/sign-in"
    cookie = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("lang=")][0]
    assert "lang=en" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = pages.get("/sign-in").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page and "Username" in page

    # the choice outlives signing in and out
    assert pages.sign_in("ent_a_user").status_code == 302
    ent = world_app.world["ent_a"]["id"]
    assert "Funding needs" in pages.get(f"/enterprises/{ent}").get_data(as_text=True)
    pages.sign_out()
    assert "Sign in" in pages.get("/sign-in").get_data(as_text=True)

    pages.client.post("/language", data={"lang": "zh", "csrf_token": pages.token()})
    assert "登录" in pages.get("/sign-in").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(world_app):
    pages = Pages(world_app.test_client())
    r = pages.client.post("/language", data={"lang": "fr", "csrf_token": pages.token()})
    assert not [c for c in r.headers.getlist("Set-Cookie") if c.startswith("lang=")]


def test_money_on_the_pages_follows_the_language(world_app):
    mine = signed_in(world_app, "ent_a")
    need = world_app.world["needs"]["a_open"]
    assert "1,000万元" in mine.get(f"/needs/{need['id']}").get_data(as_text=True)
    mine.client.set_cookie("lang", "en")
    assert "CNY 10.0 million" in mine.get(f"/needs/{need['id']}").get_data(as_text=True)


def test_scoring_reasons_come_in_the_page_language(world_app):
    mine = signed_in(world_app, "ent_a")
    need = world_app.world["needs"]["a_open"]
    zh = mine.get(f"/needs/{need['id']}/matches").get_data(as_text=True)
    assert "行业：" in zh and "评分依据" in zh
    mine.client.set_cookie("lang", "en")
    en = mine.get(f"/needs/{need['id']}/matches").get_data(as_text=True)
    assert "Industry:" in en and "Why this score" in en and "行业：" not in en


def test_readiness_in_the_page_language(world_app):
    mine = signed_in(world_app, "ent_a")
    ent = world_app.world["ent_a"]["id"]
    zh = mine.get(f"/enterprises/{ent}/readiness?board=chinext").get_data(as_text=True)
    assert "创业板" in zh and "<svg" in zh
    mine.client.set_cookie("lang", "en")
    en = mine.get(f"/enterprises/{ent}/readiness?board=main").get_data(as_text=True)
    assert "Main Board" in en and "Listing readiness" in en


def _raised(call):
    """The message of the error ``call`` raises (a service's or a schema's)."""
    import marshmallow

    from matchmaker.errors import MatchmakerError

    try:
        call()
    except MatchmakerError as exc:
        return exc
    except marshmallow.ValidationError as exc:
        return exc.messages[0]
    raise AssertionError("nothing was raised")


def test_service_and_schema_messages_are_translated(world_app):
    from marshmallow import validate

    from matchmaker.core.users import User
    from matchmaker.errors import NoSuchDocument
    from matchmaker.needs.service import check_status_rule

    out_of_range = _raised(lambda: validate.Range(0, 100)(200))
    refused = _raised(lambda: check_status_rule(User({"id": "u1", "role": "enterprise", "enterprise_id": "e1"}), "draft", "funded"))
    assert out_of_range == "Must be greater than or equal to 0 and less than or equal to 100."
    assert refused.fields["status"] == ["from draft it can go to: open, withdrawn"]
    with world_app.test_request_context(headers={"Cookie": "lang=zh"}):
        assert translate_message("Missing data for required field.") == "此项为必填项。"
        assert translate_message(out_of_range) == "须在0到100之间。"
        assert translate_message(refused.fields["status"][0]) == "当前状态只能变更为：征集中、已撤回"
        assert translate_message(NoSuchDocument(kind="need", id="abc").message) == "该内容不存在或已被删除。"
        assert translate_message("something no catalog knows") == "something no catalog knows"
        assert translate_message("need abc not found") == "need abc not found"  # English is never parsed back
    with world_app.test_request_context(headers={"Cookie": "lang=en"}):
        assert translate_message("Missing data for required field.") == "Missing data for required field."


def test_every_message_of_the_catalog_is_translated_and_compiled():
    """Every msgid has a Chinese text, and the committed .mo says what the .po says."""
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    import matchmaker

    folder = Path(matchmaker.__file__).parent / "translations" / "zh" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        catalog = read_po(f)
    with open(folder / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    assert [m.id for m in catalog if m.id and not m.string] == []
    assert {m.id: m.string for m in catalog if m.id} == {m.id: m.string for m in compiled if m.id}
