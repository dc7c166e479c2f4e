"""B3's whole-process baseline: ``python -m bench.pieces.sdk_submit PATH BASE_URL``.

What a script using the official ``openai`` SDK does to submit a JSONL file: upload it
(``files.create``) and create the batch (``batches.create``). Timed from spawn to exit by the
parent, like ``batchtui submit``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import openai

    path, base_url = Path(argv[0]), argv[1]
    client = openai.OpenAI(api_key=os.environ["BENCH_OPENAI_KEY"], base_url=base_url, max_retries=0)
    with path.open("rb") as handle:
        uploaded = client.files.create(file=(path.name, handle), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    print(batch.id)
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
