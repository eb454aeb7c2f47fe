"""The zone-editable files: defaults load, zone files merge over them, and mistakes are named."""
from __future__ import annotations

import copy
import json

import pytest

from matchmaker.errors import ConfigurationError
from matchmaker.scoring import load_board_rules, load_scoring_config
from matchmaker.scoring.config import BOARDS_DIR, FACTORS, SCORING_FILE, parse_board_rules, parse_scoring_config


def defaults() -> dict:
    return json.loads(SCORING_FILE.read_text(encoding="utf-8"))


def board(name="main-2006.json") -> dict:
    return json.loads((BOARDS_DIR / name).read_text(encoding="utf-8"))


def test_the_defaults_load_and_points_add_up_to_100():
    config = load_scoring_config()
    assert set(config.points) == set(FACTORS)
    assert sum(config.points.values()) == pytest.approx(100)
    assert all(config.rules.values())


def test_a_zone_file_only_needs_what_it_changes(tmp_path):
    zone = tmp_path / "zone.json"
    zone.write_text(json.dumps({"weights": {"presence": 0}}))
    config = load_scoring_config(zone)
    assert config.points["presence"] == 0
    assert sum(config.points.values()) == pytest.approx(100)
    assert config.source == str(zone)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["weights"].update(speed=3), "weights.speed: unknown factor"),
        (lambda d: d["weights"].update(industry=-1), "weights.industry: must be >= 0"),
        (lambda d: d["weights"].update(industry="high"), "weights.industry: must be a number"),
        (lambda d: d["rules"].update(stage="yes"), "rules.stage: must be true or false"),
        (lambda d: d["messages"].pop("rule.instrument"), "messages.rule.instrument: is missing"),
        (lambda d: d["messages"]["rule.stage"].pop("zh"), "messages.rule.stage.zh: is missing"),
        (lambda d: d["signals"]["growth"].update(field="enterprise.mood"), "signals.growth.field: the needs index has no field"),
        (lambda d: d["signals"]["growth"].update(steps=[[0.5, 1], [0.1, 0.5]]), "signals.growth.steps[1]: thresholds must rise"),
        (lambda d: d["factors"]["strength"]["profiles"]["bank"].update(luck=1), "factors.strength.profiles.bank.luck: unknown signal"),
        (lambda d: d["factors"]["ticket"]["bands"][0].update({"from": 0.2}), "factors.ticket.bands[0].from: the first band must start at 0"),
        (lambda d: d["factors"]["term"]["typical_months"].update(bank=[12, 1]), "factors.term.typical_months.bank"),
        (lambda d: d["factors"]["cost"]["types"]["bank"].update(message="nope"), "factors.cost.types.bank.message: no message 'nope'"),
        (lambda d: d["ineligible"].update(multiplier_per_broken_rule=2), "ineligible.multiplier_per_broken_rule: must be <= 1"),
    ],
)
def test_scoring_mistakes_name_the_file_and_key(change, message):
    data = defaults()
    change(data)
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")) as raised:
        parse_scoring_config(data, "zone-scoring.json")
    assert str(raised.value).startswith("zone-scoring.json: ")


def test_unreadable_files_are_named(tmp_path):
    broken = tmp_path / "zone.json"
    broken.write_text("{ not json")
    with pytest.raises(ConfigurationError, match="zone.json: not valid JSON"):
        load_scoring_config(broken)
    with pytest.raises(ConfigurationError, match="missing.json: file not found"):
        load_scoring_config(tmp_path / "missing.json")


# -- board rule sets -------------------------------------------------------------------------------
def test_the_2012_rule_sets_are_in_effect_in_2012():
    rules = load_board_rules(year=2012)
    assert {b: r.effective_year for b, r in rules.items()} == {"main": 2006, "sme": 2006, "chinext": 2009, "neeq": 2012}
    assert "neeq" not in load_board_rules(year=2011)
    assert set(load_board_rules(year=2005)) == set()


def test_a_zone_file_with_the_same_board_and_year_replaces_the_default(tmp_path):
    replacement = board()
    replacement["name_en"] = "Main Board (zone wording)"
    (tmp_path / "main.json").write_text(json.dumps(replacement, ensure_ascii=False), encoding="utf-8")
    assert load_board_rules(tmp_path, year=2012)["main"].name_en == "Main Board (zone wording)"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("effective_on"), "effective_on: is missing"),
        (lambda d: d.update(board="Main Board"), "board: must be a lower-case code"),
        (lambda d: d["criteria"][2].update(kind="magic"), "criteria.profitable_years.kind: unknown kind 'magic'"),
        (lambda d: d["criteria"][3].pop("min"), "criteria.net_profit_total.min: is missing"),
        (lambda d: d["criteria"][3].update(mni=5), "criteria.net_profit_total.mni: unknown key"),
        (lambda d: d["criteria"][3].update(years=0), "criteria.net_profit_total.years: must be >= 1"),
        (lambda d: d["criteria"][6].update(max=20), "criteria.intangible_ratio.max: must be <= 1"),
        (lambda d: d["criteria"][1].update(id="joint_stock"), r"criteria\[1\].id: 'joint_stock' is used twice"),
        (lambda d: d["milestones"].update(listed=3), "milestones.listed: unknown milestone"),
        (lambda d: d["milestones"].update(sponsor_engaged=95), "milestones: milestone points must add up to less than 100"),
        (lambda d: d["criteria"][0].update(messages={"met": {"en": "ok"}}), "criteria.joint_stock.messages.met.zh: is missing"),
        (lambda d: d.update(review="lottery"), "review: must be one of approval, registration, not 'lottery'"),
    ],
)
def test_board_mistakes_name_the_file_and_key(change, message):
    data = board()
    change(data)
    with pytest.raises(ConfigurationError, match=message) as raised:
        parse_board_rules(data, source="main-2023.json")
    assert str(raised.value).startswith("main-2023.json: ")


def test_either_or_criteria_need_two_options():
    data = board("chinext-2009.json")
    profit_test = next(c for c in data["criteria"] if c["kind"] == "any_of")
    profit_test["options"] = profit_test["options"][:1]
    with pytest.raises(ConfigurationError, match="criteria.profit_test.options: an any_of criterion needs at least two options"):
        parse_board_rules(data, source="chinext-2023.json")


def test_a_bad_zone_board_file_fails_with_its_name(tmp_path):
    data = copy.deepcopy(board())
    data["criteria"][0]["kind"] = "magic"
    (tmp_path / "main-2023.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="main-2023.json: criteria.joint_stock.kind"):
        load_board_rules(tmp_path)
    with pytest.raises(ConfigurationError, match="board rules folder not found"):
        load_board_rules(tmp_path / "missing")


def test_a_criterion_can_override_its_wording(tmp_path):
    data = board()
    data["criteria"][0]["messages"] = {"unmet": {"en": "Reform first: {title}", "zh": "先股改：{title}"}}
    rules = parse_board_rules(data, source="main.json")
    assert rules.criteria[0].messages["unmet"]["en"] == "Reform first: {title}"
    assert rules.criteria[0].messages["met"]  # the shared default stays


def test_a_message_without_values_is_worded_once_per_configuration(tmp_path):
    """``ScoringConfig.sentence``: what rendering the message with nothing to fill gives,
    kept (a quarter of a match's sentences); a zone's own wording is its own."""
    from matchmaker.scoring.wording import render

    config = load_scoring_config()
    first = config.sentence("factor.policy.none")
    assert first == render(config.messages["factor.policy.none"], {})
    assert config.sentence("factor.policy.none") is first
    zone = tmp_path / "scoring.json"
    zone.write_text(json.dumps({"messages": {"factor.policy.none": {"en": "No {programme} fits.", "zh": "无{programme}。"}}}),
                    encoding="utf-8")
    assert tuple(load_scoring_config(zone).sentence("factor.policy.none")) == ("No {programme} fits.", "无{programme}。")
