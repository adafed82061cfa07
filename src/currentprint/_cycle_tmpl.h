/* One sample-type copy (CP_T, name CP_TN, loaders CP_LOAD4 (four samples) and CP_LOADV (one native vector)) of the per-cycle kernel,
 * inside one instruction-set copy (CPF). Included by _cycle_impl.h. */

#define CPT(name) CPF(CP_CAT(name, CP_TN))
/* bit l set when lane l of a comparison result is true */
#if CP_VW == 4
#define CP_MASKV(ok) _mm256_movemask_pd((__m256d)(ok))
#elif CP_X86
#define CP_MASKV(ok) _mm_movemask_pd((__m128d)(ok))
#else
#define CP_MASKV(ok) ((int)((ok)[0] & 1) | ((int)((ok)[1] & 1) << 1))
#endif

#if !CP_ISA_AVX512
/* Index of the first NaN/inf sample, or -1; *maxabs receives the largest |x| of the finite samples
 * (what analyzer.py's range check needs; one pass for both). Exponent tests and max vectorise. */
static Py_ssize_t CPT(cp_first_nonfinite)(const CP_T *x, Py_ssize_t n, double *maxabs) {
#if CP_FBITS == 0
    Py_ssize_t j;
    int mx = 0;
    for (j = 0; j < n; j++) {
        int a = x[j] < 0 ? -(int)x[j] : (int)x[j];
        mx = a > mx ? a : mx;
    }
    *maxabs = (double)mx;
    return -1;    /* integers are always finite */
#else
    /* x * 0 is NaN exactly for NaN and +-inf; sums of it stay NaN (vector lanes, no branches) */
    Py_ssize_t j0, j, e;
    CP_VD m0 = CP_BCV(0.0), m1 = m0;
    double sm = 0.0, hm;
    for (j0 = 0; j0 < n; j0 += 1024) {
        e = j0 + 1024 < n ? j0 + 1024 : n;
        CP_VD a0 = CP_BCV(0.0), a1 = a0;
        double s = 0.0;
        for (j = j0; j + 2 * CP_VW <= e; j += 2 * CP_VW) {
            CP_VD x0 = CP_LOADV(x + j), x1 = CP_LOADV(x + j + CP_VW);
            a0 = a0 + x0 * 0.0;
            a1 = a1 + x1 * 0.0;
            m0 = CP_VMAX(CP_VABS(x0), m0);     /* NaN lanes keep the old maximum */
            m1 = CP_VMAX(CP_VABS(x1), m1);
        }
        for (; j < e; j++) {
            double a = fabs((double)x[j]);
            s = s + (double)x[j] * 0.0;
            sm = a > sm ? a : sm;
        }
        a0 = a0 + a1;
        s = s + a0[0] + a0[1];
#if CP_VW == 4
        s = s + a0[2] + a0[3];
#endif
        if (s != s)
            for (j = j0; j < e; j++)
                if (!isfinite((double)x[j]))
                    return j;
    }
    m0 = CP_VMAX(m0, m1);
    hm = CP_HMAXV(m0);
    *maxabs = hm > sm ? hm : sm;
    return -1;
#endif
}

#endif

/* Statistics of the calibrated current over samples [a, b) of one half-cycle class:
 * max of val, max of -val, sum of val^2, max |val - previous val| (the step). cal = 0: the
 * calibration is the identity ((x - 0) * 1 is x exactly) and is skipped. */
static inline __attribute__((always_inline)) void CPT(run_stats)(const CP_T *x, Py_ssize_t a, Py_ssize_t b, double off,
                                                                 double scale, double *mx, double *mn, double *sq,
                                                                 double *st, const int cal) {
    CP_VD vmx[CP_NV], vmn[CP_NV], vsq[CP_NV], vst[CP_NV];
    const CP_VD offv = CP_BCV(off), scv = CP_BCV(scale);
    double smx = -INFINITY, smn = -INFINITY, ssq = 0.0, sst = 0.0, val, prev, d;
    Py_ssize_t m = a;
    int h;
    for (h = 0; h < CP_NV; h++) {
        vmx[h] = CP_BCV(-INFINITY); vmn[h] = vmx[h]; vsq[h] = CP_BCV(0.0); vst[h] = vsq[h];
    }
    /* groups of four samples (lane l of the sums holds samples l mod 4 at either vector width) */
    for (; m + 4 <= b; m += 4)
        for (h = 0; h < CP_NV; h++) {
            CP_VD v = CP_LOADV(x + m + h * CP_VW), p = CP_LOADV(x + m + h * CP_VW - 1);
            if (cal) {
                v = (v - offv) * scv;
                p = (p - offv) * scv;
            }
            vmx[h] = CP_VMAX(v, vmx[h]);
            vmn[h] = CP_VMAX(-v, vmn[h]);
            vsq[h] = vsq[h] + v * v;
            vst[h] = CP_VMAX(CP_VABS(v - p), vst[h]);
        }
    for (; m < b; m++) {
        val = ((double)x[m] - off) * scale;
        prev = ((double)x[m - 1] - off) * scale;
        if (val > smx) smx = val;
        if (-val > smn) smn = -val;
        ssq += val * val;
        d = fabs(val - prev);
        if (d > sst) sst = d;
    }
    CP_HMAX4(vmx, val); *mx = val > smx ? val : smx;
    CP_HMAX4(vmn, val); *mn = val > smn ? val : smn;
    *sq = CP_HSUM4(vsq) + ssq;
    CP_HMAX4(vst, val); *st = val > sst ? val : sst;
}

/* Boundary of a predicate that is true then false on [lo, hi): the first m where it is false,
 * found from an estimate by stepping (the estimate is within a sample or two). */
#define CP_BOUND(res, lo, hi, est, PRED)                                     \
    do {                                                                     \
        Py_ssize_t e_ = (est);                                               \
        if (e_ < (lo)) e_ = (lo);                                            \
        if (e_ > (hi)) e_ = (hi);                                            \
        while (e_ > (lo)) { Py_ssize_t m_ = e_ - 1; if (PRED(m_)) break; e_--; } \
        while (e_ < (hi)) { Py_ssize_t m_ = e_; if (!PRED(m_)) break; e_++; }    \
        (res) = e_;                                                          \
    } while (0)

/* Step 1 of cp_cycle: one period resampled to npts points (ri, and rv with has_v) and the sums of
 * squares (and of i v) of the points. A function of its own, inlined with has_v a constant: both
 * variants keep their accumulators in registers. */
static inline __attribute__((always_inline)) void CPT(resample)(const CP_T *xi, const CP_T *xv, Py_ssize_t n0,
                                                                Py_ssize_t npts, double step, double i_off,
                                                                double i_scale, double v_off, double v_scale,
                                                                double *ri, double *rv, const int has_v,
                                                                double *sq_i_out, double *sq_v_out,
                                                                double *p_iv_out) {
    Py_ssize_t j, k;
    const CP_VD ioffv = CP_BCV(i_off), iscv = CP_BCV(i_scale);
    const CP_VD voffv = CP_BCV(v_off), vscv = CP_BCV(v_scale);
    const CP_VD stepv = CP_BCV(step);
    const CP_T *bi = xi + n0 - CP_LO, *bv = has_v ? xv + n0 - CP_LO : xi;
    /* sums of squares (and of i v) of the resampled points, as they are made: point j in lane
     * j % CP_VW; no dependent chain through horizontal additions (the copies add in different orders,
     * within rounding) */
    CP_VD sqi_a = CP_BCV(0.0), sqv_a = CP_BCV(0.0), piv_a = CP_BCV(0.0), r4, v4, W[6];
#define CP_PR2(acc, r, q) do { acc##_a = acc##_a + (r) * (q); } while (0)
#if CP_VW == 2
#define CP_CONSEC(iv) ((iv)[1] == (iv)[0] + 1)
#else
/* stencil indices iv[0] + (0, 1, 2, 3): one vector comparison */
#define CP_CONSEC(iv) (_mm_movemask_epi8(_mm_cmpeq_epi32((__m128i)(iv), _mm_add_epi32(_mm_shuffle_epi32((__m128i)(iv), 0), \
                                                                       _mm_setr_epi32(0, 1, 2, 3)))) == 0xFFFF)
#endif
#define CP_SQ2(acc, r) CP_PR2(acc, r, r)
    CP_VI iv;
    /* (x - 0) * 1 is x: skip the calibration when it is the identity */
    const int cal = !(i_off == 0.0 && i_scale == 1.0 && v_off == 0.0 && v_scale == 1.0);
    /* six taps as two chains of fused multiply-adds */
#define CP_TAP6(s) (CP_FMAV(W2, CP_LOADV((s) + 2), CP_FMAV(W1, CP_LOADV((s) + 1), W0 * CP_LOADV(s))) \
                + CP_FMAV(W5, CP_LOADV((s) + 5), CP_FMAV(W4, CP_LOADV((s) + 4), W3 * CP_LOADV((s) + 3))))
#if CP_VW == 4
    CP_VD jv = {0.0, 1.0, 2.0, 3.0};
#else
    CP_VD jv = {0.0, 1.0};
#endif
    for (j = 0; j < npts; j += CP_VW, jv = jv + (double)CP_VW) {
        /* weights and stencil indices of points j..j+CP_VW-1 (jv: exact small integers), computed
         * here rather than stored */
        CPF(weightsv)(jv, stepv, &iv, W);
        const CP_VD W0 = W[0], W1 = W[1], W2 = W[2], W3 = W[3], W4 = W[4], W5 = W[5];
        int32_t i0 = iv[0];
        if (CP_CONSEC(iv)) {
            /* consecutive stencils: lanes read contiguous samples */
            const CP_T *s = bi + i0;
            CP_VD acc = CP_TAP6(s);
            r4 = cal ? (acc - ioffv) * iscv : acc;
            CP_STV(ri + j, r4);
            CP_SQ2(sqi, r4);
            if (has_v) {
                s = bv + i0;
                acc = CP_TAP6(s);
                v4 = cal ? (acc - voffv) * vscv : acc;
                CP_STV(rv + j, v4);
                CP_SQ2(sqv, v4);
                CP_PR2(piv, r4, v4);
            }
        } else {
#ifdef CP_GATHER4
            /* stencils not side by side (fewer samples than points per cycle): gather the lanes */
            __m128i vi = (__m128i)iv;
            const CP_T *s = bi;
            cp_v4d acc = ((W0 * CP_GATHER4(s, vi) + W1 * CP_GATHER4(s + 1, vi))
                          + (W2 * CP_GATHER4(s + 2, vi) + W3 * CP_GATHER4(s + 3, vi)));
            acc = acc + (W4 * CP_GATHER4(s + 4, vi) + W5 * CP_GATHER4(s + 5, vi));
            r4 = (acc - ioffv) * iscv;
            CPF(st4)(ri + j, r4);
            CP_SQ2(sqi, r4);
            if (has_v) {
                s = bv;
                acc = ((W0 * CP_GATHER4(s, vi) + W1 * CP_GATHER4(s + 1, vi))
                       + (W2 * CP_GATHER4(s + 2, vi) + W3 * CP_GATHER4(s + 3, vi)));
                acc = acc + (W4 * CP_GATHER4(s + 4, vi) + W5 * CP_GATHER4(s + 5, vi));
                v4 = (acc - voffv) * vscv;
                CPF(st4)(rv + j, v4);
                CP_SQ2(sqv, v4);
                CP_PR2(piv, r4, v4);
            }
            continue;
#endif
            for (k = 0; k < CP_VW; k++) {
                const CP_T *s = bi + iv[k];
                double acc = ((W0[k] * (double)s[0] + W1[k] * (double)s[1]) + (W2[k] * (double)s[2] + W3[k] * (double)s[3]));
                acc = acc + (W4[k] * (double)s[4] + W5[k] * (double)s[5]);
                ri[j + k] = (acc - i_off) * i_scale;
                if (has_v) {
                    s = bv + iv[k];
                    acc = ((W0[k] * (double)s[0] + W1[k] * (double)s[1]) + (W2[k] * (double)s[2] + W3[k] * (double)s[3]));
                    acc = acc + (W4[k] * (double)s[4] + W5[k] * (double)s[5]);
                    rv[j + k] = (acc - v_off) * v_scale;
                }
            }
            CP_SQ2(sqi, CP_LDV(ri + j));
            if (has_v) {
                CP_SQ2(sqv, CP_LDV(rv + j));
                CP_PR2(piv, CP_LDV(ri + j), CP_LDV(rv + j));
            }
        }
    }
#undef CP_SQ2
#undef CP_PR2
#undef CP_CONSEC
#undef CP_TAP6
    {
#if CP_VW == 4
        cp_v2d si = (cp_v2d){sqi_a[0], sqi_a[1]} + (cp_v2d){sqi_a[2], sqi_a[3]};
        cp_v2d sv = (cp_v2d){sqv_a[0], sqv_a[1]} + (cp_v2d){sqv_a[2], sqv_a[3]};
        cp_v2d pv = (cp_v2d){piv_a[0], piv_a[1]} + (cp_v2d){piv_a[2], piv_a[3]};
#else
        cp_v2d si = sqi_a, sv = sqv_a, pv = piv_a;
#endif
        *sq_i_out = si[0] + si[1];
        *sq_v_out = sv[0] + sv[1];
        *p_iv_out = pv[0] + pv[1];
    }
}

/* One cycle [t0, t1) (absolute sample positions; base = absolute index of xi[0]) into column col. */
static int CPT(cp_cycle)(const cp_params *P, const CP_T *xi, const CP_T *xv, Py_ssize_t n_len, double t0,
                         double t1, Py_ssize_t base, double *work, double *out, Py_ssize_t os, Py_ssize_t col,
                         double *hi, double *hv, double *wi, double *wv) {
    const Py_ssize_t npts = P->npts, nh = P->nh, mh = npts / 2, nb = npts / 2 + 4;
    const int has_v = P->has_v;
    const double i_off = P->i_off, i_scale = P->i_scale, v_off = P->v_off, v_scale = P->v_scale;
    double period = t1 - t0;
    Py_ssize_t n0, n_end, m_len, j, k, m, q;
    /* positions come from the scan; refuse anything whose integer part would not be an index */
    if (!(t0 > (double)base + 1.0 && t1 < (double)base + (double)n_len && period > 0.0))
        return CP_ERR_BOUNDS;
    n0 = (Py_ssize_t)ceil(t0) - base;
    n_end = (Py_ssize_t)ceil(t1) - base;
    m_len = n_end - n0;
    if (n0 - CP_LO < 0 || n_end + CP_HI + 1 > n_len || m_len < 4)
        return CP_ERR_BOUNDS;

    double *ri = work, *rv = ri + npts;
    double *fir = rv + npts, *fii = fir + nb, *fvr = fii + nb, *fvi = fvr + nb;
    double *wre = fvi + nb, *wim = wre + mh, *vre = wim + mh, *vim = vre + mh;
    double *out_c = out + col;
#define OUT(c) out_c[(c) * os]

    /* 1. resample one period to npts points on the grid starting at the first whole sample n0
     *    after the crossing (an integer period of npts samples is copied exactly); otherwise
     *    6-point Lagrange interpolation (error ~ (2 pi k / samples-per-cycle)^6). */
    double step = period / npts, sq_i, sq_v, p_iv;
    if (has_v)
        CPT(resample)(xi, xv, n0, npts, step, i_off, i_scale, v_off, v_scale, ri, rv, 1, &sq_i, &sq_v, &p_iv);
    else
        CPT(resample)(xi, xv, n0, npts, step, i_off, i_scale, v_off, v_scale, ri, rv, 0, &sq_i, &sq_v, &p_iv);
    if (P->want_waves) {
        memcpy(wi + col * npts, ri, sizeof(double) * npts);
        /* wv NULL: the current's cycles alone (waveforms="current": half the table written) */
        if (wv != NULL) {
            if (has_v)
                memcpy(wv + col * npts, rv, sizeof(double) * npts);
            else
                for (j = 0; j < npts; j++)
                    wv[col * npts + j] = NAN;
        }
    }

    /* 2. spectra */
    /* without the sensor phase correction only orders up to nh are read from the spectra (the
     * active power is then the mean of i v over the resampled period, equal to the whole-spectrum
     * sum below by Parseval's theorem) */
    const Py_ssize_t kmax = P->has_phase ? mh : nh;
    if (has_v)
        CPF(rfft2)(ri, rv, fir, fii, fvr, fvi, wre, wim, vre, vim, npts, P, kmax);
    else
        CPF(rfft_k)(ri, fir, fii, wre, wim, npts, P->rev, P->cos_t, P->sin_t, P->tw_r, P->tw_i, kmax);
    if (P->has_phase) {
        /* sensor delay correction: bin k rotated by k * phase (table built once per stream) */
        const double *cr = P->rot_r, *ci = P->rot_i;
        double tmp;
        for (k = 1; k <= mh; k++) {
            tmp = fir[k] * cr[k] - fii[k] * ci[k];
            fii[k] = fir[k] * ci[k] + fii[k] * cr[k];
            fir[k] = tmp;
        }
    }

    const double norm = sqrt(2.0) / npts;
    double i_rms = sqrt(sq_i / npts), i_dc = fir[0] / npts;
    double i1r = fir[1] * norm, i1i = fii[1] * norm, i1mag = sqrt(i1r * i1r + i1i * i1i);
    double v1r = 0.0, v1i = 0.0, v1mag = 0.0, d_r, d_i, hsum, tmp;
    OUT(CP_C_START) = t0;
    OUT(CP_C_PERIOD) = period;
    OUT(CP_C_FREQUENCY) = P->fs / period;
    OUT(CP_C_I_RMS) = i_rms;
    OUT(CP_C_I_DC) = i_dc;
    /* harmonic k is rotated by -k * (angle of the reference fundamental): the voltage's, or the
     * current's without voltage. exp(-i ang) = conj(X1) / |X1|, no trigonometry. */
    if (has_v) {
        v1r = fvr[1] * norm;
        v1i = fvi[1] * norm;
        v1mag = sqrt(v1r * v1r + v1i * v1i);
        d_r = v1mag > 0.0 ? v1r / v1mag : 1.0;
        d_i = v1mag > 0.0 ? -v1i / v1mag : 0.0;
    } else {
        d_r = i1mag > 0.0 ? i1r / i1mag : 1.0;
        d_i = i1mag > 0.0 ? -i1i / i1mag : 0.0;
    }
    {
        /* both channels in one loop: the reference rotation (rot *= d per order) is computed once */
        double *di = hi + 2 * col * nh, *dv = hv + 2 * col * nh;
        double rot_r, rot_i, hsum_v = 0.0, pr[CP_VW], pq[CP_VW];
        /* orders k..k+CP_VW-1 in vector lanes: the rotations d^k .. d^(k+CP_VW-1), advanced by d^CP_VW
         * per step (CP_VW chains, not one through all orders); sums of squares per lane, order 1 left out */
        pr[0] = d_r; pq[0] = d_i;
        for (q = 1; q < CP_VW; q++) {
            pr[q] = pr[q - 1] * d_r - pq[q - 1] * d_i;
            pq[q] = pr[q - 1] * d_i + pq[q - 1] * d_r;
        }
        {
            CP_VD Rr = CP_LDV(pr), Ri = CP_LDV(pq), Sr = CP_BCV(pr[CP_VW - 1]), Si = CP_BCV(pq[CP_VW - 1]);
            CP_VD nv = CP_BCV(norm), hs = CP_BCV(0.0), hsv = CP_BCV(0.0), xr, xi, hr, hq, t2;
#if CP_VW == 4
            CP_VL keep = {0, -1, -1, -1};
#else
            CP_VL keep = {0, -1};
#endif
            for (k = 1; k + CP_VW - 1 <= nh; k += CP_VW) {
                xr = CP_LDV(fir + k) * nv; xi = CP_LDV(fii + k) * nv;
                hr = CP_FMSV(xr, Rr, xi * Ri); hq = CP_FMAV(xr, Ri, xi * Rr);
                CP_ST_PAIRS(di + 2 * (k - 1), hr, hq);
                hs = hs + (CP_VD)((CP_VL)(xr * xr + xi * xi) & keep);
                if (has_v) {
                    xr = CP_LDV(fvr + k) * nv; xi = CP_LDV(fvi + k) * nv;
                    hr = CP_FMSV(xr, Rr, xi * Ri); hq = CP_FMAV(xr, Ri, xi * Rr);
                    CP_ST_PAIRS(dv + 2 * (k - 1), hr, hq);
                    hsv = hsv + (CP_VD)((CP_VL)(xr * xr + xi * xi) & keep);
                }
                keep = keep | ~keep;                     /* all lanes from the second group on */
                t2 = CP_FMSV(Rr, Sr, Ri * Si);
                Ri = CP_FMAV(Rr, Si, Ri * Sr);
                Rr = t2;
            }
            rot_r = Rr[0]; rot_i = Ri[0];
#if CP_VW == 4
            hsum = (hs[0] + hs[1]) + (hs[2] + hs[3]);
            hsum_v = (hsv[0] + hsv[1]) + (hsv[2] + hsv[3]);
#else
            hsum = hs[0] + hs[1];
            hsum_v = hsv[0] + hsv[1];
#endif
        }
        for (; k <= nh; k++) {
            CPF(rot1)(fir[k], fii[k], norm, rot_r, rot_i, k, di, &hsum);
            if (has_v)
                CPF(rot1)(fvr[k], fvi[k], norm, rot_r, rot_i, k, dv, &hsum_v);
            tmp = rot_r * d_r - rot_i * d_i;
            rot_i = rot_r * d_i + rot_i * d_r;
            rot_r = tmp;
        }
        OUT(CP_C_THD) = i1mag > 0.0 ? sqrt(hsum) / i1mag : NAN;
        /* energy above harmonic nh (Parseval on the resampled period) */
        tmp = i_rms * i_rms - i_dc * i_dc - hsum - i1mag * i1mag;
        OUT(CP_C_I_RESIDUAL) = tmp > 0.0 ? sqrt(tmp) : 0.0;
        if (has_v)
            OUT(CP_C_V_THD) = v1mag > 0.0 ? sqrt(hsum_v) / v1mag : NAN;
    }
    if (has_v) {
        double v_rms = sqrt(sq_v / npts), p_act, s_app;
        OUT(CP_C_V_RMS) = v_rms;
        OUT(CP_C_V_DC) = fvr[0] / npts;
        if (P->has_phase) {
            /* active power from the whole spectrum (Parseval), so that the sensor phase correction
             * applies to it as well; bins 1..mh-1 in four lanes (no chain of dependent additions) */
            CP_VD pa[CP_NV];
            double ps = 0.0;
            int h;
            for (h = 0; h < CP_NV; h++)
                pa[h] = CP_BCV(0.0);
            for (k = 1; k + 4 <= mh; k += 4)
                for (h = 0; h < CP_NV; h++) {
                    Py_ssize_t kk = k + h * CP_VW;
                    pa[h] = pa[h] + (CP_LDV(fvr + kk) * CP_LDV(fir + kk) + CP_LDV(fvi + kk) * CP_LDV(fii + kk));
                }
            for (; k < mh; k++)
                ps = ps + (fvr[k] * fir[k] + fvi[k] * fii[k]);
            p_act = fvr[0] * fir[0] + 2.0 * (CP_HSUM4(pa) + ps);
            p_act = (p_act + fvr[mh] * fir[mh] + fvi[mh] * fii[mh]) / ((double)npts * npts);
        } else {
            p_act = p_iv / npts;
        }
        s_app = v_rms * i_rms;
        OUT(CP_C_P) = p_act;
        OUT(CP_C_S) = s_app;
        /* fundamental reactive power, inductive (current lagging) positive */
        OUT(CP_C_Q) = v1i * i1r - v1r * i1i;
        OUT(CP_C_PF) = s_app > 0.0 ? p_act / s_app : NAN;
        OUT(CP_C_DPF) = v1mag * i1mag > 0.0 ? (v1r * i1r + v1i * i1i) / (v1mag * i1mag) : NAN;
    } else {
        OUT(CP_C_V_RMS) = NAN; OUT(CP_C_V_DC) = NAN; OUT(CP_C_V_THD) = NAN; OUT(CP_C_P) = NAN;
        OUT(CP_C_S) = NAN; OUT(CP_C_Q) = NAN; OUT(CP_C_PF) = NAN; OUT(CP_C_DPF) = NAN;
        OUT(CP_C_V_PEAK) = NAN; OUT(CP_C_V_CLIPPED) = NAN;
    }

    /* 3. raw-sample quantities over [n0, n_end): peaks, clipping and the half-cycle arc evidence.
     *    Half-cycles are placed by the zeros of the current's fundamental (its rising zero starts
     *    the positive half). A sample m belongs to the positive half when the fractional part of
     *    u = (m - z_pos) / period is below 1/2; u is monotone in m, so the period splits into at
     *    most six runs (u < 0, 0 <= u < 1, u >= 1, each positive then negative) found exactly
     *    with the same floating-point expression, and each run is reduced with vector lanes. */
    double r0 = (-0.5 * M_PI - atan2(i1i, i1r)) / (2.0 * M_PI);
    r0 = r0 - floor(r0);
    const double z_pos = r0 * period;        /* offset of the rising zero, samples from n0 */
    const double inv_period = 1.0 / period;
    if (!(z_pos >= 0.0 && z_pos <= period))  /* non-finite spectrum (values overflow float64) */
        return CP_ERR_OVERFLOW;
    const CP_T *x0 = xi + n0;
    /* (x - 0) * 1 is x: the raw-sample loops skip an identity calibration */
    const int cal_i = !(i_off == 0.0 && i_scale == 1.0), cal_v = !(v_off == 0.0 && v_scale == 1.0);
    double ipk = 0.0, pk_pos = -INFINITY, pk_neg = -INFINITY, sq_pos = 0.0, sq_neg = 0.0;
    double st_pos = 0.0, st_neg = 0.0, cnt_pos = 0.0, cnt_neg = 0.0;
    {
#define CP_U(m) (((double)(m) - z_pos) * inv_period)
#define CP_IN_A(m) (CP_U(m) < 0.0)
#define CP_IN_AB(m) (CP_U(m) < 1.0)
#define CP_POS_A(m) (CP_U(m) + 1.0 < 0.5)
#define CP_POS_B(m) (CP_U(m) < 0.5)
#define CP_POS_C(m) (CP_U(m) - 1.0 < 0.5)
        Py_ssize_t ea, eb, pa, pb, pc, bounds[7];
        CP_BOUND(ea, 0, m_len, (Py_ssize_t)ceil(z_pos), CP_IN_A);
        CP_BOUND(eb, ea, m_len, (Py_ssize_t)ceil(z_pos + period), CP_IN_AB);
        CP_BOUND(pa, 0, ea, (Py_ssize_t)ceil(z_pos - 0.5 * period), CP_POS_A);
        CP_BOUND(pb, ea, eb, (Py_ssize_t)ceil(z_pos + 0.5 * period), CP_POS_B);
        CP_BOUND(pc, eb, m_len, (Py_ssize_t)ceil(z_pos + 1.5 * period), CP_POS_C);
        bounds[0] = 0; bounds[1] = pa; bounds[2] = ea; bounds[3] = pb; bounds[4] = eb; bounds[5] = pc;
        bounds[6] = m_len;
        for (q = 0; q < 6; q++) {
            double mx, mn, sq, st;
            if (bounds[q + 1] <= bounds[q])
                continue;
            if (cal_i)
                CPT(run_stats)(x0, bounds[q], bounds[q + 1], i_off, i_scale, &mx, &mn, &sq, &st, 1);
            else
                CPT(run_stats)(x0, bounds[q], bounds[q + 1], i_off, i_scale, &mx, &mn, &sq, &st, 0);
            if (mx > ipk) ipk = mx;
            if (mn > ipk) ipk = mn;
            if ((q & 1) == 0) {        /* positive half */
                if (mx > pk_pos) pk_pos = mx;
                sq_pos += sq;
                cnt_pos += (double)(bounds[q + 1] - bounds[q]);
                if (st > st_pos) st_pos = st;
            } else {
                if (mn > pk_neg) pk_neg = mn;
                sq_neg += sq;
                cnt_neg += (double)(bounds[q + 1] - bounds[q]);
                if (st > st_neg) st_neg = st;
            }
        }
#undef CP_U
#undef CP_IN_A
#undef CP_IN_AB
#undef CP_POS_A
#undef CP_POS_B
#undef CP_POS_C
    }
    {
        /* clipping counts (integer input only) and the voltage peak, one pass */
        double iclip = 0.0, vclip = 0.0, vpk = 0.0;
        const CP_T *y0 = has_v ? xv + n0 : xi + n0;
        const int do_clip = P->clip < INFINITY;
        const CP_VD clipv = CP_BCV(P->clip), voffv = CP_BCV(v_off), vscv = CP_BCV(v_scale);
        CP_VD vpkv = CP_BCV(0.0);
        CP_VL ic = {0}, vc = ic;
        for (m = 0; m + CP_VW <= m_len; m += CP_VW) {
            CP_VD a = CP_LOADV(x0 + m), b = CP_LOADV(y0 + m);
            if (do_clip) {
                ic -= CP_VABS(a) >= clipv;
                vc -= CP_VABS(b) >= clipv;
            }
            vpkv = CP_VMAX(CP_VABS(cal_v ? (b - voffv) * vscv : b), vpkv);
        }
        for (k = 0; k < CP_VW; k++) {      /* integer counts and a max: exact in any order */
            iclip += (double)ic[k];
            vclip += (double)vc[k];
        }
        vpk = CP_HMAXV(vpkv);
        for (; m < m_len; m++) {
            if (do_clip && fabs((double)x0[m]) >= P->clip) iclip += 1.0;
            if (do_clip && fabs((double)y0[m]) >= P->clip) vclip += 1.0;
            tmp = fabs(((double)y0[m] - v_off) * v_scale);
            if (tmp > vpk) vpk = tmp;
        }
        OUT(CP_C_I_PEAK) = ipk;
        OUT(CP_C_I_CLIPPED) = iclip;
        if (has_v) {
            OUT(CP_C_V_PEAK) = vpk;
            OUT(CP_C_V_CLIPPED) = vclip;
        }
    }
    OUT(CP_C_CREST) = i_rms > 0.0 ? ipk / i_rms : NAN;
    OUT(CP_C_HC_PEAK_POS) = cnt_pos > 0 ? pk_pos : NAN;
    OUT(CP_C_HC_PEAK_NEG) = cnt_neg > 0 ? pk_neg : NAN;
    OUT(CP_C_HC_RMS_POS) = cnt_pos > 0 ? sqrt(sq_pos / cnt_pos) : NAN;
    OUT(CP_C_HC_RMS_NEG) = cnt_neg > 0 ? sqrt(sq_neg / cnt_neg) : NAN;
    OUT(CP_C_STEP_POS) = cnt_pos > 0 && pk_pos > 0.0 ? st_pos / pk_pos : NAN;
    OUT(CP_C_STEP_NEG) = cnt_neg > 0 && pk_neg > 0.0 ? st_neg / pk_neg : NAN;
    OUT(CP_C_I_ZERO) = (double)(n0 + base) + z_pos;

    /* shoulders: contiguous samples with |i| <= shoulder * half-cycle peak around each fundamental
     * zero, walking the period as a ring (z_pos is finite and in [0, period] here) */
    for (q = 0; q < 2; q++) {
        double thr = q == 0 ? P->shoulder * pk_pos : P->shoulder * pk_neg;
        double zz = q == 0 ? z_pos : z_pos + 0.5 * period;
        /* (zz + 0.5) % m_len without a division: zz + 0.5 >= 0 is below 2 m_len */
        Py_ssize_t mstar = (Py_ssize_t)(zz + 0.5), steps = 0, back;
        while (mstar >= m_len)
            mstar -= m_len;
        if (thr > 0.0) {
            const CP_VD thv = CP_BCV(thr), ioffv = CP_BCV(i_off), iscv = CP_BCV(i_scale);
            const Py_ssize_t lim = m_len / 2;
            const int full = (1 << CP_VW) - 1;
            /* CP_VW samples at a time where no wrap or limit is near (the same comparison per sample as
             * the scalar steps); the first sample that is not flat ends the walk */
            m = mstar;
            while (steps < lim) {
                if (steps + CP_VW <= lim && m + CP_VW <= m_len) {
                    int ok = CP_MASKV(CP_VABS((CP_LOADV(x0 + m) - ioffv) * iscv) <= thv);
                    if (ok != full) {
                        steps += __builtin_ctz(~ok);          /* flat lanes before the first that is not */
                        break;
                    }
                    steps += CP_VW;
                    m += CP_VW;
                    if (m >= m_len) m = 0;
                    continue;
                }
                if (!(fabs(((double)x0[m] - i_off) * i_scale) <= thr))
                    break;
                steps++;
                if (++m >= m_len) m = 0;
            }
            if (steps > 0) {
                m = mstar - 1;
                if (m < 0) m = m_len - 1;
                back = 0;
                while (back < lim) {
                    if (back + CP_VW <= lim && m - (CP_VW - 1) >= 0) {
                        /* lanes m-CP_VW+1 .. m, walked from the top lane down */
                        int ok = CP_MASKV(CP_VABS((CP_LOADV(x0 + m - (CP_VW - 1)) - ioffv) * iscv) <= thv);
                        if (ok != full) {
                            back += CP_VW - 1 - (31 - __builtin_clz(~ok & full));
                            break;
                        }
                        back += CP_VW;
                        m -= CP_VW;
                        if (m < 0) m = m_len - 1;
                        continue;
                    }
                    if (!(fabs(((double)x0[m] - i_off) * i_scale) <= thr))
                        break;
                    back++;
                    if (--m < 0) m = m_len - 1;
                }
                steps += back;
            }
        }
        OUT(q == 0 ? CP_C_SHOULDER_POS : CP_C_SHOULDER_NEG) = (double)steps;
    }
#undef OUT
    return CP_OK;
}

#undef CPT
#undef CP_BOUND
#undef CP_MASKV

#if !CP_ISA_AVX512     /* (the AVX2 copy's scan serves that copy too) */
/* Framing scan over one chunk (the logic of _core.pyx's former Cython _scan, operation for
 * operation): rising zero crossings with hysteresis, sub-sample position, optional biquad
 * band-pass first. state: S_* layout of _core.pyx. Returns the count written or -1 (out full).
 * The scan state lives in a cp_lane (_cycle.h) so that two lanes can run side by side (cp_scan). */
#define CPT(name) CPF(CP_CAT(name, CP_TN))
#if defined(__clang__)
#define CP_NO_SLP
#else
#define CP_NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))   /* the shift register is scalar */
#endif
/* one sample y at index JJ of lane L whose peak is already updated; returns -1 from the caller when
 * the lane's output is full */
#define CP_SCAN_STEP(L, JJ, Y)                                                                           \
    do {                                                                                                 \
        if (__builtin_expect((L)->prev <= 0.0 && (Y) > 0.0, 0) && (L)->have_prev > 0.0 && (L)->armed != 0.0) { \
            double pos_ = (L)->pos0 + (double)(JJ) - 1 +                                                 \
                          cp_crossing_fraction((L)->prev3, (L)->prev2, (L)->prev, (Y), (L)->have_prev >= 3.0); \
            if ((L)->last != (L)->last || pos_ - (L)->last >= min_period) {                              \
                if ((L)->count >= (L)->cap)                                                              \
                    return -1;                                                                           \
                (L)->out[(L)->count++] = pos_;                                                           \
                (L)->last = pos_;                                                                        \
                (L)->armed = 0.0;                                                                        \
            }                                                                                            \
        }                                                                                                \
        (L)->armed = (Y) < neg_h * (L)->peak ? 1.0 : (L)->armed;                                         \
        (L)->prev3 = (L)->prev2;                                                                         \
        (L)->prev2 = (L)->prev;                                                                          \
        (L)->prev = (Y);                                                                                 \
        if (__builtin_expect((L)->have_prev < 3.0, 0))                                                   \
            (L)->have_prev = (L)->have_prev + 1.0;                                                       \
    } while (0)

/* the scalar prev3, prev2, prev of a lane whose last block left them in vector lanes */
static inline __attribute__((always_inline)) void CPT(lane_scalars)(cp_lane *L) {
#if CP_ISA_AVX2
    if (L->yl_ok) {
        L->prev3 = L->yl[1]; L->prev2 = L->yl[2]; L->prev = L->yl[3];
        L->yl_ok = 0;
    }
#else
    (void)L;
#endif
}

static inline __attribute__((always_inline)) void CPT(lane_load)(cp_lane *L, const double *state, double *out,
                                                                Py_ssize_t cap) {
    L->armed = state[0]; L->peak = state[1]; L->prev = state[2]; L->last = state[3]; L->pos0 = state[4];
    L->have_prev = state[5]; L->prev2 = state[12]; L->prev3 = state[13];
    L->out = out; L->count = 0; L->cap = cap;
    L->gp = L->prev > 0.0; L->warm = L->have_prev >= 3.0; L->yl_ok = 0;
}

static inline __attribute__((always_inline)) void CPT(lane_store)(cp_lane *L, double *state, Py_ssize_t n) {
    CPT(lane_scalars)(L);
    state[0] = L->armed; state[1] = L->peak; state[2] = L->prev; state[3] = L->last; state[4] = L->pos0 + n;
    state[5] = L->have_prev; state[12] = L->prev2; state[13] = L->prev3;
}

/* Samples x[j .. j+3] of an unfiltered lane; 0, or -1 when its output is full. A block with no rising
 * sign change (prev <= 0 < y) can hold no crossing: only the peak and the armed flag move (armed only
 * from 0 to 1, so it is tested only while 0, and only when a sample is <= 0: y < -h p needs it). The
 * peaks are those of p_j = max(p_{j-1} * decay, |y_j|): rounded multiplication by decay > 0 is
 * monotone, so (max(u, v) * decay) == max(u * decay, v * decay) exactly and p_{j+k} = max(c_k, m_k),
 * c_k the carried peak times decay k times (k roundings), m_k the same recurrence started at |y_j|;
 * only the c_k chain is carried from block to block. Same results, bit for bit, as four one-sample
 * steps. */
static inline __attribute__((always_inline)) int CPT(scan_blk)(cp_lane *L, const CP_T *x, Py_ssize_t j,
                                                              double offset, double decay, double neg_h,
                                                              double min_period, cp_chk *K) {
    Py_ssize_t s;
    double y0, y1, y2, y3, a0, a1, a2, a3;
    int gm;
#if CP_ISA_AVX2
    /* the subtractions, sign tests and magnitudes as vector operations: bit k of gm is y_k > 0, and a
     * rising sign change is a set bit whose predecessor (y_{k-1}, or prev for k = 0) is not */
    const cp_v4d yv = CP_LOAD4(x + j) - CPF(bc4)(offset), av = CPF(vabs)(yv);
    gm = _mm256_movemask_pd((__m256d)(yv > 0.0));
    if (K) {        /* the NaN/range test (cp_chk) on y = x - offset, off the scan's chains */
        K->nz = K->nz + yv * 0.0;
        K->mx = CPF(vmax)(av, K->mx);     /* NaN lanes keep the old maximum */
    }
#else
    y0 = (double)x[j] - offset; y1 = (double)x[j + 1] - offset;
    y2 = (double)x[j + 2] - offset; y3 = (double)x[j + 3] - offset;
    gm = (y0 > 0.0) | (y1 > 0.0) << 1 | (y2 > 0.0) << 2 | (y3 > 0.0) << 3;
    if (K) {        /* (not used: the SSE2 copy's cp_scan makes the test as a separate pass) */
        K->nz[0] = K->nz[0] + ((y0 * 0.0 + y1 * 0.0) + (y2 * 0.0 + y3 * 0.0));
        K->mx[0] = CPF(smax)(CPF(smax)(CPF(smax)(CPF(smax)(K->mx[0], fabs(y0)), fabs(y1)), fabs(y2)), fabs(y3));
    }
#endif
    if (__builtin_expect((gm & ~((gm << 1) | L->gp)) || !L->warm, 0)) {
        CPT(lane_scalars)(L);
        for (s = 0; s < 4; s++) {
            double y = (double)x[j + s] - offset, a = fabs(y), pk = L->peak * decay;
            L->peak = a > pk ? a : pk;
            CP_SCAN_STEP(L, j + s, y);
        }
        L->gp = L->prev > 0.0;
        L->warm = L->have_prev >= 3.0;
        return 0;
    }
#if CP_ISA_AVX2
    a0 = av[0]; a1 = av[1]; a2 = av[2]; a3 = av[3];
#else
    a0 = fabs(y0); a1 = fabs(y1); a2 = fabs(y2); a3 = fabs(y3);
#endif
    double c1 = L->peak * decay, c2 = c1 * decay, c3 = c2 * decay, c4 = c3 * decay;
    double u, m1, m2, m3;
    u = a0 * decay; m1 = CPF(smax)(a1, u);
    u = m1 * decay; m2 = CPF(smax)(a2, u);
    u = m2 * decay; m3 = CPF(smax)(a3, u);
    if (L->armed == 0.0 && gm != 15) {
        double p0 = a0 > c1 ? a0 : c1, p1 = m1 > c2 ? m1 : c2, p2 = m2 > c3 ? m2 : c3, p3 = m3 > c4 ? m3 : c4;
#if CP_ISA_AVX2
        y0 = yv[0]; y1 = yv[1]; y2 = yv[2]; y3 = yv[3];
#endif
        L->armed = (y0 < neg_h * p0) | (y1 < neg_h * p1) | (y2 < neg_h * p2) | (y3 < neg_h * p3) ? 1.0 : 0.0;
    }
#if CP_ISA_AVX2
    CPF(st4)(L->yl, yv);        /* prev3, prev2, prev: lanes 1-3, copied out when needed (lane_scalars) */
    L->yl_ok = 1;
#else
    L->prev3 = y1;
    L->prev2 = y2;
    L->prev = y3;
#endif
    L->gp = gm >> 3;
    L->peak = CPF(smax)(m3, c4);
    return 0;
}

/* samples [j, n) of lane L one at a time (unfiltered) */
static inline __attribute__((always_inline)) int CPT(scan_tail)(cp_lane *L, const CP_T *x, Py_ssize_t j,
                                                               Py_ssize_t n, double offset, double decay,
                                                               double neg_h, double min_period, cp_chk *K) {
    CPT(lane_scalars)(L);
    for (; j < n; j++) {
        double y = (double)x[j] - offset, a = fabs(y), pk = L->peak * decay;
        if (K) {
            K->nz[0] = K->nz[0] + y * 0.0;
            K->mx[0] = a > K->mx[0] ? a : K->mx[0];
        }
        L->peak = a > pk ? a : pk;
        CP_SCAN_STEP(L, j, y);
    }
    return 0;
}

static inline __attribute__((always_inline)) Py_ssize_t CPT(scan_body)(const CP_T *x, Py_ssize_t n, double *state,
        double *out, Py_ssize_t cap, double offset, double decay, double hysteresis, double min_period,
        const double *sos, const int use_filter, cp_chk *K) {
    Py_ssize_t j = 0, s;
    cp_lane L_, *L = &L_;
    double y, a, w, pk, z[6];
    const double neg_h = -hysteresis;
    CPT(lane_load)(L, state, out, cap);
    for (s = 0; s < 6; s++)
        z[s] = state[6 + s];
    if (!use_filter) {
        for (; j + 4 <= n; j += 4)
            if (CPT(scan_blk)(L, x, j, offset, decay, neg_h, min_period, K))
                return -1;
        if (CPT(scan_tail)(L, x, j, n, offset, decay, neg_h, min_period, K))
            return -1;
    } else {
        for (; j < n; j++) {
            y = (double)x[j] - offset;
            if (K) {
                a = fabs(y);
                K->nz[0] = K->nz[0] + y * 0.0;
                K->mx[0] = a > K->mx[0] ? a : K->mx[0];
            }
            for (s = 0; s < 3; s++) {
                const double *c = sos + 5 * s;
                w = c[0] * y + z[2 * s];
                z[2 * s] = c[1] * y - c[3] * w + z[2 * s + 1];
                z[2 * s + 1] = c[2] * y - c[4] * w;
                y = w;
            }
            a = fabs(y);
            pk = L->peak * decay;
            L->peak = a > pk ? a : pk;
            CP_SCAN_STEP(L, j, y);
        }
    }
    CPT(lane_store)(L, state, n);
    for (s = 0; s < 6; s++)
        state[6 + s] = z[s];
    return L->count;
}

#if CP_ISA_AVX2
/* The unfiltered scan of a long chunk as two lanes side by side (two independent dependency chains:
 * the peak's chain of multiplications, one per sample, bounds a single lane). Lane A scans the first
 * half from the true state; lane B the second half from an empty state, recording its state every
 * CP_SCAN_CKB blocks. The scan forgets its past: after a crest (|y| above the decayed peak), an
 * accepted crossing and three samples, a lane started anywhere is in the true state, bit for bit. A
 * then goes on block by block until its state equals one of B's checkpoints: from there B's crossings
 * and final state are the true ones (same state, same samples, same operations). If the states never
 * meet (e.g. the amplitude falls faster than the peak decays), A scans the rest itself. The result is
 * the one-lane scan's either way. Returns -2 (nothing done) when the scratch cannot be allocated. */
static inline __attribute__((always_inline)) Py_ssize_t CPT(scan_split)(const CP_T *x, Py_ssize_t n, double *state,
                                  double *out, Py_ssize_t cap, double offset, double decay, double hysteresis,
                                  double min_period, cp_chk *K) {
    const double neg_h = -hysteresis;
    const Py_ssize_t h = (n / 2) & ~(Py_ssize_t)3, nbA = h / 4, nbB = (n - h) / 4;
    const Py_ssize_t capB = (n - h) / (min_period >= 1.0 ? (Py_ssize_t)min_period : 1) + 2;
    Py_ssize_t t, k, nck = 0, extra;
    double *buf = (double *)malloc(sizeof(double) * (capB + CP_SCAN_NCK * 8));
    double *ck;
    cp_lane A_, B_, *A = &A_, *B = &B_;
    /* the NaN/range test: lane A checks [0, h), lane B [h, n) (each with its own accumulators) */
    cp_chk KA_ = {CPF(bc4)(0.0), CPF(bc4)(0.0)}, KB_ = KA_, *KA = K ? &KA_ : NULL, *KB = K ? &KB_ : NULL;
    const CP_T *xb = x + h;
    if (buf == NULL)
        return -2;
    ck = buf + capB;
    CPT(lane_load)(A, state, out, cap);
    B->armed = 0.0; B->peak = 0.0; B->prev = 0.0; B->prev2 = 0.0; B->prev3 = 0.0; B->last = NAN;
    B->have_prev = 0.0; B->pos0 = A->pos0 + (double)h;
    B->out = buf; B->count = 0; B->cap = capB;
    B->gp = 0; B->warm = 0; B->yl_ok = 0;           /* prev 0 is not > 0; have_prev 0 < 3 */
#define CP_CHECKPOINT()                                                                                   \
    do {                                                                                                  \
        double *c_ = ck + 8 * nck++;                                                                      \
        CPT(lane_scalars)(B);                                                                             \
        c_[0] = B->armed; c_[1] = B->peak; c_[2] = B->prev; c_[3] = B->prev2; c_[4] = B->prev3;          \
        c_[5] = B->last; c_[6] = B->have_prev; c_[7] = (double)B->count;                                   \
    } while (0)
    for (t = 0; t < nbA; t++) {
        if (CPT(scan_blk)(A, x, 4 * t, offset, decay, neg_h, min_period, KA))
            goto a_full;
        if (CPT(scan_blk)(B, xb, 4 * t, offset, decay, neg_h, min_period, KB))
            goto b_full;
        if (nck < CP_SCAN_NCK && (t + 1) % CP_SCAN_CKB == 0)
            CP_CHECKPOINT();
    }
    for (; t < nbB; t++) {
        if (CPT(scan_blk)(B, xb, 4 * t, offset, decay, neg_h, min_period, KB))
            goto b_full;
        if (nck < CP_SCAN_NCK && (t + 1) % CP_SCAN_CKB == 0)
            CP_CHECKPOINT();
    }
#undef CP_CHECKPOINT
    if (CPT(scan_tail)(B, xb, 4 * t, n - h, offset, decay, neg_h, min_period, KB))
        goto b_full;
    if (K) {            /* every sample checked once (the join below re-scans, unchecked) */
        K->nz = K->nz + (KA_.nz + KB_.nz);
        K->mx = CPF(vmax)(K->mx, CPF(vmax)(KA_.mx, KB_.mx));
    }
    /* join: A goes on from h (indexing xb: its pos0 moves by h, exact for integers below 2^53), compared
     * with checkpoint k after block (k + 1) * CP_SCAN_CKB - 1 */
    A->pos0 = A->pos0 + (double)h;
    for (k = 0, t = 0; k < nck; k++) {
        const double *c = ck + 8 * k;
        for (; t < (k + 1) * CP_SCAN_CKB; t++)
            if (CPT(scan_blk)(A, xb, 4 * t, offset, decay, neg_h, min_period, NULL))
                goto a_full;
        CPT(lane_scalars)(A);
        if (cp_same_bits(A->armed, c[0]) && cp_same_bits(A->peak, c[1]) && cp_same_bits(A->prev, c[2])
            && cp_same_bits(A->prev2, c[3]) && cp_same_bits(A->prev3, c[4]) && cp_same_bits(A->last, c[5])
            && cp_same_bits(A->have_prev, c[6])) {
            const Py_ssize_t from = (Py_ssize_t)c[7];
            extra = B->count - from;
            if (A->count + extra > cap)
                goto a_full;
            if (extra > 0)
                memcpy(out + A->count, buf + from, sizeof(double) * extra);
            B->count = A->count + extra;
            B->pos0 = state[4];
            CPT(lane_store)(B, state, n);
            free(buf);
            cp_scan_split_met++;
            return B->count;
        }
    }
    free(buf);
    cp_scan_split_unmet++;
    /* never met: the rest by lane A alone */
    for (; t < nbB; t++)
        if (CPT(scan_blk)(A, xb, 4 * t, offset, decay, neg_h, min_period, NULL))
            return -1;
    if (CPT(scan_tail)(A, xb, 4 * t, n - h, offset, decay, neg_h, min_period, NULL))
        return -1;
    A->pos0 = state[4];
    CPT(lane_store)(A, state, n);
    return A->count;
b_full:
    /* (cannot happen: lane B's crossings are min_period apart) the one-lane scan instead */
    free(buf);
    return -2;
a_full:
    /* lane A's crossings are the true ones: the one-lane scan's output fills as well */
    free(buf);
    return -1;
}

/* (out of line, as before, in two variants: with and without the NaN/range test) */
static Py_ssize_t CPT(scan_split_plain)(const CP_T *x, Py_ssize_t n, double *state, double *out, Py_ssize_t cap,
                                        double offset, double decay, double hysteresis, double min_period) {
    return CPT(scan_split)(x, n, state, out, cap, offset, decay, hysteresis, min_period, NULL);
}
static Py_ssize_t CPT(scan_split_chk)(const CP_T *x, Py_ssize_t n, double *state, double *out, Py_ssize_t cap,
                                      double offset, double decay, double hysteresis, double min_period, cp_chk *K) {
    return CPT(scan_split)(x, n, state, out, cap, offset, decay, hysteresis, min_period, K);
}

#endif

/* The scan (scan_body, or scan_split for a long unfiltered chunk on AVX2), specialised on whether the
 * framing channel's NaN/range test rides along (K) */
static inline __attribute__((always_inline)) Py_ssize_t CPT(scan_any)(const CP_T *x, Py_ssize_t n, double *state,
        double *out, Py_ssize_t cap, double offset, double decay, double hysteresis, double min_period,
        const double *sos, int use_filter, cp_chk *K) {
    if (use_filter)
        return CPT(scan_body)(x, n, state, out, cap, offset, decay, hysteresis, min_period, sos, 1, K);
#if CP_ISA_AVX2
    /* (not in the SSE2 copy: its block step costs more than one lane's dependency chain, no gain) */
    if (n >= CP_SCAN_SPLIT_MIN) {
        Py_ssize_t r = K ? CPT(scan_split_chk)(x, n, state, out, cap, offset, decay, hysteresis, min_period, K)
                         : CPT(scan_split_plain)(x, n, state, out, cap, offset, decay, hysteresis, min_period);
        if (r != -2)
            return r;
    }
#endif
    return CPT(scan_body)(x, n, state, out, cap, offset, decay, hysteresis, min_period, sos, 0, K);
}

/* chk: NULL, or double[2] receiving a NaN/range test of the samples (cp_chk): chk[0] is NaN when a
 * sample is NaN or infinite (or x - offset overflows), else 0; chk[1] = m with max |x| <= m + |offset|
 * (m = max |x - offset|, up to rounding). The caller treats chk[0] != 0 as "look closer" (the exact
 * separate pass). When the scan fails (-1), only the samples it reached were checked. */
static CP_NO_SLP Py_ssize_t CPT(cp_scan)(const CP_T *x, Py_ssize_t n, double *state, double *out, Py_ssize_t cap,
                               double offset, double decay, double hysteresis, double min_period,
                               const double *sos, int use_filter, double *chk) {
    Py_ssize_t r;
    cp_chk K = {CPF(bc4)(0.0), CPF(bc4)(0.0)};
    if (chk == NULL)
        return CPT(scan_any)(x, n, state, out, cap, offset, decay, hysteresis, min_period, sos, use_filter, NULL);
#if !CP_ISA_AVX2
    /* the SSE2 copy: the separate pass (in its one-lane scan the test would cost more than the pass) */
    {
        double mx = 0.0;
        chk[0] = CPT(cp_first_nonfinite)(x, n, &mx) >= 0 ? NAN : 0.0;
        chk[1] = mx;            /* max |x| itself: max |x| <= m + |offset| holds */
        return CPT(scan_any)(x, n, state, out, cap, offset, decay, hysteresis, min_period, sos, use_filter, NULL);
    }
#endif
    r = CPT(scan_any)(x, n, state, out, cap, offset, decay, hysteresis, min_period, sos, use_filter, &K);
    chk[0] = (K.nz[0] + K.nz[1]) + (K.nz[2] + K.nz[3]);
    chk[1] = CPF(hmax)(K.mx);
    return r;
}
#undef CP_SCAN_STEP
#endif
#undef CPT

/* the sample type's parameters, set by the includer for this copy only */
#undef CP_GATHER4
#undef CP_T
#undef CP_TN
#undef CP_LOAD4
#undef CP_LOADV
#undef CP_FBITS
