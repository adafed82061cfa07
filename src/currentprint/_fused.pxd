# Fused sample types read by the kernels: float64 and float32 for calibrated
# or sensor signals, int16 for raw ADC counts (no float64 copy of the signal).
ctypedef fused sample_t:
    double
    float
    short
