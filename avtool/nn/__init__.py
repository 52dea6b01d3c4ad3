"""Network blocks that more than one task can use: temporal pooling (TAP, NetVLAD,
GhostVLAD), margin losses, attention, gradient reversal. nn.Modules only, no I/O."""
