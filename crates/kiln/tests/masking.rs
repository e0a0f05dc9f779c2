//! Keras mask propagation: Embedding(mask_zero) / Masking create masks, functional and
//! Sequential models carry them to the layers that consume or merge them.

use kiln::layers::{Add, Concatenate, Dense, Embedding, Input, LayerRef, Masking};
use kiln::models::Model;
use kiln_tensor::{DType, Tensor};

fn mask_of(model: &Model, x: Tensor) -> Vec<Option<Vec<bool>>> {
    let layer = model.as_layer();
    let (_, masks) = layer.call_with_masks(&[x], &[], Some(false)).unwrap();
    masks
        .into_iter()
        .map(|m| m.map(|m| m.to_vec::<bool>().unwrap()))
        .collect()
}

#[test]
fn embedding_mask_passes_through_dense_in_sequential() {
    let model = Model::sequential(vec![
        Embedding::new(10, 4).mask_zero(true).into(),
        Dense::new(3).into(),
    ])
    .unwrap();
    let ids = Tensor::from_vec(vec![1i32, 2, 0, 4, 0, 0], &[2, 3]).unwrap();
    let m = mask_of(&model, ids);
    assert_eq!(m[0], Some(vec![true, true, false, true, false, false]));
}

#[test]
fn masking_layer_mask_in_functional_model_and_merges() {
    let a = Input::shape(&[3, 2]);
    let b = Input::shape(&[3, 2]);
    let ma = LayerRef::new(Masking::new(0.0)).call(&a).unwrap();
    let sum = LayerRef::new(Add::new())
        .call(&[ma.clone(), b.clone()][..])
        .unwrap();
    let cat = LayerRef::new(Concatenate::new())
        .call(&[ma, b.clone()][..])
        .unwrap();
    let model = Model::new(&[a, b], &[sum, cat]).unwrap();
    let xa = Tensor::from_vec(vec![1.0f32, 1.0, 0.0, 0.0, 2.0, 0.0], &[1, 3, 2]).unwrap();
    let xb = Tensor::ones(&[1, 3, 2], DType::F32);
    let (_, masks) = model
        .as_layer()
        .call_with_masks(&[xa, xb], &[], Some(false))
        .unwrap();
    // Add: only `a` has a mask, so the AND is a's mask.
    assert_eq!(
        masks[0].as_ref().unwrap().to_vec::<bool>().unwrap(),
        vec![true, false, true]
    );
    // Concatenate: b counts as all-true, `any` over the features keeps every step.
    assert_eq!(
        masks[1].as_ref().unwrap().to_vec::<bool>().unwrap(),
        vec![true, true, true]
    );
}

#[test]
fn layers_without_mask_support_drop_it() {
    let model = Model::sequential(vec![
        Embedding::new(10, 4).mask_zero(true).into(),
        kiln::layers::Flatten::new().into(),
    ])
    .unwrap();
    let ids = Tensor::from_vec(vec![1i32, 0], &[1, 2]).unwrap();
    assert_eq!(mask_of(&model, ids), vec![None]);
}

#[test]
fn embedding_out_of_range_id_is_an_error_naming_the_layer() {
    let emb = LayerRef::new(Embedding::new(5, 2).name("tokens"));
    let err = emb
        .call(&Tensor::from_vec(vec![7i32], &[1, 1]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tokens") && err.contains("input_dim=5"),
        "{err}"
    );
}
