"""Active speaker detection with a SyncNet-architecture network (`avtool train active-speaker`).

`net` (the two streams and the contrastive loss), `windows` (mouth and MFCC windows, the
SyncNet offset search), `tracks` (a training store of in-sync face tracks from talking-heads
corpora), `task` (training), `predictor` (a trained or the shipped network on tracks).
The shipped checkpoint, ``syncnet.pt``, is what ``avtool curate --asd syncnet`` loads.
"""
