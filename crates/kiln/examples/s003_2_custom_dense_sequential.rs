//! S003-2: `Sequential([CustomDenseLayer(64), Dense(10)])` compiled with adam /
//! categorical crossentropy. The seed uses the layer before defining it (defect 8); here
//! it is defined first. Nothing is printed by the seed; the example checks the model
//! builds on a 784-feature input.

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef, Shape};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, Model};
use kiln_tensor::{DType, Tensor, Variable};

#[derive(Layer)]
struct CustomDenseLayer {
    base: LayerBase,
    units: usize,
    #[layer(skip)]
    w: Option<Variable>,
    #[layer(skip)]
    b: Option<Variable>,
}

impl CustomDenseLayer {
    fn layer(units: usize) -> LayerRef {
        LayerRef::new(CustomDenseLayer {
            base: LayerBase::new("custom_dense_layer"),
            units,
            w: None,
            b: None,
        })
    }
}

impl Layer for CustomDenseLayer {
    fn build(&mut self, input_shape: &[Shape]) -> kiln::Result<()> {
        let last = input_shape[0].last().copied().flatten().unwrap_or(1);
        self.w = Some(self.base.add_weight(
            "w",
            &[last, self.units],
            &Initializer::get("random_normal")?,
            true,
            None,
            None,
        )?);
        self.b = Some(self.base.add_weight(
            "b",
            &[self.units],
            &Initializer::Zeros,
            true,
            None,
            None,
        )?);
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        match (&self.w, &self.b) {
            (Some(w), Some(b)) => Ok(vec![inputs[0].matmul(&w.value())?.add(&b.value())?]),
            _ => Err(kiln::Error::InvalidArgument {
                api: "CustomDenseLayer.call",
                msg: "not built".into(),
            }),
        }
    }
}

fn main() -> kiln::Result<()> {
    let mut model = Model::sequential(vec![CustomDenseLayer::layer(64), Dense::new(10).into()])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy"),
    )?;
    let out = model.predict(
        Tensor::zeros(&[2, 784], DType::F32),
        PredictArgs::new().verbose(0),
    )?;
    assert_eq!(out.shape(), &[2, 10]);
    assert_eq!(model.count_params(), 784 * 64 + 64 + 64 * 10 + 10);
    Ok(())
}
