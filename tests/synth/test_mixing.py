import numpy as np

from avtool.synth.corpus import clip_rngs
from avtool.synth.mixing import add_faded, at_level, fade, limit_peak, noise_bed


def test_noise_bed_and_at_level_hit_the_asked_rms():
    bed = noise_bed(16000, np.random.default_rng(0), -40)
    assert abs(20 * np.log10(np.sqrt(np.mean(bed ** 2))) + 40) < 1e-9
    tone = np.sin(np.arange(8000) / 5.0)
    assert abs(20 * np.log10(np.sqrt(np.mean(at_level(tone, -18) ** 2))) + 18) < 1e-6
    assert not at_level(np.zeros(10), -18).any()


def test_fade_ramps_both_ends_and_add_faded_cuts_to_fit():
    env = fade(1000, 1000, seconds=0.1)
    assert env[0] == 0 and env[-1] == 0 and env[500] == 1
    mix = np.zeros(100)
    add_faded(mix, np.ones(50), 80, sr=1000)   # only 20 samples fit
    assert mix[:80].sum() == 0 and 0 < mix[80:].sum() < 20


def test_limit_peak_scales_down_only():
    loud = np.array([0.0, 2.0, -1.0])
    assert np.abs(limit_peak(loud)).max() == np.float32(0.9)
    quiet = np.array([0.1, -0.2])
    assert limit_peak(quiet).dtype == np.float32 and np.allclose(limit_peak(quiet), quiet)


def test_clip_rngs_depend_on_the_seed_only():
    a1, v1 = clip_rngs(7)
    a2, v2 = clip_rngs(7)
    assert a1.normal() == a2.normal() and v1.normal() == v2.normal()
    a, v = clip_rngs(7)
    assert a.normal() != v.normal()
