# The seed-000 PyTorch DCGAN peer (shared/bench/torch_dcgan_quality_peer.py), trained for a fixed NUMBER
# OF STEPS instead of minutes, so learning per image can be compared with Atelier's `dcgan` preset at
# equal steps (bench/parity/learning-parity.ts). Same network, data loading, loss, optimiser and seed.
# usage: /usr/bin/python3 torch_dcgan_steps.py DATA_DIR OUT_DIR STEPS [N] [THREADS] [BATCH]
import sys, time, glob, os, torch, torch.nn as nn, torch.optim as optim, numpy as np
from PIL import Image
data, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = int(sys.argv[4]) if len(sys.argv) > 4 else 256
torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 2); torch.manual_seed(0)
B = int(sys.argv[6]) if len(sys.argv) > 6 else 64
files = sorted(glob.glob(os.path.join(data, '**', '*.png'), recursive=True))
X = np.stack([np.asarray(Image.open(f).convert('RGB').resize((32, 32), Image.LANCZOS), np.float32) / 127.5 - 1 for f in files])
X = torch.tensor(X).permute(0, 3, 1, 2)
G = nn.Sequential(nn.ConvTranspose2d(100, 256, 4, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
    nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
    nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
    nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())
D = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
    nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
    nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),
    nn.Conv2d(256, 1, 4, 1, 0, bias=False), nn.Sigmoid())
crit = nn.BCELoss(); oG = optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)); oD = optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
t0 = time.time()
for _ in range(total):
    real = X[torch.randint(0, len(X), (B,))]
    oD.zero_grad(); eR = crit(D(real).view(-1), torch.ones(B)); eR.backward()
    fake = G(torch.randn(B, 100, 1, 1)); eF = crit(D(fake.detach()).view(-1), torch.zeros(B)); eF.backward(); oD.step()
    oG.zero_grad(); eG = crit(D(fake).view(-1), torch.ones(B)); eG.backward(); oG.step()
G.eval(); os.makedirs(out, exist_ok=True)
with torch.no_grad(): S = G(torch.randn(N, 100, 1, 1)).permute(0, 2, 3, 1).numpy()
for i, s in enumerate(S): Image.fromarray(((s + 1) * 127.5).clip(0, 255).astype(np.uint8)).save(os.path.join(out, f'{i:04d}.png'))
print(f'{{"steps": {total}, "images_seen": {total*B}, "seconds": {time.time()-t0:.0f}, "samples": {N}}}')
