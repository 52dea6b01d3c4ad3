"""Temporal caption grounding (find the moment of a video a sentence describes; Charades-STA,
ActivityNet Captions): evaluation from files today (`avtool evaluate grounding`,
`avtool.tasks.grounding.evaluate`); the MALTA/ABLR models and `align-captions` arrive with their
own issue."""
