"""The local results cache: resumable download, line index, filters, export and run merge."""

from typing import TYPE_CHECKING

from batchtui.core.lazy import lazy_exports

if TYPE_CHECKING:
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

_EXPORTS = {
    "UNPARSEABLE": "classify",
    "Classifier": "classify",
    "classifier_for": "classify",
    "classify_any": "classify",
    "SOURCE_ORDER": "download",
    "ResultsFile": "download",
    "download_results": "download",
    "RESULT_COLUMNS": "export",
    "RequestLookup": "export",
    "export_rows": "export",
    "result_record": "export",
    "write_csv": "export",
    "write_jsonl": "export",
    "ResultFilter": "filters",
    "by_custom_ids": "filters",
    "by_error_type": "filters",
    "by_flag": "filters",
    "by_outcome": "filters",
    "flagged": "filters",
    "search_text": "filters",
    "FLAGS": "index",
    "OUTCOMES": "index",
    "ResultIndex": "index",
    "Pick": "merge",
    "RunMerge": "merge",
    "merge_run": "merge",
}
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
