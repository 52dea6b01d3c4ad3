"""On-line data augmentation of waveforms, shared by the tasks that train on audio.

* :mod:`avtool.augment.mix`: mixing a signal and an interferer at a signal-to-noise ratio, and
  random segments of a longer recording;
* :mod:`avtool.augment.speech`: the speaker-training augmenter (synthetic noise classes, babble,
  simulated room impulse responses, speed perturbation).

SpecAugment, which works on features rather than waveforms, is :mod:`avtool.nn.specaugment`.
"""
