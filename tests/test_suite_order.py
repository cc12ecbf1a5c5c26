"""The order `make test` hands files to its pytest-xdist workers (tests/conftest.py)."""

from tests import conftest


def test_long_files_come_first_and_files_stay_whole(request):
    items = request.session.items
    files = list(dict.fromkeys(item.path for item in items))  # in order of first appearance
    ranks = {path: min(conftest._file_rank(i) for i in items if i.path == path) for path in files}
    assert [ranks[path] for path in files] == sorted(ranks[path] for path in files)
    # Each file is one block: a notebook's cells run in order in one kernel.
    blocks = [path for index, path in enumerate(i.path for i in items)
              if index == 0 or items[index - 1].path != path]  # fmt: skip
    assert blocks == files
    if any(path.suffix == ".ipynb" for path in files):
        assert ranks[files[0]] <= 2, "the browser check, a slow file or a notebook runs first"
