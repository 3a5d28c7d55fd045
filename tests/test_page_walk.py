"""Listing the pages folder: every page file with its stamp, in the order of sorted paths, read
relative to each open folder (bot.index.page_files)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.index import file_stamp, page_files


def test_every_page_file_with_its_stamp_in_the_order_of_sorted_paths(tmp_path: Path):
    folder = tmp_path / "pages"
    for name in ("a/b/one.md", "a/two.md.erb", "c/three.markdown", "top.md", "a-b/x.md", "a.md", "notes.txt"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"# {name}\n")
    (folder / "c" / "link.md").symlink_to("../top.md")  # a link to a file is a page
    (folder / "zz").mkdir()
    (folder / "zz" / "folder-link").symlink_to("../a")  # a link to a folder is not entered
    (folder / "broken.md").symlink_to("/nowhere/at/all.md")  # a link to nothing is no file
    listed = page_files(folder)
    expected = ["a/b/one.md", "a/two.md.erb", "a-b/x.md", "a.md", "c/link.md", "c/three.markdown", "top.md"]
    assert [os.path.relpath(path, folder) for path, _ in listed] == expected
    assert sorted(expected, key=lambda p: Path(p).parts) == expected  # "a/..." before "a-b/..." before "a.md"
    assert all(stamp == file_stamp(path) and stamp for path, stamp in listed)
    (folder / "top.md").write_text("# changed, and longer\n")
    assert dict(page_files(folder))[str(folder / "top.md")] == file_stamp(folder / "top.md") != dict(listed)[str(folder / "top.md")]
