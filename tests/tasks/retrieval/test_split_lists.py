"""`--train-split` / `--val-split` read an MSR-VTT CSV or CE's one-id-per-line .txt list."""

from types import SimpleNamespace

from avtool.tasks.retrieval.data import split_ids


def test_split_lists_of_both_layouts(tmp_path):
    txt = tmp_path / "train_list_jsfusion.txt"
    txt.write_text("video7\nvideo3\n")
    csv = tmp_path / "MSRVTT_train.7k.csv"
    csv.write_text("video_id\nvideo7\nvideo3\n")
    assert split_ids(None, str(txt), ("train",)) == ["video7", "video3"]
    assert split_ids(None, str(csv), ("train",)) == ["video7", "video3"]
    data = SimpleNamespace(videos=[SimpleNamespace(video_id="a", split="train"),
                                   SimpleNamespace(video_id="b", split="test")])
    assert split_ids(data, None, ("train",)) == ["a"]
