"""The speaker task's commands: `verify-speaker`, `evaluate speaker`, `train speaker` options."""
