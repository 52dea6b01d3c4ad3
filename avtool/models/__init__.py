"""Models: nn.Modules only, one file per family (ge2e, vggvox, ...)."""
