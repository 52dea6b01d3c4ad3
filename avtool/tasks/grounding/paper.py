"""The MALTA paper's numbers (Konda et al. 2020; digest caption-alignment-000 Appendix B).

R@1 at IoU = .1, .3, .5, .7 as fractions; None where the text extraction lost the value.
TFT_av numbers are the mean (and std) over 5 seeds. The paper reports no mIoU.
"""

from __future__ import annotations

ALPHAS = (0.1, 0.3, 0.5, 0.7)

TABLE3 = {  # multimodal co-attention vs ABLR on the benchmarks
    "ActivityNet": {"ABLR": (0.7236, 0.5454, 0.3571, 0.1786),
                    "MALTA": (0.7137, 0.5388, 0.3636, 0.1872)},
    "Charades-STA": {"ABLR": (0.5947, 0.4910, 0.3611, 0.1462),
                     "MALTA": (0.6510, 0.5220, 0.3650, 0.1490)},
}
TABLE1 = {  # single modality
    "ActivityNet": {"A-ONLY": (0.6941, 0.5203, 0.3373, 0.1705),
                    "V-ONLY": (0.7236, 0.5454, 0.3571, 0.1786)},
    "Charades-STA": {"A-ONLY": (0.6435, 0.5002, 0.3583, 0.1537),
                     "V-ONLY": (0.5947, 0.4910, 0.3611, 0.1462)},
}
TABLE4 = {  # TFT_av, audio representations, (mean, std) at IoU .5 and .7
    "V-ONLY": ((0.1321, 0.004), (0.0485, 0.002)),
    "VGG": ((0.1420, 0.002), (0.0485, 0.005)),
    "MFCC": (None, (0.0439, 0.006)),
    "PASE-spk-finetuned": ((0.1459, 0.005), (0.0484, 0.005)),
    "ASR-bnf": ((0.1550, 0.005), (0.0545, 0.005)),
}
TABLE6 = {  # TFT_av skylines
    "Hard-Attention": (0.9421, 0.8552, 0.6526, 0.5364),
    "Video+Transcript": (0.3514, 0.2585, 0.1730, 0.0689),
}
TABLE7 = {  # scored against the video-only annotation TFT_v
    "V-ONLY": (0.3375, 0.2063, 0.0906, 0.0313),
    "CONC-AV": (0.3156, 0.2109, 0.0953, 0.0375),
}
