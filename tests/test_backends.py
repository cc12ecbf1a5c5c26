"""The fact suite on TensorFlow and JAX (rnn_lib.backends) and its page, book/backends.md.

Both backend processes run once for the whole file (the module-scoped fixture). Each test
that guards something also shows that its check fails when that thing is broken: a planted
difference, a weight changed after saving, a changed step, a missing pin.
"""

from __future__ import annotations

import copy
import difflib
import importlib.metadata
import re

import keras
import numpy as np
import pytest

from rnn_lib import backends
from tests.conftest import ROOT
from tests.test_book import _heading_anchors
from tests.test_claims import stated_in

# Two processes of ~14 s CPU each, side by side: the file starts first (tests/conftest.py).
pytestmark = pytest.mark.slow


PAGE = ROOT / "book" / "backends.md"


@pytest.fixture(scope="module")
def documents():
    """One document per backend, from two processes run side by side (models exchanged)."""
    return backends.run_both()


# ----- the page -----


def test_the_committed_page_is_what_both_backends_observe_now(documents):
    """book/backends.md must be what the code observes now (python -m rnn_lib.backends --page)."""
    committed = PAGE.read_text()
    generated = backends.render_page(documents)
    difference = "\n".join(
        difflib.unified_diff(committed.splitlines(), generated.splitlines(), lineterm="", n=0)
    )
    assert committed == generated, f"regenerate book/backends.md; differences:\n{difference}"


def _row(page: str, fact_id: str) -> str:
    start = f"| {backends.FACTS[fact_id].text} |"
    (row,) = [line for line in page.splitlines() if line.startswith(start)]
    return row


def test_a_planted_difference_is_marked_and_fails_the_comparison(documents):
    fact_id = "state with a mask is the row alone LSTM"
    assert documents["jax"]["facts"][fact_id] is True
    assert fact_id not in backends.differences(documents)
    assert _row(backends.render_page(documents), fact_id).endswith("| same |")

    planted = copy.deepcopy(documents)
    planted["jax"]["facts"][fact_id] = False
    page = backends.render_page(planted)
    assert fact_id in backends.differences(planted)
    assert _row(page, fact_id).endswith("| `true` | `false` | **differs** |")
    assert f"- `{fact_id}`\n" in page  # listed at the top
    assert "[Masks](#masks) (10)" in page  # and counted in its group
    assert page != PAGE.read_text()  # so the committed-page test fails


def test_every_fact_is_observed_on_each_backend_in_its_own_process(documents):
    for backend, document in documents.items():
        assert document["backend"] == backend
        assert list(document["facts"]) == list(backends.FACTS)
        assert document["versions"]["keras"] == keras.__version__
    assert documents["jax"]["versions"]["jax"] == importlib.metadata.version("jax")


def test_the_jax_process_runs_without_tensorflow(documents):
    """As on a machine with JAX only, where `import tensorflow` fails: so no fact can use it."""
    assert documents["tensorflow"]["imports tensorflow"] is True
    assert documents["jax"]["imports tensorflow"] is False


def test_every_fact_links_to_a_section_that_exists():
    for fact in backends.FACTS.values():
        target, _, anchor = fact.where[1].partition("#")
        path = (ROOT / "book" / target).resolve()
        assert path.is_file(), f"{fact.id}: no {target}"
        if not anchor:
            continue
        if path.suffix == ".ipynb":
            anchors = _heading_anchors(path)
        else:
            from myst_parser.mdit_to_docutils.base import default_slugify

            headings = re.findall(r"^#{1,3} (.+)$", path.read_text(), re.M)
            anchors = {default_slugify(heading.replace("`", "")) for heading in headings}
        assert anchor in anchors, f"{fact.id}: no section #{anchor} in {target}"


# ----- the facts against Keras itself -----


def _reference_cells() -> dict[str, str]:
    """book/shape_reference.md's `returns` cell per configuration, backticks removed."""
    cells = {}
    for line in (ROOT / "book" / "shape_reference.md").read_text().splitlines():
        recurrent = re.match(r"^\| `(\w+)` \| (\w+) \| (\w+) \| ([^|]+) \|$", line)
        wrapped = re.match(r"^\| `Bidirectional\((\w+)\)` \| `(.+?)` \| (\w+) \| (\w+) \| (.+) \|$",
                           line)  # fmt: skip
        if recurrent:
            kind, sequences, state, cell = recurrent.groups()
            key = f"returns {kind} return_sequences={sequences}, return_state={state}"
        elif wrapped:
            kind, mode, sequences, state, cell = wrapped.groups()
            key = (f"returns Bidirectional({kind}) merge_mode={mode} "
                   f"return_sequences={sequences}, return_state={state}")  # fmt: skip
        else:
            continue
        cells[key] = cell.replace("`", "")
    return cells


def test_what_a_call_returns_on_tensorflow_is_the_shape_reference(documents):
    cells = _reference_cells()
    assert len(cells) == 3 * 2 * 2 + 3 * 5 * 2 * 2
    for key, cell in cells.items():
        assert documents["tensorflow"]["facts"][key] == cell, key


def test_a_masked_steps_fact_is_what_keras_returns():
    """The same batch through Keras directly, read by a rule of this test's own."""
    layer = backends._layer("LSTM", return_sequences=True)
    sequence = keras.ops.convert_to_numpy(layer(backends._inputs(), mask=backends.MASK))
    expected = []
    for row in range(3):  # post-padded: valid steps, then copies of the last valid output
        length = int(backends.MASK[row].sum())
        assert not np.allclose(sequence[row, length - 1], sequence[row, length - 2])
        for step in range(length, 5):
            np.testing.assert_allclose(sequence[row, step], sequence[row, length - 1])
        expected.append("v" * length + "r" * (5 - length))
    assert backends.FACTS["masked steps post LSTM"].check() == " ".join(expected)


def test_a_default_output_fact_is_what_keras_returns():
    layer = backends._layer("GRU", return_state=True)
    start = [np.full((7, 4), 0.5, "float32")]
    output, h = backends._numpy(layer(backends._inputs(), mask=backends.MASK, initial_state=start))
    np.testing.assert_allclose(output[:6], h[:6], atol=1e-6)
    np.testing.assert_array_equal(output[6], 0)  # the row with no valid step, on TensorFlow
    np.testing.assert_allclose(h[6], 0.5)
    assert backends.FACTS["default output with a mask GRU"].check() == "h h h h h h 0"


def test_the_step_codes_see_a_changed_step():
    sequence = np.arange(1, 31, dtype="float32").reshape(2, 5, 3)
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], bool)
    sequence[0, 3:] = sequence[0, 2]  # repeats
    sequence[1, :2] = 0.0  # zeros
    assert backends._codes(sequence, mask) == "vvvrr 00vvv"
    sequence[0, 4] += 1.0
    sequence[1, 0] = 7.0
    assert backends._codes(sequence, mask) == "vvvr? ?0vvv"
    start = np.full((2, 3), 7.0, "float32")
    assert backends._codes(sequence, mask, start=start) == "vvvr? s0vvv"


# ----- the general claims about the two backends (book/misconceptions.md) -----

MISCONCEPTIONS = "book/misconceptions.md"
LAYERS = ("SimpleRNN", "GRU", "LSTM")


def _same(documents, fact_id: str) -> bool:
    return documents["tensorflow"]["facts"][fact_id] == documents["jax"]["facts"][fact_id]


@stated_in(MISCONCEPTIONS)
def test_what_a_call_returns_and_the_weights_are_the_same_on_both_backends(documents):
    """What a call returns (its container, names and shapes), the weight shapes and the parameter counts are the same on TensorFlow and JAX."""
    ids = [
        fact_id
        for fact_id in backends.FACTS
        if fact_id.startswith(("returns ", "return_state order ", "weights ", "parameters "))
    ]
    assert len(ids) == 94 + 3 + 4 + 1
    assert [fact_id for fact_id in ids if not _same(documents, fact_id)] == []
    planted = copy.deepcopy(documents)
    planted["jax"]["facts"]["weights LSTM"]["count_params"] = 111
    assert not _same(planted, "weights LSTM")


@stated_in(MISCONCEPTIONS)
def test_on_jax_masked_steps_before_the_first_valid_one_hold_the_initial_state(documents):
    """On JAX, with the default `unroll=False` and `zero_output_for_mask=False`, a masked step before a row's first valid step holds the initial state instead of zeros, and a row with no valid step returns the initial state as its output."""
    facts = {backend: document["facts"] for backend, document in documents.items()}
    for kind in LAYERS:
        pre = f"masked steps pre from initial_state {kind}"
        # pre-padded rows of lengths 5, 3, 2: `s` the initial state, `0` zeros
        assert facts["tensorflow"][pre] == "vvvvv 00vvv 000vv"
        assert facts["jax"][pre] == "vvvvv ssvvv sssvv"
        for condition in ("unroll", "zero_output_for_mask"):  # zeros again, as on TensorFlow
            variant = f"masked steps pre from initial_state {condition} {kind}"
            assert facts["jax"][variant] == "vvvvv 00vvv 000vv"
        assert _same(documents, f"masked steps pre {kind}")  # from zeros: the same on both
        default = f"default output with a mask {kind}"  # the last row has no valid step
        assert facts["tensorflow"][default] == "h h h h h h 0"
        assert facts["jax"][default] == "h h h h h h h"
        assert facts["jax"][f"default output with a mask unroll {kind}"] == "h h h h h h 0"
        assert facts["jax"][f"default output with zero_output_for_mask {kind}"].endswith(" 0")


@stated_in(MISCONCEPTIONS)
def test_on_jax_unroll_ignores_zero_output_for_mask(documents):
    """On JAX, `unroll=True` ignores `zero_output_for_mask`: a masked step after a valid one repeats the last output instead of being zeros."""
    for kind in LAYERS:
        facts = {backend: document["facts"] for backend, document in documents.items()}
        unrolled = f"zero_output_for_mask unroll {kind}"
        assert facts["jax"][unrolled] == facts["jax"][f"masked steps post {kind}"]
        assert "r" in facts["jax"][unrolled] and "0" not in facts["jax"][unrolled]
        assert (
            facts["tensorflow"][unrolled]
            == facts["tensorflow"][f"zero_output_for_mask post {kind}"]
        )


@stated_in(MISCONCEPTIONS)
def test_on_jax_a_stateful_models_short_last_batch_is_refused(documents):
    """On JAX, `predict`, `evaluate` and `fit` refuse a stateful model's short last batch with a `ValueError`."""
    fact_id = "stateful short last batch"
    assert documents["tensorflow"]["facts"][fact_id] == {
        "predict, 10 rows": "12 rows",  # a last batch of 1, broadcast against 3 states
        "predict, 11 rows": "raises InvalidArgumentError",
        "evaluate, 10 rows": "runs",
        "fit, 10 rows": "runs",
    }
    assert set(documents["jax"]["facts"][fact_id].values()) == {"raises ValueError"}


# ----- portability -----


def test_a_model_saved_on_one_backend_gives_the_same_outputs_on_the_other(documents):
    for saved_on, loaded_on in (("tensorflow", "jax"), ("jax", "tensorflow")):
        result = documents[loaded_on]["portability"]
        assert (result["saved on"], result["loaded on"]) == (saved_on, loaded_on)
        assert result["allclose"] is True
        assert result["outputs"] == [[6, 5, 4], [6, 4], [6, 4], [6, 4], [6, 4]]
    page = PAGE.read_text()
    assert "| TensorFlow | JAX | " in page and "| JAX | TensorFlow | " in page


def test_a_weight_changed_after_saving_breaks_the_comparison(tmp_path):
    path = backends.save_portable(tmp_path, "tensorflow")
    assert backends.load_and_compare(tmp_path, "tensorflow")["allclose"] is True
    model = keras.saving.load_model(path)
    weights = model.get_weights()
    weights[0] = weights[0] + 0.1  # the Bidirectional LSTM's forward kernel
    model.set_weights(weights)
    model.save(path)
    result = backends.load_and_compare(tmp_path, "tensorflow")
    assert result["allclose"] is False
    assert result["max abs difference"] > 0


# ----- the pins and the input checks -----


def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^(jax|jaxlib)==(\S+)$", text, re.M))


def test_jax_and_jaxlib_are_pinned_together_and_installed():
    pins = _pins((ROOT / "requirements.txt").read_text())
    assert pins == _pins((ROOT / "requirements.in").read_text())
    assert set(pins) == {"jax", "jaxlib"} and len(set(pins.values())) == 1
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version
    assert _pins("numpy==2.4.6\njaxlib==0.4.1\n") == {"jaxlib": "0.4.1"}  # a missing pin shows


@pytest.mark.parametrize(
    ("call", "error", "names"),
    [
        (lambda: backends.run_backend("torch"), ValueError, "backend: expected one of"),
        (lambda: backends.render_page({"tensorflow": {}}), ValueError, "documents: expected"),
        (lambda: backends.differences([]), ValueError, "documents: expected"),
        (lambda: backends.observe(["no such fact"]), ValueError, "ids: expected"),
        (lambda: backends.observe(compiled="yes"), TypeError, "compiled: expected"),
        (lambda: backends.run_both(timeout=0), ValueError, "timeout: expected"),
        (lambda: backends.save_portable("/no/such/folder", "jax"), ValueError, "folder: expected"),
        (lambda: backends.portable_model(seed=-1), ValueError, "seed: expected"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(call, error, names):
    with pytest.raises(error, match=re.escape(names)):
        call()
