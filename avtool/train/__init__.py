"""The shared trainer (`trainer.fit`) and its checkpoints (`checkpoints`)."""

from avtool.train.checkpoints import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from avtool.train.trainer import TrainConfig, TrainResult, TrainTask, check_run_dir, fit

__all__ = ["CHECKPOINT_FORMAT", "TrainConfig", "TrainResult", "TrainTask", "check_run_dir",
           "fit", "load_checkpoint", "save_checkpoint"]
