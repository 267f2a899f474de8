#!/usr/bin/env python3
"""Export a Hugging Face causal LM's output head and a batch of its final
hidden states in hessblock's format: a linear model (L = 1) under
cross-entropy.

    W1 = lm_head.weight (C x d, C the vocabulary), b1 = lm_head.bias if any,
    X  = final hidden states h_t (N x d) at the chosen positions t,
    y  = the next tokens ids[t + 1] (N labels)

so that the loss of the exported model is the LM's next-token cross-entropy
at those positions. "Final hidden state" is the input of lm_head (after the
last layer norm): hidden_states[-1] of the model's output. The script checks
lm_head(X) against the model's own logits, so a model that does more
between the two (logit soft-capping, scaling) is refused instead of
exported wrongly.

    hf_lm_head.py --model gpt2 --text-file sample.txt --positions 64 --seed 1 \\
        --out gpt2_head.npz --safetensors gpt2_head.safetensors

This cannot run in hessblock's development environment (no transformers
package, no network access to the Hub); it needs `pip install torch
transformers`. The hessblock command does not read such files yet; a Go
program can load them with codeberg.org/sbinet/npyio and hand X, y and W1
to numerics.NewProblemWithData and Problem.SetWeights (a bias needs the
deep-network support being added to numerics). With C ~ 5e4 and d ~ 1e3 the
dense Hessian (P = C·d) is out of reach: use the structured statistics.
"""
import argparse

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from torch_to_npz import write_safetensors


def main():
    ap = argparse.ArgumentParser(description="export an LM head and final hidden states")
    ap.add_argument("--model", required=True, help="Hub name or local path of a causal LM")
    ap.add_argument("--text-file", required=True, help="text to run the model on (one window)")
    ap.add_argument("--positions", type=int, default=64, help="number N of positions drawn (without replacement)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the position draw")
    ap.add_argument("--out", required=True, help=".npz to write")
    ap.add_argument("--safetensors", help=".safetensors to write as well")
    args = ap.parse_args()

    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32).eval()
    with open(args.text_file) as f:
        text = f.read()
    ids = tok(text, return_tensors="pt", truncation=True).input_ids  # 1 x T
    t_max = ids.shape[1] - 1  # position t needs the label ids[t + 1]
    if t_max < args.positions:
        raise SystemExit(f"text has {t_max} usable positions, fewer than --positions {args.positions}")
    with torch.no_grad():
        out = model(ids, output_hidden_states=True)
    gen = torch.Generator().manual_seed(args.seed)
    pos = torch.randperm(t_max, generator=gen)[: args.positions].sort().values
    head = model.get_output_embeddings()  # nn.Linear(d, C)
    x = out.hidden_states[-1][0, pos]
    with torch.no_grad():
        if not torch.allclose(head(x), out.logits[0, pos], rtol=1e-4, atol=1e-4):
            raise SystemExit("lm_head(hidden_states[-1]) is not the model's logits: this model is not exportable as is")

    arrays = {"W1": head.weight.detach().double().numpy()}
    if head.bias is not None:
        arrays["b1"] = head.bias.detach().double().numpy()
    arrays["X"] = x.double().numpy()
    arrays["y"] = ids[0, pos + 1].numpy().astype(np.int64)
    np.savez(args.out, **arrays)
    if args.safetensors:
        write_safetensors(args.safetensors, arrays, {"activation": "identity", "loss": "ce", "source": args.model})


if __name__ == "__main__":
    main()
