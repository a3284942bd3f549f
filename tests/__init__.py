"""The course's tests, mirroring the code: ``tests/helpers`` for ``helpers/``, ``tests/grading``
for ``grading/`` (``plugins``, ``engine``, ``classroom``), ``tests/lectures`` and
``tests/assignments`` for the notebooks, ``tests/hub`` and ``tests/lab`` for what a person sees.
``tests/support`` holds the scaffolding (a throw-away course, wrong submissions of our own)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
