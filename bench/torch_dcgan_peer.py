# Vendored unchanged from the project brief (../shared/bench/torch_dcgan_peer.py) so `atelier bench` finds it in a fresh clone.
# Reference peer for the training benchmark: the classic PyTorch DCGAN (32x32 RGB, ngf=ndf=64,
# BCE loss, Adam 2e-4 / beta1 0.5), timed for N training steps on random data.
# Needs Debian's PyTorch:  apt-get install -y python3-torch   (then run with /usr/bin/python3)
# Usage: /usr/bin/python3 torch_dcgan_peer.py [steps] [batch] [threads]
# Prints one line: "... <ms> ms/step, <img/s> img/s". Compare in the same run as your own figure.
import sys, time, torch, torch.nn as nn, torch.optim as optim
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
B = int(sys.argv[2]) if len(sys.argv) > 2 else 64
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(100, 256, 4, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())
    def forward(self, x): return self.main(x)
class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(256, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    def forward(self, x): return self.main(x)
G, D = Generator(), Discriminator()
crit = nn.BCELoss()
oG = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)); oD = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
real = torch.rand(B, 3, 32, 32) * 2 - 1
def step():
    oD.zero_grad()
    out = D(real).view(-1); eR = crit(out, torch.ones(B)); eR.backward()
    fake = G(torch.randn(B, 100, 1, 1)); out = D(fake.detach()).view(-1); eF = crit(out, torch.zeros(B)); eF.backward(); oD.step()
    oG.zero_grad(); out = D(fake).view(-1); eG = crit(out, torch.ones(B)); eG.backward(); oG.step()
step()
t = time.perf_counter()
for _ in range(steps): step()
dt = (time.perf_counter() - t) / steps
print(f"pytorch-cpu DCGAN 32x32 batch {B}: {dt*1000:.0f} ms/step, {B/dt:.1f} img/s")
