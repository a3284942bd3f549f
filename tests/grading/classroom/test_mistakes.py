"""grading.classroom.mistakes: named mistakes per graded function, counted in students.

The test cells of the real a2 are mapped to the functions they test; autograded notebooks are
the released a2 with error outputs written in the form ``helpers.checks`` gives them."""

import json

from grading.classroom.mistakes import class_mistakes, functions_under_test, named_mistakes
from tests import ROOT

A2 = "a2_batch_normalization"
SWAP = "momentum and 1 - momentum are swapped: momentum weighs the old average."
IGNORED = "momentum is ignored (the default 0.99 is used); use the argument."
DDOF = "your variance is the unbiased one (ddof=1); batch norm divides by m."


def error(message: str) -> dict:
    return {"output_type": "error", "ename": "CheckFailed", "evalue": message, "traceback": []}


def autograded(root, student, errors):
    """The released a2 as if autograded, with ``errors`` ({grade_id: message}) as outputs."""
    nb = json.loads((ROOT / "assignments" / A2 / f"{A2}.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in errors:
            cell["outputs"] = [error(errors[grade_id])]
    path = root / "autograded" / student / A2 / f"{A2}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb))
    return path


def test_test_cells_belong_to_the_function_their_comment_names():
    functions = functions_under_test(ROOT / "solutions" / A2 / f"{A2}.ipynb")
    assert functions["test-update-moving-keras"] == "update_moving"
    assert functions["test-bn-inference-hidden"] == "batchnorm_inference"
    assert functions["test-param-counts-basic"] == "bn_param_counts"
    assert set(functions.values()) == {
        "batchnorm_train",
        "update_moving",
        "batchnorm_inference",
        "fuse_dense_bn",
        "bn_param_counts",
    }


def test_the_likely_mistake_is_read_from_the_failure_message(tmp_path):
    path = autograded(
        tmp_path,
        "s1",
        {
            "test-update-moving-keras": "batch 2 of 3: the moving mean is wrong: 4 of 4 values "
            f"are off (tolerance rtol=1e-06, atol=1e-09). Likely mistake: {SWAP} See 8.2.",
            "test-bn-train-basic": "batchnorm_train returned None.",  # no named mistake
        },
    )
    assert named_mistakes(path) == {"test-update-moving-keras": [SWAP]}


def test_mistakes_are_counted_in_students_not_in_failing_cells(tmp_path):
    swap = f"the moving mean is wrong. Likely mistake: {SWAP}"
    autograded(  # one student, the same mistake in two cells: one student
        tmp_path,
        "s1",
        {"test-update-moving-keras": swap, "test-update-moving-hidden": swap},
    )
    autograded(tmp_path, "s2", {"test-update-moving-keras": swap})
    autograded(
        tmp_path,
        "s3",
        {
            "test-update-moving-keras": f"wrong. Likely mistake: {IGNORED}",
            "test-bn-train-keras": f"the variance is wrong. Likely mistake: {DDOF}",
        },
    )
    (tmp_path / "solutions").symlink_to(ROOT / "solutions")
    assert class_mistakes(tmp_path, A2) == {
        "update_moving": [(SWAP, ["s1", "s2"]), (IGNORED, ["s3"])],
        "batchnorm_train": [(DDOF, ["s3"])],
    }
