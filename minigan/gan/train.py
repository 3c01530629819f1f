"""The trainer's names where they were before the trainer was split; new code imports them from ``minigan.gan``.

The training step is in ``minigan.gan.step``, the settings in ``minigan.gan.config``, the run folder in
``minigan.gan.run``, sampling in ``minigan.gan.sampling`` and ``minigan.gan.families``.
"""

from .config import TrainConfig, default_config
from .families import load_generator
from .losses import LOSSES
from .run import Trainer, TrainingDiverged, TrainingWarning
from .sampling import generate_samples

__all__ = ["LOSSES", "TrainConfig", "Trainer", "TrainingDiverged", "TrainingWarning", "default_config",
           "generate_samples", "load_generator"]
