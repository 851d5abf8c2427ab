#!/usr/bin/env python3
"""
Golden fixtures for Atelier's training maths, computed by PyTorch (Debian's python3-torch).

    /usr/bin/python3 scripts/parity/make_fixtures.py [OUT_DIR]      # default tests/fixtures/parity

Writes one JSON file per model (dcgan.json: the classic DCGAN, narrow; small-gan.json: every layer and
step the default model uses). Each holds the starting weights, the batches and every random draw, and
what PyTorch computes from them: per step the losses, after step 1 every gradient, and after 3 steps
every weight, batch-norm statistic, spectral-norm vector, EMA weight, plus an eval-mode sample.
`tests/unit/ml/parity.test.ts` loads the same weights and draws into Atelier's models and compares on
the wasm backend (relative tolerance ~1e-4). The test needs no Python; rerun this script only when
the maths is meant to change.

Everything is computed in float64 (the reference), from float32 inputs (what Atelier sees).
Tensors are stored in Atelier's (tfjs) layouts: images NHWC, conv filters [k, k, in, out], transposed
conv filters [k, k, out, in], dense weights [in, out]; this script converts them to PyTorch's.

The reference is written from the papers / reference code, not from Atelier's implementation:
- DCGAN step as in the PyTorch DCGAN example (shared/bench/torch_dcgan_quality_peer.py): D on the real
  batch, then on G(z).detach(), BCE, one Adam step; then G with the non-saturating BCE through the
  updated D; BN in train mode everywhere (PyTorch BN: biased batch variance, unbiased running variance,
  momentum 0.1, eps 1e-5).
- Spectral norm as torch.nn.utils.spectral_norm (one power iteration per forward, u and v constants
  inside the graph), applied once per D phase (D sees reals and fakes in one pass).
- DiffAugment as Zhao et al.'s reference code (color, translation with zero padding, cutout), with the
  random draws fixed and stored.
- Hinge loss, minibatch stddev (Karras et al.: std over a group, mean over features), EMA of G's weights
  with warm-up decay min(decay, (1+t)/(10+t)), torch.optim.Adam.
- RGBA as colour over white (alphaSpace 'matte'): the real batch is matted before D, the sample is
  turned back into straight colour.
"""
import base64, json, os, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'fixtures', 'parity')
rng = np.random.default_rng(20261130)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def enc(t):
    a = f32(t.detach().numpy() if torch.is_tensor(t) else t)
    return {'shape': list(a.shape), 'b64': base64.b64encode(a.astype('<f4').tobytes()).decode()}


def T(a):
    """float32 values (what Atelier stores) as a float64 leaf tensor."""
    return torch.tensor(f32(a).astype(np.float64))


def nchw(x):  # NHWC → NCHW
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def conv_w(w):  # tfjs [k, k, in, out] → torch [out, in, k, k]
    return w.permute(3, 2, 0, 1).contiguous()


def convT_w(w):  # tfjs [k, k, out, in] → torch [in, out, k, k]
    return w.permute(3, 2, 0, 1).contiguous()


class BN:
    """Functional batch norm (PyTorch semantics) over channel axis 1 of NCHW or axis 1 of [N, F]."""

    def __init__(self, P, name):
        self.P, self.name = P, name

    def __call__(self, x, train, update):
        P, n = self.P, self.name
        axes = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        if train:
            mean = x.mean(dim=axes)
            var = x.var(dim=axes, unbiased=False)
            if update:
                cnt = x.numel() / x.shape[1]
                with torch.no_grad():
                    P[n + '/mean'] = P[n + '/mean'] * 0.9 + mean.detach() * 0.1
                    P[n + '/var'] = P[n + '/var'] * 0.9 + var.detach() * cnt / (cnt - 1) * 0.1
        else:
            mean, var = P[n + '/mean'], P[n + '/var']
        return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + 1e-5) * P[n + '/gamma'].view(shape) + P[n + '/beta'].view(shape)


def adam(params, lr, b1, b2):
    return torch.optim.Adam(params, lr=lr, betas=(b1, b2), eps=1e-8)


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    print(f'{path}: {os.path.getsize(path) // 1024} KiB')


# ---------------------------------------------------------------------------------------------- DCGAN
def dcgan_fixture():
    cfg = dict(size=32, channels=3, latentDim=16, ngf=8, ndf=8, batchSize=4, lr=2e-4, beta1=0.5, beta2=0.999, emaDecay=0)
    Z, n, C = cfg['latentDim'], cfg['batchSize'], cfg['channels']
    P = {}
    # G: z → T4s1 → 4×4×32 → T4s2 → 8×8×16 → T4s2 → 16×16×8 → T4s2 → 32×32×3
    g_ch = [Z, 32, 16, 8, C]
    for i in range(4):
        P[f'G/conv{i}/w'] = T(rng.normal(0, 0.02, (4, 4, g_ch[i + 1], g_ch[i])))
        if i < 3:
            P[f'G/conv{i}/bn/gamma'] = T(rng.normal(1, 0.02, g_ch[i + 1]))
            P[f'G/conv{i}/bn/beta'] = T(np.zeros(g_ch[i + 1]))
            P[f'G/conv{i}/bn/mean'] = T(np.zeros(g_ch[i + 1]))
            P[f'G/conv{i}/bn/var'] = T(np.ones(g_ch[i + 1]))
    d_ch = [C, 8, 16, 32, 1]
    for i in range(4):
        P[f'D/conv{i}/w'] = T(rng.normal(0, 0.02, (4, 4, d_ch[i], d_ch[i + 1])))
        if i in (1, 2):
            P[f'D/conv{i}/bn/gamma'] = T(rng.normal(1, 0.02, d_ch[i + 1]))
            P[f'D/conv{i}/bn/beta'] = T(np.zeros(d_ch[i + 1]))
            P[f'D/conv{i}/bn/mean'] = T(np.zeros(d_ch[i + 1]))
            P[f'D/conv{i}/bn/var'] = T(np.ones(d_ch[i + 1]))
    init = {k: enc(v) for k, v in P.items()}
    trainable = [k for k in P if not (k.endswith('/mean') or k.endswith('/var'))]
    for k in trainable:
        P[k].requires_grad_(True)

    def G(z, train, update):
        x = z.view(-1, Z, 1, 1)
        for i in range(4):
            x = F.conv_transpose2d(x, convT_w(P[f'G/conv{i}/w']), stride=1 if i == 0 else 2, padding=0 if i == 0 else 1)
            x = torch.relu(BN(P, f'G/conv{i}/bn')(x, train, update)) if i < 3 else torch.tanh(x)
        return nhwc(x)

    def D(x_nhwc, update):
        h = nchw(x_nhwc)
        for i in range(4):
            h = F.conv2d(h, conv_w(P[f'D/conv{i}/w']), stride=2 if i < 3 else 1, padding=1 if i < 3 else 0)
            if i < 3:
                if i in (1, 2):
                    h = BN(P, f'D/conv{i}/bn')(h, True, update)
                h = F.leaky_relu(h, 0.2)
        return h.reshape(-1)

    gp = [P[k] for k in trainable if k.startswith('G/')]
    dp = [P[k] for k in trainable if k.startswith('D/')]
    oG, oD = adam(gp, cfg['lr'], cfg['beta1'], cfg['beta2']), adam(dp, cfg['lr'], cfg['beta1'], cfg['beta2'])
    steps, grads = [], {}
    for s in range(3):
        x = T(rng.uniform(-1, 1, (n, 32, 32, C)))
        z = T(rng.normal(0, 1, (n, Z)))
        # D: reals, then G(z).detach(), as two batches; BCE summed; one Adam step.
        oD.zero_grad()
        fake = G(z, True, True)  # the peer's forward of G in train mode updates G's running stats here
        real_logits = D(x, True)
        fake_logits = D(fake.detach(), True)
        lossD = F.binary_cross_entropy_with_logits(real_logits, torch.ones(n)) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros(n))
        lossD.backward()
        if s == 0:
            grads.update({k: enc(P[k].grad) for k in trainable if k.startswith('D/')})
        oD.step()
        # G: non-saturating BCE through the updated D (D's running stats move once more, as in the peer).
        oG.zero_grad()
        lossG = F.binary_cross_entropy_with_logits(D(fake, True), torch.ones(n))
        lossG.backward()
        if s == 0:
            grads.update({k: enc(P[k].grad) for k in trainable if k.startswith('G/')})
        oG.step()
        steps.append({
            'x': enc(x), 'z': enc(z),
            'losses': {'d': float(lossD), 'g': float(lossG), 'dReal': float(torch.sigmoid(real_logits).mean()), 'dFake': float(torch.sigmoid(fake_logits).mean())},
        })
    zs = T(rng.normal(0, 1, (n, Z)))
    with torch.no_grad():
        sample = G(zs, False, False)
    write('dcgan.json', {
        'family': 'dcgan', 'config': cfg, 'init': init, 'steps': steps, 'grads': grads,
        'after': {k: enc(v) for k, v in P.items()}, 'sample': {'z': enc(zs), 'out': enc(sample)},
    })


# ------------------------------------------------------------------------------------------ small GAN
def diffaugment(x, p, size):
    """Zhao et al.'s DiffAugment (color, translation, cutout) on NHWC in [-1, 1] with fixed draws; RGB-only colour."""
    n, _, _, C = x.shape
    rgb, rest = (x[..., :3], x[..., 3:]) if C == 4 else (x, None)
    col = lambda v: torch.tensor(v).view(n, 1, 1, 1)
    y = rgb + (col(p['brightness']) - 0.5)
    m = y.mean(dim=3, keepdim=True)
    y = (y - m) * (col(p['saturation']) * 2) + m
    m = y.mean(dim=[1, 2, 3], keepdim=True)
    y = (y - m) * (col(p['contrast']) + 0.5) + m
    x = torch.cat([y, rest], 3) if rest is not None else y
    # translation: out[i, j] = in[i + ty, j + tx], zero outside (reference: pad by 1, clamp the grid into the pad)
    xp = F.pad(nchw(x), [1, 1, 1, 1])
    gy = torch.arange(size).view(1, size, 1) + torch.tensor(p['shiftY']).view(n, 1, 1) + 1
    gx = torch.arange(size).view(1, 1, size) + torch.tensor(p['shiftX']).view(n, 1, 1) + 1
    gy, gx = gy.clamp(0, size + 1).expand(n, size, size), gx.clamp(0, size + 1).expand(n, size, size)
    gb = torch.arange(n).view(n, 1, 1).expand(n, size, size)
    x = xp.permute(0, 2, 3, 1)[gb, gy, gx]  # NHWC
    # cutout: a cut×cut square from the stored top-left corner, clamped into the image, set to zero
    cut = int(size * 0.5 + 0.5)
    mask = torch.ones(n, size, size)
    for b in range(n):
        y0, x0 = p['cutY'][b], p['cutX'][b]
        mask[b, max(0, y0):max(0, min(size, y0 + cut)), max(0, x0):max(0, min(size, x0 + cut))] = 0
    return x * mask.unsqueeze(3)


def draw_aug(n, size):
    shift, cut = int(size * 0.125 + 0.5), int(size * 0.5 + 0.5)
    lo = -(cut // 2)
    return {
        'brightness': [float(f32(v)) for v in rng.uniform(0, 1, n)],
        'saturation': [float(f32(v)) for v in rng.uniform(0, 1, n)],
        'contrast': [float(f32(v)) for v in rng.uniform(0, 1, n)],
        'shiftY': [int(v) for v in rng.integers(-shift, shift + 1, n)],
        'shiftX': [int(v) for v in rng.integers(-shift, shift + 1, n)],
        'cutY': [int(v) + lo for v in rng.integers(0, size + (1 - cut % 2), n)],
        'cutX': [int(v) + lo for v in rng.integers(0, size + (1 - cut % 2), n)],
    }


def to_matte(x):
    """Straight RGBA in [-1, 1] (NHWC) → colour composited over white, plus alpha (alphaSpace 'matte')."""
    c, a = ((x + 1) / 2).split([3, 1], dim=3)
    return torch.cat([c * a + 1 - a, a], 3) * 2 - 1


def from_matte(x):
    """The inverse: colour = (m − (1 − α)) / α clipped to [0, 1], white where α < 0.5/255."""
    m, a = ((x + 1) / 2).split([3, 1], dim=3)
    c = ((m - (1 - a)) / a.clamp(min=0.5 / 255)).clamp(0, 1)
    c = torch.where((a > 0.5 / 255).expand_as(c), c, torch.ones_like(c))
    return torch.cat([c, a], 3) * 2 - 1


def small_gan_fixture(file='small-gan.json', **design):
    """The default model's step; `design` overrides the design options (gUpsample, dHead) for a variant."""
    cfg = dict(size=32, channels=4, latentDim=8, width=2, maxWidth=8, lr=2e-4, beta1=0.5, beta2=0.999, emaDecay=0.999,
               diffAugment=['color', 'translation', 'cutout'], mbstdGroup=2, gNorm='batch', gSkip=True, gUpsample='resize',
               gOutInitScale=0.1, gNormBias=False, gEmaStats=True, alphaSpace='matte', batchSize=4, heldOutFraction=0)
    cfg.update(design)
    flatten = cfg.get('dHead') == 'flatten'
    S, C, Z, n, g = cfg['size'], cfg['channels'], cfg['latentDim'], cfg['batchSize'], cfg['mbstdGroup']
    ch = lambda r: min(cfg['maxWidth'], cfg['width'] * S // r)
    P = {}
    he = lambda fan: np.sqrt(2 / 1.04) / np.sqrt(fan)

    def conv(name, cin, cout, k, std=None, bias=True):
        P[name + '/w'] = T(rng.normal(0, std if std is not None else he(k * k * cin), (k, k, cin, cout)))
        if bias:
            P[name + '/b'] = T(rng.normal(0, 0.05, cout))

    def bn(name, c):
        P[name + '/gamma'] = T(rng.normal(1, 0.1, c))
        P[name + '/beta'] = T(rng.normal(0, 0.1, c))
        P[name + '/mean'] = T(np.zeros(c))
        P[name + '/var'] = T(np.ones(c))

    P['G/in/w'] = T(rng.normal(0, he(Z), (Z, 16 * ch(4))))
    rs = [4, 8, 16]
    for i, r in enumerate(rs):
        conv(f'G/up{i}', ch(r), ch(2 * r), 3, bias=False)  # batch norm follows: no bias
    bn('G/in/bn', ch(4))
    for i, r in enumerate(rs):
        bn(f'G/up{i}/bn', ch(2 * r))
    for r in rs:
        conv(f'G/rgb{r}', ch(r), C, 1, 0.3)
    conv('G/rgb', ch(S), C, 3, 0.05)
    for i, r in enumerate([32, 16, 8]):
        conv(f'D/conv{i}', C if i == 0 else ch(r), ch(r // 2), 4)
    feat = (16 if flatten else 1) * ch(4) + 1
    P['D/out/w'] = T(rng.normal(0, 1 / np.sqrt(feat), (feat, 1)))
    P['D/out/b'] = T(rng.normal(0, 0.05, 1))
    d_weights = [f'D/conv{i}/w' for i in range(3)] + ['D/out/w']
    for w in d_weights:
        u = rng.normal(0, 1, P[w].shape[-1])
        P[w + '/u'] = T(u / np.linalg.norm(u))
    g_params = [k for k in P if k.startswith('G/') and not (k.endswith('/mean') or k.endswith('/var'))]
    for k in g_params + [k for k in P if k.startswith('G/') and (k.endswith('/mean') or k.endswith('/var'))]:
        P['ema/' + k] = P[k].clone()
    init = {k: enc(v) for k, v in P.items()}
    trainable = [k for k in P if not (k.endswith('/mean') or k.endswith('/var') or k.endswith('/u') or k.startswith('ema/'))]
    for k in trainable:
        P[k].requires_grad_(True)

    nearest2x = lambda x: F.interpolate(x, scale_factor=2, mode='nearest')
    bilinear2x = lambda x: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)

    def G(W, z, train, update):
        h = z @ W('G/in/w')
        x = nchw(h.view(-1, 4, 4, ch(4)))
        x = torch.relu(BN(P, 'G/in/bn')(x, train, update)) if W is live else torch.relu(bn_with(W, 'G/in/bn', x))
        rgb = None
        for i, r in enumerate(rs):
            here = F.conv2d(x, conv_w(W(f'G/rgb{r}/w')), W(f'G/rgb{r}/b'))
            rgb = bilinear2x(here if rgb is None else rgb + here)
            up = bilinear2x if cfg['gUpsample'] == 'bilinear' else nearest2x
            x = F.conv2d(up(x), conv_w(W(f'G/up{i}/w')), padding=1)
            x = torch.relu(BN(P, f'G/up{i}/bn')(x, train, update)) if W is live else torch.relu(bn_with(W, f'G/up{i}/bn', x))
        out = F.conv2d(x, conv_w(W('G/rgb/w')), W('G/rgb/b'), padding=1)
        return nhwc(torch.tanh(out + rgb))

    standing = {}

    def bn_with(W, name, x):
        """BN for the EMA weights: while estimating, the batch's own statistics (kept as the standing
        statistics, variance unbiased as PyTorch's running estimate); when sampling, those statistics."""
        shape = [1, -1, 1, 1]
        if standing.get('estimating'):
            mean, var = x.mean(dim=[0, 2, 3]), x.var(dim=[0, 2, 3], unbiased=False)
            cnt = x.numel() / x.shape[1]
            P['ema/' + name + '/mean'], P['ema/' + name + '/var'] = mean.detach(), var.detach() * cnt / (cnt - 1)
        else:
            mean, var = P['ema/' + name + '/mean'], P['ema/' + name + '/var']
        return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + 1e-5) * W(name + '/gamma').view(shape) + W(name + '/beta').view(shape)

    def live(name):
        return P[name]

    def power_iterate():
        """One step of torch.nn.utils.spectral_norm's power iteration per D weight; returns σ(W) as a function of W."""
        sig = {}
        with torch.no_grad():
            for w in d_weights:
                Wm = P[w].reshape(-1, P[w].shape[-1]).t()  # [out, in·k·k], PyTorch's weight_mat
                u = P[w + '/u']
                v = F.normalize(Wm.t() @ u, dim=0, eps=1e-12)
                u = F.normalize(Wm @ v, dim=0, eps=1e-12)
                P[w + '/u'] = u
                sig[w] = (u.clone(), v.clone())
        return lambda w: torch.dot(sig[w][0], P[w].reshape(-1, P[w].shape[-1]).t() @ sig[w][1])

    def D(x, sigma):
        W = lambda k: P[k] / sigma(k) if k in d_weights else P[k]
        h = nchw(x)
        for i in range(3):
            h = F.leaky_relu(F.conv2d(F.pad(h, [1, 1, 1, 1]), conv_w(W(f'D/conv{i}/w')), W(f'D/conv{i}/b'), stride=2), 0.2)
        feats = nhwc(h).reshape(h.shape[0], -1) if flatten else h.sum(dim=[2, 3])  # flatten in NHWC order, as tf.reshape
        m = nhwc(h).reshape(h.shape[0] // g, g, -1)
        std = torch.sqrt(((m - m.mean(1, keepdim=True)) ** 2).mean(1) + 1e-8).mean(1)  # [groups]
        mb = std.repeat_interleave(g).view(-1, 1) * (h.shape[2] * h.shape[3])
        return (torch.cat([feats, mb], 1) @ W('D/out/w') + W('D/out/b')).view(-1)

    gp = [P[k] for k in trainable if k.startswith('G/')]
    dp = [P[k] for k in trainable if k.startswith('D/')]
    oG, oD = adam(gp, cfg['lr'], cfg['beta1'], cfg['beta2']), adam(dp, cfg['lr'], cfg['beta1'], cfg['beta2'])
    steps, grads = [], {}
    for s in range(3):
        x = T(np.clip(rng.normal(0, 0.6, (n, S, S, C)), -1, 1))
        z1, aD = T(rng.normal(0, 1, (n, Z))), draw_aug(n, S)
        z2, aG = T(rng.normal(0, 1, (n, Z))), draw_aug(n, S)
        # D: [aug(real); aug(fake)] in one pass, hinge loss.
        oD.zero_grad()
        with torch.no_grad():
            fake = G(live, z1, True, False)
        sigma = power_iterate()
        scores = D(torch.cat([diffaugment(to_matte(x), aD, S), diffaugment(fake, aD, S)]), sigma)
        real, fk = scores[:n], scores[n:]
        lossD = torch.relu(1 - real).mean() + torch.relu(1 + fk).mean()
        lossD.backward()
        if s == 0:
            grads.update({k: enc(P[k].grad) for k in trainable if k.startswith('D/')})
        oD.step()
        # G: fresh z and draw, G's running stats updated, hinge G loss through the updated D.
        oG.zero_grad()
        sigma = power_iterate()
        lossG = -D(diffaugment(G(live, z2, True, True), aG, S), sigma).mean()
        lossG.backward()
        if s == 0:
            grads.update({k: enc(P[k].grad) for k in trainable if k.startswith('G/')})
        oG.step()
        d = min(cfg['emaDecay'], (1 + s) / (10 + s))
        with torch.no_grad():
            for k in g_params:
                P['ema/' + k] = P['ema/' + k] * d + P[k] * (1 - d)
        steps.append({
            'x': enc(x), 'z1': enc(z1), 'augD': aD, 'z2': enc(z2), 'augG': aG,
            'losses': {'d': float(lossD), 'g': float(lossG), 'dReal': float(real.mean()), 'dFake': float(fk.mean())},
        })
    # Sampling: standing statistics for the EMA weights from one train-mode pass over zStats, then eval.
    zstats, zs = T(rng.normal(0, 1, (16, Z))), T(rng.normal(0, 1, (n, Z)))
    with torch.no_grad():
        ema = lambda k: P['ema/' + k] if ('ema/' + k) in P else P[k]
        standing['estimating'] = True
        G(ema, zstats, False, False)
        standing['estimating'] = False
        sample = from_matte(G(ema, zs, False, False))
    after = {k: enc(v) for k, v in P.items() if not (k.startswith('ema/') and (k.endswith('/mean') or k.endswith('/var')))}
    write(file, {
        'family': 'default', 'config': cfg, 'init': init, 'steps': steps, 'grads': grads, 'after': after,
        'sample': {'zStats': enc(zstats), 'stats': {k: enc(v) for k, v in P.items() if k.startswith('ema/') and (k.endswith('/mean') or k.endswith('/var'))},
                   'z': enc(zs), 'out': enc(sample)},
    })


dcgan_fixture()
small_gan_fixture(dHead='pool')  # the design before session 7 (nearest resize-convs, pooled D head)
# Bilinear resize-convs in G and D's head over the whole 4×4 map (the default's head since session 7).
small_gan_fixture('small-gan-bilinear-flatten.json', gUpsample='bilinear', dHead='flatten')
