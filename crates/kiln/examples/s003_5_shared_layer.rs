//! S003-5: one Dense(64) layer applied twice to the same (28, 28, 1) input, giving a model
//! with two outputs that share weights.

use kiln::layers::{Dense, Input, LayerRef};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};

fn main() -> kiln::Result<()> {
    let input = Input::shape(&[28, 28, 1]);
    let conv_base = LayerRef::new(Dense::new(64).activation("relu"));
    let processed_1 = conv_base.call(&input)?;
    let processed_2 = conv_base.call(&input)?;
    let model = Model::new(&[input], &[processed_1, processed_2])?;
    let outs = model.call_multi(&[Tensor::ones(&[1, 28, 28, 1], DType::F32)], false)?;
    assert_eq!(outs[0].to_vec::<f32>()?, outs[1].to_vec::<f32>()?);
    assert_eq!(model.count_params(), 64 + 64);
    Ok(())
}
