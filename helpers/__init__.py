"""Shared code for the *Training Deep Neural Networks* notebooks.

Each module holds one concern (data, run profile, seeding, plotting, models, ...). The most used
names are re-exported here so that a notebook can start with ``from helpers import ...``. Importing
this package does not import TensorFlow; the modules that need Keras import it themselves.
"""

from helpers.data import Dataset, load_dataset
from helpers.profile import fast_mode, pick
from helpers.seeding import set_seed

__all__ = ["Dataset", "fast_mode", "load_dataset", "pick", "set_seed"]
