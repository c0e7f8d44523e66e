"""The cost model's pure parts: counting from histories, REPORT lines, EMF and the request meter, and the
arithmetic from measured quantities to $ (movers.cli.cost, movers.local.meter)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from movers.cli import cost
from movers.local.meter import batch_items, s3_action

T0 = dt.datetime(2026, 11, 20, 21, 0, tzinfo=dt.UTC)


def _event(kind: str, seconds: float = 0.0, **details: object) -> dict:
    return {"type": kind, "timestamp": T0 + dt.timedelta(seconds=seconds), **details}


def test_transitions_count_every_state_entered_and_every_retried_attempt():
    # Given a history: a Pass, a Task retried once, a Map with two iterations of one Task each
    events = [
        _event("PassStateEntered"),
        _event("TaskStateEntered"),
        _event("TaskScheduled"),
        _event("TaskFailed"),
        _event("TaskScheduled"),  # the retry
        _event("MapStateEntered"),
        _event("TaskStateEntered"),
        _event("TaskScheduled"),
        _event("TaskStateEntered"),
        _event("TaskScheduled"),
        _event("SucceedStateEntered"),
    ]
    # Then 6 states were entered and one attempt was retried
    assert cost.history_transitions(events) == 7


def test_map_iteration_durations_pair_start_and_end_by_name_and_index():
    events = [
        _event("MapIterationStarted", 0, mapIterationStartedEventDetails={"name": "Fetch", "index": 0}),
        _event("MapIterationStarted", 0.5, mapIterationStartedEventDetails={"name": "Fetch", "index": 1}),
        _event("MapIterationSucceeded", 2.0, mapIterationSucceededEventDetails={"name": "Fetch", "index": 1}),
        _event("MapIterationSucceeded", 3.0, mapIterationSucceededEventDetails={"name": "Fetch", "index": 0}),
    ]
    assert cost.map_iteration_seconds(events) == [1.5, 3.0]


def test_report_lines_give_invocations_and_gb_seconds():
    lines = [  # Lambda's REPORT format (tab-separated)
        "REPORT RequestId: a\tDuration: 99.20 ms\tBilled Duration: 100 ms\tMemory Size: 512 MB",
        "REPORT RequestId: b\tDuration: 1.0 ms\tBilled Duration: 1000 ms\tMemory Size: 256 MB",
        "START RequestId: c Version: 3",
    ]
    n, gbs = cost.report_usage(lines)
    assert n == 2
    assert gbs == pytest.approx(0.1 * 0.5 + 1.0 * 0.25)


def test_emf_lines_name_one_metric_per_name_and_dimension_set():
    line = json.dumps(
        {
            "_aws": {
                "CloudWatchMetrics": [
                    {
                        "Namespace": "StockMovers",
                        "Dimensions": [["service"]],
                        "Metrics": [{"Name": "ProviderCalls"}, {"Name": "TickersFetched"}],
                    }
                ]
            },
            "service": "stock-movers",
            "ProviderCalls": 1,
        }
    )
    assert cost.emf_metric_keys(line) == [
        "StockMovers/ProviderCalls[service=stock-movers]",
        "StockMovers/TickersFetched[service=stock-movers]",
    ]
    assert cost.emf_metric_keys("not json") == []


def test_meter_snapshot_maps_to_billing_dimensions():
    snapshot = {
        "requests": {
            "s3:PutObject": 4, "s3:GetObject": 3, "s3:ListObjects": 1, "s3:DeleteObject": 2,
            "events:PutEvents": 1, "secretsmanager:GetSecretValue": 2, "dynamodb:GetItem": 5,
        },
        "units": {
            "dynamodb:GetItem": 5, "dynamodb:Query": 3, "dynamodb:BatchWriteItem": 12, "dynamodb:PutItem": 2,
        },
    }  # fmt: skip
    assert cost.meter_counts(snapshot) == {
        "dynamodb.rru": 8,
        "dynamodb.wru": 14,
        "s3.put_class": 5,
        "s3.get_class": 3,
        "events.put_event": 1,
        "secrets.api_call": 2,
    }


@pytest.mark.parametrize(
    ("method", "path", "query", "action"),
    [
        ("PUT", "/bucket/raw/a.json", "", "PutObject"),
        ("GET", "/bucket/raw/a.json", "", "GetObject"),
        ("GET", "/bucket", "list-type=2&prefix=raw/", "ListObjects"),
        ("GET", "/bucket", "versioning", "GetBucketConfig"),
        ("DELETE", "/bucket/k", "versionId=1", "DeleteObject"),
        ("POST", "/bucket", "delete", "DeleteObjects"),
    ],
)
def test_s3_actions_from_method_and_path(method, path, query, action):
    assert s3_action(method, path, query) == action


def test_batch_items_counts_each_write():
    body = json.dumps(
        {"RequestItems": {"t": [{"PutRequest": {}}] * 7, "u": [{"DeleteRequest": {}}]}}
    ).encode()
    assert batch_items(body) == 8
    assert batch_items(json.dumps({"TransactItems": [{}, {}]}).encode()) == 2


def _measurement() -> cost.Measurement:
    return cost.Measurement(
        small=3,
        large=6,
        run_small={"sfn.transition": 40, "lambda.request": 10},
        run_large={"sfn.transition": 58, "lambda.request": 16},
        per_api_request={"lambda.request": 1, "dynamodb.rru": 2},
        map_iteration_seconds=[0.25, 0.3, 2.0],
        fixed={"alarm_metrics": 9, "custom_metrics": 12, "dashboard_metrics": 40, "secrets": 1},
    )


def test_per_ticker_and_extrapolation_follow_the_two_measurements():
    m = _measurement()
    assert m.per_ticker() == {"sfn.transition": 6, "lambda.request": 2}
    assert m.per_run(6) == {"sfn.transition": 58, "lambda.request": 16}
    assert m.per_run(100) == {"sfn.transition": 58 + 94 * 6, "lambda.request": 16 + 94 * 2}


def test_monthly_figures_split_fixed_from_variable_and_apply_the_free_tier():
    m = _measurement()
    month = cost.monthly(m, 6)
    # 21 runs, 10,000 API requests (each also an API Gateway request)
    assert month["sfn.transition"] == 58 * 21
    assert month["lambda.request"] == 16 * 21 + 10_000
    assert month["apigw.rest_request"] == 10_000
    fixed = cost.fixed_monthly(m)
    # 9 alarm metrics fit the 10 free; 12 custom metrics are 2 over ($0.60); the secret is never free
    assert cost.after_free_tier(fixed) == pytest.approx(2 * 0.30 + 0.40)
    report = cost.render(m, "2026-11-26")
    assert "100 (extrapolated)" in report and "500 (extrapolated)" in report
    assert "alarm metrics 9 of 10 (within)" in report
    assert "custom metrics 12 of 10 (2 over: $0.60 a month)" in report


def test_express_per_ticker_bills_a_request_and_64_mb_for_the_median_iteration():
    m = _measurement()
    standard, express = cost.express_per_ticker(m)
    assert standard == pytest.approx(6 * 0.025 / 1000)
    assert express == pytest.approx(1e-6 + 0.3 * (64 / 1024) * 0.00001667)


def test_the_peak_memory_is_each_functions_largest_max_memory_used_of_its_report_lines() -> None:
    # Given log events of two functions: REPORT lines (one without the figure) and other output
    report = (
        "REPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: {} MB"
    )
    events = [
        ("p-fetch-bars", report.format(90)),
        ("p-fetch-bars", "[INFO] Max Memory Used: 999 MB said a handler"),
        ("p-fetch-bars", report.format(120)),
        ("p-pick-winner", report.format(146)),
        ("p-pick-winner", "REPORT RequestId: r\tDuration: 1.00 ms"),
    ]
    # When reduced, Then each function's largest figure, from REPORT lines only
    assert cost.peak_memory_mb(events) == {"p-fetch-bars": 120, "p-pick-winner": 146}


def test_update_docs_targets_the_repository_cost_page():
    # Given the module's idea of docs/cost.md (movers/cli/cost.py lives two levels below the root)
    # Then it is the repository's page, with the generated section's markers `--update-docs` rewrites
    assert cost.DOC == cost.ROOT / "docs" / "cost.md" and (cost.ROOT / "pyproject.toml").is_file()
    text = cost.DOC.read_text()
    assert cost.BEGIN in text and cost.END in text


def test_update_docs_rewrites_only_the_generated_section(tmp_path):
    # Given a page with prose around the generated section
    page = tmp_path / "cost.md"
    page.write_text(f"prose\n{cost.BEGIN}\nold figures\n{cost.END}\nmore prose\n")
    # When the section is rewritten
    cost.update_docs("new figures", page)
    # Then the prose stays and the figures are replaced
    assert page.read_text() == f"prose\n{cost.BEGIN}\nnew figures\n{cost.END}\nmore prose\n"
