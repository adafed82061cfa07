"""Appliance fingerprints: the definition (:mod:`.fingerprint`), V–I
trajectory descriptors (:mod:`.vi`), the open-set library (:mod:`.library`),
the rule-based load classes (:mod:`.classify`) and the scikit-learn bridge
(:mod:`.sklearn`, needs the optional ``sklearn`` extra; import it explicitly).
"""

from .classify import LoadClass, classify_load
from .fingerprint import (FEATURE_DOCS, N_HARMONICS, VI_POINTS, WAVE_POINTS, Fingerprint, fingerprint,
                          fingerprint_from_waves)
from .library import FingerprintLibrary, Match

__all__ = ["FEATURE_DOCS", "Fingerprint", "FingerprintLibrary", "LoadClass", "Match", "N_HARMONICS",
           "VI_POINTS", "WAVE_POINTS", "classify_load", "fingerprint", "fingerprint_from_waves"]
