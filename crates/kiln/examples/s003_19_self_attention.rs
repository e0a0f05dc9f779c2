//! S003-19: a `SelfAttention(d_model)` layer — Dense query/key/value projections,
//! `softmax(q k^T / sqrt(d_model)) v` — on U(1, 60, 512); prints `(1, 60, 512)`.

use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef};
use kiln_tensor::{DType, Tensor};

#[derive(Layer)]
struct SelfAttention {
    base: LayerBase,
    #[layer(skip)]
    d_model: usize,
    query_dense: LayerRef,
    key_dense: LayerRef,
    value_dense: LayerRef,
}

impl SelfAttention {
    fn new(d_model: usize) -> SelfAttention {
        SelfAttention {
            base: LayerBase::new("self_attention"),
            d_model,
            query_dense: Dense::new(d_model).into(),
            key_dense: Dense::new(d_model).into(),
            value_dense: Dense::new(d_model).into(),
        }
    }
}

impl Layer for SelfAttention {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let q = self.query_dense.call(&inputs[0])?;
        let k = self.key_dense.call(&inputs[0])?;
        let v = self.value_dense.call(&inputs[0])?;
        let scores = q
            .matmul_t(&k, false, true)?
            .div_scalar((self.d_model as f64).sqrt())?;
        let attention_weights = scores.softmax(-1)?;
        Ok(vec![attention_weights.matmul(&v)?])
    }
}

fn main() -> kiln::Result<()> {
    kiln::utils::set_random_seed(0);
    let inputs = kiln_tensor::random::uniform(&[1, 60, 512], 0.0, 1.0, DType::F32)?;
    let self_attention = LayerRef::new(SelfAttention::new(512));
    let output = self_attention.call(&inputs)?;
    println!("{}", kiln_tensor::shape::fmt_shape(output.shape()));
    assert_eq!(output.shape(), &[1, 60, 512]);
    Ok(())
}
