"""Doc, "Job stages": during data validation "we will verify only unique file paths".

A flat blob namespace can hold a file and a folder at one path; a fileshare cannot, so the file whose
path is also a folder of the job fails at validation with ER_20005 (PathValidationFailed).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import Relativity

from emulators.core.storage import GeneratedSpec, Tree, TreeSpec
from emulators.relativity.paths import files_named_like_folders

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
CLASHES = pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    behaviour: {statistics_interval: 1}
    azure:
      devstoreaccount1:
        containers:
          clashes:
            entries:
              - {path: x/report, size: 10}
              - {path: x/report.pdf, size: 20}
              - {path: x/report/page1.pdf, size: 30}
              - {path: y/notes, size: 40}
              - {path: y/notes/empty, type: dir}
              - {path: z/README, size: 50}
              - {path: z/readme/a.txt, size: 60}
"""
)


@CLASHES
def test_a_file_that_is_also_a_folder_fails_at_validation(relativity: Relativity):
    job_id = relativity.create("clashes")
    during = None
    document = relativity.status(job_id)
    while document["transferStatus"] not in ("Completed", "Failed"):
        if document["enumerationStatistics"]["status"] == "inprogress":
            during = document
        relativity.advance(1)
        document = relativity.status(job_id)
    assert during is not None and during["transferStatistics"]["failedFiles"] == 0, "copied, then judged"
    stats = document["transferStatistics"]
    assert document["transferStatus"] == "Failed"
    assert (stats["failedFiles"], stats["failedBytes"]) == (2, 10 + 40)
    assert (stats["successfulFiles"], stats["successfulBytes"]) == (4, 20 + 30 + 50 + 60)
    relativity.advance(600)
    rows = {row[0]: (row[2], row[3]) for row in relativity.report(job_id)[1:]}
    assert rows["x/report"] == rows["y/notes"] == ("failed", "ER_20005")
    # The fileshare is case-sensitive (reference, A3), so `README` and `readme/` do not clash.
    assert {rows[p] for p in ("x/report.pdf", "x/report/page1.pdf", "z/README", "z/readme/a.txt")} == {
        ("completed", "")
    }


def test_generated_files_are_checked_against_the_folders_of_other_files():
    generated = GeneratedSpec(
        count=20, prefix="g", per_directory=5, directory="d{group:02d}", name="f{index:03d}{ext}"
    )
    spec = TreeSpec(generate=[generated], entries=[{"path": "g/d01/f007.bin/inner.txt", "size": 1}])
    files = Tree(spec, seed=1, default_mtime=EPOCH).files()
    [position] = files_named_like_folders(files, [])
    assert files[position].path == "g/d01/f007.bin"


def test_one_generated_set_never_clashes_with_itself():
    generated = GeneratedSpec(count=1000, prefix="g", per_directory=10)
    files = Tree(TreeSpec(generate=[generated]), seed=1, default_mtime=EPOCH).files()
    assert files_named_like_folders(files, []) == []


@pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    behaviour: {rate: {bandwidth: 1000000}}
    azure:
      devstoreaccount1:
        containers:
          clashes:
            entries:
              - {path: a/huge.bin, size: 1000000000000}
              - {path: x/report, size: 10}
              - {path: x/report/page1.pdf, size: 30}
"""
)
def test_a_file_the_copy_already_failed_is_not_failed_again_at_validation(relativity: Relativity):
    """The SAS expires while the first file is still copying (doc, ER_00005: "expired SAS"): every file
    fails then, the clashing one included, and validation must not count it a second time."""
    job_id = relativity.create("clashes", source=relativity.sas_url("clashes", days=7.5))
    relativity.advance(8 * 86400)
    final = relativity.run_until_final(job_id)
    stats = final["transferStatistics"]
    assert (stats["successfulFiles"], stats["failedFiles"]) == (0, 3)
    assert (stats["successfulBytes"], stats["failedBytes"]) == (0, 1000000000000 + 40)
    relativity.advance(3600)
    rows = {row[0]: row[3] for row in relativity.report(job_id)[1:]}
    assert rows == {"a/huge.bin": "ER_00005", "x/report": "ER_00005", "x/report/page1.pdf": "ER_00005"}
