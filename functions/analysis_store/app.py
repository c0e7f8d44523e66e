"""Store Analysis: reduce the per-ticker figures with the stored winners, store the summary, word the report.

Input: {"date", "batches": <Prepare Analysis's plan>, "results": <the Analyse Tickers answers>,
"executionName"}: the per-ticker figures are read from the batches' work objects and checked against the
plan (usecases.analysis.read_batches: InvalidInput, MissingAnalysisBatch or InvalidAnalysisBatch before
anything is written). Writes the day's analysis summary
item (ItemStore.put_analysis) and ``curated/analysis/year=Y/date=D/analysis.parquet`` (both overwritten with
identical content on a re-run), and returns {"date", "status", "unusual", "parquetKey", "subject", "message"}
for the SNS report.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from parquet import analysis_key, analysis_parquet

from stock_movers.adapters.storage import RawStore
from stock_movers.domain.analytics import report
from stock_movers.domain.inputs import parse_date, parse_execution_name
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import load
from stock_movers.settings.functions import AnalysisStoreSettings
from stock_movers.usecases.analysis import (
    HistoryStore,
    read_batches,
    summarise_day,
)

settings = load(AnalysisStoreSettings)
_store = HistoryStore(settings.table.name)
_objects = RawStore(settings.bucket.name)
_threshold = settings.analysis.unusual_threshold


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    execution = parse_execution_name(event.get("executionName"))
    analyses = read_batches(_objects, day, execution, event.get("batches"), event.get("results"))
    summary = summarise_day(_store, day, analyses, threshold=_threshold)
    key = analysis_key(day)
    _objects.put_bytes(key, analysis_parquet(summary), "application/vnd.apache.parquet")
    _store.put_summary(summary)
    subject, message = report(summary)
    metrics.add_metric(name="AnalysisStored", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="UnusualMoves", unit=MetricUnit.Count, value=len(summary["Unusual"]))
    logger.info(
        "Analysis stored",
        extra={"date": summary["Date"], "status": summary["Status"], "unusual": summary["Unusual"]},
    )
    return {
        "date": summary["Date"],
        "status": summary["Status"],
        "unusual": summary["Unusual"],
        "parquetKey": key,
        "subject": subject,
        "message": message,
    }
