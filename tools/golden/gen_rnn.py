#!/usr/bin/env python3
"""Golden fixtures for the recurrent layers from Keras 3.15 (TF backend, CPU).

Writes tools/golden/fixtures/rnn.json. Run from the repository root:
    /work/venv-tf/bin/python tools/golden/gen_rnn.py
Each case builds a layer from a Python expression, builds it, sets every weight from a
seeded generator, calls it (in inference mode) on seeded inputs with an optional Keras
mask on the sequence and optional initial states, and records the layer's config, the
outputs (flattened: output, then every state), the output mask, and the gradients of
sum(output * cotangent) w.r.t. the float inputs and every trainable weight.
Cell cases call a cell for one step on (x_t, states).
"""

import json
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402
from keras.src import backend, tree  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import tensor_json  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
F32 = np.float32


def rng(name):
    return np.random.default_rng(zlib.crc32(("rnn/" + name).encode()))


# Masks with holes and leading masked steps, as Masking produces from all-zero steps.
MASK_A = [[True, True, False, True, True], [False, True, True, True, False], [True, False, False, True, True]]
MASK_B = [[True, True, True, False], [True, True, False, False]]

# (name, layer expression, input shape, mask or None, number of initial states (0: none))
CASES = [
    ("simple_rnn", "L.SimpleRNN(4)", (2, 4, 3), None, 0),
    ("simple_rnn_seq_mask", "L.SimpleRNN(4, return_sequences=True)", (3, 5, 3), MASK_A, 0),
    ("simple_rnn_back_state_mask", "L.SimpleRNN(3, go_backwards=True, return_state=True)", (3, 5, 2), MASK_A, 0),
    ("simple_rnn_relu_nobias_init", "L.SimpleRNN(3, activation='relu', use_bias=False, return_sequences=True)", (2, 4, 3), None, 1),
    ("lstm", "L.LSTM(3)", (2, 4, 3), None, 0),
    ("lstm_seq_state", "L.LSTM(3, return_sequences=True, return_state=True)", (2, 4, 2), None, 0),
    ("lstm_seq_mask", "L.LSTM(4, return_sequences=True)", (3, 5, 3), MASK_A, 0),
    ("lstm_last_mask", "L.LSTM(3)", (3, 5, 2), MASK_A, 0),
    ("lstm_back_seq_mask", "L.LSTM(3, go_backwards=True, return_sequences=True)", (3, 5, 2), MASK_A, 0),
    ("lstm_back_state", "L.LSTM(3, go_backwards=True, return_state=True)", (2, 4, 3), None, 0),
    ("lstm_init_state", "L.LSTM(3, return_state=True)", (2, 4, 3), None, 2),
    ("lstm_init_state_mask_seq", "L.LSTM(3, return_sequences=True, return_state=True)", (3, 5, 2), MASK_A, 2),
    ("lstm_noforget_dropout_infer", "L.LSTM(3, unit_forget_bias=False, dropout=0.3, recurrent_dropout=0.2, return_sequences=True)", (2, 4, 3), None, 0),
    ("lstm_acts", "L.LSTM(3, activation='relu', recurrent_activation='hard_sigmoid')", (2, 4, 3), None, 0),
    ("lstm_nobias", "L.LSTM(2, use_bias=False, return_sequences=True)", (2, 4, 3), MASK_B, 0),
    ("gru", "L.GRU(4)", (2, 4, 3), None, 0),
    ("gru_reset_before", "L.GRU(4, reset_after=False, return_sequences=True)", (2, 4, 3), None, 0),
    ("gru_seq_mask_back", "L.GRU(3, return_sequences=True, go_backwards=True)", (3, 5, 2), MASK_A, 0),
    ("gru_reset_before_mask_state", "L.GRU(3, reset_after=False, return_state=True)", (3, 5, 2), MASK_A, 0),
    ("gru_init_state", "L.GRU(3, return_sequences=True, return_state=True)", (2, 4, 3), None, 1),
    ("gru_nobias", "L.GRU(3, use_bias=False)", (2, 4, 3), None, 0),
    ("rnn_simple_cell_back", "L.RNN(L.SimpleRNNCell(3), go_backwards=True, return_sequences=True)", (2, 4, 3), None, 0),
    ("rnn_lstm_cell_mask", "L.RNN(L.LSTMCell(3), return_state=True)", (3, 5, 2), MASK_A, 0),
    ("rnn_gru_cell_zero_output", "L.RNN(L.GRUCell(3), return_sequences=True, zero_output_for_mask=True)", (3, 5, 2), MASK_A, 0),
    ("rnn_stacked", "L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)]), return_sequences=True, return_state=True)", (3, 5, 2), MASK_A, 0),
    ("rnn_cell_list", "L.RNN([L.SimpleRNNCell(2), L.LSTMCell(3)])", (2, 4, 3), None, 0),
    ("bidi_concat", "L.Bidirectional(L.LSTM(3, return_sequences=True))", (2, 4, 3), None, 0),
    ("bidi_concat_mask", "L.Bidirectional(L.LSTM(3, return_sequences=True))", (3, 5, 2), MASK_A, 0),
    ("bidi_sum_gru_mask_last", "L.Bidirectional(L.GRU(3), merge_mode='sum')", (3, 5, 2), MASK_A, 0),
    ("bidi_mul", "L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode='mul')", (2, 4, 3), None, 0),
    ("bidi_ave_state", "L.Bidirectional(L.LSTM(2, return_state=True), merge_mode='ave')", (2, 4, 3), None, 0),
    ("bidi_none_seq_mask", "L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode=None)", (3, 5, 2), MASK_A, 0),
    ("bidi_backward_layer_init", "L.Bidirectional(L.LSTM(3, return_state=True), backward_layer=L.LSTM(2, go_backwards=True, return_state=True))", (2, 4, 3), None, 4),
    ("td_dense_mask", "L.TimeDistributed(L.Dense(3))", (3, 5, 2), MASK_A, 0),
    ("td_conv2d", "L.TimeDistributed(L.Conv2D(2, 3, padding='same'))", (2, 3, 5, 4, 2), None, 0),
]

CELL_CASES = [
    ("cell_simple", "L.SimpleRNNCell(3)", 3, 1),
    ("cell_lstm", "L.LSTMCell(3)", 2, 2),
    ("cell_gru", "L.GRUCell(3)", 2, 1),
    ("cell_gru_reset_before", "L.GRUCell(3, reset_after=False)", 2, 1),
]


def set_weights(layer, g):
    for w in layer.weights:
        w.assign(g.normal(0.0, 0.6, size=w.shape).astype(F32))


def state_sizes(layer):
    if isinstance(layer, L.Bidirectional):
        return state_sizes(layer.forward_layer) + state_sizes(layer.backward_layer)
    return [int(s) for s in tree.flatten(layer.cell.state_size)]


def layer_case(name, expr, shape, mask, n_init):
    g = rng(name)
    layer = eval(expr)
    x = g.normal(size=shape).astype(F32)
    m = None if mask is None else np.array(mask[: shape[0]], dtype=bool)
    inits = []
    if n_init:
        sizes = state_sizes(layer)
        assert len(sizes) == n_init, (name, sizes)
        inits = [g.normal(size=(shape[0], s)).astype(F32) for s in sizes]
    xt = tf.constant(x)
    its = [tf.constant(s) for s in inits]
    kw = {}
    if its:
        kw["initial_state"] = its
    if m is not None:
        kw["mask"] = tf.constant(m)
    layer(xt, **kw)
    set_weights(layer, g)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        for t in its:
            tape.watch(t)
        if m is not None and not its:
            # A mask attached to the sequence, as Masking/Embedding(mask_zero) leave it.
            backend.set_keras_mask(xt, tf.constant(m))
            kw.pop("mask")
        # With initial states Keras only applies an explicit `mask=` (kiln's call masks).
        out = layer(xt, training=False, **kw)
        outs = tree.flatten(out)
        cots = [g.normal(size=o.shape).astype(F32) for o in outs]
        obj = tf.add_n([tf.reduce_sum(o * c) for o, c in zip(outs, cots)])
    grads_x = tape.gradient(obj, [xt] + its)
    grads_w = tape.gradient(obj, [w.value for w in layer.trainable_weights])
    out_mask = getattr(outs[0], "_keras_mask", None)
    return {
        "name": name,
        "expr": expr,
        "class": layer.__class__.__name__,
        "config": keras.saving.serialize_keras_object(layer),
        "inputs": [tensor_json(x)] + [tensor_json(s) for s in inits],
        "mask": None if m is None else tensor_json(m),
        "weight_paths": [w.path for w in layer.weights],
        "weights": [tensor_json(w.numpy()) for w in layer.weights],
        "outputs": [tensor_json(o.numpy()) for o in outs],
        "output_mask": None if out_mask is None else tensor_json(out_mask.numpy()),
        "cotangents": [tensor_json(c) for c in cots],
        "grad_inputs": [tensor_json(gx.numpy()) for gx in grads_x],
        "grad_weights": [tensor_json(tf.convert_to_tensor(gw).numpy()) for gw in grads_w],
    }


def cell_case(name, expr, in_dim, n_states):
    g = rng(name)
    cell = eval(expr)
    b = 2
    x = g.normal(size=(b, in_dim)).astype(F32)
    states = [g.normal(size=(b, s)).astype(F32) for s in tree.flatten(cell.state_size)]
    assert len(states) == n_states
    xt = tf.constant(x)
    sts = [tf.constant(s) for s in states]
    cell(xt, sts)
    set_weights(cell, g)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        for t in sts:
            tape.watch(t)
        out, new_states = cell(xt, sts, training=False)
        outs = [out] + tree.flatten(new_states)
        cots = [g.normal(size=o.shape).astype(F32) for o in outs]
        obj = tf.add_n([tf.reduce_sum(o * c) for o, c in zip(outs, cots)])
    grads_x = tape.gradient(obj, [xt] + sts)
    grads_w = tape.gradient(obj, [w.value for w in cell.trainable_weights])
    return {
        "name": name,
        "expr": expr,
        "class": cell.__class__.__name__,
        "config": keras.saving.serialize_keras_object(cell),
        "inputs": [tensor_json(x)] + [tensor_json(s) for s in states],
        "weight_paths": [w.path for w in cell.weights],
        "weights": [tensor_json(w.numpy()) for w in cell.weights],
        "outputs": [tensor_json(o.numpy()) for o in outs],
        "cotangents": [tensor_json(c) for c in cots],
        "grad_inputs": [tensor_json(gx.numpy()) for gx in grads_x],
        "grad_weights": [tensor_json(tf.convert_to_tensor(gw).numpy()) for gw in grads_w],
    }


def default_weights():
    """Initial values that do not depend on the random stream (LSTM's forget bias)."""
    lstm = L.LSTM(2)
    lstm.build((None, 3, 4))
    gru = L.GRU(2)
    gru.build((None, 3, 4))
    gru0 = L.GRU(2, reset_after=False)
    gru0.build((None, 3, 4))
    return {
        "lstm_bias": tensor_json(lstm.cell.bias.numpy()),
        "lstm_shapes": [list(w.shape) for w in lstm.weights],
        "gru_shapes": [list(w.shape) for w in gru.weights],
        "gru_reset_before_shapes": [list(w.shape) for w in gru0.weights],
    }


def main():
    keras.utils.set_random_seed(0)
    cases = [layer_case(*c) for c in CASES]
    cells = [cell_case(*c) for c in CELL_CASES]
    names = [c["name"] for c in cases + cells]
    assert len(names) == len(set(names))
    out = {
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "cases": cases,
        "cells": cells,
        "defaults": default_weights(),
    }
    path = os.path.join(OUT, "rnn.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}: {len(cases)} layer cases, {len(cells)} cell cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
