"""The AVVP task's commands: `parse-events`, `evaluate avvp`, `train avvp|avvp-pretrain` options."""
