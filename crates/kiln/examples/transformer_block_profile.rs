//! Times the pieces of the transformer-block bench (forward+backward of each part) to
//! see where its time goes. Not a scenario; a profiling aid.
use kiln::layers::{Dense, LayerNormalization, LayerRef, MultiHeadAttention};
use kiln_tensor::random::Generator;
use kiln_tensor::{GradientTape, Tensor, Variable};
use std::time::Instant;

fn median(mut f: impl FnMut()) -> f64 {
    f();
    f();
    let mut t = Vec::new();
    for _ in 0..15 {
        let s = Instant::now();
        f();
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t[t.len() / 2]
}

fn fwdbwd(name: &str, x: &Tensor, vars: &[Variable], f: &dyn Fn(&Tensor) -> Tensor) {
    let fw = median(|| {
        std::hint::black_box(f(x));
    });
    let fb = median(|| {
        let tape = GradientTape::new();
        let y = f(x);
        let refs: Vec<&Variable> = vars.iter().collect();
        std::hint::black_box(tape.gradient(&y.sum_all().unwrap(), &refs).unwrap());
    });
    println!("{name:12} fwd {fw:7.2} ms  fwd+bwd {fb:7.2} ms");
}

fn main() {
    kiln::utils::set_random_seed(0);
    let mut g = Generator::from_seed(0);
    let x = g
        .normal(&[32, 128, 128], 0.0, 1.0, kiln_tensor::DType::F32)
        .unwrap();
    let mha = LayerRef::new(MultiHeadAttention::new(4, 32));
    let ln1 = LayerRef::new(LayerNormalization::new().epsilon(1e-5));
    let ln2 = LayerRef::new(LayerNormalization::new().epsilon(1e-5));
    let ff1 = LayerRef::new(Dense::new(512).activation("relu"));
    let ff2 = LayerRef::new(Dense::new(128));
    let h = mha.call(&[x.clone(), x.clone()][..]).unwrap();
    let h = ln1.call(&x.add(&h).unwrap()).unwrap();
    let f = ff2.call(&ff1.call(&h).unwrap()).unwrap();
    ln2.call(&h.add(&f).unwrap()).unwrap();
    let w = |ls: &[&LayerRef]| -> Vec<Variable> {
        ls.iter().flat_map(|l| l.trainable_weights()).collect()
    };
    let (m2, l1, l2, f1, f2) = (
        mha.clone(),
        ln1.clone(),
        ln2.clone(),
        ff1.clone(),
        ff2.clone(),
    );
    fwdbwd(
        "block",
        &x,
        &w(&[&mha, &ln1, &ln2, &ff1, &ff2]),
        &move |x| {
            let a = m2.call(&[x.clone(), x.clone()][..]).unwrap();
            let h = l1.call(&x.add(&a).unwrap()).unwrap();
            let f = f2.call(&f1.call(&h).unwrap()).unwrap();
            l2.call(&h.add(&f).unwrap()).unwrap()
        },
    );
    let m2 = mha.clone();
    fwdbwd("mha", &x, &w(&[&mha]), &move |x| {
        m2.call(&[x.clone(), x.clone()][..]).unwrap()
    });
    let (f1, f2) = (ff1.clone(), ff2.clone());
    fwdbwd("ffn", &x, &w(&[&ff1, &ff2]), &move |x| {
        f2.call(&f1.call(x).unwrap()).unwrap()
    });
    let l1 = ln1.clone();
    fwdbwd("layernorm", &x, &w(&[&ln1]), &move |x| l1.call(x).unwrap());
    let f1 = ff1.clone();
    fwdbwd("dense512", &x, &w(&[&ff1]), &move |x| f1.call(x).unwrap());
    let xv = Variable::new(x.clone(), "x", true);
    let xr = xv.clone();
    fwdbwd("add", &x, std::slice::from_ref(&xv), &move |_| {
        xr.value().add(&xr.value()).unwrap()
    });
}
