//! Graph passes run on a traced [`Graph`] before it is first replayed (Grappler's role in
//! TF): each pass is a small rewrite that keeps every output and every side effect
//! bit-identical to the traced graph.
//!
//! [`Graph::optimize`] runs, in order:
//!
//! 1. [`simplify`]: algebraic identities (`x*1`, `x/1`, `neg(neg(x))`, `identity`,
//!    `reshape(reshape(x))`, value-preserving `cast` pairs...), only where exact;
//! 2. [`fold`]: ops whose inputs are all constants become constants;
//! 3. [`simplify`] again (folding exposes new constant operands);
//! 4. [`cse`]: identical ops on identical inputs are computed once;
//! 5. [`dce`]: values that reach no output and no side effect are dropped;
//! 6. [`fuse`]: chains and DAGs of f32 elementwise ops become one loop;
//! 7. [`reuse`]: a liveness plan, so that values are released after their last use and a
//!    fused loop may write into an input buffer that dies there.
//!
//! Side effects keep their order: passes only remove nodes or replace a node's uses by an
//! equal value; `Write` and `Control` nodes (prints, sub-graphs that may write) are never
//! removed, merged or moved.

pub(crate) mod cse;
pub(crate) mod dce;
pub(crate) mod fold;
pub(crate) mod fuse;
pub(crate) mod reuse;
pub(crate) mod simplify;

use super::graph::{Graph, NodeKind, OutTemplate, Src};
use crate::autodiff::Op;
use crate::DType;

impl Graph {
    /// Runs every pass (see the [module docs](self)); remembers the listing before.
    pub(crate) fn optimize(&mut self) {
        self.unoptimized = Some((self.listing(), self.nodes.len()));
        simplify::run(self);
        fold::run(self);
        simplify::run(self);
        cse::run(self);
        dce::run(self);
        fuse::run(self);
        reuse::run(self);
    }
}

/// Ops that draw from the random generator: each evaluation gives fresh values, so they
/// are never merged, folded or fused (a dead one may be dropped).
pub(crate) fn is_random(op: &Op) -> bool {
    op.name().starts_with("random_") || op.name().starts_with("dropout")
}

/// Calls `f` on every input of a node, in order.
pub(crate) fn node_srcs(kind: &NodeKind) -> Vec<&Src> {
    match kind {
        NodeKind::Op { inputs, .. }
        | NodeKind::Control { inputs, .. }
        | NodeKind::Fused { inputs, .. } => inputs.iter().collect(),
        NodeKind::Write { value, .. } => vec![value],
        NodeKind::Read { .. } => vec![],
    }
}

/// The inputs of a node, mutable.
pub(crate) fn node_srcs_mut(kind: &mut NodeKind) -> Vec<&mut Src> {
    match kind {
        NodeKind::Op { inputs, .. }
        | NodeKind::Control { inputs, .. }
        | NodeKind::Fused { inputs, .. } => inputs.iter_mut().collect(),
        NodeKind::Write { value, .. } => vec![value],
        NodeKind::Read { .. } => vec![],
    }
}

/// Every tensor source the graph's outputs name.
pub(crate) fn output_srcs(t: &OutTemplate, out: &mut Vec<Src>) {
    match t {
        OutTemplate::Tensor(s) => out.push(s.clone()),
        OutTemplate::Leaf(_) => {}
        OutTemplate::List(v) | OutTemplate::Tuple(v) => v.iter().for_each(|x| output_srcs(x, out)),
        OutTemplate::Dict(d) => d.iter().for_each(|(_, x)| output_srcs(x, out)),
    }
}

fn output_srcs_mut(t: &mut OutTemplate, f: &mut impl FnMut(&mut Src)) {
    match t {
        OutTemplate::Tensor(s) => f(s),
        OutTemplate::Leaf(_) => {}
        OutTemplate::List(v) | OutTemplate::Tuple(v) => {
            v.iter_mut().for_each(|x| output_srcs_mut(x, f))
        }
        OutTemplate::Dict(d) => d.iter_mut().for_each(|(_, x)| output_srcs_mut(x, f)),
    }
}

/// Nodes whose output some graph output names.
pub(crate) fn output_nodes(g: &Graph) -> Vec<bool> {
    let mut outs = Vec::new();
    output_srcs(&g.output, &mut outs);
    let mut is_out = vec![false; g.nodes.len()];
    for s in outs {
        if let Src::Node(i) = s {
            is_out[i] = true;
        }
    }
    is_out
}

/// How many times each node's output is used (by later nodes and by the outputs).
pub(crate) fn use_counts(g: &Graph) -> Vec<usize> {
    let mut n = vec![0usize; g.nodes.len()];
    for node in &g.nodes {
        for s in node_srcs(&node.kind) {
            if let Src::Node(j) = s {
                n[*j] += 1;
            }
        }
    }
    let mut outs = Vec::new();
    output_srcs(&g.output, &mut outs);
    for s in outs {
        if let Src::Node(j) = s {
            n[j] += 1;
        }
    }
    n
}

/// Follows `subst` from `s` to the value that finally stands for it.
fn resolve(subst: &[Option<Src>], s: &Src) -> Src {
    let mut cur = s.clone();
    while let Src::Node(j) = cur {
        match &subst[j] {
            Some(next) => cur = next.clone(),
            None => break,
        }
    }
    cur
}

/// Replaces every use of node `i` by `subst[i]` (where set), in later nodes and outputs.
/// The replaced nodes stay (unused) until [`dce`] drops them.
pub(crate) fn substitute(g: &mut Graph, subst: &[Option<Src>]) {
    for node in &mut g.nodes {
        for s in node_srcs_mut(&mut node.kind) {
            *s = resolve(subst, s);
        }
    }
    output_srcs_mut(&mut g.output, &mut |s| *s = resolve(subst, s));
}

/// Rewrites node `at`'s inputs through `subst`: passes that walk the graph forward call
/// this before looking at a node, so that it sees the replacements decided so far.
pub(crate) fn resolve_inputs(g: &mut Graph, at: usize, subst: &[Option<Src>]) {
    for s in node_srcs_mut(&mut g.nodes[at].kind) {
        *s = resolve(subst, s);
    }
}

/// Keeps the nodes where `keep` is true, renumbering every `Src::Node`. Kept nodes must
/// not use dropped ones.
pub(crate) fn compact(g: &mut Graph, keep: &[bool]) {
    let mut new_index = vec![usize::MAX; g.nodes.len()];
    let mut k = 0;
    for (i, &kp) in keep.iter().enumerate() {
        if kp {
            new_index[i] = k;
            k += 1;
        }
    }
    let renumber = |s: &mut Src| {
        if let Src::Node(j) = s {
            debug_assert!(
                new_index[*j] != usize::MAX,
                "a kept node uses a dropped one"
            );
            *j = new_index[*j];
        }
    };
    let old = std::mem::take(&mut g.nodes);
    for (i, mut node) in old.into_iter().enumerate() {
        if keep[i] {
            for s in node_srcs_mut(&mut node.kind) {
                renumber(s);
            }
            g.nodes.push(node);
        }
    }
    output_srcs_mut(&mut g.output, &mut |s| renumber(s));
}

/// The traced shape of a value.
pub(crate) fn src_shape<'a>(g: &'a Graph, s: &'a Src) -> Option<&'a [usize]> {
    match s {
        Src::Input(k) => g.example_shapes.get(*k).map(|v| v.as_slice()),
        Src::Node(j) => g.nodes.get(*j).map(|n| n.shape.as_slice()),
        Src::Const(t) => Some(t.shape()),
    }
}

/// The traced dtype of a value.
pub(crate) fn src_dtype(g: &Graph, s: &Src) -> Option<DType> {
    match s {
        Src::Input(k) => g.example_dtypes.get(*k).copied(),
        Src::Node(j) => g.nodes.get(*j).and_then(|n| n.dtype),
        Src::Const(t) => Some(t.dtype()),
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Tracing helpers for the passes' tests: a closure traced without optimization, and
    //! a bitwise comparison of two graphs' outputs and variable effects.

    use super::super::graph::Graph;
    use super::super::{leaves, Args, Function, FunctionOptions, Value};
    use crate::{GradientTape, Result, Tensor, Variable};

    /// The unoptimized graph of `f` traced on `args`.
    pub(crate) fn trace(f: impl Fn(&Args) -> Result<Value> + 'static, args: &[Value]) -> Graph {
        let func = Function::with_options(
            "t",
            FunctionOptions {
                optimize: false,
                ..Default::default()
            },
            f,
        );
        let cf = func.get_concrete_function(args).expect("trace");
        cf.graph.clone()
    }

    /// Every output tensor's bits (f32 as u32, others through f64 bits).
    fn bits(v: &Value, out: &mut Vec<(Vec<usize>, Vec<u64>)>) {
        v.visit(&mut |x| {
            if let Value::Tensor(t) = x {
                let b = match t.dtype() {
                    crate::DType::F32 => t
                        .to_vec::<f32>()
                        .expect("f32")
                        .iter()
                        .map(|v| v.to_bits() as u64)
                        .collect(),
                    _ => t.to_f64_vec().iter().map(|v| v.to_bits()).collect(),
                };
                out.push((t.shape().to_vec(), b));
            }
        });
    }

    /// Runs `g` on `args` after resetting each variable to its initial value; returns
    /// the outputs' and the variables' bits afterwards.
    pub(crate) fn run_bits(
        g: &Graph,
        args: &[Value],
        vars: &[(Variable, Tensor)],
    ) -> Vec<(Vec<usize>, Vec<u64>)> {
        for (v, init) in vars {
            v.assign(init).expect("reset");
        }
        let (tensors, vs) = leaves(&Value::Tuple(args.to_vec()));
        let out = g.run(&tensors, &vs).expect("run");
        let mut b = Vec::new();
        bits(&out, &mut b);
        for (v, _) in vars {
            bits(&Value::Tensor(v.value()), &mut b);
        }
        b
    }

    /// Asserts that `after` replays bit-identically to `before` on `args`.
    pub(crate) fn assert_same(
        before: &Graph,
        after: &Graph,
        args: &[Value],
        vars: &[(Variable, Tensor)],
    ) {
        let a = run_bits(before, args, vars);
        let b = run_bits(after, args, vars);
        assert_eq!(a.len(), b.len());
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x.0, y.0, "output {k}: shapes differ");
            assert!(
                x.1 == y.1,
                "output {k}: values differ\n{}\n---\n{}",
                before.listing(),
                after.listing()
            );
        }
    }

    /// Deterministic test data with negatives, zeros and a spread of magnitudes.
    pub(crate) fn data(n: usize, seed: u32) -> Tensor {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        let v: Vec<f32> = (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let u = (s >> 8) as f32 / (1u32 << 24) as f32;
                if i % 17 == 3 {
                    0.0
                } else {
                    (u - 0.4) * 6.0
                }
            })
            .collect();
        Tensor::from_vec(v, &[n]).expect("data")
    }

    /// A traced training step: forward pass, gradient with a tape, Adam-like update of
    /// `w` (variables `w`, `m`, `v`), returning the loss and the gradient. Uses every
    /// pass: `x*1` from the gradient seed, constants (`1 - b1`), repeated reads, a dead
    /// value, fusible chains in the gradient and the update.
    pub(crate) fn train_step(
        w: Variable,
        m: Variable,
        v: Variable,
    ) -> impl Fn(&Args) -> Result<Value> + 'static {
        move |a: &Args| {
            let x = a.tensor(0)?;
            let y = a.tensor(1)?;
            let tape = GradientTape::new();
            let wv = w.value();
            tape.watch(&wv);
            let h = x.mul(&wv)?.tanh()?;
            let h2 = x.mul(&wv)?.tanh()?.mul(&Tensor::scalar(0.5f32))?; // repeats x*w, tanh
            let z = h.sigmoid()?.sub(&y)?.add(&h2)?;
            let loss = z.square()?.sum_all()?;
            let _unused = x.exp()?.add(&y)?; // dead: reaches nothing
            let g = tape.gradient(&loss, &[&wv])?.remove(0).expect("grad");
            let (b1, b2, lr, eps) = (0.9f32, 0.999f32, 0.01f32, 1e-7f32);
            let one = Tensor::scalar(1.0f32);
            let c1 = one.sub(&Tensor::scalar(b1))?; // folds to a constant
            let m_new = m.value().mul(&Tensor::scalar(b1))?.add(&g.mul(&c1)?)?;
            let v_new = v
                .value()
                .mul(&Tensor::scalar(b2))?
                .add(&g.mul(&g)?.mul_scalar(1.0 - b2 as f64)?)?;
            m.assign(&m_new)?;
            v.assign(&v_new)?;
            let upd = m_new
                .div(&v_new.sqrt()?.add(&Tensor::scalar(eps))?)?
                .mul(&Tensor::scalar(lr))?
                .mul(&one)?;
            w.assign_sub(&upd)?;
            Ok(Value::Tuple(vec![Value::from(loss), Value::from(g)]))
        }
    }

    /// Variables for [`train_step`] of `n` elements, with their initial values.
    pub(crate) fn train_vars(n: usize) -> (Variable, Variable, Variable, Vec<(Variable, Tensor)>) {
        let w0 = data(n, 7);
        let m0 = data(n, 8).mul_scalar(0.1).expect("m0");
        let v0 = data(n, 9).abs().expect("v0");
        let w = Variable::new(w0.clone(), "w", true);
        let m = Variable::new(m0.clone(), "m", false);
        let v = Variable::new(v0.clone(), "v", false);
        let vars = vec![(w.clone(), w0), (m.clone(), m0), (v.clone(), v0)];
        (w, m, v, vars)
    }
}
