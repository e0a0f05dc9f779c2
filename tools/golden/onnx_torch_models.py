"""PyTorch architectures for the kiln-onnx goldens and bench (torchvision is not installed):
ResNet50 and MobileNetV2 with torchvision's layer structure, an LSTM/GRU head and a
transformer encoder block."""
import torch


class Bottleneck(torch.nn.Module):
    def __init__(self, cin, width, stride, down):
        super().__init__()
        nn = torch.nn
        self.c1, self.b1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.c2, self.b2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.c3, self.b3 = nn.Conv2d(width, width * 4, 1, bias=False), nn.BatchNorm2d(width * 4)
        self.down = nn.Sequential(nn.Conv2d(cin, width * 4, 1, stride, bias=False), nn.BatchNorm2d(width * 4)) if down else None

    def forward(self, x):
        r = torch.relu
        y = r(self.b1(self.c1(x)))
        y = r(self.b2(self.c2(y)))
        y = self.b3(self.c3(y))
        return r(y + (self.down(x) if self.down is not None else x))


def resnet50(classes=1000):
    nn = torch.nn
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for b in range(blocks):
            layers.append(Bottleneck(cin, width, stride if b == 0 else 1, b == 0))
            cin = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, classes)]
    return nn.Sequential(*layers)


class InvertedResidual(torch.nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        nn = torch.nn
        hid = cin * t
        ls = [] if t == 1 else [nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6()]
        ls += [nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(),
               nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.body, self.res = nn.Sequential(*ls), stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.res else self.body(x)


def mobilenet_v2(classes=1000):
    nn = torch.nn
    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()]
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    layers += [nn.Conv2d(cin, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6(),
               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, classes)]
    return nn.Sequential(*layers)


class Rnn(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn, self.out = cell(6, 8, batch_first=True), torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.out(self.rnn(x)[0][:, -1])


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.att = nn.MultiheadAttention(16, 2, batch_first=True)
        self.n1, self.n2 = nn.LayerNorm(16), nn.LayerNorm(16)
        self.ff = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16))

    def forward(self, x):
        x = self.n1(x + self.att(x, x, x, need_weights=False)[0])
        return self.n2(x + self.ff(x))

