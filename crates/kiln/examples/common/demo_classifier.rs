//! The registered subclassed model of tools/golden/gen_saving_compile.py
//! (`demo>Classifier` holding the custom layer `demo>Scale`), shared by the saving tests
//! and `write_interop_files`.

use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef, Shape};
use kiln::models::Model;
use kiln_tensor::Tensor;
use serde_json::Value;

/// `x * w * factor`, with `w` one weight per feature (initialised to ones).
#[derive(Layer)]
pub struct Scale {
    base: LayerBase,
    factor: f64,
    w: Option<kiln_tensor::Variable>,
}

impl Layer for Scale {
    fn build(&mut self, shapes: &[Shape]) -> kiln::Result<()> {
        let d = shapes[0].last().copied().flatten().unwrap_or(1);
        self.w = Some(self.base.weight("w", &[d]).initializer("ones").build()?);
        Ok(())
    }
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let w = self
            .w
            .as_ref()
            .ok_or_else(|| kiln::Error::InvalidArgument {
                api: "Scale.call",
                msg: "the layer is not built".into(),
            })?;
        let w = w.value();
        Ok(vec![x[0].mul(&w)?.mul_scalar(self.factor)?])
    }
}

#[derive(Layer)]
pub struct Classifier {
    base: LayerBase,
    units: usize,
    hidden: LayerRef,
    blocks: Vec<LayerRef>,
    scale: LayerRef,
    head: LayerRef,
}

impl Layer for Classifier {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut h = self.hidden.call(&x[0])?;
        for b in &self.blocks {
            h = b.call(&h)?;
        }
        Ok(vec![self.head.call(&self.scale.call(&h)?)?])
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("units".into(), self.units.into());
        c.into()
    }
}

/// Keras's `Classifier(units)`.
pub fn classifier(units: usize) -> Model {
    Model::from_layer(Classifier {
        base: LayerBase::new("classifier"),
        units,
        hidden: Dense::new(units).activation("relu").into(),
        blocks: vec![Dense::new(units).activation("tanh").into()],
        scale: LayerRef::new(Scale {
            base: LayerBase::new("scale"),
            factor: 0.5,
            w: None,
        }),
        head: Dense::new(3).into(),
    })
}

/// Registers `Classifier` as `"demo>Classifier"`.
pub fn register_classifier() {
    kiln::saving::register_model("demo", "Classifier", |cfg| {
        Ok(classifier(cfg["units"].as_u64().unwrap_or(32) as usize))
    });
}
