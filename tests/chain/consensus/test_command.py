"""``manage.py consensus simulate``: one JSON object, and the exit status says whether all held."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def simulate(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("consensus", "simulate", "--json", "--no-progress", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, "exactly one JSON object on stdout"
    result: dict[str, object] = json.loads(lines[0])
    return result


def test_json_report_of_a_few_runs() -> None:
    result = simulate("--runs", "6", "--seed", "20")
    assert result["runs"] == 6
    assert result["seeds"] == [20, 25]
    assert result["safety_violations"] == 0
    assert result["liveness_failures"] == 0
    assert result["halted"] == 0
    assert isinstance(result["evidence_recorded"], int)
    assert result["failing_seeds"] == {"safety": [], "liveness": []}
    assert result["ok"] is True
    assert result["liveness_expected"] is True
    assert result["final_height"] == {"min": 5, "max": 5}


def test_the_report_does_not_depend_on_the_number_of_processes() -> None:
    one = simulate("--runs", "4", "--seed", "3", "--target-height", "2")
    two = simulate("--runs", "4", "--seed", "3", "--target-height", "2", "--jobs", "2")
    for key in ("elapsed_seconds", "runs_per_second", "jobs"):
        one.pop(key)
        two.pop(key)
    assert one == two


def test_over_the_threshold_runs_halt_safely_and_exit_zero() -> None:
    result = simulate(
        "--runs", "4", "--faulty-supernodes", "2", "--faulty-witnesses", "2", "--max-ticks", "200"
    )
    assert result["liveness_expected"] is False
    assert result["safety_violations"] == 0
    assert result["liveness_failures"] == 0
    assert isinstance(result["halted"], int)
    assert result["halted"] > 0
    assert "may halt" in str(result["expected"])


def test_a_liveness_failure_within_tolerance_is_an_error_naming_the_seeds() -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="liveness failures"):
        call_command(
            "consensus",
            "simulate",
            "--json",
            "--runs",
            "2",
            "--seed",
            "8",
            "--max-ticks",
            "3",
            stdout=out,
        )
    result = json.loads(out.getvalue())
    assert result["liveness_failures"] == 2
    assert result["failing_seeds"]["liveness"] == [8, 9]


def test_text_output_says_what_was_expected() -> None:
    out = StringIO()
    call_command("consensus", "simulate", "--runs", "2", "--target-height", "2", stdout=out)
    text = out.getvalue()
    assert "0 safety violations" in text
    assert "expected:" in text
    assert text.rstrip().endswith("OK")


def test_impossible_configurations_are_refused() -> None:
    with pytest.raises(CommandError, match="faulty supernodes"):
        call_command("consensus", "simulate", "--faulty-supernodes", "5", stdout=StringIO())
    with pytest.raises(CommandError, match="runs"):
        call_command("consensus", "simulate", "--runs", "0", stdout=StringIO())


def test_an_adversary_search_reports_schedules_and_fault_classes() -> None:
    result = simulate(
        "--runs",
        "6",
        "--seed",
        "40",
        "--citizens",
        "0",
        "--target-height",
        "1",
        "--behaviours",
        "adversary,twins",
        "--honest-amnesia",
        "--search",
        "guided",
    )
    assert result["ok"] is True
    assert result["schedules_explored"] == 6
    assert isinstance(result["adversary_choices"], int)
    classes = result["fault_classes"]
    assert isinstance(classes, dict)
    assert set(classes) & {"adversary", "twins"}
    assert classes["honest-amnesia"] == 6
    search = result["search"]
    assert isinstance(search, dict)
    assert search["how"] == "guided"
    assert set(search["worst_policy"]) == {"withhold", "tamper", "relay", "replay", "slow"}


def test_unknown_behaviours_are_refused() -> None:
    with pytest.raises(CommandError, match="behaviours"):
        call_command("consensus", "simulate", "--behaviours", "gremlins", stdout=StringIO())
