//! `#[derive(Layer)]`: sub-layers are tracked from the struct's fields.

use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef, LayerState};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};

#[derive(Layer)]
#[layer(class_name = "Tower")]
struct Tower {
    base: LayerBase,
    blocks: Vec<LayerRef>,
    head: Option<LayerRef>,
    inner: Model,
    #[layer(skip)]
    #[allow(dead_code)] // held but deliberately not tracked
    unused: LayerRef,
}

impl Layer for Tower {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut x = inputs[0].clone();
        for b in &self.blocks {
            x = b.call(&x)?;
        }
        x = self.inner.call(&x)?;
        if let Some(h) = &self.head {
            x = h.call(&x)?;
        }
        Ok(vec![x])
    }
}

#[test]
fn derive_tracks_vec_option_and_model_fields() {
    let inner = Model::sequential(vec![Dense::new(3).input_shape(&[4]).into()]).unwrap();
    let tower = Tower {
        base: LayerBase::new("tower"),
        blocks: vec![Dense::new(4).into(), Dense::new(4).into()],
        head: Some(Dense::new(1).into()),
        inner,
        unused: Dense::new(100).into(),
    };
    assert_eq!(tower.class_name(), "Tower");
    assert_eq!(tower.sublayers().len(), 4);
    let m = Model::from_layer(tower);
    let y = m.call(&Tensor::ones(&[2, 5], DType::F32)).unwrap();
    assert_eq!(y.shape(), &[2, 1]);
    // 5*4+4, 4*4+4, 4*3+3, 3*1+1; the skipped layer is not counted.
    assert_eq!(m.count_params(), 24 + 20 + 15 + 4);
    assert_eq!(m.trainable_weights().len(), 8);
}
