"""One module per task: dataset over a store, loss, step, prediction."""
