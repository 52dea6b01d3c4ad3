"""`avtool curate`: the VoxCeleb collection pipeline (Nagrani thesis §2.4), from folders of
videos of people of interest to a verified speaker dataset in the VoxCeleb layout.

One module per stage, each a small backend chosen by `config.CurateConfig`: `shots`,
`face_detection`, `tracking`, `active_speaker`, `face_verification`, `speech`, `dedup`;
`video` runs them on one video, `run` over a folder (workers, Dask, resume), `assemble`
writes the layout, `evaluate` and `report` compare with a synthetic corpus's truth.
Curation trains nothing, so the folder has no `TASKS` line.
"""
