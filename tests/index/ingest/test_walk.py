"""Walking input folders: a bad entry (link loop, dangling link, pipe) is one problem and the walk goes on."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.archives import write_text

from index.ingest import pipeline


def test_link_loops_dangling_links_and_pipes_are_problems_and_good_files_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    good = [write_text(folder / f"{n}.txt", n) for n in range(2)]
    (folder / "loop1.txt").symlink_to(folder / "loop2.txt")
    (folder / "loop2.txt").symlink_to(folder / "loop1.txt")
    (folder / "gone.txt").symlink_to(folder / "never-there.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "up").symlink_to(tmp_path, target_is_directory=True)  # a folder link is not followed
    files, problems = pipeline.walk([folder])
    assert files == [str(p.resolve()) for p in good]
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert reasons == {
        "loop1.txt": "a link that loops back on itself: not read",
        "loop2.txt": "a link that loops back on itself: not read",
        "gone.txt": "a link to nothing: not read",
        "pipe.txt": "not a regular file (a device, pipe or socket): not read",
    }


def test_a_run_over_such_a_folder_indexes_the_good_files(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "news"
    write_text(folder / "ok.txt", 1)
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "fifo.txt")
    summary = pipeline.ingest([folder], db_path, progress=False, workers=0)
    assert summary.added == 1 and len(summary.problems) == 2
