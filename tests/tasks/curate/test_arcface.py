"""ArcFace face verification from a user's model folder (`[facever] backend = "arcface"`):
the one-line errors when the folder lacks the model, and the path through insightface's
ArcFace runner with a stand-in ONNX network of ArcFace's shape (no real ArcFace model can
be had offline: insightface fetches its packs at run time, which avtool never does)."""

import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.errors import ConfigError, ModelError
from avtool.tasks.curate.config import FaceVerifyConfig, config_from_mapping
from avtool.tasks.curate.face_verification import ArcFaceVerifier, face_verifier

runner = CliRunner()


def test_arcface_needs_a_model_dir():
    with pytest.raises(ConfigError, match="facever.model_dir"):
        config_from_mapping({"facever": {"backend": "arcface"}})


def test_a_folder_without_the_model_is_one_clear_line(tmp_path):
    (tmp_path / "det_10g.onnx").write_bytes(b"")  # a detector is not a recogniser
    with pytest.raises(ModelError, match="holds no insightface ArcFace model"):
        face_verifier(FaceVerifyConfig(backend="arcface", model_dir=str(tmp_path)))


def test_the_cli_names_the_folder_and_exits_2(tmp_path):
    config = tmp_path / "curate.toml"
    config.write_text(f'[facever]\nbackend = "arcface"\nmodel_dir = "{tmp_path / "models"}"\n')
    (tmp_path / "videos" / "id00001").mkdir(parents=True)
    (tmp_path / "videos" / "id00001" / "v.mp4").write_bytes(b"")
    speakers = tmp_path / "speakers.csv"
    speakers.write_text("id,name,references\nid00001,A,a.jpg\n")
    (tmp_path / "a.jpg").write_bytes(b"")
    result = runner.invoke(app, ["curate", "--speakers", str(speakers), "--videos",
                                 str(tmp_path / "videos"), "--out", str(tmp_path / "out"),
                                 "--config", str(config)])
    assert result.exit_code == 2
    line = result.output.strip().splitlines()
    assert len(line) == 1 and "models" in line[0] and "ArcFace" in line[0], result.output
    assert not (tmp_path / "out").exists()


def test_a_corrupt_model_file_is_named(tmp_path):
    (tmp_path / "w600k_r50.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelError, match="w600k_r50.onnx: not a usable ArcFace"):
        ArcFaceVerifier(FaceVerifyConfig(backend="arcface", model_dir=str(tmp_path)))


@pytest.mark.filterwarnings("ignore::FutureWarning")  # inside insightface (skimage API)
def test_stand_in_model_runs_the_arcface_path(tmp_path):
    import torch

    from avtool.synth.video import face_crops

    class StandIn(torch.nn.Module):  # ArcFace's interface: (n, 3, 112, 112) -> (n, 512)
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 8, stride=8)
            self.fc = torch.nn.Linear(8 * 14 * 14, 512)

        def forward(self, x):
            return self.fc(self.conv(x).flatten(1))

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(StandIn().eval(), torch.zeros(1, 3, 112, 112),
                          str(tmp_path / "w600k_r50.onnx"), input_names=["data"],
                          output_names=["fc1"], dynamic_axes={"data": {0: "n"}}, dynamo=False)
    verifier = face_verifier(FaceVerifyConfig(backend="arcface", model_dir=str(tmp_path)))
    assert verifier.config.metric == "cosine" and verifier.config.threshold == 0.5
    face = np.ascontiguousarray(face_crops()[2])
    h, w = face.shape[:2]
    a = verifier.describe(face, (0.1 * w, 0.1 * h, 0.8 * w, 0.8 * h))
    b = verifier.describe(face, (0.12 * w, 0.1 * h, 0.8 * w, 0.8 * h))
    assert a.shape == (512,) and np.isfinite(a).all()
    score, ref = verifier.score(a[None], np.stack([b, -b]))
    assert ref == 1 and score > 0.9  # the same face, aligned by its landmarks both times
