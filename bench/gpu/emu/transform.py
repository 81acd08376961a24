# bench/gpu/emu: rewrites, in place, every kernel<<<cfg>>>(args) of the given .cu/.cuh files into
# emu::launch(emu::Config(cfg), [=] { kernel(args); }) and extern __shared__ arrays into emu::dynamic_shared.
import re, sys
def transform(src):
    src = re.sub(r'extern __shared__ (\w+) (\w+)\[\];', r'\1* \2 = emu::dynamic_shared<\1>();', src)
    out = []
    i = 0
    while True:
        j = src.find('<<<', i)
        if j < 0:
            out.append(src[i:]); break
        # kernel name: walk back over identifier and template args
        k = j
        depth = 0
        while k > 0:
            ch = src[k-1]
            if ch == '>': depth += 1
            elif ch == '<':
                depth -= 1
            elif depth == 0 and not (ch.isalnum() or ch in '_:'):
                break
            k -= 1
        name = src[k:j]
        e = src.find('>>>', j)
        cfg = src[j+3:e]
        if src[e+3] != '(':  # a comment
            out.append(src[i:e+3]); i = e + 3; continue
        p = e + 4; depth = 1
        while depth:
            if src[p] == '(': depth += 1
            elif src[p] == ')': depth -= 1
            p += 1
        args = src[e+4:p-1]
        out.append(src[i:k])
        out.append('emu::launch(emu::Config(%s), [=] { %s(%s); })' % (cfg, name, args))
        i = p
    return ''.join(out)
for path in sys.argv[1:]:
    s = open(path).read()
    open(path, 'w').write(transform(s))
