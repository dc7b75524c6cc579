"""Word-level language model: the training program of PyTorch's ``word_language_model/main.py``, in nnengine.

    python examples/word_language_model/prepare_fortunes.py DATA            # train/valid/test.txt from fortunes
    python examples/word_language_model/main.py --data DATA --model LSTM|GRU|RNN_TANH|RNN_RELU|Transformer \\
        [--epochs 40] [--emsize 200] [--nhid 200] [--nlayers 2] [--lr 20] [--clip 0.25] [--bptt 35] ...

Only the imports differ from the torch program (``torch_twin.py`` writes the same files back with
``import torch``): ``batchify`` into columns, truncated BPTT with ``repackage_hidden``, NLL loss,
``clip_grad_norm_``, a hand-written SGD step ``p.data.add_(p.grad, alpha=-lr)``, lr / 4 whenever the
validation loss does not improve, the best model saved whole with ``torch.save`` and reloaded for the test.
"""

import argparse
import math
import time

import data
import model

import nnengine as torch
import nnengine.nn as nn

parser = argparse.ArgumentParser(description='Word-level RNN/LSTM/GRU/Transformer language model')
parser.add_argument('--data', type=str, default='./data/fortunes', help='folder with train.txt, valid.txt, test.txt')
parser.add_argument('--model', type=str, default='LSTM', help='RNN_TANH, RNN_RELU, LSTM, GRU or Transformer')
parser.add_argument('--emsize', type=int, default=200, help='size of word embeddings')
parser.add_argument('--nhid', type=int, default=200, help='number of hidden units per layer')
parser.add_argument('--nlayers', type=int, default=2, help='number of layers')
parser.add_argument('--lr', type=float, default=20, help='initial learning rate')
parser.add_argument('--clip', type=float, default=0.25, help='gradient clipping')
parser.add_argument('--epochs', type=int, default=40, help='upper epoch limit')
parser.add_argument('--batch_size', type=int, default=20, metavar='N', help='batch size')
parser.add_argument('--bptt', type=int, default=35, help='sequence length')
parser.add_argument('--dropout', type=float, default=0.2, help='dropout applied to layers (0 = no dropout)')
parser.add_argument('--tied', action='store_true', help='tie the word embedding and softmax weights')
parser.add_argument('--seed', type=int, default=1111, help='random seed')
parser.add_argument('--log-interval', type=int, default=200, metavar='N', help='report interval')
parser.add_argument('--save', type=str, default='model.pt', help='path to save the final model')
parser.add_argument('--nhead', type=int, default=2, help='the number of heads of the transformer model')
parser.add_argument('--threads', type=int, default=0, help='intra-op threads (0 = the library default)')
parser.add_argument('--max-batches', type=int, default=0, help='stop each epoch after N batches (0 = all)')
parser.add_argument('--dry-run', action='store_true', help='verify the code and the model')
args = parser.parse_args()

torch.manual_seed(args.seed)
if args.threads:
    torch.set_num_threads(args.threads)
if torch.cuda.is_available() or torch.backends.mps.is_available():
    print("WARNING: an accelerator is present; this program runs on the CPU")
device = torch.device("cpu")

###############################################################################
# Load data
###############################################################################

corpus = data.Corpus(args.data)


# batchify arranges the sequential data into bsz columns; each column is trained on as a separate stream,
# so dependencies between columns are not learned, but batches are processed in parallel.
def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)  # drop what does not fit
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


eval_batch_size = 10
train_data = batchify(corpus.train, args.batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)

###############################################################################
# Build the model
###############################################################################

ntokens = len(corpus.dictionary)
if args.model == 'Transformer':
    model = model.TransformerModel(ntokens, args.emsize, args.nhead, args.nhid, args.nlayers, args.dropout).to(device)
else:
    model = model.RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout,
                           args.tied).to(device)
print(f'vocabulary {ntokens} | train {corpus.train.size(0)} / valid {corpus.valid.size(0)} / test {corpus.test.size(0)} words | {sum(p.numel() for p in model.parameters())} parameters')

criterion = nn.NLLLoss()

###############################################################################
# Training code
###############################################################################


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


# get_batch cuts a (bptt, bsz) input chunk at row i and its targets, the same chunk one word later, flattened.
def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(data_source):
    model.eval()  # no dropout
    total_loss = 0.
    ntokens = len(corpus.dictionary)
    if args.model != 'Transformer':
        hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i)
            if args.model == 'Transformer':
                output = model(data)
                output = output.view(-1, ntokens)
            else:
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train():
    model.train()  # dropout on
    total_loss = 0.
    start_time = time.time()
    ntokens = len(corpus.dictionary)
    if args.model != 'Transformer':
        hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i)
        # Detach the hidden state from the previous batch's graph (truncated backpropagation through time).
        model.zero_grad()
        if args.model == 'Transformer':
            output = model(data)
            output = output.view(-1, ntokens)
        else:
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()

        # clip_grad_norm_ keeps exploding gradients of the recurrent nets in check.
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()

        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            elapsed = time.time() - start_time
            print(f'| epoch {epoch:3d} | {batch:5d}/{len(train_data) // args.bptt:5d} batches | lr {lr:02.2f} | ms/batch {elapsed * 1000 / args.log_interval:5.2f} | '
                  f'loss {cur_loss:5.2f} | ppl {math.exp(cur_loss):8.2f}')
            total_loss = 0
            start_time = time.time()
        if args.dry_run or batch + 1 == args.max_batches:
            break


# Loop over epochs.
lr = args.lr
best_val_loss = None
start = time.time()

# At any point you can hit Ctrl + C to break out of training early.
try:
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        train()
        val_loss = evaluate(val_data)
        print('-' * 89)
        print(f'| end of epoch {epoch:3d} | time: {time.time() - epoch_start_time:5.2f}s | valid loss {val_loss:5.2f} | '
              f'valid ppl {math.exp(val_loss):8.2f}')
        print('-' * 89)
        # Save the model if the validation loss is the best we've seen so far.
        if not best_val_loss or val_loss < best_val_loss:
            with open(args.save, 'wb') as f:
                torch.save(model, f)
            best_val_loss = val_loss
        else:
            # Anneal the learning rate if no improvement has been seen in the validation dataset.
            lr /= 4.0
except KeyboardInterrupt:
    print('-' * 89)
    print('Exiting from training early')

# Load the best saved model.
with open(args.save, 'rb') as f:
    model = torch.load(f, weights_only=False)
    # after loading, the recurrent weights are separate arrays; flatten_parameters is torch's way to
    # regroup them (a no-op where they are already one layout).
    if args.model in ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU']:
        model.rnn.flatten_parameters()

# Run on test data.
test_loss = evaluate(test_data)
print('=' * 89)
print(f'| End of training | test loss {test_loss:5.2f} | test ppl {math.exp(test_loss):8.2f}')
print('=' * 89)
print(f'RESULT valid_loss={best_val_loss:.6f} test_loss={test_loss:.6f} valid_ppl={math.exp(best_val_loss):.4f} test_ppl={math.exp(test_loss):.4f} seconds={time.time() - start:.1f}')

