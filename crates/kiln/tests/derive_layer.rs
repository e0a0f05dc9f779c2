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

/// `#[layer(config)]`: the config declared once by the fields gives `new`, `from_config`
/// and `get_config`; `init` fields build sub-layers from the config fields.
#[derive(kiln::layers::Layer)]
struct Block {
    base: kiln::layers::LayerBase,
    units: usize,
    activation: String,
    #[layer(init = kiln::layers::Dense::new(units).activation(&activation))]
    dense: kiln::layers::LayerRef,
}

impl kiln::layers::Layer for Block {
    fn call(
        &mut self,
        x: &[kiln_tensor::Tensor],
        _ctx: &kiln::layers::CallContext,
    ) -> kiln::Result<Vec<kiln_tensor::Tensor>> {
        Ok(vec![self.dense.call(&x[0])?])
    }
}

#[test]
fn derived_configs_round_trip_and_name_bad_keys() {
    use kiln::layers::{FromConfig, LayerRef};
    let b = LayerRef::new(Block::new(4, "tanh".into()));
    let cfg = b.get_config();
    assert_eq!(cfg["units"], 4);
    assert_eq!(cfg["activation"], "tanh");
    assert!(cfg["name"].as_str().unwrap().starts_with("block"));
    let again = Block::from_config(&cfg).unwrap();
    assert_eq!(again.units, 4);
    assert_eq!(again.dense.get_config()["activation"], "tanh");
    let y = LayerRef::new(again)
        .call(&kiln_tensor::Tensor::ones(&[2, 3], kiln_tensor::DType::F32))
        .unwrap();
    assert_eq!(y.shape(), &[2, 4]);
    let e = Block::from_config(&serde_json::json!({"units": "four", "activation": "relu"}))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("'units'"), "{e}");
    let e = Block::from_config(&serde_json::json!({"units": 2}))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("'activation'"), "{e}");
    assert_eq!(<Block as FromConfig>::CLASS_NAME, "Block");
}
