"""The local results cache: resumable download, line index, filters, export and run merge."""

from batchtui.core.results.classify import (
    UNPARSEABLE,
    Classifier,
    classifier_for,
    classify_any,
)
from batchtui.core.results.download import SOURCE_ORDER, ResultsFile, download_results
from batchtui.core.results.export import (
    RESULT_COLUMNS,
    RequestLookup,
    export_rows,
    result_record,
    write_csv,
    write_jsonl,
)
from batchtui.core.results.filters import (
    ResultFilter,
    by_custom_ids,
    by_error_type,
    by_flag,
    by_outcome,
    flagged,
    search_text,
)
from batchtui.core.results.index import FLAGS, OUTCOMES, ResultIndex
from batchtui.core.results.merge import Pick, RunMerge, merge_run

__all__ = [
    "FLAGS",
    "OUTCOMES",
    "RESULT_COLUMNS",
    "SOURCE_ORDER",
    "UNPARSEABLE",
    "Classifier",
    "Pick",
    "RequestLookup",
    "ResultFilter",
    "ResultIndex",
    "ResultsFile",
    "RunMerge",
    "by_custom_ids",
    "by_error_type",
    "by_flag",
    "by_outcome",
    "classifier_for",
    "classify_any",
    "download_results",
    "export_rows",
    "flagged",
    "merge_run",
    "result_record",
    "search_text",
    "write_csv",
    "write_jsonl",
]
